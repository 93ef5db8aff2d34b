"""Butina against RDKit's own Butina.ClusterData, leader against a brute-force reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fp_input import make_input
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.ML.Cluster import Butina

from molaudit.analytics import REGISTRY, AnalyticInput
from molaudit.analytics.similarity.clustering import clusters

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"


@pytest.fixture(scope="module")
def ace() -> dict:
    frame = pd.read_csv(DATA)
    # two related series plus repeats, so clusters are large and counts tie
    smiles = frame["smiles"].tolist()[:700] + frame["smiles"].tolist()[:25]
    data = make_input(smiles, error_every=29)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    sims = np.array([DataStructs.BulkTanimotoSimilarity(bv, bvs) for bv in bvs])
    # RDKit's documented input: lower-triangle distances, row by row
    dists = [1.0 - sims[i, j] for i in range(len(bvs)) for j in range(i)]
    return {"data": data, "sims": sims, "dists": dists, "rows": data.fingerprint_rows}


def _as_row_tuples(result, rows: np.ndarray) -> tuple:
    frame = result["assignments"]
    members = frame.groupby("cluster")["row"].apply(list)
    centroids = result["clusters"].set_index("cluster")["centroid_row"]
    out = []
    for cid in result["clusters"]["cluster"]:
        ms = members[cid]
        c = centroids[cid]
        out.append((c, *sorted(m for m in ms if m != c)))
    return tuple(out)


@pytest.mark.parametrize(("cutoff", "reordering"), [(0.35, False), (0.35, True), (0.6, False)])
def test_butina_identical_to_rdkit(ace: dict, cutoff: float, reordering: bool) -> None:
    rows = ace["rows"]
    ref = Butina.ClusterData(
        ace["dists"], len(rows), cutoff, isDistData=True, reordering=reordering
    )
    # RDKit lists members after the centroid in ascending index order = ascending row order
    ref_rows = tuple(tuple(int(rows[i]) for i in cluster) for cluster in ref)
    result = clusters(ace["data"], method="butina", cutoff=cutoff, reordering=reordering)
    assert _as_row_tuples(result, rows) == ref_rows
    assert result.summary["n_clusters"] == len(ref)
    assert result.summary["singletons"] == sum(len(c) == 1 for c in ref)


def test_butina_frames_contract(ace: dict) -> None:
    rows, sims = ace["rows"], ace["sims"]
    result = clusters(ace["data"], cutoff=0.35)
    assign, table = result["assignments"], result["clusters"]
    assert list(assign.columns) == [
        "row",
        "id",
        "cluster",
        "is_centroid",
        "similarity_to_centroid",
    ]
    assert list(table.columns) == ["cluster", "centroid_row", "centroid_id", "size", "rows"]
    # member lists agree with the assignments (and are lists of ints)
    for cid, members in zip(table["cluster"], table["rows"], strict=True):
        assert members == assign.loc[assign["cluster"] == cid, "row"].tolist()
        assert all(type(r) is int for r in members)
    assert np.array_equal(assign["row"].to_numpy(), rows)
    assert table["size"].sum() == len(rows)
    assert assign["is_centroid"].sum() == len(table)
    # every member is within the cutoff of its centroid, with RDKit's similarity
    pos = {int(r): i for i, r in enumerate(rows)}
    centroid = table.set_index("cluster")["centroid_row"]
    for row, cid, s in assign[["row", "cluster", "similarity_to_centroid"]].itertuples(index=False):
        ref = sims[pos[row], pos[int(centroid[cid])]]
        assert s == ref
        assert 1.0 - s <= 0.35
    assert table["centroid_id"].tolist() == [f"M{r}" for r in table["centroid_row"]]


def _leader_reference(sims: np.ndarray, cutoff: float) -> np.ndarray:
    n = len(sims)
    cluster = np.full(n, -1)
    next_id = 0
    for i in range(n):
        if cluster[i] >= 0:
            continue
        take = (cluster < 0) & (1.0 - sims[i] <= cutoff)
        take[i] = True
        cluster[take] = next_id
        next_id += 1
    return cluster


@pytest.mark.parametrize("method", ["leader", "sphere_exclusion"])
def test_leader_matches_brute_force(ace: dict, method: str) -> None:
    result = clusters(ace["data"], method=method, cutoff=0.4)
    ref = _leader_reference(ace["sims"], 0.4)
    assert np.array_equal(result["assignments"]["cluster"].to_numpy(), ref)
    assert result.summary["method"] == "leader"
    assert result.summary["n_clusters"] == ref.max() + 1


def test_cutoff_is_a_distance(ace: dict) -> None:
    tight = clusters(ace["data"], cutoff=0.1).summary["n_clusters"]
    loose = clusters(ace["data"], cutoff=0.6).summary["n_clusters"]
    assert tight > loose  # larger distance cutoff = fewer, larger clusters
    # cutoff 0: only identical fingerprints share a cluster
    zero = clusters(ace["data"], cutoff=0.0)["assignments"]
    assert (zero["similarity_to_centroid"] == 1.0).all()
    assert clusters(ace["data"], cutoff=0.35).summary["similarity_threshold"] == 0.65


def test_bad_parameters_and_empty() -> None:
    data = make_input(["CCO", "CCN"])
    with pytest.raises(ValueError, match=r"'cutoff' .* a float in \[0, 1\); got 1.0"):
        clusters(data, cutoff=1.0)
    with pytest.raises(ValueError, match=r"'method' parameter of clusters must be one of"):
        clusters(data, method="kmeans")
    empty = AnalyticInput(
        table=pd.DataFrame({"row": [0], "id": ["a"], "status": ["error"], "smiles": [None]}),
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
    )
    result = clusters(empty)
    assert "error row" in result.message
    assert len(result["assignments"]) == 0
    assert REGISTRY["clusters"].kind == "expensive"
    with pytest.raises(ValueError, match="method='leader'"):
        clusters(make_input(["CCO", "OCC", "CCCO"]), cutoff=0.9, max_pairs=1)
