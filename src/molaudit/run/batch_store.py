"""Batch serialisation: a whole audited batch in the cache, and the list of cached batches.

Per batch key, four entries in the store's ``batches`` cache: ``<key>/table`` (Parquet bytes),
``<key>/fps`` (the packed fingerprints), ``<key>/fprows`` (their row numbers, little-endian
int64) and ``<key>/meta`` (JSON from ``Batch._meta``). Only the store's public methods are used.

This module sits below :mod:`molaudit.batch`: it reads the parts of a batch and returns the
keyword arguments of :class:`~molaudit.batch.Batch`; :mod:`molaudit.api` builds the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from molaudit.options import AuditOptions
from molaudit.run.cache import Store, frame_from_bytes, frame_to_bytes

if TYPE_CHECKING:
    from molaudit.batch import Batch

__all__ = ["list_batches", "load_batch_fields", "save_batch"]

_PARTS = ("meta", "table", "fps", "fprows")


def save_batch(store: Store, batch: Batch) -> None:
    """Write ``batch``; a failed write adds a note to ``batch.notes`` (never raises)."""
    meta = batch._meta()
    ok = store.set_bytes("batches", f"{batch.key}/table", frame_to_bytes(batch.table))
    ok &= store.set_bytes("batches", f"{batch.key}/fps", batch.fingerprints.tobytes())
    ok &= store.set_bytes(
        "batches", f"{batch.key}/fprows", batch.fingerprint_rows.astype("<i8").tobytes()
    )
    ok &= store.set_json("batches", f"{batch.key}/meta", meta)
    if not ok:
        batch.notes.append("the batch could not be written to the cache (disk full?)")


def load_batch_fields(store: Store, key: str) -> dict[str, Any] | None:
    """The keyword arguments of ``Batch(...)`` for the cached batch ``key``, or None.

    None when the entry is missing, expired, or unreadable (then it is discarded).
    """
    meta = store.get_json("batches", f"{key}/meta")
    if not meta:
        return None
    table_blob = store.get_bytes("batches", f"{key}/table")
    fps_blob = store.get_bytes("batches", f"{key}/fps")
    rows_blob = store.get_bytes("batches", f"{key}/fprows")
    if table_blob is None or fps_blob is None or rows_blob is None:
        return None
    try:
        table = frame_from_bytes(table_blob)
        options = AuditOptions.from_dict(meta["options"])
        n_bytes = options.fp_size // 8
        fingerprints = np.frombuffer(fps_blob, dtype=np.uint8).reshape(-1, n_bytes).copy()
        rows = np.frombuffer(rows_blob, dtype="<i8").astype(np.int64)
        if len(rows) != len(fingerprints) or len(table) != meta["rows"]:
            raise ValueError("inconsistent cached batch")
        # an entry written by another version may lack fields: a miss, never a KeyError
        return dict(
            table=table,
            fingerprints=fingerprints,
            fingerprint_rows=rows,
            key=key,
            options=options,
            columns=dict(meta["columns"]),
            source=str(meta["source"]),
            notes=list(meta.get("notes", [])),
            timings=dict(meta.get("timings", {})),
            run={**meta.get("run", {}), "from_batch_cache": True},
            activity_units=meta.get("activity_units"),
            store=store,
            created=meta.get("created"),
        )
    except Exception:
        for part in _PARTS:
            store.discard("batches", f"{key}/{part}")
        return None


def list_batches(store: Store) -> pd.DataFrame:
    """The batches in ``store``.

    Returns
    -------
    pandas.DataFrame
        Columns: key, rows, source, created, expires (timestamps, UTC), most recent first.
    """
    out = []
    for name in store.keys("batches"):
        if not name.endswith("/meta"):
            continue
        meta = store.get_json("batches", name)
        if not meta:
            continue
        out.append(
            {
                "key": meta["key"],
                "rows": meta["rows"],
                "source": meta["source"],
                "created": pd.Timestamp(meta["created"], unit="s", tz="UTC"),
                "expires": pd.Timestamp(
                    store.expires_at("batches", name) or np.nan, unit="s", tz="UTC"
                ),
            }
        )
    frame = pd.DataFrame(out, columns=["key", "rows", "source", "created", "expires"])
    return frame.sort_values("created", ascending=False, ignore_index=True)
