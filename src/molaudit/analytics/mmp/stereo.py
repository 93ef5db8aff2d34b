"""mmpdb 3.1's up-enumeration of stereocentres that fragmentation creates.

A cut can make an atom a new stereocentre (its neighbours stop being tied); mmpdb then
enumerates chirality for it. These helpers find such atoms and reproduce which assignments
mmpdb actually applies, so molaudit's fragmentations (and hence pairs) are mmpdb's.
"""

from __future__ import annotations

from rdkit import Chem

_CHIRAL_TAGS = (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)


def _potential_without_ranks(atom: Chem.Atom) -> bool:
    """Could this atom be a tetrahedral centre if all its neighbours were distinct?"""
    if atom.GetTotalDegree() not in (3, 4):
        return False
    n = atom.GetDegree()
    if n == 4:
        return True
    if n < 3:
        return False
    if atom.GetTotalNumHs() == 1:
        return True
    if atom.GetAtomicNum() in (16, 34):
        valence = atom.GetValence(Chem.ValenceType.EXPLICIT)
        return valence == 4 or (valence == 3 and atom.GetFormalCharge() == 1)
    return False


def _distinct_neighbour_ranks(atom: Chem.Atom, ranks) -> bool:
    seen = set()
    idx = atom.GetIdx()
    for bond in atom.GetBonds():
        rank = ranks[bond.GetOtherAtomIdx(idx)]
        if rank in seen:
            return False
        seen.add(rank)
    return True


def _up_candidates(mol: Chem.Mol, props=None) -> list[int]:
    """Atoms that are not stereocentres (flag 0 in mmpdb) only because neighbours are tied.

    mmpdb up-enumerates atoms whose flag goes from 0 (no centre) to 2 (potential centre) after
    fragmentation; only these atoms can do that, so a molecule without any skips the check.
    """
    ranks = None
    out = []
    # a potential centre has at least three explicit neighbours (props[i][4] is the degree)
    indices = (
        range(mol.GetNumAtoms()) if props is None else [i for i, p in enumerate(props) if p[4] >= 3]
    )
    for i in indices:
        atom = mol.GetAtomWithIdx(i)
        if atom.GetChiralTag() in _CHIRAL_TAGS or not _potential_without_ranks(atom):
            continue
        if ranks is None:
            ranks = list(Chem.CanonicalRankAtoms(mol, breakTies=False))
        if not _distinct_neighbour_ranks(atom, ranks):
            out.append(atom.GetIdx())
    return out


def _new_stereocentres(mol: Chem.Mol, candidates: list[int], new_ranks) -> list[int]:
    return [i for i in candidates if _distinct_neighbour_ranks(mol.GetAtomWithIdx(i), new_ranks)]


def _chiral_enumerate(indices: list[int]) -> list[tuple[tuple[int, object], ...]]:
    """The chirality assignments mmpdb 3.1 actually applies to new stereocentres.

    mmpdb builds ``itertools.product`` over generator expressions that close over the loop
    variable, so every term refers to the *last* index and only that atom is enumerated; the
    distinct states are CW, CCW and (with two or more centres) unspecified. Reproduced so that
    the fragmentations, and hence the pairs, are mmpdb's.
    """
    if not indices:
        return []
    last = indices[-1]
    tags = [Chem.CHI_TETRAHEDRAL_CW, Chem.CHI_TETRAHEDRAL_CCW]
    if len(indices) > 1:
        tags.append(Chem.CHI_UNSPECIFIED)
    return [((last, t),) for t in tags]


def _n_up_enumerations(n: int) -> int:
    return 3**n - 1 if n else 0
