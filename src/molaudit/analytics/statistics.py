"""Property statistics, correlations, IQR outliers, counts, and the batch quality score.

Quality score (0-100), the weighted mean of five components, each 0-100:

==============  ======  ==========================================================================
component       weight  definition
==============  ======  ==========================================================================
validity        0.30    share of rows that are not errors
uniqueness      0.15    share of valid rows that are not exact duplicates of an earlier row
diversity       0.20    50 * min(1, 2 * unique Murcko scaffolds / valid rows)
                        + 50 * normalized scaffold entropy (Shannon entropy / log2(n scaffolds))
drug_likeness   0.15    share of valid rows with <= 1 Lipinski violation and passing Veber
structure       0.20    mean per-molecule audit score of the valid rows
==============  ======  ==========================================================================

Diversity rewards both *how many* scaffolds there are per molecule and how *evenly* molecules
spread over them (the web platform measured evenness only). Acyclic molecules share the empty
scaffold.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from molaudit.analytics._base import MORE_COLUMNS, AnalyticInput, AnalyticResult, register
from molaudit.analytics.params import Param
from molaudit.analytics.scaffolds import shannon_entropy
from molaudit.molecule.checks import CHECKS
from molaudit.schema import PROPERTY_COLUMNS

WEIGHTS = {
    "validity": 0.30,
    "uniqueness": 0.15,
    "diversity": 0.20,
    "drug_likeness": 0.15,
    "structure": 0.20,
}
DESCRIPTIONS = {
    "validity": "share of rows that are not errors",
    "uniqueness": "share of valid rows that are not exact duplicates",
    "diversity": "scaffolds per molecule (half) and normalized scaffold entropy (half)",
    "drug_likeness": "share of valid rows with <= 1 Lipinski violation and Veber pass",
    "structure": "mean per-molecule audit score of valid rows",
}
STAT_COLUMNS = [
    "property", "count", "missing", "mean", "median", "std", "min", "max", "q1", "q3", "iqr",
]  # fmt: skip


def describe(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """count, missing, mean, median, std, min, max, q1, q3, iqr per column (NaN skipped)."""
    rows = []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy()
        present = values[~np.isnan(values)]
        if present.size:
            q1, median, q3 = np.percentile(present, [25, 50, 75])
            stats = {
                "mean": present.mean(),
                "median": median,
                "std": present.std(ddof=1) if present.size > 1 else np.nan,
                "min": present.min(),
                "max": present.max(),
                "q1": q1,
                "q3": q3,
                "iqr": q3 - q1,
            }
        else:
            stats = dict.fromkeys(
                ["mean", "median", "std", "min", "max", "q1", "q3", "iqr"], np.nan
            )
        rows.append(
            {
                "property": column,
                "count": int(present.size),
                "missing": int(values.size - present.size),
                **stats,
            }
        )
    return pd.DataFrame(rows, columns=STAT_COLUMNS)


def iqr_outliers(frame: pd.DataFrame, columns: list[str], k: float = 1.5) -> pd.DataFrame:
    """Rows outside the IQR fences ``[Q1 - k*IQR, Q3 + k*IQR]``, per property.

    Returns
    -------
    pandas.DataFrame
        Columns: row, id, property, value, lower_fence, upper_fence, side ('low'/'high').
    """
    parts = []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        present = values.dropna()
        if len(present) < 4:
            continue
        q1, q3 = np.percentile(present.to_numpy(), [25, 75])
        low, high = q1 - k * (q3 - q1), q3 + k * (q3 - q1)
        mask = (values < low) | (values > high)
        if mask.any():
            hit = frame.loc[mask.to_numpy(), ["row", "id"]].copy()
            hit["property"] = column
            hit["value"] = values[mask].to_numpy()
            hit["lower_fence"] = low
            hit["upper_fence"] = high
            hit["side"] = np.where(hit["value"] < low, "low", "high")
            parts.append(hit)
    columns_out = ["row", "id", "property", "value", "lower_fence", "upper_fence", "side"]
    if not parts:
        return pd.DataFrame(columns=columns_out)
    return pd.concat(parts, ignore_index=True)[columns_out]


def _counts(series: pd.Series, name: str) -> pd.DataFrame:
    counter: Counter[str] = Counter()
    for text in series.dropna():
        if text:
            counter.update(str(text).split(";"))
    return pd.DataFrame(counter.most_common(), columns=[name, "count"])


def quality(table: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    """The batch quality score and its components (see the module docstring)."""
    n = len(table)
    valid = table[table["status"] != "error"]
    nv = len(valid)
    if n == 0 or nv == 0:
        comps = dict.fromkeys(WEIGHTS, 0.0)
    else:
        scaffolds = valid["murcko_scaffold"].fillna("").astype(str)
        counts = scaffolds.value_counts().to_numpy()
        n_scaf = len(counts)
        norm_entropy = shannon_entropy(counts) / math.log2(n_scaf) if n_scaf > 1 else 0.0
        drug_like = (valid["lipinski_violations"].fillna(99) <= 1) & valid["veber_pass"].fillna(
            False
        ).astype(bool)
        comps = {
            "validity": 100.0 * nv / n,
            "uniqueness": 100.0 * valid["smiles"].nunique() / nv,
            "diversity": 50.0 * min(1.0, 2.0 * n_scaf / nv) + 50.0 * norm_entropy,
            "drug_likeness": 100.0 * float(drug_like.mean()),
            "structure": float(valid["score"].mean()),
        }
    total = sum(WEIGHTS[k] * v for k, v in comps.items())
    frame = pd.DataFrame(
        {
            "component": list(WEIGHTS),
            "value": [round(comps[k], 2) for k in WEIGHTS],
            "weight": list(WEIGHTS.values()),
            "description": [DESCRIPTIONS[k] for k in WEIGHTS],
        }
    )
    return round(total, 2), frame


@register(
    "statistics",
    kind="cheap",
    description="property statistics, correlations, IQR outliers, counts and the quality score",
    params=(
        Param(
            "min_pairs",
            "int",
            10,
            "Fewest paired values for a correlation to be reported (else NaN).",
            low=2,
            label="Minimum pairs for a correlation",
        ),
        Param(
            "fence",
            "float",
            1.5,
            "IQR multiplier of the outlier fences (1.5 = Tukey).",
            low=0,
            low_open=True,
            label="Outlier fence",
            unit="× IQR",
        ),
    ),
    frames={
        "properties": tuple(STAT_COLUMNS),
        "pearson": ("property", MORE_COLUMNS),
        "spearman": ("property", MORE_COLUMNS),
        "outliers": ("row", "id", "property", "value", "lower_fence", "upper_fence", "side"),
        "status": ("status", "count"),
        "error_codes": ("error_code", "count"),
        "checks": ("check", "count", "severity"),
        "alerts": ("alert", "kind", "count"),
        "quality": ("component", "value", "weight", "description"),
    },
)
def statistics(data: AnalyticInput, min_pairs: int = 10, fence: float = 1.5) -> AnalyticResult:
    """Describe the batch.

    Parameters
    ----------
    min_pairs : int
        Fewest paired values for a correlation to be reported (else NaN).
    fence : float
        IQR multiplier of the outlier fences.

    Returns
    -------
    AnalyticResult
        Frames: ``properties`` (property, count, missing, mean, median, std, min, max, q1, q3,
        iqr — for every numeric property and the activity); ``pearson`` and ``spearman``
        (square matrices with a leading ``property`` column); ``outliers`` (row, id, property,
        value, lower_fence, upper_fence, side); ``status`` (status, count); ``error_codes``
        (error_code, count); ``checks`` (check, count, severity); ``alerts`` (alert, kind,
        count); ``quality`` (component, value, weight, description). Summary: quality_score,
        quality components, rows, valid_rows.
    """
    table = data.table
    valid = table[table["status"] != "error"]
    columns = list(PROPERTY_COLUMNS) + (["activity"] if data.activity_col else [])
    numeric = valid[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    frames: dict[str, pd.DataFrame] = {"properties": describe(valid, columns)}
    for method in ("pearson", "spearman"):
        matrix = numeric.corr(method=method, min_periods=min_pairs)
        frames[method] = matrix.reset_index(names="property")
    frames["outliers"] = iqr_outliers(valid, columns, fence)
    frames["status"] = (
        table["status"].value_counts().rename_axis("status").reset_index(name="count")
    )
    frames["error_codes"] = (
        table["error_code"]
        .dropna()
        .value_counts()
        .rename_axis("error_code")
        .reset_index(name="count")
    )
    checks = _counts(table["checks"], "check")
    checks["severity"] = [CHECKS[c].severity if c in CHECKS else "" for c in checks["check"]]
    frames["checks"] = checks
    pains = _counts(valid["pains_alerts"], "alert").assign(kind="PAINS")
    brenk = _counts(valid["brenk_alerts"], "alert").assign(kind="Brenk")
    frames["alerts"] = pd.concat([pains, brenk], ignore_index=True)[["alert", "kind", "count"]]
    score, components = quality(table)
    frames["quality"] = components
    summary = {
        "quality_score": score,
        **{
            f"quality_{c}": v
            for c, v in zip(components["component"], components["value"], strict=True)
        },
        "rows": len(table),
        "valid_rows": len(valid),
        "outliers": len(frames["outliers"]),
    }
    message = None if len(valid) else ("empty batch" if not len(table) else "no valid molecules")
    return AnalyticResult("statistics", frames, summary, message=message)
