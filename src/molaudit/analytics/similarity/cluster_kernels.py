"""numba kernels of the leader clusterings (:mod:`molaudit.analytics.similarity.clustering`).

Kept apart so that importing :mod:`.clustering` (and so declaring the ``clusters`` analytic)
does not import numba; :mod:`.clustering` imports these on first use. They work on the sorted
positions of a :class:`~molaudit.analytics.similarity.search.FingerprintIndex`.
"""

from __future__ import annotations

import math

import numba

from molaudit.analytics.similarity.kernels import _common, _tanimoto

__all__ = ["_approx_leader_kernel", "_first_leader", "_leader_kernel"]


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


@numba.njit(nogil=True, cache=True)
def _approx_leader_kernel(
    visit,
    fwd,
    rev_ptr,
    rev_idx,
    words,
    counts,
    search,
    cutoff,
    cluster,
    sim,
    centroids,
    stamp,
    lstamp,
):
    """Leader rule restricted to graph candidates, in sorted positions.

    Each point in visit order joins the earliest-created cluster whose centroid is within
    ``cutoff``, among the clusters of its visited candidates (1-hop forward and reverse graph
    neighbours and their forward neighbours); a candidate that is a member, not a centroid,
    still proposes its cluster's centroid, which is then tested exactly. No such centroid:
    the point founds a new cluster.
    """
    n_clusters = 0
    m = fwd.shape[1]
    for t in range(visit.shape[0]):
        p = visit[t]
        a = counts[p]
        q = words[p]
        best = -1
        best_s = 0.0
        stamp[p] = t
        r0 = rev_ptr[p]
        n_first = m + rev_ptr[p + 1] - r0
        for u in range(n_first):
            first = fwd[p, u] if u < m else rev_idx[r0 + u - m]
            if first < 0:
                continue
            for b in range(-1, m):
                c = first if b < 0 else fwd[first, b]
                if c < 0 or stamp[c] == t:
                    continue
                stamp[c] = t
                cid = cluster[c]
                # unvisited yet, or no earlier than the best cluster found so far
                if cid < 0 or (best >= 0 and cid >= best):
                    continue
                lead = centroids[cid]
                if lstamp[lead] == t:
                    continue
                lstamp[lead] = t
                bc = counts[lead]
                bound = 0.0
                if a > 0 or bc > 0:
                    bound = a / bc if a <= bc else bc / a
                if bound < search:
                    continue
                s = _tanimoto(a, bc, _common(q, words, lead))
                if 1.0 - s <= cutoff:
                    best = cid
                    best_s = s
        if best < 0:
            cluster[p] = n_clusters
            sim[p] = 1.0 if a > 0 else 0.0
            centroids[n_clusters] = p
            n_clusters += 1
        else:
            cluster[p] = best
            sim[p] = best_s
    return n_clusters


@numba.njit(nogil=True, cache=True)
def _first_leader(
    picks, words, counts, bin_start, visit_time, is_lead, cluster, search, cutoff, out
):
    """For each picked sorted position: the earliest cluster whose centroid was created before
    the point's visit and lies within ``cutoff`` (exact scan of the popcount window), or -1."""
    maxc = bin_start.shape[0] - 2
    for i in range(picks.shape[0]):
        p = picks[i]
        a = counts[p]
        tp = visit_time[p]
        lo = max(0, math.ceil(a * search) - 1)
        hi = min(maxc, math.floor(a / search) + 1)
        best = -1
        for j in range(bin_start[lo], bin_start[hi + 1]):
            if not is_lead[j] or visit_time[j] >= tp:
                continue
            cid = cluster[j]
            if best >= 0 and cid >= best:
                continue
            s = _tanimoto(a, counts[j], _common(words[p], words, j))
            if 1.0 - s <= cutoff:
                best = cid
        out[i] = best
