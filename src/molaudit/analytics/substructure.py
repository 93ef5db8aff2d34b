"""Substructure search over a batch: RDKit's ``SubstructLibrary`` with pattern fingerprints.

The library holds the standardized parent of every non-error row (``std_smiles``, parsed once,
kept as its RDKit canonical SMILES in a ``CachedTrustedSmilesMolHolder``: ~50 bytes a molecule,
where a ``MolHolder`` of live molecules took 28 kB, 2.8 GB at 100k, and a ``CachedMolHolder`` of
binary pickles was twice as slow to search) and its RDKit pattern fingerprint (``PatternHolder``,
2048 bits). A query only has to be matched against the molecules whose
pattern fingerprint contains every bit of the query's, which is what makes selective queries
fast; the answer is exactly the set a plain ``HasSubstructMatch`` loop over the parents gives
(``useChirality=False``, RDKit's default for ``HasSubstructMatch``).

The library is built on first use and kept with the batch in memory (``data.memo``).
:meth:`SubstructureIndex.to_bytes` / :meth:`~SubstructureIndex.from_bytes` turn it into plain
bytes (a header, the rows and RDKit's own ``Serialize()`` output: binary RDKit data, never a
Python pickle) for a disk cache; the analytics input carries no cache store yet, so that is not
wired in. Searches run in slices of the library so that a ``cancel`` event is honoured between
slices.
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

__all__ = ["SubstructureIndex", "parse_query", "substructure"]

FP_BITS = 2048
#: Library entries searched between two checks of the cancel event.
SLICE = 25_000
_LIBRARY_FORMAT = "substructure-library-1"


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


def _entries(smiles: Sequence[str | None]) -> list[tuple[str, bytes] | None]:
    """(canonical SMILES, pattern fingerprint) of each SMILES, None when it does not parse."""
    out: list[tuple[str, bytes] | None] = []
    blocker = rdBase.BlockLogs()  # noqa: F841 (logging is blocked while it lives)
    for s in smiles:
        mol = Chem.MolFromSmiles(s) if isinstance(s, str) and s else None
        if mol is None:
            out.append(None)
            continue
        fp = Chem.PatternFingerprint(mol, fpSize=FP_BITS)
        out.append((Chem.MolToSmiles(mol), fp.ToBinary()))
    return out


class SubstructureIndex:
    """A ``SubstructLibrary`` over molecules given as SMILES, with their input rows.

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
        # RDKit canonical SMILES, re-read without full sanitization when matched; checked
        # against HasSubstructMatch on the sanitized parents by tests/analytics/
        # test_substructure.py (ring, H-count, charge and recursive queries included)
        mols = rdSubstructLibrary.CachedTrustedSmilesMolHolder()
        fps = rdSubstructLibrary.PatternHolder(FP_BITS)
        kept = []
        for row, entry in zip(rows, entries, strict=True):
            if entry is None:
                continue
            mols.AddSmiles(entry[0])
            fps.AddFingerprint(DataStructs.ExplicitBitVect(entry[1]))
            kept.append(row)
        self.library = rdSubstructLibrary.SubstructLibrary(mols, fps)
        self.rows = np.asarray(kept, dtype=np.int64)

    @classmethod
    def from_bytes(cls, blob: bytes) -> SubstructureIndex:
        """An index from :meth:`to_bytes` output (RDKit serialization, no Python pickle)."""
        header, _, rest = blob.partition(b"\n")
        if header.decode("ascii", "replace") != _LIBRARY_FORMAT:
            raise ValueError("not a molaudit substructure library")
        n = int(np.frombuffer(rest[:8], dtype="<i8")[0])
        self = cls.__new__(cls)
        self.rows = np.frombuffer(rest[8 : 8 + 8 * n], dtype="<i8").astype(np.int64)
        self.library = rdSubstructLibrary.SubstructLibrary(rest[8 + 8 * n :])
        if len(self.library) != n:
            raise ValueError("substructure library and its rows differ in length")
        return self

    def to_bytes(self) -> bytes:
        """Plain bytes: a header line, the rows (int64) and ``SubstructLibrary.Serialize()``."""
        rows = np.ascontiguousarray(self.rows, dtype="<i8")
        return (
            _LIBRARY_FORMAT.encode("ascii")
            + b"\n"
            + np.int64(len(rows)).astype("<i8").tobytes()
            + rows.tobytes()
            + self.library.Serialize()
        )

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    def search(self, query: Chem.Mol, *, cancel: Any = None, num_threads: int = -1) -> np.ndarray:
        """Input rows (ascending) of the molecules containing ``query``.

        ``cancel`` (a ``threading.Event`` or anything with ``is_set``) is checked between
        slices of :data:`SLICE` library entries; when set, raises
        :class:`~molaudit.analytics.AnalyticCancelled`.
        """
        from molaudit.analytics._base import AnalyticCancelled

        hits: list[np.ndarray] = []
        n = len(self)
        for start in range(0, n, SLICE):
            if cancel is not None and cancel.is_set():
                raise AnalyticCancelled("substructure search was cancelled")
            end = min(start + SLICE, n)
            found = self.library.GetMatches(query, start, end, True, False, False, num_threads, -1)
            hits.append(np.fromiter(found, dtype=np.int64, count=len(found)))
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
