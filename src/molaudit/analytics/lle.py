"""Lipophilic ligand efficiency (LLE) and ligand efficiency (LE) per molecule.

LLE = pActivity - cLogP, with pActivity in molar units (pIC50 = 9 - log10(IC50 / nM)) and cLogP the
table's ``clogp`` (Crippen logP of the standardized parent). LE = 1.37 × pActivity / heavy atoms
(kcal/mol per heavy atom at 298 K: 1.37 = 2.303·R·T). The units used for the activity are always
stated in the result; MoleculeACE's ``y`` (-log10 nM = pKi - 9) gives an LLE 9 units too low if
taken as pKi, the mistake this module exists to prevent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param, activity_units_param
from molaudit.analytics.units import to_p_activity

__all__ = ["LE_FACTOR", "lle"]

#: 2.303 · R · T in kcal/mol at 298 K, the factor of Hopkins' ligand efficiency.
LE_FACTOR = 1.37

_LLE_COLUMNS = ("row", "id", "activity", "p_activity", "clogp", "lle")


@register(
    "lle",
    kind="cheap",
    description="lipophilic ligand efficiency pActivity - cLogP (and LE) per molecule",
    needs_activity=True,
    params=(
        activity_units_param(
            "Units of the activity column (nM, uM, pX, ...); None: the batch's, else inferred "
            "with a note."
        ),
        Param("le", "bool", True, "Also report ligand efficiency LE.", label="Ligand efficiency"),
    ),
    frames_by=(
        "le",
        {
            True: {"lle": (*_LLE_COLUMNS, "heavy_atoms", "le")},
            False: {"lle": _LLE_COLUMNS},
        },
    ),
)
def lle(
    data: AnalyticInput, *, activity_units: str | None = None, le: bool = True
) -> AnalyticResult:
    """LLE (and LE) of every molecule with an activity.

    Parameters
    ----------
    data : AnalyticInput
        The batch (needs an activity column and the ``clogp`` property).
    activity_units : str, optional
        Units of the activity column (:data:`molaudit.analytics.units.UNITS`); inferred with a
        loud note when not given.
    le : bool
        Also report ligand efficiency LE = 1.37 × pActivity / heavy atoms.

    Returns
    -------
    AnalyticResult
        Frame ``lle``: ``row, id, activity`` (raw), ``p_activity`` (molar), ``clogp``, ``lle``
        and, when ``le``, ``heavy_atoms`` and ``le``; one row per non-error row with an activity.
        ``summary`` holds the units and formulas used and LLE statistics.
    """
    params = {"activity_units": activity_units, "le": le}
    table = data.table
    formulas = {"lle_formula": "LLE = pActivity (molar) - cLogP (Crippen, standardized parent)"}
    if le:
        formulas["le_formula"] = "LE = 1.37 * pActivity / heavy atoms (kcal/mol per heavy atom)"
    if len(table) == 0:
        return empty_result("lle", "empty batch: no molecules", params, formulas)
    if not data.has_activity:
        return empty_result("lle", "no activity column: LLE needs one", params, formulas)
    act = table["activity"].to_numpy(dtype=np.float64)
    try:
        scale = to_p_activity(act, activity_units or data.activity_units)
    except ValueError as err:
        if activity_units is not None:
            raise
        return empty_result("lle", str(err), params, formulas)
    ok = (table["status"] != "error").to_numpy() & np.isfinite(act)
    if not ok.any():
        return empty_result("lle", "no valid molecule has an activity value", params, formulas)
    clogp = table["clogp"].to_numpy(dtype=np.float64) if "clogp" in table.columns else None
    if clogp is None:
        return empty_result("lle", "the table has no 'clogp' column", params, formulas)
    pos = np.flatnonzero(ok)
    frame = pd.DataFrame(
        {
            "row": table["row"].to_numpy(dtype=np.int64)[pos],
            "id": table["id"].astype("str").to_numpy()[pos],
            "activity": act[pos],
            "p_activity": scale.p_activity[pos],
            "clogp": clogp[pos],
        }
    )
    frame["lle"] = frame["p_activity"] - frame["clogp"]
    if le:
        heavy = table["heavy_atoms"].to_numpy(dtype=np.float64)[pos]
        frame["heavy_atoms"] = heavy
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["le"] = np.where(heavy > 0, LE_FACTOR * frame["p_activity"] / heavy, np.nan)
    values = frame["lle"].dropna()
    summary = {
        **formulas,
        "activity_units": scale.units,
        "units_note": scale.note,
        "n_molecules": len(frame),
        "lle_mean": float(values.mean()) if len(values) else None,
        "lle_median": float(values.median()) if len(values) else None,
        "n_lle_ge_5": int((values >= 5).sum()),
    }
    message = scale.note if scale.inferred else None
    return AnalyticResult("lle", {"lle": frame}, summary, params, message)
