"""Substructure search over a batch: pattern-fingerprint screen, then RDKit's ``SubstructLibrary``.

The index holds the standardized parent of every non-error row (``std_smiles``, parsed once):
its RDKit canonical SMILES, its RDKit pattern fingerprint (2048 bits, packed as ``uint64``
word columns), the atom types it has (element x aromatic flag, 512 bits), the keys of its
rings, of its atoms' stars and of its decorated rings (ids into three small vocabularies) and
a flag byte: about 560 bytes a molecule (MOSES; 505 without the decorated rings). A
``MolHolder`` of live molecules took 28 kB a molecule (2.8 GB at 100k), so no molecule is
kept parsed.

A search answers, with no parse at all,

- a one-atom query that reads only element and aromaticity (``[#7]``, ``N``, ``c``,
  ``[Cl,Br]``) from the atom types;
- a *star* query (one atom bonded to all the others: ``C(=O)N``, ``S(=O)(=O)N``,
  ``C(F)(F)F``, ``cN``) of such atoms and of bonds that read only the bond type, from the
  star keys: each molecule keeps, per atom, its type and the (bond, type) of all its
  neighbours, and RDKit matches the query on each distinct star alone;

and for a one-cycle query of such atoms and bonds (``c1ccccc1``, ``C1CC1``) it takes every
molecule one of whose rings (read alone by RDKit) contains the query as a match; for one
cycle plus leaf atoms on it (``Brc1ccccc1``, ``FC1CC1``, ``Brc1ccc(Cl)cc1``) every molecule
the probe of one of whose *decorated* rings (the ring with one new atom per off-ring
neighbour, :mod:`molaudit.analytics.substructure_keys`) contains the query. Every other
molecule is screened with numpy (the query's pattern-fingerprint bits must all be set in the
molecule's; :mod:`molaudit.analytics.substructure_screen`, which also tightens SMARTS queries
whose unspecified bonds RDKit's query fingerprint skips), and the survivors are matched by
RDKit: a ``SubstructLibrary`` over their SMILES in a ``CachedTrustedSmilesMolHolder``
(re-read without full sanitization, RDKit's own recipe), ``numThreads`` threads. In every
case the answer is exactly the set a plain ``HasSubstructMatch`` loop over the sanitized
parents gives (``useChirality=False``, RDKit's default); ``tests/analytics/
test_substructure.py`` and ``test_substructure_library.py`` check that on ~100 queries and
hand-picked odd molecules (cubane, dative bonds, explicit hydrogens, selenophene...).

Measured 2026-12-02 (MOSES, quiet machine, load 1.2-1.5, ``benchmarks/bench_search.py
--parts substructure``), against that loop over already-parsed parents: at 100k every
selective query of the bench is x14 or more faster (bromobenzene x31.9, x8.1-9.3 before the
decorated rings; indole x20.4, quinoline x14.9, ``C(F)(F)F`` x57.7, cyclopropane x97.6), the
common ones x8 or more (benzene x8.3, amide x12.2, ``[#7]`` x21.8), 5-70 ms a query; the
table's SMARTS filter takes at most 0.05 s; at 20k bromobenzene is x14.7. What is left is
re-reading the survivors of queries that are neither stars nor one cycle (with or without
leaves): fused rings, chains, ~20-30 us a molecule; the first ring-plus-leaves query also
builds its probes (~10-20 ms at 100k, cached on the index). Building costs ~330 us a molecule
(the pattern fingerprint 60% of it; +30% for the types and keys, to which the decorated rings
add no measurable time: they come from the same pass over the bonds as the star keys; 9.2-9.9
s of CPU at 20k serially, 9.1-10.3 s without them, at load 3.3): 32.5 s at 100k on 2 cores,
once per batch.

A batch's index lives in a :class:`LibraryBuild`: read from the batch's disk cache (the
``analytics`` cache, key = batch key + the bytes format's name,
:data:`~molaudit.analytics.substructure_format.LIBRARY_FORMAT`), else built once and written
there; built in a daemon thread when the panel opens (:meth:`molaudit.Batch.show`) or
on first use; a caller that finds a build running waits for it (bounded) instead of starting
a second. :meth:`SubstructureIndex.to_bytes` / :meth:`~SubstructureIndex.from_bytes` are
plain bytes (a header, numpy arrays and the SMILES as UTF-8 text: never a Python pickle). The
molecule table's library of the input ``smiles`` is derived from the parents' one, parsing
only the molecules standardization changed (:meth:`SubstructureIndex.derived`; not written
to disk, the parents' one is). Survivors
are matched in slices so that a ``cancel`` event is honoured between slices.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import rdSubstructLibrary

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param, ParameterError
from molaudit.analytics.substructure_format import (
    LIBRARY_FORMAT,
    csr,
    csr_lists,
    library_bytes,
    pack_types,
    read_library,
)
from molaudit.analytics.substructure_keys import (
    DecoratedKey,
    decorated_columns,
    decorated_query_matches,
    library_keys,
)
from molaudit.analytics.substructure_screen import (
    FP_BITS,
    RingKey,
    StarKey,
    atom_codes,
    atom_query_mask,
    atom_types,
    irregular,
    pack,
    query_screens,
    ring_query_matches,
    screen,
    star_query_matches,
)

__all__ = ["LibraryBuild", "SubstructureIndex", "library", "parse_query", "substructure"]

logger = logging.getLogger("molaudit")

#: Survivors of the screen matched between two checks of the cancel event.
SLICE = 5_000


def parse_query(query: str) -> Chem.Mol:
    """A query molecule from SMARTS (tried first) or SMILES.

    Raises
    ------
    ParameterError
        Neither RDKit's SMARTS nor its SMILES parser accepts ``query``.
    """
    if not isinstance(query, str) or not query.strip():
        raise ParameterError(
            f"The 'query' parameter of substructure must be a non-empty SMARTS or SMILES; "
            f"got {query!r}."
        )
    text = query.strip()
    with rdBase.BlockLogs():  # a SMILES is not valid SMARTS at times: no log lines for it
        mol = Chem.MolFromSmarts(text)
        if mol is None:
            mol = Chem.MolFromSmiles(text)
    if mol is None:
        raise ParameterError(
            f"The 'query' parameter of substructure must be a SMARTS or SMILES RDKit can parse; "
            f"got {query!r}."
        )
    return mol


Entry = tuple[str, bytes, int, bytes, set[RingKey], set[StarKey], set[DecoratedKey]]
#: Flags of a molecule: a premise of the tightened SMARTS fails for it (screened with
#: RDKit's plain query fingerprint), or it has a dative bond (RDKit's pattern fingerprint
#: misses paths through those: never screened out, always matched)
#: A molecule without star keys (a dative bond, or a bond order that does not say its type)
#: is matched by RDKit on star queries.
IRREGULAR, UNSCREENED, NO_STARS = 1, 2, 4
_DATIVE = Chem.MolFromSmarts("[*]->[*]")


def _entries(smiles: Sequence[str | None]) -> list[Entry | None]:
    """(canonical SMILES, pattern fingerprint, flags, atom types, ring keys, star keys,
    decorated ring keys) of each SMILES; None when it does not parse."""
    out: list[Entry | None] = []
    blocker = rdBase.BlockLogs()  # noqa: F841 (logging is blocked while it lives)
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
        if mol is None:
            out.append(None)
            continue
        fp = DataStructs.BitVectToBinaryText(Chem.PatternFingerprint(mol, fpSize=FP_BITS))
        text = Chem.MolToSmiles(mol)
        codes = atom_codes(mol, text)
        flags = IRREGULAR * irregular(mol) | UNSCREENED * mol.HasSubstructMatch(_DATIVE)
        rings, stars, decorated = library_keys(mol, codes)
        if stars is None:  # a bond beyond single..aromatic: never screened out either
            flags, stars = flags | NO_STARS | UNSCREENED, set()
        out.append((text, fp, flags, atom_types(mol, codes), rings, stars, decorated))
    return out


def _all_entries(smiles: Sequence[str | None], n_jobs: int) -> list[Entry | None]:
    if n_jobs != 1 and len(smiles) >= 20_000:
        from joblib import Parallel, delayed

        size = max(2_000, len(smiles) // (4 * max(n_jobs, 1)) + 1)
        chunks = [list(smiles[i : i + size]) for i in range(0, len(smiles), size)]
        parts = Parallel(n_jobs=n_jobs)(delayed(_entries)(c) for c in chunks)
        return [e for part in parts for e in part]
    return _entries(smiles)


class SubstructureIndex:
    """Pattern fingerprints and canonical SMILES of molecules given as SMILES, with their rows.

    Parameters
    ----------
    smiles : sequence of str
        SMILES of the molecules (entries that do not parse are left out).
    rows : array-like of int
        Input row of each SMILES.
    n_jobs : int
        Worker processes used to parse and fingerprint (1: in this process).
    """

    def __init__(self, smiles: Sequence[str | None], rows: Sequence[int], n_jobs: int = 1) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) != len(smiles):
            raise ValueError(f"rows ({len(rows)}) and smiles ({len(smiles)}) differ in length")
        self._set(rows, _all_entries(smiles, n_jobs))

    def _set(self, rows: np.ndarray, entries: Sequence[Entry | None]) -> None:
        kept = [(row, e) for row, e in zip(rows, entries, strict=True) if e is not None]
        vocab: dict[RingKey, int] = {}
        rings = [[vocab.setdefault(key, len(vocab)) for key in e[4]] for _, e in kept]
        star_vocab: dict[StarKey, int] = {}
        stars = [[star_vocab.setdefault(key, len(star_vocab)) for key in e[5]] for _, e in kept]
        deco_vocab: dict[DecoratedKey, int] = {}
        decos = [[deco_vocab.setdefault(key, len(deco_vocab)) for key in e[6]] for _, e in kept]
        deco_rings, deco_types = decorated_columns(list(deco_vocab), vocab)
        self._arrays(
            np.asarray([row for row, _ in kept], dtype=np.int64),
            # RDKit canonical SMILES, re-read without full sanitization when matched;
            # checked against HasSubstructMatch on the sanitized parents by tests/analytics/
            # test_substructure.py (ring, H-count, charge and recursive queries included)
            [e[0] for _, e in kept],
            pack([e[1] for _, e in kept]),
            np.fromiter((e[2] for _, e in kept), np.uint8, len(kept)),
            pack_types([e[3] for _, e in kept]),
            rings,
            list(vocab),
            stars,
            list(star_vocab),
            decos,
            list(deco_vocab),
            deco_rings,
            deco_types,
        )

    def _arrays(
        self,
        rows: np.ndarray,
        smiles: list[str],
        fingerprints: np.ndarray,
        flags: np.ndarray,
        types: np.ndarray,
        rings: list[list[int]],
        vocab: list[RingKey],
        stars: list[list[int]],
        star_vocab: list[StarKey],
        decos: list[list[int]],
        deco_vocab: list[DecoratedKey],
        deco_rings: np.ndarray,
        deco_types: np.ndarray,
    ) -> None:
        """Set the columns, ordered by ascending row (``rings``: ids into ``vocab`` of each
        molecule's ring keys; likewise ``stars`` and ``decos``; ``deco_rings``: the ring
        key of each decorated key, an id into ``vocab``; ``deco_types``: its off-ring atom
        types, ``(ATOM_WORDS, len(deco_vocab))`` words)."""
        order = np.argsort(rows, kind="stable")
        if np.any(order != np.arange(len(order))):
            rows, flags = rows[order], flags[order]
            smiles = [smiles[i] for i in order]
            rings = [rings[i] for i in order]
            stars = [stars[i] for i in order]
            decos = [decos[i] for i in order]
            fingerprints, types = fingerprints[:, order], types[:, order]
        self.rows = np.asarray(rows, dtype=np.int64)
        self.smiles = smiles
        self.fingerprints = np.ascontiguousarray(fingerprints, dtype=np.uint64)
        self.flags = np.asarray(flags, dtype=np.uint8)
        self.types = np.ascontiguousarray(types, dtype=np.uint64)
        self.ring_vocab = vocab
        self.ring_ptr, self.ring_ids = csr(rings)
        self.star_vocab = star_vocab
        self.star_ptr, self.star_ids = csr(stars)
        self.deco_vocab = deco_vocab
        self.deco_ptr, self.deco_ids = csr(decos)
        self.deco_rings = np.asarray(deco_rings, dtype=np.int64)
        self.deco_types = np.ascontiguousarray(deco_types, dtype=np.uint64)

    @property
    def odd(self) -> np.ndarray:
        """Positions (ascending) of the molecules a tightened query cannot screen."""
        return np.flatnonzero(self.flags & IRREGULAR)

    @classmethod
    def derived(
        cls,
        smiles: Sequence[str | None],
        rows: Sequence[int],
        base: SubstructureIndex,
        same: Sequence[bool],
        n_jobs: int = 1,
    ) -> SubstructureIndex:
        """An index of ``smiles`` (with their ``rows``) that takes from ``base`` every
        molecule where ``same`` says the structure is the one ``base`` holds for that row,
        so only the others are parsed (e.g. the table's input ``smiles`` from the library of
        the parents: the same where standardization changed nothing)."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows) == len(smiles) == len(same):
            raise ValueError("rows, smiles and same differ in length")
        in_base = np.zeros(len(rows), dtype=bool)
        where = np.zeros(len(rows), dtype=np.int64)
        if len(base):
            where = np.minimum(np.searchsorted(base.rows, rows), len(base) - 1)
            in_base = np.asarray(same, dtype=bool) & (base.rows[where] == rows)
        if in_base.all() and np.array_equal(rows, base.rows):
            return base  # the same rows and structures: the same index
        fresh = np.flatnonzero(~in_base)
        parsed = cls([smiles[i] for i in fresh], rows[fresh], n_jobs=n_jobs)
        take = where[in_base]
        vocab = {key: i for i, key in enumerate(base.ring_vocab)}
        remap = [vocab.setdefault(key, len(vocab)) for key in parsed.ring_vocab]
        base_rings = csr_lists(base.ring_ptr, base.ring_ids)
        star_vocab = {key: i for i, key in enumerate(base.star_vocab)}
        star_remap = [star_vocab.setdefault(key, len(star_vocab)) for key in parsed.star_vocab]
        base_stars = csr_lists(base.star_ptr, base.star_ids)
        deco_vocab = {key: i for i, key in enumerate(base.deco_vocab)}
        deco_remap = [deco_vocab.setdefault(key, len(deco_vocab)) for key in parsed.deco_vocab]
        fresh_keys = [i for i, j in enumerate(deco_remap) if j >= len(base.deco_vocab)]
        ring_remap = np.asarray(remap, dtype=np.int64)
        base_decos = csr_lists(base.deco_ptr, base.deco_ids)
        self = cls.__new__(cls)
        self._arrays(
            np.concatenate([rows[in_base], parsed.rows]),
            [base.smiles[p] for p in take] + parsed.smiles,
            np.concatenate([base.fingerprints[:, take], parsed.fingerprints], axis=1),
            np.concatenate([base.flags[take], parsed.flags]),
            np.concatenate([base.types[:, take], parsed.types], axis=1),
            [base_rings[p] for p in take]
            + [[remap[i] for i in r] for r in csr_lists(parsed.ring_ptr, parsed.ring_ids)],
            list(vocab),
            [base_stars[p] for p in take]
            + [[star_remap[i] for i in r] for r in csr_lists(parsed.star_ptr, parsed.star_ids)],
            list(star_vocab),
            [base_decos[p] for p in take]
            + [[deco_remap[i] for i in r] for r in csr_lists(parsed.deco_ptr, parsed.deco_ids)],
            list(deco_vocab),
            np.concatenate([base.deco_rings, ring_remap[parsed.deco_rings[fresh_keys]]]),
            np.concatenate([base.deco_types, parsed.deco_types[:, fresh_keys]], axis=1),
        )
        return self

    @classmethod
    def from_bytes(cls, blob: bytes) -> SubstructureIndex:
        """An index from :meth:`to_bytes` output (numpy arrays and text, no Python pickle;
        checked by :func:`~molaudit.analytics.substructure_format.read_library`)."""
        self = cls.__new__(cls)
        self.__dict__.update(read_library(blob, IRREGULAR | UNSCREENED | NO_STARS))
        return self

    def to_bytes(self) -> bytes:
        """Plain bytes (:mod:`molaudit.analytics.substructure_format`)."""
        return library_bytes(self)

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def candidates(self, query: Chem.Mol) -> np.ndarray:
        """Library positions (ascending) whose fingerprint passes the query's screen."""
        passed = screen(self.fingerprints, self.odd, query_screens(query))
        loose = np.flatnonzero(self.flags & UNSCREENED)
        return np.union1d(passed, loose) if len(loose) else passed

    def _by_atom_type(self, query: Chem.Mol) -> np.ndarray | None:
        """Positions matching a one-atom query on element/aromaticity alone (no parse), or
        None when the query is not of that kind (see :func:`atom_query_mask`)."""
        if query.GetNumAtoms() != 1:
            return None
        mask = atom_query_mask(query, np.bitwise_or.reduce(self.types, axis=1))
        if mask is None:
            return None
        hit = np.zeros(len(self), dtype=bool)
        for j in np.flatnonzero(mask):
            hit |= (self.types[j] & mask[j]) != 0
        return np.flatnonzero(hit)

    def _by_stars(self, query: Chem.Mol) -> tuple[np.ndarray, np.ndarray] | None:
        """For a star query (:func:`~molaudit.analytics.substructure_screen.star_query_size`):
        the positions that contain it among the molecules with star keys (an exact answer),
        and the screened molecules without star keys, which are still to be matched; None
        for other queries."""
        probes = self.__dict__.setdefault("_star_probes", {})
        keys = star_query_matches(query, self.star_vocab, probes)
        if keys is None:
            return None
        proven = self._owners(keys, len(self.star_vocab), self.star_ptr, self.star_ids)
        rest = np.flatnonzero(self.flags & NO_STARS)
        if len(rest):
            rest = np.intersect1d(rest, self.candidates(query), assume_unique=True)
        return proven, rest

    def _by_rings(self, query: Chem.Mol) -> np.ndarray | None:
        """Positions (ascending) proven to contain a one-cycle query because one of their
        rings, read alone, contains it (:func:`~molaudit.analytics.substructure_screen.
        ring_query_matches`); None for other queries. Not proven is not a no."""
        keys = ring_query_matches(
            query, self.ring_vocab, self.__dict__.setdefault("_ring_probes", {})
        )
        if keys is None:
            return None
        return self._owners(keys, len(self.ring_vocab), self.ring_ptr, self.ring_ids)

    def _by_decorated(self, query: Chem.Mol) -> np.ndarray | None:
        """Positions (ascending) proven to contain a ring-plus-leaves query because the
        probe of one of their decorated rings contains it (:mod:`molaudit.analytics.
        substructure_keys`); None for other queries. Not proven is not a no."""
        keys = decorated_query_matches(
            query,
            self.deco_vocab,
            self.deco_rings,
            self.deco_types,
            self.ring_vocab,
            self.__dict__.setdefault("_deco_probes", {}),
            self.__dict__.setdefault("_ring_probes", {}),
        )
        if keys is None:
            return None
        return self._owners(keys, len(self.deco_vocab), self.deco_ptr, self.deco_ids)

    def _owners(
        self, keys: np.ndarray, n_keys: int, ptr: np.ndarray, ids: np.ndarray
    ) -> np.ndarray:
        """Positions (ascending) of the molecules holding any of the vocabulary ids ``keys``
        (their key lists as CSR ``ptr`` / ``ids``)."""
        wanted = np.zeros(n_keys, dtype=bool)
        wanted[keys] = True
        owner = np.repeat(np.arange(len(self), dtype=np.int64), np.diff(ptr))
        return np.unique(owner[wanted[ids]])

    def search(self, query: Chem.Mol, *, cancel: Any = None, num_threads: int = -1) -> np.ndarray:
        """Input rows (ascending) of the molecules containing ``query``.

        ``cancel`` (a ``threading.Event`` or anything with ``is_set``) is checked between
        slices of :data:`SLICE` screened molecules; when set, raises
        :class:`~molaudit.analytics.AnalyticCancelled`. ``num_threads`` goes to
        ``SubstructLibrary.GetMatches`` (-1: all cores).
        """
        from molaudit.analytics._base import AnalyticCancelled

        if cancel is not None and cancel.is_set():
            raise AnalyticCancelled("substructure search was cancelled")
        direct = self._by_atom_type(query)
        if direct is not None:
            return np.sort(self.rows[direct])
        stars = self._by_stars(query)
        if stars is not None:  # exact for every molecule with star keys: match the others
            proven, survivors = stars
        else:
            survivors = self.candidates(query)
            proven = self._by_rings(query)
            if proven is None:
                proven = self._by_decorated(query)
        if proven is not None:  # those need no parse; the rest of the survivors are matched
            survivors = survivors[~np.isin(survivors, proven, assume_unique=True)]
        hits: list[np.ndarray] = [] if proven is None else [proven]
        if len(survivors):
            hits += self._match(query, survivors, cancel, num_threads)
        positions = np.concatenate(hits) if hits else np.zeros(0, dtype=np.int64)
        return np.sort(self.rows[positions])

    def _match(
        self, query: Chem.Mol, survivors: np.ndarray, cancel: Any, num_threads: int
    ) -> list[np.ndarray]:
        """Positions among ``survivors`` that RDKit matches, slice by slice."""
        from molaudit.analytics._base import AnalyticCancelled

        # one holder and one library per search; the slices only bound the cancel latency
        holder = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
        smiles = self.smiles
        for i in survivors.tolist():
            holder.AddSmiles(smiles[i])
        matcher = rdSubstructLibrary.SubstructLibrary(holder)
        hits: list[np.ndarray] = []
        for start in range(0, len(survivors), SLICE):
            if cancel is not None and cancel.is_set():
                raise AnalyticCancelled("substructure search was cancelled")
            end = min(start + SLICE, len(survivors))
            found = matcher.GetMatches(
                query,
                start,
                end,
                recursionPossible=True,
                useChirality=False,
                useQueryQueryMatches=False,
                numThreads=num_threads,
                maxResults=-1,
            )
            hits.append(survivors[np.fromiter(found, dtype=np.int64, count=len(found))])
        return hits


#: Columns a batch's library can index: the parents, and the input as parsed (derived).
LIBRARY_COLUMNS = ("std_smiles", "smiles")
#: Seconds a caller waits for a library another thread is building (then it gives up).
WAIT_SECONDS = 900.0


class LibraryBuild:
    """One library, built once: from the disk cache, in a background thread or on first use.

    Parameters
    ----------
    make : callable
        Builds the :class:`SubstructureIndex` (slow).
    store : molaudit.run.cache.Store, optional
        Where the library is kept as bytes (``analytics`` cache, key ``key``).
    key : str, optional
        Disk-cache key (the batch key, the column and
        :data:`~molaudit.analytics.substructure_format.LIBRARY_FORMAT`).

    Notes
    -----
    At most one build runs at a time: a caller that finds one running (in the background or
    in another thread) waits for it, at most ``timeout`` seconds, instead of building a
    second. A background build that fails is logged (logger ``molaudit``) and never raised;
    the next :meth:`get` then builds in the caller, where an error is the caller's.
    """

    def __init__(
        self, make: Callable[[], SubstructureIndex], *, store: Any = None, key: str | None = None
    ) -> None:
        self._make = make
        self._store = store
        self._key = key
        self._lock = threading.Lock()
        self._index: SubstructureIndex | None = None
        self._building: threading.Event | None = None
        self.thread: threading.Thread | None = None
        #: 'cache' (read from disk) or 'built', once there is an index
        self.source: str | None = None
        #: seconds the read or the build took
        self.seconds: float | None = None
        #: the last background failure, as text
        self.error: str | None = None

    @property
    def ready(self) -> bool:
        """True when the index is there (no wait)."""
        return self._index is not None

    def start(self) -> bool:
        """Build (or read) in a daemon thread; False when built, or a build is running."""
        with self._lock:
            if self._index is not None or self._building is not None:
                return False
            self._building = threading.Event()
        self.thread = threading.Thread(
            target=self._background, name="molaudit-substructure-library", daemon=True
        )
        self.thread.start()
        return True

    def _background(self) -> None:
        try:
            self._produce()
        except BaseException as exc:  # never raised into anyone's cell: logged
            self.error = f"{type(exc).__name__}: {exc}"
            logger.warning("background substructure library build failed: %s", self.error)

    def get(self, *, timeout: float = WAIT_SECONDS, cancel: Any = None) -> SubstructureIndex:
        """The index: now when there, after a running build (bounded), else built here.

        Raises
        ------
        TimeoutError
            Another build is still running after ``timeout`` seconds.
        AnalyticCancelled
            ``cancel`` was set while waiting.
        """
        from molaudit.analytics._base import AnalyticCancelled

        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._index is not None:
                    return self._index
                running = self._building
                if running is None:
                    self._building = threading.Event()
            if running is None:
                return self._produce()
            while not running.wait(0.1):
                if cancel is not None and cancel.is_set():
                    raise AnalyticCancelled("substructure search was cancelled")
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the substructure library is still being built after {timeout:.0f} s"
                    )
            # that build is over: the index is there, or it failed and this caller builds

    def _produce(self) -> SubstructureIndex:
        """Read or build the index; the caller has set ``_building``."""
        try:
            t0 = time.perf_counter()
            index, source = self._read(), "cache"
            if index is None:
                index, source = self._make(), "built"
                self._write(index)
            with self._lock:
                self._index, self.source = index, source
                self.seconds = time.perf_counter() - t0
            return index
        finally:
            with self._lock:
                event, self._building = self._building, None
            if event is not None:
                event.set()

    def _read(self) -> SubstructureIndex | None:
        if self._store is None or self._key is None:
            return None
        blob = self._store.get_bytes("analytics", self._key)
        if blob is None:
            return None
        try:
            return SubstructureIndex.from_bytes(blob)
        except ValueError:  # damaged or another format: rebuilt and overwritten
            self._store.discard("analytics", self._key)
            return None

    def _write(self, index: SubstructureIndex) -> None:
        if self._store is not None and self._key is not None:
            self._store.set_bytes("analytics", self._key, index.to_bytes())


def _library_inputs(data: AnalyticInput, column: str) -> tuple[list[str | None], np.ndarray]:
    table = data.table
    if column not in table.columns:
        column = "smiles"
    valid = table["status"].to_numpy() != "error" if "status" in table.columns else None
    smiles = table[column].to_numpy(dtype=object)
    rows = table["row"].to_numpy(dtype=np.int64)
    if valid is not None and column == "std_smiles":
        smiles, rows = smiles[valid], rows[valid]
    return [s if isinstance(s, str) else None for s in smiles], rows


def library_build(
    data: AnalyticInput, column: str = "std_smiles", *, store: Any = None, key: str | None = None
) -> LibraryBuild:
    """The :class:`LibraryBuild` of ``data`` for ``column``, one per input (``data.memo``).

    ``std_smiles`` (the parents of the non-error rows) is what :func:`substructure`
    searches; ``smiles`` (the input as parsed, every row) is what the molecule table shows,
    and its library takes every molecule standardization left unchanged from the parents'.
    The first caller's ``store`` and ``key`` (the batch's disk cache and key) are kept; a
    batch registers them before anything else (:meth:`molaudit.Batch.substructure_library`).
    """
    if column not in LIBRARY_COLUMNS:
        raise ParameterError(
            f"The 'column' parameter of the substructure library must be one of "
            f"{', '.join(LIBRARY_COLUMNS)}; got {column!r}."
        )
    if store is None:
        store, key = data.memo("substructure_store", lambda: (None, None))
    n_jobs = data.n_jobs if isinstance(data.n_jobs, int) else 1
    cache_key = None
    derived = column == "smiles" and "std_smiles" in data.table.columns
    # a derived library is not written: made again from the parents' it parses only the
    # molecules standardization changed, and on disk it would double the entry
    if store is not None and key is not None and not derived:
        from molaudit.run.cache import digest

        cache_key = digest(key, "substructure-library", LIBRARY_FORMAT, column)

    def make() -> SubstructureIndex:
        smiles, rows = _library_inputs(data, column)
        if derived:
            base = library_build(data, "std_smiles").get()
            table = data.table
            same = table["smiles"].to_numpy(object) == table["std_smiles"].to_numpy(object)
            return SubstructureIndex.derived(smiles, rows, base, same, n_jobs=n_jobs)
        return SubstructureIndex(smiles, rows, n_jobs=n_jobs)

    return data.memo(
        f"substructure_library:{column}", lambda: LibraryBuild(make, store=store, key=cache_key)
    )


def library(data: AnalyticInput) -> SubstructureIndex:
    """The batch's :class:`SubstructureIndex` of the parents: read from the batch's disk
    cache, or built once (waiting for a build already running), and kept in ``data.memo``."""
    return library_build(data).get(cancel=data.cancel_event)


SUBSTRUCTURE_PARAMS = (
    Param(
        "query",
        "smarts",
        None,
        "SMARTS (or SMILES) the molecule's standardized parent must contain.",
        required=True,
        label="Substructure",
    ),
)


@register(
    "substructure",
    kind="expensive",
    description="the input rows whose parent contains a SMARTS or SMILES substructure",
    params=SUBSTRUCTURE_PARAMS,
    frames={"matches": ("row", "id")},
)
def substructure(data: AnalyticInput, query: str) -> AnalyticResult:
    """Rows whose standardized parent contains ``query`` (exact, screened by pattern bits).

    Parameters
    ----------
    data : AnalyticInput
        The batch (its cancel event is checked between slices of the library).
    query : str
        SMARTS, or SMILES when it is not valid SMARTS (see :func:`parse_query`).

    Returns
    -------
    AnalyticResult
        Frame ``matches`` with columns

        - ``row`` : input row of a matching molecule (ascending)
        - ``id`` : its ID

        and summary ``n_matches``, ``n_searched`` (molecules in the library), ``seconds``
        (search time, library build excluded) and ``build_seconds`` (0 when it was built
        before).
    """
    params = {"query": query}
    mol = parse_query(query)
    if len(data.table) == 0 or "row" not in data.table.columns:
        return empty_result("substructure", "the batch is empty", params)
    t0 = time.perf_counter()
    index = library(data)
    t1 = time.perf_counter()
    rows = index.search(mol, cancel=data.cancel_event)
    seconds = time.perf_counter() - t1
    from molaudit.analytics.similarity.index import row_lookup

    matches = pd.DataFrame({"row": rows, "id": row_lookup(data, rows, "id")})
    summary = {
        "n_matches": len(rows),
        "n_searched": len(index),
        "seconds": seconds,
        "build_seconds": t1 - t0,
    }
    return AnalyticResult("substructure", {"matches": matches}, summary, params)
