"""Approximate Tanimoto nearest neighbours for large batches (NN-descent + exact re-ranking).

The exact all-vs-all search of :meth:`FingerprintIndex.nearest` grows with n²: 100k molecules
took 118 s on 2 cores, so 1M would take hours. Above :data:`AUTO_EXACT_MAX` molecules
``nearest_neighbors(method="auto")`` switches to this module:

1. **Candidate graph.** pynndescent's NN-descent (already installed as a umap-learn
   dependency) builds a ``graph_neighbors``-nearest graph with its ``bit_jaccard`` metric
   directly on the packed uint8 fingerprints (no unpacking: 256 MB at 1M x 2048 bits).
2. **Exact re-ranking.** Every molecule's candidates are its graph neighbours *and their
   graph neighbours* (two hops, up to ``graph_neighbors`` + ``graph_neighbors``² molecules).
   Their Tanimoto similarities are recomputed with molaudit's exact float64 kernels, so every
   reported similarity is exact (bit-identical to RDKit) and ties are ordered by input row as
   in the exact search; only *which* molecules were considered is approximate. The second hop
   repairs most of NN-descent's misses at almost no cost (tens of candidate popcounts per
   molecule instead of n).

Recall is defined per query molecule as "the reported nearest neighbour's similarity equals
the exact best similarity" (an equally similar molecule in another row counts as a hit). It is
estimated on a seeded random sample of molecules with exact single-query searches and put in
the result's summary, so every approximate result says how good it is.

pynndescent 0.7.0 passes its default ``leaf_size`` to its bit-tree builder as int32 while the
compiled signature wants int64 (a numba TypingError for ``bit_jaccard``); we always pass an
explicit Python ``int`` leaf size, which avoids it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np

from molaudit.analytics.similarity.index import FingerprintIndex, n_threads
from molaudit.analytics.similarity.kernels import _common, _insert_ranked, _tanimoto

__all__ = ["AUTO_EXACT_MAX", "approximate_nearest", "enable_numba_disk_cache", "estimate_recall"]

#: ``method="auto"`` searches exactly up to this many molecules (exact 100k: ~2 min on 2
#: cores) and approximately above it.
AUTO_EXACT_MAX = 100_000

#: Default neighbours per molecule in the NN-descent candidate graph. Measured on 1M MOSES
#: molecules (2 cores, heavily shared machine): 15 -> recall 0.958, 193 s CPU, 1.84 GB peak
#: RSS; 20 -> recall 0.967, 215 s CPU, 1.82 GB (recall on 1,000 random molecules).
DEFAULT_GRAPH_NEIGHBORS = 20


@numba.njit(nogil=True, cache=True)
def _rerank(lo, hi, graph, words, counts, rows, k, stamp, out_pos, out_sim, out_n):
    """Exact top-k of positions lo..hi-1 among their 1- and 2-hop graph neighbours.

    ``stamp`` (one slot per fingerprint, owned by the calling thread) marks candidates already
    scored for the current query, so each is scored once.
    """
    m = graph.shape[1]
    for p in range(lo, hi):
        i = p - lo
        stamp[p] = p
        nfound = 0
        qc = counts[p]
        for a in range(m):
            first = graph[p, a]
            if first < 0:
                continue
            for b in range(-1, m):
                c = first if b < 0 else graph[first, b]
                if c < 0 or stamp[c] == p:
                    continue
                stamp[c] = p
                s = _tanimoto(qc, counts[c], _common(words[p], words, c))
                nfound = _insert_ranked(out_sim[i], out_pos[i], k, nfound, s, c, rows)
        out_n[i] = nfound


_CACHED_MODULES: set[str] = set()


def enable_numba_disk_cache(modules: tuple[str, ...]) -> None:
    """Switch numba's on-disk cache on for the uncached jitted functions of ``modules``.

    umap-learn and pynndescent declare most of their numba functions without ``cache=True``,
    so every new kernel recompiled them. ``Dispatcher.enable_caching`` before the first call
    makes numba write and reuse the machine code (in the package's ``__pycache__``, numba's
    user-wide cache directory when that is read-only, or ``NUMBA_CACHE_DIR`` when set).
    Modules missing from an installed version are skipped; each module is handled once per
    process.
    """
    import importlib

    from numba.core.dispatcher import Dispatcher

    for name in modules:
        if name in _CACHED_MODULES:
            continue
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - layout differences between versions
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value._cache.__class__.__name__ == "NullCache":
                try:
                    value.enable_caching()
                except Exception:  # pragma: no cover - a function numba cannot cache
                    continue
        _CACHED_MODULES.add(name)


def _enable_pynndescent_numba_cache() -> None:
    """:func:`enable_numba_disk_cache` for pynndescent's uncached jitted helpers.

    Measured: the first NN-descent call in a fresh process took 58 s of compiling before and
    28 s after (the remaining functions, ``nn_descent`` and ``nn_descent_internal``, take the
    metric as an argument and numba cannot cache them).
    """
    enable_numba_disk_cache(
        (
            "pynndescent.pynndescent_",
            "pynndescent.rp_trees",
            "pynndescent.utils",
            "pynndescent.distances",
            "pynndescent.graph_utils",
        )
    )


def candidate_graph(
    index: FingerprintIndex,
    graph_neighbors: int = DEFAULT_GRAPH_NEIGHBORS,
    *,
    seed: int = 0,
    n_jobs: int | None = -1,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """NN-descent graph over the index's fingerprints (sorted positions).

    ``memo`` (a batch's ``AnalyticInput.memo``) keeps the graph for the batch, so the
    analytics that need it (UMAP, nearest neighbours, approximate leader clusters) build it
    once: at 1M molecules it is minutes of work. The graph depends only on the sorted
    fingerprints (every index over the same rows sorts them alike), ``graph_neighbors`` and
    ``seed``; a kept graph is reused only for an index over the same rows.

    Returns
    -------
    tuple of numpy.ndarray
        ``(positions, jaccard_distances)``, both ``(n, graph_neighbors)``: pynndescent's
        graph in the index's *sorted* positions (``-1`` where it found fewer), distances as
        ``1 - Tanimoto`` in float32 (pynndescent's ``-log`` transform undone).
    """
    n = len(index)
    nn = int(min(graph_neighbors, n))
    kept: dict = memo("approx_nn_candidate_graphs", dict) if memo is not None else {}
    hit = kept.get((nn, int(seed)))
    if hit is not None and np.array_equal(hit[0], index.sorted_rows):
        return hit[1], hit[2]
    graph = _nn_descent(index, nn, seed, n_jobs)
    if memo is not None:
        kept[(nn, int(seed))] = (index.sorted_rows.copy(), *graph)
    return graph


def _nn_descent(
    index: FingerprintIndex, nn: int, seed: int, n_jobs: int | None
) -> tuple[np.ndarray, np.ndarray]:
    _enable_pynndescent_numba_cache()
    from pynndescent import NNDescent

    packed = index.words.view(np.uint8)
    with warnings.catch_warnings():
        # numba's chatter from pynndescent ("cannot cache ... dynamic globals", ...)
        warnings.simplefilter("ignore", category=numba.NumbaWarning)
        nnd = NNDescent(
            packed,
            metric="bit_jaccard",
            n_neighbors=nn,
            random_state=seed,
            n_jobs=n_threads(n_jobs),
            low_memory=True,
            leaf_size=int(max(60, min(256, 5 * nn))),
            compressed=True,
        )
        positions, dist = nnd.neighbor_graph
    del nnd
    return positions.astype(np.int64), (1.0 - np.exp(-dist.astype(np.float64))).astype(np.float32)


def approximate_nearest(
    index: FingerprintIndex,
    k: int = 1,
    *,
    graph_neighbors: int = DEFAULT_GRAPH_NEIGHBORS,
    seed: int = 0,
    n_jobs: int | None = -1,
    block: int = 4096,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate ``k`` most similar other fingerprints of every fingerprint.

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    k : int
        Neighbours per fingerprint (at most ``graph_neighbors + graph_neighbors**2``).
    graph_neighbors : int
        Neighbours per molecule in the NN-descent graph (more: better recall, slower).
    seed : int
        pynndescent's random state; the same seed gives the same result.
    n_jobs : int, optional
        Threads (joblib convention).
    block : int
        Molecules per re-ranking task.
    memo : callable, optional
        A batch's ``memo``: the NN-descent graph is kept and shared (:func:`candidate_graph`).

    Returns
    -------
    tuple of numpy.ndarray
        ``(neighbor_rows, similarities)``, both ``(n, k)`` in the original (input) order like
        :meth:`FingerprintIndex.nearest`: exact Tanimoto of the neighbours found, sorted by
        similarity descending then row ascending; row -1 / NaN where fewer were found.
    """
    n = len(index)
    out_rows = np.full((n, k), -1, dtype=np.int64)
    out_sim = np.full((n, k), np.nan, dtype=np.float64)
    if n < 2:
        return out_rows, out_sim
    graph, _ = candidate_graph(index, graph_neighbors, seed=seed, n_jobs=n_jobs, memo=memo)
    kk = min(k, n - 1)
    pos = np.full((n, kk), -1, dtype=np.int64)
    sim = np.full((n, kk), np.nan, dtype=np.float64)
    found = np.zeros(n, dtype=np.int64)
    threads = n_threads(n_jobs)
    spans = [(a, min(a + block, n)) for a in range(0, n, block)]
    # one stamp array per thread; a span's queries are disjoint, so reuse across spans is safe
    stamps = [np.full(n, -1, dtype=np.int64) for _ in range(min(threads, len(spans)))]

    def run(task: tuple[int, tuple[int, int]]) -> None:
        slot, (a, b) = task
        _rerank(
            a,
            b,
            graph,
            index.words,
            index.counts,
            index.sorted_rows,
            kk,
            stamps[slot],
            pos[a:b],
            sim[a:b],
            found[a:b],
        )

    # each worker owns one stamp array and a strided share of the spans
    def worker(slot: int) -> None:
        for j in range(slot, len(spans), len(stamps)):
            run((slot, spans[j]))

    if len(stamps) == 1:
        worker(0)
    else:
        with ThreadPoolExecutor(max_workers=len(stamps)) as pool:
            list(pool.map(worker, range(len(stamps))))
    missing = np.arange(kk)[None, :] >= found[:, None]
    rows = np.where(missing, -1, index.sorted_rows[np.where(missing, 0, pos)])
    sim[missing] = np.nan
    out_rows[:, :kk] = rows[index.rank]
    out_sim[:, :kk] = sim[index.rank]
    return out_rows, out_sim


def estimate_recall(
    index: FingerprintIndex,
    best_similarity: np.ndarray,
    *,
    sample: int = 1000,
    seed: int = 0,
) -> tuple[float, int, float]:
    """Share of sampled molecules whose reported best similarity equals the exact one.

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    best_similarity : numpy.ndarray
        Reported similarity of each fingerprint's first neighbour (original order; NaN when
        none was found, which counts as a miss unless the molecule is alone).
    sample : int
        Molecules checked with an exact single-query search (all when fewer).
    seed : int
        Seed of the sample.

    Returns
    -------
    tuple
        ``(recall, molecules checked, seconds spent)``.
    """
    started = time.perf_counter()
    n = len(index)
    m = min(sample, n)
    if m == 0 or n < 2:
        return float("nan"), 0, 0.0
    rng = np.random.default_rng(seed)
    picks = np.sort(rng.choice(n, m, replace=False))
    packed = index.words.view(np.uint8)
    hits = 0
    for p in picks.tolist():
        s_pos = int(index.rank[p])
        _, sims = index.search(packed[s_pos], k=1, exclude_row=int(index.rows[p]))
        hits += int(bool(sims.size) and best_similarity[p] == sims[0])
    return float(hits) / m, m, time.perf_counter() - started
