"""Human labels, units and number formats for every column and summary key the panel shows.

Code names (``mw``, ``quality_drug_likeness``) stay in tooltips; what a chemist reads is
"Molecular weight (Da)". Used by the panel, the table, the plots and the HTML report.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "COLUMNS",
    "SUMMARY_KEYS",
    "activity_label",
    "axis_label",
    "describe",
    "format_number",
    "format_value",
    "label",
    "pc_label",
    "summary_label",
    "unit",
]

#: column -> (label, unit, description). The unit is '' for counts and unitless numbers.
COLUMNS: dict[str, tuple[str, str, str]] = {
    "row": ("Row", "", "input row number (0-based)"),
    "id": ("ID", "", "compound identifier"),
    "status": ("Status", "", "ok, warning (checks fired) or error (not parsed)"),
    "score": ("Quality score", "", "0-100, 100 = no check fired"),
    "error_stage": ("Failed at", "", "pipeline stage that failed"),
    "error_code": ("Error", "", "error code"),
    "error_message": ("Error message", "", "RDKit's message for the failure"),
    "checks": ("Checks", "", "codes of the checks that fired"),
    "check_messages": ("Check details", "", "what each check found (alert names)"),
    "smiles": ("SMILES", "", "parsed SMILES (the input text for error rows)"),
    "smiles_input": ("SMILES as given", "", "the input text"),
    "std_smiles": ("Standardized SMILES", "", "after salt stripping, neutralisation, ..."),
    "std_changed": ("Changed by standardization", "", ""),
    "std_steps": ("Standardization steps", "", ""),
    "inchi": ("InChI", "", ""),
    "inchikey": ("InChIKey", "", ""),
    "std_inchikey": ("Standardized InChIKey", "", ""),
    "murcko_scaffold": ("Murcko scaffold", "", ""),
    "n_fragments": ("Fragments", "", "disconnected parts"),
    "mw": ("Molecular weight", "Da", "average molecular weight (RDKit MolWt)"),
    "exact_mass": ("Exact mass", "Da", "monoisotopic mass"),
    "clogp": ("cLogP", "", "Crippen logP"),
    "tpsa": ("TPSA", "Å²", "topological polar surface area"),
    "hbd": ("H-bond donors", "", "Lipinski donors"),
    "hba": ("H-bond acceptors", "", "Lipinski acceptors"),
    "rotatable_bonds": ("Rotatable bonds", "", ""),
    "heavy_atoms": ("Heavy atoms", "", "non-hydrogen atoms"),
    "rings": ("Rings", "", ""),
    "aromatic_rings": ("Aromatic rings", "", ""),
    "fsp3": ("Fraction sp³ C", "", "sp3 carbons / all carbons"),
    "formal_charge": ("Formal charge", "e", "net formal charge"),
    "qed": ("QED", "", "quantitative estimate of drug-likeness, 0-1"),
    "lipinski_violations": ("Lipinski violations", "", "rule-of-five violations"),
    "veber_pass": ("Passes Veber", "", "rotatable bonds <= 10 and TPSA <= 140"),
    "pains_alerts": ("PAINS alerts", "", "names of the PAINS patterns matched"),
    "brenk_alerts": ("Brenk alerts", "", "names of the Brenk patterns matched"),
    "activity_note": ("Activity note", "", "why an activity is censored or not a number"),
    "audit_ms": ("Audit time", "ms", "time spent on this molecule"),
    "pactivity": ("pActivity", "", "-log10 of the activity in mol/L"),
    "lle": ("LLE", "", "pActivity - cLogP"),
    "similarity": ("Tanimoto similarity", "", ""),
    "tanimoto": ("Tanimoto similarity", "", ""),
    "sali": ("SALI", "", "structure-activity landscape index"),
    "count": ("Count", "", ""),
    "n_molecules": ("Molecules", "", ""),
}

#: summary key -> label (summary numbers of the audit and the analytics).
SUMMARY_KEYS: dict[str, str] = {
    "rows": "Rows",
    "n_rows": "Rows",
    "valid_rows": "Valid rows",
    "outliers": "Outlier values",
    "quality_score": "Quality score",
    "quality_validity": "Valid structures",
    "quality_uniqueness": "Unique structures",
    "quality_drug_likeness": "Drug-likeness",
    "quality_alerts": "Free of structural alerts",
    "quality_cleanliness": "No standardization needed",
    "n_duplicate_ids": "Duplicate IDs",
    "explained_variance_ratio_xy": "Variance explained (PC1, PC2)",
}


def _activity_units(units: str | None) -> str:
    return str(units).strip() if units else ""


def unit(name: str, *, activity_units: str | None = None) -> str:
    """The unit of a column ('' when it has none)."""
    if name == "activity":
        return _activity_units(activity_units)
    return COLUMNS.get(name, ("", "", ""))[1]


def label(name: str, *, activity_units: str | None = None) -> str:
    """``'Molecular weight (Da)'``: the human label of a column, with its unit.

    Unknown columns (the input's own) keep their name, with underscores as spaces.
    """
    if name == "activity":
        units = _activity_units(activity_units)
        return f"Activity ({units})" if units else "Activity"
    if name in COLUMNS:
        text, units, _ = COLUMNS[name]
        return f"{text} ({units})" if units else text
    return str(name)


def axis_label(name: str, *, activity_units: str | None = None) -> str:
    """Alias of :func:`label` for plot axes."""
    return label(name, activity_units=activity_units)


def describe(name: str) -> str:
    """Tooltip text: the code name and what the column holds."""
    desc = COLUMNS.get(name, ("", "", ""))[2]
    return f"{name}: {desc}" if desc else str(name)


def activity_label(units: str | None, *, p: bool = False) -> str:
    """``'Activity (nM)'`` or, with ``p``, ``'pActivity (-log10 M, from nM)'``."""
    units = _activity_units(units)
    if p:
        return f"pActivity (−log₁₀ M, from {units})" if units else "pActivity"
    return f"Activity ({units})" if units else "Activity"


def summary_label(key: str) -> str:
    """``'quality_drug_likeness'`` -> ``'Drug-likeness'``; other keys made readable."""
    if key in SUMMARY_KEYS:
        return SUMMARY_KEYS[key]
    if key in COLUMNS:
        return label(key)
    text = str(key)
    for prefix in ("quality_", "n_"):
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def pc_label(index: int, ratio: float | None) -> str:
    """``pc_label(0, 0.0771)`` -> ``'PC1 (7.7 %)'``."""
    name = f"PC{int(index) + 1}"
    if ratio is None or not math.isfinite(float(ratio)):
        return name
    return f"{name} ({100 * float(ratio):.1f} %)"


def format_number(value: Any, *, digits: int = 3) -> str:
    """A number as a chemist reads it: ``12,345``, ``0.0771``, ``328.4``; '' for NaN/None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "" if math.isnan(number) else ("∞" if number > 0 else "−∞")
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    if abs(number) >= 1000:
        return f"{number:,.0f}"
    if abs(number) >= 1:
        return f"{number:.{max(digits - len(str(int(abs(number)))), 1)}f}"
    return f"{number:.{digits}g}"


def format_value(value: Any, *, digits: int = 3) -> str:
    """:func:`format_number` for numbers, lists as ``a, b``, dicts as ``k: v``, text as is."""
    if isinstance(value, dict):
        return ", ".join(f"{summary_label(str(k))}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v, digits=digits) for v in value)
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        return format_number(value, digits=digits)
    return "" if value is None else str(value)
