"""Write a batch's table to CSV, TSV, Parquet, SDF, Excel, or an HTML report."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rdkit import Chem

if TYPE_CHECKING:
    from molaudit.batch import Batch

__all__ = [
    "FORMULA_PREFIXES",
    "check_export_path",
    "export_batch",
    "export_view",
    "neutralize_formulas",
    "read_sdf_properties",
    "sd_escape",
    "sd_unescape",
    "xlsx_text",
]

#: Cells starting with these are run as formulas by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32767
EXPORT_SUFFIXES = (".csv", ".tsv", ".parquet", ".sdf", ".sd", ".xlsx", ".html", ".htm")
#: Characters an .xlsx cell cannot hold (XML 1.0 forbids them; a CR is read back as LF):
#: written as ``\xNN`` (``\uFFFE``/``\uFFFF`` as ``\uNNNN``).
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote.

    Only text cells change (numbers such as ``-3.2`` stored as numbers are left alone); the
    quote is what Excel and LibreOffice themselves use to mark a cell as text.
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("str")
            risky = text.str.startswith(FORMULA_PREFIXES, na=False) & ~text.str.fullmatch(
                r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?", na=False
            )
            if risky.any():
                out[column] = series.where(~risky, "'" + text)
    return out


def export_view(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` under the names an export writes (the rule of :mod:`molaudit.schema`).

    The input columns come first under their own names (an input ``smiles`` stays ``smiles``,
    ``id`` stays ``id``), then the audit columns; an audit column whose name is also an input
    column's is written ``molaudit_<name>`` (:data:`molaudit.schema.AUDIT_PREFIX`).

    Returns
    -------
    pandas.DataFrame
        The same rows and values as ``table``, columns renamed.
    """
    from molaudit.schema import export_names

    return table.rename(columns=export_names(list(table.columns)))


def check_export_path(path: str | Path) -> Path:
    """``path`` as a :class:`~pathlib.Path` if it can be exported to; raise before any work.

    Raises
    ------
    ValueError
        The suffix is not one :func:`export_batch` writes.
    FileNotFoundError
        The directory does not exist (it is never created).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ValueError(
            f"unsupported export suffix {suffix or '(none)'!r}: use "
            + " ".join(sorted(set(EXPORT_SUFFIXES) - {".sd", ".htm"}))
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise FileNotFoundError(
            f"cannot write {str(path)!r}: the directory {str(parent)!r} does not exist "
            "(molaudit does not create it)"
        )
    return path


def export_batch(
    batch: Batch, path: Path, *, neutralize_formulas_in_cells: bool = False, **kwargs: Any
) -> Path:
    """Write the batch's table (all rows, all columns, nothing truncated) by file suffix.

    The file's header is :func:`export_view`'s: the input header unchanged, then the audit
    columns. Read back by its standard reader (``csv``/pandas, pyarrow, RDKit's
    ``SDMolSupplier`` + :func:`read_sdf_properties`, openpyxl) every format gives the same rows
    and the same IDs: CSV/TSV/Parquet byte for byte, SDF through :func:`sd_unescape` for values
    that hold line breaks or control characters, XLSX with the characters XML 1.0 cannot hold
    written as ``\\xNN``.

    Parameters
    ----------
    batch : Batch
        The batch.
    path : Path
        Output file: ``.csv``, ``.tsv``, ``.parquet``, ``.sdf``, ``.xlsx`` or ``.html``; its
        directory must exist.
    neutralize_formulas_in_cells : bool
        For CSV/TSV/XLSX: prefix text cells that start with ``= + - @`` with ``'`` so that a
        spreadsheet shows them instead of running them (off by default: the data stay
        byte-identical).

    Returns
    -------
    Path
        The written file.
    """
    path = check_export_path(path)
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        from molaudit.notebook.report import write_report

        return write_report(batch, path)
    table = batch.table
    view = export_view(table)
    if suffix in {".csv", ".tsv", ".xlsx"} and neutralize_formulas_in_cells:
        view = neutralize_formulas(view)
    if suffix in {".csv", ".tsv"}:
        # pandas quotes a field only for the characters of its line terminator: with the
        # default "\n" a lone "\r" in an ID is written bare and splits the row when read back.
        # RFC 4180's "\r\n" makes every field holding "\r" or "\n" quoted.
        kwargs.setdefault("lineterminator", "\r\n" if _has_cr(view) else "\n")
        view.to_csv(path, index=False, sep="," if suffix == ".csv" else "\t", **kwargs)
    elif suffix == ".parquet":
        view.to_parquet(path, index=False, **kwargs)
    elif suffix == ".xlsx":
        _to_excel(view, path)
    else:
        _to_sdf(table, view, path)
    return path


def _has_cr(frame: pd.DataFrame) -> bool:
    """True when a text cell or a column name holds a carriage return."""
    if any("\r" in str(c) for c in frame.columns):
        return True
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            if series.astype("str").str.contains("\r", regex=False, na=False).any():
                return True
    return False


def _to_excel(table: pd.DataFrame, path: Path) -> None:
    try:
        import openpyxl  # noqa: F401
    except ImportError as exc:
        raise ImportError("writing .xlsx needs openpyxl: pip install 'molaudit[excel]'") from exc
    text_columns = [
        c
        for c in table.columns
        if table[c].dtype == object or pd.api.types.is_string_dtype(table[c].dtype)
    ]
    for column in text_columns:
        lengths = table[column].astype("str").str.len()
        if lengths.max(skipna=True) and lengths.max(skipna=True) > EXCEL_CELL_LIMIT:
            raise ValueError(
                f"column {column!r} has a cell longer than Excel's {EXCEL_CELL_LIMIT} characters; "
                "export to .csv or .parquet instead so nothing is truncated"
            )
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("molaudit")
    sheet.append([str(c) for c in table.columns])
    for values in table.itertuples(index=False, name=None):
        row = []
        for value in values:
            if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
                row.append(None)
                continue
            if isinstance(value, np.generic):
                value = value.item()
            cell = WriteOnlyCell(
                sheet,
                value=_ILLEGAL_XML.sub(_escape_char, value) if isinstance(value, str) else value,
            )
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: "=1+1" is data, never a formula
            row.append(cell)
        sheet.append(row)
    workbook.save(path)


def _escape_char(match: re.Match[str]) -> str:
    # characters XML 1.0 forbids would abort the write; show them as \\xNN escapes instead
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def xlsx_text(value: str) -> str:
    """The text an .xlsx export holds for ``value`` (what openpyxl reads back)."""
    return _ILLEGAL_XML.sub(_escape_char, value)


def _to_sdf(table: pd.DataFrame, view: pd.DataFrame, path: Path) -> None:
    """One SD record per row, in row order; error rows are written as empty (0-atom) molecules.

    Every column of ``view`` becomes an SD property. A text value an SD file cannot hold as it
    is (line breaks, other control characters, a ``$$$$`` line) is written escaped by
    :func:`sd_escape` and its property name listed in the JSON property ``molaudit_escaped``;
    :func:`sd_unescape` gives the value back byte for byte. The title line is the ID, escaped
    the same way when it needs it, so the file always reads back record for record.
    """
    structures = table["smiles"].tolist() if "smiles" in table.columns else [None] * len(table)
    titles = table["id"].tolist() if "id" in table.columns else [""] * len(table)
    names = view.columns.tolist()
    rows = view.itertuples(index=False, name=None)
    with Chem.SDWriter(str(path)) as writer:
        for smiles, title, values in zip(structures, titles, rows, strict=True):
            mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
            if mol is None:
                mol = Chem.Mol()
            mol.SetProp("_Name", _sd_title(title))
            escaped: list[str] = []
            for key, value in zip(names, values, strict=True):
                if value is None or value is pd.NA:
                    continue
                if isinstance(value, float) and np.isnan(value):
                    continue
                text = str(value.item() if isinstance(value, np.generic) else value)
                if sd_needs_escape(text):
                    text = sd_escape(text)
                    escaped.append(str(key))
                mol.SetProp(str(key), text)
            if escaped:
                mol.SetProp("molaudit_escaped", json.dumps(escaped))
            writer.write(mol)


def _sd_title(value: Any) -> str:
    text = "" if value is None or value is pd.NA else str(value)
    return sd_escape(text) if sd_needs_escape(text) else text


_SD_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def sd_needs_escape(text: str) -> bool:
    """True when ``text`` cannot be an SD title line or data value as it is."""
    return bool(_SD_UNSAFE.search(text)) or "$$$$" in text


def sd_escape(text: str) -> str:
    """Backslash-escape ``text`` for an SD file.

    ``\\`` -> ``\\\\``, line feed -> ``\\n``, carriage return -> ``\\r``, ``$`` -> ``\\x24``,
    other control characters -> ``\\xNN``.
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "$":
            out.append("\\x24")
        elif _SD_UNSAFE.match(ch):
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


_SD_ESCAPES = re.compile(r"\\(\\|n|r|x[0-9a-f]{2})")


def sd_unescape(text: str) -> str:
    """The inverse of :func:`sd_escape`."""

    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code == "\\":
            return "\\"
        if code == "n":
            return "\n"
        if code == "r":
            return "\r"
        return chr(int(code[1:], 16))

    return _SD_ESCAPES.sub(one, text)


def read_sdf_properties(path: str | Path) -> pd.DataFrame:
    """Read an SD file written by :func:`export_batch` back to its table (text values).

    Parameters
    ----------
    path : path-like
        The ``.sdf``.

    Returns
    -------
    pandas.DataFrame
        One row per SD record, the columns of the export (every value as text, ``None`` where
        the record has no such property), escaped values decoded with :func:`sd_unescape`.
    """
    rows = []
    for mol in Chem.SDMolSupplier(str(path), sanitize=False, removeHs=False):
        if mol is None:
            raise ValueError(f"{path}: a record could not be read")
        props = mol.GetPropsAsDict(includePrivate=False, includeComputed=False)
        props = {k: mol.GetProp(k) for k in props}
        escaped = json.loads(props.pop("molaudit_escaped", "[]"))
        for key in escaped:
            props[key] = sd_unescape(props[key])
        rows.append(props)
    return pd.DataFrame(rows)
