"""Decorated ring keys: prove "one ring plus substituent atoms" queries with no parse.

A *decorated* ring key is a ring key (:func:`~molaudit.analytics.substructure_screen.
ring_keys`: the cycle's atom and bond types, canonical over rotations and direction) in
which each ring atom also carries the sorted (bond type, atom type) of its neighbours *off
the ring*. Its *probe* is the molecule of that ring alone with one new atom per off-ring
neighbour, bonded to its ring atom only.

A query that is one simple cycle of type-only atoms and bonds plus leaf atoms (degree 1)
on cycle atoms (``Brc1ccccc1``, ``FC1CC1``, ``Brc1ccc(Cl)cc1``) is proven to match a
molecule when RDKit matches it on the probe of one of the molecule's decorated rings: the
map that sends the probe's ring atoms to the ring's atoms and each new atom to the
neighbour it stands for keeps every atom and bond type and every bond of the probe, so it
carries the query's match into the molecule, provided it is one-to-one. It is, because a
ring gets no decorated key when

- one of its atoms has a neighbour on the ring other than its two cycle neighbours (a
  chord: that neighbour would be a new atom *and* a ring atom of the probe), or
- two of its atoms share an off-ring neighbour (a bridge atom: two new atoms of the probe
  for one atom of the molecule).

Only proves: a molecule whose rings prove nothing may still contain the query (through a
cycle outside RDKit's ring set, a skipped ring, a larger ring), so the screen's other
survivors are still matched by RDKit and the answer stays exact.
"""

from __future__ import annotations

import numpy as np
from rdkit import Chem

from molaudit.analytics.substructure_format import pack_types
from molaudit.analytics.substructure_screen import (
    _DATIVE_QUERY,
    _ORDER_TYPE,
    ATOM_WORDS,
    MAX_RING,
    RingKey,
    StarKey,
    _canonical_ring,
    _ring_keys_slow,
    _type_only_query,
    atom_type_mask,
    ring_keys,
    ring_query_matches,
    ring_query_size,
)

__all__ = [
    "DecoratedKey",
    "decorated_columns",
    "decorated_keys",
    "decorated_meta",
    "decorated_query",
    "decorated_query_matches",
    "library_keys",
]

#: Per ring atom, around the ring: its type, the number n of its off-ring neighbours, n
#: (bond type, neighbour type) pairs (sorted), the type of the bond to the next ring atom.
DecoratedKey = tuple[int, ...]


def library_keys(
    mol: Chem.Mol, codes: list[int]
) -> tuple[set[RingKey], set[StarKey] | None, set[DecoratedKey]]:
    """Ring, star and decorated ring keys of ``mol`` (``codes``: its atom types by index)
    from one bond-order matrix and one pass over its bonds.

    The ring and star keys are those of :func:`~molaudit.analytics.substructure_screen.
    ring_keys` and :func:`~molaudit.analytics.substructure_screen.star_keys` (the tests
    compare). Star keys are None, and there are no decorated keys, for a molecule with a
    dative bond or a bond whose order does not say its type.
    """
    if mol.HasSubstructMatch(_DATIVE_QUERY):
        return _ring_keys_slow(mol, codes), None, set()
    orders = Chem.GetAdjacencyMatrix(mol, useBO=True)
    neighbours = _neighbours(mol, codes, orders)
    if neighbours is None:
        return ring_keys(mol, codes, orders), None, set()
    stars = {
        (codes[i], *(x for kind, code, _ in sorted(around) for x in (kind, code)))
        for i, around in enumerate(neighbours)
    }
    rings: set[RingKey] = set()
    decorated: set[DecoratedKey] = set()
    for ring in mol.GetRingInfo().AtomRings():
        if len(ring) <= MAX_RING:
            plain, key = _ring_and_decorated(ring, codes, neighbours)
            rings.add(plain)
            if key is not None:
                decorated.add(key)
    return rings, stars, decorated


def decorated_keys(
    mol: Chem.Mol,
    codes: list[int],
    orders: np.ndarray,
    rings: list[tuple[int, ...]] | None = None,
) -> set[DecoratedKey]:
    """A decorated key per ring (module doc) of ``rings`` (default: RDKit's ring set of
    ``mol``, up to :data:`MAX_RING` atoms), skipping rings with a chord or a shared
    off-ring neighbour.

    ``codes`` are the atom types by index, ``orders`` RDKit's bond-order matrix of ``mol``
    (no dative bond: :func:`library_keys` checks).
    """
    if rings is None:
        rings = [r for r in mol.GetRingInfo().AtomRings() if len(r) <= MAX_RING]
    neighbours = _neighbours(mol, codes, orders)
    if neighbours is None:
        return set()  # a bond order that does not say its type: no decorated keys
    found = (_ring_and_decorated(ring, codes, neighbours)[1] for ring in rings)
    return {key for key in found if key is not None}


def _neighbours(
    mol: Chem.Mol, codes: list[int], orders: np.ndarray
) -> list[list[tuple[int, int, int]]] | None:
    """(bond type, neighbour type, neighbour index) of each atom's neighbours; None when a
    bond order does not say its type (or is 0, so not in ``orders``)."""
    first, second = np.nonzero(orders)
    if len(first) != 2 * mol.GetNumBonds():
        return None
    neighbours: list[list[tuple[int, int, int]]] = [[] for _ in codes]
    for i, j, order in zip(
        first.tolist(), second.tolist(), orders[first, second].tolist(), strict=True
    ):
        kind = _ORDER_TYPE.get(order)
        if kind is None:
            return None
        neighbours[i].append((kind, codes[j], j))
    return neighbours


def _ring_and_decorated(
    ring: tuple[int, ...], codes: list[int], neighbours: list[list[tuple[int, int, int]]]
) -> tuple[RingKey, DecoratedKey | None]:
    """The ring key of ``ring`` and its decorated key (None: a chord or a shared off-ring
    neighbour, see the module doc)."""
    k = len(ring)
    on_ring = set(ring)
    seen: set[int] = set()
    sound = True
    atoms: list[tuple[int, ...]] = []
    forward: list[int] = []  # bond type from ring atom p to p + 1
    seq: list[int] = []
    for p, i in enumerate(ring):
        before, after = ring[p - 1], ring[(p + 1) % k]
        pairs: list[int] = []
        bond = 0
        for kind, code, j in sorted(neighbours[i]):
            if j == after:
                bond = kind
            elif j == before:
                continue
            elif j in on_ring or j in seen:
                sound = False  # a chord, or an off-ring atom two ring atoms share
            else:
                seen.add(j)
                pairs += (kind, code)
        atoms.append((codes[i], len(pairs) // 2, *pairs))
        forward.append(bond)
        seq += (codes[i], bond)
    plain = _canonical_ring(seq)
    if not sound:
        return plain, None
    ahead = [atoms[p] + (forward[p],) for p in range(k)]
    # read backwards, each atom is followed by the bond to the atom before it
    back = [atoms[p] + (forward[p - 1],) for p in range(k - 1, -1, -1)]
    best = min(
        min(tuple(ahead[s:] + ahead[:s]) for s in range(k)),
        min(tuple(back[s:] + back[:s]) for s in range(k)),
    )
    return plain, tuple(x for unit in best for x in unit)


def _units(key: DecoratedKey) -> list[tuple[int, list[tuple[int, int]], int]]:
    """(atom type, [(bond type, neighbour type)...], bond to the next) per ring atom."""
    out = []
    pos = 0
    while pos < len(key):
        n = key[pos + 1]
        pairs = key[pos + 2 : pos + 2 + 2 * n]
        out.append(
            (key[pos], list(zip(pairs[0::2], pairs[1::2], strict=True)), key[pos + 2 + 2 * n])
        )
        pos += 3 + 2 * n
    return out


def decorated_meta(key: DecoratedKey) -> tuple[RingKey, int]:
    """The ring key of a decorated key and its off-ring atom types as bits (bit
    2 x atomic number + aromatic, as :func:`~molaudit.analytics.substructure_screen.
    atom_types`)."""
    seq: list[int] = []
    bits = 0
    for code, pairs, bond in _units(key):
        seq += (code, bond)
        for _, other in pairs:
            if other < 64 * ATOM_WORDS:
                bits |= 1 << other
    return _canonical_ring(seq), bits


def _atom(code: int) -> Chem.Atom:
    atom = Chem.Atom(code // 2)
    atom.SetIsAromatic(bool(code % 2))
    atom.SetNoImplicit(True)
    return atom


def _decorated_probe(key: DecoratedKey) -> Chem.Mol:
    units = _units(key)
    k = len(units)
    mol = Chem.RWMol()
    for code, _, _ in units:
        mol.AddAtom(_atom(code))
    bonds = [(p, (p + 1) % k, bond) for p, (_, _, bond) in enumerate(units)]
    for p, (_, pairs, _) in enumerate(units):
        for kind, other in pairs:
            bonds.append((p, mol.AddAtom(_atom(other)), kind))
    for i, j, kind in bonds:
        mol.AddBond(i, j, Chem.BondType.values[kind])
        mol.GetBondBetweenAtoms(i, j).SetIsAromatic(kind == int(Chem.BondType.AROMATIC))
    out = mol.GetMol()
    out.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(out)
    return out


def decorated_query(query: Chem.Mol) -> tuple[Chem.Mol, list[int]] | None:
    """(the query's cycle alone, its leaf atoms) for a query that is one simple cycle of
    :data:`MAX_RING` atoms or fewer plus at least one leaf atom (degree 1) on cycle atoms,
    all atoms and bonds type-only; else None."""
    n = query.GetNumAtoms()
    leaves = [a.GetIdx() for a in query.GetAtoms() if a.GetDegree() == 1]
    if not leaves or not 3 <= n - len(leaves) <= MAX_RING:
        return None
    # connected, and what is left without the leaves is one cycle: every leaf hangs on it
    if len(Chem.GetMolFrags(query)) != 1 or not _type_only_query(query):
        return None
    cycle = Chem.RWMol(query)
    for i in sorted(leaves, reverse=True):
        cycle.RemoveAtom(i)
    core = cycle.GetMol()
    if ring_query_size(core) is None:
        return None
    return core, leaves


def decorated_query_matches(
    query: Chem.Mol,
    keys: list[DecoratedKey],
    key_rings: np.ndarray,
    key_types: np.ndarray,
    ring_vocab: list[RingKey],
    probes: dict[int, Chem.Mol] | None = None,
    ring_probes: dict[int, Chem.Mol] | None = None,
) -> np.ndarray | None:
    """Indices of ``keys`` whose probe contains ``query`` (a ring-plus-leaves query, see
    :func:`decorated_query`), or None for other queries.

    ``key_rings`` gives each key's ring key (an index into ``ring_vocab``), ``key_types``
    its off-ring atom types (``(ATOM_WORDS, len(keys))`` words, see :func:`decorated_meta`).
    Only keys whose ring contains the query's cycle and whose off-ring types include a type
    each leaf allows are matched on their probe (``probes`` caches them by index,
    ``ring_probes`` those of ``ring_vocab``).
    """
    parts = decorated_query(query)
    if parts is None:
        return None
    core, leaves = parts
    rings = ring_query_matches(core, ring_vocab, ring_probes)
    if rings is None or not len(rings) or not len(keys):
        return np.zeros(0, dtype=np.int64)
    wanted = np.zeros(len(ring_vocab), dtype=bool)
    wanted[rings] = True
    ok = wanted[key_rings]
    present = np.bitwise_or.reduce(key_types[:, ok], axis=1) if ok.any() else None
    tried: set[str] = set()
    for leaf in leaves:
        atom = query.GetAtomWithIdx(leaf)
        text = atom.DescribeQuery()
        if text in tried or present is None:
            continue
        tried.add(text)
        mask = atom_type_mask(atom, present)
        if mask is None:
            return None  # not type-only after all (never: decorated_query checked)
        hit = np.zeros(len(keys), dtype=bool)
        for j in np.flatnonzero(mask):
            hit |= (key_types[j] & mask[j]) != 0
        ok &= hit
    probes = {} if probes is None else probes
    found = []
    for i in np.flatnonzero(ok).tolist():
        probe = probes.get(i)
        if probe is None:
            probe = probes[i] = _decorated_probe(keys[i])
        if probe.HasSubstructMatch(query, useChirality=False):
            found.append(i)
    return np.asarray(found, dtype=np.int64)


def decorated_columns(
    keys: list[DecoratedKey], ring_vocab: dict[RingKey, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each decorated key's ring key (an id into ``ring_vocab``, which gains any key it
    lacks) and its off-ring atom types as ``(ATOM_WORDS, len(keys))`` words."""
    rings = np.zeros(len(keys), dtype=np.int64)
    types = []
    for i, key in enumerate(keys):
        ring, bits = decorated_meta(key)
        rings[i] = ring_vocab.setdefault(ring, len(ring_vocab))
        types.append(bits.to_bytes(8 * ATOM_WORDS, "little"))
    return rings, pack_types(types)
