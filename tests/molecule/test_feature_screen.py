"""The feature word of the alert screen: read from the SMILES, derived from the query trees.

The oracles are plain RDKit loops over atoms and bonds (what the molecule has) and RDKit's own
matchers on the unscreened queries (``HasSubstructMatch``, ``FilterCatalogEntry.HasFilterMatch``):
a query that matches must never be screened out.
"""

from __future__ import annotations

import pytest
from fixture_smiles import fixture_smiles
from rdkit import Chem, RDLogger
from rdkit.Chem import QED

from molaudit.molecule.alert_screen import (
    DOUBLE_BOND,
    NEGATIVE,
    POSITIVE,
    TRIPLE_BOND,
    UNCOMMON_ELEMENT,
    ScreenedQueries,
    _entry_pattern,
    filter_catalog_queries,
    molecule_features,
    query_features,
    screen_words,
    smiles_features,
)
from molaudit.molecule.properties import _catalog

_COMMON = {1, 6, 7, 8, 9, 15, 16, 17, 35, 53}


@pytest.fixture(scope="module")
def mols() -> list[Chem.Mol]:
    """~1,600 fixture molecules (charges, metals, isotopes, salts, drugs) and odd hand-made ones."""
    RDLogger.DisableLog("rdApp.*")
    smiles = [
        *fixture_smiles(),
        "OB(O)c1ccccc1",  # boron in the organic subset, no bracket
        "c1ccc2[nH]bc(O)cc2c1",  # aromatic boron
        "[Se]1C=CC=C1",  # selenophene drawn aliphatic
        "c1cc[se]c1",  # aromatic selenium in brackets
        "*CC#N",  # dummy atom
        "[13CH3]C#CC",  # isotope + triple bond
        "C[N+](C)(C)C.[Cl-]",  # charges of both signs
        "CC(=O)O[Na]",  # a metal bonded
        "[2H]OC(Br)Cl",  # deuterium
        "[CH2]C[O]",  # radicals
        "F[P-](F)(F)(F)(F)F",  # hexafluorophosphate
    ]
    parsed = [Chem.MolFromSmiles(s) for s in dict.fromkeys(smiles)]
    RDLogger.EnableLog("rdApp.*")
    return [m for m in parsed if m is not None and m.GetNumAtoms()]


def _features_by_loop(mol: Chem.Mol) -> int:
    """The oracle: the feature bits from a plain loop over every atom and bond."""
    bits = 0
    for atom in mol.GetAtoms():
        if atom.GetFormalCharge() > 0:
            bits |= POSITIVE
        if atom.GetFormalCharge() < 0:
            bits |= NEGATIVE
        if atom.GetAtomicNum() not in _COMMON:
            bits |= UNCOMMON_ELEMENT
    for bond in mol.GetBonds():
        if bond.GetBondType() == Chem.BondType.DOUBLE:
            bits |= DOUBLE_BOND
        if bond.GetBondType() == Chem.BondType.TRIPLE:
            bits |= TRIPLE_BOND
    return bits


def test_molecule_features_equal_a_loop_over_atoms_and_bonds(mols: list[Chem.Mol]) -> None:
    seen = 0
    for mol in mols:
        expected = _features_by_loop(mol)
        assert molecule_features(mol) == expected, Chem.MolToSmiles(mol)
        seen |= expected
    assert seen == POSITIVE | NEGATIVE | DOUBLE_BOND | TRIPLE_BOND | UNCOMMON_ELEMENT


def test_smiles_features_never_miss_a_feature(mols: list[Chem.Mol]) -> None:
    """Read from the canonical SMILES the bits are the loop's bits (a superset would do)."""
    for mol in mols:
        smiles = Chem.MolToSmiles(mol)
        assert smiles_features(smiles) == _features_by_loop(mol), smiles
        assert molecule_features(mol, smiles) == smiles_features(smiles)


@pytest.mark.parametrize(
    ("smarts", "needs"),
    [
        ("[O+,o+,S+,s+]", POSITIVE),  # every branch of the atom list is positive
        ("[$([N+R]),$([n+R]),$([N+]=C)][O-]", NEGATIVE),  # recursive SMARTS: nothing known
        ("[!+0]", 0),  # a negated charge requires no particular sign
        ("[N+,O]", 0),  # one branch is neutral
        ("[N;+]=O", POSITIVE | DOUBLE_BOND),
        ("C=,#C", 0),  # double or triple: neither is required
        ("C#N", TRIPLE_BOND),
        ("C=!@CC=[O,S]", DOUBLE_BOND),  # a double bond that is also acyclic
        ("[Hg,Fe,As,Se,se,B,Si,Na]", UNCOMMON_ELEMENT),  # only uncommon elements
        ("[Si,C]", 0),  # carbon is common
        ("[Si][F,Cl,Br,I]", UNCOMMON_ELEMENT),
        ("F.F.F.F", 0),
        ("c1ccccc1", 0),  # aromatic bonds are neither double nor triple
    ],
)
def test_query_features_read_from_the_query_tree(smarts: str, needs: int) -> None:
    assert query_features(Chem.MolFromSmarts(smarts)) == needs


def test_every_true_match_passes_the_feature_screen(mols: list[Chem.Mol]) -> None:
    """The oracle is RDKit's matcher on the unscreened query: a match is never screened out."""
    entries, catalog_screen = filter_catalog_queries(_catalog())
    qed_screen = ScreenedQueries(list(QED.StructuralAlerts))
    needs = {("qed", i): query_features(q) for i, q in enumerate(QED.StructuralAlerts)}
    for i, entry in enumerate(entries):
        pattern = _entry_pattern(entry)
        needs[("catalog", i)] = 0 if pattern is None else query_features(pattern)
    with_needs = {key for key, value in needs.items() if value}
    assert len(with_needs) > 400  # most queries require something
    true_matches = pruned = 0
    for mol in mols:
        features = _features_by_loop(mol)
        words = screen_words(mol, Chem.MolToSmiles(mol))
        qed_candidates = set(qed_screen.candidates(words).tolist())
        catalog_candidates = set(catalog_screen.candidates(words).tolist())
        for kind, i in with_needs:
            if needs[(kind, i)] & ~features:
                pruned += 1
                hit = (
                    mol.HasSubstructMatch(QED.StructuralAlerts[i])
                    if kind == "qed"
                    else entries[i].HasFilterMatch(mol)
                )
                assert not hit, (Chem.MolToSmiles(mol), kind, i)
        for i, query in enumerate(QED.StructuralAlerts):
            if mol.HasSubstructMatch(query):
                true_matches += 1
                assert i in qed_candidates, (Chem.MolToSmiles(mol), i)
        for i in range(len(entries)):
            if (i in catalog_candidates) is False and entries[i].HasFilterMatch(mol):
                raise AssertionError((Chem.MolToSmiles(mol), entries[i].GetDescription()))
    assert true_matches > 1000 and pruned > 10000
