"""LLE / LE: hand-computed values, units, empty inputs; one run through molaudit.audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Crippen

import molaudit
from molaudit.analytics import AnalyticInput
from molaudit.analytics.lle import lle


def _input(smiles, activity, units=None, activity_col="potency") -> AnalyticInput:
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    table = pd.DataFrame(
        {
            "row": np.arange(len(smiles), dtype=np.int64) + 5,
            "id": [f"x{k}" for k in range(len(smiles))],
            "activity": np.asarray(activity, dtype=float),
            "status": ["ok" if m is not None else "error" for m in mols],
            "smiles": [Chem.MolToSmiles(m) if m is not None else None for m in mols],
            # an independent oracle: Crippen logP and heavy atoms straight from RDKit
            "clogp": [Crippen.MolLogP(m) if m is not None else np.nan for m in mols],
            "heavy_atoms": [m.GetNumHeavyAtoms() if m is not None else np.nan for m in mols],
        }
    )
    return AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
        activity_col=activity_col,
        id_col="id",
        n_jobs=1,
        backend="sequential",
        activity_units=units,
    )


def test_lle_and_le_by_hand() -> None:
    smiles = ["c1ccccc1O", "CCO", "not smiles"]
    data = _input(smiles, [10.0, 1000.0, 5.0], units="nM")
    res = lle(data)
    frame = res["lle"]
    assert frame["row"].tolist() == [5, 6]  # the error row is left out
    phenol = Chem.MolFromSmiles("c1ccccc1O")
    logp = Crippen.MolLogP(phenol)
    assert frame["p_activity"].tolist() == pytest.approx([8.0, 6.0])
    assert frame["lle"].iloc[0] == pytest.approx(8.0 - logp)
    assert frame["le"].iloc[0] == pytest.approx(1.37 * 8.0 / 7)
    assert res.summary["activity_units"] == "nM"
    assert "1.37" in res.summary["le_formula"]
    assert res.message is None


def test_units_change_the_answer_as_they_should() -> None:
    # the same potency as 10 nM, 0.01 µM, pIC50 8 and MoleculeACE's y = -1 gives one LLE
    expected = None
    for value, units in ((10.0, "nM"), (0.01, "uM"), (8.0, "pX"), (-1.0, "neg_log_nM")):
        got = lle(_input(["CCO"], [value], units=units))["lle"]["lle"].iloc[0]
        expected = got if expected is None else expected
        assert got == pytest.approx(expected)
    assert expected == pytest.approx(8.0 - Crippen.MolLogP(Chem.MolFromSmiles("CCO")))


def test_inferred_units_are_loud_and_le_optional() -> None:
    res = lle(_input(["CCO", "CCN"], [6.2, 7.9]), le=False)
    assert "ACTIVITY UNITS NOT GIVEN" in res.message
    assert res.summary["activity_units"] == "pX"
    assert "le" not in res["lle"].columns


def test_empty_missing_and_bad() -> None:
    assert lle(_input([], [])).message == "empty batch: no molecules"
    none = _input(["CCO"], [np.nan], activity_col=None)
    assert lle(none).message == "no activity column: LLE needs one"
    mixed = lle(_input(["CCO", "CCN"], [-1.0, 3.0]))
    assert "activity_units could not be inferred" in mixed.message
    with pytest.raises(ValueError, match=r"'le' parameter of lle must be True or False; got 'yes'"):
        lle(_input(["CCO"], [1.0]), le="yes")


def test_through_audit() -> None:
    frame = pd.DataFrame(
        {
            "smiles": ["Cc1ccccc1", "c1ccccc1", "Clc1ccccc1", "OC(=O)Cc1ccccc1", "C1CC1(", "CCO"],
            "ic50_nM": [100.0, 10.0, 1000.0, 50.0, 5.0, 20.0],
        }
    )
    with pytest.warns(Warning, match="1 of 6 records failed"):
        batch = molaudit.audit(
            frame,
            smiles_col="smiles",
            activity_col="ic50_nM",
            activity_units="nM",
            n_jobs=1,
            cache=False,
            progress=False,
        )
    res = batch.lle()
    assert res["lle"]["row"].tolist() == [0, 1, 2, 3, 5]
    assert res["lle"]["p_activity"].iloc[1] == pytest.approx(8.0)
    pairs = batch.mmp()["pairs"]
    tol = pairs[(pairs["row_1"] == 0) & (pairs["row_2"] == 1)]
    assert tol["transform"].tolist() == ["[*:1]C>>[*:1][H]"]
    assert tol["delta"].iloc[0] == pytest.approx(1.0)
    assert batch.mmp()["skipped"]["row"].tolist() == [4]
    sali = batch.activity_cliffs("sali", threshold=0.1)
    assert len(sali["pairs"]) > 0
    assert set(sali["pairs"]["row_1"]).union(sali["pairs"]["row_2"]) <= {0, 1, 2, 3, 5}
