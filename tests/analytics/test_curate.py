"""Curation: planted replicates with hand-computed medians, counts and decisions; the recipe.

pActivity of a concentration in nM is ``9 - log10(nM)``: 10 nM -> 8, 20 nM -> 7.69897,
50 nM -> 7.30103, 100 nM -> 7, 1 nM -> 9, 10,000 nM -> 5. Every expected value below is
written out from those numbers, not computed by the code under test.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

import molaudit
from molaudit.analytics import REGISTRY
from molaudit.analytics.curate import CURATED_COLUMNS, DECISION_COLUMNS, STEREO_COLUMNS, stereo_free

LOG2 = math.log10(2.0)  # 20 nM = 10 nM * 2
LOG5 = math.log10(5.0)

PLANTED = pd.DataFrame(
    [
        # ibuprofen three times, once as its sodium salt: one compound at the salt level
        ("CC(C)Cc1ccc(cc1)C(C)C(=O)O", "A1", "10"),  # row 0: p 8
        ("CC(C)Cc1ccc(cc1)C(C)C(=O)[O-].[Na+]", "A2", "20"),  # row 1: p 9 - log10(20)
        ("OC(=O)C(C)c1ccc(CC(C)C)cc1", "A3", "50"),  # row 2: p 9 - log10(50)
        # triethylamine measured 1 nM and 10 µM: spread 4 log units > 1 -> contradictory
        ("CCN(CC)CC", "B1", "1"),  # row 3: p 9
        ("CCN(CC)CC", "B2", "10000"),  # row 4: p 5
        # pyridine: one exact value and one censored '>1000' (p < 6): never averaged
        ("c1ccncc1", "C1", "100"),  # row 5: p 7
        ("c1ccncc1", "C2", ">1000"),  # row 6: censored
        # paracetamol: censored only
        ("CC(=O)Nc1ccc(O)cc1", "D1", ">10000"),  # row 7
        # cyclohexane: no value at all
        ("C1CCCCC1", "E1", ""),  # row 8
        # not a molecule (unclosed ring)
        ("C1CC", "F1", "5"),  # row 9: error row
        # 1-phenylethanol enantiomers 1 nM vs 10 µM: a stereo cliff (4 > 1), not merged
        ("C[C@H](O)c1ccccc1", "G1", "1"),  # row 10: p 9
        ("C[C@@H](O)c1ccccc1", "G2", "10000"),  # row 11: p 5
        # butan-2-amine enantiomers 10 vs 20 nM: 0.30 apart, no cliff
        ("C[C@H](N)CC", "H1", "10"),  # row 12: p 8
        ("C[C@@H](N)CC", "H2", "20"),  # row 13: p 7.69897
    ],
    columns=["smiles", "id", "Ki_nM"],
)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> molaudit.Batch:
    with pytest.warns(molaudit.MolauditWarning, match="failed"):
        return molaudit.audit(
            PLANTED,
            activity_col="Ki_nM",
            activity_units="nM",
            n_jobs=1,
            cache_dir=tmp_path_factory.mktemp("cache"),
            progress=False,
        )


def _by_row(frame: pd.DataFrame) -> dict[int, dict]:
    return {int(r["row"]): r for r in frame.to_dict("records")}


def test_registered_with_declared_params_and_frames() -> None:
    spec = REGISTRY["curate"]
    assert [p.name for p in spec.params] == ["level", "aggregate", "max_spread", "activity_units"]
    assert spec.frames == {
        "curated": CURATED_COLUMNS,
        "decisions": DECISION_COLUMNS,
        "stereo_cliffs": STEREO_COLUMNS,
    }


def test_planted_replicates_curated_by_hand(batch: molaudit.Batch) -> None:
    res = batch.curate()
    cur = _by_row(res["curated"])
    # 14 rows -> compounds: A(0,1,2) B(3,4) C(5,6) D7 E8 G10 G11 H12 H13 + error row 9
    assert sorted(cur) == [0, 3, 5, 7, 8, 9, 10, 11, 12, 13]
    a = cur[0]
    assert a["rows"] == [0, 1, 2] and a["id"] == "A1"
    assert a["n_measurements"] == 3
    assert a["activity"] == pytest.approx(9 - math.log10(20))  # median of 8, 7.699, 7.301
    assert a["activity_min"] == pytest.approx(9 - math.log10(50))
    assert a["activity_max"] == pytest.approx(8.0)
    # sample std of (8, 8 - log2, 8 - log5)
    assert a["activity_std"] == pytest.approx(np.std([8, 8 - LOG2, 8 - LOG5], ddof=1))
    assert a["decision"] == "kept"
    assert a["std_smiles"] == Chem.MolToSmiles(Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O"))

    b = cur[3]
    assert b["decision"] == "contradictory" and b["rows"] == [3, 4]
    assert b["activity"] == pytest.approx(7.0)  # median of 9 and 5, reported but not kept
    assert "4.00 > max_spread 1" in b["reason"]

    c = cur[5]
    # the censored '>1000' stays out: the activity is the exact 100 nM alone (not 6.5)
    assert c["decision"] == "kept" and c["n_measurements"] == 1 and c["n_censored"] == 1
    assert c["activity"] == pytest.approx(7.0)

    assert cur[7]["decision"] == "censored only" and math.isnan(cur[7]["activity"])
    assert cur[8]["decision"] == "no activity"
    assert cur[9]["decision"] == "error" and cur[9]["rows"] == [9]
    # enantiomers stay apart (different parents), both flagged as a stereo cliff
    assert cur[10]["decision"] == cur[11]["decision"] == "stereo cliff"
    assert cur[10]["activity"] == pytest.approx(9.0) and cur[11]["activity"] == pytest.approx(5.0)
    assert cur[12]["decision"] == cur[13]["decision"] == "kept"  # 0.30 apart, no cliff
    assert res.summary["decisions"] == {
        "kept": 4,  # A, C, H12, H13
        "contradictory": 1,  # B
        "stereo cliff": 2,  # G10, G11
        "censored only": 1,  # D
        "no activity": 1,  # E
        "error": 1,  # F
    }
    assert res.summary["n_compounds"] == 9 and res.summary["n_kept"] == 4
    assert res.summary["activity_units"] == "nM"


def test_every_input_row_has_a_decision(batch: molaudit.Batch) -> None:
    dec = _by_row(batch.curate()["decisions"])
    assert sorted(dec) == list(range(len(PLANTED)))
    actions = {r: d["action"] for r, d in dec.items()}
    assert actions == {
        0: "kept", 1: "merged", 2: "merged",  # A: row 0 represents, 1 and 2 aggregated
        3: "flagged", 4: "flagged",  # B contradictory
        5: "kept", 6: "set aside",  # C: the censored value is set aside
        7: "dropped", 8: "dropped", 9: "dropped",  # censored only, no activity, error
        10: "flagged", 11: "flagged",  # G stereo cliff
        12: "kept", 13: "kept",  # H: two compounds
    }  # fmt: skip
    assert dec[1]["group"] == 0 and "aggregated into row 0" in dec[1]["reason"]
    # '>1000 nM' is pActivity < 6: the direction flips on the p-scale
    assert "pActivity < 6.00" in dec[6]["reason"]
    assert dec[9]["reason"].startswith("error row (")


def test_stereo_cliffs_frame(batch: molaudit.Batch) -> None:
    cliffs = batch.curate()["stereo_cliffs"]
    assert len(cliffs) == 1
    rec = cliffs.iloc[0]
    assert rec["stereo_key"] == Chem.MolToSmiles(Chem.MolFromSmiles("CC(O)c1ccccc1"))
    assert rec["rows"] == [10, 11] and rec["n_isomers"] == 2
    assert rec["spread"] == pytest.approx(4.0)
    # a larger max_spread: no cliff, both enantiomers kept
    wide = batch.curate(max_spread=5.0)
    assert wide["stereo_cliffs"].empty
    assert wide.summary["decisions"]["stereo cliff"] == 0
    assert wide.summary["decisions"]["contradictory"] == 0  # B's spread 4 <= 5 too


def test_mean_and_levels(batch: molaudit.Batch) -> None:
    mean = _by_row(batch.curate(aggregate="mean")["curated"])
    assert mean[0]["activity"] == pytest.approx((8 + (8 - LOG2) + (8 - LOG5)) / 3)
    # exact level: the sodium salt (row 1) is its own compound; rows 0 and 2 are one SMILES
    exact = _by_row(batch.curate(level="exact")["curated"])
    assert exact[0]["rows"] == [0, 2] and exact[1]["rows"] == [1]
    assert exact[0]["activity"] == pytest.approx((8 + 8 - LOG5) / 2)
    # stereo level merges the enantiomers: 9 and 5 -> contradictory, not a cliff
    stereo = _by_row(batch.curate(level="stereo")["curated"])
    assert stereo[10]["rows"] == [10, 11] and stereo[10]["decision"] == "contradictory"
    assert stereo[12]["rows"] == [12, 13] and stereo[12]["decision"] == "kept"
    # parent level (dedup's cumulative salt level): salt form and stereo both forgotten
    parent = _by_row(batch.curate(level="parent")["curated"])
    assert parent[0]["rows"] == [0, 1, 2] and parent[10]["rows"] == [10, 11]


def test_bad_parameters_are_refused(batch: molaudit.Batch) -> None:
    with pytest.raises(ValueError, match="level"):
        batch.curate(level="molecule")
    with pytest.raises(ValueError, match="aggregate"):
        batch.curate(aggregate="max")


def test_recipe_round_trip_gives_an_identical_table(batch: molaudit.Batch, tmp_path) -> None:
    first = batch.curate(max_spread=0.5)
    recipe = first.summary["recipe"]
    assert recipe["columns"] == {"smiles": "smiles", "id": "id", "activity": "Ki_nM"}
    assert recipe["max_spread"] == 0.5 and recipe["activity_units"] == "nM"
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    # "another machine": the raw table again, audited afresh without any cache
    with pytest.warns(molaudit.MolauditWarning, match="failed"):
        again = molaudit.curate(PLANTED.copy(), recipe=path, n_jobs=1, cache=False)
    for frame in ("curated", "decisions", "stereo_cliffs"):
        pd.testing.assert_frame_equal(again[frame], first[frame])
    with pytest.raises(ValueError, match="contradicts the recipe"):
        molaudit.curate(batch, recipe=recipe, max_spread=2.0)
    with pytest.raises(ValueError, match="not a molaudit curation recipe"):
        molaudit.curate(batch, recipe={"level": "salt"})


def test_cached_result_keeps_lists(batch: molaudit.Batch) -> None:
    first = batch.curate(level="tautomer")
    batch.analytics._memory.clear()  # force the read from the disk cache
    again = batch.curate(level="tautomer")
    assert again is not first
    assert again["curated"]["rows"].tolist() == first["curated"]["rows"].tolist()
    assert isinstance(again["curated"]["rows"].iloc[0], list)


def test_no_activity_batch_is_deduplicated_only() -> None:
    b = molaudit.audit(
        ["NCc1cccc2ccccc12", "NCc1cccc2ccccc12.Cl", "c1ccccc1"],
        n_jobs=1,
        cache=False,
        progress=False,
    )
    res = b.curate()
    assert res["curated"]["rows"].tolist() == [[0, 1], [2]]
    assert set(res["curated"]["decision"]) == {"kept"}
    assert res["decisions"]["action"].tolist() == ["kept", "merged", "kept"]


def test_stereo_free_against_rdkit() -> None:
    smiles = pd.Series(["C[C@H](O)c1ccccc1", "C/C=C/C", "CCO"])
    expected = []
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        Chem.RemoveStereochemistry(mol)
        expected.append(Chem.MolToSmiles(mol))
    assert stereo_free(smiles).tolist() == expected == ["CC(O)c1ccccc1", "CC=CC", "CCO"]


def test_curate_view_draws_contradictions_and_escapes() -> None:
    from molaudit.notebook.views import ViewContext, render_html

    frame = pd.DataFrame(
        {"smiles": ["CCN(CC)CC", "CCN(CC)CC"], "id": ["<b>evil</b>", "ok"], "Ki_nM": [1, 10000]}
    )
    b = molaudit.audit(frame, activity_col="Ki_nM", activity_units="nM", n_jobs=1, cache=False,
                       progress=False)  # fmt: skip
    res = b.curate()
    assert res.summary["decisions"]["contradictory"] == 1  # p 9 vs 5
    page = render_html("curate", res, ViewContext.of(b))
    assert "Contradictory compounds: 1" in page
    assert page.count("<img") >= 2  # both measurements drawn
    assert "&lt;b&gt;evil&lt;/b&gt;" in page and "<b>evil</b>" not in page
