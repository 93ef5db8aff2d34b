"""Which input column holds the SMILES, the ID and the activity.

Rules (case-insensitive, first match wins; a name given by the user always wins):

* SMILES: a column named one of :data:`SMILES_NAMES`, else a column whose name contains
  ``smiles``, else the first text column where at least 90 % of the first 50 non-empty values
  parse as SMILES.
* ID: a column named one of :data:`ID_NAMES`, else one whose name ends in ``_id``/`` id``/``id``
  after a separator. There is no guessing from content; without an ID column the IDs are
  ``row_<n>``.
* activity: a column named one of :data:`ACTIVITY_NAMES` (in that order of preference), else one
  whose name contains one of :data:`ACTIVITY_WORDS`; in both cases at least half of its non-empty
  values must be numbers (qualifiers such as ``<`` and ``>`` allowed).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase

from molaudit.errors import ColumnNotFoundError

SMILES_NAMES = (
    "smiles",
    "canonical_smiles",
    "isomeric_smiles",
    "smi",
    "mol_smiles",
    "molecule_smiles",
    "canonical smiles",
    "structure",
)
ID_NAMES = (
    "id",
    "mol_id",
    "molecule_id",
    "compound_id",
    "cmpd_id",
    "chembl_id",
    "molecule_chembl_id",
    "name",
    "_name",
    "title",
    "identifier",
    "compound",
    "registry_id",
    "regno",
)
ACTIVITY_NAMES = (
    "pchembl_value",
    "pic50",
    "pki",
    "pkd",
    "pec50",
    "pactivity",
    "activity",
    "exp_mean [nm]",
    "ic50",
    "ic50_nm",
    "ki",
    "kd",
    "ec50",
    "potency",
    "affinity",
    "standard_value",
    "y",
)
ACTIVITY_WORDS = ("pchembl", "ic50", "ec50", "activity", "potency", "affinity", "pki", "pkd")

__all__ = [
    "ColumnChoice",
    "choose_columns",
    "detect_activity",
    "detect_id",
    "detect_smiles",
    "infer_units",
    "parse_activity",
    "resolve",
]

_QUALIFIED = re.compile(r"^\s*(<=|>=|<|>|~|=)?\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*$")
_MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "nd", "n.d."}


def resolve(frame: pd.DataFrame, name: str | None, role: str) -> str | None:
    """Return ``name`` if it is a column of ``frame``; raise with a suggestion if not."""
    if name is None:
        return None
    columns = [str(c) for c in frame.columns]
    if name in columns:
        return name
    lowered = {c.lower(): c for c in columns}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    hint = f"; did you mean {lowered[close[0]]!r}?" if close else ""
    raise ColumnNotFoundError(
        f"{role} column {name!r} not found{hint} (columns: {', '.join(map(repr, columns[:20]))})"
    )


def _by_name(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lowered = {str(c).lower().strip(): str(c) for c in frame.columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def _looks_like_smiles(values: pd.Series) -> bool:
    sample = [str(v).strip() for v in values.dropna().head(200) if str(v).strip()][:50]
    if len(sample) < 1:
        return False
    with rdBase.BlockLogs():
        good = sum(
            1
            for s in sample
            if " " not in s and len(s) > 0 and Chem.MolFromSmiles(s, sanitize=False) is not None
        )
    return good >= 0.9 * len(sample)


def detect_smiles(frame: pd.DataFrame) -> str | None:
    """Name of the SMILES column of ``frame`` by the module's rules, or None."""
    found = _by_name(frame, SMILES_NAMES)
    if found:
        return found
    for column in frame.columns:
        if "smiles" in str(column).lower():
            return str(column)
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            if _looks_like_smiles(series):
                return str(column)
    return None


def detect_id(frame: pd.DataFrame, exclude: set[str]) -> str | None:
    """Name of the ID column of ``frame`` by the module's rules, or None."""
    candidates = frame[[c for c in frame.columns if str(c) not in exclude]]
    found = _by_name(candidates, ID_NAMES)
    if found:
        return found
    for column in candidates.columns:
        low = str(column).lower()
        if re.search(r"(^|[_\s.-])id$", low):
            return str(column)
    return None


def detect_activity(frame: pd.DataFrame, exclude: set[str]) -> str | None:
    """Name of the activity column of ``frame`` by the module's rules, or None."""
    candidates = frame[[c for c in frame.columns if str(c) not in exclude]]
    ordered = []
    found = _by_name(candidates, ACTIVITY_NAMES)
    if found:
        ordered.append(found)
    for column in candidates.columns:
        if any(w in str(column).lower() for w in ACTIVITY_WORDS) and str(column) not in ordered:
            ordered.append(str(column))
    for column in ordered:
        values, _notes = parse_activity(candidates[column].head(500))
        present = candidates[column].head(500).astype(str).str.strip()
        non_empty = int((~present.str.lower().isin(_MISSING)).sum())
        if non_empty and np.isfinite(values).sum() >= 0.5 * non_empty:
            return column
    return None


@dataclass(frozen=True)
class ColumnChoice:
    """The columns of one input table, chosen once per batch by :func:`choose_columns`.

    Attributes
    ----------
    smiles, id, activity : str or None
        Column names in the input frame (``smiles`` is None for molblock inputs).
    activity_units : str or None
        Units of the activity column: as given, else inferred from its name, else None.
    notes : tuple of str
        One note per column that was detected rather than named.
    """

    smiles: str | None
    id: str | None
    activity: str | None
    activity_units: str | None
    notes: tuple[str, ...]


def choose_columns(
    frame: pd.DataFrame,
    *,
    smiles_col: str | None = None,
    id_col: str | None = None,
    activity_col: str | None = None,
    activity_units: str | None = None,
    needs_smiles: bool = True,
    structure_col: str | None = None,
) -> ColumnChoice:
    """Every column decision of a batch, in one call: SMILES, ID, activity and its units.

    A named column must exist (:func:`resolve` raises with a suggestion); a column not named
    is detected by the module's rules. An ID or activity column named explicitly as absent
    is never guessed.

    Parameters
    ----------
    frame : pandas.DataFrame
        The input columns.
    smiles_col, id_col, activity_col : str, optional
        Columns named by the user.
    activity_units : str, optional
        Units given by the user (else inferred from the activity column's name).
    needs_smiles : bool
        False for inputs whose structures are molblocks (SD files, Mols): no SMILES column.
    structure_col : str, optional
        A column that holds the structures in another form (a Mol column): never an ID or
        activity column.

    Raises
    ------
    ColumnNotFoundError
        A named column does not exist, or no SMILES column is found where one is needed.
    """
    notes: list[str] = []
    smiles = None
    if needs_smiles:
        smiles = resolve(frame, smiles_col, "SMILES")
        if smiles is None:
            smiles = detect_smiles(frame)
            if smiles is None:
                raise ColumnNotFoundError(
                    "no SMILES column found: name one with smiles_col= (columns: "
                    + ", ".join(map(repr, list(frame.columns)[:20]))
                    + ")"
                )
            notes.append(f"SMILES column {smiles!r} (detected)")
    taken = {c for c in (smiles, structure_col) if c is not None}
    ident = resolve(frame, id_col, "ID")
    if ident is None and id_col is None:
        ident = detect_id(frame, exclude=taken)
        if ident is not None:
            notes.append(f"ID column {ident!r} (detected)")
    activity = resolve(frame, activity_col, "activity")
    if activity is None and activity_col is None:
        activity = detect_activity(frame, exclude=taken | {ident or ""})
        if activity is not None:
            notes.append(f"activity column {activity!r} (detected)")
    units = activity_units or infer_units(activity, frame.columns)
    return ColumnChoice(smiles, ident, activity, units, tuple(notes))


def parse_activity(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Parse activity values to floats, never silently: every NaN or censored value gets a note.

    ``'<5'``/``'>10'`` keep their number and get the note ``censored <``/``censored >``;
    ``'n/a'``, ``''``, text, ``inf``, ``nan`` and numbers beyond the float range (``'1e400'``)
    become NaN with a note saying why; no value that is not finite is ever kept. Negative
    values are kept (pActivity-like and log units can be negative).

    Returns
    -------
    tuple
        ``(floats, notes)`` with one note per value (``''`` when it parsed cleanly).
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        notes = [
            "" if np.isfinite(v) else ("missing" if np.isnan(v) else "infinite") for v in floats
        ]
        floats = np.where(np.isfinite(floats), floats, np.nan)
        return floats, notes
    floats = np.full(len(values), np.nan)
    notes = [""] * len(values)
    for i, raw in enumerate(values.tolist()):
        if raw is None or (isinstance(raw, float) and np.isnan(raw)):
            notes[i] = "missing"
            continue
        text = str(raw).strip()
        if text.lower() in _MISSING:
            notes[i] = (
                "missing"
                if not text or text.lower() in {"nan", "none", "null"}
                else (f"not a number: {text!r}")
            )
            continue
        match = _QUALIFIED.match(text)
        if match is None:
            notes[i] = (
                "infinite"
                if text.lower().lstrip("+-") in {"inf", "infinity"}
                else f"not a number: {text[:40]!r}"
            )
            continue
        value = float(match.group(2))
        if not np.isfinite(value):  # '1e400', '-1e999': too large for a float, never exact
            notes[i] = f"not finite: {text[:40]!r} is beyond the float range"
            continue
        floats[i] = value
        qualifier = match.group(1)
        if qualifier in {"<", ">", "<=", ">="}:
            notes[i] = f"censored {qualifier}"
        elif qualifier == "~":
            notes[i] = "approximate ~"
    return floats, notes


def infer_units(column: str | None, columns=()) -> str | None:
    """Units of an activity column from its name, or None.

    Delegates to :func:`molaudit.analytics.units.units_from_column`, the one place units are
    resolved (``columns``: the other column names, to recognise MoleculeACE's ``y``).
    """
    from molaudit.analytics.units import units_from_column  # the analytics layer imports ingest

    return units_from_column(column, columns)
