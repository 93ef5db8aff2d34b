"""Curation: one activity per compound, and a reason for every input row.

``batch.curate()`` groups the valid rows into compounds at a level of :data:`CURATE_LEVELS`
(default ``salt``: the standardized parent, stereo kept), converts the activities to pActivity with
:func:`molaudit.analytics.units.to_p_activity` and aggregates the *exact* measurements of each
compound (median by default). Censored values (``>10``, ``<5``: ``activity_note`` starts with
``censored``) are kept apart: they are never averaged as if they were exact. A compound is

==================  ===========================================================================
decision            when
==================  ===========================================================================
``kept``            its exact measurements agree: max - min <= ``max_spread`` log units
``contradictory``   max - min of its exact measurements > ``max_spread``
``stereo cliff``    kept on its own, but a stereoisomer (same stereo-free parent, different
                    parent) differs from it by more than ``max_spread`` (Auroris' check);
                    reported in ``stereo_cliffs``, never merged
``censored only``   every value it has is censored
``no activity``     the batch has activity, this compound none
``error``           an error row (no structure to curate); one curated row per error row
==================  ===========================================================================

A batch without any activity is deduplicated only: every compound is ``kept``.

The ``recipe`` in the summary is the JSON of every choice (level, aggregate, max_spread, units,
columns, audit options and their digest, molaudit version): :func:`molaudit.curate` replays it on
another machine (see :mod:`molaudit.curation`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param
from molaudit.analytics.units import UNITS, to_p_activity

__all__ = [
    "CURATED_COLUMNS",
    "CURATE_LEVELS",
    "DECISIONS",
    "DECISION_COLUMNS",
    "STEREO_COLUMNS",
    "curate",
    "stereo_free",
]

#: Curation level -> the table column whose value defines a compound. Unlike the cumulative
#: dedup levels (:data:`molaudit.analytics.dedup.LEVELS`, whose salt level also forgets stereo
#: and tautomers), ``salt`` keeps stereo: stereoisomers stay separate compounds, so that the ones
#: whose activities differ are reported as stereo cliffs instead of being averaged.
CURATE_LEVELS: dict[str, str] = {
    "salt": "std_smiles",  # standardized parent: salt forms merged, stereo kept
    "exact": "smiles",  # the input structure as parsed
    "stereo": "stereo_key",  # the input with stereo removed: stereoisomers merged
    "tautomer": "tautomer_key",  # the input up to tautomers (and stereo)
    "parent": "salt_key",  # dedup's salt level: parent, stereo and tautomers forgotten
}

DECISIONS: tuple[str, ...] = (
    "kept",
    "contradictory",
    "stereo cliff",
    "censored only",
    "no activity",
    "error",
)
ACTIONS: tuple[str, ...] = ("kept", "merged", "set aside", "flagged", "dropped")

CURATED_COLUMNS: tuple[str, ...] = (
    "row",
    "id",
    "rows",
    "std_smiles",
    "n_measurements",
    "n_censored",
    "activity",
    "activity_std",
    "activity_min",
    "activity_max",
    "decision",
    "reason",
)
DECISION_COLUMNS: tuple[str, ...] = ("row", "id", "group", "action", "reason")
STEREO_COLUMNS: tuple[str, ...] = (
    "stereo_key",
    "rows",
    "n_isomers",
    "std_smiles",
    "activities",
    "spread",
)

PARAMS = (
    Param(
        "level",
        "choice",
        "salt",
        "dedup level that defines a compound (salt = standardized parent)",
        choices=tuple(CURATE_LEVELS),
        label="Compound level",
    ),
    Param(
        "aggregate",
        "choice",
        "median",
        "how the exact pActivities of a compound are combined",
        choices=("median", "mean"),
    ),
    Param(
        "max_spread",
        "float",
        1.0,
        "largest max - min of a compound's pActivities still kept (and stereo cliff size)",
        low=0.0,
        label="Max spread",
        unit="log units",
    ),
    Param(
        "activity_units",
        "choice",
        None,
        "units of the activity column; None: the batch's, else inferred (loudly)",
        choices=tuple(UNITS),
        optional=True,
    ),
)


def stereo_free(smiles: pd.Series) -> pd.Series:
    """Canonical SMILES with every stereo mark (R/S, E/Z) removed.

    Only SMILES that carry a stereo mark (``@``, ``/``, ``\\``) are parsed; the others are
    returned unchanged (they are canonical already). Unparsable SMILES map to themselves.
    """
    from rdkit import Chem, RDLogger

    text = smiles.astype("str")
    marked = text.str.contains(r"[@/\\]", regex=True).to_numpy()
    out = text.to_numpy(dtype=object).copy()
    if marked.any():
        RDLogger.DisableLog("rdApp.*")
        try:
            cache: dict[str, str] = {}
            for i in np.flatnonzero(marked):
                s = out[i]
                if s not in cache:
                    mol = Chem.MolFromSmiles(s)
                    if mol is None:
                        cache[s] = s
                    else:
                        Chem.RemoveStereochemistry(mol)
                        cache[s] = Chem.MolToSmiles(mol)
                out[i] = cache[s]
        finally:
            RDLogger.EnableLog("rdApp.*")
    return pd.Series(out, index=smiles.index, dtype=object)


def _flips(units: str) -> bool:
    """True when a larger raw value means a smaller pActivity (concentrations, log molar)."""
    return units not in ("pX", "neg_log_nM")


@register(
    "curate",
    kind="expensive",
    description="one activity per compound: replicates aggregated, contradictions and "
    "stereo cliffs flagged, censored values kept apart, a reason for every row",
    params=PARAMS,
    frames={
        "curated": CURATED_COLUMNS,
        "decisions": DECISION_COLUMNS,
        "stereo_cliffs": STEREO_COLUMNS,
    },
)
def curate(
    data: AnalyticInput,
    *,
    level: str = "salt",
    aggregate: str = "median",
    max_spread: float = 1.0,
    activity_units: str | None = None,
) -> AnalyticResult:
    """Curate the batch to one row per compound.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    level : {'salt', 'exact', 'stereo', 'tautomer', 'parent'}
        What defines a compound (:data:`CURATE_LEVELS`): ``salt`` the standardized parent
        with its stereo, ``exact`` the input structure, ``stereo`` the input without stereo,
        ``tautomer`` the input up to tautomers, ``parent`` dedup's salt level (the parent
        without stereo, up to tautomers).
    aggregate : {'median', 'mean'}
        How the exact pActivities of a compound are combined.
    max_spread : float
        Largest ``activity_max - activity_min`` (log units) of a compound that is still kept;
        also the activity difference that makes two stereoisomers a stereo cliff.
    activity_units : str, optional
        Units of the activity column (:data:`molaudit.analytics.units.UNITS`); default: the
        batch's units, else inferred with a loud note.

    Returns
    -------
    AnalyticResult
        Frames:

        - ``curated``, one row per compound (and one per error row), ordered by ``row``:
          ``row`` and ``id`` of the representative (the lowest input row of the compound),
          ``rows`` (list of its input rows), ``std_smiles`` (standardized parent),
          ``n_measurements`` (exact values aggregated), ``n_censored`` (censored values kept
          apart), ``activity`` (the aggregate, pActivity), ``activity_std`` (sample standard
          deviation, NaN for one value), ``activity_min``, ``activity_max`` (pActivity),
          ``decision`` (see the module docstring) and ``reason`` (one sentence);
        - ``decisions``, one row per input row: ``row``, ``id``, ``group`` (the ``row`` of its
          compound), ``action`` (``kept`` the representative of a kept compound, ``merged``
          its value is in the aggregate of ``group``, ``set aside`` a censored or missing
          value not averaged, ``flagged`` member of a contradictory or stereo-cliff compound,
          ``dropped`` error / censored-only / no-activity rows) and ``reason``;
        - ``stereo_cliffs``, one row per stereo-free parent whose stereoisomers differ by more
          than ``max_spread``: ``stereo_key`` (stereo-free parent SMILES), ``rows`` (all their
          input rows), ``n_isomers``, ``std_smiles`` (list of the isomers' parents),
          ``activities`` (list of their aggregated pActivities, same order) and ``spread``.

        Summary: ``level``, ``aggregate``, ``max_spread``, ``activity_units``, ``units_note``,
        ``n_rows``, ``n_compounds``, ``n_kept``, ``decisions`` and ``actions`` (counts),
        ``n_stereo_cliffs`` and ``recipe``.
    """
    params = {
        "level": level,
        "aggregate": aggregate,
        "max_spread": float(max_spread),
        "activity_units": activity_units,
    }
    if level not in CURATE_LEVELS:
        raise ValueError(f"level must be one of {', '.join(CURATE_LEVELS)}; got {level!r}")
    if aggregate not in ("median", "mean"):
        raise ValueError(f"aggregate must be 'median' or 'mean'; got {aggregate!r}")
    table = data.table
    if len(table) == 0:
        return empty_result("curate", "empty batch: nothing to curate", params)

    # ---------------------------------------------------------------- activities
    has_activity = data.has_activity
    units: str | None = None
    units_note = "no activity: structures deduplicated only"
    n = len(table)
    p = np.full(n, np.nan)
    if has_activity:
        try:
            scale = to_p_activity(
                table["activity"].to_numpy(dtype=np.float64), activity_units or data.activity_units
            )
        except ValueError as err:
            if activity_units is not None:
                raise
            return empty_result("curate", str(err), params)
        units, units_note, p = scale.units, scale.note, scale.p_activity
    notes = (
        table["activity_note"].fillna("").astype("str").to_numpy()
        if "activity_note" in table.columns
        else np.full(n, "", dtype=object)
    )
    censored = np.char.startswith(notes.astype(str), "censored") & np.isfinite(p)
    exact = np.isfinite(p) & ~censored

    rows_all = table["row"].to_numpy(dtype=np.int64)
    ids_all = table["id"].astype("str").to_numpy()
    is_error = (table["status"] == "error").to_numpy()
    valid_pos = np.flatnonzero(~is_error)
    key_col = CURATE_LEVELS[level]
    if key_col not in table.columns:  # a table cached before the column existed
        key_col = "std_smiles"

    # ---------------------------------------------------------------- compounds
    frame = pd.DataFrame(
        {
            "row": rows_all[valid_pos],
            "id": ids_all[valid_pos],
            "key": table[key_col].astype("str").to_numpy()[valid_pos],
            "std_smiles": table["std_smiles"].astype("str").to_numpy()[valid_pos],
            "p": p[valid_pos],
            "exact": exact[valid_pos],
            "censored": censored[valid_pos],
        }
    )
    frame["group"] = frame.groupby("key", sort=False)["row"].transform("min")
    frame = frame.sort_values(["group", "row"], kind="stable", ignore_index=True)
    grouped = frame.groupby("group", sort=True)
    first = grouped.first()
    ex = frame[frame["exact"]].groupby("group", sort=True)["p"]
    agg = pd.DataFrame(
        {
            "activity": ex.median() if aggregate == "median" else ex.mean(),
            "activity_std": ex.std(ddof=1),
            "activity_min": ex.min(),
            "activity_max": ex.max(),
            "n_measurements": ex.size(),
        }
    )
    curated = pd.DataFrame(
        {
            "row": first.index.to_numpy(dtype=np.int64),
            "id": first["id"].to_numpy(),
            "rows": _split_rows(frame),
            "std_smiles": first["std_smiles"].to_numpy(),
        }
    ).set_index("row", drop=False)
    curated = curated.join(agg, how="left")
    curated["n_measurements"] = curated["n_measurements"].fillna(0).astype(np.int64)
    curated["n_censored"] = grouped["censored"].sum().astype(np.int64)
    spread = (curated["activity_max"] - curated["activity_min"]).to_numpy()
    n_meas = curated["n_measurements"].to_numpy()
    n_cens = curated["n_censored"].to_numpy()
    decision = np.full(len(curated), "kept", dtype=object)
    reason = np.empty(len(curated), dtype=object)
    if has_activity:
        contradictory = n_meas > 0
        contradictory &= np.nan_to_num(spread, nan=0.0) > max_spread
        decision[contradictory] = "contradictory"
        decision[(n_meas == 0) & (n_cens > 0)] = "censored only"
        decision[(n_meas == 0) & (n_cens == 0)] = "no activity"
    for i, (d, k, c, sp) in enumerate(
        zip(decision.tolist(), n_meas.tolist(), n_cens.tolist(), spread.tolist(), strict=True)
    ):
        if not has_activity:
            reason[i] = "no activity column: structures deduplicated only"
        elif d == "kept":
            reason[i] = f"{k} exact value{'s' if k > 1 else ''}, spread {sp:.2f} <= {max_spread:g}"
        elif d == "contradictory":
            reason[i] = f"spread {sp:.2f} > max_spread {max_spread:g} over {k} values"
        elif d == "censored only":
            reason[i] = f"only censored values ({c}): no exact activity to aggregate"
        else:
            reason[i] = "no activity value"

    # ---------------------------------------------------------------- stereo cliffs
    cliffs = _stereo_cliffs(frame, aggregate, max_spread) if has_activity else None
    if cliffs is not None and len(cliffs):
        flagged: dict[int, str] = {}
        for rec in cliffs.itertuples(index=False):
            text = (
                f"stereoisomers {', '.join(rec.std_smiles)} differ by {rec.spread:.2f} > "
                f"{max_spread:g}"
            )
            for r in rec.rows:
                flagged[int(r)] = text
        group_of = pd.Series(frame["group"].to_numpy(), index=frame["row"].to_numpy())
        hit_groups: dict[int, str] = {}
        for r, text in flagged.items():
            hit_groups.setdefault(int(group_of[r]), text)
        pos_of = {int(g): k for k, g in enumerate(curated["row"].to_numpy())}
        for g, text in hit_groups.items():
            k = pos_of[g]
            if decision[k] == "kept":
                decision[k] = "stereo cliff"
                reason[k] = text
            else:
                reason[k] = f"{reason[k]}; {text}"
    elif cliffs is None:
        cliffs = pd.DataFrame({c: pd.Series(dtype=object) for c in STEREO_COLUMNS})
    curated["decision"] = decision
    curated["reason"] = reason

    # ---------------------------------------------------------------- error rows
    curated = curated.reset_index(drop=True)
    err_pos = np.flatnonzero(is_error)
    if err_pos.size:
        codes = table["error_code"].astype("str").to_numpy()[err_pos]
        errors = pd.DataFrame(
            {
                "row": rows_all[err_pos],
                "id": ids_all[err_pos],
                "rows": [[int(r)] for r in rows_all[err_pos]],
                "std_smiles": None,
                "n_measurements": 0,
                "n_censored": 0,
                "activity": np.nan,
                "activity_std": np.nan,
                "activity_min": np.nan,
                "activity_max": np.nan,
                "decision": "error",
                "reason": [f"error row ({c}): no structure to curate" for c in codes],
            }
        )
        curated = pd.concat([curated, errors], ignore_index=True)
    curated = curated.sort_values("row", kind="stable", ignore_index=True)
    curated = curated[list(CURATED_COLUMNS)]
    curated["row"] = curated["row"].astype(np.int64)
    curated["n_measurements"] = curated["n_measurements"].astype(np.int64)
    curated["n_censored"] = curated["n_censored"].astype(np.int64)
    for col in ("activity", "activity_std", "activity_min", "activity_max"):
        curated[col] = curated[col].astype(np.float64)

    decisions = _decisions(table, frame, curated, notes, p, units, has_activity)

    decision_counts = {d: int((curated["decision"] == d).sum()) for d in DECISIONS}
    action_counts = {a: int((decisions["action"] == a).sum()) for a in ACTIONS}
    summary: dict[str, Any] = {
        "level": level,
        "aggregate": aggregate,
        "max_spread": float(max_spread),
        "activity_units": units,
        "units_note": units_note,
        "n_rows": int(n),
        "n_compounds": int((curated["decision"] != "error").sum()),
        "n_kept": decision_counts["kept"],
        "decisions": decision_counts,
        "actions": action_counts,
        "n_stereo_cliffs": len(cliffs),
        "recipe": make_recipe(data, level, aggregate, float(max_spread), units),
    }
    message = units_note if has_activity and units_note.startswith("ACTIVITY UNITS NOT") else None
    return AnalyticResult(
        "curate",
        {"curated": curated, "decisions": decisions, "stereo_cliffs": cliffs},
        summary,
        params,
        message,
    )


def _split_rows(frame: pd.DataFrame) -> list[list[int]]:
    """Rows of each group of ``frame`` (sorted by group, then row), in group order."""
    g = frame["group"].to_numpy()
    if g.size == 0:
        return []
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    return [part.tolist() for part in np.split(frame["row"].to_numpy(np.int64), starts[1:])]


def make_recipe(
    data: AnalyticInput, level: str, aggregate: str, max_spread: float, units: str | None
) -> dict[str, Any]:
    """The JSON-able recipe of a curation: every choice needed to reproduce it."""
    from molaudit._version import __version__

    return {
        "molaudit_recipe": "curate",
        "format": 1,
        "molaudit_version": __version__,
        "level": level,
        "aggregate": aggregate,
        "max_spread": max_spread,
        "activity_units": units,
        "columns": {"smiles": None, "id": data.id_col, "activity": data.activity_col},
        "options": data.options.to_dict(),
        "options_digest": data.options.digest(),
    }


def _stereo_cliffs(frame: pd.DataFrame, aggregate: str, max_spread: float) -> pd.DataFrame:
    """Stereo-free parents whose stereoisomers' aggregated activities differ > max_spread."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in STEREO_COLUMNS})
    has_stereo = frame["std_smiles"].str.contains(r"[@/\\]", regex=True)
    if not has_stereo.any():
        return empty
    sub = frame.assign(free=stereo_free(frame["std_smiles"]))
    # only families where at least one member carries stereo can hold stereoisomers
    families = set(sub.loc[has_stereo.to_numpy(), "free"])
    sub = sub[sub["free"].isin(families)]
    measured = sub[sub["exact"]]
    per = measured.groupby(["free", "std_smiles"], sort=True)["p"]
    iso = (per.median() if aggregate == "median" else per.mean()).reset_index()
    out = []
    for free, part in iso.groupby("free", sort=True):
        if len(part) < 2:
            continue
        spread = float(part["p"].max() - part["p"].min())
        if spread <= max_spread:
            continue
        members = sub[(sub["free"] == free) & sub["std_smiles"].isin(part["std_smiles"])]
        out.append(
            {
                "stereo_key": free,
                "rows": sorted(int(r) for r in members["row"]),
                "n_isomers": len(part),
                "std_smiles": part["std_smiles"].tolist(),
                "activities": [float(v) for v in part["p"]],
                "spread": spread,
            }
        )
    if not out:
        return empty
    cliffs = pd.DataFrame(out, columns=list(STEREO_COLUMNS))
    cliffs["n_isomers"] = cliffs["n_isomers"].astype(np.int64)
    return cliffs.sort_values("spread", ascending=False, kind="stable", ignore_index=True)


def _decisions(
    table: pd.DataFrame,
    frame: pd.DataFrame,
    curated: pd.DataFrame,
    notes: np.ndarray,
    p: np.ndarray,
    units: str | None,
    has_activity: bool,
) -> pd.DataFrame:
    """One row per input row: what curation did with it and why (vectorized)."""
    rows_all = table["row"].to_numpy(dtype=np.int64)
    pos_of_row = pd.Series(np.arange(len(rows_all)), index=rows_all)
    rows = frame["row"].to_numpy(dtype=np.int64)
    groups = frame["group"].to_numpy(dtype=np.int64)
    pos = pos_of_row.reindex(rows).to_numpy()
    exact = frame["exact"].to_numpy(dtype=bool)
    cens = frame["censored"].to_numpy(dtype=bool)
    by_group = curated[curated["decision"] != "error"].set_index("row")
    dec = by_group["decision"].reindex(groups).to_numpy(dtype=object)
    n_meas = by_group["n_measurements"].reindex(groups).to_numpy()
    greason = by_group["reason"].reindex(groups).to_numpy(dtype=object)
    rep = rows == groups
    raw = table["activity"].to_numpy(dtype=np.float64)
    n = len(frame)
    action = np.empty(n, dtype=object)
    reason = np.empty(n, dtype=object)
    if not has_activity:
        action[:] = np.where(rep, "kept", "merged")
        reason[:] = [
            "representative" if r else f"same compound as row {g}"
            for r, g in zip(rep.tolist(), groups.tolist(), strict=True)
        ]
    else:
        kept = dec == "kept"
        m = dec == "no activity"
        action[m], reason[m] = "dropped", "no activity value for this compound"
        m = dec == "censored only"
        action[m] = "dropped"
        reason[m] = [
            f"{_censored_text(notes[k], raw[k], p[k], units)}; no exact value" for k in pos[m]
        ]
        live = (dec != "no activity") & (dec != "censored only")
        m = live & cens
        action[m] = np.where(kept[m], "set aside", "flagged")
        reason[m] = [
            f"{_censored_text(notes[k], raw[k], p[k], units)}: not averaged" for k in pos[m]
        ]
        m = live & ~cens & ~exact
        action[m] = np.where(kept[m], "set aside", "flagged")
        reason[m] = [f"no activity value ({notes[k] or 'missing'})" for k in pos[m]]
        m = live & exact & kept
        action[m] = np.where(rep[m], "kept", "merged")
        reason[m] = [
            f"representative of {int(c)} value(s)" if r else f"value aggregated into row {g}"
            for r, c, g in zip(rep[m].tolist(), n_meas[m].tolist(), groups[m].tolist(),
                               strict=True)
        ]  # fmt: skip
        m = live & exact & ~kept
        action[m] = "flagged"
        reason[m] = [f"{d}: {t}" for d, t in zip(dec[m], greason[m], strict=True)]
    valid = pd.DataFrame(
        {"row": rows, "id": frame["id"].to_numpy(), "group": groups, "action": action,
         "reason": reason}
    )  # fmt: skip
    err = table[table["status"] == "error"]
    errors = pd.DataFrame(
        {
            "row": err["row"].to_numpy(dtype=np.int64),
            "id": err["id"].astype("str").to_numpy(),
            "group": err["row"].to_numpy(dtype=np.int64),
            "action": "dropped",
            "reason": [
                f"error row ({c}): {m}"
                for c, m in zip(err["error_code"].astype("str"), err["error_message"].astype("str"),
                                strict=True)
            ],
        }
    )  # fmt: skip
    out = pd.concat([valid, errors], ignore_index=True) if len(errors) else valid
    out = out.sort_values("row", kind="stable", ignore_index=True)
    out["row"] = out["row"].astype(np.int64)
    out["group"] = out["group"].astype(np.int64)
    return out[list(DECISION_COLUMNS)]


def _censored_text(note: str, raw: float, p: float, units: str | None) -> str:
    qualifier = str(note).replace("censored", "").strip() or "?"
    text = f"censored value {qualifier}{raw:g}"
    if units is not None and np.isfinite(p):
        flipped = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
        q = flipped.get(qualifier, qualifier) if _flips(units) else qualifier
        text += f" {units} (pActivity {q} {p:.2f})"
    return text
