"""Activity units: say what the numbers are, convert them to pActivity (molar), never assume.

pActivity is ``-log10(activity in mol/L)``: 10 nM -> 8.0, 1 µM -> 6.0. The web platform we
rethink ignored units, so its LLE on MoleculeACE (whose ``y`` is ``-log10(nM)`` = pKi - 9) was off
by 9. This module is the one place units are resolved: :func:`units_from_column` reads them from
the column name (the audit calls it through :func:`molaudit.ingest.columns.infer_units`),
:func:`infer_units` from the values, and every analytic that needs potency calls
:func:`to_p_activity` and reports the units used. When the values fit two scales that order
potency differently (all negative: log10 M or MoleculeACE's y), nothing is guessed: the
activity analytics return an empty result whose message asks for ``activity_units``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "UNITS",
    "ActivityScale",
    "fold_change",
    "infer_units",
    "normalize_units",
    "to_p_activity",
    "units_from_column",
]

#: Concentration units and their factor to mol/L.
_CONCENTRATION = {"M": 1.0, "mM": 1e-3, "uM": 1e-6, "nM": 1e-9, "pM": 1e-12}
_ALIASES = {
    "µm": "uM",
    "μm": "uM",
    "um": "uM",
    "micromolar": "uM",
    "nm": "nM",
    "nanomolar": "nM",
    "mm": "mM",
    "millimolar": "mM",
    "pm": "pM",
    "picomolar": "pM",
    "m": "M",
    "molar": "M",
    "px": "pX",
    "p": "pX",
    "pic50": "pX",
    "pki": "pX",
    "pkd": "pX",
    "pec50": "pX",
    "log": "log",
    "log10": "log",
    "log_m": "log",
    "log_nm": "log_nM",
    "neg_log_nm": "neg_log_nM",
    "-log_nm": "neg_log_nM",
}

#: Accepted ``activity_units`` values and what they mean.
UNITS: dict[str, str] = {
    "M": "concentration in mol/L (pActivity = -log10(value))",
    "mM": "concentration in mmol/L (pActivity = 3 - log10(value))",
    "uM": "concentration in µmol/L (pActivity = 6 - log10(value))",
    "nM": "concentration in nmol/L (pActivity = 9 - log10(value))",
    "pM": "concentration in pmol/L (pActivity = 12 - log10(value))",
    "pX": "already a molar p-value such as pIC50 or pKi (pActivity = value)",
    "log": "log10 of the molar concentration (pActivity = -value)",
    "log_nM": "log10 of the nM concentration (pActivity = 9 - value)",
    "neg_log_nM": "-log10 of the nM concentration, e.g. MoleculeACE's y (pActivity = value + 9)",
}


@dataclass(frozen=True)
class ActivityScale:
    """Activities converted to pActivity, with how the units were decided.

    Attributes
    ----------
    units : str
        One of :data:`UNITS`.
    inferred : bool
        True when the units were guessed from the values (see ``note``).
    note : str
        Human-readable statement of the units used (loud when inferred).
    p_activity : numpy.ndarray
        float64 pActivity (molar); NaN where the activity is missing or cannot be converted
        (a concentration <= 0).
    """

    units: str
    inferred: bool
    note: str
    p_activity: np.ndarray

    @property
    def is_concentration(self) -> bool:
        return self.units in _CONCENTRATION


def normalize_units(units: str) -> str:
    """Canonical spelling of ``units``; raises ValueError naming the accepted values."""
    if not isinstance(units, str):
        raise ValueError(f"activity_units must be one of {sorted(UNITS)} or None, got {units!r}")
    if units in UNITS:
        return units
    key = units.strip().replace(" ", "").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(f"activity_units must be one of {sorted(UNITS)} or None, got {units!r}")


def units_from_column(column: str | None, columns=()) -> str | None:
    """Units of an activity column from its name (and its neighbours' names), or None.

    ``[nM]``/``_nM``/``(nM)`` -> 'nM'; the same for µM -> 'uM'; names starting with ``p`` and
    naming a potency (pIC50, pKi, pChEMBL...) -> 'pX'. MoleculeACE's ``y`` column, recognised by
    the name ``y`` next to an ``exp_mean [nM]`` column, -> 'neg_log_nM' (y = -log10(nM) =
    pKi - 9, so pActivity = y + 9).
    """
    if column is None:
        return None
    low = str(column).lower().strip()
    if low == "y" and any(str(c).lower().replace(" ", "") == "exp_mean[nm]" for c in columns):
        return "neg_log_nM"
    if "[nm]" in low or low.endswith("_nm") or "(nm)" in low:
        return "nM"
    if "[um]" in low or low.endswith("_um") or "(um)" in low or "µm" in low:
        return "uM"
    if low.startswith("p") and any(k in low for k in ("ic50", "ki", "kd", "ec50", "chembl", "act")):
        return "pX"
    return None


def infer_units(values: np.ndarray) -> tuple[str | None, str]:
    """Guess the units of an activity column from its values.

    Rules, in order: all finite values in [1, 14] -> 'pX' (a p-value scale); all > 0 -> 'nM'
    (the commonest concentration unit in ChEMBL exports). All values in (-15, 0] fit two scales
    that order potency in opposite directions, log10 of molar concentrations (pActivity =
    -value) and MoleculeACE's ``y`` = -log10(nM) (pActivity = value + 9), so they give None,
    as do mixed signs and anything else.

    Returns
    -------
    (units, reason) : tuple
        ``units`` is None when no rule applies or the values are ambiguous; ``reason`` says why.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, "no numeric activity values"
    lo, hi = float(finite.min()), float(finite.max())
    span = f"values from {lo:g} to {hi:g}"
    if lo >= 1.0 and hi <= 14.0:
        return "pX", f"{span} look like a molar p-scale (pIC50/pKi)"
    if lo > 0.0:
        return "nM", f"{span} are all positive: taken as concentrations in nM"
    if lo > -15.0 and hi <= 0.0:
        return None, (
            f"{span} are all <= 0 and fit two scales with opposite potency order: log10 of "
            "molar concentrations ('log', pActivity = -value) and MoleculeACE's y = -log10(nM) "
            "= pKi - 9 ('neg_log_nM', pActivity = value + 9)"
        )
    return None, f"{span} fit no known scale (mixed signs?)"


def to_p_activity(values, units: str | None) -> ActivityScale:
    """Convert activities to pActivity (molar), inferring the units when ``units`` is None.

    Parameters
    ----------
    values : array-like of float
        Raw activity values (NaN for missing).
    units : str or None
        One of :data:`UNITS` (or an alias such as 'µM', 'pIC50'); None to infer.

    Returns
    -------
    ActivityScale
        Raises ValueError when ``units`` is not recognised, or when it is None and the values
        fit no scale (the message asks the caller to pass ``activity_units``).
    """
    arr = np.asarray(values, dtype=np.float64)
    inferred = units is None
    if units is None:
        guess, reason = infer_units(arr)
        if guess is None:
            raise ValueError(
                f"activity_units could not be inferred ({reason}); pass activity_units= one of "
                f"{sorted(UNITS)}"
            )
        units = guess
        note = (
            f"ACTIVITY UNITS NOT GIVEN: assumed {units!r} because {reason}. "
            f"Pass activity_units= to be sure."
        )
    else:
        units = normalize_units(units)
        note = f"activity units: {units} ({UNITS[units]})"
    with np.errstate(divide="ignore", invalid="ignore"):
        if units in _CONCENTRATION:
            molar = arr * _CONCENTRATION[units]
            p = np.where(molar > 0, -np.log10(np.where(molar > 0, molar, 1.0)), np.nan)
        elif units == "pX":
            p = arr.copy()
        elif units == "log":
            p = -arr
        elif units == "log_nM":
            p = 9.0 - arr
        else:  # neg_log_nM
            p = arr + 9.0
    p = np.where(np.isfinite(arr), p, np.nan)
    return ActivityScale(units, inferred, note, p)


def fold_change(raw_a, raw_b, p_a, p_b, is_concentration: bool) -> np.ndarray:
    """Potency fold change max/min of each pair.

    On concentration units the ratio of the raw values is used (MoleculeACE computes
    ``max(a, b) / min(a, b)`` on nM, and its strict ``> 10`` test is sensitive to the last bit);
    on p-scales it is ``10 ** |Δp|``.
    """
    if is_concentration:
        a = np.asarray(raw_a, dtype=np.float64)
        b = np.asarray(raw_b, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.maximum(a, b) / np.minimum(a, b)
    return np.power(10.0, np.abs(np.asarray(p_a) - np.asarray(p_b)))
