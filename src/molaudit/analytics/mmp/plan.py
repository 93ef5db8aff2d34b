"""Cut planning for :mod:`.mmp_fragment`: which cut combinations are worth building.

The acyclic cut bonds of a molecule are bridges, so removing all of them leaves blocks of atoms
joined by the cut bonds in a tree. Heavy-atom counts of every side of every cut are then known by
arithmetic, which decides before any RDKit call whether a combination's variable part can pass
the index's size limits. Also here: the fragmentation primitive shared by the fragmenter and
:mod:`.mmp_keys`, the codes of deferred combinations, and the bonds whose cut can create a new
stereocentre.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdkit import Chem

if TYPE_CHECKING:
    from molaudit.analytics.mmp.settings import FragmentSettings

__all__ = ["decode_combo"]


class _Tree:
    """Cut bonds as edges of a tree of atom blocks, for size arithmetic before fragmenting."""

    __slots__ = ("block_of", "n_blocks", "ok", "side_blocks", "side_heavy", "side_of", "total")

    def __init__(self, mol: Chem.Mol, pairs, heavy: list[int]) -> None:
        bond_ids = [mol.GetBondBetweenAtoms(a, b).GetIdx() for a, b in pairs]
        broken = Chem.FragmentOnBonds(mol, bond_ids, addDummies=False)
        blocks = Chem.GetMolFrags(broken, asMols=False, sanitizeFrags=False)
        block_of = [0] * mol.GetNumAtoms()
        block_heavy = [0] * len(blocks)
        for bi, atoms in enumerate(blocks):
            for a in atoms:
                block_of[a] = bi
                block_heavy[bi] += heavy[a]
        self.total = sum(block_heavy)
        self.block_of = block_of
        self.n_blocks = len(blocks)
        # every cut bond must be a bridge; RDKit's ring perception has rare misses (rdkit#4016)
        self.ok = len(blocks) == len(pairs) + 1
        self.side_heavy: list[tuple[int, int]] = []
        self.side_of: list[list[int]] = []
        # side_blocks[e]: the blocks on the side of cut e that holds pairs[e][0]
        self.side_blocks: list[set[int]] = []
        if not self.ok:
            return
        adj: list[list[tuple[int, int]]] = [[] for _ in blocks]
        ends = []
        for e, (a, b) in enumerate(pairs):
            u, v = block_of[a], block_of[b]
            ends.append((u, v))
            adj[u].append((v, e))
            adj[v].append((u, e))
        for e, (u, _v) in enumerate(ends):
            seen = {u}
            stack = [u]
            while stack:
                x = stack.pop()
                for y, f in adj[x]:
                    if f != e and y not in seen:
                        seen.add(y)
                        stack.append(y)
            h_u = sum(block_heavy[x] for x in seen)
            self.side_heavy.append((h_u, self.total - h_u))
            self.side_blocks.append(seen)
            # side_of[e][f]: 0 when edge f lies on the side of e that holds pairs[e][0]
            self.side_of.append([0 if ends[f][0] in seen else 1 for f in range(len(pairs))])


def _fragment_on_atom_pairs(mol: Chem.Mol, atom_pairs, plain=False) -> tuple[Chem.Mol, dict, dict]:
    """FragmentOnBonds keeping E/Z bond directions on the new dummy bonds (as mmpdb does).

    Returns the fragmented molecule, the partner of each new dummy atom and the atom each
    dummy is bonded to. RDKit appends two dummies per cut bond, in order: first the one bonded
    to the bond's end atom, then the one bonded to its begin atom.
    """
    n = mol.GetNumAtoms()
    bonds = []
    other = {}
    attached = {}
    dirs = []
    up, down = Chem.BondDir.ENDUPRIGHT, Chem.BondDir.ENDDOWNRIGHT
    for k, (a1, a2) in enumerate(atom_pairs):
        bond = mol.GetBondBetweenAtoms(a1, a2)
        bonds.append(bond.GetIdx())
        d_end, d_begin = n + 2 * k, n + 2 * k + 1
        attached[d_end] = bond.GetEndAtomIdx()
        attached[d_begin] = bond.GetBeginAtomIdx()
        other[d_end] = d_begin
        other[d_begin] = d_end
        bond_dir = bond.GetBondDir()
        # the begin side keeps the direction, the end side (now written from it) flips
        if bond_dir == up:
            dirs.extend(((d_begin, up), (d_end, down)))
        elif bond_dir == down:
            dirs.extend(((d_begin, down), (d_end, up)))
    fm = Chem.FragmentOnBonds(mol, bonds, dummyLabels=[(0, 0)] * len(bonds))
    for d, direction in dirs:
        fm.GetBondBetweenAtoms(d, attached[d]).SetBondDir(direction)
    if plain:
        # no stereo tags or bond directions anywhere: perception (a third of the cost of
        # each MolFragmentToSmiles) cannot change the output; computed, so that
        # ClearComputedProps still brings it back where tags are set later
        fm.SetBoolProp("_StereochemDone", True, computed=True)
    return fm, other, attached


def _plan_combinations(tree: _Tree, n_pairs: int, settings: FragmentSettings, num_heavies: int):
    """Cut combinations (in mmpdb's order) whose variable part can pass the size filter."""
    allow = settings.allow_variable
    max_cuts = settings.max_cuts
    side_heavy = tree.side_heavy
    side_of = tree.side_of
    total = tree.total
    for i in range(n_pairs):
        a, b = side_heavy[i]
        if allow(a, num_heavies) or allow(b, num_heavies):
            yield (i,)
        if max_cuts < 2:
            continue
        for j in range(i + 1, n_pairs):
            # outer side of i = the side not holding j, and vice versa
            outer_i = side_heavy[i][1 - side_of[i][j]]
            outer_j = side_heavy[j][1 - side_of[j][i]]
            if allow(total - outer_i - outer_j, num_heavies):
                yield (i, j)
            if max_cuts < 3:
                continue
            for k in range(j + 1, n_pairs):
                si_j, si_k = side_of[i][j], side_of[i][k]
                sj_i, sj_k = side_of[j][i], side_of[j][k]
                sk_i, sk_j = side_of[k][i], side_of[k][j]
                if si_j != si_k or sj_i != sj_k or sk_i != sk_j:
                    continue  # the three cuts lie on a path: no central piece
                var = (
                    total
                    - side_heavy[i][1 - si_j]
                    - side_heavy[j][1 - sj_i]
                    - side_heavy[k][1 - sk_i]
                )
                if allow(var, num_heavies):
                    yield (i, j, k)


def _all_combinations(n_pairs: int, max_cuts: int):
    for i in range(n_pairs):
        yield (i,)
        if max_cuts >= 2:
            for j in range(i + 1, n_pairs):
                yield (i, j)
                if max_cuts >= 3:
                    for k in range(j + 1, n_pairs):
                        yield (i, j, k)


def _encode(combo: tuple[int, ...]) -> int:
    code = 0
    for k, c in enumerate(combo):
        code |= (c + 1) << (12 * k)
    return code


def decode_combo(code: int) -> tuple[int, ...]:
    """Inverse of the combination code carried by deferred fragmentations."""
    out = []
    while code:
        out.append((code & 0xFFF) - 1)
        code >>= 12
    return tuple(out)


def _up_flagged_edges(mol: Chem.Mol, pairs, candidates: list[int]) -> set[int]:
    """Cut bonds that may turn a tied atom into a new stereocentre (mmpdb up-enumeration).

    A candidate atom's tied neighbours stay tied unless a cut falls in one of their branches;
    combinations without such a cut cannot up-enumerate. Used for molecules whose
    up-enumerations could exceed the limit: those combinations are built at once, so that the
    molecule is skipped as a whole as mmpdb skips it.
    """
    if not candidates:
        return set()
    ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
    adjacency: list[list[int]] = [[] for _ in range(mol.GetNumAtoms())]
    for i in range(mol.GetNumBonds()):
        bond = mol.GetBondWithIdx(i)
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        adjacency[a].append(b)
        adjacency[b].append(a)
    marked: set[int] = set()
    for c in candidates:
        nbrs = adjacency[c]
        counts: dict[int, int] = {}
        for n in nbrs:
            counts[ranks[n]] = counts.get(ranks[n], 0) + 1
        for t in nbrs:
            if counts[ranks[t]] < 2 or t in marked:
                continue
            stack = [t]
            marked.add(t)
            while stack:
                x = stack.pop()
                for yi in adjacency[x]:
                    if yi != c and yi not in marked:
                        marked.add(yi)
                        stack.append(yi)
    return {e for e, (a, b) in enumerate(pairs) if a in marked or b in marked}
