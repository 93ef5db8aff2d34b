"""Activity units are resolved in one place and never silently invert potency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import molaudit
from molaudit.analytics.units import infer_units, to_p_activity, units_from_column
from molaudit.ingest.columns import infer_units as infer_from_name

# MoleculeACE CHEMBL231_Ki rows (exp_mean [nM], y): y = -log10(exp_mean), i.e. pKi - 9
ACE = pd.DataFrame(
    {
        "smiles": [
            "CN1CCN(C2=Nc3ccccc3Nc3sc(CO)cc32)CC1",
            "Cc1ccc(C(=O)N2CCN(C)CC2)cc1",
            "CN1CCN(C2=Nc3cc(Cl)ccc3Nc3ccccc32)CC1",
            "c1ccc2c(c1)CCN(C1CCCCC1)C2",
        ],
        "exp_mean [nM]": [6.0, 250.0, 12.0, 3000.0],
    }
)
ACE["y"] = -np.log10(ACE["exp_mean [nM]"])


def test_moleculeace_y_is_recognised_by_its_name():
    assert units_from_column("y", ACE.columns) == "neg_log_nM"
    assert infer_from_name("y", list(ACE.columns)) == "neg_log_nM"  # the audit's entry point
    assert units_from_column("y", ["smiles"]) is None  # a bare 'y' says nothing
    assert units_from_column("exp_mean [nM]") == "nM"
    assert units_from_column("pIC50") == "pX"


def test_y_converts_to_the_same_pki_as_the_nm_column():
    # oracle: pKi = 9 - log10(Ki / nM), computed from the nM column directly
    expected = 9.0 - np.log10(ACE["exp_mean [nM]"].to_numpy())
    from_y = to_p_activity(ACE["y"].to_numpy(), "neg_log_nM").p_activity
    from_nm = to_p_activity(ACE["exp_mean [nM]"].to_numpy(), "nM").p_activity
    np.testing.assert_allclose(from_y, expected)
    np.testing.assert_allclose(from_nm, expected)


def test_all_negative_values_are_ambiguous_not_log_molar():
    units, reason = infer_units(ACE["y"].to_numpy())
    assert units is None
    assert "neg_log_nM" in reason and "'log'" in reason
    with pytest.raises(ValueError, match="pass activity_units="):
        to_p_activity(ACE["y"].to_numpy(), None)
    assert infer_units(np.array([-9.0, -5.0, 0.0]))[0] is None
    assert infer_units(np.array([-20.0, -1.0]))[0] is None  # fits no scale
    assert infer_units(np.array([5.0, 7.5]))[0] == "pX"
    assert infer_units(np.array([20.0, 3000.0]))[0] == "nM"


def _audit(frame: pd.DataFrame, **kw) -> molaudit.Batch:
    return molaudit.audit(frame, n_jobs=1, cache=False, progress=False, **kw)


def test_audit_of_y_column_gives_the_right_lle(quiet):
    batch = _audit(ACE, activity_col="y")
    assert batch.activity_units == "neg_log_nM"
    frame = batch.analytics.run("lle")["lle"].sort_values("row")
    expected = 9.0 - np.log10(ACE["exp_mean [nM]"].to_numpy()) - batch.table["clogp"].to_numpy()
    np.testing.assert_allclose(frame["lle"].to_numpy(), expected)


def test_ambiguous_units_give_empty_activity_results_asking_for_units(quiet):
    frame = ACE.rename(columns={"y": "value"}).drop(columns=["exp_mean [nM]"])
    batch = _audit(frame, activity_col="value")
    assert batch.activity_units is None
    for name in ("lle", "activity_cliffs"):
        result = batch.analytics.run(name)
        assert "activity_units" in result.message and "neg_log_nM" in result.message
        assert all(len(f) == 0 for f in result.frames.values())
    lle = _audit(frame, activity_col="value", activity_units="neg_log_nM").analytics.run("lle")
    assert len(lle["lle"]) == len(frame)
