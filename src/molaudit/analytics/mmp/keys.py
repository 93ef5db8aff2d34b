"""Cheap constant keys that let :mod:`.mmp_fragment` build only fragmentations that can pair.

Most constants (the R-groups of a 1-cut fragmentation, the sorted R-groups of a 2-3 cut one)
belong to a single molecule and can never form a pair, yet writing their canonical SMILES is
most of the cost of fragmenting. The keys here are computed once per molecule without any
SMILES: the cut bonds split the molecule into blocks; every atom gets a Weisfeiler-Lehman label
inside its block (element, aromaticity, hydrogens, charge, cut bonds at the atom, bond orders);
a block's key sums its atom labels, an R-group's key sums the keys of its blocks plus the label
of the atom the cut leaves it on, and a constant's key sums its R-group keys.

Two R-groups with the same canonical SMILES are isomorphic, have the same cut bonds (the cut
SMARTS looks no further than an atom's own properties and its double/triple-bonded neighbours,
all inside the R-group) and so the same blocks and key. Equal constants therefore have equal
keys; unequal constants may collide, which only costs building a fragmentation that pairs with
nothing. Arithmetic is modulo 2**64 and free of Python's per-process string hashing, so keys
from different worker processes agree.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from molaudit.analytics.mmp.plan import _fragment_on_atom_pairs
from molaudit.analytics.mmp.stereo import _new_stereocentres

__all__ = [
    "BlockKeys",
    "atom_props",
    "formula_key",
    "heavy_flags",
    "molecule_hkey",
    "no_new_centres",
    "single_no_new_centres",
]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_ROUNDS = 3


def _mix(x: int) -> int:
    """splitmix64 finalizer: a fixed bijection that spreads bits (Python ints)."""
    x = (x + _GOLDEN) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _mix_array(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(_GOLDEN)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def atom_props(mol: Chem.Mol) -> list[tuple[int, int, int, int, int]]:
    """Per atom: atomic number, aromatic flag, hydrogens, formal charge, degree.

    One pass over the atoms serves every per-atom need of the fragmenter (``GetAtomWithIdx``:
    iterating ``mol.GetAtoms()`` goes through a slow Python sequence wrapper).
    """
    out = []
    for i in range(mol.GetNumAtoms()):
        a = mol.GetAtomWithIdx(i)
        out.append(
            (
                a.GetAtomicNum(),
                int(a.GetIsAromatic()),
                a.GetTotalNumHs(),
                a.GetFormalCharge(),
                a.GetDegree(),
            )
        )
    return out


def heavy_flags(mol: Chem.Mol, props) -> list[int]:
    """mmpdb counts heavies from SMILES text: every atom but plain [H] and '*'."""
    return [
        0 if z == 0 else 1 if z > 1 else int(bool(charge or mol.GetAtomWithIdx(i).GetIsotope()))
        for i, (z, _ar, _hs, charge, _d) in enumerate(props)
    ]


def formula_key(props) -> tuple[int, int, int]:
    """(heavy atoms, sum of their Z, hydrogens) of a molecule, for hydrogen-pair lookups."""
    heavies = zsum = hsum = 0
    for z, _ar, hs, _ch, _d in props:
        if z > 1:
            heavies += 1
            zsum += z
        hsum += hs + (z == 1)
    return heavies, zsum, hsum


def _inv(z: int, arom: int, hs: int, charge: int, degree: int) -> int:
    return _mix(
        z * 1_000_003 + arom * 7_919 + hs * 104_729 + (charge + 8) * 15_485_863 + degree * 179_426
    )


def molecule_hkey(props) -> int:
    """Multiset key of a molecule's atoms, comparable with :attr:`BlockKeys.hkey` of R-groups.

    A 1-cut constant whose '*' -> H form is this molecule has the same atoms, except that the
    attachment atom has one hydrogen more and one neighbour less: same key.
    """
    return _signed(sum(_inv(*p) for p in props) & _MASK)


class BlockKeys:
    """Keys of every R-group (side of a cut bond) of one molecule, and of their constants.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The molecule being fragmented.
    pairs : sequence of (int, int)
        Atom pairs of the cut bonds.
    tree : mmp_plan._Tree
        The block tree of those cut bonds (``tree.ok`` must be true).
    props : list of tuple
        :func:`atom_props` of ``mol``.
    """

    __slots__ = ("hkey", "side")

    def __init__(self, mol: Chem.Mol, pairs, tree, props) -> None:
        n = mol.GetNumAtoms()
        weights = Chem.GetAdjacencyMatrix(mol, useBO=True)
        cuts = np.zeros(n, dtype=np.uint64)
        for a, b in pairs:
            weights[a, b] = weights[b, a] = 0.0
            cuts[a] += np.uint64(1)
            cuts[b] += np.uint64(1)
        # bond orders 1, 1.5, 2, 3 -> 2, 3, 4, 6: distinct integer weights per neighbour
        w = np.rint(weights * 2).astype(np.uint64)
        invs = [_inv(*p) for p in props]
        label = np.fromiter(invs, dtype=np.uint64, count=n)
        label = _mix_array(label + cuts * np.uint64(179_424_673))
        with np.errstate(over="ignore"):
            for _ in range(_ROUNDS):
                label = _mix_array(label * np.uint64(31) + w @ _mix_array(label ^ np.uint64(7)))
            block_of = np.asarray(tree.block_of, dtype=np.intp)
            block_sum = np.zeros(tree.n_blocks, dtype=np.uint64)
            np.add.at(block_sum, block_of, _mix_array(label ^ np.uint64(11)))
        block_key = [_mix(int(k) ^ 13) for k in block_sum]
        total = sum(block_key) & _MASK
        inv_sum = [0] * tree.n_blocks
        for atom, x in enumerate(invs):
            inv_sum[tree.block_of[atom]] += x
        inv_total = sum(inv_sum)
        labels = label.tolist()
        # side[e] = (key of the R-group holding pairs[e][0], key of the one holding pairs[e][1])
        self.side: list[tuple[int, int]] = []
        # hkey[e]: molecule_hkey of the same two R-groups with '*' -> H
        self.hkey: list[tuple[int, int]] = []
        for e, (a, b) in enumerate(pairs):
            blocks = tree.side_blocks[e]
            part = sum(block_key[x] for x in blocks) & _MASK
            self.side.append(
                (
                    (_mix(labels[a] ^ 17) + part) & _MASK,
                    (_mix(labels[b] ^ 17) + total - part) & _MASK,
                )
            )
            inv0 = sum(inv_sum[x] for x in blocks)
            keys = []
            for inside, inv_side in ((a, inv0), (b, inv_total - inv0)):
                z, arom, hs, charge, degree = props[inside]
                with_h = inv_side - invs[inside] + _inv(z, arom, hs + 1, charge, degree - 1)
                keys.append(_signed(with_h & _MASK))
            self.hkey.append((keys[0], keys[1]))

    def constant(self, sides: list[int]) -> int:
        """Signed 64-bit key of a constant made of the given R-group keys."""
        acc = len(sides) * _GOLDEN
        for s in sides:
            acc += _mix(s ^ 19)
        return _signed(_mix(acc & _MASK))


def no_new_centres(st, atom_pairs) -> bool:
    """Does cutting ``atom_pairs`` leave every up-enumeration candidate without new chirality?

    Mirrors the check of ``_multi_cut`` exactly (same fragmentation, stereo clean-up and
    ranks), so a combination that passes builds no up-enumerated fragmentation and may wait.
    """
    fm, _, _ = _fragment_on_atom_pairs(st.mol, atom_pairs, st.plain)
    fm.UpdatePropertyCache(strict=False)
    if st.has_stereo:
        Chem.AssignStereochemistry(fm, cleanIt=True, force=True)
    ranks = Chem.CanonicalRankAtoms(fm, breakTies=False)
    return not _new_stereocentres(st.mol, st.candidates, ranks)


def single_no_new_centres(st, pair) -> bool:
    """:func:`no_new_centres` for one cut, mirroring the check of ``_single_cut``."""
    if not st.candidates:
        return True
    fm, _, _ = _fragment_on_atom_pairs(st.mol, [pair], st.plain)
    frags = Chem.GetMolFrags(fm)
    if len(frags) != 2:
        return True  # _single_cut builds nothing either
    first_dummy = fm.GetNumAtoms() - 2
    inside = set(frags[0])
    cand1 = [a for a in st.candidates if a < first_dummy and a in inside]
    if not cand1:
        return True
    fm.UpdatePropertyCache(strict=False)
    Chem.AssignStereochemistry(fm, cleanIt=True, force=True)
    ranks = Chem.CanonicalRankAtoms(fm, breakTies=False)
    return not _new_stereocentres(st.mol, cand1, ranks)
