"""Physico-chemical properties, QED and structural alerts of a (standardized) molecule.

QED is computed from the descriptors the audit computes anyway: RDKit's ``QED.properties``
recomputes MW, cLogP, TPSA and HBD and matches its 94 structural alerts one by one; here each
of its eight inputs is computed once, with exactly ``QED.properties``' definition, the alert
count uses the pattern-fingerprint screen of :mod:`molaudit.molecule.alert_screen` (the
molecule's pattern fingerprint is shared with the PAINS/Brenk screen), and the score is
``QED.qed`` itself given those inputs. ``tests/test_properties_qed.py`` checks equality with
``QED.qed`` on real molecules.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Descriptors, rdMolDescriptors, rdqueries
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molaudit.molecule.alert_screen import ScreenedQueries, filter_catalog_queries, screen_words

__all__ = ["alerts", "prepare_alerts", "properties", "qed_from_properties", "qed_properties"]

_ROTORS = rdMolDescriptors.NumRotatableBondsOptions
_STRICT = _ROTORS.Strict

#: Molecules whose rotatable-bond count differs between the definitions: an amide and an
#: ester (Strict 0, NonStrict 1) and a hindered biaryl (Strict 1, StrictLinkages 0).
_ROTOR_PROBES = ("CC(=O)NC", "CC(=O)OC", "Cc1cccc(C)c1-c1c(C)cccc1")


@lru_cache(maxsize=1)
def _default_rotors_are_strict() -> bool:
    """True when ``NumRotatableBondsOptions.Default`` counts as ``Strict`` in this RDKit.

    ``Default`` is whatever definition RDKit was built with (Strict in the wheels). When the
    probes say it is Strict, the audit's ``rotatable_bonds`` (Default) is also QED's ROTB
    (Strict) and one count serves both; otherwise both are counted.
    """
    mols = [Chem.MolFromSmiles(smiles) for smiles in _ROTOR_PROBES]

    def counts(option: rdMolDescriptors.NumRotatableBondsOptions) -> list[int]:
        return [rdMolDescriptors.CalcNumRotatableBonds(mol, option) for mol in mols]

    strict = counts(_STRICT)
    # Default agrees with Strict, and each other definition disagrees with it on a probe
    return (
        counts(_ROTORS.Default) == strict
        and counts(_ROTORS.NonStrict) != strict
        and counts(_ROTORS.StrictLinkages) != strict
    )


@lru_cache(maxsize=1)
def _qed_alert_screen() -> ScreenedQueries:
    return ScreenedQueries(list(QED.StructuralAlerts))


#: Halogens: their SMARTS symbol means the element (they are never aromatic).
_HALOGENS = {"F": 9, "Cl": 17, "Br": 35, "I": 53}


@lru_cache(maxsize=1)
def _qed_counted_alerts() -> dict[int, tuple[int, int]]:
    """QED alerts that are n unbonded copies of one halogen (``F.F.F.F``): index -> (Z, n).

    Such a query matches exactly when the molecule has at least n atoms of that element (any
    n distinct atoms map to the n disconnected query atoms), so counting replaces the
    substructure search, which tries every assignment of atoms and is slow.
    """
    counted = {}
    for i, alert in enumerate(QED.StructuralAlerts):
        parts = Chem.MolToSmarts(alert).split(".")
        if len(parts) > 1 and len(set(parts)) == 1 and parts[0] in _HALOGENS:
            counted[i] = (_HALOGENS[parts[0]], len(parts))
    return counted


def _has_hydrogen_atoms(mol: Chem.Mol) -> bool:
    if mol.GetNumAtoms() == mol.GetNumHeavyAtoms():  # every atom heavier than H
        return False
    return len(mol.GetAtomsMatchingQuery(rdqueries.AtomNumEqualsQueryAtom(1))) > 0


def qed_properties(
    mol: Chem.Mol,
    words: np.ndarray,
    *,
    mw: float,
    clogp: float,
    tpsa: float,
    hbd: int,
    rotb_strict: int | None = None,
) -> QED.QEDproperties:
    """``QED.properties(mol)`` from descriptors already computed on ``mol``.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        A sanitized molecule without explicit hydrogen atoms (``QED.properties`` works on
        ``Chem.RemoveHs(mol)``; with H atoms in the graph use ``QED.properties`` itself).
    words : numpy.ndarray
        The molecule's screen words (:func:`~molaudit.molecule.alert_screen.screen_words`;
        plain ``pattern_words`` work too, without the feature screen).
    mw, clogp, tpsa, hbd
        ``_CalcMolWt``, ``Crippen.MolLogP``, ``TPSA`` and ``CalcNumHBD`` of ``mol``.
    rotb_strict : int, optional
        ``CalcNumRotatableBonds(mol, Strict)`` if already counted (else it is counted here).

    Returns
    -------
    QED.QEDproperties
        MW, ALOGP, HBA (QED's acceptor patterns), HBD, PSA, ROTB (strict), AROM (rings left
        after deleting aliphatic ring atoms), ALERTS (number of QED structural alerts matched).
    """
    screen = _qed_alert_screen()
    alerts_hit = QED.StructuralAlerts
    counted = _qed_counted_alerts()
    n_alerts = 0
    for i in screen.candidates(words):
        if i in counted:  # 'F.F.F.F': matches when there are that many atoms of the element
            element, copies = counted[i]
            atoms = mol.GetAtomsMatchingQuery(rdqueries.AtomNumEqualsQueryAtom(element))
            n_alerts += len(atoms) >= copies
        elif mol.HasSubstructMatch(alerts_hit[i]):
            n_alerts += 1
    hba = 0
    for pattern in QED.Acceptors:
        hba += len(mol.GetSubstructMatches(pattern))
    # QED's own expression without its defensive copy: DeleteSubstructs returns a new molecule
    arom = len(Chem.GetSSSR(Chem.DeleteSubstructs(mol, QED.AliphaticRings)))
    return QED.QEDproperties(
        MW=mw,
        ALOGP=clogp,
        HBA=hba,
        HBD=hbd,
        PSA=tpsa,
        ROTB=(
            rdMolDescriptors.CalcNumRotatableBonds(mol, _STRICT)
            if rotb_strict is None
            else rotb_strict
        ),
        AROM=arom,
        ALERTS=n_alerts,
    )


def qed_from_properties(qed_props: QED.QEDproperties) -> float:
    """QED (mean weights) from its eight inputs: RDKit's own ``QED.qed`` formula."""
    return QED.qed(None, qedProperties=qed_props)


def properties(mol: Chem.Mol, words: np.ndarray | None = None) -> dict[str, float | int | bool]:
    """Properties of ``mol`` (see :mod:`molaudit.schema` for the meaning of each key).

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        Sanitized (standardized) molecule.
    words : numpy.ndarray, optional
        Its screen words, if already computed (shared with :func:`alerts`).
    """
    qed_props = None
    if _has_hydrogen_atoms(mol):  # rare: QED works on the H-free graph, so let it do so
        qed_props = QED.properties(mol)
        mw, clogp, tpsa, hbd = qed_props.MW, qed_props.ALOGP, qed_props.PSA, qed_props.HBD
    else:
        mw = rdMolDescriptors._CalcMolWt(mol)
        clogp = rdMolDescriptors.CalcCrippenDescriptors(mol)[0]
        tpsa = rdMolDescriptors.CalcTPSA(mol)
        hbd = rdMolDescriptors.CalcNumHBD(mol)
    rotb = rdMolDescriptors.CalcNumRotatableBonds(mol)
    if qed_props is None:
        if words is None:
            words = screen_words(mol)
        strict = rotb if _default_rotors_are_strict() else None
        qed_props = qed_properties(
            mol, words, mw=mw, clogp=clogp, tpsa=tpsa, hbd=hbd, rotb_strict=strict
        )
    hba = rdMolDescriptors.CalcNumHBA(mol)
    lipinski = int(mw > 500) + int(clogp > 5) + int(hbd > 5) + int(hba > 10)
    return {
        "mw": mw,
        "exact_mass": Descriptors.ExactMolWt(mol),
        "clogp": clogp,
        "tpsa": tpsa,
        "hbd": hbd,
        "hba": hba,
        "rotatable_bonds": rotb,
        "heavy_atoms": mol.GetNumHeavyAtoms(),
        "rings": rdMolDescriptors.CalcNumRings(mol),
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(mol),
        "fsp3": rdMolDescriptors.CalcFractionCSP3(mol),
        "formal_charge": Chem.GetFormalCharge(mol),
        "qed": qed_from_properties(qed_props),
        "lipinski_violations": lipinski,
        "veber_pass": bool(rotb <= 10 and tpsa <= 140),
    }


@lru_cache(maxsize=1)
def _catalog() -> FilterCatalog:
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    return FilterCatalog(params)


def prepare_alerts() -> None:
    """Build the PAINS/Brenk catalog, its screen and the QED alert screen now (once per process)."""
    filter_catalog_queries(_catalog())
    _qed_alert_screen()
    _qed_counted_alerts()
    _default_rotors_are_strict()


def alerts(mol: Chem.Mol, words: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """Names of the PAINS and Brenk alerts ``mol`` matches (each name once, sorted).

    The same answer as ``FilterCatalog.GetMatches`` with the PAINS and Brenk catalogs, with
    each entry screened by pattern fingerprint and molecule features before it is matched;
    ``words`` are the molecule's screen words if already computed.
    """
    entries, screen = filter_catalog_queries(_catalog())
    if words is None:
        words = screen_words(mol)
    pains: set[str] = set()
    brenk: set[str] = set()
    for i in screen.candidates(words):
        entry = entries[i]
        if not entry.HasFilterMatch(mol):
            continue
        name = entry.GetDescription()
        (pains if entry.GetProp("FilterSet").startswith("PAINS") else brenk).add(name)
    return sorted(pains), sorted(brenk)
