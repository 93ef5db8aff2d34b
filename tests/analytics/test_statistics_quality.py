"""The quality score against values worked out by hand from its documented definition."""

from __future__ import annotations

import math

import pytest

import molaudit


def test_quality_components_on_a_hand_checked_batch(quiet):
    smiles = ["c1ccccc1O", "c1ccccc1N", "C1CCCCC1", "c1ccccc1O", "not a smiles"]
    batch = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False)
    stats = batch.statistics()
    got = dict(zip(stats["quality"]["component"], stats["quality"]["value"], strict=True))
    # 5 rows, 1 unparsable: validity 4/5
    assert got["validity"] == pytest.approx(80.0)
    # valid rows phenol, aniline, cyclohexane, phenol again: 3 distinct of 4
    assert got["uniqueness"] == pytest.approx(75.0)
    # Murcko scaffolds: benzene x3 (phenol twice, aniline), cyclohexane x1 -> 2 scaffolds.
    # 50 * min(1, 2 * 2 / 4) = 50; entropy of (3/4, 1/4) in bits = 0.811278, / log2(2) = 1.
    entropy = -(0.75 * math.log2(0.75) + 0.25 * math.log2(0.25))
    assert got["diversity"] == pytest.approx(50.0 + 50.0 * entropy, abs=0.005)
    # all four are tiny: 0 Lipinski violations, Veber pass
    assert got["drug_likeness"] == pytest.approx(100.0)
    # the structure component is the mean per-molecule audit score of the valid rows
    valid_scores = batch.table.loc[batch.table["status"] != "error", "score"]
    assert got["structure"] == pytest.approx(valid_scores.mean(), abs=0.005)
    expected = (
        0.30 * 80.0 + 0.15 * 75.0 + 0.20 * (50.0 + 50.0 * entropy) + 0.15 * 100.0
        + 0.20 * valid_scores.mean()
    )
    assert stats.summary["quality_score"] == pytest.approx(expected, abs=0.01)
