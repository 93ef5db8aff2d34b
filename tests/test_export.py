"""Exports: every format read back by its standard reader gives the same rows, the same IDs, the
input header unchanged and the audit columns after it without clashing names.

Oracles never use molaudit's own reader: CSV/TSV are read with the ``csv`` module, Parquet with
pyarrow, SDF with RDKit's ``SDMolSupplier``, XLSX with openpyxl; the expected IDs are the
literal strings the input was written from.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdkit import Chem

import molaudit
from molaudit.export import neutralize_formulas, sd_unescape, xlsx_text

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

BAD = Path(__file__).parent / "data" / "bad"

#: IDs that broke a format once: CR alone (split a CSV row), LF (broke the SD title line),
#: CRLF, tab (the TSV delimiter), quotes, a leading zero, a formula, padding, empty, the SD
#: record separator, a control character XML cannot hold, non-ASCII.
HOSTILE_IDS = [
    "a\rb", "c\nd", "e\r\nf", "tab\tx", 'q"uote', "007", "=1+1", "  sp  ", "", "x$$$$y",
    "\x01ctl", "é☃", "semi;colon", "back\\slash",
]  # fmt: skip


@pytest.fixture(scope="module")
def batch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(BAD / "unparsable.csv", n_jobs=1, cache=False, progress=False)


def _write_input(path: Path, ids: list[str], activities: list[str] | None = None) -> Path:
    """A CSV written by the csv module (RFC 4180 quoting), the way a careful tool writes it."""
    activities = activities or ["5.0"] * len(ids)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["smiles", "id", "pIC50"])
        for ident, act in zip(ids, activities, strict=True):
            writer.writerow(["CCO", ident, act])
    return path


def _audit(path: Path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(path, id_col="id", n_jobs=1, cache=False, progress=False,
                              analytics=False, **kwargs)  # fmt: skip


def _read_back(path: Path) -> tuple[list[str], list[dict[str, str | None]]]:
    """Header and rows of an export, by the format's standard reader (never molaudit's)."""
    suffix = path.suffix
    if suffix in {".csv", ".tsv"}:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter="," if suffix == ".csv" else "\t"))
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    if suffix == ".xlsx":
        import openpyxl

        sheet = openpyxl.load_workbook(path, read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        return list(rows[0]), [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    records = []
    for mol in Chem.SDMolSupplier(str(path), sanitize=False, removeHs=False):
        assert mol is not None  # every record reads back
        props = {k: mol.GetProp(k) for k in mol.GetPropNames()}
        for key in json.loads(props.pop("molaudit_escaped", "[]")):
            props[key] = sd_unescape(props[key])
        props["_Name"] = mol.GetProp("_Name")
        records.append(props)
    return [], records


def _expected_id(ident: str, suffix: str) -> str | None:
    if suffix == ".xlsx":  # XML cannot hold control characters; openpyxl reads '' as None
        return xlsx_text(ident) or None
    return ident


FORMATS = [".csv", ".tsv", ".parquet", ".sdf", ".xlsx"]


@pytest.mark.parametrize("suffix", FORMATS)
def test_hostile_ids_round_trip_through_every_format(tmp_path, suffix):
    batch = _audit(_write_input(tmp_path / "in.csv", HOSTILE_IDS))
    assert batch.table["id"].tolist() == HOSTILE_IDS  # the reader kept them byte for byte
    header, rows = _read_back(batch.export(tmp_path / f"out{suffix}"))
    assert len(rows) == len(HOSTILE_IDS)  # same rows: nothing split, nothing merged
    assert [r["id"] for r in rows] == [_expected_id(i, suffix) for i in HOSTILE_IDS]
    # the audit's own id column (a clash with the input's 'id') comes back too
    assert [r["molaudit_id"] for r in rows] == [_expected_id(i, suffix) for i in HOSTILE_IDS]
    if suffix == ".sdf":
        # the title line holds the ID, escaped only where a title line cannot hold it
        assert [sd_unescape(r["_Name"]) for r in rows] == HOSTILE_IDS
        assert rows[0]["_Name"] == "a\\rb" and rows[5]["_Name"] == "007"
    else:
        # the input header unchanged, then the audit columns, no name twice (ignoring case)
        assert header[:3] == ["smiles", "id", "pIC50"]
        assert header[3] == "row"
        assert len({h.casefold() for h in header}) == len(header)
        assert {"molaudit_smiles", "molaudit_id", "status"} <= set(header)


def test_user_columns_that_clash_with_audit_columns_keep_their_names(tmp_path):
    frame = pd.DataFrame(
        {"SMILES": ["CCO", "c1ccccc1"], "Status": ["new", "old"], "mw": ["1", "2"]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = molaudit.audit(frame, n_jobs=1, cache=False, progress=False, analytics=False)
    header, rows = _read_back(batch.export(tmp_path / "out.csv"))
    assert header[:3] == ["SMILES", "Status", "mw"]
    # 'SMILES'/'smiles' and 'Status'/'status' clash for any reader that ignores case
    assert {"molaudit_smiles", "molaudit_status", "molaudit_mw"} <= set(header)
    assert "smiles" not in header and "status" not in header
    assert [r["Status"] for r in rows] == ["new", "old"]
    assert [r["molaudit_status"] for r in rows] == ["ok", "ok"]
    assert [r["mw"] for r in rows] == ["1", "2"]  # the user's, not the audit's
    assert float(rows[0]["molaudit_mw"]) == pytest.approx(46.069, abs=1e-3)  # ethanol


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_tabular_exports_keep_every_cell(batch, tmp_path, suffix):
    from molaudit.export import export_view

    header, rows = _read_back(batch.export(tmp_path / f"out{suffix}"))
    view = export_view(batch.table)
    assert header == view.columns.tolist()
    assert len(rows) == len(view)
    for column in ("id", "status", "error_code", "error_message", "molaudit_smiles"):
        want = ["" if pd.isna(v) else str(v) for v in view[column]]
        got = ["" if v is None else str(v) for v in (r[column] for r in rows)]
        assert got == want, column


def test_sdf_export_writes_every_row(batch, tmp_path):
    path = batch.export(tmp_path / "out.sdf")
    mols = list(Chem.SDMolSupplier(str(path), sanitize=False))
    assert len(mols) == len(batch.table)
    ok = [m for m in mols if m.GetNumAtoms()]
    assert len(ok) == int((batch.table.status != "error").sum())
    assert mols[1].GetProp("error_code") == "parse_error"
    assert mols[0].GetProp("_Name") == "ethanol"


def test_formula_neutralization_is_opt_in(tmp_path):
    frame = pd.DataFrame({"smiles": ["CCO", "CCN", "CCC"], "id": ["=1+1", "@x", "-3.5"]})
    batch = molaudit.audit(frame, n_jobs=1, cache=False, progress=False)
    raw = pd.read_csv(batch.export(tmp_path / "raw.csv"), dtype=str)
    assert raw["id"].tolist() == ["=1+1", "@x", "-3.5"]
    safe = pd.read_csv(
        batch.export(tmp_path / "safe.csv", neutralize_formulas_in_cells=True), dtype=str
    )
    assert safe["id"].tolist() == ["'=1+1", "'@x", "-3.5"]  # numbers stay numbers
    assert neutralize_formulas(frame)["smiles"].tolist() == ["CCO", "CCN", "CCC"]


def test_unknown_suffix_raises(batch, tmp_path):
    with pytest.raises(ValueError, match="unsupported export suffix"):
        batch.export(tmp_path / "out.docx")


def test_export_to_a_missing_directory_fails_and_creates_nothing(batch, tmp_path):
    target = tmp_path / "no_such_dir" / "out.csv"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        batch.export(target)
    assert not target.parent.exists()


# ------------------------------------------------------------------------- property-based
_ID_TEXT = st.text(
    # any unicode incl. control characters; not surrogates (no str can be UTF-8 encoded with
    # one) and not NUL (the one character no CSV reader in this stack accepts inside a field)
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
_ACTIVITY_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["1e400", "-1e999", "inf", "-inf", "nan", "<5", "> 7.5", "n/a", "", "~3"]),
    st.text(alphabet="0123456789.eE+-<>= ", max_size=8),
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(_ID_TEXT, min_size=1, max_size=6),
    activities=st.lists(_ACTIVITY_TEXT, min_size=6, max_size=6),
)
def test_random_ids_and_activities_survive_every_writer(tmp_path_factory, ids, activities):
    import numpy as np

    folder = tmp_path_factory.mktemp("rt")
    activities = activities[: len(ids)]
    batch = _audit(_write_input(folder / "in.csv", ids, activities), activity_col="pIC50")
    assert batch.table["id"].tolist() == ids
    # no value that is not finite is kept, and each NaN says why
    values = batch.table["activity"].to_numpy(dtype=float)
    assert not np.isinf(values).any()
    notes = batch.table["activity_note"].tolist()
    assert all(note for v, note in zip(values, notes, strict=True) if np.isnan(v))
    for suffix in FORMATS:
        _, rows = _read_back(batch.export(folder / f"out{suffix}"))
        assert len(rows) == len(ids), suffix
        assert [r["id"] for r in rows] == [_expected_id(i, suffix) for i in ids], suffix
        got_act = [r["pIC50"] for r in rows]
        assert got_act == [_expected_id(a, suffix) for a in activities], suffix
