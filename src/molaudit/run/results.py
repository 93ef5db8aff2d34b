"""Collect per-molecule results into typed, columnar chunks as they arrive.

Holding one Python dict per row would cost several GB at a million rows; decoded chunks are
turned into typed DataFrames (Arrow-backed strings, numpy numbers) right away, so the memory of
a finished batch is that of its table and fingerprints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molaudit.run.cache import decode_molecule
from molaudit.schema import AUDIT_COLUMNS

__all__ = ["RECORD_COLUMNS", "ResultAccumulator", "typed_records"]

#: The audit columns produced per molecule (the rest come from the input).
RECORD_COLUMNS = [c for c in AUDIT_COLUMNS if c not in {"row", "id", "activity", "activity_note"}]

_INT_COLUMNS = (
    "n_fragments", "hbd", "hba", "rotatable_bonds", "heavy_atoms", "rings", "aromatic_rings",
    "formal_charge", "lipinski_violations",
)  # fmt: skip
_BOOL_COLUMNS = ("std_changed", "veber_pass")
_FLOAT_COLUMNS = ("mw", "exact_mass", "clogp", "tpsa", "fsp3", "qed", "audit_ms")
TEXT_COLUMNS = (
    "status", "error_stage", "error_code", "error_message", "checks", "check_messages", "smiles",
    "std_smiles", "std_steps", "inchi", "inchikey", "std_inchikey", "tautomer_key", "stereo_key",
    "salt_key", "murcko_scaffold", "pains_alerts", "brenk_alerts",
)  # fmt: skip


def typed_records(records: list[dict]) -> pd.DataFrame:
    """Audit records as a DataFrame with the package's dtypes (same for every chunk)."""
    frame = pd.DataFrame.from_records(records, columns=RECORD_COLUMNS)
    for column in _INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    for column in _BOOL_COLUMNS:
        frame[column] = frame[column].astype("boolean")
    for column in _FLOAT_COLUMNS:
        frame[column] = frame[column].astype("float64")
    frame["score"] = frame["score"].astype("int64")
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype("str")
    return frame


class ResultAccumulator:
    """Unique molecules' results, in the order they arrive, as typed chunks.

    Parameters
    ----------
    n_unique : int
        Number of unique structures in the batch.
    n_bytes : int
        Fingerprint length in bytes.
    """

    def __init__(self, n_unique: int, n_bytes: int) -> None:
        self.n_bytes = n_bytes
        self.position = np.full(n_unique, -1, dtype=np.int64)
        self._frames: list[pd.DataFrame] = []
        self._fps: list[np.ndarray] = []
        self._count = 0

    def add(self, uids: list[int] | np.ndarray, blobs: list[bytes]) -> None:
        """Decode ``blobs`` (cache entries) of unique molecules ``uids``."""
        records = []
        fps = np.zeros((len(blobs), self.n_bytes), dtype=np.uint8)
        for i, blob in enumerate(blobs):
            record, fp = decode_molecule(blob)
            records.append(record)
            if len(fp) == self.n_bytes:
                fps[i] = np.frombuffer(fp, dtype=np.uint8)
        self._frames.append(typed_records(records))
        self._fps.append(fps)
        self.position[np.asarray(uids, dtype=np.int64)] = np.arange(
            self._count, self._count + len(blobs)
        )
        self._count += len(blobs)

    def finish(self, row_to_unique: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
        """The records of every input row, in input order, and the per-row fingerprints."""
        if (self.position < 0).any():
            missing = int((self.position < 0).sum())
            raise RuntimeError(f"{missing} molecules have no result (internal error)")
        frame = pd.concat(self._frames, ignore_index=True) if self._frames else typed_records([])
        fps = np.concatenate(self._fps) if self._fps else np.zeros((0, self.n_bytes), np.uint8)
        self._frames, self._fps = [], []
        take = self.position[row_to_unique]
        return frame.take(take).reset_index(drop=True), fps[take]
