"""The numpy pattern-fingerprint screen and its tightened SMARTS queries stay exact."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs

from molaudit.analytics.substructure import SubstructureIndex, parse_query
from molaudit.analytics.substructure_screen import (
    FP_BITS,
    _aromaticity,
    irregular,
    query_screens,
    tightened,
)

DATA = Path(__file__).parents[1] / "data"

# molecules where a premise of the tightened query fails, with the reason
ODD = {
    "c1ccc2c(c1)-c1ccccc1-2": True,  # biphenylene: two of its 4-ring bonds are single
    "c1ccc2c(c1)Cc1ccccc1-2": True,  # fluorene: its biaryl bond is single and in the 5-ring
    "c1ccc(-c2ccccc2)cc1": False,  # biphenyl: that single bond is in no ring
    "c1ccc2[nH]ccc2c1": False,  # indole: every ring bond aromatic
    "C1CCCCC1": False,  # cyclohexane: no aromatic atom
}


def _fixture_smiles() -> list[str]:
    return pd.read_csv(DATA / "scaffolds" / "moleculeace_1000.csv")["smiles"].tolist()[:600]


@pytest.mark.parametrize("smiles, expected", list(ODD.items()))
def test_irregular_flags_the_molecules_the_tightening_would_miss(smiles, expected) -> None:
    assert irregular(Chem.MolFromSmiles(smiles)) is expected


@pytest.mark.parametrize(
    "smarts, expected",
    [
        ("c", "aromatic"),
        ("[nH]", "aromatic"),  # AND of an aromatic type and an H count
        ("[c,n]", "aromatic"),  # every branch aromatic
        ("a", "aromatic"),
        ("C", "aliphatic"),
        ("[NH2]", "aliphatic"),
        ("A", "aliphatic"),
        ("[C,c]", None),  # either
        ("[!c]", None),  # a negation may match anything else, aliphatic or aromatic
        ("[#6]", None),  # atomic number only
        ("*", None),
        ("[$(C=O)]", None),  # recursive SMARTS: not read, so no claim
    ],
)
def test_atom_aromaticity_read_from_the_query(smarts, expected) -> None:
    atom = Chem.MolFromSmarts(smarts).GetAtomWithIdx(0)
    assert _aromaticity(atom.DescribeQuery()) == expected


def test_tightened_bonds_follow_the_atoms() -> None:
    # C(F)(F)F: every unspecified bond touches an aliphatic atom -> single
    cf3 = tightened(Chem.MolFromSmarts("C(F)(F)F"))
    assert [b.DescribeQuery() for b in cf3.GetBonds()] == ["BondOrder 1 = val\n"] * 3
    # biphenyl SMARTS: ring bonds -> aromatic; the biaryl bond (given as -,:) is left alone
    biphenyl = tightened(Chem.MolFromSmarts("c1ccccc1-,:c1ccccc1"))
    kinds = [b.DescribeQuery() for b in biphenyl.GetBonds()]
    assert kinds.count("BondOrder 12 = val\n") == 12
    # a query with every bond given, or a SMILES query, is left alone
    assert tightened(Chem.MolFromSmarts("C-C=O")) is None
    assert tightened(Chem.MolFromSmiles("c1ccccc1")) is None
    assert tightened(Chem.MolFromSmarts("[#6][#6]")) is None  # neither atom is pinned


def test_irregular_molecules_still_match_through_the_plain_screen() -> None:
    # biphenylene contains SMARTS c1ccc1 (its 4-ring) only through two single bonds: the
    # tightened fingerprint asks for aromatic ones, so only the plain screen lets it through
    smiles = [*ODD, "c1ccccc1"]
    query = parse_query("c1ccc1")
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    expected = [i for i, m in enumerate(mols) if m.HasSubstructMatch(query)]
    assert expected == [0]  # biphenylene only
    tight = Chem.PatternFingerprint(tightened(query), fpSize=FP_BITS)
    biphenylene = Chem.PatternFingerprint(mols[0], fpSize=FP_BITS)
    assert not DataStructs.AllProbeBitsMatch(tight, biphenylene)  # the fallback matters
    assert SubstructureIndex(smiles, range(len(smiles))).search(query).tolist() == expected


def test_screen_keeps_every_match_and_is_tighter_than_rdkit() -> None:
    smiles = _fixture_smiles()
    index = SubstructureIndex(smiles, np.arange(len(smiles)))
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    fps = [Chem.PatternFingerprint(m, fpSize=FP_BITS) for m in mols]
    tighter = 0
    for text in ("c1ccc2[nH]ccc2c1", "C(F)(F)F", "c1ccsc1", "[#6]C(=O)N[NH2]", "c1ccncc1"):
        query = parse_query(text)
        rdkit_fp = Chem.PatternFingerprint(query, fpSize=FP_BITS)  # RDKit's own screen
        plain = {i for i, fp in enumerate(fps) if DataStructs.AllProbeBitsMatch(rdkit_fp, fp)}
        matches = {i for i, m in enumerate(mols) if m.HasSubstructMatch(query)}
        screened = set(index.candidates(query).tolist())
        assert matches <= screened <= plain, text
        tighter += len(screened) < len(plain)
    assert tighter >= 3  # the tightening removes candidates RDKit's screen keeps


def _fragment_queries(mols: list[Chem.Mol], count: int, seed: int) -> list[str]:
    """SMARTS of random connected pieces of the molecules, written as SMILES-like text
    (aromatic atoms, unspecified bonds): the queries the tightening changes most."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        mol = rng.choice(mols)
        atoms = {rng.randrange(mol.GetNumAtoms())}
        for _ in range(rng.randrange(2, 9)):
            nbrs = {n.GetIdx() for a in atoms for n in mol.GetAtomWithIdx(a).GetNeighbors()}
            if not nbrs - atoms:
                break
            atoms.add(rng.choice(sorted(nbrs - atoms)))
        text = Chem.MolFragmentToSmiles(mol, sorted(atoms), canonical=True, kekuleSmiles=False)
        if Chem.MolFromSmarts(text) is not None and "." not in text:
            out.append(text)
    return out


def test_random_fragment_queries_equal_the_loop() -> None:
    smiles = [*_fixture_smiles(), *ODD]
    rows = np.arange(7, 7 + len(smiles))
    index = SubstructureIndex(smiles, rows)
    again = SubstructureIndex.from_bytes(index.to_bytes())
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    queries = _fragment_queries(mols, 60, seed=3)
    for text in queries:
        query = Chem.MolFromSmarts(text)
        expected = [int(r) for r, m in zip(rows, mols, strict=True) if m.HasSubstructMatch(query)]
        assert expected  # a piece of a molecule matches at least that molecule
        assert index.search(query).tolist() == expected, text
        assert again.search(query).tolist() == expected, text


def test_query_screens_are_cached_by_query() -> None:
    first = query_screens(parse_query("c1ccsc1"))
    assert query_screens(parse_query("c1ccsc1")) is first
    assert query_screens(parse_query("c1ccoc1")) is not first
    # the tight words hold the plain ones, so the tight screen is never the weaker
    assert np.array_equal(first.tight & first.plain, first.plain)


def test_empty_index_round_trips_and_finds_nothing() -> None:
    index = SubstructureIndex(["C1CC(", None], [0, 1])  # nothing parses
    assert len(index) == 0
    again = SubstructureIndex.from_bytes(index.to_bytes())
    assert len(again) == 0
    assert again.search(parse_query("C")).tolist() == []


def test_smiles_queries_are_not_cached_under_a_smarts_key() -> None:
    # MolFromSmiles("c1ccccc1") writes the SMARTS [#6]1:[#6]:...: a different query
    smiles_query = Chem.MolFromSmiles("c1ccccc1")
    smarts_query = Chem.MolFromSmarts(Chem.MolToSmarts(smiles_query))
    assert query_screens(smiles_query) is not query_screens(smarts_query)


def test_damaged_bytes_are_refused() -> None:
    blob = SubstructureIndex(["CCO", "c1ccccc1"], [0, 1]).to_bytes()
    header = blob[: blob.index(b"\n") + 1]
    with pytest.raises(ValueError, match="truncated"):
        SubstructureIndex.from_bytes(blob[: len(header) + 40])  # cut inside the arrays
    with pytest.raises(ValueError, match="truncated"):
        SubstructureIndex.from_bytes(header + b"\x01")


class _SetAfter:
    """A cancel event that turns set after ``calls`` checks."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def is_set(self) -> bool:
        self.calls -= 1
        return self.calls < 0


def test_cancel_is_honoured_between_slices(monkeypatch) -> None:
    from molaudit.analytics import AnalyticCancelled
    from molaudit.analytics import substructure as module

    smiles = _fixture_smiles()
    index = SubstructureIndex(smiles, np.arange(len(smiles)))
    # most molecules: several slices of 50 (a chain: no ring proof, every survivor matched)
    query = parse_query("cccC")
    monkeypatch.setattr(module, "SLICE", 50)
    assert len(index.candidates(query)) > 100 and index._by_rings(query) is None
    with pytest.raises(AnalyticCancelled, match="cancelled"):
        index.search(query, cancel=_SetAfter(2))  # passes the first check and one slice
    expected = [i for i, s in enumerate(smiles) if Chem.MolFromSmiles(s).HasSubstructMatch(query)]
    assert index.search(query, cancel=_SetAfter(10_000)).tolist() == expected
