"""Decorated ring keys: "ring + substituent atoms" queries proven from keys (issue 16).

The oracle is a plain RDKit ``HasSubstructMatch(query, useChirality=False)`` loop over the
sanitized molecules; the index's own answers are never their own reference. Each test that
relies on the decorated path also checks that the path answered (proofs made, fewer
molecules re-read by RDKit), so it fails if the path silently stops being used.
"""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from test_substructure_library import RING_MOLECULES, _fixture_smiles, _fragment_queries

from molaudit.analytics.substructure import SubstructureIndex, parse_query
from molaudit.analytics.substructure_format import LIBRARY_FORMAT
from molaudit.analytics.substructure_keys import (
    _ring_and_decorated,
    decorated_keys,
    decorated_query,
    library_keys,
)
from molaudit.analytics.substructure_screen import ATOM_WORDS, WORDS, atom_codes, graph_keys

# ring + leaf queries of type-only atoms and bonds (the bench's bromobenzene first)
DECORATED_QUERIES = [
    "Brc1ccccc1",
    "Clc1ccncc1",
    "FC1CC1",
    "Oc1ccccc1",
    "Brc1ccc(Cl)cc1",
    "Fc1ccccc1F",
    "O=C1CCCN1",  # a lactam: the carbonyl O is a leaf on the ring
    "Cc1ccccc1",
    "[#6]c1ccccc1[#7]",
    "[F,Cl,Br]c1ccccc1",
    "Cc1ccc(C)cc1",
    "Cc1cc(C)cc(C)c1",
    "C1CCCCC1=O",
    "c1ccccc1-C",  # an explicit single bond to the leaf
    "c1ccccc1:c",  # an aromatic bond to the leaf: a fused or biaryl atom
    "*~c1ccsc1",
    "[#1]C1CC1",  # an explicit hydrogen as the leaf
    "CC1CCC1",
    "CC1CC(C)C1",  # 1,3 on a 4-ring: bicyclo[1.1.1]pentane must not match
    "FC1(F)CC1",  # two leaves on one ring atom
    "[N+,N]c1ccccc1",
    "Cc1cccc2ccccc12",  # fused: not one cycle + leaves, the old path
]

# molecules where a decorated proof could go wrong, each with the reason
ODD_MOLECULES = [
    "c1ccc2ccccc2c1",  # naphthalene: fusion atoms' off-ring neighbours sit in the other ring
    "c1ccc2[nH]ccc2c1",  # indole: a 6-ring fused to a 5-ring
    "C1CC2CCC1C2",  # norbornane: bridgeheads' off-ring neighbours are distinct atoms
    "C1C2CC3CC1CC(C2)C3",  # adamantane
    "C12C3C4C1C5C2C3C45",  # cubane: every face's off-ring neighbours on the opposite face
    "C1C2CC1C2",  # bicyclo[1.1.1]pentane: two ring atoms share an off-ring neighbour
    "C1CC2CC1C2",  # bicyclo[2.1.1]hexane: the same on its 4-ring
    "C1C2CC12",  # bicyclo[1.1.0]butane: two 3-rings on a shared bond
    "C1CC2(CC1)CCCCC2",  # a spiro atom: its off-ring neighbours are in the other ring
    "CC1CCCCCCCCCCC1",  # a 12-ring with a leaf: beyond MAX_RING, no key
    "Brc1ccccc1[N+](=O)[O-]",  # charged atoms: the type-only queries ignore the charge
    "[2H]c1ccccc1Br",  # an explicit (deuterium) hydrogen atom as an off-ring neighbour
    "[2H]C1([2H])CC1",  # explicit (isotopic) hydrogens on cyclopropane
    "Clc1cc[n+]([O-])cc1",  # a charged ring atom
    "C1C[NH2]->[Cu]<-[NH2]C1Br",  # dative bonds: no decorated keys, matched by RDKit
    "c1ccc(-c2ccccc2)cc1",  # biphenyl: the leaf sits in another ring
    "FC1=CCCC1",  # a leaf on a ring double bond's atom
    "Fc1ccccc1.Brc1ccccc1",  # two fragments
]


# the selective and common queries of benchmarks/bench_search.py
BENCH_QUERIES = [
    "c1ccc2[nH]ccc2c1",
    "C(F)(F)F",
    "S(=O)(=O)N",
    "c1ccsc1",
    "[#6]C(=O)N[NH2]",
    "c1ccc2ncccc2c1",
    "Brc1ccccc1",
    "C1CC1",
    "c1ccccc1",
    "C(=O)N",
    "[#7]",
]


def _loop(mols: list[Chem.Mol], query: Chem.Mol) -> list[int]:
    return [i for i, m in enumerate(mols) if m.HasSubstructMatch(query, useChirality=False)]


@pytest.fixture(scope="module")
def smiles() -> list[str]:
    return ODD_MOLECULES + RING_MOLECULES + _fixture_smiles()


@pytest.fixture(scope="module")
def index(smiles) -> SubstructureIndex:
    return SubstructureIndex(smiles, np.arange(len(smiles)) + 5)


@pytest.fixture(scope="module")
def mols(smiles) -> list[Chem.Mol]:
    return [Chem.MolFromSmiles(s) for s in smiles]


def _reread(index: SubstructureIndex, query: Chem.Mol, monkeypatch) -> tuple[list[int], int]:
    """The search's rows and how many molecules RDKit re-read for it."""
    seen = []
    match = SubstructureIndex._match

    def counting(self, query, survivors, cancel, num_threads):
        seen.append(len(survivors))
        return match(self, query, survivors, cancel, num_threads)

    monkeypatch.setattr(SubstructureIndex, "_match", counting)
    rows = index.search(query).tolist()
    monkeypatch.setattr(SubstructureIndex, "_match", match)
    return rows, sum(seen)


@pytest.mark.parametrize("text", DECORATED_QUERIES)
def test_ring_plus_leaf_queries_equal_the_loop(index, mols, text) -> None:
    query = parse_query(text)
    expected = [5 + i for i in _loop(mols, query)]
    proven = index._by_decorated(query)
    if proven is not None:
        assert {5 + p for p in proven.tolist()} <= set(expected), text  # a proof is never wrong
    assert index.search(query).tolist() == expected, text
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert again.search(query).tolist() == expected, text


@pytest.mark.parametrize("text", BENCH_QUERIES)
def test_bench_queries_equal_the_loop(index, mols, text) -> None:
    query = Chem.MolFromSmarts(text)  # as the bench parses them
    expected = [5 + i for i in _loop(mols, query)]
    assert index.search(query).tolist() == expected, text
    # of these, only bromobenzene is one cycle plus leaves
    assert (decorated_query(query) is not None) == (text == "Brc1ccccc1"), text


@pytest.mark.parametrize("text", ["Brc1ccccc1", "Clc1ccccc1", "Fc1ccccc1", "Oc1ccccc1"])
def test_halobenzenes_are_proven_and_barely_re_read(index, mols, monkeypatch, text) -> None:
    query = parse_query(text)
    expected = [5 + i for i in _loop(mols, query)]
    assert len(expected) >= 10  # not vacuous
    screened = len(index.candidates(query))
    rows, reread = _reread(index, query, monkeypatch)
    assert rows == expected
    proven = index._by_decorated(query)
    assert len(proven) >= 0.9 * len(expected)
    assert reread <= screened - len(proven) and reread < 0.2 * screened


@pytest.mark.parametrize(
    "text",
    ["Brc1ccccc1", "Clc1ccncc1", "FC1CC1", "Oc1ccccc1", "Brc1ccc(Cl)cc1", "C(F)c1ccccc1"],
)
def test_which_queries_take_the_decorated_path(text) -> None:
    # C(F)c1ccccc1: the CH2 has two neighbours, so it is no leaf
    assert (decorated_query(parse_query(text)) is None) == (text == "C(F)c1ccccc1")


@pytest.mark.parametrize(
    "text",
    [
        "c1ccccc1",  # no leaf: the ring path
        "c1ccc2ccccc2c1",  # two cycles
        "CCc1ccccc1",  # a chain of two off the ring
        "[CH3]c1ccccc1",  # an H-count query: not type-only
        "C[C@H]1CC1",  # chirality is not a type
        "Cc1ccccc1C1CC1",  # two rings
        "CC",  # no cycle
        "[R]c1ccccc1",  # a ring-membership query
        "CC1CCCCCCCCC1",  # a 10-cycle: beyond MAX_RING
    ],
)
def test_other_queries_take_no_decorated_path(text) -> None:
    assert decorated_query(parse_query(text)) is None


def test_a_smiles_query_stays_on_the_old_path(index, mols) -> None:
    # MolFromSmiles atoms carry no queries (a match compares charge, H count...)
    query = Chem.MolFromSmiles("Brc1ccccc1")
    assert decorated_query(query) is None and index._by_decorated(query) is None
    assert index.search(query).tolist() == [5 + i for i in _loop(mols, query)]


def _keys(smiles: str, rings=None):
    mol = Chem.MolFromSmiles(smiles)
    codes = atom_codes(mol, Chem.MolToSmiles(mol))
    return decorated_keys(mol, codes, Chem.GetAdjacencyMatrix(mol, useBO=True), rings)


def test_a_shared_off_ring_neighbour_gives_no_key() -> None:
    # bicyclo[1.1.1]pentane: on each 4-ring both bridgeheads are bonded to the third CH2.
    # Its probe would have two methyl leaves on opposite corners and match 1,3-dimethyl-
    # cyclobutane, which the molecule does not contain (one atom for two query atoms).
    mol = Chem.MolFromSmiles("C1C2CC1C2")
    assert len(mol.GetRingInfo().AtomRings()) == 3
    assert _keys("C1C2CC1C2") == set()
    query = parse_query("CC1CC(C)C1")
    assert not mol.HasSubstructMatch(query)
    index = SubstructureIndex(["C1C2CC1C2", "CC1CC(C)C1"], [0, 1])
    assert index._by_decorated(query).tolist() == [1]
    assert index.search(query).tolist() == [1]


def test_a_chord_gives_no_key() -> None:
    # bicyclo[1.1.0]butane read as its 4-cycle 0-1-2-3 has the chord 1-3 (RDKit's ring set
    # holds the two 3-rings instead): the chord would make each of 1 and 3 a leaf of the
    # other, a probe of 1,3-dimethylcyclobutane for a 4-atom molecule
    mol = Chem.MolFromSmiles("C1C2CC12")
    assert mol.GetBondBetweenAtoms(1, 3) is not None
    assert _keys("C1C2CC12", rings=[(0, 1, 2, 3)]) == set()
    # and its 3-rings 0-1-3 and 1-2-3 are skipped too: 1 and 3 share the off-ring atom
    assert _keys("C1C2CC12") == set()
    assert not mol.HasSubstructMatch(parse_query("CC1CC(C)C1"))


def test_ring_keys_without_decoration_are_kept_for_skipped_rings() -> None:
    # a skipped ring still has its plain ring key (ring queries need it)
    mol = Chem.MolFromSmiles("C1C2CC1C2")
    codes = atom_codes(mol, Chem.MolToSmiles(mol))
    rings, _, decorated = library_keys(mol, codes)
    assert rings == graph_keys(mol, codes)[0] and len(rings) == 1 and decorated == set()
    neighbours = [
        [(1, codes[n.GetIdx()], n.GetIdx()) for n in a.GetNeighbors()] for a in mol.GetAtoms()
    ]
    plain, key = _ring_and_decorated((0, 1, 2, 3), codes, neighbours)
    assert plain in rings and key is None


def test_library_keys_give_the_ring_and_star_keys_of_graph_keys(smiles) -> None:
    for text in smiles:
        mol = Chem.MolFromSmiles(text)
        codes = atom_codes(mol, Chem.MolToSmiles(mol))
        rings, stars, _ = library_keys(mol, codes)
        assert (rings, stars) == graph_keys(mol, codes), text


def test_decorated_keys_do_not_depend_on_atom_order() -> None:
    for text in ("Brc1ccc(Cl)cc1", "Cc1ccncc1O", "c1ccc2[nH]ccc2c1", "C1CC2CCC1C2", "FC1(F)CC1"):
        keys = _keys(text)
        assert keys
        mol = Chem.MolFromSmiles(text)
        for seed in range(5):
            order = [int(i) for i in np.random.default_rng(seed).permutation(mol.GetNumAtoms())]
            renumbered = Chem.RenumberAtoms(mol, order)
            codes = atom_codes(renumbered, Chem.MolToSmiles(renumbered))
            orders = Chem.GetAdjacencyMatrix(renumbered, useBO=True)
            assert decorated_keys(renumbered, codes, orders) == keys, text


def test_molecules_with_dative_bonds_have_no_decorated_keys() -> None:
    index = SubstructureIndex(["C1C[NH2]->[Cu]<-[NH2]C1Br", "BrC1CCCCC1"], [0, 1])
    assert index.deco_ptr.tolist() == [0, 0, 1]
    query = parse_query("BrC1CCCCC1")
    assert index.search(query).tolist() == [1]  # the 6-ring of the dative one has a Cu


@pytest.mark.parametrize(
    ("text", "molecule", "expected"),
    [
        ("Brc1ccccc1", "[2H]c1ccccc1Br", True),  # the D is an extra neighbour: still a match
        ("[#1]c1ccccc1Br", "[2H]c1ccccc1Br", True),  # the D as the query's hydrogen leaf
        ("[#1]C1CC1", "[2H]C1([2H])CC1", True),  # isotopic H atoms are kept by the parse
        ("[#1]C1CC1", "[H]C1([H])CC1", False),  # plain [H] are removed by the parse
        ("[#1]C1CC1", "C1CC1", False),  # implicit H are no atoms
        ("Oc1ccccc1", "Brc1ccccc1[N+](=O)[O-]", False),  # the O is on the N, not the ring
        ("[#7]c1ccccc1", "Brc1ccccc1[N+](=O)[O-]", True),  # type-only: the charge is ignored
        ("Clc1cc[n]cc1", "Clc1cc[n+]([O-])cc1", True),  # a charged ring atom
        ("CC1CCCCC1", "C1CC2(CC1)CCCCC2", True),  # the spiro atom's neighbour as the leaf
        ("CC1CCCC1", "C1CC2CCC1C2", True),  # norbornane's 5-ring with its bridge atom
        ("CC1CC(C)CC(C)C1", "C1C2CC3CC1CC(C2)C3", True),  # adamantane: 3 distinct CH2
        ("CC1CCCCC1C", "C1C2CC3CC1CC(C2)C3", False),  # no two adjacent bridgeheads
        ("CC1CCC1", "C12C3C4C1C5C2C3C45", True),  # a cubane face and an opposite atom
        ("CC1CC(C)C1", "C12C3C4C1C5C2C3C45", True),  # two distinct opposite atoms
        ("CC1CC(C)C1", "C1C2CC1C2", False),  # one shared atom for two query atoms
        ("CC1CC1", "C1C2CC12", True),  # bicyclobutane: the other 3-ring's CH2
        ("CC1CC1C", "C1C2CC12", False),  # 4 atoms in all: no room for two leaves
        ("cc1ccccc1", "c1ccc2ccccc2c1", True),  # naphthalene: the leaf in the other ring
        ("cc1ccccc1c", "c1ccc2ccccc2c1", True),
        ("c1ccccc1(c)c", "c1ccc2ccccc2c1", False),  # 3 neighbours of a carbon: no room
        ("cc1ccccc1", "c1ccc(-c2ccccc2)cc1", True),  # biphenyl's other ring atom as the leaf
        ("c:c1ccccc1", "c1ccc(-c2ccccc2)cc1", False),  # the biaryl bond is single
        ("CC1CCCCCCCCCCC1", "CC1CCCCCCCCCCC1", True),  # a 12-ring: the old path decides
        ("FC1=CCCC1", "FC1=CCCC1", True),
        ("FC1CCCC1", "FC1=CCCC1", False),  # the query's single ring bonds meet the double
    ],
)
def test_hand_picked_molecules(text, molecule, expected) -> None:
    query = parse_query(text)
    mol = Chem.MolFromSmiles(molecule)
    assert mol.HasSubstructMatch(query, useChirality=False) == expected  # the oracle agrees
    others = ["c1ccccc1", "CCO", molecule]
    index = SubstructureIndex(others, [0, 1, 2])
    assert index.search(query).tolist() == _loop([Chem.MolFromSmiles(s) for s in others], query)
    assert (2 in index.search(query).tolist()) == expected


def test_random_rings_with_leaves_cut_from_molecules_equal_the_loop(
    index, mols, monkeypatch
) -> None:
    molecules = _fixture_smiles()
    proved = 0
    reread_all = screened_all = 0
    texts = _fragment_queries(molecules, "decorated", 60, seed=16)
    for text in texts:
        query = Chem.MolFromSmarts(text)
        assert query is not None, text
        expected = [5 + i for i in _loop(mols, query)]
        assert expected, text  # cut from one of the molecules
        rows, reread = _reread(index, query, monkeypatch)
        assert rows == expected, text
        proven = index._by_decorated(query)
        if proven is not None:
            proved += 1
            assert {5 + p for p in proven.tolist()} <= set(expected), text
            reread_all += reread
            screened_all += len(index.candidates(query))
    assert proved >= 25  # most took the decorated path
    assert reread_all < 0.5 * screened_all  # and it spared most of the re-reads


def test_the_decorated_keys_survive_bytes_and_derived_libraries(smiles, mols) -> None:
    base = SubstructureIndex(smiles, np.arange(len(smiles)))
    again = SubstructureIndex.from_bytes(base.to_bytes())
    assert again.deco_vocab == base.deco_vocab
    assert np.array_equal(again.deco_ids, base.deco_ids)
    assert np.array_equal(again.deco_rings, base.deco_rings)
    assert np.array_equal(again.deco_types, base.deco_types)
    changed = ["Brc1ccc(Cl)cc1", "FC1CC1", "Clc1ccncc1"]
    table = changed + smiles[3:]
    derived = SubstructureIndex.derived(
        table, np.arange(len(smiles)), base, [False] * 3 + [True] * (len(smiles) - 3)
    )
    table_mols = [Chem.MolFromSmiles(s) for s in table]
    for text in ("Brc1ccccc1", "FC1CC1", "Clc1ccncc1", "Brc1ccc(Cl)cc1"):
        query = parse_query(text)
        assert derived.search(query).tolist() == _loop(table_mols, query), text
        assert {0, 1, 2} & set(derived._by_decorated(query).tolist()), text


def test_damaged_decorated_keys_are_refused(index) -> None:
    blob = bytearray(index.to_bytes())
    header = len(LIBRARY_FORMAT) + 1
    n, n_ring, n_star, n_deco = np.frombuffer(blob[header : header + 32], dtype="<i8")
    start = header + 64 + 8 * ((1 + WORDS + ATOM_WORDS) * n + 3 * (n + 1))
    start += 8 * (n_ring + n_star + n_deco)  # the first decorated key's ring id
    blob[start : start + 8] = np.asarray([10**6], dtype="<i8").tobytes()
    with pytest.raises(ValueError, match="decorated"):
        SubstructureIndex.from_bytes(bytes(blob))
    with pytest.raises(ValueError, match="truncated"):
        SubstructureIndex.from_bytes(index.to_bytes()[:-200_000])
