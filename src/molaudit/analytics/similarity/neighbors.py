"""Nearest neighbours of every molecule (exact or approximate Tanimoto) and isolation scores.

The exact search is :meth:`FingerprintIndex.nearest` (all-vs-all with popcount pruning); the
approximate one, for batches too large for n² work, is
:mod:`molaudit.analytics.similarity.approx_nn`.
``method='auto'`` picks exact up to :data:`~molaudit.analytics.similarity.approx_nn.AUTO_EXACT_MAX`
molecules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, register
from molaudit.analytics.similarity import approx_nn
from molaudit.analytics.similarity.search import (
    _check_k,
    build_index,
    empty_reason,
    row_lookup,
)

__all__ = ["nearest_neighbors"]

NEIGHBOR_COLUMNS = ("row", "id", "rank", "neighbor_row", "neighbor_id", "similarity")
ISOLATION_COLUMNS = ("row", "id", "max_similarity", "isolation")
NN_METHODS = ("auto", "exact", "approximate")


@register(
    "nearest_neighbors",
    kind="expensive",
    description="k most similar other molecules of every molecule (Tanimoto), isolation",
)
def nearest_neighbors(
    data: AnalyticInput,
    k: int = 1,
    method: str = "auto",
    seed: int = 0,
    graph_neighbors: int = approx_nn.DEFAULT_GRAPH_NEIGHBORS,
    recall_sample: int = 1000,
) -> AnalyticResult:
    """k nearest neighbours (Tanimoto) of every molecule, and its isolation score.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    k : int
        Neighbours per molecule (the molecule itself excluded; identical structures in other
        rows count as neighbours with similarity 1).
    method : {'auto', 'exact', 'approximate'}
        ``exact``: all-vs-all search (100k molecules ~2 min on 2 cores, grows with n²).
        ``approximate``: NN-descent candidates re-ranked with exact Tanimoto
        (:mod:`molaudit.analytics.similarity.approx_nn`; 1M molecules in minutes).
        ``auto``: exact up to
        ``approx_nn.AUTO_EXACT_MAX`` (100,000) molecules, approximate above.
    seed : int
        Approximate only: NN-descent's random state and the recall sample's seed.
    graph_neighbors : int
        Approximate only: neighbours per molecule of the NN-descent graph (>= k).
    recall_sample : int
        Approximate only: molecules whose result is checked against an exact search to
        estimate the recall reported in the summary (0 = skip the check).

    Returns
    -------
    AnalyticResult
        Frame ``neighbors`` (long form, one row per molecule and rank, sorted by row, rank):

        - ``row``, ``id`` : the molecule
        - ``rank`` : 1..k (similarity descending, ties by neighbour row ascending)
        - ``neighbor_row``, ``neighbor_id`` : the neighbour
        - ``similarity`` : Tanimoto similarity (exact, also for ``method='approximate'``)

        Frame ``isolation`` (one row per molecule with a fingerprint, sorted by row):

        - ``row``, ``id`` : the molecule
        - ``max_similarity`` : similarity to its nearest other molecule (NaN when alone)
        - ``isolation`` : ``1 - max_similarity``

        Summary: ``method`` (the one used), ``n_molecules``, similarity statistics,
        ``seconds``; for the approximate method also ``recall`` (share of the sampled
        molecules whose reported nearest similarity equals the exact best similarity),
        ``recall_sample`` and ``recall_seconds``.
    """
    _check_k(k)
    if method not in NN_METHODS:
        raise ValueError(f"method must be one of {NN_METHODS}, got {method!r}")
    for name, value, low in (
        ("seed", seed, 0),
        ("graph_neighbors", graph_neighbors, 2),
        ("recall_sample", recall_sample, 0),
    ):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if method == "approximate" and graph_neighbors < k:
        raise ValueError(f"graph_neighbors must be >= k ({k}), got {graph_neighbors!r}")
    params: dict[str, Any] = {"k": int(k), "method": method}
    if method != "exact":
        params.update(
            seed=int(seed), graph_neighbors=int(graph_neighbors), recall_sample=int(recall_sample)
        )
    reason = empty_reason(data)
    if reason:
        frames = {"neighbors": _empty(NEIGHBOR_COLUMNS), "isolation": _empty(ISOLATION_COLUMNS)}
        return AnalyticResult("nearest_neighbors", frames, {}, params, reason)
    started = time.perf_counter()
    index = build_index(data)
    extra: dict[str, Any] = {}
    used = method
    if method == "auto":
        used = "exact" if len(index) <= approx_nn.AUTO_EXACT_MAX else "approximate"
    if used == "approximate":
        nbr_rows, nbr_sims = approx_nn.approximate_nearest(
            index,
            int(k),
            graph_neighbors=max(int(graph_neighbors), int(k)),
            seed=int(seed),
            n_jobs=data.n_jobs,
        )
        if recall_sample:
            best = nbr_sims[:, 0]
            recall, checked, spent = approx_nn.estimate_recall(
                index, best, sample=int(recall_sample), seed=int(seed)
            )
            extra = {
                "recall": round(recall, 4),
                "recall_sample": checked,
                "recall_seconds": round(spent, 3),
            }
    else:
        nbr_rows, nbr_sims = index.nearest(int(k), n_jobs=data.n_jobs)
    rows = index.rows
    order = np.argsort(rows, kind="stable")
    rows, nbr_rows, nbr_sims = rows[order], nbr_rows[order], nbr_sims[order]
    ids = row_lookup(data, rows, "id")
    valid = nbr_rows >= 0
    r_idx, rank_idx = np.nonzero(valid)
    neighbors = pd.DataFrame(
        {
            "row": rows[r_idx],
            "id": ids[r_idx],
            "rank": (rank_idx + 1).astype(np.int64),
            "neighbor_row": nbr_rows[valid],
            "neighbor_id": row_lookup(data, nbr_rows[valid], "id"),
            "similarity": nbr_sims[valid],
        }
    )
    max_sim = nbr_sims[:, 0]
    isolation = pd.DataFrame(
        {"row": rows, "id": ids, "max_similarity": max_sim, "isolation": 1.0 - max_sim}
    )
    summary = {
        "method": used,
        "n_molecules": len(rows),
        "mean_max_similarity": _nanstat(np.nanmean, max_sim),
        "median_max_similarity": _nanstat(np.nanmedian, max_sim),
        "n_without_neighbor_above_0.4": int(np.sum(~(max_sim >= 0.4))),
        **extra,
        "seconds": round(time.perf_counter() - started, 3),
    }
    message = "only one molecule: it has no neighbours" if len(rows) == 1 else None
    return AnalyticResult(
        "nearest_neighbors",
        {"neighbors": neighbors, "isolation": isolation},
        summary,
        params,
        message,
    )


def _nanstat(fn: Callable[[np.ndarray], Any], values: np.ndarray) -> float | None:
    return float(fn(values)) if np.isfinite(values).any() else None


def _empty(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})
