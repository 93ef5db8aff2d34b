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
The exact scan costs about n x n_clusters Tanimoto tests (hours at 1M), so above
:data:`LEADER_EXACT_MAX` molecules ``approximate="auto"`` switches to
:func:`approximate_leader`, which tests each molecule only against the centroids of the
clusters of its NN-descent graph candidates (:mod:`molaudit.analytics.similarity.approx_nn`), and
checks itself against the exact leader rule on a random sample (:func:`leader_rule_check`).
Measured on MOSES at cutoff 0.35 (2 shared cores): 100k in 15 s (exact 51 s), 45,390
clusters vs 45,161 exact, 99.5 % of molecules with the exact centroid.
"""

from __future__ import annotations

import heapq
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param
from molaudit.analytics.similarity.index import (
    DEFAULT_MAX_PAIRS,
    FingerprintIndex,
    empty_reason,
    n_threads,
    row_lookup,
)

# A copy of approx_nn.DEFAULT_GRAPH_NEIGHBORS (a test checks they agree): declaring this
# analytic must not import numba. The numba kernels are in cluster_kernels, imported on use.
DEFAULT_GRAPH_NEIGHBORS = 20

__all__ = [
    "LEADER_EXACT_MAX",
    "approximate_leader",
    "butina",
    "clusters",
    "leader",
    "leader_rule_check",
]

METHODS = ("butina", "leader", "sphere_exclusion")
ASSIGNMENT_COLUMNS = ("row", "id", "cluster", "is_centroid", "similarity_to_centroid")
CLUSTER_COLUMNS = ("cluster", "centroid_row", "centroid_id", "size", "rows")


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
    from molaudit.analytics.similarity.cluster_kernels import _leader_kernel

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


#: ``clusters(method="leader", approximate="auto")`` runs the exact leader scan up to this many
#: molecules and the graph-candidate leader above it. Exact costs about n x n_clusters
#: Tanimoto tests: 38.7 s CPU at 100k MOSES (45,161 clusters), ~55 min CPU extrapolated at
#: 1M (384,977 clusters); the approximate leader took 189 s CPU there (271 s wall, shared).
LEADER_EXACT_MAX = 100_000


def _reverse_csr(fwd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = fwd.shape
    src = np.repeat(np.arange(n, dtype=np.int64), m)
    dst = fwd.ravel()
    keep = dst >= 0
    src, dst = src[keep], dst[keep]
    order = np.argsort(dst, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(dst, minlength=n), out=indptr[1:])
    return indptr, np.ascontiguousarray(src[order])


def approximate_leader(
    index: FingerprintIndex,
    cutoff: float,
    *,
    graph_neighbors: int = DEFAULT_GRAPH_NEIGHBORS,
    seed: int = 0,
    n_jobs: int | None = -1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leader clustering whose joins are searched among NN-descent graph candidates.

    Points are visited in index order as in :func:`leader`. A point is compared exactly only
    with the centroids of the clusters of its candidates: its ``graph_neighbors`` nearest
    graph neighbours (:func:`~molaudit.analytics.similarity.approx_nn.candidate_graph`),
    the points that
    have it as a graph neighbour, and the graph neighbours of both. It joins the
    earliest-created of those clusters whose centroid is within ``cutoff``, else founds a new
    one. Every similarity is exact and within the cutoff; what can differ from :func:`leader`
    is that a point founds a cluster, or joins a later one, although an earlier centroid
    within ``cutoff`` exists outside its candidates (see :func:`leader_rule_check`).

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    cutoff : float
        Distance cutoff ``1 - Tanimoto``.
    graph_neighbors : int
        Neighbours per point in the NN-descent graph.
    seed : int
        pynndescent's random state.
    n_jobs : int, optional
        Threads for NN-descent (the leader pass itself is sequential).

    Returns
    -------
    tuple of numpy.ndarray
        ``(cluster, similarity, centroids)`` as :func:`leader`.
    """
    n = len(index)
    if n < 3:
        return leader(index, cutoff)
    with warnings.catch_warnings():
        # on tiny sets NN-descent warns that some points have fewer neighbours: harmless here,
        # missing neighbours are -1 and skipped
        warnings.filterwarnings("ignore", message="Failed to correctly find n_neighbors")
        from molaudit.analytics.similarity.approx_nn import candidate_graph

        fwd, _ = candidate_graph(index, min(graph_neighbors, n - 1), seed=seed, n_jobs=n_jobs)
    fwd = np.ascontiguousarray(fwd)
    rev_ptr, rev_idx = _reverse_csr(fwd)
    search = max(1e-12, (1.0 - cutoff) - 1e-9)
    cluster = np.full(n, -1, dtype=np.int64)
    sim = np.full(n, np.nan)
    centroids = np.full(n, -1, dtype=np.int64)
    from molaudit.analytics.similarity.cluster_kernels import _approx_leader_kernel

    n_clusters = _approx_leader_kernel(
        index.rank,
        fwd,
        rev_ptr,
        rev_idx,
        index.words,
        index.counts,
        search,
        cutoff,
        cluster,
        sim,
        centroids,
        np.full(n, -1, dtype=np.int64),
        np.full(n, -1, dtype=np.int64),
    )
    return cluster[index.rank], sim[index.rank], index.order[centroids[:n_clusters]]


def leader_rule_check(
    index: FingerprintIndex,
    cutoff: float,
    cluster: np.ndarray,
    centroids: np.ndarray,
    *,
    sample: int = 1000,
    seed: int = 0,
    n_jobs: int | None = -1,
) -> dict[str, float]:
    """Check a leader clustering against the leader rule on a random sample, exactly.

    The leader rule: a point joins the earliest centroid created before it (in index order)
    that lies within ``cutoff``, and founds a cluster only if there is none. Each sampled
    point is compared with every earlier centroid (popcount window, exact Tanimoto).

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    cutoff : float
        Distance cutoff.
    cluster, centroids : numpy.ndarray
        Cluster per point (index order) and centroid point per cluster, as :func:`leader`.
    sample : int
        Points checked (all when fewer).
    seed : int
        Seed of the sample.
    n_jobs : int, optional
        Threads.

    Returns
    -------
    dict
        ``check_sample`` (points checked), ``check_agreement`` (share assigned exactly as the
        rule says), ``check_missed_joins`` (share that founded a cluster although an earlier
        centroid was within ``cutoff``), ``check_seconds``.
    """
    started = time.perf_counter()
    n = len(index)
    m = min(int(sample), n)
    if m == 0:
        return {"check_sample": 0}
    picks = np.sort(np.random.default_rng(seed).choice(n, m, replace=False))
    is_lead = np.zeros(n, dtype=bool)
    is_lead[centroids] = True
    # everything in sorted positions; index order is visiting order
    s_cluster = np.ascontiguousarray(cluster[index.order])
    s_lead = np.ascontiguousarray(is_lead[index.order])
    visit_time = np.ascontiguousarray(index.order.astype(np.int64))
    s_picks = index.rank[picks]
    search = max(1e-12, (1.0 - cutoff) - 1e-9)
    first = np.full(m, -1, dtype=np.int64)
    threads = min(n_threads(n_jobs), m)
    bounds = np.linspace(0, m, threads + 1).astype(int)

    def run(i: int) -> None:
        a, b = bounds[i], bounds[i + 1]
        from molaudit.analytics.similarity.cluster_kernels import _first_leader

        _first_leader(
            s_picks[a:b],
            index.words,
            index.counts,
            index.bin_start,
            visit_time,
            s_lead,
            s_cluster,
            search,
            cutoff,
            first[a:b],
        )

    if threads <= 1:
        run(0)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, range(threads)))
    own = cluster[picks]
    founded = is_lead[picks]
    ok = np.where(founded, first < 0, first == own)
    return {
        "check_sample": int(m),
        "check_agreement": round(float(ok.mean()), 6),
        "check_missed_joins": round(float(np.mean(founded & (first >= 0))), 6),
        "check_seconds": round(time.perf_counter() - started, 3),
    }


@register(
    "clusters",
    kind="expensive",
    description="Butina or leader clusters at a Tanimoto distance cutoff (1 - similarity)",
    params=(
        Param(
            "method",
            "choice",
            "butina",
            "Taylor-Butina (as RDKit), or leader / sphere exclusion (O(n) memory).",
            choices=METHODS,
            label="Clustering",
        ),
        Param(
            "cutoff",
            "float",
            0.35,
            "Tanimoto *distance* (1 - similarity) within which molecules join a centroid.",
            low=0,
            high=1,
            high_open=True,
            label="Distance cutoff",
            unit="1 - Tanimoto",
        ),
        Param(
            "reordering",
            "bool",
            False,
            "Butina: recount unassigned neighbours after each cluster (RDKit's option).",
            label="Reordering",
        ),
        Param(
            "max_pairs",
            "int",
            DEFAULT_MAX_PAIRS,
            "Butina: guard on the number of neighbour pairs held in memory.",
            low=1,
            label="Maximum pairs",
        ),
        Param(
            "approximate",
            "choice",
            "auto",
            "Leader: exact scan, graph-candidate approximation, or auto (exact up to exact_max).",
            choices=("auto", True, False),
            label="Approximate",
        ),
        Param(
            "exact_max",
            "int",
            LEADER_EXACT_MAX,
            "Leader, approximate='auto': largest set clustered exactly.",
            low=0,
            label="Exact up to",
            unit="molecules",
        ),
        Param(
            "graph_neighbors",
            "int",
            DEFAULT_GRAPH_NEIGHBORS,
            "Approximate leader: neighbours per molecule in the candidate graph.",
            low=2,
            label="Graph neighbours",
        ),
        Param("seed", "int", 0, "Approximate leader: random state.", low=0, label="Random seed"),
        Param(
            "check_sample",
            "int",
            1000,
            "Approximate leader: molecules checked exactly against every earlier centroid "
            "(0 skips the check).",
            low=0,
            label="Check sample",
        ),
    ),
    frames={
        "assignments": ASSIGNMENT_COLUMNS,
        "clusters": CLUSTER_COLUMNS,
    },
)
def clusters(
    data: AnalyticInput,
    method: str = "butina",
    cutoff: float = 0.35,
    reordering: bool = False,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    approximate: bool | str = "auto",
    exact_max: int = LEADER_EXACT_MAX,
    graph_neighbors: int = DEFAULT_GRAPH_NEIGHBORS,
    seed: int = 0,
    check_sample: int = 1000,
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
    approximate : {'auto', True, False}
        Leader only. ``False``: the exact scan (each molecule against every centroid; 38.7 s
        CPU at 100k MOSES, hours at 1M). ``True``: each molecule is tested exactly only
        against the centroids of the clusters of its NN-descent graph candidates
        (:func:`approximate_leader`): every similarity is still exact and within ``cutoff``,
        but a molecule may found a cluster (or join a later one) although an earlier centroid
        within ``cutoff`` lies outside its candidates. Measured on 100k MOSES at cutoff 0.35:
        45,390 clusters vs 45,161 exact, 99.5 % of molecules with the exact centroid.
        ``'auto'``: exact up to ``exact_max`` molecules, approximate above.
    exact_max : int
        Leader with ``approximate='auto'``: largest set clustered exactly
        (:data:`LEADER_EXACT_MAX`).
    graph_neighbors : int
        Approximate leader: neighbours per molecule in the NN-descent candidate graph.
    seed : int
        Approximate leader: NN-descent's random state and the seed of the check sample; the
        same seed gives the same clusters.
    check_sample : int
        Approximate leader: molecules whose assignment is checked exactly against every
        earlier centroid (summary ``check_*``); 0 skips the check.

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
        - ``rows`` : the members' input rows (list of int, ascending)

        Summary: ``n_molecules``, ``n_clusters``, ``singletons`` (clusters of one),
        ``largest_cluster``, ``similarity_threshold`` (= 1 - cutoff), ``seconds``; leader
        also ``approximate`` (bool), and when approximate ``graph_neighbors`` and the check
        of :func:`leader_rule_check` on ``check_sample`` random molecules:
        ``check_agreement`` (share assigned exactly as the leader rule says given the
        centroids found), ``check_missed_joins`` (share that founded a cluster although an
        earlier centroid was within ``cutoff``), ``check_seconds``.
    """
    cut = float(cutoff)
    params: dict[str, Any] = {
        "method": method,
        "cutoff": cut,
        "reordering": reordering,
        "max_pairs": max_pairs,
        "approximate": approximate,
        "exact_max": int(exact_max),
        "graph_neighbors": int(graph_neighbors),
        "seed": int(seed),
        "check_sample": int(check_sample),
    }
    reason = empty_reason(data)
    if reason:
        return empty_result("clusters", reason, params)
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
        approx = approximate is True or (approximate == "auto" and n > exact_max)
        if approx:
            assignment, to_centroid, centroids = approximate_leader(
                index, cut, graph_neighbors=int(graph_neighbors), seed=int(seed), n_jobs=data.n_jobs
            )
            extra = {"approximate": True, "graph_neighbors": int(graph_neighbors)}
            if check_sample:
                extra.update(
                    leader_rule_check(
                        index,
                        cut,
                        assignment,
                        centroids,
                        sample=int(check_sample),
                        seed=int(seed),
                        n_jobs=data.n_jobs,
                    )
                )
        else:
            assignment, to_centroid, centroids = leader(index, cut)
            extra = {"approximate": False}
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
            # member input rows of each cluster, ascending: a list of ints (the contract)
            "rows": [
                m.tolist()
                for m in np.split(rows[np.lexsort((rows, assignment))], np.cumsum(sizes)[:-1])
            ],
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
    if method != "butina":
        summary.update(extra)
    return AnalyticResult(
        "clusters", {"assignments": assignments, "clusters": table}, summary, params
    )
