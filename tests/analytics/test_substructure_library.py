"""The batch's substructure library: one-atom shortcut, disk cache, background build, table.

Oracles are plain RDKit loops (``MolFromSmiles`` + ``HasSubstructMatch``) over the same
structures; the library's own answers are never used as their own reference.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

import molaudit
import molaudit.analytics.substructure as sub
from molaudit.analytics import AnalyticCancelled
from molaudit.analytics.substructure import LibraryBuild, SubstructureIndex, parse_query
from molaudit.analytics.substructure_screen import atom_query_mask
from molaudit.notebook.table import TableModel

DATA = Path(__file__).parents[1] / "data"

# molecules with atoms a one-atom shortcut could get wrong, each with the reason
ODD_ATOMS = [
    "c1cc[se]c1",  # aromatic selenium: an aromatic type outside the organic subset
    "[2H]C([2H])([2H])O",  # deuterium kept as explicit atoms (atomic number 1)
    "[H][H]",  # hydrogen molecule: explicit H atoms kept
    "*c1ccccc1",  # a dummy atom (atomic number 0)
    "C[N+](C)(C)C.[Cl-]",  # charged atoms: the element query ignores the charge
    "[Na+].[O-]C(=O)c1ccccc1",  # a metal ion
    "c1ccc2c(c1)-c1ccccc1-2",  # biphenylene (aromatic C only)
    "C1=CC=CC=C1",  # benzene written Kekulé: aromatic C after sanitization
    "n1ccccc1",  # pyridine: aromatic N, no aliphatic N
    "CN",  # aliphatic N only
    "[Si](C)(C)(C)C",  # silicon
    "B1OC(C)(C)C(C)(C)O1",  # aliphatic boron
    "c1ccc2[nH]ccc2c1",  # indole: aromatic N with an H
    "O",  # water
]

# one-atom queries that read only element and aromaticity: answered with no parse
TYPE_ONLY = [
    "[#7]",
    "N",
    "n",
    "[#6]",
    "c",
    "C",
    "[Cl,Br]",
    "[!#6]",
    "*",
    "a",
    "A",
    "[S,s]",
    "[#7;a]",
    "[!n]",
    "[#1]",
    "[#34]",
    "[#0]",
    "[Na]",
    "[B,b]",
    "[#6&!a]",
]
# one-atom queries that read more (charge, H count, ring, degree, recursion): matched
OTHER_ATOMS = ["[NH2]", "[N+]", "[#7R]", "[CX4]", "[nH]", "[$(N(C)C)]", "[O-]", "[2H]"]


def _fixture_smiles() -> list[str]:
    return pd.read_csv(DATA / "scaffolds" / "moleculeace_1000.csv")["smiles"].tolist()[:300]


@pytest.fixture(scope="module")
def molecules() -> list[str]:
    return ODD_ATOMS + _fixture_smiles()


def _loop(smiles: list[str], query: Chem.Mol) -> list[int]:
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    return [i for i, m in enumerate(mols) if m is not None and m.HasSubstructMatch(query)]


@pytest.mark.parametrize("text", TYPE_ONLY)
def test_type_only_atom_queries_take_the_shortcut_and_equal_the_loop(molecules, text) -> None:
    index = SubstructureIndex(molecules, np.arange(len(molecules)))
    query = parse_query(text)
    present = np.bitwise_or.reduce(index.types, axis=1)
    assert atom_query_mask(query, present) is not None, text  # answered without a parse
    assert index.search(query).tolist() == _loop(molecules, query), text


@pytest.mark.parametrize("text", OTHER_ATOMS)
def test_other_atom_queries_are_matched_and_equal_the_loop(molecules, text) -> None:
    index = SubstructureIndex(molecules, np.arange(len(molecules)))
    query = parse_query(text)
    present = np.bitwise_or.reduce(index.types, axis=1)
    assert atom_query_mask(query, present) is None, text  # not decidable from the type
    assert index.search(query).tolist() == _loop(molecules, query), text


def test_a_smiles_atom_query_is_not_taken_for_an_element_query() -> None:
    # MolFromSmiles("[NH4+]") has no query: its match also compares charge, so no shortcut
    smiles = ["[NH4+]", "N", "C[N+](C)(C)C"]
    query = parse_query("[NH4+]")  # valid SMARTS too: an H-count and charge query
    index = SubstructureIndex(smiles, np.arange(3))
    assert atom_query_mask(Chem.MolFromSmiles("[NH4+]"), np.ones(8, np.uint64)) is None
    assert index.search(query).tolist() == _loop(smiles, query) == [0]


def test_bytes_round_trip_keeps_atom_types_and_refuses_the_old_format(molecules) -> None:
    index = SubstructureIndex(molecules, np.arange(len(molecules)) + 7)
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert np.array_equal(again.types, index.types) and np.array_equal(again.rows, index.rows)
    for text in ("[#7]", "c1ccccc1", "[Na]"):
        query = parse_query(text)
        assert again.search(query).tolist() == [7 + i for i in _loop(molecules, query)]
    old = b"substructure-library-2\n" + index.to_bytes().partition(b"\n")[2]
    with pytest.raises(ValueError, match="not a molaudit substructure library"):
        SubstructureIndex.from_bytes(old)
    with pytest.raises(ValueError, match="truncated"):
        SubstructureIndex.from_bytes(index.to_bytes()[:100])


def test_derived_library_parses_only_what_standardization_changed(monkeypatch) -> None:
    table_smiles = ["CC(=O)[O-].[Na+]", "c1ccccc1O", "C[NH3+].[Cl-]", "CCN", "CCO"]
    parents = ["CC(=O)O", "c1ccccc1O", "CN", "CCN", "CCO"]
    base = SubstructureIndex(parents, np.arange(5))
    parsed: list[str] = []
    entries = sub._entries
    monkeypatch.setattr(sub, "_entries", lambda smiles: parsed.extend(smiles) or entries(smiles))
    same = [a == b for a, b in zip(table_smiles, parents, strict=True)]
    derived = SubstructureIndex.derived(table_smiles, np.arange(5), base, same)
    assert sorted(parsed) == sorted(["CC(=O)[O-].[Na+]", "C[NH3+].[Cl-]"])  # 2 of 5 parsed
    for text in ("[Na+]", "C(=O)[OX2H1]", "[NH3+]", "[#7]", "[Cl]", "cO", "CC"):
        query = parse_query(text)
        assert derived.search(query).tolist() == _loop(table_smiles, query), text


class _Maker:
    """A library factory that counts its calls and can be held or made to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.fail = fail

    def __call__(self) -> SubstructureIndex:
        self.calls += 1
        self.release.wait(30)
        if self.fail:
            raise RuntimeError("no library today")
        return SubstructureIndex(["CCO", "c1ccccc1"], [0, 1])


def test_a_build_runs_once_however_many_threads_ask() -> None:
    maker = _Maker()
    maker.release.clear()
    build = LibraryBuild(maker)
    assert build.start() and not build.start()  # a second start does not build twice
    got: list[SubstructureIndex] = []
    threads = [threading.Thread(target=lambda: got.append(build.get())) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    assert not build.ready and maker.calls == 1  # all four wait for the background build
    maker.release.set()
    for t in threads:
        t.join(10)
    assert maker.calls == 1 and len(got) == 4 and all(g is got[0] for g in got)
    assert build.source == "built" and build.ready


def test_waiting_is_bounded_and_cancellable() -> None:
    maker = _Maker()
    maker.release.clear()
    build = LibraryBuild(maker)
    build.start()
    with pytest.raises(TimeoutError, match="still being built after 0 s"):
        build.get(timeout=0.3)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(AnalyticCancelled, match="cancelled"):
        build.get(cancel=cancel)
    maker.release.set()
    assert len(build.get(timeout=10)) == 2 and maker.calls == 1


def test_a_failed_background_build_is_logged_not_raised(caplog) -> None:
    maker = _Maker(fail=True)
    build = LibraryBuild(maker)
    with caplog.at_level(logging.WARNING, logger="molaudit"):
        build.start()
        build.thread.join(10)
    assert "background substructure library build failed" in caplog.text
    assert build.error == "RuntimeError: no library today" and not build.ready
    # the next caller builds itself, and its own failure is its own to see
    with pytest.raises(RuntimeError, match="no library today"):
        build.get()
    maker.fail = False
    assert len(build.get()) == 2 and maker.calls == 3


SMILES = [
    "CC(=O)[O-].[Na+]",  # sodium acetate: the parent is acetic acid
    "OC(=O)c1ccccc1",
    "c1ccccc1",
    "C[NH3+].[Cl-]",
    "CCN(CC)CC",
    "c1ccncc1",
    "C1CC(",  # unparsable: an error row, in no library
]


def _audit(tmp_path: Path):
    # the error row warns on the first audit; a batch read back from the cache does not
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*1 of 7 records failed")
        return molaudit.audit(SMILES, progress=False, n_jobs=1, cache_dir=tmp_path, analytics=False)


def test_the_library_is_kept_in_the_batch_cache_and_read_back(tmp_path, monkeypatch) -> None:
    batch = _audit(tmp_path)
    assert "substructure_library:std_smiles" not in batch.analytics._memo  # not before use
    expected = batch.substructure("C(=O)[OX2H1]").frames["matches"]["row"].tolist()
    parents = batch.table["std_smiles"]
    query = parse_query("C(=O)[OX2H1]")
    oracle = [
        int(r)
        for r, s in zip(batch.table["row"], parents, strict=True)
        if isinstance(s, str) and Chem.MolFromSmiles(s).HasSubstructMatch(query)
    ]
    assert expected == oracle == [0, 1]
    build = sub.library_build(batch.analytics.input())
    assert build.source == "built"

    # the same batch again, from the disk cache: its library is read, not rebuilt
    def no_build(*args, **kwargs):
        raise AssertionError("the library was rebuilt")

    monkeypatch.setattr(sub, "_all_entries", no_build)
    again = _audit(tmp_path)
    assert again.key == batch.key and again is not batch
    assert again.substructure("C(=O)[OX2H1]").frames["matches"]["row"].tolist() == oracle
    assert sub.library_build(again.analytics.input()).source == "cache"


def test_a_damaged_cache_entry_is_rebuilt(tmp_path) -> None:
    batch = _audit(tmp_path)
    build = sub.library_build(batch.analytics.input())
    batch.store.set_bytes("analytics", build._key, b"substructure-library-3\nrubbish")
    assert len(batch.substructure_library()) == 6 and build.source == "built"
    again = _audit(tmp_path)
    assert sub.library_build(again.analytics.input()).get() is not None
    assert sub.library_build(again.analytics.input()).source == "cache"


def test_background_build_then_table_filter_uses_the_batch_library(tmp_path) -> None:
    batch = _audit(tmp_path)
    build = batch.substructure_library("smiles", background=True)
    build.thread.join(30)
    assert build.ready and build.error is None
    model = TableModel(batch.table, library=batch.substructure_library)
    smiles = batch.table["smiles"].tolist()
    for text in ("[Na+]", "C(=O)[OX2H1]", "c1ccccc1", "[#7]", "[Cl-]"):
        query = Chem.MolFromSmarts(text)
        mols = [Chem.MolFromSmiles(s) if isinstance(s, str) and s else None for s in smiles]
        expected = [i for i, m in enumerate(mols) if m is not None and m.HasSubstructMatch(query)]
        model._smarts_cache.clear()
        model.match_smarts(text, np.arange(len(smiles)))  # the panel's path for large tables
        model.set_filters(smarts=text)
        assert model.view_rows.tolist() == expected, text
    assert model._substructure_index is batch.substructure_library("smiles")  # no second
    assert build._key is None  # derived from the parents' library again, not written


def test_table_maps_library_rows_to_its_positions() -> None:
    # a table whose input rows are not positions (reordered, with a gap)
    smiles = ["c1ccccc1", "CCO", "c1ccncc1", "CCN"]
    rows = np.array([9, 4, 6, 2])
    frame = pd.DataFrame({"row": rows, "smiles": smiles})
    index = SubstructureIndex(smiles, rows)
    model = TableModel(frame, library=lambda column: index)
    model.match_smarts("[#7]", np.arange(4))
    model.set_filters(smarts="[#7]")
    # positions 2 and 3 (c1ccncc1, CCN), shown as their input rows
    assert model.view_rows.tolist() == [6, 2]
    assert model._substructure_index is index


def test_table_builds_its_own_when_the_library_refuses_the_column() -> None:
    frame = pd.DataFrame({"row": [0, 1], "SMILES": ["CCO", "CCN"]})

    def refuse(column: str):
        raise molaudit.analytics.ParameterError(f"no library of {column}")

    model = TableModel(frame, library=refuse)
    model.match_smarts("N", np.arange(2))
    model.set_filters(smarts="N")
    assert model.view_rows.tolist() == [1]


def test_atom_codes_read_from_smiles_tokens_equal_the_atom_loop(molecules) -> None:
    from molaudit.analytics.substructure_screen import atom_codes, atom_types

    for smiles in RING_MOLECULES + molecules:
        mol = Chem.MolFromSmiles(smiles)
        codes = atom_codes(mol, Chem.MolToSmiles(mol))
        loop = [2 * a.GetAtomicNum() + a.GetIsAromatic() for a in mol.GetAtoms()]
        assert codes == loop, smiles
        assert atom_types(mol, codes) == atom_types(mol), smiles


# one-cycle queries of type-only atoms and bonds: a ring of the molecule that contains the
# query proves the match; the others are still matched by RDKit
RING_QUERIES = [
    "c1ccccc1",
    "c1ccncc1",
    "C1CCCCC1",
    "C1CC1",
    "c1ccsc1",
    "c1ccoc1",
    "C1CCNCC1",
    "[#6]1~[#6]~[#6]~[#6]~[#6]~[#6]1",
    "c1:c:c:c:c:c:1",
    "C1=CCCCC1",
    "[#6]1-[#6]-[#6]-[#6]1",  # cubane's faces and bicyclobutane-like 4-rings
    "C1CCCCCC1",  # a 7-cycle
    "a1aaaaa1",
    "[C,N]1CCCC1",
    "*1~*~*~*~*~*1",  # any 6-cycle, the dative ring's too
    "*1-*-*-*-*-*1",  # single bonds only: not through the dative bonds
]
RING_MOLECULES = [
    "C12C3C4C1C5C2C3C45",  # cubane: 6 four-rings (RDKit's set has 5), 6-cycles in no ring
    "C1CC2CCC1CC2",  # bicyclo[2.2.2]octane: the third 6-ring is not in a 2-ring SSSR
    "c1ccc2ccccc2c1",  # naphthalene: the 10-cycle is in no ring of the set
    "C1CCC2(CC1)CCCCC2",  # a spiro compound
    "c1ccc2c(c1)-c1ccccc1-2",  # biphenylene
    "C1=CC=CC=C1",  # Kekulé benzene (aromatic after sanitization)
    "C1CCCCCCCCCCC1",  # a 12-ring (beyond the ring keys' size)
    "O=C1C=CC(=O)C=C1",  # quinone: a 6-ring with double bonds, not aromatic
    "C1C[NH2]->[Cu]<-[NH2]C1",  # dative ring bonds: their order reads as a single bond's
]


@pytest.mark.parametrize("text", RING_QUERIES)
def test_ring_queries_proven_by_a_ring_equal_the_loop(molecules, text) -> None:
    from molaudit.analytics.substructure_screen import ring_query_size

    smiles = RING_MOLECULES + molecules
    index = SubstructureIndex(smiles, np.arange(len(smiles)))
    query = parse_query(text)
    assert ring_query_size(query) is not None, text  # takes the ring shortcut
    expected = _loop(smiles, query)
    proven = index._by_rings(query)
    assert set(proven.tolist()) <= set(expected), text  # a proof is never wrong
    assert index.search(query).tolist() == expected, text
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert again.search(query).tolist() == expected, text


def test_ring_proofs_do_most_of_the_work_for_benzene(molecules) -> None:
    index = SubstructureIndex(molecules, np.arange(len(molecules)))
    query = parse_query("c1ccccc1")
    expected = _loop(molecules, query)
    assert len(index._by_rings(query)) >= 0.95 * len(expected) > 100  # few left to parse


def test_cycles_outside_the_ring_set_are_still_found() -> None:
    # cubane has 6-cycles that are no ring of RDKit's set, so no ring proves "C1CCCCC1"
    # there: the match must come from RDKit, not from the ring keys
    smiles = ["C12C3C4C1C5C2C3C45"]
    index = SubstructureIndex(smiles, [0])
    query = parse_query("C1CCCCC1")
    assert len(index._by_rings(query)) == 0
    assert index.search(query).tolist() == _loop(smiles, query) == [0]


@pytest.mark.parametrize(
    "text", ["c1cc[nH]c1", "C1CC[C@H]1", "[R]1CCCC1", "C1C@CC1", "c1ccc2ccccc2c1"]
)
def test_other_ring_queries_take_no_ring_shortcut(text) -> None:
    from molaudit.analytics.substructure_screen import ring_query_size

    assert ring_query_size(parse_query(text)) is None


def test_rdkit_lists_ring_bonds_in_the_order_of_ring_atoms(molecules) -> None:
    # ring_keys reads bond i of a ring as the bond joining its atoms i and i + 1
    for smiles in RING_MOLECULES + molecules:
        mol = Chem.MolFromSmiles(smiles)
        info = mol.GetRingInfo()
        for atoms, bonds in zip(info.AtomRings(), info.BondRings(), strict=True):
            k = len(atoms)
            for i, b in enumerate(bonds):
                bond = mol.GetBondBetweenAtoms(atoms[i], atoms[(i + 1) % k])
                assert bond.GetIdx() == b, smiles


def test_ring_keys_do_not_depend_on_atom_order() -> None:
    from molaudit.analytics.substructure_screen import ring_keys

    for smiles in ("Cc1ccncc1O", "O=C1C=CC(=O)C=C1", "c1ccc2[nH]ccc2c1", "C1CC2CCC1CC2"):
        mol = Chem.MolFromSmiles(smiles)
        keys = ring_keys(mol)
        for seed in range(5):
            order = list(np.random.default_rng(seed).permutation(mol.GetNumAtoms()))
            assert ring_keys(Chem.RenumberAtoms(mol, [int(i) for i in order])) == keys


def test_molecules_with_dative_bonds_are_never_screened_out() -> None:
    # RDKit's pattern fingerprint of such a molecule misses the paths through its dative
    # bonds, so a query through them would be screened out although it matches
    smiles = ["C1C[NH2]->[Cu]<-[NH2]C1", "CCN", "c1ccccc1"]
    index = SubstructureIndex(smiles, np.arange(3))
    for text in ("*1~*~*~*~*~*1", "N->[Cu]", "[#7]~[#29]", "C~N~*", "CCN"):
        query = parse_query(text)
        assert 0 in index.candidates(query), text
        assert index.search(query).tolist() == _loop(smiles, query), text


# star queries (one atom bonded to all the others) of type-only atoms and bonds: answered
# from the molecules' star keys, exactly, with no parse
STAR_QUERIES = [
    "C(=O)N",
    "S(=O)(=O)N",
    "C(F)(F)F",
    "C(=O)O",
    "cN",
    "C=O",
    "C#N",
    "[#6]-[#8]-[#6]",
    "c(c)(c)N",
    "CC(=O)N",
    "[#7]~[#6]",
    "c:n",
    "C=C",
    "[N,O]C(=O)[N,O]",
    "*~*",
    "[Cl,Br,I]c",
    "N->[Cu]",  # a dative bond: only molecules without star keys have one
    "[#1]C",  # explicit hydrogen atoms
    "[Se]~*",
    "c(c)(c)(c)c",  # more neighbours than any aromatic carbon has: nothing
]


@pytest.mark.parametrize("text", STAR_QUERIES)
def test_star_queries_are_answered_from_star_keys_and_equal_the_loop(molecules, text) -> None:
    from molaudit.analytics.substructure_screen import star_query_size

    smiles = RING_MOLECULES + molecules + ["[2H]C([2H])([2H])c1ccccc1", "[H]C(Cl)(Cl)Cl"]
    index = SubstructureIndex(smiles, np.arange(len(smiles)) + 3)
    query = parse_query(text)
    assert star_query_size(query) is not None, text
    expected = [3 + i for i in _loop(smiles, query)]
    assert index.search(query).tolist() == expected, text
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert again.search(query).tolist() == expected, text


def test_star_answers_need_no_parse(molecules, monkeypatch) -> None:
    index = SubstructureIndex(molecules, np.arange(len(molecules)))
    query = parse_query("C(=O)N")
    expected = _loop(molecules, query)
    assert len(expected) > 50

    class NoHolder:
        def __init__(self) -> None:
            raise AssertionError("a molecule was parsed")

    # no molecule lacks star keys here, so RDKit is never asked to re-read one
    assert not np.any(index.flags & sub.NO_STARS)
    monkeypatch.setattr(sub.rdSubstructLibrary, "CachedTrustedSmilesMolHolder", NoHolder)
    with pytest.raises(AssertionError, match="parsed"):
        index.search(parse_query("cccC"))  # a chain that is no star: parsed
    assert index.search(query).tolist() == expected


@pytest.mark.parametrize("text", ["CC(C)C(=O)N", "C(=O)[NH2]", "[CX3](=O)N", "C(=O)[$(N)]"])
def test_queries_that_are_no_type_only_star_take_no_star_path(text) -> None:
    from molaudit.analytics.substructure_screen import star_query_size

    assert star_query_size(parse_query(text)) is None


def _fragment_queries(smiles: list[str], kind: str, n: int, seed: int) -> list[str]:
    """SMARTS of random stars (an atom and its neighbours), rings, or rings with some of
    the atoms bonded to them (kind "decorated") cut out of molecules."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    while len(out) < n:
        mol = Chem.MolFromSmiles(smiles[int(rng.integers(len(smiles)))])
        if kind == "star":
            atom = mol.GetAtomWithIdx(int(rng.integers(mol.GetNumAtoms())))
            atoms = [atom.GetIdx()] + [a.GetIdx() for a in atom.GetNeighbors()]
            bonds = [b.GetIdx() for b in atom.GetBonds()]
            if len(atoms) > 1 and rng.random() < 0.5:  # drop a neighbour now and then
                atoms.pop(), bonds.pop()
        else:
            rings = mol.GetRingInfo()
            if not rings.NumRings():
                continue
            k = int(rng.integers(rings.NumRings()))
            atoms, bonds = list(rings.AtomRings()[k]), list(rings.BondRings()[k])
            if kind == "decorated":  # some off-ring neighbours as leaves (at least one)
                cycle, leaves = set(atoms), []
                for i in list(atoms):
                    for bond in mol.GetAtomWithIdx(i).GetBonds():
                        j = bond.GetOtherAtomIdx(i)
                        if j not in cycle and j not in leaves and rng.random() < 0.6:
                            leaves.append(j)
                            bonds.append(bond.GetIdx())
                if not leaves:
                    continue
                atoms += leaves
        if len(atoms) < 2:
            continue
        text = Chem.MolFragmentToSmiles(mol, atomsToUse=atoms, bondsToUse=bonds)
        # as SMARTS: lowercase aromatic atoms, unspecified bonds single-or-aromatic; ~half
        # with every bond written out
        if rng.random() < 0.5:
            text = Chem.MolFragmentToSmiles(
                mol, atomsToUse=atoms, bondsToUse=bonds, allBondsExplicit=True
            )
        out.append(text)
    return out


@pytest.mark.parametrize("kind", ["star", "ring"])
def test_random_stars_and_rings_equal_the_loop(molecules, kind) -> None:
    from molaudit.analytics.substructure_screen import ring_query_size, star_query_size

    smiles = RING_MOLECULES + molecules
    index = SubstructureIndex(smiles, np.arange(len(smiles)))
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    shortcut = 0
    for text in _fragment_queries(molecules, kind, 40, seed=11):
        query = Chem.MolFromSmarts(text)
        assert query is not None, text
        size = star_query_size(query) if kind == "star" else ring_query_size(query)
        shortcut += size is not None
        expected = [i for i, m in enumerate(mols) if m.HasSubstructMatch(query)]
        assert index.search(query).tolist() == expected, text
    assert shortcut >= 15  # most of them took the star or ring path


def test_opening_the_panel_starts_the_library_in_the_background(tmp_path, monkeypatch) -> None:
    import molaudit.notebook.panel as panel

    batch = _audit(tmp_path)
    monkeypatch.setattr(panel, "Panel", lambda b: "panel")  # no widgets needed here
    assert batch.show() == "panel"
    build = sub.library_build(batch.analytics.input())
    assert build.thread is not None  # started by show(), not by a search
    build.thread.join(30)
    assert build.ready and build.error is None
    assert batch.substructure("c1ccccc1").frames["matches"]["row"].tolist() == [1, 2]


def test_derived_library_of_unchanged_structures_is_the_base_itself() -> None:
    smiles = ["CCO", "c1ccccc1", "CCN"]
    base = SubstructureIndex(smiles, [0, 1, 2])
    assert SubstructureIndex.derived(smiles, [0, 1, 2], base, [True] * 3) is base
    other = SubstructureIndex.derived(smiles, [0, 1, 2], base, [True, False, True])
    assert other is not base
    assert other.search(parse_query("[#7]")).tolist() == [2]
