"""Turn any supported input into one canonical table (the only place inputs are coerced).

Accepted: a pandas DataFrame, a Series or list of SMILES, a list of RDKit Mol, or a path to a
CSV/TSV/SMI/SDF file (each optionally gzipped) or an ``.xlsx`` workbook (needs openpyxl).
File columns are read as text, so IDs such as ``007`` or ``=1+1`` come back byte-identical.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from . import columns as cols
from .errors import ColumnNotFoundError

__all__ = ["InputTable", "read_input"]

#: Reserved output names: an input column with one of these names is renamed ``<name>_input``.
RESERVED = frozenset(
    {
        "row", "id", "activity", "activity_note", "status", "error_stage", "error_code",
        "error_message", "score", "checks", "check_messages", "n_fragments", "smiles",
        "std_smiles", "std_changed", "std_steps", "inchi", "inchikey", "std_inchikey",
        "tautomer_key", "stereo_key", "murcko_scaffold", "mw", "exact_mass", "clogp", "tpsa",
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
    structures : list of str or None
        The structure of each record (SMILES or molblock).
    kind : {'smiles', 'molblock'}
        What ``structures`` hold.
    smiles_col, id_col, activity_col : str or None
        The columns used (names in ``frame``, before any renaming).
    source : str
        Where the batch came from (path, or a description of the object).
    notes : list of str
        What was detected or worked around (column choices, encoding fallback, ...).
    """

    frame: pd.DataFrame
    structures: list[str | None]
    kind: str
    smiles_col: str | None = None
    id_col: str | None = None
    activity_col: str | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def content_digest(self) -> str:
        """Digest of everything the batch result depends on in the input."""
        h = hashlib.blake2b(digest_size=16)
        h.update(repr((self.kind, self.smiles_col, self.id_col, self.activity_col)).encode())
        h.update(repr([str(c) for c in self.frame.columns]).encode())
        for text in self.structures:
            h.update(b"\x00" if text is None else text.encode("utf-8", "surrogatepass") + b"\x01")
        try:
            hashed = pd.util.hash_pandas_object(self.frame, index=False).to_numpy()
            h.update(hashed.tobytes())
        except TypeError:  # unhashable cells (lists, dicts): fall back to their text
            h.update(self.frame.astype(str).to_csv(index=False).encode())
        return h.hexdigest()


def read_input(
    data: Any,
    *,
    smiles_col: str | None = None,
    id_col: str | None = None,
    activity_col: str | None = None,
) -> InputTable:
    """Coerce ``data`` into an :class:`InputTable`, detecting columns that were not named.

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
    if isinstance(data, str | os.PathLike):
        return _read_path(Path(data), smiles_col, id_col, activity_col)
    if isinstance(data, pd.DataFrame):
        return _from_frame(
            data.reset_index(drop=True),
            smiles_col,
            id_col,
            activity_col,
            f"DataFrame ({len(data)} rows)",
        )
    if isinstance(data, pd.Series):
        name = str(data.name) if data.name is not None else "smiles"
        frame = pd.DataFrame({name: data.to_numpy()})
        if not isinstance(data.index, pd.RangeIndex):
            frame.insert(0, "id", data.index.astype(str).to_numpy())
            id_col = id_col or "id"
        return _from_frame(
            frame, smiles_col or name, id_col, activity_col, f"Series ({len(data)} rows)"
        )
    if isinstance(data, list | tuple | np.ndarray):
        items = list(data)
        if (
            items
            and all(isinstance(x, Chem.Mol) or x is None for x in items)
            and any(isinstance(x, Chem.Mol) for x in items)
        ):
            return _from_mols(items)
        bad = [type(x).__name__ for x in items if not (x is None or isinstance(x, str))]
        if bad:
            raise TypeError(
                f"a list input must hold SMILES strings or RDKit Mol objects, got {bad[0]}"
            )
        frame = pd.DataFrame({"smiles": pd.Series(items, dtype=object)})
        return _from_frame(frame, "smiles", None, None, f"list ({len(items)} SMILES)")
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
) -> InputTable:
    notes = list(notes or [])
    frame.columns = [str(c) for c in frame.columns]
    smiles = cols.resolve(frame, smiles_col, "SMILES")
    if smiles is None:
        smiles = cols.detect_smiles(frame)
        if smiles is None:
            raise ColumnNotFoundError(
                "no SMILES column found: name one with smiles_col= (columns: "
                + ", ".join(map(repr, list(frame.columns)[:20]))
                + ")"
            )
        notes.append(f"SMILES column {smiles!r} (detected)")
    ident = cols.resolve(frame, id_col, "ID")
    if ident is None and id_col is None:
        ident = cols.detect_id(frame, exclude={smiles})
        if ident is not None:
            notes.append(f"ID column {ident!r} (detected)")
    activity = cols.resolve(frame, activity_col, "activity")
    if activity is None and activity_col is None:
        activity = cols.detect_activity(frame, exclude={smiles, ident or ""})
        if activity is not None:
            notes.append(f"activity column {activity!r} (detected)")
    structures = [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        for v in frame[smiles].tolist()
    ]
    return InputTable(frame, structures, "smiles", smiles, ident, activity, source, notes)


def _from_mols(mols: list[Chem.Mol | None]) -> InputTable:
    structures: list[str | None] = []
    names: list[str] = []
    for mol in mols:
        if mol is None:
            structures.append(None)
            names.append("")
            continue
        try:
            structures.append(Chem.MolToMolBlock(mol))
        except Exception:  # e.g. an aromatic system that cannot be kekulized for V2000
            structures.append(Chem.MolToMolBlock(mol, kekulize=False))
        names.append(mol.GetProp("_Name") if mol.HasProp("_Name") else "")
    frame = pd.DataFrame({"_Name": pd.Series(names, dtype=object)})
    has_names = any(names)
    return InputTable(
        frame,
        structures,
        "molblock",
        None,
        "_Name" if has_names else None,
        None,
        f"list ({len(mols)} RDKit Mol)",
        [],
    )


def _suffixes(path: Path) -> tuple[str, bool]:
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    return Path(name).suffix, gz


def _read_bytes(path: Path, gz: bool) -> bytes:
    if not gz:
        return path.read_bytes()
    out = io.BytesIO()
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                out.write(chunk)
                if out.tell() > MAX_DECOMPRESSED_BYTES:
                    raise ValueError(
                        f"{path} decompresses to more than {MAX_DECOMPRESSED_BYTES} bytes; "
                        "refusing (set MOLAUDIT_MAX_INPUT_BYTES to raise the limit)"
                    )
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise ValueError(f"{path} is not a readable gzip file: {exc}") from exc
    return out.getvalue()


def _decode(raw: bytes, path: Path, notes: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        notes.append(
            f"{path.name} is not valid UTF-8 (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            "read as Latin-1"
        )
        return raw.decode("latin-1")


def _read_path(
    path: Path, smiles_col: str | None, id_col: str | None, activity_col: str | None
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
        return _from_frame(frame, smiles_col, id_col, activity_col, str(path))
    raw = _read_bytes(path, gz)
    if not raw.strip():
        raise ValueError(f"{path} is empty")
    text = _decode(raw, path, notes)
    if suffix in {".sdf", ".sd", ".mol"}:
        return _from_sdf(text, path, id_col, activity_col, notes)
    if suffix in {".smi", ".smiles", ".ism"}:
        frame = _read_smi(text)
        return _from_frame(
            frame,
            smiles_col or "smiles",
            id_col or ("id" if "id" in frame.columns else None),
            activity_col,
            str(path),
            notes,
        )
    if suffix in {".csv", ".tsv", ".txt", ".tab"}:
        sep = (
            "\t"
            if suffix in {".tsv", ".tab"} or (suffix == ".txt" and "\t" in text.split("\n", 1)[0])
            else ","
        )
        try:
            frame = pd.read_csv(
                io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ValueError(f"{path} could not be read as {suffix[1:].upper()}: {exc}") from exc
        return _from_frame(frame, smiles_col, id_col, activity_col, str(path), notes)
    raise ValueError(
        f"unsupported file type {path.name!r}: use .csv, .tsv, .smi, .sdf (optionally .gz) or .xlsx"
    )


def _read_smi(text: str) -> pd.DataFrame:
    """SMILES files: one record per line, ``SMILES [id [more fields]]`` split on tab or space."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    rows = [ln.split("\t") if "\t" in ln else ln.split(None, 1) for ln in lines]
    if rows and rows[0] and rows[0][0].strip().lower() in {"smiles", "smi"}:
        rows = rows[1:]
    width = max((len(r) for r in rows), default=1)
    names = ["smiles", "id"] + [f"field_{i}" for i in range(3, width + 1)]
    data = {
        name: [r[i].strip() if i < len(r) else "" for r in rows]
        for i, name in enumerate(names[:width])
    }
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})


def iter_sdf_records(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(molblock, properties)`` per SD record; a last record without ``$$$$`` counts."""
    record: list[str] = []
    for line in text.splitlines():
        if line.startswith("$$$$"):
            yield _split_record(record)
            record = []
        else:
            record.append(line)
    if any(line.strip() for line in record):
        yield _split_record(record)


def _split_record(lines: list[str]) -> tuple[str, dict[str, str]]:
    end = next((i for i, ln in enumerate(lines) if ln.startswith("M  END")), None)
    if end is None:
        # no M  END: keep the text as the molblock; the parser reports what is wrong
        return "\n".join(lines) + "\n", {}
    molblock = "\n".join(lines[: end + 1]) + "\n"
    props: dict[str, str] = {}
    name: str | None = None
    values: list[str] = []
    for line in lines[end + 1 :]:
        if line.startswith(">"):
            if name is not None:
                props[name] = "\n".join(values).strip("\n")
            start, stop = line.find("<"), line.rfind(">")
            name = line[start + 1 : stop] if 0 <= start < stop else line[1:].strip()
            values = []
        elif name is not None:
            values.append(line)
    if name is not None:
        props[name] = "\n".join(values).strip("\n")
    return molblock, props


def _from_sdf(
    text: str, path: Path, id_col: str | None, activity_col: str | None, notes: list[str]
) -> InputTable:
    blocks: list[str | None] = []
    props_list: list[dict[str, str]] = []
    for molblock, props in iter_sdf_records(text):
        first = molblock.split("\n", 1)[0]
        props = {"_Name": first.strip(), **props}
        blocks.append(molblock if molblock.strip() else None)
        props_list.append(props)
    if not blocks:
        raise ValueError(f"{path} holds no SD records")
    names: list[str] = list(dict.fromkeys(k for p in props_list for k in p))
    frame = pd.DataFrame(
        {n: pd.Series([p.get(n, "") for p in props_list], dtype=object) for n in names}
    )
    ident = cols.resolve(frame, id_col, "ID")
    if ident is None and id_col is None:
        ident = cols.detect_id(frame, exclude=set()) or (
            "_Name" if frame["_Name"].str.len().gt(0).any() else None
        )
        if ident is not None:
            notes.append(f"ID column {ident!r} (detected)")
    activity = cols.resolve(frame, activity_col, "activity")
    if activity is None and activity_col is None:
        activity = cols.detect_activity(frame, exclude={ident or ""})
        if activity is not None:
            notes.append(f"activity column {activity!r} (detected)")
    return InputTable(frame, blocks, "molblock", None, ident, activity, str(path), notes)
