"""Substructure search over a batch: pattern-fingerprint screen, then RDKit's ``SubstructLibrary``.

The index holds the standardized parent of every non-error row (``std_smiles``, parsed once):
its RDKit canonical SMILES (~50 bytes), its RDKit pattern fingerprint (2048 bits, packed as
``uint64`` word columns, 256 bytes) and one flag: 356 bytes a molecule in memory and 300 as
bytes at 20k MOSES. A ``MolHolder`` of live molecules took 28 kB a molecule (2.8 GB at 100k),
so no molecule is kept parsed.

A search screens every molecule at once with numpy (the query's fingerprint bits must all be
set in the molecule's; :mod:`molaudit.analytics.substructure_screen`, which also tightens
SMARTS queries whose unspecified bonds RDKit's query fingerprint skips), then matches only
the survivors with RDKit: a ``SubstructLibrary`` over their SMILES in a
``CachedTrustedSmilesMolHolder`` (re-read without full sanitization, RDKit's own recipe),
``numThreads`` threads. The answer is exactly the set a plain ``HasSubstructMatch`` loop over
the sanitized parents gives (``useChirality=False``, RDKit's default for
``HasSubstructMatch``); ``tests/analytics/test_substructure.py`` checks that on 54 queries.

Where the time goes (MOSES, 2 cores, measured 2026-12-02, ``benchmarks/bench_search.py``):
the screen takes 1-2 ms at 100k and lets through few more molecules than match (indole: 2,393
for 1,157 matches; RDKit's own screen of the SMARTS let through 16x more at 20k). What is left
is re-reading each survivor's SMILES, about 3x what the loop spends on one pre-parsed
molecule; so the search is >= 10x faster than a ``HasSubstructMatch`` loop over pre-parsed
parents when about 2% of the molecules match or fewer, 2-7x at 3-11%, and 3x slower than that
loop for a query most molecules match (benzene: 3.5 s at 100k, against 1.1 s for the loop
and 10.6 s to parse the loop's molecules in the first place).

The index is built on first use and kept with the batch in memory (``data.memo``).
:meth:`SubstructureIndex.to_bytes` / :meth:`~SubstructureIndex.from_bytes` turn it into plain
bytes (a header, numpy arrays and the SMILES as UTF-8 text: never a Python pickle) for a disk
cache; the analytics input carries no cache store yet, so that is not wired in. Survivors are
matched in slices so that a ``cancel`` event is honoured between slices.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, DataStructs, rdBase
from rdkit.Chem import rdSubstructLibrary

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param, ParameterError
from molaudit.analytics.substructure_screen import (
    FP_BITS,
    WORDS,
    irregular,
    pack,
    query_screens,
    screen,
)

__all__ = ["SubstructureIndex", "parse_query", "substructure"]

#: Survivors of the screen matched between two checks of the cancel event.
SLICE = 5_000
_LIBRARY_FORMAT = "substructure-library-2"


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


def _entries(smiles: Sequence[str | None]) -> list[tuple[str, bytes, bool] | None]:
    """(canonical SMILES, pattern fingerprint, irregular) of each SMILES; None when it does
    not parse."""
    out: list[tuple[str, bytes, bool] | None] = []
    blocker = rdBase.BlockLogs()  # noqa: F841 (logging is blocked while it lives)
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
        if mol is None:
            out.append(None)
            continue
        fp = Chem.PatternFingerprint(mol, fpSize=FP_BITS)
        out.append((Chem.MolToSmiles(mol), DataStructs.BitVectToBinaryText(fp), irregular(mol)))
    return out


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
        if n_jobs != 1 and len(smiles) >= 20_000:
            from joblib import Parallel, delayed

            size = max(2_000, len(smiles) // (4 * max(n_jobs, 1)) + 1)
            chunks = [list(smiles[i : i + size]) for i in range(0, len(smiles), size)]
            parts = Parallel(n_jobs=n_jobs)(delayed(_entries)(c) for c in chunks)
            entries = [e for part in parts for e in part]
        else:
            entries = _entries(smiles)
        kept = [(row, e) for row, e in zip(rows, entries, strict=True) if e is not None]
        self.rows = np.asarray([row for row, _ in kept], dtype=np.int64)
        # RDKit canonical SMILES, re-read without full sanitization when matched; checked
        # against HasSubstructMatch on the sanitized parents by tests/analytics/
        # test_substructure.py (ring, H-count, charge and recursive queries included)
        self.smiles = [e[0] for _, e in kept]
        self.fingerprints = pack([e[1] for _, e in kept])
        self.odd = np.flatnonzero(np.fromiter((e[2] for _, e in kept), bool, len(kept)))

    @classmethod
    def from_bytes(cls, blob: bytes) -> SubstructureIndex:
        """An index from :meth:`to_bytes` output (numpy arrays and text, no Python pickle)."""
        header, _, rest = blob.partition(b"\n")
        if header.decode("ascii", "replace") != _LIBRARY_FORMAT:
            raise ValueError("not a molaudit substructure library")
        view = memoryview(rest)
        if len(view) < 16:
            raise ValueError("substructure library is truncated")
        n, n_odd = (int(x) for x in np.frombuffer(view[:16], dtype="<i8"))
        if n < 0 or not 0 <= n_odd <= n or len(view) < 16 + 8 * (n + n_odd + WORDS * n):
            raise ValueError("substructure library is truncated or damaged")
        offset = 16
        self = cls.__new__(cls)
        self.rows = np.frombuffer(view[offset : offset + 8 * n], dtype="<i8").astype(np.int64)
        offset += 8 * n
        self.odd = np.frombuffer(view[offset : offset + 8 * n_odd], dtype="<i8").astype(np.int64)
        offset += 8 * n_odd
        size = 8 * WORDS * n
        self.fingerprints = (
            np.frombuffer(view[offset : offset + size], dtype="<u8")
            .astype(np.uint64)
            .reshape(WORDS, n)
        )
        offset += size
        text = bytes(view[offset:]).decode("utf-8")
        self.smiles = text.split("\n") if n else []
        if len(self.smiles) != n or len(self.rows) != n:
            raise ValueError("substructure library and its rows differ in length")
        if n_odd and (self.odd[0] < 0 or self.odd[-1] >= n or np.any(np.diff(self.odd) <= 0)):
            raise ValueError("substructure library is damaged (irregular positions)")
        return self

    def to_bytes(self) -> bytes:
        """Plain bytes: a header line, sizes, rows, irregular positions, fingerprint words
        (all little-endian) and the SMILES joined by newlines."""
        return b"".join(
            [
                _LIBRARY_FORMAT.encode("ascii") + b"\n",
                np.asarray([len(self.rows), len(self.odd)], dtype="<i8").tobytes(),
                np.ascontiguousarray(self.rows, dtype="<i8").tobytes(),
                np.ascontiguousarray(self.odd, dtype="<i8").tobytes(),
                np.ascontiguousarray(self.fingerprints, dtype="<u8").tobytes(),
                "\n".join(self.smiles).encode("utf-8"),
            ]
        )

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def candidates(self, query: Chem.Mol) -> np.ndarray:
        """Library positions (ascending) whose fingerprint passes the query's screen."""
        return screen(self.fingerprints, self.odd, query_screens(query))

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
        survivors = self.candidates(query)
        hits: list[np.ndarray] = []
        for start in range(0, len(survivors), SLICE):
            if cancel is not None and cancel.is_set():
                raise AnalyticCancelled("substructure search was cancelled")
            part = survivors[start : start + SLICE]
            holder = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
            for i in part:
                holder.AddSmiles(self.smiles[i])
            found = rdSubstructLibrary.SubstructLibrary(holder).GetMatches(
                query,
                recursionPossible=True,
                useChirality=False,
                useQueryQueryMatches=False,
                numThreads=num_threads,
                maxResults=-1,
            )
            hits.append(part[np.fromiter(found, dtype=np.int64, count=len(found))])
        positions = np.concatenate(hits) if hits else np.zeros(0, dtype=np.int64)
        return np.sort(self.rows[positions])


def _library_inputs(data: AnalyticInput) -> tuple[list[str | None], np.ndarray]:
    table = data.table
    column = "std_smiles" if "std_smiles" in table.columns else "smiles"
    valid = table["status"].to_numpy() != "error" if "status" in table.columns else None
    smiles = table[column].to_numpy(dtype=object)
    rows = table["row"].to_numpy(dtype=np.int64)
    if valid is not None:
        smiles, rows = smiles[valid], rows[valid]
    return [s if isinstance(s, str) else None for s in smiles], rows


def library(data: AnalyticInput) -> SubstructureIndex:
    """The batch's :class:`SubstructureIndex`, built on first use and kept in ``data.memo``."""

    def build() -> SubstructureIndex:
        smiles, rows = _library_inputs(data)
        n_jobs = data.n_jobs if isinstance(data.n_jobs, int) else 1
        return SubstructureIndex(smiles, rows, n_jobs=n_jobs)

    return data.memo("substructure_library", build)


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
