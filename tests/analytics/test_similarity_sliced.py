"""The bit-sliced top-k search (fingerprints stored by bit) against RDKit's BulkTanimoto.

Every expected value comes from RDKit: the fingerprints are turned into ``ExplicitBitVect``
and ``BulkTanimotoSimilarity`` gives the similarities, ordered by similarity descending and
input row ascending in Python. The sets are small, so :data:`SLICED_MIN_SIZE` is lowered to
use the bit-sliced kernel; a built ``columns()`` array proves it ran.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from molaudit.analytics.similarity import index as index_module
from molaudit.analytics.similarity.index import FingerprintIndex

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"


@pytest.fixture(autouse=True)
def _sliced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "SLICED_MIN_SIZE", 1)


def _bitvect(packed_row: np.ndarray) -> DataStructs.ExplicitBitVect:
    bits = np.unpackbits(packed_row)
    bv = DataStructs.ExplicitBitVect(len(bits))
    bv.SetBitsFromList(np.flatnonzero(bits).tolist())
    return bv


def _expected(sims: np.ndarray, rows: np.ndarray, k: int | None, t: float | None, skip: int):
    keep = np.ones(len(sims), dtype=bool)
    if t is not None:
        keep &= sims >= t
    if skip >= 0:
        keep[skip] = False
    idx = np.flatnonzero(keep)
    order = idx[np.lexsort((rows[idx], -sims[idx]))]
    if k is not None:
        order = order[:k]
    return rows[order], sims[order]


@pytest.fixture(scope="module")
def moleculeace() -> dict:
    smiles = pd.read_csv(DATA)["smiles"].tolist()
    smiles = smiles + smiles[:25]  # exact ties at similarity 1
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bvs = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in smiles]
    packed = np.array([np.packbits(np.array(list(bv), dtype=bool)) for bv in bvs])
    rows = np.random.default_rng(3).permutation(10 * len(smiles))[: len(smiles)]
    return {"bvs": bvs, "packed": packed, "rows": rows}


@pytest.mark.parametrize(("k", "threshold"), [(1, None), (10, None), (60, 0.35), (5, 0.8)])
def test_topk_of_real_molecules_equals_rdkit(moleculeace: dict, k: int, threshold) -> None:
    bvs, packed, rows = moleculeace["bvs"], moleculeace["packed"], moleculeace["rows"]
    index = FingerprintIndex(packed, rows)
    for i in range(0, len(bvs), 53):
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bvs[i], bvs))
        for exclude in (None, int(rows[i])):
            got_rows, got_sims = index.search(
                packed[i], k=k, threshold=threshold, exclude_row=exclude
            )
            skip = i if exclude is not None else -1
            want_rows, want_sims = _expected(sims, rows, k, threshold, skip)
            assert np.array_equal(got_rows, want_rows)
            assert np.array_equal(got_sims, want_sims)  # bit-identical floats
    assert index._columns is not None  # the bit columns answered


def test_answers_needing_molecules_that_share_no_bit(moleculeace: dict) -> None:
    # k = every molecule: the tail has similarity 0 (no common bit), which the counters do not
    # enumerate; the search hands those queries to the packed kernel, same result
    bvs, packed, rows = moleculeace["bvs"], moleculeace["packed"], moleculeace["rows"]
    index = FingerprintIndex(packed, rows)
    n = len(bvs)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    for smiles in ("CCO", "FC(F)(F)F", "C#N", "c1ccccc1"):
        bv = gen.GetFingerprint(Chem.MolFromSmiles(smiles))
        query = np.packbits(np.array(list(bv), dtype=bool))
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bv, bvs))
        assert (sims == 0).any()  # small molecules: many share no bit
        got_rows, got_sims = index.search(query, k=n)
        want_rows, want_sims = _expected(sims, rows, n, None, -1)
        assert np.array_equal(got_rows, want_rows) and np.array_equal(got_sims, want_sims)
        # the same with a threshold above 0: the zero tail is not wanted, counters suffice
        got_rows, got_sims = index.search(query, k=n, threshold=0.05)
        want_rows, want_sims = _expected(sims, rows, n, 0.05, -1)
        assert np.array_equal(got_rows, want_rows) and np.array_equal(got_sims, want_sims)


@pytest.mark.parametrize("density", [0.01, 0.06, 0.2])
def test_random_fingerprints_equal_rdkit(density: float) -> None:
    # 0.2 of 1024 bits is ~205 on-bits, near the 255-bit limit of 8 counter planes; some
    # queries are above it and take the packed kernel: both must agree with RDKit
    rng = np.random.default_rng(int(density * 1000))
    bits = rng.random((3000, 1024)) < rng.uniform(0.5, 1.5, (3000, 1)) * density
    bits[7] = False  # an empty fingerprint: similarity 0 to everything (RDKit's convention)
    bits[100:140] = bits[60:100]  # exact ties
    packed = np.packbits(bits, axis=1)
    rows = np.arange(3000) * 3
    bvs = [_bitvect(p) for p in packed]
    index = FingerprintIndex(packed, rows)
    for i in range(0, 3000, 97):
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bvs[i], bvs))
        for k, t in ((1, None), (12, None), (30, 0.3)):
            got = index.search(packed[i], k=k, threshold=t, exclude_row=int(rows[i]))
            want = _expected(sims, rows, k, t, i)
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_nearest_of_equals_rdkit_with_ties_and_unshared_queries(moleculeace: dict) -> None:
    bvs, packed, rows = moleculeace["bvs"], moleculeace["packed"], moleculeace["rows"]
    reference = FingerprintIndex(packed[:1500], rows[:1500])
    # queries: other molecules, reference molecules again (ties at 1.0), an empty fingerprint
    # and one made of bits no reference molecule has (both: top-1 similarity 0, lowest row)
    unused = np.flatnonzero(np.unpackbits(np.bitwise_or.reduce(packed[:1500], axis=0)) == 0)
    assert len(unused) >= 5
    unshared = np.zeros(2048, dtype=bool)
    unshared[unused[:5]] = True
    extra = np.packbits(np.array([np.zeros(2048, dtype=bool), unshared]), axis=1)
    q_packed = np.concatenate([packed[1500:1900], packed[:40], extra])
    q_bvs = bvs[1500:1900] + bvs[:40] + [_bitvect(p) for p in extra]
    got_rows, got_sims = reference.nearest_of(q_packed, n_jobs=2)
    zero = 0
    for j, bv in enumerate(q_bvs):
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bv, bvs[:1500]))
        top = sims.max()
        zero += top == 0
        assert got_sims[j] == top
        assert got_rows[j] == rows[:1500][sims == top].min()
    assert zero >= 1  # the packed fallback was exercised
    assert reference._columns is not None


def test_columns_built_once_under_threads(moleculeace: dict, monkeypatch) -> None:
    index = FingerprintIndex(moleculeace["packed"], moleculeace["rows"])
    calls = []
    real = index_module._columns_of

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(index_module, "_columns_of", counting)
    threads = [threading.Thread(target=index.columns) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 1
    columns = index.columns()
    # column j holds bit j of every fingerprint (sorted positions), 64 per word
    words = index.words
    for position in (0, 17, len(index) - 1):
        for j in np.flatnonzero(np.unpackbits(words[position].view(np.uint8), bitorder="little")):
            assert (int(columns[j, position >> 6]) >> (position & 63)) & 1
    assert int(np.bitwise_count(columns).sum()) == int(index.counts.sum())


@pytest.mark.parametrize("k", [4, 90])
def test_nearest_of_every_member_equals_rdkit(moleculeace: dict, k: int) -> None:
    bvs, packed, rows = moleculeace["bvs"], moleculeace["packed"], moleculeace["rows"]
    index = FingerprintIndex(packed, rows)
    got_rows, got_sims = index.nearest(k, n_jobs=2)
    for i in range(0, len(bvs), 31):
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bvs[i], bvs))
        want_rows, want_sims = _expected(sims, rows, k, None, i)
        assert np.array_equal(got_rows[i], want_rows), i
        assert np.array_equal(got_sims[i], want_sims), i
    assert index._columns is not None


def test_nearest_with_members_sharing_no_bit() -> None:
    # sparse random fingerprints: most pairs share no bit, so k=8 needs similarity-0
    # neighbours, which the counters leave to the packed kernel; an empty fingerprint too
    rng = np.random.default_rng(11)
    bits = rng.random((300, 512)) < 0.004
    bits[3] = False
    packed = np.packbits(bits, axis=1)
    rows = np.arange(300) + 1000
    bvs = [_bitvect(p) for p in packed]
    got_rows, got_sims = FingerprintIndex(packed, rows).nearest(8, n_jobs=2)
    for i in range(300):
        sims = np.array(DataStructs.BulkTanimotoSimilarity(bvs[i], bvs))
        want_rows, want_sims = _expected(sims, rows, 8, None, i)
        assert np.array_equal(got_rows[i], want_rows) and np.array_equal(got_sims[i], want_sims)


def test_query_size_limit_is_the_counters_capacity() -> None:
    from molaudit.analytics.similarity import sliced

    assert index_module.SLICED_MAX_BITS == 2**sliced.MAX_PLANES - 1


def test_index_pickles_without_its_lock(moleculeace: dict) -> None:
    import pickle

    index = FingerprintIndex(moleculeace["packed"], moleculeace["rows"])
    query = moleculeace["packed"][5]
    before = index.search(query, k=7)
    copy = pickle.loads(pickle.dumps(index))  # our own object, written and read here
    assert copy._columns is None
    after = copy.search(query, k=7)
    assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
