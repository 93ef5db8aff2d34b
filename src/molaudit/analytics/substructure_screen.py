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

import re
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
from rdkit import Chem, DataStructs, rdBase

__all__ = [
    "ATOM_WORDS",
    "FP_BITS",
    "QueryScreens",
    "atom_codes",
    "atom_query_mask",
    "atom_type_mask",
    "atom_types",
    "graph_keys",
    "irregular",
    "pack",
    "query_screens",
    "ring_keys",
    "ring_query_matches",
    "ring_query_size",
    "screen",
    "star_keys",
    "star_query_matches",
    "star_query_size",
]

FP_BITS = 2048
WORDS = FP_BITS // 64
#: Atom types (atomic number x 2 + aromatic flag, atomic numbers below 256) per molecule, as
#: bits of ATOM_WORDS uint64 words.
ATOM_WORDS = 8
#: DescribeQuery lines whose truth depends only on an atom's element and aromatic flag.
_TYPE_ONLY = frozenset(
    {
        "AtomAnd",
        "AtomOr",
        "AtomXor",
        "AtomNot",
        "AtomNull",
        "AtomAtomicNum",
        "AtomType",
        "AtomIsAromatic",
        "AtomIsAliphatic",
    }
)
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


def atom_codes(mol: Chem.Mol, smiles: str) -> list[int]:
    """Each atom's type (2 x atomic number + aromatic), by atom index.

    ``smiles`` must be ``MolToSmiles(mol)`` just written (RDKit then records the atom
    order of the string): each atom is one token of it, lowercase when aromatic, and each
    distinct token is read once by RDKit's own parser. That is ~10x cheaper than a Python
    loop over the atoms and gives the same codes (tests/analytics/
    test_substructure_library.py compares both); the loop is used when the tokens and atoms
    do not line up.
    """
    tokens = _TOKEN.findall(smiles)
    order = mol.GetProp("_smilesAtomOutputOrder") if mol.HasProp("_smilesAtomOutputOrder") else ""
    positions = [int(x) for x in order.strip("[]").split(",") if x]
    n = mol.GetNumAtoms()
    if len(tokens) == len(positions) == n:
        codes = [0] * n
        for position, token in zip(positions, tokens, strict=True):
            code = _TOKEN_CODE.get(token)
            if code is None:
                code = _TOKEN_CODE[token] = _token_code(token)
            if code < 0:
                break
            codes[position] = code
        else:
            return codes
    return [2 * a.GetAtomicNum() + a.GetIsAromatic() for a in mol.GetAtoms()]


def atom_types(mol: Chem.Mol, codes: list[int] | None = None) -> bytes:
    """The atom types present in ``mol`` as ``ATOM_WORDS`` little-endian uint64 words.

    Bit ``2 * atomic number + aromatic`` is set when ``mol`` has such an atom (``codes``:
    :func:`atom_codes`, else read here).
    """
    if codes is None:
        codes = [2 * a.GetAtomicNum() + a.GetIsAromatic() for a in mol.GetAtoms()]
    bits = 0
    for code in set(codes):
        if code < 64 * ATOM_WORDS:
            bits |= 1 << code
    return bits.to_bytes(8 * ATOM_WORDS, "little")


_TOKEN = re.compile(r"\[[^\]]*\]|Cl|Br|[BCNOPSFI]|[bcnops]|\*")
_TOKEN_CODE: dict[str, int] = {}


def _token_code(token: str) -> int:
    """2 x atomic number + aromatic of one SMILES atom token, or -1."""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(token, sanitize=False)
    if mol is None or mol.GetNumAtoms() != 1:
        return -1
    atom = mol.GetAtomWithIdx(0)
    code = 2 * atom.GetAtomicNum() + atom.GetIsAromatic()
    return code if code < 64 * ATOM_WORDS else -1


#: Rings up to this size are kept as ring keys (larger rings are rare and vary).
MAX_RING = 8
#: DescribeQuery lines of bond queries whose truth depends only on the bond type.
_BOND_TYPE_ONLY = frozenset(
    {
        "BondAnd",
        "BondOr",
        "BondXor",
        "BondNot",
        "BondNull",
        "BondOrder",
        "SingleOrAromaticBond",
        "SingleOrDoubleBond",
        "DoubleOrAromaticBond",
        "SingleOrDoubleOrAromaticBond",
    }
)
RingKey = tuple[int, ...]


def ring_keys(
    mol: Chem.Mol, codes: list[int] | None = None, orders: np.ndarray | None = None
) -> set[RingKey]:
    """A key per ring of RDKit's ring set of ``mol`` (up to :data:`MAX_RING` atoms).

    The key lists, around the ring, each atom's type (2 x atomic number + aromatic) and the
    type of the bond to the next atom, canonical over rotations and direction: two rings
    with the same key are the same cycle of atom and bond types. RDKit lists a ring's bonds
    in the order of its atoms (bond i joins atoms i and i + 1; checked by the tests).
    ``codes`` are the atom types by index (:func:`atom_codes`), else read here; ``orders``
    RDKit's bond-order matrix of a molecule without dative bonds, else read here.
    """
    out: set[RingKey] = set()
    info = mol.GetRingInfo()
    rings = [r for r in info.AtomRings() if len(r) <= MAX_RING]
    if not rings:
        return out
    if codes is None:
        codes = [2 * a.GetAtomicNum() + a.GetIsAromatic() for a in mol.GetAtoms()]
    # bond types from RDKit's bond-order matrix (one call), read back to types; dative
    # bonds (1.0, as single) or any other order send the molecule to the bond-by-bond path
    if orders is None:
        if mol.HasSubstructMatch(_DATIVE_QUERY):
            return _ring_keys_slow(mol, codes)
        orders = Chem.GetAdjacencyMatrix(mol, useBO=True)
    for ring in rings:
        atoms = np.asarray(ring)
        kinds = [_ORDER_TYPE.get(x) for x in orders[atoms, np.roll(atoms, -1)].tolist()]
        if None in kinds:
            return _ring_keys_slow(mol, codes)
        seq: list[int] = []
        for i, kind in zip(ring, kinds, strict=True):
            seq += (codes[i], kind)
        out.add(_canonical_ring(seq))
    return out


#: RDKit bond order (GetBondTypeAsDouble) back to the bond type, for the types a sanitized
#: molecule from SMILES has; dative bonds (also 1.0) are checked apart
_ORDER_TYPE = {1.0: 1, 2.0: 2, 3.0: 3, 1.5: 12}
_DATIVE_QUERY = Chem.MolFromSmarts("[*]->[*]")


StarKey = tuple[int, ...]


def graph_keys(mol: Chem.Mol, codes: list[int]) -> tuple[set[RingKey], set[StarKey] | None]:
    """:func:`ring_keys` and :func:`star_keys` of ``mol`` with one bond-order matrix."""
    if mol.HasSubstructMatch(_DATIVE_QUERY):
        return _ring_keys_slow(mol, codes), None
    orders = Chem.GetAdjacencyMatrix(mol, useBO=True)
    return ring_keys(mol, codes, orders), star_keys(mol, codes, orders)


def star_keys(mol: Chem.Mol, codes: list[int], orders: np.ndarray) -> set[StarKey] | None:
    """A key per atom: its type, then (bond type, neighbour type) of all its neighbours,
    sorted; None when a bond order does not say its type (``orders``: RDKit's bond-order
    matrix of ``mol``, which must have no dative bond).

    A query that is a star (one atom bonded to all the others, no other bond) of type-only
    atoms and bonds matches ``mol`` exactly when it matches one of these stars read alone:
    the query's centre goes to some atom, its other atoms to distinct neighbours of it.
    """
    first, second = np.nonzero(orders)
    if len(first) != 2 * mol.GetNumBonds():
        return None  # a bond of order 0 (zero, hydrogen, ionic...): not in the matrix
    neighbours: list[list[tuple[int, int]]] = [[] for _ in codes]
    values = orders[first, second].tolist()
    for i, j, order in zip(first.tolist(), second.tolist(), values, strict=True):
        kind = _ORDER_TYPE.get(order)
        if kind is None:
            return None
        neighbours[i].append((kind, codes[j]))
    return {
        (codes[i], *(x for pair in sorted(around) for x in pair))
        for i, around in enumerate(neighbours)
    }


def _type_only_query(query: Chem.Mol) -> bool:
    """Every atom and bond of ``query`` is a query that reads only atom or bond types."""
    return all(
        atom.HasQuery() and _type_only(atom.DescribeQuery(), _TYPE_ONLY)
        for atom in query.GetAtoms()
    ) and all(
        bond.HasQuery() and _type_only(bond.DescribeQuery(), _BOND_TYPE_ONLY)
        for bond in query.GetBonds()
    )


def star_query_size(query: Chem.Mol) -> int | None:
    """Atoms of a star query of type-only atoms and bonds (see :func:`star_keys`), else
    None."""
    k = query.GetNumAtoms()
    if k < 2 or query.GetNumBonds() != k - 1:
        return None
    if max(a.GetDegree() for a in query.GetAtoms()) != k - 1:
        return None  # k - 1 bonds all at one atom: a star
    return k if _type_only_query(query) else None


def _star_probe(key: StarKey) -> Chem.Mol:
    mol = Chem.RWMol()
    for code in key[0:1] + key[2::2]:
        atom = Chem.Atom(code // 2)
        atom.SetIsAromatic(bool(code % 2))
        atom.SetNoImplicit(True)
        mol.AddAtom(atom)
    for leaf, kind in enumerate(key[1::2], start=1):
        mol.AddBond(0, leaf, Chem.BondType.values[kind])
        mol.GetBondBetweenAtoms(0, leaf).SetIsAromatic(kind == int(Chem.BondType.AROMATIC))
    out = mol.GetMol()
    out.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(out)
    return out


def _probe_matches(
    query: Chem.Mol,
    keys: list[tuple[int, ...]],
    probes: dict[int, Chem.Mol] | None,
    fits: Callable[[tuple[int, ...]], bool],
    make_probe: Callable[[tuple[int, ...]], Chem.Mol],
) -> np.ndarray:
    """Indices of the ``keys`` that ``fits`` and whose probe molecule (``make_probe``, cached
    by index in ``probes``) RDKit matches ``query`` on."""
    probes = {} if probes is None else probes
    found = []
    for i, key in enumerate(keys):
        if not fits(key):
            continue
        probe = probes.get(i)
        if probe is None:
            probe = probes[i] = make_probe(key)
        if probe.HasSubstructMatch(query, useChirality=False):
            found.append(i)
    return np.asarray(found, dtype=np.int64)


def star_query_matches(
    query: Chem.Mol, keys: list[StarKey], probes: dict[int, Chem.Mol] | None = None
) -> np.ndarray | None:
    """Indices of ``keys`` whose star contains ``query`` (a star query, see
    :func:`star_query_size`; RDKit matches it on each star alone), or None for other
    queries. ``probes`` caches the star molecules by index."""
    k = star_query_size(query)
    if k is None:
        return None
    # fewer neighbours than the query's centre has: no match
    return _probe_matches(query, keys, probes, lambda key: len(key) >= 2 * k - 1, _star_probe)


def _ring_keys_slow(mol: Chem.Mol, codes: list[int]) -> set[RingKey]:
    out: set[RingKey] = set()
    info = mol.GetRingInfo()
    for ring, bonds in zip(info.AtomRings(), info.BondRings(), strict=True):
        if len(ring) > MAX_RING:
            continue
        seq: list[int] = []
        for i, b in zip(ring, bonds, strict=True):
            seq += (codes[i], int(mol.GetBondWithIdx(b).GetBondType()))
        out.add(_canonical_ring(seq))
    return out


def _canonical_ring(seq: list[int]) -> RingKey:
    """The smallest reading of (atom, bond, atom, bond, ...) over every start and direction.

    ``seq[2i]`` is atom i, ``seq[2i + 1]`` the bond from atom i to atom i + 1.
    """
    n = len(seq)
    # backwards: atom 0, bond k-1, atom k-1, bond k-2, ...
    back = [seq[0]]
    for j in range(n - 1, 0, -1):
        back.append(seq[j])
    forward = tuple(seq) * 2
    backward = tuple(back) * 2
    return min(
        min(forward[r : r + n] for r in range(0, n, 2)),
        min(backward[r : r + n] for r in range(0, n, 2)),
    )


def _type_only(description: str, allowed: frozenset[str]) -> bool:
    lines = [line.split() for line in description.strip().split("\n")]
    return bool(lines) and all(parts and parts[0] in allowed for parts in lines)


def ring_query_size(query: Chem.Mol) -> int | None:
    """Atoms of a query that is one simple cycle of type-only atoms and bonds, else None.

    Such a query matches a molecule when it matches one of the molecule's rings read
    alone (the cycle found there is a cycle of the molecule, with the same atom and bond
    types); a molecule none of whose rings it matches may still contain it (through a
    cycle that is not in RDKit's ring set), so only matches are decided this way.
    """
    k = query.GetNumAtoms()
    if k < 3 or k > MAX_RING or query.GetNumBonds() != k:
        return None
    if any(a.GetDegree() != 2 for a in query.GetAtoms()):
        return None  # k atoms, k bonds, all of degree 2: one cycle, or disconnected cycles
    if len(Chem.GetMolFrags(query)) != 1:
        return None
    return k if _type_only_query(query) else None


def _ring_probe(key: RingKey) -> Chem.Mol:
    k = len(key) // 2
    mol = Chem.RWMol()
    for i in range(k):
        atom = Chem.Atom(key[2 * i] // 2)
        atom.SetIsAromatic(bool(key[2 * i] % 2))
        atom.SetNoImplicit(True)
        mol.AddAtom(atom)
    for i in range(k):
        mol.AddBond(i, (i + 1) % k, Chem.BondType.values[key[2 * i + 1]])
        bond = mol.GetBondBetweenAtoms(i, (i + 1) % k)
        bond.SetIsAromatic(key[2 * i + 1] == int(Chem.BondType.AROMATIC))
    out = mol.GetMol()
    out.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(out)
    return out


def ring_query_matches(
    query: Chem.Mol, keys: list[RingKey], probes: dict[int, Chem.Mol] | None = None
) -> np.ndarray | None:
    """Indices of ``keys`` whose ring contains ``query`` (a one-cycle type-only query, see
    :func:`ring_query_size`; RDKit matches it on each ring alone), or None for other
    queries. ``probes`` caches the ring molecules by index."""
    k = ring_query_size(query)
    if k is None:
        return None
    return _probe_matches(query, keys, probes, lambda key: len(key) == 2 * k, _ring_probe)


def _probe(code: int) -> Chem.Atom:
    mol = Chem.RWMol()
    atom = Chem.Atom(code // 2)
    atom.SetIsAromatic(bool(code % 2))
    mol.AddAtom(atom)
    return mol.GetMol().GetAtomWithIdx(0)


def atom_query_mask(query: Chem.Mol, present: np.ndarray) -> np.ndarray | None:
    """For a one-atom SMARTS query that reads only element and aromaticity: the atom-type
    words a molecule must share with it to match; else None.

    ``present`` is the OR of every molecule's :func:`atom_types` words (only those types are
    tried). Each type is tried by RDKit itself (the query atom's ``Match`` on a lone atom of
    that element and aromatic flag), so no SMARTS semantics are re-implemented here; a
    molecule matches such a query exactly when one of its atoms has a matching type.
    """
    if query.GetNumAtoms() != 1 or query.GetNumBonds():
        return None
    return atom_type_mask(query.GetAtomWithIdx(0), present)


def atom_type_mask(atom: Chem.Atom, present: np.ndarray) -> np.ndarray | None:
    """The atom-type words (bits of ``present``, see :func:`atom_types`) whose lone atom
    ``atom``, a query atom that reads only element and aromaticity, matches (RDKit's own
    ``Match``); None for any other atom."""
    if not atom.HasQuery():
        return None  # a SMILES atom also compares charge, isotope, H count
    lines = [line.split() for line in atom.DescribeQuery().strip().split("\n")]
    if not lines or any(not parts or parts[0] not in _TYPE_ONLY for parts in lines):
        return None
    mask = np.zeros(ATOM_WORDS, dtype=np.uint64)
    bits = int.from_bytes(np.asarray(present, dtype="<u8").tobytes(), "little")
    while bits:
        code = (bits & -bits).bit_length() - 1
        bits &= bits - 1
        if atom.Match(_probe(code)):
            mask[code // 64] |= np.uint64(1) << np.uint64(code % 64)
    return mask


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
