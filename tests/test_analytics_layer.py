"""The analytics layer, deduplication and statistics against hand-checked oracles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import molaudit
from molaudit.analytics import REGISTRY, AnalyticInput, AnalyticResult, register
from molaudit.analytics.statistics import iqr_outliers, shannon_entropy


def audit(data, **kw):
    kw.setdefault("n_jobs", 1)
    kw.setdefault("progress", False)
    kw.setdefault("cache", False)
    return molaudit.audit(data, **kw)


PAIRS = {
    "tautomer": [("CC(=O)C", "C=C(O)C"), ("O=c1cccc[nH]1", "Oc1ccccn1")],
    "stereo": [("C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O"), ("C/C=C/C(=O)O", "C/C=C\\C(=O)O")],
    "salt": [("CC(=O)[O-].[Na+]", "CC(=O)O"), ("[O-]C(=O)c1ccccc1.[Na+]", "OC(=O)c1ccccc1")],
    "exact": [("OCC", "CCO")],
}


@pytest.mark.parametrize("level", list(PAIRS))
def test_dedup_levels_merge_the_right_pairs(level, quiet):
    smiles = [s for pair in PAIRS[level] for s in pair] + ["c1ccccc1", "xyz"]
    result = audit(smiles).dedup()
    rows = result["rows"]
    for i in range(0, 2 * len(PAIRS[level]), 2):
        assert rows.loc[i, f"{level}_group"] == rows.loc[i + 1, f"{level}_group"] == i
    # benzene is alone everywhere; the error row has no group and is counted
    assert not rows.loc[len(smiles) - 2, f"{level}_duplicate"]
    assert pd.isna(rows.loc[len(smiles) - 1, f"{level}_group"])
    assert result.summary["error_rows"] == 1
    if level != "exact":  # these pairs differ as input structures
        assert rows.loc[0, "exact_group"] != rows.loc[1, "exact_group"]


def test_dedup_groups_use_input_rows_and_activity_spread(quiet):
    frame = pd.DataFrame(
        {
            "smiles": ["c1ccccc1O", "CCO", "Oc1ccccc1", "OCC", "c1ccccc1O"],
            "id": ["P1", "E1", "P2", "E2", "P3"],
            "pIC50": [5.0, 6.0, 7.0, 6.5, 5.5],
        }
    )
    result = audit(frame).dedup()
    groups = result["groups_exact"].set_index("representative_id")
    # member rows are lists of ints and IDs lists of str (never ';'-joined text)
    assert groups.loc["P1", "rows"] == [0, 2, 4] and groups.loc["P1", "ids"] == ["P1", "P2", "P3"]
    assert groups.loc["P1", "count"] == 3
    assert groups.loc["P1", "activity_range"] == pytest.approx(2.0)
    assert groups.loc["P1", "activity_std"] == pytest.approx(np.std([5.0, 7.0, 5.5], ddof=1))
    assert groups.loc["E1", "rows"] == [1, 3]
    assert result.summary["exact"] == {"unique": 2, "duplicate_groups": 2, "duplicate_rows": 3}


def test_entropy_of_four_equal_scaffolds_is_two_bits():
    assert shannon_entropy([5, 5, 5, 5]) == pytest.approx(2.0)
    assert shannon_entropy([7]) == 0.0


def test_outliers_match_numpy_fences():
    values = np.array([1.0, 2, 2, 3, 3, 3, 4, 4, 5, 40, -30])
    frame = pd.DataFrame(
        {"row": np.arange(11) + 100, "id": [f"m{i}" for i in range(11)], "x": values}
    )
    q1, q3 = np.percentile(values, [25, 75])
    low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    expected = sorted((100 + i) for i in np.flatnonzero((values < low) | (values > high)))
    out = iqr_outliers(frame, ["x"])
    assert sorted(out["row"]) == expected == [109, 110]
    assert set(out["side"]) == {"high", "low"}
    assert out["lower_fence"].iloc[0] == pytest.approx(low)


def test_statistics_frames_and_quality(small_real, quiet):
    batch = audit(small_real)
    stats = batch.statistics()
    props = stats["properties"].set_index("property")
    assert props.loc["mw", "count"] == (batch.table.status != "error").sum()
    assert props.loc["mw", "median"] == pytest.approx(batch.table["mw"].median())
    assert "activity" in props.index
    assert stats["pearson"].shape[0] == stats["pearson"].shape[1] - 1
    assert 0 <= stats.summary["quality_score"] <= 100
    quality = stats["quality"]
    assert quality["weight"].sum() == pytest.approx(1.0)
    # the values themselves are checked against hand-worked figures in
    # tests/analytics/test_statistics_quality.py


def test_cheap_analytics_run_after_audit_and_are_cached(small_real, cache_dir, quiet):
    batch = audit(small_real.head(30), cache=True, cache_dir=cache_dir)
    status = batch.analytics.status().set_index("name")
    assert status.loc["dedup", "state"] == "cached" and status.loc["statistics", "kind"] == "cheap"
    again = audit(small_real.head(30), cache=True, cache_dir=cache_dir)
    assert again.run["from_batch_cache"]
    first = batch.dedup()["rows"]
    pd.testing.assert_frame_equal(again.dedup()["rows"], first)


def test_unknown_analytic_and_parameters_raise(quiet):
    batch = audit(["CCO"])
    with pytest.raises(ValueError, match="unknown analytic 'nope'"):
        batch.analytics.run("nope")
    with pytest.raises(TypeError, match="unknown parameter"):
        batch.analytics.run("statistics", bogus=1)
    with pytest.raises(
        ValueError, match=r"The 'min_pairs' parameter of statistics must be an integer >= 2; got 1"
    ):
        batch.analytics.run("statistics", min_pairs=1)


def test_missing_optional_dependency_is_listed_not_fatal(quiet):
    @register(
        "needs_missing_module",
        kind="expensive",
        description="test only",
        requires=("module_that_is_not_installed_anywhere",),
        extra="umap",
    )
    def _needs(data: AnalyticInput) -> AnalyticResult:
        raise AssertionError("must not run")

    try:
        batch = audit(["CCO", "CCN"])
        result = batch.analytics.run("needs_missing_module")
        assert "pip install 'molaudit[umap]'" in result.message and not result.frames
        status = batch.analytics.status().set_index("name")
        assert status.loc["needs_missing_module", "state"] == "unavailable"
        assert batch.dedup().summary["exact"]["unique"] == 2
    finally:
        REGISTRY.pop("needs_missing_module")


def test_empty_and_all_error_batches_give_messages(quiet):
    empty = audit(pd.DataFrame({"smiles": pd.Series([], dtype=object)}))
    assert empty.dedup().message == "empty batch"
    assert empty.statistics().message == "empty batch"
    broken = audit(["xyz", "C1CC"])
    assert "no valid molecules" in broken.dedup().message
    assert broken.statistics()["quality"]["value"].tolist()[0] == 0.0


def test_result_html_is_escaped(quiet):
    frame = pd.DataFrame({"smiles": ["CCO", "CCO"], "id": ["<script>alert(1)</script>", "b"]})
    html = audit(frame).dedup()._repr_html_()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
