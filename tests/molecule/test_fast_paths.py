"""The audit's shortcuts give what the full RDKit calls they skip would give.

Each shortcut skips an RDKit call when a cheap pre-check proves the call cannot change the
molecule. The oracle is always the skipped RDKit call itself, run on real fixture molecules
(tricky hand-checked structures, ChEMBL multi-fragment drugs, MoleculeACE sets).
"""

from __future__ import annotations

import pytest
from fixture_smiles import fixture_smiles
from rdkit import Chem, RDLogger
from rdkit.Chem import QED, rdMolDescriptors, rdMolHash

from molaudit.molecule import pipeline
from molaudit.molecule.alert_screen import atoms_matching, pattern_words
from molaudit.molecule.checks import fragment_checks
from molaudit.molecule.properties import (
    _default_rotors_are_strict,
    _has_hydrogen_atoms,
    properties,
    qed_properties,
)
from molaudit.molecule.standardize import (
    _cleanup,
    _has_charges,
    _has_h_atoms,
    _may_reionize,
    _tools,
    standardize,
)


def _graph(mol: Chem.Mol) -> tuple:
    """Everything later steps read from the atoms and bonds, in index order."""
    atoms = tuple(
        (
            a.GetAtomicNum(),
            a.GetFormalCharge(),
            a.GetIsotope(),
            a.GetNumExplicitHs(),
            a.GetTotalNumHs(),
            a.GetIsAromatic(),
            a.GetHybridization(),
            a.GetChiralTag(),
            a.GetNumRadicalElectrons(),
            a.GetNoImplicit(),
        )
        for a in mol.GetAtoms()
    )
    bonds = tuple(
        (
            b.GetBeginAtomIdx(),
            b.GetEndAtomIdx(),
            b.GetBondType(),
            b.GetIsAromatic(),
            b.GetIsConjugated(),
            b.GetStereo(),
            b.GetBondDir(),
        )
        for b in mol.GetBonds()
    )
    return atoms, bonds, mol.GetRingInfo().AtomRings()


@pytest.fixture(scope="module")
def mols() -> list[Chem.Mol]:
    """~1,600 parsed fixture molecules: salts, metals, charges, stereo, isotopes, drugs."""
    RDLogger.DisableLog("rdApp.*")
    smiles = fixture_smiles()
    parsed = [Chem.MolFromSmiles(s) for s in dict.fromkeys(smiles)]
    out = [m for m in parsed if m is not None and m.GetNumAtoms()]
    # molblocks keep explicit H atoms when asked: the H-atom path must be exercised too
    out += [Chem.AddHs(m) for m in out[:40]]
    RDLogger.EnableLog("rdApp.*")
    return out


def test_reionizer_precheck_matches_the_reionizer(mols: list[Chem.Mol]) -> None:
    """Where ``_may_reionize`` says no, RDKit's Reionizer returns the molecule unchanged."""
    reionizer = _tools()[2]
    skipped = 0
    for mol in mols:
        work = Chem.RWMol(Chem.RemoveHs(mol))
        if len(Chem.GetMolFrags(work)) != 1 or _may_reionize(work):
            continue
        before = Chem.MolToSmiles(work)
        reionizer.reionizeInPlace(work)
        assert Chem.MolToSmiles(work) == before, before
        skipped += 1
    assert skipped > 500  # the shortcut is taken on most real molecules


def test_reionizer_precheck_keeps_molecules_it_would_change() -> None:
    # the reionizer moves the proton to the stronger acid: phenolate + carboxylic acid
    mol = Chem.RWMol(Chem.MolFromSmiles("[O-]c1ccc(CC(=O)O)cc1"))
    assert _may_reionize(mol)
    _tools()[2].reionizeInPlace(mol)
    assert Chem.MolToSmiles(mol) == "O=C([O-])Cc1ccc(O)cc1"
    # an isolated neutral sodium atom is charged by its corrections: one atom, never skipped
    assert _may_reionize(Chem.RWMol(Chem.MolFromSmiles("[Na]")))


def test_h_atom_precheck_matches_remove_hs(mols: list[Chem.Mol]) -> None:
    """Without H atoms, ``RemoveHs`` gives the same molecule as the plain copy the audit uses."""
    with_h = without_h = 0
    for mol in mols:
        expected = any(a.GetAtomicNum() == 1 for a in mol.GetAtoms())
        assert _has_h_atoms(mol) == expected
        if expected:
            with_h += 1
            continue
        without_h += 1
        removed = Chem.RemoveHs(mol)
        assert Chem.MolToSmiles(removed) == Chem.MolToSmiles(mol)
        assert _graph(removed) == _graph(mol)
    assert with_h >= 40 and without_h > 1000


def test_unchanged_parent_is_the_input_and_equals_the_full_cleanup(mols: list[Chem.Mol]) -> None:
    """When nothing changes, the parent is the input; RDKit's full chain agrees it is unchanged."""
    normalizer, conventions, reionizer, _u, _t = _tools()
    unchanged = 0
    for mol in mols:
        smiles = Chem.MolToSmiles(mol)
        parent, std_smiles, steps = standardize(mol, smiles)
        if steps:
            assert parent is not mol
            continue
        unchanged += 1
        assert parent is mol and std_smiles == smiles
        # the chain without shortcuts: RemoveHs, normalize, conventions, always reionize
        work = Chem.RWMol(Chem.RemoveHs(mol))
        normalizer.normalizeInPlace(work)
        conventions.normalizeInPlace(work)
        reionizer.reionizeInPlace(work)
        Chem.SanitizeMol(work)
        assert Chem.MolToSmiles(work) == smiles
        assert Chem.MolToSmiles(_cleanup(mol)) == smiles
    assert unchanged > 500


def test_single_fragment_has_no_fragment_findings(mols: list[Chem.Mol]) -> None:
    """The audit skips fragment_checks when the SMILES has no '.'; it would find nothing."""
    for mol in mols:
        if "." in Chem.MolToSmiles(mol):
            continue
        fired: dict[str, str] = {}
        assert fragment_checks(mol, fired) == 1
        assert fired == {}


@pytest.mark.parametrize(
    ("smiles", "alert"),
    [
        ("FC(F)(F)c1ccccc1", False),  # 3 F: one CF3, below QED's F.F.F.F alert
        ("FC(F)(F)c1ccc(F)cc1", True),  # 4 F in two places: the alert needs no bond between them
        ("FC(F)(F)c1cc(C(F)(F)F)ccc1", True),  # 6 F
        ("Clc1cc(Cl)c(Cl)cc1Cl", False),  # 4 Cl are not F
    ],
)
def test_counted_fluorine_alert_matches_substructure_search(smiles: str, alert: bool) -> None:
    mol = Chem.MolFromSmiles(smiles)
    fffff = Chem.MolFromSmarts("F.F.F.F")
    assert mol.HasSubstructMatch(fffff) == alert  # the search the count replaces (oracle)
    words = pattern_words(mol)
    got = properties(mol, words)
    ours = qed_properties(
        mol, words, mw=got["mw"], clogp=got["clogp"], tpsa=got["tpsa"], hbd=got["hbd"]
    )
    assert ours == QED.properties(mol)  # RDKit's own eight QED inputs


#: Atoms the fixtures lack: radicals, dummies, isotopes, bonded metals, query atoms and bonds.
_ODD_ATOMS = [
    "[CH2]C[O]",
    "*CC(*)=O",
    "[13CH3]C([2H])([2H])O",
    "C[Sn](C)(C)C",
    "CC(=O)O[Na]",
    "[Na+].[Cl-]",
    "N.N.Cl[Pt]Cl",
    "[Cu+2].[O-]C(=O)C",
    "O=[N+]([O-])c1ccc([S-])cc1",
    "C~C",  # a query bond
    "C* |$;Q_e$|",  # a query atom from CXSMILES
]


def _odd_mols() -> list[Chem.Mol]:
    out = [Chem.MolFromSmiles(s) for s in _ODD_ATOMS]
    assert all(m is not None for m in out)
    return out


def test_atom_queries_equal_loops_over_every_atom(mols: list[Chem.Mol]) -> None:
    """The C++ atom queries of the checks give what a Python loop over all atoms gives."""
    fired_kinds: set[str] = set()
    for mol in mols + _odd_mols():
        atoms = list(mol.GetAtoms())
        assert len(mol.GetAtomsMatchingQuery(pipeline._DUMMY)) == sum(
            a.GetAtomicNum() == 0 for a in atoms
        )
        for query, keep in [
            (pipeline._RADICAL, lambda a: a.GetNumRadicalElectrons() > 0),
            (pipeline._ISOTOPE, lambda a: a.GetIsotope() != 0),
            (pipeline._CHARGED, lambda a: a.GetFormalCharge() != 0),
            (
                pipeline._BONDED_METAL,
                lambda a: (
                    a.GetAtomicNum() not in pipeline._NONMETALS
                    and a.GetAtomicNum() != 0
                    and a.GetDegree() > 0
                ),
            ),
        ]:
            # same atoms, in atom order
            assert [a.GetIdx() for a in atoms_matching(mol, query)] == [
                a.GetIdx() for a in atoms if keep(a)
            ]
        assert mol.HasSubstructMatch(pipeline._CARBON) == any(a.GetAtomicNum() == 6 for a in atoms)
        assert _has_charges(mol) == any(a.GetFormalCharge() for a in atoms)
        assert _has_hydrogen_atoms(mol) == any(a.GetAtomicNum() == 1 for a in atoms)
        fired: dict[str, str] = {}
        pipeline._query_check(mol, fired)
        pipeline._atom_checks(mol, fired)
        n_query_atoms = sum(a.HasQuery() for a in atoms)
        n_query_bonds = sum(b.HasQuery() for b in mol.GetBonds())
        assert ("query_features" in fired) == bool(n_query_atoms or n_query_bonds)
        if n_query_atoms:
            assert f"{n_query_atoms} query atom(s)" in fired["query_features"]
        if n_query_bonds:
            assert f"{n_query_bonds} query bond(s)" in fired["query_features"]
        fired_kinds |= set(fired)
    # every check the queries feed fired somewhere, so none was compared only on empty lists
    assert {"query_features", "dummy_atoms", "radicals", "isotopes", "organometallic"} <= (
        fired_kinds
    )


def test_default_rotatable_bonds_are_the_strict_count(mols: list[Chem.Mol]) -> None:
    """The audit counts rotatable bonds once when RDKit's Default is its Strict definition."""
    assert _default_rotors_are_strict()  # the RDKit wheels are built with the strict default
    options = rdMolDescriptors.NumRotatableBondsOptions
    differs = 0
    for mol in mols:
        strict = rdMolDescriptors.CalcNumRotatableBonds(mol, options.Strict)
        assert rdMolDescriptors.CalcNumRotatableBonds(mol) == strict
        differs += rdMolDescriptors.CalcNumRotatableBonds(mol, options.NonStrict) != strict
    assert differs > 100  # the definitions do differ on these molecules


def test_tautomer_hash_without_a_copy_is_the_same(mols: list[Chem.Mol]) -> None:
    """``MolHash`` of the stereo-free molecule itself equals the hash of a copy of it."""
    tautomer = rdMolHash.HashFunction.HetAtomTautomerv2
    for mol in mols[:400]:
        flat = Chem.Mol(mol)
        Chem.RemoveStereochemistry(flat)
        before = Chem.MolToSmiles(flat)
        expected = rdMolHash.MolHash(Chem.Mol(flat), tautomer)  # what the audit used to do
        assert rdMolHash.MolHash(flat, tautomer) == expected
        assert Chem.MolToSmiles(flat) == before  # the argument is not modified


def test_aromatic_ring_count_without_the_copy(mols: list[Chem.Mol]) -> None:
    """QED's AROM without its defensive copy: DeleteSubstructs leaves its input alone."""
    for mol in mols[:400]:
        before = Chem.MolToSmiles(mol)
        expected = len(Chem.GetSSSR(Chem.DeleteSubstructs(Chem.Mol(mol), QED.AliphaticRings)))
        assert len(Chem.GetSSSR(Chem.DeleteSubstructs(mol, QED.AliphaticRings))) == expected
        assert Chem.MolToSmiles(mol) == before
