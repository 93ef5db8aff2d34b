"""Similarity analytics: ``similar`` (top-k), ``similarity_pairs``, ``similarity_matrix``.

They run on the Tanimoto engine of :mod:`molaudit.analytics.similarity.index`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem

from molaudit.analytics._base import (
    MORE_COLUMNS,
    AnalyticInput,
    AnalyticResult,
    empty_result,
    register,
)
from molaudit.analytics.params import Param, ParameterError, validate_params
from molaudit.analytics.similarity.index import (
    DEFAULT_MAX_PAIRS,
    MAX_MATRIX_ROWS,
    FingerprintIndex,
    _frame,
    build_index,
    empty_reason,
    query_fingerprint,
    row_lookup,
)

__all__ = [
    "FingerprintIndex",
    "query_fingerprint",
    "similar",
    "similarity_matrix",
    "similarity_pairs",
]

HITS_COLUMNS = ("rank", "row", "id", "smiles", "similarity")

#: The declaration of ``similar`` (also checks direct calls of :func:`similar`).
SIMILAR_PARAMS = (
    Param(
        "query",
        "any",
        None,
        "A SMILES, an RDKit Mol or an input row number.",
        required=True,
        label="Query",
    ),
    Param(
        "k",
        "int",
        10,
        "Number of hits (None: all above threshold).",
        low=1,
        optional=True,
        label="Hits",
    ),
    Param(
        "threshold",
        "float",
        None,
        "Smallest Tanimoto similarity of a hit, inclusive (None: no minimum).",
        low=0,
        high=1,
        optional=True,
        label="Similarity threshold",
    ),
)


def similar(
    data: AnalyticInput,
    query: str | Chem.Mol | int,
    k: int | None = 10,
    threshold: float | None = None,
    index: FingerprintIndex | None = None,
) -> AnalyticResult:
    """The molecules of the batch most similar to a query (exact Tanimoto).

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    query : str, rdkit.Chem.Mol or int
        SMILES, molecule or input row (see :func:`query_fingerprint`). A row query leaves that
        row out of the hits (other rows with the same structure stay).
    k : int or None
        Number of hits; None returns every molecule with similarity ``>= threshold``.
    threshold : float, optional
        Minimum Tanimoto similarity (inclusive), in [0, 1].
    index : FingerprintIndex, optional
        A prebuilt index of ``data`` (build it once with ``FingerprintIndex(data.fingerprints,
        data.fingerprint_rows)`` to answer many queries fast).

    Returns
    -------
    AnalyticResult
        Frame ``hits`` with columns

        - ``rank`` : 1-based rank
        - ``row`` : input row of the hit
        - ``id`` : its ID
        - ``smiles`` : its canonical input SMILES
        - ``similarity`` : Tanimoto similarity to the query

        sorted by similarity descending, ties by row ascending.
    """
    checked = validate_params(
        "similar", SIMILAR_PARAMS, {"query": query, "k": k, "threshold": threshold}
    )
    k, t = checked["k"], checked["threshold"]
    if k is None and t is None:
        raise ParameterError("The 'threshold' parameter of similar is required when k is None.")
    if isinstance(query, Chem.Mol):
        shown: str | int = Chem.MolToSmiles(query)
    elif isinstance(query, int | np.integer) and not isinstance(query, bool):
        shown = int(query)
    else:
        shown = query  # a SMILES, or a bad value query_fingerprint reports
    params = {"query": shown, "k": k, "threshold": t}
    reason = empty_reason(data)
    if reason:
        return empty_result("similar", reason, params)
    fp = query_fingerprint(query, data)
    if index is None:
        index = build_index(data)
    exclude = int(query) if isinstance(query, int | np.integer) else None
    rows, sims = index.search(fp, k=k, threshold=t, exclude_row=exclude)
    hits = _frame(
        {
            "rank": np.arange(1, len(rows) + 1, dtype=np.int64),
            "row": rows,
            "id": row_lookup(data, rows, "id"),
            "smiles": row_lookup(data, rows, "smiles"),
            "similarity": sims,
        }
    )
    summary = {"n_hits": len(hits), "max_similarity": float(sims[0]) if len(sims) else None}
    return AnalyticResult("similar", {"hits": hits}, summary, params)


def _empty(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


@register(
    "similar",
    kind="expensive",
    description="the k molecules most similar to a query (SMILES, Mol or input row)",
    params=SIMILAR_PARAMS,
    frames={"hits": HITS_COLUMNS},
)
def similar_analytic(
    data: AnalyticInput,
    query: str | Chem.Mol | int,
    k: int | None = 10,
    threshold: float | None = None,
) -> AnalyticResult:
    """:func:`similar` as a registered analytic: ``batch.analytics.run("similar", query=...)``.

    The fingerprint index is built once per batch and kept in memory (``data.memo``), so
    repeated queries only search.

    Returns
    -------
    AnalyticResult
        Frame ``hits``: ``rank``, ``row``, ``id``, ``smiles``, ``similarity`` (see
        :func:`similar`).
    """
    index = None
    if empty_reason(data) is None:
        index = data.memo("similarity_index", lambda: build_index(data))
    return similar(data, query, k=k, threshold=threshold, index=index)


# --------------------------------------------------------------------------------------------
# Registered analytics
# --------------------------------------------------------------------------------------------

PAIR_COLUMNS = ("row_1", "row_2", "id_1", "id_2", "similarity")


@register(
    "similarity_pairs",
    kind="expensive",
    description="sparse list of all molecule pairs with Tanimoto >= threshold",
    params=(
        Param(
            "threshold",
            "float",
            0.7,
            "Smallest Tanimoto similarity of a pair, inclusive.",
            low=0,
            high=1,
            low_open=True,
            label="Similarity threshold",
        ),
        Param(
            "max_pairs",
            "int",
            DEFAULT_MAX_PAIRS,
            "Guard: more pairs than this raise an error instead of filling the memory.",
            low=1,
            label="Maximum pairs",
        ),
    ),
    frames={"pairs": PAIR_COLUMNS},
)
def similarity_pairs(
    data: AnalyticInput, threshold: float = 0.7, max_pairs: int = DEFAULT_MAX_PAIRS
) -> AnalyticResult:
    """Every pair of molecules with Tanimoto similarity ``>= threshold`` (exact, sparse).

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    threshold : float
        Minimum similarity (inclusive), in (0, 1].
    max_pairs : int
        Guard against thresholds so low that the list would not fit in memory: more pairs
        than this raise ValueError.

    Returns
    -------
    AnalyticResult
        Frame ``pairs`` sorted by (row_1, row_2):

        - ``row_1``, ``row_2`` : input rows, ``row_1 < row_2``
        - ``id_1``, ``id_2`` : their IDs
        - ``similarity`` : Tanimoto similarity
    """
    t = float(threshold)
    params = {"threshold": t, "max_pairs": max_pairs}
    reason = empty_reason(data)
    if reason:
        return empty_result("similarity_pairs", reason, params)
    started = time.perf_counter()
    index = build_index(data)
    p1, p2, sims = index.pairs(t, n_jobs=data.n_jobs, max_pairs=max_pairs)
    r1, r2 = index.rows[p1], index.rows[p2]
    swap = r1 > r2
    r1, r2 = np.where(swap, r2, r1), np.where(swap, r1, r2)
    order = np.lexsort((r2, r1))
    r1, r2, sims = r1[order], r2[order], sims[order]
    pairs = _frame(
        {
            "row_1": r1,
            "row_2": r2,
            "id_1": row_lookup(data, r1, "id"),
            "id_2": row_lookup(data, r2, "id"),
            "similarity": sims,
        }
    )
    n_in = np.union1d(r1, r2).size if len(r1) else 0
    summary = {
        "n_pairs": len(pairs),
        "n_molecules": len(index),
        "n_molecules_in_pairs": int(n_in),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return AnalyticResult("similarity_pairs", {"pairs": pairs}, summary, params)


@register(
    "similarity_matrix",
    kind="expensive",
    description=f"dense Tanimoto matrix of up to {MAX_MATRIX_ROWS} chosen rows (heatmap)",
    params=(
        Param(
            "rows",
            "rows",
            None,
            f"Input rows, at most {MAX_MATRIX_ROWS} (None: every molecule, when there are at "
            f"most {MAX_MATRIX_ROWS}).",
            optional=True,
            label="Rows",
        ),
    ),
    frames={"matrix": ("row", "id", MORE_COLUMNS)},
)
def similarity_matrix(data: AnalyticInput, rows: Sequence[int] | None = None) -> AnalyticResult:
    """Dense Tanimoto matrix of a subset of rows, in wide form.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    rows : sequence of int, optional
        Input rows (at most ``MAX_MATRIX_ROWS`` = 2000, duplicates dropped, order kept);
        default: every molecule with a fingerprint when there are at most 2000 of them.

    Returns
    -------
    AnalyticResult
        Frame ``matrix`` in **wide** form, one line per requested row in the given order:

        - ``row``, ``id`` : the molecule
        - one float column per requested row, named ``str(row)``: Tanimoto similarity
          (the diagonal is 1, or 0 for an empty fingerprint, as in RDKit)

    Raises
    ------
    ValueError
        More than 2000 rows, or rows that are not in the batch or have no fingerprint.
    """
    n_valid = len(data.fingerprint_rows) if data.fingerprint_rows is not None else 0
    if rows is None:
        if n_valid > MAX_MATRIX_ROWS:
            raise ValueError(
                f"rows must list at most {MAX_MATRIX_ROWS} input rows; the batch has {n_valid} "
                "molecules, so pass rows=[...]"
            )
        wanted = np.sort(np.asarray(data.fingerprint_rows, dtype=np.int64))
    else:
        values = list(rows)  # a list of ints: checked by the declaration
        wanted = np.asarray(list(dict.fromkeys(int(r) for r in values)), dtype=np.int64)
        if wanted.size > MAX_MATRIX_ROWS:
            raise ValueError(
                f"rows must list at most {MAX_MATRIX_ROWS} input rows, got {wanted.size}"
            )
    params = {"rows": None if rows is None else [int(r) for r in wanted]}
    reason = empty_reason(data)
    if reason or wanted.size == 0:
        return empty_result("similarity_matrix", reason or "no rows requested", params)
    fp_rows = np.asarray(data.fingerprint_rows, dtype=np.int64)
    lookup = pd.Series(np.arange(fp_rows.size), index=fp_rows)
    positions = lookup.reindex(wanted).to_numpy()
    missing = wanted[pd.isna(positions)]
    if missing.size:
        raise ValueError(
            f"rows {missing[:10].tolist()} have no fingerprint (not input rows of this batch, "
            "or error rows)"
        )
    positions = positions.astype(np.int64)
    sub = FingerprintIndex(data.fingerprints[positions], wanted)
    dense = sub.matrix(np.arange(wanted.size))
    columns: dict[str, Any] = {"row": wanted, "id": row_lookup(data, wanted, "id")}
    columns.update({str(r): dense[:, i] for i, r in enumerate(wanted)})
    matrix = pd.DataFrame(columns)
    off = dense[~np.eye(wanted.size, dtype=bool)]
    summary = {
        "n_rows": int(wanted.size),
        "form": "wide",
        "mean_similarity": float(off.mean()) if off.size else None,
    }
    return AnalyticResult("similarity_matrix", {"matrix": matrix}, summary, params)
