"""Constant keys of the deferred MMP fragmentation, checked against RDKit's canonical SMILES."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rdkit import Chem

from molaudit.analytics.mmp.fragment import (
    FragmentSettings,
    fragment_smiles,
    replace_wildcard_with_h,
)
from molaudit.analytics.mmp.index import MMPIndex, build_index, pair_table
from molaudit.analytics.mmp.keys import BlockKeys, atom_props, heavy_flags, molecule_hkey
from molaudit.analytics.mmp.plan import _Tree

DATA = Path(__file__).resolve().parents[1] / "data" / "mmp"
CUT = Chem.MolFromSmarts(FragmentSettings().cut_smarts)


def _fixture_smiles(n: int) -> list[str]:
    frame = pd.read_csv(DATA / "chembl1871_ki_400.csv").head(n)
    return [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in frame["smiles"]]


def _sides(smiles: str):
    """(R-group SMILES written by RDKit, R-group key, '*'->H key) for both sides of every cut."""
    mol = Chem.MolFromSmiles(smiles)
    pairs = mol.GetSubstructMatches(CUT)
    if not pairs:
        return []
    props = atom_props(mol)
    tree = _Tree(mol, pairs, heavy_flags(mol, props))
    assert tree.ok
    keys = BlockKeys(mol, pairs, tree, props)
    out = []
    for e, (a, b) in enumerate(pairs):
        bond = mol.GetBondBetweenAtoms(a, b).GetIdx()
        fm = Chem.FragmentOnBonds(mol, [bond], dummyLabels=[(0, 0)])
        for side, atom in enumerate((a, b)):
            frag = next(f for f in Chem.GetMolFrags(fm) if atom in f)
            text = Chem.MolFragmentToSmiles(fm, frag, isomericSmiles=True)
            out.append((text, keys.side[e][side], keys.hkey[e][side]))
    return out


def test_equal_rgroups_have_equal_keys_and_different_ones_mostly_differ() -> None:
    by_text: dict[str, set[int]] = {}
    for smi in _fixture_smiles(400):
        for text, key, _ in _sides(smi):
            by_text.setdefault(text, set()).add(key)
    assert len(by_text) > 1000
    # the property the deferral relies on: one R-group, one key, whatever the molecule
    assert all(len(keys) == 1 for keys in by_text.values())
    # and the keys are not trivially equal: stereo is ignored, and blocks swapped between
    # positions (2-Cl-3-Me vs 3-Cl-2-Me phenyl) collide; that only costs extra building
    flat: dict[str, set[int]] = {}
    for text, keys in by_text.items():
        plain = Chem.MolToSmiles(Chem.MolFromSmiles(text), isomericSmiles=False)
        flat.setdefault(plain, set()).update(keys)
    distinct_keys = {k for keys in by_text.values() for k in keys}
    assert len(distinct_keys) >= 0.9 * len(flat)


def test_hydrogen_key_matches_the_molecule_it_would_pair_with() -> None:
    smiles = _fixture_smiles(400)
    hkey_of = {s: molecule_hkey(atom_props(Chem.MolFromSmiles(s))) for s in smiles}
    hits = 0
    for smi in smiles:
        for text, _, hkey in _sides(smi):
            with_h = replace_wildcard_with_h(text)
            if with_h in hkey_of:
                hits += 1
                assert hkey == hkey_of[with_h], (smi, text)
    assert hits >= 20


def test_deferred_index_equals_building_everything() -> None:
    smiles = _fixture_smiles(160)
    settings = FragmentSettings()
    full = MMPIndex()
    for i, s in enumerate(smiles):
        full.add(fragment_smiles(i, s, settings))  # defer=False: every combination built
    full.add_hydrogen_entries()
    expected = pair_table(full, settings, all_constants=True)
    deferred = build_index(smiles, settings, n_jobs=1)
    got = pair_table(deferred, settings, all_constants=True)
    assert len(expected) > 300
    # fewer entries indexed, same pairs
    assert len(deferred.e_const) < len(full.e_const)
    pd.testing.assert_frame_equal(got, expected)
