"""Train/test splits that keep compounds, scaffolds or clusters together, with a leakage report.

``batch.split(method=...)`` assigns every valid row to ``train`` or ``test`` (error rows are
``excluded``) and attaches ``compare(train, test)`` (:mod:`molaudit.analytics.compare`) as the
leakage report: how much of the test set has a close analogue in the training set.

Rows are always split by *group*, never one by one, and a group is at least a compound (the
salt-form parent ``std_smiles``), so replicates and salt forms never straddle the split:

==========  ==================================================================================
method      groups
==========  ==================================================================================
random      compounds, shuffled with ``seed``
scaffold    Bemis-Murcko scaffolds (``murcko_scaffold``; acyclic molecules share one group);
            groups are shuffled with ``seed``, and any group larger than half the test size
            goes to train (the balanced scaffold split of Chemprop)
cluster     leader (sphere-exclusion) clusters at Tanimoto distance ``cutoff``, treated like
            scaffolds
==========  ==================================================================================

Groups are added to ``test`` until it holds at least ``test_fraction`` of the valid rows.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult
from molaudit.analytics.compare import ComparisonResult, compare_inputs
from molaudit.analytics.params import Param, validate_params

__all__ = ["METHODS", "SplitResult", "split", "subset_input"]

METHODS = ("scaffold", "cluster", "random")
ASSIGNMENT_COLUMNS = ("row", "id", "set", "group")

PARAMS = (
    Param("method", "choice", "scaffold", "what is kept together", choices=METHODS),
    Param("test_fraction", "float", 0.2, "share of valid rows in test", low=0.0, high=1.0,
          low_open=True, high_open=True),
    Param("seed", "int", 0, "random seed of the group order"),
    Param("cutoff", "float", 0.6, "Tanimoto distance of the cluster method", low=0.0, high=1.0,
          high_open=True),
)  # fmt: skip


class SplitResult(AnalyticResult):
    """An :class:`AnalyticResult` named ``split`` with the leakage report attached.

    Attributes
    ----------
    leakage : ComparisonResult
        ``compare(train, test)``: the nearest training molecule of every test molecule, the
        compounds both sets share, property shifts and scaffolds new in test.
    """

    leakage: ComparisonResult | None = None

    @property
    def train(self) -> list[int]:
        """Input rows of the training set."""
        a = self.frames["assignment"]
        return a.loc[a["set"] == "train", "row"].astype(int).tolist()

    @property
    def test(self) -> list[int]:
        """Input rows of the test set."""
        a = self.frames["assignment"]
        return a.loc[a["set"] == "test", "row"].astype(int).tolist()


def subset_input(data: AnalyticInput, rows: list[int] | np.ndarray) -> AnalyticInput:
    """``data`` restricted to the input ``rows`` (table rows and fingerprints, rows kept)."""
    wanted = np.asarray(rows, dtype=np.int64)
    table = data.table[data.table["row"].isin(wanted)].reset_index(drop=True)
    keep = np.isin(np.asarray(data.fingerprint_rows, dtype=np.int64), wanted)
    return replace(
        data,
        table=table,
        fingerprints=np.ascontiguousarray(data.fingerprints[keep]),
        fingerprint_rows=np.asarray(data.fingerprint_rows, dtype=np.int64)[keep],
    )


def _groups(data: AnalyticInput, valid: pd.DataFrame, method: str, cutoff: float) -> np.ndarray:
    compound = valid["std_smiles"].astype("str").to_numpy()
    if method == "random":
        return compound
    if method == "scaffold":
        return valid["murcko_scaffold"].fillna("").astype("str").to_numpy()
    from molaudit.analytics.similarity.clustering import leader
    from molaudit.analytics.similarity.index import FingerprintIndex

    index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
    cluster, _sim, _centroids = leader(index, cutoff)
    # leader answers in index order (the order of data.fingerprints)
    by_row = pd.Series(np.asarray(cluster), index=index.rows)
    ids = by_row.reindex(valid["row"].to_numpy()).to_numpy()
    # keep a compound together even when its members fell into different clusters
    first = pd.Series(ids).groupby(compound).transform("first").to_numpy()
    return np.array([f"cluster {int(c)}" for c in first], dtype=object)


def split(
    data: AnalyticInput,
    *,
    method: str = "scaffold",
    test_fraction: float = 0.2,
    seed: int = 0,
    cutoff: float = 0.6,
) -> SplitResult:
    """Split the batch's valid rows into train and test, and report the leakage.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    method : {'scaffold', 'cluster', 'random'}
        What is kept together (see the module docstring).
    test_fraction : float
        Share of the valid rows in test, in (0, 1).
    seed : int
        Seed of the group order (same seed, same split).
    cutoff : float
        Tanimoto *distance* of the leader clusters (``method='cluster'``).

    Returns
    -------
    SplitResult
        Frame ``assignment``, one row per input row: ``row``, ``id``, ``set`` (``train``,
        ``test`` or ``excluded`` for error rows) and ``group`` (the scaffold, cluster or
        compound it was split with; None for error rows). ``leakage`` is
        ``compare(train, test)``; the summary holds ``method``, ``n_train``, ``n_test``,
        ``n_excluded``, ``test_fraction`` (achieved), ``n_groups`` and ``leakage`` (its
        sentence and within-0.9/0.7 counts).
    """
    full = validate_params(
        "split", PARAMS,
        {"method": method, "test_fraction": test_fraction, "seed": seed, "cutoff": cutoff},
    )  # fmt: skip
    method, test_fraction, seed, cutoff = (
        full["method"], full["test_fraction"], full["seed"], full["cutoff"]
    )  # fmt: skip
    table = data.table
    is_error = (table["status"] == "error").to_numpy()
    valid = table[~is_error]
    assignment = pd.DataFrame(
        {
            "row": table["row"].to_numpy(dtype=np.int64),
            "id": table["id"].astype("str").to_numpy(),
            "set": np.where(is_error, "excluded", "train").astype(object),
            "group": pd.Series([None] * len(table), dtype=object),
        }
    )
    if len(valid):
        groups = _groups(data, valid, method, cutoff)
        assignment.loc[~is_error, "group"] = groups
        sizes = pd.Series(groups).value_counts(sort=False)
        names = np.array(sorted(sizes.index))
        rng = np.random.default_rng(seed)
        names = names[rng.permutation(len(names))]
        target = max(1, math.ceil(test_fraction * len(valid)))
        big = set()
        if method != "random":
            big = {g for g in names if sizes[g] > target / 2}
        chosen: set[str] = set()
        n_test = 0
        for g in names:
            if n_test >= target:
                break
            if g in big:
                continue
            chosen.add(g)
            n_test += int(sizes[g])
        test_mask = np.zeros(len(table), dtype=bool)
        test_mask[np.flatnonzero(~is_error)[np.isin(groups, list(chosen))]] = True
        assignment.loc[test_mask, "set"] = "test"
    train_rows = assignment.loc[assignment["set"] == "train", "row"].to_numpy()
    test_rows = assignment.loc[assignment["set"] == "test", "row"].to_numpy()
    leakage = compare_inputs(subset_input(data, train_rows), subset_input(data, test_rows))
    n_valid = len(valid)
    summary: dict[str, Any] = {
        "method": method,
        "seed": seed,
        "n_train": len(train_rows),
        "n_test": len(test_rows),
        "n_excluded": int(is_error.sum()),
        "test_fraction": float(len(test_rows) / n_valid) if n_valid else 0.0,
        "n_groups": int(assignment["group"].nunique()),
        "leakage": {
            "sentence": leakage.summary["sentence"],
            "within_0.9": leakage.summary["within_0.9"],
            "within_0.7": leakage.summary["within_0.7"],
            "shared_compounds": leakage.summary["overlap"]
            .get("salt", {})
            .get("shared_compounds", 0),
        },
    }
    message = None if n_valid else "no valid molecule to split"
    result = SplitResult("split", {"assignment": assignment}, summary, full, message)
    result.leakage = leakage
    return result
