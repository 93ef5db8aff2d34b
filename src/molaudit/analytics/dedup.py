"""Deduplication at four levels, each an O(n) grouping by a key computed in the audit.

=========  ================  =====================================================================
level      key column        two rows meet when...
=========  ================  =====================================================================
exact      ``smiles``        their input structures have the same canonical SMILES
tautomer   ``tautomer_key``  they differ at most by tautomerism (RDKit HetAtomTautomerv2 hash)
stereo     ``stereo_key``    they differ at most by stereo: R/S *and* E/Z
salt       ``std_smiles``    their standardized parents agree (salts/solvents stripped, neutral)
=========  ================  =====================================================================

Error rows have no keys: they are excluded from every level and counted in the summary. The
group id of a row at a level is its group's representative: the lowest input row in the group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, register

LEVELS: dict[str, str] = {
    "exact": "smiles",
    "tautomer": "tautomer_key",
    "stereo": "stereo_key",
    "salt": "std_smiles",
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
    columns = GROUP_COLUMNS + (ACTIVITY_COLUMNS if with_activity else [])
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
            "rows": grouped["row"].agg(lambda s: ";".join(map(str, s))).to_numpy(),
            "ids": grouped["id"].agg(lambda s: ";".join(map(str, s))).to_numpy(),
        }
    )
    if with_activity:
        act = grouped["activity"]
        frame["n_activity"] = act.count().to_numpy()
        frame["activity_min"] = act.min().to_numpy()
        frame["activity_max"] = act.max().to_numpy()
        frame["activity_range"] = frame["activity_max"] - frame["activity_min"]
        frame["activity_std"] = act.std(ddof=1).to_numpy()
    frame = frame.sort_values(["count", "group"], ascending=[False, True], ignore_index=True)
    return group_of_row, frame[columns]


@register(
    "dedup",
    kind="cheap",
    description="duplicates at four levels: exact, tautomer, stereo (R/S and E/Z), salt form",
)
def dedup(data: AnalyticInput) -> AnalyticResult:
    """Group duplicate molecules at four levels.

    Returns
    -------
    AnalyticResult
        Frames ``groups_exact``, ``groups_tautomer``, ``groups_stereo``, ``groups_salt`` (only
        groups with two or more members) with columns group (= representative row), key,
        representative_row, representative_id, count, rows and ids (';'-joined input rows / IDs)
        and, when the batch has activity, n_activity, activity_min, activity_max,
        activity_range, activity_std (replicate disagreement). Frame ``rows``: row, id, and
        ``<level>_group`` for each level (NA for error rows), and ``<level>_duplicate`` flags.
        Summary: per level ``unique``, ``duplicate_groups``, ``duplicate_rows``; ``error_rows``.
    """
    table = data.table
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
