"""Activity cliffs: MoleculeACE flags reproduced, SALI arithmetic, similarity search oracles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molaudit.analytics import AnalyticInput
from molaudit.analytics.cliffs import (
    _levenshtein_pairs,
    activity_cliffs,
    moleculeace_cliffs,
    similar_pairs,
)
from molaudit.analytics.units import to_p_activity
from molaudit.molecule.fingerprints import morgan_packed

DATA = Path(__file__).resolve().parents[1] / "data" / "cliffs"


def _input(smiles, activity, *, rows=None, raw=None, units=None, fps=None) -> AnalyticInput:
    rows = list(range(len(smiles))) if rows is None else rows
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    table = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "id": [f"c{r}" for r in rows],
            "activity": np.asarray(activity, dtype=float),
            "status": ["ok" if m is not None else "error" for m in mols],
            "smiles": [Chem.MolToSmiles(m) if m is not None else None for m in mols],
            "std_smiles": [Chem.MolToSmiles(m) if m is not None else None for m in mols],
        }
    )
    if raw is not None:
        table["smiles_input"] = raw
    valid = [k for k, m in enumerate(mols) if m is not None]
    if fps is None:
        fps = np.stack([morgan_packed(mols[k]) for k in valid])
    return AnalyticInput(
        table=table,
        fingerprints=fps,
        fingerprint_rows=np.asarray([rows[k] for k in valid], dtype=np.int64),
        activity_col="potency",
        id_col="id",
        n_jobs=1,
        backend="sequential",
        activity_units=units,
    )


@pytest.mark.parametrize("name", ["CHEMBL2835_Ki", "CHEMBL2047_EC50"])
def test_moleculeace_flags_identical_to_shipped(name: str) -> None:
    df = pd.read_csv(DATA / f"{name}.csv")
    cliff, pairs = moleculeace_cliffs(df["smiles"].tolist(), df["exp_mean [nM]"].to_numpy())
    assert cliff.tolist() == df["cliff_mol"].tolist()
    assert (pairs["fold_change"] > 10).all()
    fired = pairs[["by_tanimoto", "by_scaffold", "by_levenshtein"]].any(axis=1)
    assert fired.all()


def test_moleculeace_through_the_analytic_with_raw_strings() -> None:
    df = pd.read_csv(DATA / "CHEMBL2835_Ki.csv")
    rows = list(range(100, 100 + len(df)))
    data = _input(df["smiles"].tolist(), df["exp_mean [nM]"], rows=rows, raw=df["smiles"].tolist())
    res = activity_cliffs(data, definition="moleculeace", activity_units="nM")
    mol = res["molecules"]
    assert mol["row"].tolist() == rows
    assert mol["cliff_mol"].tolist() == df["cliff_mol"].tolist()
    assert res.summary["smiles_column"] == "smiles_input"
    assert res.message is None
    pairs = res["pairs"]
    assert set(pairs["row_1"]).union(pairs["row_2"]) == set(mol.loc[mol["cliff_mol"] == 1, "row"])
    # the same set given as p-values (MoleculeACE's y = -log10 nM) finds the same cliffs,
    # except pairs whose fold change is 10 within rounding of the logarithm
    as_p = _input(df["smiles"].tolist(), df["y"], raw=df["smiles"].tolist())
    res_p = activity_cliffs(as_p, activity_units="neg_log_nM")
    agree = (res_p["molecules"]["cliff_mol"].to_numpy() == df["cliff_mol"].to_numpy()).mean()
    assert agree > 0.99


def test_sali_arithmetic() -> None:
    # fingerprints by hand: A = {0, 1}, B = {0} -> Tanimoto 1/2; C = D -> Tanimoto 1
    fps = np.zeros((4, 256), dtype=np.uint8)
    fps[0, 0] = 0b11000000
    fps[1, 0] = 0b10000000
    fps[2, 1] = 0b00110000
    fps[3, 1] = 0b00110000
    data = _input(["C", "CC", "CCC", "CCCC"], [5.0, 8.0, 6.0, 7.5], units="pX", fps=fps)
    res = activity_cliffs(data, definition="sali", threshold=0.5)
    pairs = res["pairs"]
    assert len(pairs) == 1
    row = pairs.iloc[0]
    assert (row["row_1"], row["row_2"]) == (0, 1)
    assert row["similarity"] == pytest.approx(0.5)
    assert row["delta_p"] == pytest.approx(3.0)
    assert row["sali"] == pytest.approx(6.0)
    assert row["rank"] == 1
    same = res["same_fingerprint"]
    assert same[["row_1", "row_2"]].values.tolist() == [[2, 3]]
    assert same["delta_p"].iloc[0] == pytest.approx(1.5)
    # cut-offs
    assert len(activity_cliffs(data, definition="sali", threshold=0.5, min_sali=6.5)["pairs"]) == 0
    assert len(activity_cliffs(data, definition="sali", threshold=0.6)["pairs"]) == 0


def test_sali_units_converted_to_p_activity() -> None:
    fps = np.zeros((2, 256), dtype=np.uint8)
    fps[0, 0] = 0b11000000
    fps[1, 0] = 0b10000000
    data = _input(["C", "CC"], [10.0, 10_000.0], units="nM", fps=fps)
    row = activity_cliffs(data, definition="sali", threshold=0.5)["pairs"].iloc[0]
    assert row["p_activity_1"] == pytest.approx(8.0)
    assert row["p_activity_2"] == pytest.approx(5.0)
    assert row["sali"] == pytest.approx(6.0)
    data_um = _input(["C", "CC"], [0.01, 10.0], units="uM", fps=fps)
    row_um = activity_cliffs(data_um, definition="sali", threshold=0.5)["pairs"].iloc[0]
    assert row_um["sali"] == pytest.approx(6.0)


def test_similar_pairs_matches_rdkit_brute_force() -> None:
    df = pd.read_csv(DATA / "CHEMBL2047_EC50.csv").head(250)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in df["smiles"]]
    bvs = [gen.GetFingerprint(m) for m in mols]
    packed = np.packbits(np.array([gen.GetFingerprintAsNumPy(m) for m in mols]), axis=1)
    for threshold in (0.9, 0.7, 0.4):
        i, j, sim = similar_pairs(packed, threshold, block=64)
        ours = {(a, b): s for a, b, s in zip(i.tolist(), j.tolist(), sim.tolist(), strict=True)}
        expected = {}
        for a in range(len(bvs)):
            sims = DataStructs.BulkTanimotoSimilarity(bvs[a], bvs[a + 1 :])
            for k, s in enumerate(sims):
                if s >= threshold:
                    expected[(a, a + 1 + k)] = s
        assert ours.keys() == expected.keys()
        assert all(ours[k] == expected[k] for k in expected)


def _rdkit_pairs(bvs: list, threshold: float) -> dict[tuple[int, int], float]:
    """The oracle: every pair i < j with RDKit Tanimoto >= threshold, {(i, j): similarity}."""
    return {
        (a, a + 1 + k): s
        for a in range(len(bvs))
        for k, s in enumerate(DataStructs.BulkTanimotoSimilarity(bvs[a], bvs[a + 1 :]))
        if s >= threshold
    }


def test_engine_pairs_and_pair_similarities_match_rdkit_on_1024_bits() -> None:
    """The cliff path's engine calls (threaded pairs, similarity_of) against plain RDKit."""
    from molaudit.analytics.similarity.index import FingerprintIndex

    smiles = pd.read_csv(DATA / "CHEMBL2835_Ki.csv")["smiles"].head(400)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    index = FingerprintIndex(np.packbits([list(bv) for bv in bvs], axis=1))
    expected = _rdkit_pairs(bvs, 0.8)
    i, j, sim = index.pairs(0.8, n_jobs=2)
    assert dict(zip(zip(i.tolist(), j.tolist(), strict=True), sim.tolist(), strict=True)) == (
        expected
    )
    assert len(expected) > 50
    # similarity_of on arbitrary pairs, both orders, including a molecule with itself
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, len(bvs), 300), rng.integers(0, len(bvs), 300)
    a[0] = b[0] = 7
    ours = index.similarity_of(a, b)
    theirs = [DataStructs.TanimotoSimilarity(bvs[x], bvs[y]) for x, y in zip(a, b, strict=True)]
    assert ours.tolist() == theirs
    assert ours[0] == 1.0


def test_levenshtein_pairs_match_brute_force() -> None:
    from rapidfuzz.distance import Levenshtein

    strings = pd.read_csv(DATA / "CHEMBL2835_Ki.csv")["smiles"].head(200).tolist()
    i, j, _ = _levenshtein_pairs(strings, 0.9, 1, block=32)
    ours = set(zip(i.tolist(), j.tolist(), strict=True))
    expected = {
        (a, b)
        for a in range(len(strings))
        for b in range(a + 1, len(strings))
        if 1 - Levenshtein.distance(strings[a], strings[b]) / max(len(strings[a]), len(strings[b]))
        >= 0.9
    }
    assert ours == expected
    assert len(expected) > 0


def test_mmp_definition_and_bad_parameters() -> None:
    data = _input(["Cc1ccccc1", "c1ccccc1", "Clc1ccccc1"], [5.0, 7.5, 5.5], units="pX")
    res = activity_cliffs(data, definition="mmp")
    pairs = res["pairs"]
    assert len(pairs) == 2  # toluene/benzene (2.5) and chlorobenzene/benzene (2.0)
    assert pairs["delta"].abs().tolist() == pytest.approx([2.5, 2.0])
    assert len(activity_cliffs(data, definition="mmp", min_delta=2.2)["pairs"]) == 1
    with pytest.raises(ValueError, match=r"'definition' parameter of activity_cliffs must be"):
        activity_cliffs(data, definition="fancy")
    with pytest.raises(ValueError, match=r"'threshold' .* a float in \(0, 1\]; got 1.5"):
        activity_cliffs(data, definition="sali", threshold=1.5)
    with pytest.raises(ValueError, match="activity_units must be one of"):
        activity_cliffs(data, activity_units="furlongs")


def test_no_activity_and_inferred_units() -> None:
    data = _input(["CC", "CCO"], [np.nan, np.nan])
    data = AnalyticInput(**{**data.__dict__, "activity_col": None})
    res = activity_cliffs(data)
    assert res.message == "no activity column: activity cliffs need one"
    inferred = _input(["Cc1ccccc1", "c1ccccc1"], [1000.0, 1.0])
    res = activity_cliffs(inferred, definition="sali", threshold=0.1)
    assert "ACTIVITY UNITS NOT GIVEN" in res.message
    assert res.summary["activity_units"] == "nM"


def test_units_helper() -> None:
    scale = to_p_activity([10.0, 1000.0, -1.0], "nM")
    assert scale.p_activity[:2] == pytest.approx([8.0, 6.0])
    assert np.isnan(scale.p_activity[2])
    assert to_p_activity([-2.0], "neg_log_nM").p_activity[0] == pytest.approx(7.0)
    assert to_p_activity([-7.0], "log").p_activity[0] == pytest.approx(7.0)
    assert to_p_activity([6.5], "pIC50").units == "pX"
    assert to_p_activity([1.0], "µM").p_activity[0] == pytest.approx(6.0)
    assert to_p_activity([6.5, 7.1], None).units == "pX"
    with pytest.raises(ValueError, match="activity_units could not be inferred"):
        to_p_activity([-1.0, 2.0], None)
