"""The ingest path is one straight line: one read, one column decision, one hash per batch."""

from __future__ import annotations

import warnings
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

import molaudit
from molaudit.errors import ColumnNotFoundError
from molaudit.ingest import columns, readers
from molaudit.ingest.readers import read_input


def _write_inputs(folder: Path) -> dict[str, object]:
    """The same three molecules as a CSV, an SDF, a DataFrame and a list of SMILES."""
    smiles = ["CCO", "c1ccccc1O", "CCN"]
    names = ["ethanol", "phenol", "ethylamine"]
    ic50 = ["12", "3400", "5"]
    csv = folder / "three.csv"
    pd.DataFrame({"smiles": smiles, "compound_id": names, "IC50_nM": ic50}).to_csv(csv, index=False)
    sdf = folder / "three.sdf"
    with Chem.SDWriter(str(sdf)) as writer:
        for s, n, v in zip(smiles, names, ic50, strict=True):
            mol = Chem.MolFromSmiles(s)
            mol.SetProp("_Name", n)
            mol.SetProp("IC50_nM", v)
            writer.write(mol)
    frame = pd.DataFrame({"smiles": smiles, "compound_id": names, "IC50_nM": [12.0, 3400.0, 5.0]})
    return {"csv": csv, "sdf": sdf, "frame": frame, "list": smiles}


@pytest.fixture
def calls(monkeypatch) -> Counter:
    """Counts of the ingest steps called during one audit."""
    counter: Counter = Counter()

    def counted(module, name, key):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            counter[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counted(readers, "read_input", "read_input")
    counted(molaudit.api, "read_input", "api.read_input")
    counted(columns, "choose_columns", "choose_columns")
    counted(columns, "detect_id", "detect_id")
    counted(columns, "infer_units", "infer_units")
    counted(readers, "hash_structures", "hash_structures")
    counted(readers, "read_delimited", "read_delimited")
    counted(readers, "read_sdf", "read_sdf")
    return counter


@pytest.mark.parametrize("kind", ["csv", "sdf", "frame", "list"])
def test_each_step_runs_once_per_batch(tmp_path, calls, kind) -> None:
    data = _write_inputs(tmp_path)[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = molaudit.audit(data, n_jobs=1, cache=False, progress=False, analytics=False)
    assert len(batch.table) == 3
    assert calls["api.read_input"] == 1
    assert calls["choose_columns"] == 1  # every column decision in one call
    assert calls["detect_id"] == 1  # no ID column named: detected once, never again
    assert calls["infer_units"] == 1  # units decided inside the column step, not by the api
    assert calls["hash_structures"] == 1  # the content digest is computed once
    assert calls["read_delimited"] == (kind == "csv")
    assert calls["read_sdf"] == (kind == "sdf")


@pytest.mark.parametrize("kind", ["csv", "sdf", "frame"])
def test_columns_and_units_are_chosen_with_the_read(tmp_path, kind) -> None:
    data = _write_inputs(tmp_path)[kind]
    table = read_input(data)
    # SD files carry the name in the title line ('_Name'); the others in 'compound_id'
    assert table.id_col == ("_Name" if kind == "sdf" else "compound_id")
    assert table.activity_col == "IC50_nM"
    assert table.activity_units == "nM"  # from the column name
    assert table.digest is not None and table.digest == table.content_digest()
    assert f"ID column {table.id_col!r} (detected)" in table.notes
    assert read_input(data, activity_units="uM").activity_units == "uM"  # given units win


def test_the_batch_keeps_the_units_of_the_read(tmp_path) -> None:
    data = _write_inputs(tmp_path)["csv"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = molaudit.audit(data, n_jobs=1, cache=False, progress=False, analytics=False)
    assert batch.activity_units == "nM"
    assert batch.table["activity"].tolist() == [12.0, 3400.0, 5.0]
    assert batch.table["id"].tolist() == ["ethanol", "phenol", "ethylamine"]


def test_a_list_of_mols_honours_named_columns() -> None:
    mols = [Chem.MolFromSmiles(s) for s in ("CCO", "CCN")]
    for mol, (code, value) in zip(mols, [("A1", "5.5"), ("A2", "6.5")], strict=True):
        mol.SetProp("code", code)
        mol.SetProp("pIC50", value)
    table = read_input(mols, id_col="code")
    assert (table.kind, table.id_col, table.activity_col) == ("molblock", "code", "pIC50")
    assert table.activity_units == "pX"
    with pytest.raises(ColumnNotFoundError, match="ID column 'cod' not found; did you mean"):
        read_input(mols, id_col="cod")


def test_named_columns_win_and_only_detected_ones_get_a_note() -> None:
    # 'id' and 'pIC50' are what detection would pick; the user names other columns
    frame = pd.DataFrame({"smi": ["CCO"], "id": ["x"], "code": ["c1"], "pIC50": ["5"],
                          "Ki_nM": ["8"]})  # fmt: skip
    detected = columns.choose_columns(frame)
    assert (detected.smiles, detected.id, detected.activity) == ("smi", "id", "pIC50")
    assert detected.notes == (
        "SMILES column 'smi' (detected)",
        "ID column 'id' (detected)",
        "activity column 'pIC50' (detected)",
    )
    named = columns.choose_columns(frame, smiles_col="smi", id_col="code", activity_col="Ki_nM")
    assert (named.id, named.activity, named.activity_units, named.notes) == (
        "code",
        "Ki_nM",
        "nM",
        (),
    )
    table = read_input(frame, id_col="code")
    assert (table.id_col, table.structures) == ("code", ["CCO"])
