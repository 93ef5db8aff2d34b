"""Stage 1, ingest: turn any input (DataFrame, Series, list of SMILES or Mols, file) into one table.

``readers`` coerces inputs and reads files, ``stream`` parses CSV/TSV/SMI/SDF from a file handle,
``columns`` detects the SMILES, ID and activity columns.
"""
