"""The structure checks: codes, severities, what they mean, and the 0-100 score."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CHECKS", "PENALTY", "Check", "score"]

Severity = Literal["info", "warning", "critical"]

#: Points a fired check removes from the score of 100. Each check code counts once, however
#: many atoms or fragments triggered it (the web platform counted one defect twice).
PENALTY: dict[str, int] = {"info": 2, "warning": 10, "critical": 40}


@dataclass(frozen=True)
class Check:
    """A check that can fire on a parsed molecule."""

    code: str
    severity: Severity
    description: str


_CHECKS = [
    Check(
        "dummy_atoms", "critical", "dummy atoms (*, R groups) or polymer brackets: not a compound"
    ),
    Check("inchi_failed", "critical", "InChI could not be generated (InChI's message given)"),
    Check("mixture", "warning", "two or more fragments that are not known counterions/solvents"),
    Check("solvent", "warning", "solvent fragment(s) present, named"),
    Check("inorganic", "warning", "no carbon atom in the parent"),
    Check(
        "organometallic",
        "warning",
        "a metal atom bonded to other atoms (organometallic or complex)",
    ),
    Check("radicals", "warning", "atoms with unpaired electrons"),
    Check("trivial_molecule", "warning", "parent has fewer heavy atoms than trivial_heavy_atoms"),
    Check("undefined_stereocenter", "warning", "tetrahedral stereocentres without R/S"),
    Check("undefined_double_bond_stereo", "warning", "stereogenic double bonds without E/Z"),
    Check("smiles_roundtrip", "warning", "canonical SMILES does not parse back to itself"),
    Check("pains_alert", "warning", "matches a PAINS substructure filter (named)"),
    Check("salt", "info", "counterion fragment(s) present, named"),
    Check("isotopes", "info", "isotope labels present"),
    Check("net_charge", "info", "the parent carries a net formal charge"),
    Check("zwitterion", "info", "the parent has separated + and - charges summing to zero"),
    Check("macrocycle", "info", "a ring of macrocycle_size atoms or more"),
    Check("inchi_warning", "info", "InChI generation warned (other than undefined stereo)"),
    Check("brenk_alert", "info", "matches a Brenk unwanted-group filter (named)"),
    Check("rdkit_warning", "info", "RDKit logged a warning while reading the structure"),
]

#: code -> Check, in order of decreasing severity.
CHECKS: dict[str, Check] = {c.code: c for c in _CHECKS}


def score(codes: list[str]) -> int:
    """Quality score 0-100 of a parsed molecule from the distinct check codes that fired.

    ``100 - sum(PENALTY[severity])`` over distinct codes, floored at 0. Error rows score 0.
    """
    total = sum(PENALTY[CHECKS[c].severity] for c in set(codes))
    return max(0, 100 - total)


def status_for(codes: list[str]) -> str:
    """'warning' when a warning or critical check fired, else 'ok'."""
    return "warning" if any(CHECKS[c].severity != "info" for c in codes) else "ok"
