"""Pattern-fingerprint screening of substructure queries (PAINS, Brenk, QED alerts).

Matching hundreds of SMARTS against every molecule is the most expensive step of an audit. A
query can only match a molecule whose RDKit pattern fingerprint has every bit set that the
query's own pattern fingerprint has (that is what the pattern fingerprint is designed for, and
how RDKit's ``SubstructLibrary`` screens). So each molecule is fingerprinted once, the queries
whose bits are not all present are skipped, and only the rest are matched for real. Results are
identical to matching every query; ``tests/test_substructure_screen.py`` checks that against
``FilterCatalog.GetMatches`` and ``QED.properties`` on real molecules.

The pattern fingerprint knows elements, aromaticity and bond paths but not charges, and a query
made of recursive SMARTS (``[$(...)]``) or atom lists sets none of its bits. So
:func:`screen_words` adds one word of molecule features (a positively or negatively charged
atom, a double bond, a triple bond, an element outside C, H, N, O, P, S and the halogens), and
each query requires the features that every one of its matches needs, read from the query
tree (``Atom.DescribeQuery``): an atom that must carry charge +1, a bond that must be double,
an atom list of uncommon elements only. Anything the reader does not recognise requires
nothing, so the screen stays a necessary condition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from rdkit import Chem
from rdkit.Chem import rdqueries
from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogEntry

__all__ = [
    "ScreenedQueries",
    "atoms_matching",
    "filter_catalog_queries",
    "molecule_features",
    "pattern_words",
    "query_features",
    "screen_words",
    "smiles_features",
]

FP_SIZE = 2048
_N_WORDS = FP_SIZE // 64

#: Feature bits of the extra screen word (see the module docstring).
POSITIVE, NEGATIVE, DOUBLE_BOND, TRIPLE_BOND, UNCOMMON_ELEMENT = 1, 2, 4, 8, 16
_COMMON_ELEMENTS = frozenset({1, 6, 7, 8, 9, 15, 16, 17, 35, 53})
_CHARGED = rdqueries.FormalChargeEqualsQueryAtom(0, negate=True)
_DOUBLE = Chem.MolFromSmarts("*=*")
_TRIPLE = Chem.MolFromSmarts("*#*")


def _uncommon_query() -> Chem.Atom:
    query = rdqueries.AtomNumEqualsQueryAtom(1, negate=True)
    for z in sorted(_COMMON_ELEMENTS - {1}):
        query.ExpandQuery(rdqueries.AtomNumEqualsQueryAtom(z, negate=True))
    return query


_UNCOMMON = _uncommon_query()
_PICKLE_MAGIC = b"\xef\xbe\xad\xde"  # RDKit's MolPickler header (0xDEADBEEF, little endian)


def pattern_words(mol: Chem.Mol) -> np.ndarray:
    """The molecule's (or query's) RDKit pattern fingerprint as 32 uint64 words."""
    text = Chem.PatternFingerprint(mol, fpSize=FP_SIZE).ToBitString()
    # '0'/'1' text -> bits: 4x faster than ConvertToNumpyArray for 2048 bits
    return np.packbits(np.frombuffer(text.encode("ascii"), dtype=np.uint8) - 48).view(np.uint64)


def atoms_matching(mol: Chem.Mol, query: Chem.Atom) -> list[Chem.Atom]:
    """``mol.GetAtomsMatchingQuery(query)`` as a list, in atom order, without iterating it.

    The query runs over the atoms in C++ and only matches get a Python wrapper. The returned
    sequence is indexed, not iterated: its boost.python iterator ends by raising a C++
    exception, which costs more than the whole query.
    """
    found = mol.GetAtomsMatchingQuery(query)
    n = len(found)
    return [found[i] for i in range(n)] if n else []


def molecule_features(mol: Chem.Mol, smiles: str | None = None) -> int:
    """The feature bits of ``mol``: charged atoms of each sign, double/triple bonds, elements.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        The molecule.
    smiles : str, optional
        ``Chem.MolToSmiles(mol)``, if known: the bits are then read from the string (see
        :func:`smiles_features`), else from the atoms and bonds.
    """
    if smiles is not None:
        return smiles_features(smiles)
    bits = 0
    for atom in atoms_matching(mol, _CHARGED):
        bits |= POSITIVE if atom.GetFormalCharge() > 0 else NEGATIVE
    if mol.HasSubstructMatch(_DOUBLE):
        bits |= DOUBLE_BOND
    if mol.HasSubstructMatch(_TRIPLE):
        bits |= TRIPLE_BOND
    if len(mol.GetAtomsMatchingQuery(_UNCOMMON)):
        bits |= UNCOMMON_ELEMENT
    return bits


_NEGATIVE_IN_BRACKET = re.compile(r"\[[^\]]*-")
_BORON = re.compile(r"B(?!r)|b")
_BRACKET_SYMBOL = re.compile(r"\[\d*([A-Za-z][a-z]?)?")
#: Symbols of the elements of ``_COMMON_ELEMENTS`` (aliphatic and aromatic).
_COMMON_SYMBOLS = frozenset(
    ["H", "C", "N", "O", "P", "S", "F", "Cl", "Br", "I", "c", "n", "o", "p", "s"]
)


def smiles_features(smiles: str) -> int:
    """:func:`molecule_features` read from the molecule's SMILES as RDKit writes it.

    In SMILES a charge is written only inside a bracket atom (``+`` is never anything else; a
    ``-`` outside brackets is a single bond), a double bond always as ``=`` and a triple bond
    as ``#``; an atom outside the organic subset (``B C N O P S F Cl Br I``, aromatic
    ``b c n o p s``) is always in brackets, where its symbol follows the isotope. Boron is in
    the organic subset, so it is looked for on its own (``B`` not followed by ``r``, or
    ``b``); ``*`` (atomic number 0) counts as uncommon. Extra bits are harmless (the screen
    only prunes less), a missing one is not: ``tests/molecule/test_feature_screen.py``
    compares this with a loop over the atoms and bonds.
    """
    bits = 0
    if "+" in smiles:
        bits |= POSITIVE
    if _NEGATIVE_IN_BRACKET.search(smiles):
        bits |= NEGATIVE
    if "=" in smiles:
        bits |= DOUBLE_BOND
    if "#" in smiles:
        bits |= TRIPLE_BOND
    if "*" in smiles or _BORON.search(smiles):
        bits |= UNCOMMON_ELEMENT
    elif "[" in smiles:
        for symbol in _BRACKET_SYMBOL.findall(smiles):
            if symbol not in _COMMON_SYMBOLS:
                bits |= UNCOMMON_ELEMENT
                break
    return bits


def screen_words(mol: Chem.Mol, smiles: str | None = None) -> np.ndarray:
    """:func:`pattern_words` plus one word of :func:`molecule_features` (33 uint64 words)."""
    words = np.empty(_N_WORDS + 1, dtype=np.uint64)
    words[:_N_WORDS] = pattern_words(mol)
    words[_N_WORDS] = molecule_features(mol, smiles)
    return words


def _tree(text: str) -> tuple[str, list]:
    """``DescribeQuery`` text (one node a line, children indented by 2) as (label, children)."""
    lines = [line for line in text.split("\n") if line.strip()]

    def depth(line: str) -> int:
        return len(line) - len(line.lstrip(" "))

    def build(i: int) -> tuple[tuple[str, list], int]:
        children: list = []
        j = i + 1
        while j < len(lines) and depth(lines[j]) > depth(lines[i]):
            child, j = build(j)
            children.append(child)
        return (lines[i].strip(), children), j

    return build(0)[0] if lines else ("", [])


def _leaf_value(label: str, name: str) -> int | None:
    """``v`` of a leaf ``'<name> v = val'`` (a plain, not negated, equality), else None."""
    parts = label.split()
    if len(parts) == 4 and parts[0] == name and parts[2:] == ["=", "val"]:
        return int(parts[1])
    return None


def _needs(node: tuple[str, list], kind: str, leaf: Callable[[str], int]) -> int:
    """Feature bits everything matching this ``kind`` ('Atom' or 'Bond') query node has: an
    AND needs what any child needs, an OR what every child needs, a leaf ``leaf(label)``."""
    label, children = node
    if label == kind + "And":
        needs = 0
        for child in children:
            needs |= _needs(child, kind, leaf)
        return needs
    if label == kind + "Or":
        needs = -1
        for child in children:
            needs &= _needs(child, kind, leaf)
        return max(needs, 0)
    return leaf(label)


def _atom_leaf_needs(label: str) -> int:
    charge = _leaf_value(label, "AtomFormalCharge")
    if charge:
        return POSITIVE if charge > 0 else NEGATIVE
    return 0


def _bond_leaf_needs(label: str) -> int:
    order = _leaf_value(label, "BondOrder")
    return {2: DOUBLE_BOND, 3: TRIPLE_BOND}.get(order, 0) if order is not None else 0


def _atom_needs(node: tuple[str, list]) -> int:
    """Feature bits every atom matching this query node has (0 when unknown)."""
    return _needs(node, "Atom", _atom_leaf_needs)


def _atom_elements(node: tuple[str, list]) -> frozenset[int] | None:
    """The atomic numbers an atom matching this query node can have (None: any)."""
    label, children = node
    if label == "AtomAnd":
        allowed = None
        for child in children:
            elements = _atom_elements(child)
            if elements is not None:
                allowed = elements if allowed is None else allowed & elements
        return allowed
    if label == "AtomOr":
        union: frozenset[int] = frozenset()
        for child in children:
            elements = _atom_elements(child)
            if elements is None:
                return None
            union |= elements
        return union
    for name in ("AtomType", "AtomAtomicNum"):
        value = _leaf_value(label, name)
        if value is not None:  # AtomType is 1000 + Z for aromatic atoms
            return frozenset({value - 1000 if value >= 1000 else value})
    return None


def _bond_needs(node: tuple[str, list]) -> int:
    """Feature bits every bond matching this query node implies (0 when unknown)."""
    return _needs(node, "Bond", _bond_leaf_needs)


def query_features(query: Chem.Mol) -> int:
    """Feature bits a molecule must have for ``query`` to match it (a necessary condition)."""
    needs = 0
    for atom in query.GetAtoms():
        if not atom.HasQuery():
            continue
        tree = _tree(atom.DescribeQuery())
        needs |= _atom_needs(tree)
        elements = _atom_elements(tree)
        if elements is not None and elements and elements.isdisjoint(_COMMON_ELEMENTS):
            needs |= UNCOMMON_ELEMENT
    for bond in query.GetBonds():
        if bond.HasQuery():
            needs |= _bond_needs(_tree(bond.DescribeQuery()))
    return needs


def _query_words(query: Chem.Mol) -> np.ndarray:
    features = query_features(query)
    query = Chem.Mol(query)
    query.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(query)
    words = np.empty(_N_WORDS + 1, dtype=np.uint64)
    words[:_N_WORDS] = pattern_words(query)
    words[_N_WORDS] = features
    return words


class ScreenedQueries:
    """Queries (anything with a match method) screened by their pattern fingerprints.

    Parameters
    ----------
    patterns : sequence of Mol or None
        The query molecule of each item, or None when it is not known (such items are always
        matched, never screened out).
    """

    def __init__(self, patterns: Sequence[Chem.Mol | None]) -> None:
        words = np.zeros((len(patterns), _N_WORDS + 1), dtype=np.uint64)
        for i, pattern in enumerate(patterns):
            if pattern is not None:
                words[i] = _query_words(pattern)
        self._words = words
        self._pattern_words = words[:, :_N_WORDS]

    def candidates(self, mol_words: np.ndarray) -> np.ndarray:
        """Indices of the queries that may match a molecule with words ``mol_words``.

        ``mol_words`` are :func:`screen_words` (pattern bits and features) or
        :func:`pattern_words` (pattern bits only; the features are then not screened).
        """
        query_words = self._words if len(mol_words) > _N_WORDS else self._pattern_words
        missing = query_words & ~mol_words
        return np.flatnonzero(~missing.any(axis=1))


def _entry_pattern(entry: FilterCatalogEntry) -> Chem.Mol | None:
    """The query of a single-SMARTS FilterCatalog entry, or None if it is anything else.

    The entry's serialized form is a boost text archive: ``... <n> <n bytes of MolPickle>
    <min count> <max count> ...``. Entries that do not have exactly this shape, or whose
    minimum count is 0 (a match is then possible without the pattern), return None and are
    always matched.
    """
    raw = entry.Serialize()
    start = raw.find(_PICKLE_MAGIC)
    length = re.search(rb" (\d+) $", raw[:start]) if start > 0 else None
    if length is None:
        return None
    end = start + int(length.group(1))
    counts = re.match(rb" (\d+) (\d+) ", raw[end:])
    if counts is None or int(counts.group(1)) < 1 or _PICKLE_MAGIC in raw[end:]:
        return None
    try:
        return Chem.Mol(raw[start:end])
    except RuntimeError:
        return None


@lru_cache(maxsize=4)
def filter_catalog_queries(
    catalog: FilterCatalog,
) -> tuple[list[FilterCatalogEntry], ScreenedQueries]:
    """Entries of ``catalog`` with their pattern-fingerprint screen."""
    entries = [catalog.GetEntryWithIdx(i) for i in range(catalog.GetNumEntries())]
    return entries, ScreenedQueries([_entry_pattern(e) for e in entries])
