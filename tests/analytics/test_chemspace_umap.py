"""UMAP in phases: umap-learn as oracle, reproducible parallel layout, progress, cancel, memo."""

from __future__ import annotations

import dataclasses
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
from test_chemspace import DATA, _jaccard_distances, make_input

from molaudit.analytics import AnalyticCancelled
from molaudit.analytics import chemspace_umap as cu
from molaudit.analytics.chemspace import chemical_space, pca
from molaudit.analytics.similarity import approx_nn
from molaudit.analytics.similarity.index import FingerprintIndex


@pytest.fixture(scope="module")
def smiles() -> list[str]:
    return pd.read_csv(DATA)["smiles"].tolist()


@pytest.fixture(scope="module")
def fps(smiles: list[str]) -> np.ndarray:
    return make_input(smiles[:800]).fingerprints


def test_umap_layout_is_umap_learn_on_the_same_graph(fps: np.ndarray) -> None:
    """layout='umap' runs umap-learn's steps one by one: same coordinates, to the bit.

    The oracle is ``umap.UMAP.fit_transform`` with the same precomputed kNN arrays and the
    same PCA start array, so the fuzzy set, the edge filtering, the treatment of the start
    (duplicate jitter, rescaling) and the random draws are umap-learn's.
    """
    import umap

    packed = fps[:300]
    index = FingerprintIndex(packed)
    ours = cu.umap_embedding(index, n_neighbors=10, seed=0, layout="umap", n_epochs=60)
    knn_idx, knn_dist = cu.knn_for_umap(index, 10, 1, 0)
    start = pca(packed, 2, solver="randomized", seed=0)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = umap.UMAP(
            n_neighbors=10,
            metric="jaccard",
            init=start,
            n_epochs=60,
            random_state=0,
            precomputed_knn=(knn_idx, knn_dist, None),
        ).fit_transform(np.unpackbits(packed, axis=1).astype(bool))
    assert np.array_equal(ours, reference)


def test_umap_blocks_layout_same_on_any_thread_count(fps: np.ndarray) -> None:
    index = FingerprintIndex(fps[:400])
    one = cu.umap_embedding(index, seed=4, n_jobs=1, n_epochs=80)
    steps: dict = {}
    two = cu.umap_embedding(index, seed=4, n_jobs=2, n_epochs=80, timings=steps)
    assert steps["layout_threads"] == 2 and steps["n_epochs"] == 80
    assert np.array_equal(one, two)
    other_seed = cu.umap_embedding(index, seed=5, n_jobs=2, n_epochs=80)
    assert not np.allclose(one, other_seed)


def test_umap_blocks_layout_keeps_neighbourhoods(fps: np.ndarray) -> None:
    """A layout shortcut that wrecks the map must fail here.

    scikit-learn's trustworthiness (k = 15) on exact Jaccard distances computed with numpy,
    800 ChEMBL molecules, 500 epochs. Measured: the parallel block layout 0.9708, umap-learn's
    own single-threaded layout on the same graph and start 0.9765, the PCA start 0.8959.
    """
    from sklearn.manifold import trustworthiness

    index = FingerprintIndex(fps)
    dist = _jaccard_distances(fps)

    def score(xy: np.ndarray) -> float:
        return trustworthiness(dist, xy, n_neighbors=15, metric="precomputed")

    blocks = score(cu.umap_embedding(index, seed=0, n_jobs=2))
    umap_own = score(cu.umap_embedding(index, seed=0, layout="umap"))
    flat = score(pca(fps, 2, solver="randomized")[0])
    assert blocks >= umap_own - 0.01, (blocks, umap_own)
    assert blocks >= flat + 0.05, (blocks, flat)


def test_umap_progress_per_phase_and_epoch_then_cancel(smiles: list[str]) -> None:
    data = make_input(smiles[:200])
    seen: list[tuple[int, int]] = []
    result = chemical_space(
        data.with_hooks(on_progress=lambda d, t: seen.append((d, t))),
        method="umap",
        n_epochs=30,
    )
    # the graph, the fuzzy set, the start, then each of the 30 epochs
    assert seen == [(d, 33) for d in range(1, 34)]
    assert result.summary["n_epochs"] == 30
    assert {"seconds_knn", "seconds_fuzzy_set", "seconds_init", "seconds_layout"} <= set(
        result.summary
    )
    stop = threading.Event()
    seen.clear()

    def stop_after_epoch_5(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 3 + 5:
            stop.set()

    hooked = data.with_hooks(on_progress=stop_after_epoch_5, cancel_event=stop)
    with pytest.raises(AnalyticCancelled, match=r"UMAP.*cancelled"):
        chemical_space(hooked, method="umap", n_epochs=30)
    assert seen[-1] == (8, 33)  # stopped right after the epoch that set the event


def test_umap_graph_is_built_once_per_batch(
    smiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from molaudit.analytics import chemspace_base

    calls: list[int] = []
    real = chemspace_base.knn_graph

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(chemspace_base, "knn_graph", counting)
    data = make_input(smiles[:200])
    first = chemical_space(data, method="umap", n_epochs=20)
    again = chemical_space(data.with_hooks(), method="umap", n_epochs=20, min_dist=0.3)
    assert len(calls) == 1
    assert again.summary["seconds_knn"] < first.summary["seconds_knn"]
    repeat = chemical_space(data, method="umap", n_epochs=20)
    pd.testing.assert_frame_equal(first["coordinates"], repeat["coordinates"])
    # another batch over other molecules builds its own
    chemical_space(make_input(smiles[200:400]), method="umap", n_epochs=20)
    assert len(calls) == 2


def test_candidate_graph_kept_in_memo_and_checked(
    fps: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = approx_nn._nn_descent

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(approx_nn, "_nn_descent", counting)
    store: dict = {}

    def memo(key, factory):
        return store.setdefault(key, factory())

    index = FingerprintIndex(fps[:500])
    plain = approx_nn.approximate_nearest(index, 5, n_jobs=1)
    kept = approx_nn.approximate_nearest(index, 5, n_jobs=1, memo=memo)
    again = approx_nn.approximate_nearest(FingerprintIndex(fps[:500]), 3, n_jobs=1, memo=memo)
    assert len(calls) == 2  # without memo, then once for the two memo calls
    for a, b in zip(plain, kept, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again[0], plain[0][:, :3])
    # an index over other rows must not get that graph
    approx_nn.approximate_nearest(FingerprintIndex(fps[100:600]), 3, n_jobs=1, memo=memo)
    assert len(calls) == 3


def test_umap_uses_approximate_graph_above_the_switch(
    smiles: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(approx_nn, "AUTO_EXACT_MAX", 100)
    data = dataclasses.replace(make_input(smiles[:300]), n_jobs=1)
    result = chemical_space(data, method="umap", n_epochs=20)
    assert np.isfinite(result["coordinates"][["x", "y"]].to_numpy()).all()
    assert len(data.memo("approx_nn_candidate_graphs", dict)) == 1


def test_epoch_schedule_by_size() -> None:
    assert [cu.umap_epochs(n) for n in (300, 10_000, 10_001, 200_000, 1_000_000)] == [
        500,
        500,
        200,
        200,
        150,
    ]
    with pytest.raises(ValueError, match="layout must be 'blocks' or 'umap'"):
        cu.umap_embedding(FingerprintIndex(np.zeros((5, 256), np.uint8)), layout="hogwild")


def test_pynndescent_numba_cache_switched_on() -> None:
    from pynndescent import utils

    approx_nn._enable_pynndescent_numba_cache()
    assert type(utils.deheap_sort._cache).__name__ != "NullCache"


def test_pca_start_on_a_sample_projects_every_point(fps: np.ndarray) -> None:
    """Above the sample size the start is ``bits @ components`` of a sample's PCA.

    Oracles: the projection is recomputed with numpy's ``unpackbits`` and a dense matrix
    product (not the byte table), on components fitted to the sample drawn as documented
    (``default_rng(seed).choice`` without replacement); and the sampled start is the full
    PCA's up to translation and sign, nearly: the two score columns correlate with the full
    fit's at |r| > 0.95 on 800 ChEMBL molecules from a 400-molecule sample.
    """
    packed = np.ascontiguousarray(fps)
    # at or below the sample size: the centred randomized PCA itself
    assert np.array_equal(
        cu.pca_start(packed, 3, sample=len(packed)), pca(packed, 2, solver="randomized", seed=3)[0]
    )
    start = cu.pca_start(packed, 3, sample=400)
    pick = np.sort(np.random.default_rng(3).choice(len(packed), 400, replace=False))
    components = pca(packed[pick], 2, solver="randomized", seed=3)[2]
    expected = np.unpackbits(packed, axis=1).astype(np.float64) @ components
    np.testing.assert_allclose(start, expected, rtol=0, atol=1e-9)
    full = pca(packed, 2, solver="randomized", seed=3)[0]
    for c in range(2):
        assert abs(np.corrcoef(start[:, c], full[:, c])[0, 1]) > 0.95
