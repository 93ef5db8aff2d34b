"""The Tanimoto engine against RDKit's BulkTanimotoSimilarity on real ChEMBL molecules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fp_input import make_input
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.MolStandardize import rdMolStandardize

from molaudit.analytics import REGISTRY, AnalyticInput
from molaudit.analytics.similarity.index import FingerprintIndex, query_fingerprint
from molaudit.analytics.similarity.neighbors import nearest_neighbors
from molaudit.analytics.similarity.search import similar, similarity_matrix, similarity_pairs

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"
N_DUPLICATES = 40  # repeated structures: exact ties that must be ordered by row


@pytest.fixture(scope="module")
def ace() -> dict:
    frame = pd.read_csv(DATA)
    smiles = frame["smiles"].tolist()
    smiles = smiles + smiles[:N_DUPLICATES]
    data = make_input(smiles, error_every=37)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    sims = np.array([DataStructs.BulkTanimotoSimilarity(bv, bvs) for bv in bvs])
    return {"data": data, "sims": sims, "rows": data.fingerprint_rows}


def _reference_topk(sims: np.ndarray, rows: np.ndarray, i: int, k: int, exclude_self: bool):
    s = sims[i].copy()
    keep = np.ones(len(s), dtype=bool)
    if exclude_self:
        keep[i] = False
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((rows[idx], -s[idx]))][:k]
    return rows[order], s[order]


def test_registered_as_expensive() -> None:
    for name in ("nearest_neighbors", "similarity_pairs", "similarity_matrix"):
        assert REGISTRY[name].kind == "expensive"


def test_nearest_neighbors_identical_to_rdkit(ace: dict, search_kernel: str) -> None:
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    result = nearest_neighbors(data, k=3)
    nbrs = result["neighbors"]
    assert list(nbrs.columns) == ["row", "id", "rank", "neighbor_row", "neighbor_id", "similarity"]
    assert len(nbrs) == 3 * len(rows)
    got_rows = nbrs["neighbor_row"].to_numpy().reshape(-1, 3)
    got_sims = nbrs["similarity"].to_numpy().reshape(-1, 3)
    assert np.array_equal(nbrs["row"].to_numpy()[::3], rows)
    for i in range(len(rows)):
        ref_rows, ref_sims = _reference_topk(sims, rows, i, 3, exclude_self=True)
        assert np.array_equal(got_rows[i], ref_rows), i
        assert np.array_equal(got_sims[i], ref_sims), i  # bit-identical floats
    iso = result["isolation"]
    assert np.array_equal(iso["row"].to_numpy(), rows)
    off = sims - 2.0 * np.eye(len(rows))
    assert np.array_equal(iso["max_similarity"].to_numpy(), off.max(axis=1))
    assert np.allclose(iso["isolation"], 1.0 - off.max(axis=1))
    # duplicated structures find their twin first, at similarity 1
    n = len(rows) - N_DUPLICATES
    assert np.all(got_sims[n:, 0] == 1.0)
    assert np.array_equal(got_rows[n:, 0], rows[:N_DUPLICATES])
    ids = nbrs["neighbor_id"].to_numpy()
    assert all(ids[j] == f"M{r}" for j, r in enumerate(nbrs["neighbor_row"].to_numpy()))


@pytest.mark.parametrize("k", [12, 90])
def test_tiled_kernel_for_large_k_identical_to_rdkit(
    ace: dict, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # k >= TILED_MIN_K runs the cache-blocked kernel (off by default: switched on here)
    from molaudit.analytics.similarity import index as index_module

    monkeypatch.setattr(index_module, "TILED_MIN_K", 8)
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
    got_rows, got_sims = index.nearest(k, n_jobs=2)
    for i in range(0, len(rows), 7):
        ref_rows, ref_sims = _reference_topk(sims, rows, i, k, exclude_self=True)
        assert np.array_equal(got_rows[i], ref_rows), i
        assert np.array_equal(got_sims[i], ref_sims), i


@pytest.mark.parametrize("threshold", [0.7, 0.45])
def test_pairs_identical_to_rdkit(ace: dict, threshold: float) -> None:
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    pairs = similarity_pairs(data, threshold=threshold)["pairs"]
    assert list(pairs.columns) == ["row_1", "row_2", "id_1", "id_2", "similarity"]
    i, j = np.nonzero(np.triu(sims >= threshold, k=1))
    ref = pd.DataFrame({"row_1": rows[i], "row_2": rows[j], "similarity": sims[i, j]})
    ref = ref.sort_values(["row_1", "row_2"], ignore_index=True)
    assert len(pairs) == len(ref) > 1000
    assert np.array_equal(pairs["row_1"].to_numpy(), ref["row_1"].to_numpy())
    assert np.array_equal(pairs["row_2"].to_numpy(), ref["row_2"].to_numpy())
    assert np.array_equal(pairs["similarity"].to_numpy(), ref["similarity"].to_numpy())
    assert (pairs["row_1"] < pairs["row_2"]).all()


def test_similar_by_row_matches_rdkit_and_excludes_query(ace: dict, search_kernel: str) -> None:
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
    for i in range(0, len(rows), 97):
        hits = similar(data, rows[i], k=10, index=index)["hits"]  # numpy integer row
        ref_rows, ref_sims = _reference_topk(sims, rows, i, 10, exclude_self=True)
        assert np.array_equal(hits["row"].to_numpy(), ref_rows)
        assert np.array_equal(hits["similarity"].to_numpy(), ref_sims)
        assert rows[i] not in set(hits["row"])
    assert list(hits.columns) == ["rank", "row", "id", "smiles", "similarity"]
    assert hits["rank"].tolist() == list(range(1, 11))


def test_similar_threshold_only_returns_everything_above(ace: dict, search_kernel: str) -> None:
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    i = 5
    hits = similar(data, int(rows[i]), k=None, threshold=0.5)["hits"]
    keep = np.flatnonzero(sims[i] >= 0.5)
    keep = keep[keep != i]
    order = keep[np.lexsort((rows[keep], -sims[i, keep]))]
    assert np.array_equal(hits["row"].to_numpy(), rows[order])
    capped = similar(data, int(rows[i]), k=3, threshold=0.99)["hits"]
    assert (capped["similarity"] >= 0.99).all()


def test_ties_ordered_by_row_and_independent_of_threads(ace: dict, search_kernel: str) -> None:
    data = ace["data"]
    one = nearest_neighbors(AnalyticInput(**{**data.__dict__, "n_jobs": 1}), k=2)["neighbors"]
    two = nearest_neighbors(data, k=2)["neighbors"]
    pd.testing.assert_frame_equal(one, two)
    # a query equal to a duplicated structure: both copies at 1.0, lower row first
    smi = data.table.loc[data.table["row"] == ace["rows"][0], "smiles"].iloc[0]
    hits = similar(data, smi, k=2)["hits"]
    assert hits["similarity"].tolist() == [1.0, 1.0]
    assert hits["row"].tolist() == [ace["rows"][0], ace["rows"][-N_DUPLICATES]]


def test_query_smiles_is_standardized_like_the_audit() -> None:
    data = make_input(["OC(=O)c1ccccc1", "CCO"])
    salt = query_fingerprint("[Na+].[O-]C(=O)c1ccccc1", data)
    assert np.array_equal(salt, data.fingerprints[0])
    # the same steps by hand on a charged amine salt
    mol = Chem.MolFromSmiles("C[NH3+].[Cl-]")
    mol = rdMolStandardize.Cleanup(mol)
    mol = rdMolStandardize.FragmentParent(mol, skipStandardize=True)
    mol = rdMolStandardize.Uncharger().uncharge(mol)
    Chem.SanitizeMol(mol)  # ring info for the fingerprint
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    expected = np.packbits(gen.GetFingerprintAsNumPy(mol).astype(bool))
    assert np.array_equal(query_fingerprint("C[NH3+].[Cl-]", data), expected)
    mol_query = query_fingerprint(Chem.MolFromSmiles("[Na+].[O-]C(=O)c1ccccc1"), data)
    assert np.array_equal(mol_query, salt)


def test_every_new_query_is_computed(ace: dict, search_kernel: str) -> None:
    data = ace["data"]
    index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
    first = similar(data, "c1ccccc1CCN", k=5, index=index)["hits"]
    second = similar(data, "CC(C)Cc1ccc(C(C)C(=O)O)cc1", k=5, index=index)["hits"]
    assert first["row"].tolist() != second["row"].tolist()


def test_similarity_matrix_wide_form(ace: dict) -> None:
    data, sims, rows = ace["data"], ace["sims"], ace["rows"]
    pick = [int(r) for r in rows[[10, 3, 400, 3, 77]]]
    result = similarity_matrix(data, rows=pick)
    frame = result["matrix"]
    wanted = list(dict.fromkeys(pick))
    assert list(frame.columns) == ["row", "id", *[str(r) for r in wanted]]
    pos = [int(np.flatnonzero(rows == r)[0]) for r in wanted]
    assert np.array_equal(frame[[str(r) for r in wanted]].to_numpy(), sims[np.ix_(pos, pos)])
    assert result.summary["form"] == "wide"


def test_similarity_matrix_limits(ace: dict) -> None:
    data = ace["data"]
    with pytest.raises(ValueError, match="at most 2000"):
        similarity_matrix(data, rows=list(range(2001)))
    with pytest.raises(ValueError, match="pass rows"):
        similarity_matrix(data)
    error_row = int(data.table.loc[data.table["status"] == "error", "row"].iloc[0])
    with pytest.raises(ValueError, match="have no fingerprint"):
        similarity_matrix(data, rows=[0, error_row])


def test_bad_parameters_name_themselves(ace: dict) -> None:
    data = ace["data"]
    with pytest.raises(ValueError, match=r"'k' parameter of nearest_neighbors must be an integer"):
        nearest_neighbors(data, k=0)
    with pytest.raises(ValueError, match=r"'threshold' .* similarity_pairs .* in \(0, 1\]; got 0"):
        similarity_pairs(data, threshold=0)
    with pytest.raises(ValueError, match=r"'threshold' .* of similar .* in \[0, 1\] or None"):
        similar(data, "CCO", threshold=1.5)
    with pytest.raises(ValueError, match="valid SMILES"):
        similar(data, "C1CC(")
    with pytest.raises(ValueError, match="query must be a SMILES string"):
        similar(data, 2.5)
    error_row = int(data.table.loc[data.table["status"] == "error", "row"].iloc[0])
    with pytest.raises(ValueError, match="has no fingerprint"):
        similar(data, error_row)
    with pytest.raises(ValueError, match="max_pairs"):
        similarity_pairs(data, threshold=0.3, max_pairs=10)


def test_empty_and_all_error_batches_give_messages() -> None:
    empty = AnalyticInput(
        table=pd.DataFrame({"row": [], "id": [], "status": [], "smiles": []}),
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
    )
    errors = AnalyticInput(
        table=pd.DataFrame({"row": [0], "id": ["a"], "status": ["error"], "smiles": [None]}),
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
    )
    for data, text in ((empty, "empty"), (errors, "error")):
        for result in (
            nearest_neighbors(data),
            similarity_pairs(data),
            similarity_matrix(data),
            similar(data, "CCO"),
        ):
            assert text in result.message
            assert all(len(f) == 0 for f in result.frames.values())
    single = make_input(["CCO"])
    result = nearest_neighbors(single)
    assert len(result["neighbors"]) == 0
    assert result["isolation"]["max_similarity"].isna().all()
    assert "one molecule" in result.message


def test_through_the_batch() -> None:
    import molaudit

    with pytest.warns(molaudit.MolauditWarning, match="1 of 6 records failed"):
        batch = molaudit.audit(
            [
                "CCO",
                "not a smiles",
                "OCC",
                "c1ccccc1O",
                "[Na+].[O-]C(=O)c1ccccc1",
                "OC(=O)c1ccccc1",
            ],
            n_jobs=1,
            cache=False,
            progress=False,
        )
    nbrs = batch.nearest_neighbors(k=1)["neighbors"]
    assert 1 not in set(nbrs["row"])  # the error row has no fingerprint
    top = nbrs.set_index("row")
    assert top.loc[0, "neighbor_row"] == 2 and top.loc[0, "similarity"] == 1.0
    assert top.loc[4, "neighbor_row"] == 5 and top.loc[4, "similarity"] == 1.0  # salt parent
    hits = batch.similar("OCC", k=2)["hits"]
    assert hits["row"].tolist() == [0, 2]
    pairs = batch.similarity_pairs(threshold=0.99)["pairs"]
    assert sorted(zip(pairs["row_1"], pairs["row_2"], strict=True)) == [(0, 2), (4, 5)]
