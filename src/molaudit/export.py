"""Write a batch's table to CSV, TSV, Parquet, SDF, Excel, or an HTML report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from rdkit import Chem

if TYPE_CHECKING:
    from molaudit.batch import Batch

__all__ = ["FORMULA_PREFIXES", "export_batch", "neutralize_formulas"]

#: Cells starting with these are run as formulas by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32767
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def export_batch(
    batch: Batch, path: Path, *, neutralize_formulas_in_cells: bool = False, **kwargs: Any
) -> Path:
    """Write ``batch.table`` (all rows, all columns, nothing truncated) by file suffix.

    Parameters
    ----------
    batch : Batch
        The batch.
    path : Path
        Output file: ``.csv``, ``.tsv``, ``.parquet``, ``.sdf``, ``.xlsx`` or ``.html``.
    neutralize_formulas_in_cells : bool
        For CSV/TSV/XLSX: prefix text cells that start with ``= + - @`` with ``'`` so that a
        spreadsheet shows them instead of running them (off by default: the data stay
        byte-identical).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    table = batch.table
    if suffix in {".csv", ".tsv", ".xlsx"} and neutralize_formulas_in_cells:
        table = neutralize_formulas(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        table.to_csv(path, index=False, **kwargs)
    elif suffix == ".tsv":
        table.to_csv(path, index=False, sep="\t", **kwargs)
    elif suffix == ".parquet":
        table.to_parquet(path, index=False, **kwargs)
    elif suffix == ".xlsx":
        _to_excel(table, path)
    elif suffix in {".sdf", ".sd"}:
        _to_sdf(table, path)
    elif suffix in {".html", ".htm"}:
        from molaudit.notebook.report import write_report

        return write_report(batch, path)
    else:
        raise ValueError(
            f"unsupported export suffix {suffix!r}: use .csv .tsv .parquet .sdf .xlsx .html"
        )
    return path


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
    return f"\\x{ord(match.group()):02x}"


def _to_sdf(table: pd.DataFrame, path: Path) -> None:
    """One SD record per row; error rows are written as empty molecules with their properties."""
    with Chem.SDWriter(str(path)) as writer:
        for record in table.to_dict("records"):
            smiles = record.get("smiles")
            mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
            if mol is None:
                mol = Chem.Mol()
            mol.SetProp("_Name", str(record.get("id", "")))
            for key, value in record.items():
                if value is None or (isinstance(value, float) and np.isnan(value)):
                    continue
                if value is pd.NA:
                    continue
                text = str(value)
                # a blank line ends an SD data item: keep multi-line values readable and intact
                mol.SetProp(str(key), text.replace("\n\n", "\n \n"))
            writer.write(mol)
