"""Physico-chemical properties, QED and structural alerts of a (standardized) molecule."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import QED, Descriptors, rdMolDescriptors
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

from molaudit.molecule.alert_screen import filter_catalog_queries, pattern_words

__all__ = ["alerts", "prepare_alerts", "properties"]


def properties(mol: Chem.Mol) -> dict[str, float | int | bool]:
    """Properties of ``mol`` (see :mod:`molaudit.schema` for the meaning of each key).

    QED's own descriptor set is computed once and its MW, cLogP, TPSA and HBD are reused, so
    QED costs only its HBA count and alert matching on top of the usual descriptors.
    """
    qed_props = QED.properties(mol)
    mw = qed_props.MW
    clogp = qed_props.ALOGP
    tpsa = qed_props.PSA
    hbd = qed_props.HBD
    hba = rdMolDescriptors.CalcNumHBA(mol)
    rotb = rdMolDescriptors.CalcNumRotatableBonds(mol)
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
        "qed": QED.qed(mol, qedProperties=qed_props),
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
    """Build the PAINS/Brenk catalog and its screen now (once per process; ~0.3 s)."""
    filter_catalog_queries(_catalog())


def alerts(mol: Chem.Mol, words: np.ndarray | None = None) -> tuple[list[str], list[str]]:
    """Names of the PAINS and Brenk alerts ``mol`` matches (each name once, sorted).

    The same answer as ``FilterCatalog.GetMatches`` with the PAINS and Brenk catalogs, with
    each entry screened by pattern fingerprint before it is matched; ``words`` are the
    molecule's pattern-fingerprint words if already computed.
    """
    entries, screen = filter_catalog_queries(_catalog())
    if words is None:
        words = pattern_words(mol)
    pains: set[str] = set()
    brenk: set[str] = set()
    for i in screen.candidates(words):
        entry = entries[i]
        if not entry.HasFilterMatch(mol):
            continue
        name = entry.GetDescription()
        (pains if entry.GetProp("FilterSet").startswith("PAINS") else brenk).add(name)
    return sorted(pains), sorted(brenk)
