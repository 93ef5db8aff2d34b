"""Approximate leader clustering against an RDKit similarity matrix and the exact leader rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fp_input import make_input
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molaudit.analytics.similarity.clustering import clusters, leader_rule_check
from molaudit.analytics.similarity.index import FingerprintIndex

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"
CUTOFF = 0.35
# switch the approximate leader on far below the production threshold (LEADER_EXACT_MAX)
SMALL = {"method": "leader", "cutoff": CUTOFF, "exact_max": 500, "graph_neighbors": 10}


@pytest.fixture(scope="module")
def ace() -> dict:
    smiles = pd.read_csv(DATA)["smiles"].tolist()
    # shuffled so that input order does not follow the analogue series; error rows shift rows
    smiles = [smiles[i] for i in np.random.default_rng(0).permutation(len(smiles))]
    data = make_input(smiles, error_every=31)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    sims = np.array([DataStructs.BulkTanimotoSimilarity(bv, bvs) for bv in bvs])
    approx = clusters(data, seed=3, **SMALL)
    exact = clusters(data, method="leader", cutoff=CUTOFF, approximate=False)
    return {"data": data, "sims": sims, "approx": approx, "exact": exact}


def _rule_first(sims: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Brute force: per position, the earliest earlier centroid within CUTOFF, else -1."""
    n = len(sims)
    first = np.full(n, -1)
    for cid, c in enumerate(centroids.tolist()):  # centroids in creation (= input) order
        later = np.arange(n) > c
        take = later & (first < 0) & (1.0 - sims[c] <= CUTOFF)
        first[take] = cid
    return first


def test_every_row_assigned_and_every_distance_exact(ace: dict) -> None:
    result, sims, data = ace["approx"], ace["sims"], ace["data"]
    frame, table = result["assignments"], result["clusters"]
    assert result.summary["approximate"] is True
    assert frame["row"].tolist() == data.fingerprint_rows.tolist()
    assert frame["cluster"].between(0, len(table) - 1).all()
    pos = {int(r): i for i, r in enumerate(data.fingerprint_rows)}
    centroid_row = table.set_index("cluster")["centroid_row"]
    for row, cid, s in frame[["row", "cluster", "similarity_to_centroid"]].itertuples(index=False):
        ref = sims[pos[row], pos[int(centroid_row[cid])]]
        assert s == ref  # bit-identical to RDKit
        assert 1.0 - s <= CUTOFF
    # the centroid is the first member in input order, clusters numbered by creation
    first_row = frame.groupby("cluster")["row"].min()
    assert first_row.to_numpy().tolist() == table["centroid_row"].tolist()
    assert table["centroid_row"].is_monotonic_increasing
    assert frame.loc[frame["is_centroid"], "row"].tolist() == table["centroid_row"].tolist()
    assert table["size"].tolist() == frame.groupby("cluster").size().tolist()
    assert table["centroid_id"].tolist() == [f"M{r}" for r in table["centroid_row"]]


def test_agreement_with_exact_leader(ace: dict) -> None:
    approx, exact = ace["approx"], ace["exact"]
    assert exact.summary["approximate"] is False
    a, e = approx["assignments"], exact["assignments"]
    a_centroid = approx["clusters"]["centroid_row"].to_numpy()[a["cluster"].to_numpy()]
    e_centroid = exact["clusters"]["centroid_row"].to_numpy()[e["cluster"].to_numpy()]
    same = float(np.mean(a_centroid == e_centroid))
    # measured 0.975-0.977 here for seeds 0-3 with graph_neighbors=10 (0.996 with the
    # default 20, which makes the two-hop candidates a large share of this small set);
    # 0.995 at 100k MOSES with the default
    assert same >= 0.95, same
    ratio = approx.summary["n_clusters"] / exact.summary["n_clusters"]
    assert 1.0 <= ratio <= 1.03, ratio  # measured 757-758 vs 754 clusters


def test_rule_check_matches_brute_force(ace: dict) -> None:
    approx, sims = ace["approx"], ace["sims"]
    cluster = approx["assignments"]["cluster"].to_numpy()
    is_centroid = approx["assignments"]["is_centroid"].to_numpy()
    centroids = np.flatnonzero(is_centroid)
    first = _rule_first(sims, centroids)
    follows = np.where(is_centroid, first < 0, first == cluster)
    missed = float(np.mean(is_centroid & (first >= 0)))
    # the sample check, run on every molecule, reproduces the brute-force figures
    index = FingerprintIndex(ace["data"].fingerprints, ace["data"].fingerprint_rows)
    full = leader_rule_check(index, CUTOFF, cluster, centroids, sample=len(sims), n_jobs=2)
    assert full["check_sample"] == len(sims)
    assert full["check_agreement"] == round(float(follows.mean()), 6)
    assert full["check_missed_joins"] == round(missed, 6)
    assert follows.mean() >= 0.95
    # the exact leader follows the rule everywhere
    exact = ace["exact"]["assignments"]
    e_first = _rule_first(sims, np.flatnonzero(exact["is_centroid"].to_numpy()))
    e_follows = np.where(exact["is_centroid"], e_first < 0, e_first == exact["cluster"])
    assert e_follows.all()
    assert approx.summary["check_sample"] == 1000
    assert 0.0 <= approx.summary["check_missed_joins"] <= 1 - approx.summary["check_agreement"]


def test_same_seed_same_clusters(ace: dict) -> None:
    again = clusters(ace["data"], seed=3, **SMALL)
    pd.testing.assert_frame_equal(again["assignments"], ace["approx"]["assignments"])
    pd.testing.assert_frame_equal(again["clusters"], ace["approx"]["clusters"])


def test_auto_switch_and_parameters(ace: dict) -> None:
    data = make_input(["CCO", "OCC", "CCCO", "c1ccccc1"])
    assert clusters(data, method="leader").summary["approximate"] is False  # auto, small
    tiny = clusters(data, method="leader", approximate=True, check_sample=0)
    assert tiny.summary["approximate"] is True
    assert "check_sample" not in tiny.summary
    exact = clusters(data, method="leader", approximate=False)
    pd.testing.assert_frame_equal(tiny["assignments"], exact["assignments"])
    assert "approximate" not in clusters(data).summary  # butina
    with pytest.raises(ValueError, match=r"'approximate' .* one of 'auto', True, False; got 'yes'"):
        clusters(data, method="leader", approximate="yes")
    with pytest.raises(ValueError, match=r"'approximate' .* one of 'auto', True, False; got 1"):
        clusters(data, method="leader", approximate=1)
    with pytest.raises(ValueError, match=r"'graph_neighbors' .* an integer >= 2; got 1"):
        clusters(data, method="leader", graph_neighbors=1)
    with pytest.raises(ValueError, match=r"'exact_max' .* an integer >= 0; got -1"):
        clusters(data, method="leader", exact_max=-1)
    with pytest.raises(ValueError, match=r"'check_sample' .* an integer >= 0; got 1\.5"):
        clusters(data, method="leader", check_sample=1.5)
