"""Exports keep every row and column; spreadsheet formulas can be neutralized."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

import molaudit
from molaudit.export import neutralize_formulas

BAD = Path(__file__).parent / "data" / "bad"


@pytest.fixture(scope="module")
def batch():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(BAD / "unparsable.csv", n_jobs=1, cache=False, progress=False)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_tabular_exports_keep_everything(batch, tmp_path, suffix):
    path = batch.export(tmp_path / f"out{suffix}")
    if suffix == ".parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_csv(
            path, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False
        )
    assert back.columns.tolist() == batch.table.columns.tolist()
    assert len(back) == len(batch.table)
    assert (
        back["error_message"].astype(str).str.len().max()
        == batch.table["error_message"].str.len().max()
    )


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
