"""Stage 1, ingest: turn any input (DataFrame, Series, list of SMILES or Mols, file) into one table.

``readers`` coerces inputs and reads files, ``stream`` parses CSV/TSV/SMI/SDF from a file handle,
``columns`` chooses the SMILES, ID and activity columns (and parses activity values),
``cell_text`` parses ``SMILES [id [activity]]`` lines typed into a notebook.

The path of a batch is one straight line, each module entered once per batch:

1. **read** -- :func:`molaudit.api.audit` calls :func:`readers.read_input` once. By input type:

   * CSV/TSV/TXT: ``stream.file_head`` (blank file? tab in the first line?), then
     ``stream.read_delimited`` streams the file through ``pandas.read_csv`` as text columns;
   * SMI: ``stream.read_smi``; SDF: ``stream.read_sdf`` (properties as columns, molblocks);
   * DataFrame / Series / list of SMILES: the object itself (a Mol column is turned into
     molblocks, and SMILES text in the table); list of Mols: molblocks and Mol properties.

2. **detect columns** -- one call of :func:`columns.choose_columns` per batch decides the
   SMILES, ID and activity columns (named ones checked, the others detected) and the activity
   units (given, else from the column name); its notes join the batch's notes.

3. **records** -- the :class:`readers.InputTable`: the input frame, the structures (a
   :class:`stream.StructureColumn` view on a file's SMILES column, else a list), their kind
   (``smiles`` or ``molblock``), the chosen columns and units, and the content digest
   (``stream.hash_structures`` / ``stream.hash_frame``), computed as the last step of the read.

4. **runner** -- :func:`molaudit.run.runner.run_audit` gets ``structures`` and ``kind``; then
   :func:`molaudit.run.table.build_table` joins the input frame and the records, parsing the
   activity column with :func:`columns.parse_activity` (only there: a batch read back from
   the cache never parses its activities again).
"""
