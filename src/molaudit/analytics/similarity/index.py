"""The Tanimoto engine on packed fingerprints: the index, top-k search, pairs, row lookups.

The engine (:class:`FingerprintIndex`) keeps the fingerprints as ``uint64`` words sorted by
popcount. Tanimoto is ``c / (a + b - c)`` with ``a``, ``b`` the popcounts and ``c`` the popcount
of the AND, computed in float64 exactly as RDKit's ``BulkTanimotoSimilarity`` does (two empty
fingerprints have similarity 0, as in RDKit), so results are bit-identical to RDKit's.

Pruning: a molecule with popcount ``b`` cannot reach similarity ``t`` against one with popcount
``a`` unless ``min(a, b) / max(a, b) >= t``. The packed top-k kernel visits popcount bins in
decreasing order of that bound and stops once the bound falls below the k-th best similarity
found. From :data:`SLICED_MIN_SIZE` fingerprints on, top-k searches (one query:
:meth:`FingerprintIndex.search`; every member: :meth:`~FingerprintIndex.nearest`; queries from
outside the index, another batch in ``compare``: :meth:`~FingerprintIndex.nearest_of`) read
the fingerprints by bit instead (:mod:`.sliced`: only the query's on-bit columns, counted with
bit-sliced adders), 5-7x faster at 100k, same results. All pairs above a threshold
(``similarity_pairs``, activity cliffs) go through :meth:`FingerprintIndex.pairs`, given pairs
through :meth:`FingerprintIndex.similarity_of`.

The kernels (:mod:`molaudit.analytics.similarity.kernels`) are numba functions using LLVM's
``ctpop`` intrinsic: on the 2-core development machine (AVX-512 VPOPCNTDQ) a full scan of 100k
2048-bit fingerprints took 0.85 ms with them on 2026-11-28 (1.6-2.3 ms on 2026-12-02) and 9.1 ms
with ``np.bitwise_count`` on ``uint64`` views (which has to materialize the AND array), so numba
it is. They release the GIL and run on a thread pool, so both cores work without copying the
fingerprints into worker processes; numba's on-disk cache means the compile is paid once per
installation, not per kernel start.

Ties are deterministic everywhere: equal similarities are ordered by input row, ascending.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import joblib
import numpy as np
import pandas as pd
from rdkit import Chem

from molaudit.analytics._base import (
    AnalyticInput,
)
from molaudit.molecule.fingerprints import morgan_packed
from molaudit.molecule.standardize import standardize


class _Kernel:
    """A numba kernel of :mod:`.kernels`, imported (and compiled) on its first call.

    ``import molaudit`` does not import numba; the first similarity search does.
    """

    def __init__(self, name: str, module: str = "kernels") -> None:
        self.name = name
        self.module = module
        self._fn: Any = None

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            import importlib

            kernels = importlib.import_module(f"molaudit.analytics.similarity.{self.module}")
            self._fn = getattr(kernels, self.name)
        return self._fn(*args)


_matrix = _Kernel("_matrix")
_pairs_block = _Kernel("_pairs_block")
_range_sims = _Kernel("_range_sims")
_topk_many = _Kernel("_topk_many")
_topk_one = _Kernel("_topk_one")
_topk_tiled = _Kernel("_topk_tiled")
_top1_tiled = _Kernel("_top1_tiled")
_columns_of = _Kernel("_columns_of", "sliced")
_topk_sliced = _Kernel("_topk_sliced", "sliced")
_top1_sliced_many = _Kernel("_top1_sliced_many", "sliced")
_topk_sliced_many = _Kernel("_topk_sliced_many", "sliced")

__all__ = [
    "DEFAULT_MAX_PAIRS",
    "MAX_MATRIX_ROWS",
    "FingerprintIndex",
    "build_index",
    "empty_reason",
    "n_threads",
    "query_fingerprint",
    "row_lookup",
]

#: Largest subset :func:`similarity_matrix` builds a dense matrix for.
MAX_MATRIX_ROWS = 2000

#: From this k on, :meth:`FingerprintIndex.nearest` uses the cache-blocked kernel (same
#: result; None: never). It once measured 17% less CPU at k=90 on 48.7k MoleculeACE
#: molecules, but on 2026-12-02 (this 2-core AVX-512 machine, quiet) the per-query best-first
#: kernel was faster at every k tried: 48.7k k=14 10.2 vs 46.3 s, k=90 13.5 vs 55.9 s; 15k
#: k=300 4.8 vs 8.5 s. So it is off by default (UMAP's and t-SNE's exact graphs gain 4x).
TILED_MIN_K: int | None = None

#: Top-k searches (:meth:`FingerprintIndex.search`, :meth:`~FingerprintIndex.nearest`,
#: :meth:`~FingerprintIndex.nearest_of`) read the bit columns of the index (:mod:`.sliced`)
#: from this many fingerprints on, for queries of at most :data:`SLICED_MAX_BITS` on-bits
#: (``2 ** sliced.MAX_PLANES - 1``: 8 counter planes); below, or for larger queries, the packed
#: kernels. Both give the same rows and similarities (``tests/analytics/
#: test_similarity_sliced.py`` checks both against RDKit). At 100k MOSES the columns answer a
#: k=10 query in 0.28-0.45 ms against 1.6-2.3 ms for the packed scan; the columns are built on
#: first use (38 ms at 100k) and take as much memory as the fingerprints.
SLICED_MIN_SIZE = 4096
SLICED_MAX_BITS = 255

#: Tile of index fingerprints (kept in L2) and block of queries of :meth:`nearest_of`.
CROSS_TILE = 1024
CROSS_BLOCK = 64

#: Default cap on the number of pairs :func:`similarity_pairs` returns (about 0.5 GB of arrays).
DEFAULT_MAX_PAIRS = 30_000_000


# --------------------------------------------------------------------------------------------
# The index
# --------------------------------------------------------------------------------------------


def n_threads(n_jobs: int | None) -> int:
    """Threads to use for ``n_jobs`` (joblib convention), capped at the CPU count."""
    wanted = joblib.effective_n_jobs(-1 if n_jobs is None else n_jobs)
    return max(1, min(wanted, os.cpu_count() or 1))


def _thread_map(fn: Callable[[Any], Any], tasks: Sequence[Any], threads: int) -> list[Any]:
    if threads <= 1 or len(tasks) <= 1:
        return [fn(t) for t in tasks]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(fn, tasks))


def _watched(
    run: Callable[[tuple[int, int]], Any],
    total: int,
    progress: Callable[[int, int], Any] | None,
    cancelled: Callable[[], bool] | None,
) -> Callable[[tuple[int, int]], Any]:
    """``run`` per span, reporting progress and skipping the spans left once cancelled."""
    if progress is None and cancelled is None:
        return run

    lock = threading.Lock()
    done = [0]

    def step(span: tuple[int, int]) -> Any:
        if cancelled is not None and cancelled():
            return None
        out = run(span)
        with lock:
            done[0] += span[1] - span[0]
            finished = done[0]
        if progress is not None:
            progress(finished, total)
        return out

    return step


class FingerprintIndex:
    """Packed fingerprints sorted by popcount, ready for exact Tanimoto searches.

    Build it once per batch (it costs a sort and one copy of the fingerprints: ~25 MB and a few
    ms at 100k 2048-bit fingerprints) and query it many times. The first top-k search of an
    index of :data:`SLICED_MIN_SIZE` fingerprints or more adds the fingerprints by bit
    (:meth:`columns`: as many bytes again, 38 ms at 100k).

    Parameters
    ----------
    packed : numpy.ndarray
        ``uint8`` array ``(n, n_bytes)`` of packed fingerprints; ``n_bytes`` a multiple of 8.
    rows : array-like of int, optional
        Input row of each fingerprint (default ``0..n-1``). Results refer to these rows, and
        ties are broken by them (ascending).
    """

    def __init__(self, packed: np.ndarray, rows: Iterable[int] | None = None) -> None:
        packed = np.ascontiguousarray(packed, dtype=np.uint8)
        if packed.ndim != 2 or packed.shape[1] == 0 or packed.shape[1] % 8:
            raise ValueError(
                "packed must be a 2-D uint8 array whose row length is a multiple of 8 bytes, "
                f"got shape {packed.shape}"
            )
        n = packed.shape[0]
        self.rows = (
            np.arange(n, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        )
        if self.rows.shape != (n,):
            raise ValueError(
                f"rows must have one entry per fingerprint ({n}), got shape {self.rows.shape}"
            )
        self.n_bits = packed.shape[1] * 8
        words = packed.view(np.uint64)
        counts = np.bitwise_count(words).sum(axis=1, dtype=np.int64)
        # sorted by popcount, then row: neighbouring queries scan neighbouring memory
        self.order = np.lexsort((self.rows, counts))
        self.words = np.ascontiguousarray(words[self.order])
        self.counts = np.ascontiguousarray(counts[self.order])
        self.sorted_rows = np.ascontiguousarray(self.rows[self.order])
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[self.order] = np.arange(n, dtype=np.int64)
        self.bin_start = np.searchsorted(self.counts, np.arange(self.n_bits + 2)).astype(np.int64)
        self._columns: np.ndarray | None = None
        self._columns_lock = threading.Lock()

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def __repr__(self) -> str:
        return f"<FingerprintIndex {len(self)} fingerprints x {self.n_bits} bits>"

    def __getstate__(self) -> dict[str, Any]:
        # a lock does not pickle (joblib, copy); the bit columns are rebuilt where needed
        state = dict(self.__dict__)
        state["_columns"] = None
        del state["_columns_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._columns_lock = threading.Lock()

    def columns(self) -> np.ndarray:
        """The fingerprints by bit (``uint64 (n_bits, ceil(n / 64))``, sorted positions).

        Built on first use (once, also when threads ask together) for the bit-sliced top-k
        search of :mod:`.sliced`.
        """
        if self._columns is None:
            with self._columns_lock:
                if self._columns is None:
                    self._columns = _columns_of(self.words, self.n_bits)
        return self._columns

    # ------------------------------------------------------------------ single queries
    def _query_words(self, query_packed: np.ndarray) -> tuple[np.ndarray, int]:
        q = np.ascontiguousarray(query_packed, dtype=np.uint8).reshape(-1)
        if q.shape[0] * 8 != self.n_bits:
            raise ValueError(
                f"query fingerprint must have {self.n_bits} bits like the index, "
                f"got {q.shape[0] * 8}"
            )
        words = q.view(np.uint64)
        return words, int(np.bitwise_count(words).sum())

    def search(
        self,
        query_packed: np.ndarray,
        k: int | None = 10,
        threshold: float | None = None,
        *,
        exclude_row: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Most similar fingerprints to one query.

        Parameters
        ----------
        query_packed : numpy.ndarray
            Packed query fingerprint (``n_bits // 8`` uint8).
        k : int or None
            Number of hits (fewer when fewer pass ``threshold``); None = all above
            ``threshold`` (then ``threshold`` is required).
        threshold : float, optional
            Minimum Tanimoto similarity (inclusive).
        exclude_row : int, optional
            An input row left out of the results (the query itself when it is a batch row).

        Returns
        -------
        tuple of numpy.ndarray
            ``(rows, similarities)``: input rows (int64) and Tanimoto (float64), sorted by
            similarity descending, ties by row ascending.
        """
        _check_k(k, allow_none=True)
        t = _check_threshold(threshold, allow_none=True)
        if k is None and t is None:
            raise ValueError("threshold is required when k is None")
        q, qc = self._query_words(query_packed)
        exclude = -1
        if exclude_row is not None:
            hits = np.flatnonzero(self.rows == exclude_row)
            exclude = int(self.rank[hits[0]]) if hits.size else -1
        if k is not None:
            kk = min(k, len(self))
            pos = np.empty(max(kk, 1), dtype=np.int64)
            sim = np.empty(max(kk, 1), dtype=np.float64)
            if kk and len(self) >= SLICED_MIN_SIZE and 0 < qc <= SLICED_MAX_BITS:
                query_bits = np.flatnonzero(
                    np.unpackbits(q.view(np.uint8), bitorder="little")
                ).astype(np.int64)
                found = _topk_sliced(
                    self.columns(),
                    query_bits,
                    self.counts,
                    self.sorted_rows,
                    self.bin_start,
                    kk,
                    0.0 if t is None else t,
                    exclude,
                    pos,
                    sim,
                )
                if found >= 0:
                    return self.sorted_rows[pos[:found]], sim[:found].copy()
            found = (
                _topk_one(
                    q,
                    qc,
                    self.words,
                    self.counts,
                    self.sorted_rows,
                    self.bin_start,
                    kk,
                    0.0 if t is None else t,
                    exclude,
                    pos,
                    sim,
                )
                if kk
                else 0
            )
            return self.sorted_rows[pos[:found]], sim[:found].copy()
        assert t is not None
        start, stop = self._candidate_span(qc, t)
        sims = np.empty(stop - start, dtype=np.float64)
        _range_sims(q, qc, self.words, self.counts, start, stop, sims)
        keep = np.flatnonzero(sims >= t) + start
        if exclude >= 0:
            keep = keep[keep != exclude]
        rows = self.sorted_rows[keep]
        sims = sims[keep - start]
        order = np.lexsort((rows, -sims))
        return rows[order], sims[order]

    def _candidate_span(self, qc: int, t: float) -> tuple[int, int]:
        # generous integer popcount window; the exact similarity test decides
        if t <= 0.0:
            return 0, len(self)
        lo = max(0, math.ceil(qc * t) - 1)
        hi = min(self.n_bits, math.floor(qc / t) + 1)
        return int(self.bin_start[lo]), int(self.bin_start[hi + 1])

    # ------------------------------------------------------------------ all-vs-all
    def nearest(
        self,
        k: int = 1,
        *,
        threshold: float = 0.0,
        n_jobs: int | None = -1,
        block: int = 256,
        progress: Callable[[int, int], Any] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar other fingerprints of every fingerprint (exact).

        ``progress(done, n)`` is called after every chunk of queries; once ``cancelled()``
        is True the remaining chunks are skipped and
        :class:`~molaudit.analytics.AnalyticCancelled` is raised.

        Returns
        -------
        tuple of numpy.ndarray
            ``(neighbor_rows, similarities)``, both ``(n, k)`` in the original (input) order of
            the fingerprints; missing neighbours (fewer than k others) are row -1 and NaN.
        """
        _check_k(k)
        n = len(self)
        kk = max(1, min(k, n - 1)) if n > 1 else 1
        pos = np.full((n, kk), -1, dtype=np.int64)
        sim = np.full((n, kk), np.nan, dtype=np.float64)
        found = np.zeros(n, dtype=np.int64)
        if n > 1:

            def run(span: tuple[int, int]) -> None:
                a, b = span
                if tiled:
                    _topk_tiled(
                        a,
                        b,
                        self.words,
                        self.counts,
                        self.sorted_rows,
                        1024,
                        kk,
                        pos[a:b],
                        sim[a:b],
                        found[a:b],
                    )
                    return
                if sliced:
                    _topk_sliced_many(
                        self.columns(),
                        self.words,
                        a,
                        b,
                        self.counts,
                        self.sorted_rows,
                        self.bin_start,
                        kk,
                        threshold,
                        pos[a:b],
                        sim[a:b],
                        found[a:b],
                    )
                    for p in (a + np.flatnonzero(found[a:b] < 0)).tolist():
                        packed(p, p + 1)  # members the bit columns leave to the packed kernel
                    return
                packed(a, b)

            def packed(a: int, b: int) -> None:
                _topk_many(
                    a,
                    b,
                    self.words,
                    self.counts,
                    self.sorted_rows,
                    self.bin_start,
                    kk,
                    threshold,
                    pos[a:b],
                    sim[a:b],
                    found[a:b],
                )

            tiled = TILED_MIN_K is not None and kk >= TILED_MIN_K and threshold <= 0.0
            sliced = not tiled and n >= SLICED_MIN_SIZE
            step = 64 if tiled else block
            spans = [(a, min(a + step, n)) for a in range(0, n, step)]
            _thread_map(_watched(run, n, progress, cancelled), spans, n_threads(n_jobs))
            if cancelled is not None and cancelled():
                from molaudit.analytics._base import AnalyticCancelled

                raise AnalyticCancelled("the nearest-neighbour search was cancelled")
        missing = np.arange(kk)[None, :] >= found[:, None]
        rows = np.where(missing, -1, self.sorted_rows[np.where(missing, 0, pos)])
        sim[missing] = np.nan
        out_rows = np.full((n, k), -1, dtype=np.int64)
        out_sim = np.full((n, k), np.nan, dtype=np.float64)
        out_rows[:, :kk] = rows[self.rank]
        out_sim[:, :kk] = sim[self.rank]
        return out_rows, out_sim

    def nearest_of(
        self, queries: np.ndarray, *, n_jobs: int | None = -1
    ) -> tuple[np.ndarray, np.ndarray]:
        """Most similar fingerprint of the index for every query fingerprint (exact top-1).

        The queries are not in the index (another batch, another part of a batch). They are
        sorted by popcount and compared in blocks of :data:`CROSS_BLOCK` with tiles of
        :data:`CROSS_TILE` index fingerprints (a tile stays in L2 while the block is compared
        with it; a tile is skipped for a query whose best similarity so far beats the tile's
        popcount bound ``min(a, b) / max(a, b)``).

        Parameters
        ----------
        queries : numpy.ndarray
            ``uint8 (m, n_bits // 8)`` packed query fingerprints (same size as the index).
        n_jobs : int, optional
            Threads (joblib convention).

        Returns
        -------
        tuple of numpy.ndarray
            ``(rows, similarities)``, both ``(m,)``: the input row of the nearest index
            fingerprint (lowest row on ties; -1 when the index is empty) and the Tanimoto
            similarity (NaN when the index is empty).
        """
        queries = np.ascontiguousarray(queries, dtype=np.uint8)
        m = queries.shape[0]
        if queries.ndim != 2 or (m and queries.shape[1] * 8 != self.n_bits):
            raise ValueError(
                f"queries must be (m, {self.n_bits // 8}) packed fingerprints like the index, "
                f"got shape {queries.shape}"
            )
        out_rows = np.full(m, -1, dtype=np.int64)
        out_sim = np.full(m, np.nan)
        if m == 0 or len(self) == 0:
            return out_rows, out_sim
        qwords = queries.view(np.uint64)
        qcounts = np.bitwise_count(qwords).sum(axis=1, dtype=np.int64)
        order = np.argsort(qcounts, kind="stable")
        qw = np.ascontiguousarray(qwords[order])
        qc = np.ascontiguousarray(qcounts[order])
        pos = np.full(m, -1, dtype=np.int64)
        sim = np.full(m, -1.0)
        tile = CROSS_TILE
        n_tiles = (len(self) + tile - 1) // tile

        def packed(
            q_words: np.ndarray,
            q_counts: np.ndarray,
            a: int,
            b: int,
            at: np.ndarray,
            best: np.ndarray,
        ) -> None:
            mid = int(q_counts[(a + b) // 2])
            home = min(int(np.searchsorted(self.counts, mid)) // tile, n_tiles - 1)
            _top1_tiled(
                q_words,
                q_counts,
                a,
                b,
                self.words,
                self.counts,
                self.sorted_rows,
                tile,
                home,
                at,
                best,
            )

        def run_sliced(span: tuple[int, int]) -> None:
            _top1_sliced_many(
                self.columns(),
                qw,
                span[0],
                span[1],
                self.counts,
                self.sorted_rows,
                self.bin_start,
                pos,
                sim,
            )

        spans = [(a, min(a + CROSS_BLOCK, m)) for a in range(0, m, CROSS_BLOCK)]
        if len(self) < SLICED_MIN_SIZE:
            _thread_map(lambda span: packed(qw, qc, *span, pos, sim), spans, n_threads(n_jobs))
        else:
            _thread_map(run_sliced, spans, n_threads(n_jobs))
            rest = np.flatnonzero(pos == -2)  # queries the bit columns leave to the packed kernel
            if rest.size:
                at = np.full(rest.size, -1, dtype=np.int64)
                best = np.full(rest.size, -1.0)
                packed(np.ascontiguousarray(qw[rest]), qc[rest], 0, rest.size, at, best)
                pos[rest] = at
                sim[rest] = best
        out_rows[order] = self.sorted_rows[pos]
        out_sim[order] = sim
        return out_rows, out_sim

    def pairs(
        self,
        threshold: float,
        *,
        n_jobs: int | None = -1,
        max_pairs: int = DEFAULT_MAX_PAIRS,
        block: int = 256,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All pairs with Tanimoto ``>= threshold`` (exact, sparse).

        Returns
        -------
        tuple of numpy.ndarray
            ``(pos_1, pos_2, similarity)``: positions in the original fingerprint order with
            ``pos_1 < pos_2``, sorted by ``(pos_1, pos_2)``.

        Raises
        ------
        ValueError
            When more than ``max_pairs`` pairs pass the threshold.
        """
        t = _check_threshold(threshold, allow_none=False, allow_zero=False)
        n = len(self)
        if n < 2:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.float64)
        hi_count = np.minimum(np.floor(self.counts / t).astype(np.int64) + 1, self.n_bits)
        hi_end = self.bin_start[hi_count + 1]
        total = [0]

        def run(span: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
            a, b = span
            cap = 1 << 16
            parts = []
            while a < b:
                cap = max(cap, int(hi_end[a] - a))
                out_i = np.empty(cap, dtype=np.int64)
                out_j = np.empty(cap, dtype=np.int64)
                out_s = np.empty(cap, dtype=np.float64)
                written, a = _pairs_block(
                    self.words, self.counts, hi_end, t, a, b, out_i, out_j, out_s
                )
                if written:
                    parts.append(
                        (out_i[:written].copy(), out_j[:written].copy(), out_s[:written].copy())
                    )
                    total[0] += written  # races only make the guard late, never wrong
                    if total[0] > max_pairs:
                        raise _TooManyPairs
            return parts

        spans = [(a, min(a + block, n)) for a in range(0, n, block)]
        try:
            chunks = [p for parts in _thread_map(run, spans, n_threads(n_jobs)) for p in parts]
        except _TooManyPairs:
            raise ValueError(
                f"more than max_pairs={max_pairs} pairs have similarity >= {t}; raise threshold "
                "or max_pairs"
            ) from None
        if not chunks:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty.copy(), np.empty(0, dtype=np.float64)
        pi = self.order[np.concatenate([c[0] for c in chunks])]
        pj = self.order[np.concatenate([c[1] for c in chunks])]
        sims = np.concatenate([c[2] for c in chunks])
        del chunks
        p1 = np.minimum(pi, pj)
        p2 = np.maximum(pi, pj)
        del pi, pj
        order = np.lexsort((p2, p1))
        return p1[order], p2[order], sims[order]

    def similarity_of(self, pos_1: np.ndarray, pos_2: np.ndarray) -> np.ndarray:
        """Tanimoto of given pairs: ``pos_1[k]`` with ``pos_2[k]`` (original order).

        For a short list of pairs known in advance (a full search is :meth:`pairs`). Same
        float64 arithmetic as the kernels, so each value equals RDKit's
        ``TanimotoSimilarity`` bit for bit (0.0 for two empty fingerprints).

        Returns
        -------
        numpy.ndarray
            float64, one similarity per pair.
        """
        a = self.rank[np.asarray(pos_1, dtype=np.int64)]
        b = self.rank[np.asarray(pos_2, dtype=np.int64)]
        common = np.bitwise_count(self.words[a] & self.words[b]).sum(axis=1, dtype=np.int64)
        union = self.counts[a] + self.counts[b] - common
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(union > 0, common / np.where(union > 0, union, 1), 0.0)

    def matrix(self, positions: np.ndarray) -> np.ndarray:
        """Dense Tanimoto matrix between the fingerprints at ``positions`` (original order)."""
        positions = np.asarray(positions, dtype=np.int64)
        out = np.empty((positions.shape[0], positions.shape[0]), dtype=np.float64)
        _matrix(self.words, self.counts, self.rank[positions], out)
        return out


class _TooManyPairs(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Parameter checks and helpers shared with clustering
# --------------------------------------------------------------------------------------------


def _check_k(k: object, *, allow_none: bool = False) -> None:
    if k is None and allow_none:
        return
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1:
        alt = " or None" if allow_none else ""
        raise ValueError(f"k must be a positive integer{alt}, got {k!r}")


def _check_threshold(
    threshold: object, *, allow_none: bool, allow_zero: bool = True, name: str = "threshold"
) -> float | None:
    if threshold is None and allow_none:
        return None
    ok = isinstance(threshold, int | float | np.floating | np.integer) and not isinstance(
        threshold, bool
    )
    value = float(threshold) if ok else math.nan  # type: ignore[arg-type]
    low_ok = value >= 0.0 if allow_zero else value > 0.0
    if not (ok and low_ok and value <= 1.0):
        bracket = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(f"{name} must be a number in {bracket}, got {threshold!r}")
    return value


def build_index(data: AnalyticInput) -> FingerprintIndex:
    """A :class:`FingerprintIndex` over the batch's fingerprints (rows = input rows)."""
    return FingerprintIndex(data.fingerprints, data.fingerprint_rows)


def _lookup_arrays(data: AnalyticInput, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``(position of each input row in data.table or -1, values of column)``, built once.

    Kept in the batch's memo and rebuilt only when ``data.table`` is another object, so a
    query's result assembly costs O(k), not O(n).
    """
    table = data.table
    memo = getattr(data, "memo", None)
    cache: dict[str, Any] = memo("row_lookup_arrays", dict) if memo is not None else {}
    entry = cache.get("positions")
    if entry is None or entry[0] is not table:
        rows = table["row"].to_numpy(dtype=np.int64)
        positions = np.full(int(rows.max()) + 1 if len(rows) else 0, -1, dtype=np.int64)
        positions[rows] = np.arange(len(rows), dtype=np.int64)
        entry = cache["positions"] = (table, positions)
    values = cache.get(column)
    if values is None or values[0] is not table:
        values = cache[column] = (table, table[column].to_numpy())
    return entry[1], values[1]


def row_lookup(data: AnalyticInput, rows: np.ndarray, column: str) -> np.ndarray:
    """Values of ``column`` of ``data.table`` for input ``rows`` (None when absent).

    O(len(rows)) per call: the row -> position array and the column's values are built once
    per table and kept in the batch's memo.
    """
    table = data.table
    rows = np.asarray(rows, dtype=np.int64)
    if column not in table.columns:
        return np.full(len(rows), None, dtype=object)
    positions, values = _lookup_arrays(data, column)
    inside = (rows >= 0) & (rows < len(positions))
    found = np.full(len(rows), -1, dtype=np.int64)
    found[inside] = positions[rows[inside]]
    if len(rows) and found.min() >= 0:
        return values[found]
    out = np.full(len(rows), None, dtype=object)
    out[found >= 0] = values[found[found >= 0]]
    return out


def empty_reason(data: AnalyticInput) -> str | None:
    """Why there is nothing to compare (no rows / all errors), or None."""
    if len(data.table) == 0:
        return "the batch is empty"
    if data.fingerprints is None or len(data.fingerprints) == 0:
        return "no molecule has a fingerprint (every row is an error row)"
    return None


def _frame(columns: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(columns)


# --------------------------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------------------------


def query_fingerprint(query: str | Chem.Mol | int, data: AnalyticInput) -> np.ndarray:
    """Packed fingerprint of a query, computed the way the audit computes the batch's.

    Parameters
    ----------
    query : str, rdkit.Chem.Mol or int
        A SMILES, a molecule (both standardized to the neutral parent like the audit does,
        when ``data.options.standardize`` is on), or an input row number (its fingerprint is
        taken from the batch).
    data : AnalyticInput
        The batch (its options give the fingerprint radius and size).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of ``fp_size // 8`` packed bits.

    Raises
    ------
    ValueError
        Unparsable SMILES, a row that is not in the batch or has no fingerprint, or a query
        of another type.
    """
    options = data.options
    if isinstance(query, int | np.integer) and not isinstance(query, bool):
        hits = np.flatnonzero(np.asarray(data.fingerprint_rows) == int(query))
        if not hits.size:
            raise ValueError(
                f"query row {int(query)} has no fingerprint (not an input row of this batch, "
                "or an error row)"
            )
        return np.asarray(data.fingerprints[hits[0]], dtype=np.uint8)
    if isinstance(query, str):
        mol = Chem.MolFromSmiles(query)
        if mol is None:
            raise ValueError(f"query must be a valid SMILES, got {query!r} (RDKit cannot parse it)")
    elif isinstance(query, Chem.Mol):
        mol = Chem.Mol(query)
        Chem.SanitizeMol(mol)
    else:
        raise ValueError(
            f"query must be a SMILES string, an RDKit Mol or an input row number, got "
            f"{type(query).__name__}"
        )
    if options.standardize:
        mol, _, _ = standardize(
            mol, Chem.MolToSmiles(mol), canonical_tautomer=options.canonical_tautomer
        )
    return morgan_packed(mol, options.fp_radius, options.fp_size)
