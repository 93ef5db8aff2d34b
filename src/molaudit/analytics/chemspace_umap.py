"""UMAP for the chemical-space analytic: umap-learn's steps one by one, timed and interruptible.

``umap.UMAP.fit`` is one opaque call: no progress, no cancel, a single-threaded layout as soon
as a seed is set, and at 1M molecules copies and a ``joblib.hash`` of the input on top. Here
the same steps run one at a time with umap-learn's own functions:

1. **kNN graph** from molaudit's Tanimoto engine (exact up to ``approx_nn.AUTO_EXACT_MAX``,
   NN-descent + exact re-ranking above), built once per batch: it is kept in the batch's memo,
   and so is NN-descent's candidate graph that ``nearest_neighbors`` and the approximate
   leader clusters can share;
2. **fuzzy set**: ``umap.umap_.fuzzy_simplicial_set`` on that graph (Jaccard distances,
   neighbours at distance >= 1 disconnected as umap-learn does for ``metric='jaccard'``);
3. **start layout**: molaudit's randomized PCA (above :data:`PCA_START_SAMPLE` points its
   components are fitted on a seeded sample and every point is projected on them), or
   umap-learn's spectral layout;
4. **layout epochs**: umap-learn's SGD with its learning-rate schedule and edge sampling, one
   epoch per call, progress and cancel between epochs.

The layout runs on ``n_jobs`` threads *and* stays reproducible for a seed: umap-learn's own
parallel epoch lets threads read and write the same points at once, so its result changes
from run to run. :func:`_epoch` gives every point to one of a fixed number of blocks (the
edges of a point are consecutive), lets a block move only its own points, and reads the other
end of each edge and the negative samples from the positions at the start of the epoch. The
attraction of an edge is applied to its head twice instead of once to head and once to tail
(umap-learn's ``move_other``; the fuzzy graph is symmetric, so the tail gets the same pull
through the reverse edge). The result depends on the seed only, never on the thread count.
``layout='umap'`` runs umap-learn's own single-threaded epochs instead (bit-identical to
``umap.UMAP(...).fit_transform`` on the same graph; a test checks it).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from molaudit.analytics.similarity.index import FingerprintIndex, n_threads
from molaudit.molecule.fingerprints import unpack_bits

__all__ = [
    "LAYOUT_BLOCKS",
    "PCA_START_SAMPLE",
    "UMAP_EPOCHS",
    "pca_start",
    "umap_embedding",
    "umap_epochs",
]

#: Default layout epochs by batch size: ``(largest n, epochs)``, first match. umap-learn's
#: defaults are 500 up to 10k points and 200 above. Measured on MOSES (15-NN preservation
#: of 2,000 sampled molecules against the exact Tanimoto neighbours): see
#: ``benchmarks/bench_umap_1m.py`` and the README performance table.
UMAP_EPOCHS: tuple[tuple[float, int], ...] = ((10_000, 500), (200_000, 200), (float("inf"), 150))

#: Above this many points the PCA start layout is fitted on a seeded random sample of this
#: size and every point projected on its two components. At 1M MOSES the sample's components
#: point the same way as the full fit's (|cos| 0.9997 and 0.998; explained variance 0.924 vs
#: 0.922 and 0.677 vs 0.682) and the start costs ~3 s instead of ~22 s.
PCA_START_SAMPLE = 100_000

#: Blocks of points in the parallel layout epoch. Fixed, so that the result does not depend on
#: how many threads share the blocks.
LAYOUT_BLOCKS = 64


def umap_epochs(n: int) -> int:
    """Default layout epochs for ``n`` points (:data:`UMAP_EPOCHS`)."""
    for largest, epochs in UMAP_EPOCHS:
        if n <= largest:
            return epochs
    return UMAP_EPOCHS[-1][1]  # pragma: no cover - the last entry is unbounded


_UMAP_CACHE_READY = False


def enable_umap_numba_cache() -> None:
    """Switch numba's on-disk cache on for umap-learn's jitted functions (once per process).

    umap-learn declares almost none of them ``cache=True``, so every new kernel recompiled
    them (tens of seconds); see :func:`approx_nn.enable_numba_disk_cache`.
    """
    global _UMAP_CACHE_READY
    if _UMAP_CACHE_READY:
        return
    from molaudit.analytics.similarity.approx_nn import enable_numba_disk_cache

    enable_numba_disk_cache(
        ("umap.layouts", "umap.umap_", "umap.utils", "umap.distances", "umap.spectral")
    )
    _UMAP_CACHE_READY = True


@numba.njit(inline="always")
def _clip(value: float) -> float:
    # umap-learn's gradient clip
    if value > 4.0:
        return 4.0
    if value < -4.0:
        return -4.0
    return value


@numba.njit(inline="always")
def _tau_rand_int(state: np.ndarray) -> int:
    # umap.utils.tau_rand_int (Tausworthe), inlined so the kernel can be cached
    state[0] = (((state[0] & 4294967294) << 12) & 0xFFFFFFFF) ^ (
        (((state[0] << 13) & 0xFFFFFFFF) ^ state[0]) >> 19
    )
    state[1] = (((state[1] & 4294967288) << 4) & 0xFFFFFFFF) ^ (
        (((state[1] << 2) & 0xFFFFFFFF) ^ state[1]) >> 25
    )
    state[2] = (((state[2] & 4294967280) << 17) & 0xFFFFFFFF) ^ (
        (((state[2] << 3) & 0xFFFFFFFF) ^ state[2]) >> 11
    )
    return np.int32(state[0] ^ state[1] ^ state[2])


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def _epoch(
    embedding,
    before,
    head,
    tail,
    block_start,
    epochs_per_sample,
    epochs_per_negative_sample,
    next_sample,
    next_negative,
    rng_state,
    a,
    b,
    gamma,
    alpha,
    epoch,
):  # pragma: no cover - compiled; covered through umap_embedding
    """One layout epoch, blocks of points in parallel, reproducible for any thread count.

    ``before`` holds the positions at the start of the epoch: the other end of an edge and the
    negative samples are read there, so no block reads a point another block is moving (and
    the result does not depend on where the blocks are cut).
    """
    n_vertices = embedding.shape[0]
    dim = embedding.shape[1]
    for blk in numba.prange(block_start.shape[0] - 1):
        for i in range(block_start[blk], block_start[blk + 1]):
            if next_sample[i] > epoch:
                continue
            j = head[i]
            current = embedding[j]
            other = before[tail[i]]
            dist2 = 0.0
            for d in range(dim):
                diff = current[d] - other[d]
                dist2 += diff * diff
            coeff = 0.0
            if dist2 > 0.0:
                # umap-learn's -2ab d^(2(b-1)) / (a d^(2b) + 1), with one pow instead of two
                power = dist2**b
                coeff = -2.0 * a * b * (power / dist2) / (a * power + 1.0)
            for d in range(dim):
                # twice: umap-learn's move_other pull of the reverse edge, applied here
                current[d] += 2.0 * _clip(coeff * (current[d] - other[d])) * alpha
            next_sample[i] += epochs_per_sample[i]
            n_neg = int((epoch - next_negative[i]) / epochs_per_negative_sample[i])
            for _ in range(n_neg):
                k = _tau_rand_int(rng_state[j]) % n_vertices
                if k == j:
                    continue
                other = before[k]
                dist2 = 0.0
                for d in range(dim):
                    diff = current[d] - other[d]
                    dist2 += diff * diff
                if dist2 > 0.0:
                    coeff = 2.0 * gamma * b / ((0.001 + dist2) * (a * dist2**b + 1.0))
                    for d in range(dim):
                        current[d] += _clip(coeff * (current[d] - other[d])) * alpha
            next_negative[i] += n_neg * epochs_per_negative_sample[i]


@numba.njit(parallel=True, cache=True, nogil=True)
def _project_packed(packed, table):  # pragma: no cover - compiled; covered through pca_start
    """``bits @ components`` from packed bytes: ``table[p, v]`` is the sum of the component
    rows of the bits set in byte value ``v`` at byte position ``p``."""
    n, width = packed.shape
    k = table.shape[2]
    out = np.zeros((n, k), dtype=np.float64)
    for i in numba.prange(n):
        for p in range(width):
            v = packed[i, p]
            if v:
                for c in range(k):
                    out[i, c] += table[p, v, c]
    return out


def pca_start(packed: np.ndarray, seed: int, sample: int = PCA_START_SAMPLE) -> np.ndarray:
    """Two PCA scores of every row of ``packed`` (uncentred: a start layout is rescaled).

    Up to ``sample`` rows this is :func:`chemspace_base.pca`'s randomized solver (centred);
    above, the components are fitted on ``sample`` rows drawn with ``seed`` and every row is
    projected on them, the same sum ``bits @ components`` the full fit takes, read from the
    packed bytes through a 256-entry table per byte position.
    """
    from molaudit.analytics.chemspace_base import pca

    n = packed.shape[0]
    if n <= sample:
        return pca(packed, 2, solver="randomized", seed=seed)[0]
    pick = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
    components = pca(packed[pick], 2, solver="randomized", seed=seed)[2]
    bits_of_byte = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1)
    width = packed.shape[1]
    table = np.einsum(
        "vb,pbc->pvc", bits_of_byte.astype(np.float64), components.reshape(width, 8, -1)
    )
    return _project_packed(np.ascontiguousarray(packed, dtype=np.uint8), table)


def _stop_if(cancelled: Callable[[], bool] | None) -> None:
    from molaudit.analytics._base import AnalyticCancelled

    if cancelled is not None and cancelled():
        raise AnalyticCancelled("chemical_space (UMAP) was cancelled")


def knn_for_umap(
    index: FingerprintIndex,
    k: int,
    n_jobs: int | None,
    seed: int,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """umap-learn's kNN arrays: each point first (distance 0), then its ``k - 1`` nearest.

    Kept in ``memo`` (the batch's) under the index's rows, ``k`` and ``seed``, so a second
    UMAP of the same batch (another ``min_dist``, more epochs) builds no graph.
    """
    from molaudit.analytics.chemspace_base import knn_graph
    from molaudit.analytics.similarity.approx_nn import AUTO_EXACT_MAX

    n = len(index)
    approximate = n > AUTO_EXACT_MAX
    cache: dict = memo("umap_knn_graphs", dict) if memo is not None else {}
    key = (k, approximate, seed if approximate else 0)
    hit = cache.get(key)
    if hit is not None and np.array_equal(hit[0], index.rows):
        return hit[1], hit[2]
    neighbors, distances = knn_graph(
        index, k - 1, n_jobs, approximate=approximate, seed=seed, memo=memo
    )
    knn_idx = np.hstack([np.arange(n)[:, None], neighbors]).astype(np.int32)
    knn_dist = np.hstack([np.zeros((n, 1)), distances]).astype(np.float32)
    # umap-learn's disconnection distance for metric='jaccard'
    far = knn_dist >= 1.0
    knn_idx[far] = -1
    knn_dist[far] = np.inf
    cache[key] = (index.rows.copy(), knn_idx, knn_dist)
    return knn_idx, knn_dist


def umap_embedding(
    index: FingerprintIndex,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    init: str = "pca",
    seed: int | None = 0,
    n_jobs: int | None = -1,
    layout: str = "blocks",
    timings: dict[str, Any] | None = None,
    progress: Callable[[int, int], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> np.ndarray:
    """UMAP coordinates (Jaccard on bits) from molaudit's Tanimoto kNN graph.

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    n_neighbors, min_dist : int, float
        umap-learn's settings (``n_neighbors`` includes the point itself, as in umap-learn).
    n_epochs : int, optional
        Layout epochs; None: :func:`umap_epochs` of the size (500 up to 10k, 200 up to 200k,
        150 above).
    init : {'pca', 'spectral'}
        Start layout: molaudit's randomized PCA (:func:`pca_start`: fitted on a seeded
        sample of :data:`PCA_START_SAMPLE` above that size, every point projected), or
        umap-learn's spectral layout of the fuzzy graph (needs the dense bits to place
        disconnected components).
    seed : int or None
        Seeds the start layout's noise and the negative sampling; the same seed gives the same
        coordinates for any ``n_jobs`` (``layout='blocks'``). None: unseeded.
    n_jobs : int, optional
        Threads for the neighbour graph and the layout (joblib convention).
    layout : {'blocks', 'umap'}
        ``blocks``: the parallel, reproducible epoch of this module; ``umap``: umap-learn's own
        single-threaded epochs (identical to ``umap.UMAP`` on the same graph; slow at 1M).
    timings : dict, optional
        Receives the seconds of each phase (``knn``, ``fuzzy_set``, ``init``, ``layout``) and
        ``n_epochs``, ``layout_threads``.
    progress : callable, optional
        ``progress(done, 3 + n_epochs)``: after the graph, the fuzzy set, the start layout and
        every epoch.
    cancelled : callable, optional
        Polled between phases and after every epoch; True raises
        :class:`~molaudit.analytics.AnalyticCancelled`.
    memo : callable, optional
        The batch's ``memo(key, factory)``: the kNN graph (and NN-descent's candidate graph)
        is kept there and reused.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float32 coordinates in the index's original order (NaN for a molecule
        with no neighbour of Tanimoto > 0, as umap-learn does).
    """
    if init not in ("pca", "spectral"):
        raise ValueError(f"init must be 'spectral' or 'pca', got {init!r}")
    if layout not in ("blocks", "umap"):
        raise ValueError(f"layout must be 'blocks' or 'umap', got {layout!r}")
    enable_umap_numba_cache()
    from sklearn.utils import check_random_state
    from umap.umap_ import find_ab_params, fuzzy_simplicial_set

    from molaudit.analytics.chemspace_base import _single_threaded_blas

    spent = timings if timings is not None else {}
    report = progress or (lambda done, total: None)
    n = len(index)
    k = max(2, min(n_neighbors, n - 1))
    epochs = int(n_epochs) if n_epochs is not None else umap_epochs(n)
    total = 3 + epochs
    random_state = check_random_state(seed)

    clock = time.perf_counter()
    knn_idx, knn_dist = knn_for_umap(index, k, n_jobs, seed or 0, memo)
    spent["knn"] = time.perf_counter() - clock
    report(1, total)
    _stop_if(cancelled)

    clock = time.perf_counter()
    graph, _, _ = fuzzy_simplicial_set(
        np.empty((n, 0)), k, random_state, "jaccard", {}, knn_idx, knn_dist
    )
    graph = graph.tocsr()
    connected = np.asarray(graph.sum(axis=1)).ravel() > 0
    # umap-learn's simplicial_set_embedding: drop edges too weak to be sampled in n_epochs
    edges = graph.tocoo()
    edges.sum_duplicates()
    edges.data[edges.data < edges.data.max() / float(epochs)] = 0.0
    edges.eliminate_zeros()
    spent["fuzzy_set"] = time.perf_counter() - clock
    report(2, total)
    _stop_if(cancelled)

    clock = time.perf_counter()
    packed = index.words.view(np.uint8)[index.rank]
    # one BLAS thread: eigsh of the spectral start took 9.7 s with two contending OpenBLAS
    # threads and 1.4 s with one at 10k on the busy 2-core machine
    with _single_threaded_blas(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = _start_layout(packed, edges, init, seed, random_state)
    # umap-learn's INT32_MIN, INT32_MAX
    low, high = np.iinfo(np.int32).min + 1, np.iinfo(np.int32).max - 1
    rng_state = random_state.randint(low, high, 3).astype(np.int64)
    span = start.max(axis=0) - start.min(axis=0)
    embedding = (10.0 * (start - start.min(axis=0)) / span).astype(np.float32, order="C")
    spent["init"] = time.perf_counter() - clock
    report(3, total)
    _stop_if(cancelled)

    clock = time.perf_counter()
    threads = n_threads(n_jobs) if layout == "blocks" else 1
    a, b = find_ab_params(1.0, min_dist)

    def after_epoch(done: int) -> None:
        report(3 + done, total)
        _stop_if(cancelled)

    _optimize(embedding, edges, epochs, rng_state, a, b, layout, threads, after_epoch)
    spent["layout"] = time.perf_counter() - clock
    spent["n_epochs"] = epochs
    spent["layout_threads"] = threads
    embedding[~connected] = np.nan
    return embedding


def _start_layout(
    packed: np.ndarray, edges: Any, init: str, seed: int | None, random_state: Any
) -> np.ndarray:
    """The start coordinates, with umap-learn's own treatment of each kind of start."""
    if init == "spectral":
        from umap.spectral import spectral_layout
        from umap.umap_ import noisy_scale_coords

        # the spectral layout of a disconnected graph reads X (component centroids)
        bits = unpack_bits(packed).astype(bool)
        coords = spectral_layout(bits, edges, 2, random_state, metric="jaccard", metric_kwds={})
        return noisy_scale_coords(coords, random_state, max_coord=10, noise=0.0001)
    # float32 as umap-learn's check_array makes a start array
    start = pca_start(packed, seed or 0).astype(np.float32)
    # umap-learn's treatment of a start array: jitter duplicate points (identical
    # fingerprints) by 0.1% of the mean nearest-neighbour distance
    if np.unique(start, axis=0).shape[0] < start.shape[0]:
        from sklearn.neighbors import KDTree

        dist, _ = KDTree(start).query(start, k=2)
        scale = 0.001 * np.mean(dist[:, 1])
        start = start + random_state.normal(scale=scale, size=start.shape).astype(np.float32)
    return start


def locality_order(points: np.ndarray) -> np.ndarray:
    """Indices of 2-D ``points`` in Z-order (Morton) of a 65,536 x 65,536 grid over them."""
    span = np.ptp(points, axis=0)
    span[span == 0] = 1.0
    grid = ((points - points.min(axis=0)) / span * 65535.0).astype(np.uint64)

    def spread(v: np.ndarray) -> np.ndarray:  # bit i of v -> bit 2i
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    return np.argsort(spread(grid[:, 0]) | (spread(grid[:, 1]) << np.uint64(1)), kind="stable")


def _optimize(
    embedding: np.ndarray,
    edges: Any,
    epochs: int,
    rng_state: np.ndarray,
    a: float,
    b: float,
    layout: str,
    threads: int,
    after_epoch: Callable[[int], Any],
) -> None:
    """umap-learn's SGD schedule over ``epochs``, in place, ``after_epoch(done)`` each time."""
    from umap.umap_ import make_epochs_per_sample

    head = edges.row.astype(np.int64)
    tail = edges.col.astype(np.int64)
    order = None
    if head.size and np.any(np.diff(head) < 0):  # pragma: no cover - scipy gives row order
        order = np.argsort(head, kind="stable")
        head, tail = head[order], tail[order]
    weights = edges.data if order is None else edges.data[order]
    per_sample = make_epochs_per_sample(weights, epochs)
    per_negative = per_sample / 5.0  # umap-learn's negative_sample_rate
    next_sample = per_sample.copy()
    next_negative = per_negative.copy()
    n = embedding.shape[0]
    if layout == "umap":
        from umap.layouts import optimize_layout_euclidean

        optimize_layout_euclidean(
            embedding,
            embedding,
            edges.row,
            edges.col,
            epochs,
            n,
            per_sample,
            a,
            b,
            rng_state,
            1.0,
            1.0,
            5.0,
            parallel=False,
            move_other=True,
        )
        after_epoch(epochs)
        return
    # umap-learn's per-point random states
    offsets = embedding[:, 0].astype(np.float64).view(np.int64).reshape(-1, 1)
    rng_per_point = np.full((n, len(rng_state)), rng_state, dtype=np.int64) + offsets
    # points renumbered along a Z-order curve of the start layout, so that the two ends of an
    # edge (near each other from the start) lie near each other in memory; schedule arrays in
    # float32 and ends in int32: an epoch streams every edge, and halving the bytes it reads
    # is most of what makes the 1M layout faster (the coordinates are moved back at the end)
    curve = locality_order(embedding)
    position = np.empty(n, dtype=np.int64)
    position[curve] = np.arange(n)
    moved = np.ascontiguousarray(embedding[curve])
    rng_per_point = np.ascontiguousarray(rng_per_point[curve])
    head, tail = position[head], position[tail]
    by_head = np.argsort(head, kind="stable")
    head = head[by_head].astype(np.int32)
    tail = tail[by_head].astype(np.int32)
    per_sample = per_sample[by_head].astype(np.float32)
    per_negative = per_negative[by_head].astype(np.float32)
    next_sample = per_sample.copy()
    next_negative = per_negative.copy()
    cuts = np.linspace(0, n, min(LAYOUT_BLOCKS, n) + 1).astype(np.int64)
    block_start = np.searchsorted(head, cuts).astype(np.int64)
    before = np.empty_like(moved)
    saved = numba.get_num_threads()
    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        alpha = 1.0
        for epoch in range(epochs):
            before[:] = moved
            _epoch(
                moved,
                before,
                head,
                tail,
                block_start,
                per_sample,
                per_negative,
                next_sample,
                next_negative,
                rng_per_point,
                a,
                b,
                1.0,
                alpha,
                epoch,
            )
            alpha = 1.0 - epoch / float(epochs)
            after_epoch(epoch + 1)
    finally:
        numba.set_num_threads(saved)
    embedding[curve] = moved
