"""Standardization with RDKit's rdMolStandardize, recording which steps changed the structure.

Steps, in order: ``cleanup`` (remove explicit H, disconnect metals, normalize functional groups,
reionize), ``fragment_parent`` (keep the largest organic fragment), ``neutralize`` (Uncharger)
and, when ``AuditOptions.canonical_tautomer`` is set, ``tautomer``. A step "changed" the structure
when the canonical SMILES differs before and after it (canonical forms, never raw strings).
"""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize

__all__ = ["STEPS", "standardize"]

STEPS = ("cleanup", "fragment_parent", "neutralize", "tautomer")


@lru_cache(maxsize=1)
def _uncharger() -> rdMolStandardize.Uncharger:
    return rdMolStandardize.Uncharger(canonicalOrder=True)


@lru_cache(maxsize=1)
def _tautomer_enumerator() -> rdMolStandardize.TautomerEnumerator:
    return rdMolStandardize.TautomerEnumerator()


def standardize(
    mol: Chem.Mol, input_smiles: str, *, canonical_tautomer: bool = False
) -> tuple[Chem.Mol, str, list[str]]:
    """Standardize ``mol`` to its neutral parent.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        Sanitized input molecule (not modified).
    input_smiles : str
        Canonical SMILES of ``mol`` (saves recomputing it).
    canonical_tautomer : bool
        Also canonicalize the tautomer.

    Returns
    -------
    tuple
        ``(parent_mol, parent_smiles, changed_steps)``.
    """
    changed: list[str] = []
    previous = input_smiles
    work = Chem.Mol(mol)
    rdMolStandardize.CleanupInPlace(work)
    current = Chem.MolToSmiles(work)
    if current != previous:
        changed.append("cleanup")
    previous = current
    if "." in current:
        rdMolStandardize.FragmentParentInPlace(work, skipStandardize=True)
        current = Chem.MolToSmiles(work)
        if current != previous:
            changed.append("fragment_parent")
        previous = current
    if any(atom.GetFormalCharge() for atom in work.GetAtoms()):
        work = _uncharger().uncharge(work)
        current = Chem.MolToSmiles(work)
        if current != previous:
            changed.append("neutralize")
        previous = current
    if canonical_tautomer:
        work = _tautomer_enumerator().Canonicalize(work)
        current = Chem.MolToSmiles(work)
        if current != previous:
            changed.append("tautomer")
    # the in-place operations leave ring perception stale; later steps need it
    Chem.SanitizeMol(work)
    return work, current, changed
