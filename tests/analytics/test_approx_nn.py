"""Approximate nearest neighbours: recall against the exact search on real ChEMBL molecules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fp_input import make_input

from molaudit.analytics import REGISTRY
from molaudit.analytics.similarity.approx_nn import approximate_nearest, estimate_recall
from molaudit.analytics.similarity.index import FingerprintIndex
from molaudit.analytics.similarity.neighbors import nearest_neighbors

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"


@pytest.fixture(scope="module")
def ace() -> dict:
    smiles = pd.read_csv(DATA)["smiles"].tolist()
    data = make_input(smiles, error_every=37)
    exact = nearest_neighbors(data, k=3, method="exact")
    # a small graph keeps NN-descent honest on 2.6k molecules (with 15 it is nearly exact)
    approx = nearest_neighbors(data, k=3, method="approximate", graph_neighbors=6, seed=1)
    return {"data": data, "exact": exact, "approx": approx}


def test_recall_against_exact_search(ace: dict) -> None:
    exact = ace["exact"]["isolation"]
    approx = ace["approx"]["isolation"]
    assert np.array_equal(exact["row"].to_numpy(), approx["row"].to_numpy())
    hit = approx["max_similarity"].to_numpy() == exact["max_similarity"].to_numpy()
    assert hit.mean() >= 0.95
    # reported similarities are exact Tanimoto values, never above the true best
    assert (approx["max_similarity"] <= exact["max_similarity"]).all()
    # the recall in the summary is the same measure on a sample (here: every molecule)
    summary = ace["approx"].summary
    assert summary["method"] == "approximate"
    assert summary["recall_sample"] == min(1000, len(exact))
    assert summary["recall"] >= 0.95
    assert type(summary["recall"]) is float  # plain JSON in the cached summary


def test_every_row_and_exact_similarities(ace: dict) -> None:
    data = ace["data"]
    nbrs = ace["approx"]["neighbors"]
    assert list(nbrs.columns) == ["row", "id", "rank", "neighbor_row", "neighbor_id", "similarity"]
    rows = np.sort(data.fingerprint_rows)
    assert np.array_equal(np.unique(nbrs["row"]), rows)
    assert (nbrs.groupby("row").size() == 3).all()
    assert (nbrs["row"] != nbrs["neighbor_row"]).all()
    # each reported similarity recomputed from the bits (an independent numpy oracle)
    bits = np.unpackbits(data.fingerprints, axis=1).astype(bool)
    pos = pd.Series(np.arange(len(data.fingerprint_rows)), index=data.fingerprint_rows)
    a = bits[pos[nbrs["row"]].to_numpy()]
    b = bits[pos[nbrs["neighbor_row"]].to_numpy()]
    ref = (a & b).sum(1) / (a | b).sum(1)
    assert np.allclose(nbrs["similarity"].to_numpy(), ref, rtol=0, atol=1e-15)
    ranked = nbrs["similarity"].to_numpy().reshape(-1, 3)
    assert (np.diff(ranked, axis=1) <= 0).all()


def test_same_seed_same_result(ace: dict) -> None:
    data = ace["data"]
    again = nearest_neighbors(data, k=3, method="approximate", graph_neighbors=6, seed=1)
    pd.testing.assert_frame_equal(again["neighbors"], ace["approx"]["neighbors"])


def test_auto_is_exact_for_small_batches(ace: dict) -> None:
    result = nearest_neighbors(ace["data"], k=3)
    assert result.summary["method"] == "exact"
    assert "recall" not in result.summary
    pd.testing.assert_frame_equal(result["neighbors"], ace["exact"]["neighbors"])
    assert REGISTRY["nearest_neighbors"].kind == "expensive"


def test_estimate_recall_counts_misses() -> None:
    rng = np.random.default_rng(0)
    packed = np.packbits(rng.random((200, 2048)) < 0.05, axis=1)
    index = FingerprintIndex(packed)
    _, exact_sims = index.nearest(1)
    assert estimate_recall(index, exact_sims[:, 0], sample=200)[0] == 1.0
    worse = exact_sims[:, 0].copy()
    worse[::4] -= 0.01  # every 4th molecule "missed" its best neighbour
    recall, checked, _ = estimate_recall(index, worse, sample=200)
    assert checked == 200 and recall == pytest.approx(0.75)
    rows, sims = approximate_nearest(FingerprintIndex(packed[:1]), 2)
    assert rows.tolist() == [[-1, -1]] and np.isnan(sims).all()


def test_bad_parameters(ace: dict) -> None:
    data = ace["data"]
    with pytest.raises(ValueError, match=r"'method' parameter of nearest_neighbors must be one of"):
        nearest_neighbors(data, method="lsh")
    with pytest.raises(ValueError, match=r"'graph_neighbors' parameter .* an integer >= 2"):
        nearest_neighbors(data, method="approximate", graph_neighbors=1)
    with pytest.raises(ValueError, match=r"'graph_neighbors' .* must be >= k \(5\)"):
        nearest_neighbors(data, k=5, method="approximate", graph_neighbors=3)
    with pytest.raises(ValueError, match=r"'recall_sample' parameter .* an integer >= 0"):
        nearest_neighbors(data, method="approximate", recall_sample=-1)


def test_approximate_graph_for_umap(ace: dict) -> None:
    # the graph UMAP gets above 100k molecules, checked here on 2.6k against the exact one
    from molaudit.analytics.chemspace import knn_graph

    data = ace["data"]
    index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
    exact_pos, exact_dist = knn_graph(index, 14, 2)
    approx_pos, approx_dist = knn_graph(index, 14, 2, approximate=True)
    assert approx_pos.shape == exact_pos.shape == (len(index), 14)
    assert (approx_pos >= 0).all() and (approx_pos != np.arange(len(index))[:, None]).all()
    # distances are exact 1 - Tanimoto of the listed neighbours, and never better than exact
    assert np.all(approx_dist >= exact_dist - 1e-12)
    assert np.mean(approx_dist[:, -1] == exact_dist[:, -1]) >= 0.9
