"""Deduplication at four cumulative levels, each an O(n) grouping by a key computed in the audit.

The levels nest: exact ⊂ stereo ⊂ tautomer ⊂ salt form. Each key forgets one more thing than
the one before it, so two rows that meet at a level meet at every later level.

=========  ================  ==================================  ================================
level      key column        computed on                         forgets
=========  ================  ==================================  ================================
exact      ``smiles``        the input (all fragments)           nothing (canonical SMILES)
stereo     ``stereo_key``    the input, stereo removed           R/S *and* E/Z
tautomer   ``tautomer_key``  the input, stereo removed           + tautomers (HetAtomTautomerv2)
salt       ``salt_key``      the parent, stereo removed          + counterions, solvents, charges
=========  ================  ==================================  ================================

The parent is the standardized parent (``std_smiles``: counterions and solvents stripped by the
rules of :mod:`molaudit.molecule.fragments`, neutralized), so (S)-nicotine·HCl and (R)-nicotine
meet at the salt level, and sodium benzoate meets benzoic acid. A table cached before
``salt_key`` existed is grouped by ``std_smiles`` at the salt level.

Error rows have no keys: they are excluded from every level and counted in the summary. The
group id of a row at a level is its group's representative: the lowest input row in the group.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, register

LEVELS: dict[str, str] = {
    "exact": "smiles",
    "stereo": "stereo_key",
    "tautomer": "tautomer_key",
    "salt": "salt_key",
}

GROUP_COLUMNS = [
    "group", "key", "representative_row", "representative_id", "count", "rows", "ids",
]  # fmt: skip
ACTIVITY_COLUMNS = ["n_activity", "activity_min", "activity_max", "activity_range", "activity_std"]


def _groups(
    valid: pd.DataFrame, column: str, with_activity: bool
) -> tuple[pd.Series, pd.DataFrame]:
    keys = valid[column].astype("str")
    group_of_row = valid["row"].groupby(keys.to_numpy(), sort=False).transform("min")
    sizes = group_of_row.map(group_of_row.value_counts())
    dup = valid[sizes.to_numpy() > 1].assign(_group=group_of_row[sizes > 1].to_numpy())
    columns = GROUP_COLUMNS + ACTIVITY_COLUMNS
    if dup.empty:
        return group_of_row, pd.DataFrame(columns=columns)
    dup = dup.sort_values(["_group", "row"])
    grouped = dup.groupby("_group", sort=True)
    frame = pd.DataFrame(
        {
            "group": grouped["row"].min().to_numpy(),
            "key": grouped[column].first().astype("str").to_numpy(),
            "representative_row": grouped["row"].min().to_numpy(),
            "representative_id": grouped["id"].first().to_numpy(),
            "count": grouped["row"].size().to_numpy(),
            # row references are lists of ints (and IDs lists of str), never joined text
            "rows": _lists(grouped["row"], int),
            "ids": _lists(grouped["id"], str),
        }
    )
    if with_activity:
        act = grouped["activity"]
        frame["n_activity"] = act.count().to_numpy()
        frame["activity_min"] = act.min().to_numpy()
        frame["activity_max"] = act.max().to_numpy()
        frame["activity_range"] = frame["activity_max"] - frame["activity_min"]
        frame["activity_std"] = act.std(ddof=1).to_numpy()
    else:
        for column in ACTIVITY_COLUMNS:
            frame[column] = 0 if column == "n_activity" else np.nan
    frame = frame.sort_values(["count", "group"], ascending=[False, True], ignore_index=True)
    return group_of_row, frame[columns]


def _lists(grouped: Any, kind: type) -> list[list]:
    return [[kind(v) for v in values] for _, values in grouped]


def _rows_columns() -> tuple[str, ...]:
    cols = ["row", "id"]
    for level in LEVELS:
        cols += [f"{level}_group", f"{level}_duplicate"]
    return tuple(cols)


@register(
    "dedup",
    kind="cheap",
    description="duplicates at four cumulative levels: exact, stereo, tautomer, salt form",
    params=(),
    frames={
        **{f"groups_{level}": (*GROUP_COLUMNS, *ACTIVITY_COLUMNS) for level in LEVELS},
        "rows": _rows_columns(),
    },
)
def dedup(data: AnalyticInput) -> AnalyticResult:
    """Group duplicate molecules at four levels.

    Returns
    -------
    AnalyticResult
        Frames ``groups_exact``, ``groups_tautomer``, ``groups_stereo``, ``groups_salt`` (only
        groups with two or more members) with columns group (= representative row), key,
        representative_row, representative_id, count, rows and ids (lists of the members'
        input rows, ints, and IDs, str, in row order), n_activity, activity_min, activity_max,
        activity_range, activity_std (replicate disagreement; 0 and NaN without activity).
        Frame ``rows``: row, id, and ``<level>_group`` for each level (NA for error rows),
        and ``<level>_duplicate`` flags.
        Summary: per level ``unique``, ``duplicate_groups``, ``duplicate_rows``; ``error_rows``.
    """
    table = data.table
    if "salt_key" not in table.columns:  # a table audited before salt_key existed
        table = table.assign(salt_key=table["std_smiles"])
    valid = table.loc[table["status"] != "error", ["row", "id", "activity", *LEVELS.values()]]
    with_activity = data.has_activity
    rows = table[["row", "id"]].copy()
    frames: dict[str, pd.DataFrame] = {}
    summary: dict[str, object] = {
        "rows": len(table),
        "valid_rows": len(valid),
        "error_rows": int(len(table) - len(valid)),
    }
    for level, column in LEVELS.items():
        group_of_row, groups = _groups(valid, column, with_activity)
        full = pd.Series(pd.NA, index=table.index, dtype="Int64")
        full.loc[valid.index] = group_of_row.to_numpy()
        rows[f"{level}_group"] = full
        rows[f"{level}_duplicate"] = (
            full.notna() & full.map(full.value_counts()).fillna(0).gt(1)
        ).astype(bool)
        frames[f"groups_{level}"] = groups
        unique = int(group_of_row.nunique()) if len(valid) else 0
        summary[level] = {
            "unique": unique,
            "duplicate_groups": len(groups),
            "duplicate_rows": int(len(valid) - unique),
        }
    frames["rows"] = rows
    message = None
    if len(valid) == 0:
        message = "no valid molecules: nothing to deduplicate" if len(table) else "empty batch"
    return AnalyticResult("dedup", frames, summary, message=message)


def duplicate_rate(summary: dict, level: str = "exact") -> float:
    """Fraction of valid rows that repeat an earlier row at ``level``."""
    valid = summary.get("valid_rows", 0)
    return float(summary[level]["duplicate_rows"] / valid) if valid else float(np.nan)
