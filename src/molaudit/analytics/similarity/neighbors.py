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

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param, ParameterError
from molaudit.analytics.similarity.index import build_index, empty_reason, row_lookup

__all__ = ["nearest_neighbors"]

NEIGHBOR_COLUMNS = ("row", "id", "rank", "neighbor_row", "neighbor_id", "similarity")
ISOLATION_COLUMNS = ("row", "id", "max_similarity", "isolation")
NN_METHODS = ("auto", "exact", "approximate")

# Copies of approx_nn's constants (a test checks they agree), so that declaring this analytic
# does not import numba: approx_nn is imported on the first approximate search.
AUTO_EXACT_MAX = 100_000  # approx_nn.AUTO_EXACT_MAX
DEFAULT_GRAPH_NEIGHBORS = 20  # approx_nn.DEFAULT_GRAPH_NEIGHBORS


@register(
    "nearest_neighbors",
    kind="expensive",
    description="k most similar other molecules of every molecule (Tanimoto), isolation",
    params=(
        Param(
            "k", "int", 1, "Neighbours per molecule (itself excluded).", low=1, label="Neighbours"
        ),
        Param(
            "method",
            "choice",
            "auto",
            f"Exact all-vs-all search, approximate NN-descent, or auto (exact up to "
            f"{AUTO_EXACT_MAX:,} molecules).",
            choices=NN_METHODS,
            label="Search",
        ),
        Param(
            "seed", "int", 0, "Approximate: NN-descent's random state.", low=0, label="Random seed"
        ),
        Param(
            "graph_neighbors",
            "int",
            DEFAULT_GRAPH_NEIGHBORS,
            "Approximate: neighbours per molecule of the NN-descent graph (>= k).",
            low=2,
            label="Graph neighbours",
        ),
        Param(
            "recall_sample",
            "int",
            1000,
            "Approximate: molecules checked against an exact search to estimate recall "
            "(0 skips the check).",
            low=0,
            label="Recall sample",
        ),
    ),
    frames={"neighbors": NEIGHBOR_COLUMNS, "isolation": ISOLATION_COLUMNS},
)
def nearest_neighbors(
    data: AnalyticInput,
    k: int = 1,
    method: str = "auto",
    seed: int = 0,
    graph_neighbors: int = DEFAULT_GRAPH_NEIGHBORS,
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
    if method == "approximate" and graph_neighbors < k:
        raise ParameterError(
            f"The 'graph_neighbors' parameter of nearest_neighbors must be >= k ({k}) for "
            f"method='approximate'; got {graph_neighbors!r}."
        )
    params: dict[str, Any] = {"k": int(k), "method": method}
    if method != "exact":
        params.update(
            seed=int(seed), graph_neighbors=int(graph_neighbors), recall_sample=int(recall_sample)
        )
    reason = empty_reason(data)
    if reason:
        return empty_result("nearest_neighbors", reason, params)
    started = time.perf_counter()
    index = build_index(data)
    extra: dict[str, Any] = {}
    used = method
    if method == "auto":
        used = "exact" if len(index) <= AUTO_EXACT_MAX else "approximate"
    if used == "approximate":
        from molaudit.analytics.similarity import approx_nn

        nbr_rows, nbr_sims = approx_nn.approximate_nearest(
            index,
            int(k),
            graph_neighbors=max(int(graph_neighbors), int(k)),
            seed=int(seed),
            n_jobs=data.n_jobs,
        )
        # NN-descent runs in one call (pynndescent); progress and cancel act around it
        data.progress(len(index), len(index))
        data.check_cancelled("nearest_neighbors")
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
        nbr_rows, nbr_sims = index.nearest(
            int(k), n_jobs=data.n_jobs, progress=data.progress, cancelled=data.cancelled
        )
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
