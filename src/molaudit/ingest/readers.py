"""Turn any supported input into one canonical table (the only place inputs are coerced).

Accepted: a pandas DataFrame, a Series or list of SMILES, a list of RDKit Mol, or a path to a
CSV/TSV/SMI/SDF file (each optionally gzipped) or an ``.xlsx`` workbook (needs openpyxl).
File columns are read as text, so IDs such as ``007`` or ``=1+1`` come back byte-identical.
Files are streamed from their (gzip-)handle by :mod:`molaudit.ingest.stream`; no whole-file
bytes or text is ever held.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from molaudit.ingest import columns as cols
from molaudit.ingest.stream import (
    StructureColumn,
    file_head,
    hash_frame,
    hash_structures,
    iter_sdf_records,
    read_delimited,
    read_sdf,
    read_smi,
)

__all__ = ["InputTable", "StructureColumn", "iter_sdf_records", "read_input"]

DELIMITED = frozenset({".csv", ".tsv", ".txt", ".tab"})

#: Reserved output names: an input column with one of these names is renamed ``<name>_input``.
RESERVED = frozenset(
    {
        "row", "id", "activity", "activity_note", "status", "error_stage", "error_code",
        "error_message", "score", "checks", "check_messages", "n_fragments", "smiles",
        "std_smiles", "std_changed", "std_steps", "inchi", "inchikey", "std_inchikey",
        "tautomer_key", "stereo_key", "salt_key", "murcko_scaffold", "mw", "exact_mass", "clogp",
        "tpsa",
        "hbd", "hba", "rotatable_bonds", "heavy_atoms", "rings", "aromatic_rings", "fsp3",
        "formal_charge", "qed", "lipinski_violations", "veber_pass", "pains_alerts",
        "brenk_alerts", "audit_ms",
    }
)  # fmt: skip

#: Largest decompressed size read from a .gz file (a guard against gzip bombs).
MAX_DECOMPRESSED_BYTES = int(os.environ.get("MOLAUDIT_MAX_INPUT_BYTES", 4 * 1024**3))


@dataclass
class InputTable:
    """The canonical form of an input batch.

    Attributes
    ----------
    frame : pandas.DataFrame
        The input columns, as given (files: as text), one row per record, RangeIndex.
    structures : sequence of str or None
        The structure of each record (SMILES or molblock): a ``list`` for in-memory inputs and
        SD files, a :class:`StructureColumn` (a read-only view on the SMILES column of
        ``frame``, with ``len``, indexing and iteration) for CSV/TSV/SMI files.
    kind : {'smiles', 'molblock'}
        What ``structures`` hold.
    smiles_col, id_col, activity_col : str or None
        The columns used (names in ``frame``, before any renaming).
    source : str
        Where the batch came from (path, or a description of the object).
    notes : list of str
        What was detected or worked around (column choices, encoding fallback, ...).
    activity_units : str or None
        Units of the activity column: as given, else inferred from its name, else None.
    digest : str or None
        :meth:`content_digest`, computed by :func:`read_input` as the last step of the read.
    """

    frame: pd.DataFrame
    structures: Sequence[str | None]
    kind: str
    smiles_col: str | None = None
    id_col: str | None = None
    activity_col: str | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    activity_units: str | None = None
    digest: str | None = None

    def content_digest(self) -> str:
        """Digest of everything the batch result depends on in the input (kept in ``digest``).

        Columns are hashed a slice at a time (Arrow-backed text straight from its buffers), so
        a 1M-row table costs no whole-table temporaries.
        """
        if self.digest is None:
            self.digest = self._hash()
        return self.digest

    def _hash(self) -> str:
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((self.kind, self.smiles_col, self.id_col, self.activity_col)).encode())
        h.update(repr([str(c) for c in self.frame.columns]).encode())
        h.update(hash_structures(self.structures))
        h.update(hash_frame(self.frame))
        return h.hexdigest()


def read_input(
    data: Any,
    *,
    smiles_col: str | None = None,
    id_col: str | None = None,
    activity_col: str | None = None,
    mol_col: str | None = None,
    activity_units: str | None = None,
) -> InputTable:
    """Coerce ``data`` into an :class:`InputTable`: read, choose the columns, hash; once.

    A DataFrame column of RDKit Mols (named by ``mol_col``, or detected when no ``smiles_col``
    is given) is audited from the Mols; a list of Mols keeps ``_Name`` and every other Mol
    property as text columns, as RDKit's ``PandasTools`` does. The columns (and the activity
    units, when not given) are chosen by one call of
    :func:`molaudit.ingest.columns.choose_columns`; the content digest (the input's part of
    the batch key) is computed before returning.

    Raises
    ------
    ColumnNotFoundError
        A named column does not exist (with a suggestion), or no SMILES column can be found.
    FileNotFoundError
        ``data`` is a path that does not exist.
    TypeError
        ``data`` is of an unsupported type.
    ValueError
        The file is empty, unreadable, or bigger than allowed when decompressed.
    """
    named = {"smiles_col": smiles_col, "id_col": id_col, "activity_col": activity_col,
             "activity_units": activity_units}  # fmt: skip
    table = _read(data, named, mol_col)
    table.content_digest()
    return table


def _read(data: Any, named: dict[str, str | None], mol_col: str | None) -> InputTable:
    smiles_col, id_col, activity_col = named["smiles_col"], named["id_col"], named["activity_col"]
    units = named["activity_units"]
    if isinstance(data, str | os.PathLike):
        return _read_path(Path(data), smiles_col, id_col, activity_col, units)
    if isinstance(data, pd.DataFrame):
        return _from_frame(
            data.reset_index(drop=True),
            smiles_col,
            id_col,
            activity_col,
            f"DataFrame ({len(data)} rows)",
            mol_col=mol_col,
            activity_units=units,
        )
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "smiles"
        frame = pd.DataFrame({name: data.to_numpy()})
        if not isinstance(data.index, pd.RangeIndex):
            frame.insert(0, "id", data.index.astype(str).to_numpy())
            id_col = id_col or "id"
        return _from_frame(
            frame,
            smiles_col or name,
            id_col,
            activity_col,
            f"Series ({len(data)} rows)",
            activity_units=units,
        )
    if isinstance(data, list | tuple | np.ndarray):
        items = list(data)
        if (
            items
            and all(isinstance(x, Chem.Mol) or x is None for x in items)
            and any(isinstance(x, Chem.Mol) for x in items)
        ):
            return _from_mols(items, id_col, activity_col, units)
        bad = [type(x).__name__ for x in items if not (x is None or isinstance(x, str))]
        if bad:
            raise TypeError(
                f"a list input must hold SMILES strings or RDKit Mol objects, got {bad[0]}"
            )
        frame = pd.DataFrame({"smiles": pd.Series(items, dtype=object)})
        return _from_frame(
            frame, "smiles", None, None, f"list ({len(items)} SMILES)", activity_units=units
        )
    raise TypeError(
        "data must be a DataFrame, a Series or list of SMILES, a list of RDKit Mol, or a path "
        f"to a CSV/TSV/SMI/SDF/XLSX file; got {type(data).__name__}"
    )


def _from_frame(
    frame: pd.DataFrame,
    smiles_col: str | None,
    id_col: str | None,
    activity_col: str | None,
    source: str,
    notes: list[str] | None = None,
    *,
    from_file: bool = False,
    mol_col: str | None = None,
    activity_units: str | None = None,
) -> InputTable:
    notes = list(notes or [])
    frame.columns = [str(c) for c in frame.columns]
    if mol_col is not None:
        mol_col = cols.resolve(frame, mol_col, "Mol")
    elif smiles_col is None and not from_file:
        found = [str(c) for i, c in enumerate(frame.columns) if is_mol_column(frame.iloc[:, i])]
        if found:
            notes.append(f"RDKit Mol column {found[0]!r} (detected)")
            mol_col = found[0]
    blocks: list[str | None] | None = None
    if mol_col is not None:
        frame, blocks = _mol_column(frame, mol_col)
    named = (smiles_col, id_col, activity_col, activity_units)
    choice = _choose(frame, named, needs_smiles=mol_col is None, structure_col=mol_col)
    if blocks is not None:
        return _table(frame, blocks, "molblock", choice, source, notes)
    structures: Sequence[str | None]
    if from_file:
        # file columns are all text: a view on the column instead of a second copy as a list
        structures = StructureColumn(frame[choice.smiles])
    else:
        structures = [
            None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in frame[choice.smiles].tolist()
        ]
    return _table(frame, structures, "smiles", choice, source, notes)


def _choose(
    frame: pd.DataFrame,
    named: tuple[str | None, str | None, str | None, str | None],
    *,
    needs_smiles: bool = False,
    structure_col: str | None = None,
) -> cols.ColumnChoice:
    """The one column decision of the batch (``named``: SMILES, ID, activity, units)."""
    smiles_col, id_col, activity_col, units = named
    return cols.choose_columns(
        frame,
        smiles_col=smiles_col,
        id_col=id_col,
        activity_col=activity_col,
        activity_units=units,
        needs_smiles=needs_smiles,
        structure_col=structure_col,
    )


def _table(
    frame: pd.DataFrame,
    structures: Sequence[str | None],
    kind: str,
    choice: cols.ColumnChoice,
    source: str,
    notes: list[str],
) -> InputTable:
    return InputTable(
        frame,
        structures,
        kind,
        choice.smiles,
        choice.id,
        choice.activity,
        source,
        [*notes, *choice.notes],
        choice.activity_units,
    )


def _molblock(mol: Chem.Mol | None) -> str | None:
    if mol is None:
        return None
    try:
        return Chem.MolToMolBlock(mol)
    except Exception:  # e.g. an aromatic system that cannot be kekulized for V2000
        return Chem.MolToMolBlock(mol, kekulize=False)


def _mol_properties(mols: Sequence[Chem.Mol | None]) -> dict[str, list[str | None]]:
    """``_Name`` and every public property of the Mols as text columns, like RDKit's
    ``PandasTools.LoadSDF`` (None where a Mol lacks the property or is None)."""
    names: list[str] = ["_Name"]
    for mol in mols:
        if mol is not None:
            names.extend(n for n in mol.GetPropNames() if n not in names)
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    for mol in mols:
        for name in names:
            has = mol is not None and mol.HasProp(name)
            columns[name].append(mol.GetProp(name) if has else ("" if name == "_Name" else None))
    return columns


def is_mol_column(values: pd.Series) -> bool:
    """True when the non-missing values of ``values`` (the first 50) are RDKit Mols."""
    if values.dtype != object:
        return False
    sample = [v for v in values.head(200).tolist() if v is not None and v is not pd.NA][:50]
    sample = [v for v in sample if not (isinstance(v, float) and np.isnan(v))]
    return bool(sample) and all(isinstance(v, Chem.Mol) for v in sample)


def _from_mols(
    mols: list[Chem.Mol | None],
    id_col: str | None = None,
    activity_col: str | None = None,
    activity_units: str | None = None,
) -> InputTable:
    columns = _mol_properties(mols)
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    choice = _choose(frame, (None, id_col, activity_col, activity_units))
    structures = [_molblock(m) for m in mols]
    return _table(frame, structures, "molblock", choice, f"list ({len(mols)} RDKit Mol)", [])


def _mol_column(frame: pd.DataFrame, mol_col: str) -> tuple[pd.DataFrame, list[str | None]]:
    """A DataFrame whose ``mol_col`` holds RDKit Mols: ``(frame, molblocks)``.

    The Mol column is replaced in the table by the Mols' SMILES (a table of text and numbers
    can be cached and exported; the structures audited are the molblocks, so nothing is lost).
    """
    mols = frame[mol_col].tolist()
    bad = [type(m).__name__ for m in mols if not (m is None or isinstance(m, Chem.Mol))]
    bad = [b for b in bad if b != "float"]  # NaN for a missing Mol
    if bad:
        raise TypeError(f"column {mol_col!r} must hold RDKit Mol objects, found a {bad[0]}")
    mols = [m if isinstance(m, Chem.Mol) else None for m in mols]
    structures = [_molblock(m) for m in mols]
    frame = frame.copy()
    frame[mol_col] = pd.Series(
        [Chem.MolToSmiles(m) if m is not None else None for m in mols], dtype=object
    )
    return frame, structures


def _suffixes(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    return Path(name).suffix, gz


def _read_path(
    path: Path,
    smiles_col: str | None,
    id_col: str | None,
    activity_col: str | None,
    activity_units: str | None = None,
) -> InputTable:
    if not path.exists():
        raise FileNotFoundError(
            f"no such file: {str(path)!r} "
            "(to audit SMILES strings pass a list, e.g. audit(['CCO']))"
        )
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a directory, not a file")
    suffix, gz = _suffixes(path)
    notes: list[str] = []
    if suffix == ".xlsx":
        try:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
        except ImportError as exc:
            raise ImportError(
                "reading .xlsx needs openpyxl: pip install 'molaudit[excel]'"
            ) from exc
        return _from_frame(
            frame, smiles_col, id_col, activity_col, str(path), activity_units=activity_units
        )
    limit = MAX_DECOMPRESSED_BYTES
    if suffix not in {".sdf", ".sd", ".mol", ".smi", ".smiles", ".ism"} | DELIMITED:
        raise ValueError(
            f"unsupported file type {path.name!r}: use .csv, .tsv, .smi, .sdf (optionally .gz) "
            "or .xlsx"
        )
    named = (smiles_col, id_col, activity_col, activity_units)
    return _read_text_file(path, suffix, gz, limit, named, notes)


def _read_text_file(
    path: Path,
    suffix: str,
    gz: bool,
    limit: int,
    named: tuple[str | None, str | None, str | None, str | None],
    notes: list[str],
) -> InputTable:
    smiles_col, id_col, activity_col, units = named
    blank, tab_in_first_line = file_head(path, gz, limit)
    if blank:
        raise ValueError(f"{path} is empty")
    if suffix in {".sdf", ".sd", ".mol"}:
        frame, blocks = read_sdf(path, gz, limit, notes)
        return _from_sdf(frame, blocks, path, id_col, activity_col, notes, units)
    if suffix in {".smi", ".smiles", ".ism"}:
        frame = read_smi(path, gz, limit, notes)
        return _from_frame(
            frame,
            smiles_col or "smiles",
            id_col or ("id" if "id" in frame.columns else None),
            activity_col,
            str(path),
            notes,
            from_file=True,
            activity_units=units,
        )
    # .txt: tab-separated when its first line holds a tab
    sep = "\t" if suffix in {".tsv", ".tab"} or (suffix == ".txt" and tab_in_first_line) else ","
    try:
        frame = read_delimited(path, gz, limit, sep, notes)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"{path} could not be read as {suffix[1:].upper()}: {exc}") from exc
    return _from_frame(
        frame,
        smiles_col,
        id_col,
        activity_col,
        str(path),
        notes,
        from_file=True,
        activity_units=units,
    )


def _from_sdf(
    frame: pd.DataFrame,
    blocks: list[str | None],
    path: Path,
    id_col: str | None,
    activity_col: str | None,
    notes: list[str],
    activity_units: str | None = None,
) -> InputTable:
    if not blocks:
        raise ValueError(f"{path} holds no SD records")
    # no ID column named: '_Name' (always a column here) is one of columns.ID_NAMES
    choice = _choose(frame, (None, id_col, activity_col, activity_units))
    return _table(frame, blocks, "molblock", choice, str(path), notes)
