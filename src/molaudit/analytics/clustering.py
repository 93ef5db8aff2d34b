"""Clustering on Tanimoto distance: Butina from sparse neighbour lists, and leader clustering.

``cutoff`` is a **distance**, ``1 - Tanimoto similarity``: two molecules are neighbours when
``1 - similarity <= cutoff``, so the default ``cutoff=0.35`` groups molecules with similarity
``>= 0.65`` to the centroid. A *smaller* cutoff gives tighter, more numerous clusters.

Butina follows ``rdkit.ML.Cluster.Butina.ClusterData`` exactly (same clusters, same order,
same centroids, ties between equal neighbour counts going to the larger index, i.e. the
later input row), but builds the neighbour lists from the sparse pair list of
:meth:`FingerprintIndex.pairs` instead of a dense n x n distance matrix, so memory grows with
the number of neighbour pairs, not with n².

Leader clustering (sphere exclusion) needs no pair list at all: molecules are visited in
input-row order; each one not yet assigned becomes a centroid and takes every unassigned
molecule within ``cutoff``. Memory is O(n); use it for sets too large or too dense for Butina.
"""

from __future__ import annotations

import heapq
import math
import time
from typing import Any

import numba
import numpy as np
import pandas as pd

from ._base import AnalyticInput, AnalyticResult, register
from ._tanimoto import _common, _tanimoto
from .similarity import DEFAULT_MAX_PAIRS, FingerprintIndex, empty_reason, row_lookup

__all__ = ["butina", "clusters", "leader"]

METHODS = ("butina", "leader", "sphere_exclusion")
ASSIGNMENT_COLUMNS = ("row", "id", "cluster", "is_centroid", "similarity_to_centroid")
CLUSTER_COLUMNS = ("cluster", "centroid_row", "centroid_id", "size")


def _self_similarity(index: FingerprintIndex) -> np.ndarray:
    # an empty fingerprint has Tanimoto 0 with itself (RDKit's convention), else 1
    counts = np.empty(len(index), dtype=np.int64)
    counts[index.order] = index.counts
    return np.where(counts > 0, 1.0, 0.0)


def butina(
    index: FingerprintIndex,
    cutoff: float,
    *,
    reordering: bool = False,
    n_jobs: int | None = -1,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Butina (Taylor-Butina) clustering, the semantics of RDKit's ``Butina.ClusterData``.

    Points are the fingerprints in index order (``0..n-1``, the RDKit index).

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    cutoff : float
        Distance cutoff: ``1 - similarity <= cutoff`` makes two points neighbours.
    reordering : bool
        RDKit's ``reordering``: after each cluster, recount the unassigned neighbours of the
        remaining points before choosing the next centroid.
    n_jobs : int, optional
        Threads for the neighbour search.
    max_pairs : int
        Guard on the number of neighbour pairs (raise ValueError above it).

    Returns
    -------
    tuple
        ``(clusters, similarity)``: a list of int64 arrays of points, each starting with its
        centroid, in RDKit's order; and ``similarity``, float64 ``(n,)``, each point's
        similarity to its cluster's centroid.
    """
    n = len(index)
    # a hair below 1 - cutoff, then the exact test RDKit applies (1 - s <= cutoff)
    search = max(1e-12, (1.0 - cutoff) - 1e-9)
    p1, p2, sims = index.pairs(search, n_jobs=n_jobs, max_pairs=max_pairs)
    keep = (1.0 - sims) <= cutoff
    p1, p2, sims = p1[keep], p2[keep], sims[keep]
    # symmetric CSR with neighbours ascending, as RDKit's np.where over a matrix row gives
    src = np.concatenate([p1, p2])
    dst = np.concatenate([p2, p1])
    val = np.concatenate([sims, sims])
    del p1, p2, sims
    order = np.lexsort((dst, src))
    dst, val = dst[order], val[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    del src, order
    self_sim = _self_similarity(index)
    self_in = (1.0 - self_sim) <= cutoff
    count = np.diff(indptr) + self_in

    seen = np.zeros(n, dtype=bool)
    to_centroid = np.full(n, np.nan)
    result: list[np.ndarray] = []

    def take(idx: int) -> np.ndarray:
        nbrs = dst[indptr[idx] : indptr[idx + 1]]
        fresh = ~seen[nbrs]
        members = nbrs[fresh]
        seen[idx] = True
        seen[members] = True
        to_centroid[idx] = self_sim[idx]
        to_centroid[members] = val[indptr[idx] : indptr[idx + 1]][fresh]
        return np.concatenate([[idx], members]).astype(np.int64)

    if not reordering:
        ranked = np.lexsort((-np.arange(n), -count))
        for idx in ranked.tolist():
            if count[idx] <= 1:
                break
            if not seen[idx]:
                result.append(take(idx))
    else:
        current = count.copy()
        heap = [(-int(c), -i) for i, c in enumerate(current.tolist())]
        heapq.heapify(heap)
        while heap:
            neg_c, neg_i = heap[0]
            idx = -neg_i
            if seen[idx] or -neg_c != current[idx]:
                heapq.heappop(heap)  # stale entry
                continue
            if current[idx] <= 1:
                break
            heapq.heappop(heap)
            members = take(idx)
            result.append(members)
            # every unassigned neighbour of a new member loses that member from its count
            touched: dict[int, int] = {}
            for m in members.tolist():
                for nb in dst[indptr[m] : indptr[m + 1]].tolist():
                    if not seen[nb]:
                        touched[nb] = touched.get(nb, 0) + 1
            for nb, lost in touched.items():
                current[nb] -= lost
                heapq.heappush(heap, (-int(current[nb]), -nb))
        count = current
    # what is left becomes singletons, in RDKit's order: count descending, index descending
    rest = np.flatnonzero(~seen)
    rest = rest[np.lexsort((-rest, -count[rest]))]
    for idx in rest.tolist():
        result.append(np.array([idx], dtype=np.int64))
        to_centroid[idx] = self_sim[idx]
    return result, to_centroid


@numba.njit(nogil=True, cache=True)
def _leader_kernel(leaders, words, counts, bin_start, search, cutoff, cluster, sim, centroids):
    n_clusters = 0
    maxc = bin_start.shape[0] - 2
    for p in leaders:
        if cluster[p] >= 0:
            continue
        a = counts[p]
        cluster[p] = n_clusters
        sim[p] = 1.0 if a > 0 else 0.0
        centroids[n_clusters] = p
        lo = max(0, math.ceil(a * search) - 1)
        hi = min(maxc, math.floor(a / search) + 1)
        q = words[p]
        for j in range(bin_start[lo], bin_start[hi + 1]):
            if cluster[j] >= 0:
                continue
            s = _tanimoto(a, counts[j], _common(q, words, j))
            if 1.0 - s <= cutoff:
                cluster[j] = n_clusters
                sim[j] = s
        n_clusters += 1
    return n_clusters


def leader(index: FingerprintIndex, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leader clustering (sphere exclusion) in index order.

    Returns
    -------
    tuple of numpy.ndarray
        ``(cluster, similarity, centroids)``: cluster id per point (index order), similarity
        to its centroid, and the centroid point of each cluster.
    """
    n = len(index)
    search = max(1e-12, (1.0 - cutoff) - 1e-9)
    cluster = np.full(n, -1, dtype=np.int64)
    sim = np.full(n, np.nan)
    centroids = np.full(n, -1, dtype=np.int64)
    # leaders visited in index order = sorted positions via rank
    n_clusters = _leader_kernel(
        index.rank,
        index.words,
        index.counts,
        index.bin_start,
        search,
        cutoff,
        cluster,
        sim,
        centroids,
    )
    # kernel works on sorted positions: map back to index order
    out_cluster = cluster[index.rank]
    out_sim = sim[index.rank]
    out_centroids = index.order[centroids[:n_clusters]]
    return out_cluster, out_sim, out_centroids


def _check_cutoff(cutoff: object) -> float:
    ok = isinstance(cutoff, int | float | np.floating | np.integer) and not isinstance(cutoff, bool)
    if not ok or not 0.0 <= float(cutoff) < 1.0:  # type: ignore[arg-type]
        raise ValueError(
            f"cutoff must be a Tanimoto *distance* (1 - similarity) in [0, 1), got {cutoff!r}"
        )
    return float(cutoff)  # type: ignore[arg-type]


@register(
    "clusters",
    kind="expensive",
    description="Butina or leader clusters at a Tanimoto distance cutoff (1 - similarity)",
)
def clusters(
    data: AnalyticInput,
    method: str = "butina",
    cutoff: float = 0.35,
    reordering: bool = False,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> AnalyticResult:
    """Cluster the molecules on Morgan-fingerprint Tanimoto distance.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    method : {'butina', 'leader', 'sphere_exclusion'}
        ``butina``: Taylor-Butina, identical to ``rdkit.ML.Cluster.Butina.ClusterData``
        (centroid = molecule with most neighbours; ties to the later input row).
        ``leader`` (alias ``sphere_exclusion``): visit molecules in input-row order, each
        unassigned one becomes a centroid and takes every unassigned molecule within
        ``cutoff``; O(n) memory, for very large sets.
    cutoff : float
        **Distance** cutoff ``1 - Tanimoto`` in [0, 1): molecules within ``cutoff`` of a
        centroid join it. Default 0.35 means similarity ``>= 0.65``. Smaller = tighter clusters.
    reordering : bool
        Butina only: RDKit's ``reordering`` (recount unassigned neighbours after each cluster).
    max_pairs : int
        Butina only: guard on the number of neighbour pairs held in memory.

    Returns
    -------
    AnalyticResult
        Frame ``assignments`` (one line per molecule with a fingerprint, sorted by row):

        - ``row``, ``id`` : the molecule
        - ``cluster`` : cluster id (0-based; Butina numbers clusters in RDKit's order, which
          is largest first; leader in order of creation)
        - ``is_centroid`` : True for the cluster's centroid
        - ``similarity_to_centroid`` : Tanimoto similarity to the centroid (1 for the centroid)

        Frame ``clusters`` (one line per cluster, sorted by cluster):

        - ``cluster`` : cluster id
        - ``centroid_row``, ``centroid_id`` : the centroid molecule
        - ``size`` : number of members, centroid included

        Summary: ``n_molecules``, ``n_clusters``, ``singletons`` (clusters of one),
        ``largest_cluster``, ``similarity_threshold`` (= 1 - cutoff), ``seconds``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    cut = _check_cutoff(cutoff)
    if not isinstance(reordering, bool):
        raise ValueError(f"reordering must be True or False, got {reordering!r}")
    if not isinstance(max_pairs, int) or isinstance(max_pairs, bool) or max_pairs < 1:
        raise ValueError(f"max_pairs must be a positive integer, got {max_pairs!r}")
    params: dict[str, Any] = {
        "method": method,
        "cutoff": cut,
        "reordering": reordering,
        "max_pairs": max_pairs,
    }
    reason = empty_reason(data)
    if reason:
        frames = {"assignments": _empty(ASSIGNMENT_COLUMNS), "clusters": _empty(CLUSTER_COLUMNS)}
        return AnalyticResult("clusters", frames, {}, params, reason)
    started = time.perf_counter()
    rows_all = np.asarray(data.fingerprint_rows, dtype=np.int64)
    by_row = np.argsort(rows_all, kind="stable")
    rows = rows_all[by_row]
    index = FingerprintIndex(np.asarray(data.fingerprints)[by_row], rows)
    n = len(index)
    if method == "butina":
        try:
            groups, to_centroid = butina(
                index, cut, reordering=reordering, n_jobs=data.n_jobs, max_pairs=max_pairs
            )
        except ValueError as exc:
            raise ValueError(f"{exc}; or use method='leader', which keeps no pair list") from None
        assignment = np.empty(n, dtype=np.int64)
        centroids = np.empty(len(groups), dtype=np.int64)
        for cid, members in enumerate(groups):
            assignment[members] = cid
            centroids[cid] = members[0]
    else:
        assignment, to_centroid, centroids = leader(index, cut)
    sizes = np.bincount(assignment, minlength=len(centroids))
    is_centroid = np.zeros(n, dtype=bool)
    is_centroid[centroids] = True
    ids = row_lookup(data, rows, "id")
    assignments = pd.DataFrame(
        {
            "row": rows,
            "id": ids,
            "cluster": assignment,
            "is_centroid": is_centroid,
            "similarity_to_centroid": to_centroid,
        }
    )
    table = pd.DataFrame(
        {
            "cluster": np.arange(len(centroids), dtype=np.int64),
            "centroid_row": rows[centroids],
            "centroid_id": ids[centroids],
            "size": sizes.astype(np.int64),
        }
    )
    summary = {
        "method": "leader" if method == "sphere_exclusion" else method,
        "n_molecules": int(n),
        "n_clusters": len(centroids),
        "singletons": int(np.sum(sizes == 1)),
        "largest_cluster": int(sizes.max()) if sizes.size else 0,
        "similarity_threshold": round(1.0 - cut, 12),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return AnalyticResult(
        "clusters", {"assignments": assignments, "clusters": table}, summary, params
    )


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})
