"""The pattern-fingerprint pre-screen of the substructure search, vectorised with numpy.

A molecule can contain a query only if its RDKit pattern fingerprint holds every bit of the
query's (RDKit's ``SubstructLibrary`` screen). Here the fingerprints are kept packed, one
``uint64`` word column per 64 bits (contiguous, so a test reads only the words the query
sets), and the test ``(fp & q) == q`` runs on whole columns at once.

SMARTS queries screen poorly as written: a bond left unspecified (``cc``, ``C(F)(F)F``) is
RDKit's "single or aromatic" query bond, and RDKit's pattern fingerprint of a query skips the
paths through such bonds. At 20k MOSES molecules indole as SMARTS let 6,362 molecules through
for 139 matches. :func:`query_screens` therefore also fingerprints a *tightened* copy of the
query in which an unspecified bond is

- single when one of its atoms must be aliphatic (``C``, ``N``, ``[NH2]``...): an aromatic
  bond joins two aromatic atoms;
- aromatic when both atoms must be aromatic (``c``, ``[nH]``, ``a``...) and the bond is in a
  ring of the query: the matched bond is then a ring bond between two aromatic atoms, and
  such a bond that is single (fluorene's biaryl bond) is rare.

Each premise can fail for a molecule, so the library marks the molecules where it does
(:func:`irregular`: a ring single bond between two aromatic atoms, or an aromatic bond with a
non-aromatic atom) and screens those with RDKit's own query fingerprint; every other molecule
with the tightened one. A molecule that contains the query passes its screen either way, so
the search stays exact: a plain ``HasSubstructMatch`` loop is the oracle in
``tests/analytics/test_substructure.py``.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from rdkit import Chem, DataStructs

__all__ = ["FP_BITS", "QueryScreens", "irregular", "pack", "query_screens", "screen"]

FP_BITS = 2048
WORDS = FP_BITS // 64
_DEFAULT_BOND = "SingleOrAromaticBond 1 = val\n"
_SINGLE = Chem.MolFromSmarts("C-C").GetBondWithIdx(0)
_AROMATIC = Chem.MolFromSmarts("c:c").GetBondWithIdx(0)
_RING_SINGLE_AROMATIC = Chem.MolFromSmarts("a-;@a")
_ODD_AROMATIC = Chem.MolFromSmarts("[!a]:*")
_CACHE: OrderedDict[str, QueryScreens] = OrderedDict()
_CACHE_SIZE = 256


def words(fp: DataStructs.ExplicitBitVect) -> np.ndarray:
    """A pattern fingerprint as :data:`WORDS` little-endian ``uint64`` words."""
    return np.frombuffer(DataStructs.BitVectToBinaryText(fp), dtype="<u8").copy()


def pack(fps: list[bytes]) -> np.ndarray:
    """Column-major ``(WORDS, n)`` ``uint64`` array from ``BitVectToBinaryText`` outputs."""
    if not fps:
        return np.zeros((WORDS, 0), dtype=np.uint64)
    flat = np.frombuffer(b"".join(fps), dtype="<u8").reshape(len(fps), WORDS)
    return np.ascontiguousarray(flat.T, dtype=np.uint64)


def irregular(mol: Chem.Mol) -> bool:
    """True when a premise of the tightened query fails for ``mol`` (see the module doc).

    That is, ``mol`` has a ring bond that is single between two aromatic atoms, or an
    aromatic bond with an atom that is not aromatic. ``mol`` needs its ring information
    (a sanitized molecule has it).
    """
    return mol.HasSubstructMatch(_RING_SINGLE_AROMATIC) or mol.HasSubstructMatch(_ODD_AROMATIC)


def _aromaticity(description: str) -> str | None:
    """'aromatic' / 'aliphatic' when an atom query (``DescribeQuery`` text) demands it.

    None when it may match both, or when the query is not one this reads (conservative).
    """
    lines = description.rstrip("\n").split("\n")

    def node(i: int, depth: int) -> tuple[str | None, int]:
        text = lines[i].strip()
        j = i + 1
        if text in ("AtomAnd", "AtomOr"):
            kids = []
            while j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) > depth:
                kid, j = node(j, len(lines[j]) - len(lines[j].lstrip()))
                kids.append(kid)
            known = {k for k in kids if k is not None}
            if text == "AtomAnd":
                return (sorted(known)[0] if known else None), j
            if kids and all(k is not None for k in kids) and len(known) == 1:
                return known.pop(), j
            return None, j
        # skip anything nested under a primitive (not expected)
        while j < len(lines) and len(lines[j]) - len(lines[j].lstrip()) > depth:
            j += 1
        parts = text.split()
        if len(parts) == 4 and parts[2:] == ["=", "val"]:
            if parts[0] == "AtomType" and parts[1].isdigit():
                return ("aromatic" if int(parts[1]) >= 1000 else "aliphatic"), j
            if parts[0] == "AtomIsAromatic" and parts[1] == "1":
                return "aromatic", j
            if parts[0] == "AtomIsAliphatic" and parts[1] == "1":
                return "aliphatic", j
        return None, j

    if not lines or not lines[0].strip():
        return None
    return node(0, len(lines[0]) - len(lines[0].lstrip()))[0]


def _ring_bonds(mol: Chem.Mol) -> set[int]:
    """Indices of the bonds on a cycle of the query graph (a bond whose removal leaves its
    atoms connected)."""
    neighbours: dict[int, list[tuple[int, int]]] = {a.GetIdx(): [] for a in mol.GetAtoms()}
    for bond in mol.GetBonds():
        i, j = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        neighbours[i].append((j, bond.GetIdx()))
        neighbours[j].append((i, bond.GetIdx()))
    ring = set()
    for bond in mol.GetBonds():
        start, goal, skip = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), bond.GetIdx()
        seen, todo = {start}, [start]
        while todo:
            atom = todo.pop()
            for other, idx in neighbours[atom]:
                if idx != skip and other not in seen:
                    seen.add(other)
                    todo.append(other)
        if goal in seen:
            ring.add(skip)
    return ring


def tightened(query: Chem.Mol) -> Chem.Mol | None:
    """The query with its unspecified bonds made single/aromatic where the module doc says,
    for fingerprinting only (never matched); None when no bond changes."""
    if query.GetNumBonds() == 0:
        return None
    kinds = [_aromaticity(a.DescribeQuery()) if a.HasQuery() else None for a in query.GetAtoms()]
    rings = None
    out = Chem.RWMol(query)
    changed = False
    for bond in query.GetBonds():
        if not bond.HasQuery() or bond.DescribeQuery() != _DEFAULT_BOND:
            continue
        a, b = kinds[bond.GetBeginAtomIdx()], kinds[bond.GetEndAtomIdx()]
        if "aliphatic" in (a, b):
            out.ReplaceBond(bond.GetIdx(), _SINGLE)
            changed = True
        elif a == b == "aromatic":
            rings = _ring_bonds(query) if rings is None else rings
            if bond.GetIdx() in rings:
                out.ReplaceBond(bond.GetIdx(), _AROMATIC)
                changed = True
    return out.GetMol() if changed else None


class QueryScreens:
    """The query's fingerprint words: RDKit's (``plain``) and the tightened one (``tight``)."""

    def __init__(self, query: Chem.Mol) -> None:
        self.plain = words(Chem.PatternFingerprint(query, fpSize=FP_BITS))
        strong = tightened(query)
        if strong is None:
            self.tight = self.plain
        else:
            # the tight screen also asks for the plain bits: never weaker than RDKit's
            self.tight = words(Chem.PatternFingerprint(strong, fpSize=FP_BITS)) | self.plain


def query_screens(query: Chem.Mol) -> QueryScreens:
    """:class:`QueryScreens` of ``query``; those of SMARTS queries are cached by their SMARTS
    (the last 256), which RDKit writes from the whole query tree."""
    atoms_and_bonds = [*query.GetAtoms(), *query.GetBonds()]
    if not all(x.HasQuery() for x in atoms_and_bonds):
        return QueryScreens(query)  # a SMILES molecule: its SMARTS would not say everything
    key = Chem.MolToSmarts(query)
    found = _CACHE.get(key)
    if found is None:
        found = _CACHE[key] = QueryScreens(query)
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return found


def _subset(columns: np.ndarray, q: np.ndarray, positions: np.ndarray | None) -> np.ndarray:
    """Boolean per molecule (or per ``positions``): does its fingerprint hold every bit of q."""
    n = columns.shape[1] if positions is None else len(positions)
    ok = np.ones(n, dtype=bool)
    # the rarest-looking words first would shrink faster; the test is cheap either way
    for j in np.flatnonzero(q):
        col = columns[j] if positions is None else columns[j, positions]
        ok &= (col & q[j]) == q[j]
    return ok


def screen(
    columns: np.ndarray, odd: np.ndarray, screens: QueryScreens, start: int = 0, end: int = -1
) -> np.ndarray:
    """Library positions in ``[start, end)`` that pass the screen, ascending.

    ``columns`` is the :func:`pack` array, ``odd`` the positions (ascending) of the
    :func:`irregular` molecules, screened with the plain query fingerprint.
    """
    end = columns.shape[1] if end < 0 else end
    part = columns[:, start:end]
    passed = _subset(part, screens.tight, None)
    if len(odd) and screens.tight is not screens.plain:
        lo, hi = np.searchsorted(odd, [start, end])
        local = odd[lo:hi] - start
        if len(local):
            passed[local] = _subset(part, screens.plain, local)
    return np.flatnonzero(passed) + start
