"""The functions users call: :func:`audit`, :func:`load`, :func:`batches`, :func:`cache_info`."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from molaudit.batch import Batch
from molaudit.errors import MolauditWarning
from molaudit.ingest import columns as cols
from molaudit.ingest.readers import RESERVED, InputTable, read_input
from molaudit.options import AuditOptions
from molaudit.run.cache import Store, digest, frame_from_bytes, frame_to_bytes, pipeline_version
from molaudit.run.runner import BACKENDS, run_audit

__all__ = ["audit", "batches", "cache_info", "load"]


def audit(
    data: Any,
    *,
    smiles_col: str | None = None,
    id_col: str | None = None,
    activity_col: str | None = None,
    options: AuditOptions | None = None,
    n_jobs: int = -1,
    backend: str = "loky",
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    ttl: float | None = None,
    progress: bool | Any = True,
    activity_units: str | None = None,
    cancel: threading.Event | None = None,
    scheduler: Any = None,
    analytics: bool = True,
) -> Batch:
    """Audit a batch of molecules: parse, check, standardize and profile every record.

    Parameters
    ----------
    data : DataFrame, Series, list of str, list of rdkit.Chem.Mol, or path
        The batch. Paths may be CSV/TSV/SMI/SDF (optionally ``.gz``) or ``.xlsx``.
    smiles_col, id_col, activity_col : str, optional
        Column names; detected when not given (see :mod:`molaudit.ingest.columns` for the rules).
    options : AuditOptions, optional
        Audit settings (default ``AuditOptions()``).
    n_jobs : int
        Worker processes (-1 = all cores, 1 = in this process).
    backend : {'loky', 'threading', 'sequential', 'dask'}
        joblib backend. ``'dask'`` needs ``molaudit[dask]`` and ``scheduler``.
    cache : bool
        Use the disk cache (per-molecule and per-batch entries).
    cache_dir : path-like, optional
        Cache directory (default: platform user cache dir, or ``$MOLAUDIT_CACHE_DIR``).
    ttl : float, optional
        Seconds cache entries live (default 86,400, or ``$MOLAUDIT_TTL``).
    progress : bool or callable
        Show a progress bar, or call ``progress(done, total)`` as chunks finish.
    activity_units : str, optional
        Units of the activity column ('nM', 'uM', 'pX', ...); inferred from its name if not given.
    cancel : threading.Event, optional
        Set it to stop the audit (finished chunks stay cached); raises ``AuditCancelled``.
    scheduler : str or dask.distributed.Client, optional
        Dask scheduler address or client for ``backend='dask'``.
    analytics : bool
        Run the cheap analytics (dedup, statistics) after the audit.

    Returns
    -------
    Batch
        ``batch.table`` has one row per input record, in input order: the input columns, then
        the columns of :data:`molaudit.schema.AUDIT_COLUMNS`.
    """
    options = AuditOptions() if options is None else options
    if not isinstance(options, AuditOptions):
        raise TypeError(f"options must be an AuditOptions, got {type(options).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    client = None
    if backend == "dask":
        from molaudit.run.dask_backend import dask_context

        client = dask_context(scheduler)
    t0 = time.perf_counter()
    table_in = read_input(data, smiles_col=smiles_col, id_col=id_col, activity_col=activity_col)
    units = activity_units or cols.infer_units(table_in.activity_col)
    store = Store(cache_dir, ttl) if cache else None
    key = digest(pipeline_version(), options.digest(), table_in.content_digest(), str(units))
    if progress is True and table_in.notes:
        print("molaudit: " + "; ".join(table_in.notes), file=sys.stderr)

    batch = _load_batch(store, key) if store is not None else None
    if batch is not None:
        batch._runtime(n_jobs=n_jobs, backend=backend, scheduler=client)
        store.record_stats(batch_hits=1)
        batch.timings["read"] = time.perf_counter() - t0
        if analytics:
            batch.analytics.run_cheap()
        return batch

    # the Dask client is made current for the run; other backends need no context
    with client.as_current() if client is not None else contextlib.nullcontext():
        records, fps, stats = run_audit(
            table_in.structures,
            table_in.kind,
            options,
            n_jobs=n_jobs,
            backend=backend,
            store=store,
            progress=progress,
            cancel=cancel,
        )
    table = _build_table(table_in, records)
    valid_rows = np.flatnonzero(table["status"].to_numpy() != "error").astype(np.int64)
    fingerprints = np.ascontiguousarray(fps[valid_rows])
    del fps
    timings = {
        "read_and_keys": stats.seconds_lookup,
        "compute": stats.seconds_compute,
        "total": time.perf_counter() - t0,
    }
    notes = list(table_in.notes) + stats.notes
    if stats.cache_write_failures:
        notes.append(
            f"{stats.cache_write_failures} results could not be written to the cache "
            f"({getattr(store, 'last_write_error', 'disk error')}); the batch is complete"
        )
    batch = Batch(
        table=table,
        fingerprints=fingerprints,
        fingerprint_rows=valid_rows,
        key=key,
        options=options,
        columns={
            "smiles": table_in.smiles_col,
            "id": table_in.id_col,
            "activity": table_in.activity_col,
        },
        source=table_in.source,
        notes=notes,
        timings=timings,
        run={
            "cache_hits": stats.cache_hits,
            "computed": stats.computed,
            "unique_structures": stats.n_unique,
            "chunks": stats.chunks,
            "worker_crashes": stats.worker_crashes,
            "from_batch_cache": False,
        },
        activity_units=units,
        store=store,
        n_jobs=n_jobs,
        backend=backend,
    )
    batch.scheduler = client
    if store is not None:
        _save_batch(store, batch)
        store.record_stats(molecule_hits=stats.cache_hits, molecule_misses=stats.computed)
    _warn_summary(batch)
    if analytics:
        batch.analytics.run_cheap()
    return batch


def _build_table(table_in: InputTable, records: pd.DataFrame) -> pd.DataFrame:
    frame = table_in.frame.copy()
    renamed = _renamed_columns(list(frame.columns))
    frame.columns = [renamed[c] for c in frame.columns]
    n = len(records)
    if table_in.id_col is not None:
        raw = frame[renamed[table_in.id_col]]
        ids = raw.astype("str").fillna("")
        ids = pd.array(ids.to_numpy(), dtype="str")
    else:
        ids = pd.array([f"row_{i}" for i in range(n)], dtype="str")
    if table_in.activity_col is not None:
        values, notes = cols.parse_activity(frame[renamed[table_in.activity_col]])
    else:
        values, notes = np.full(n, np.nan), [""] * n
    head = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "id": ids,
            "activity": values,
            "activity_note": pd.array(notes, dtype="str"),
        }
    )
    return pd.concat([frame, head, records], axis=1)


def _renamed_columns(names: list[str]) -> dict[str, str]:
    """Input column -> its name in the table: ``<name>_input`` (then ``_input_2``...) on a clash."""
    taken = set(names) | set(RESERVED)
    out: dict[str, str] = {}
    for name in names:
        if name not in RESERVED:
            out[name] = name
            continue
        candidate, k = f"{name}_input", 2
        while candidate in taken:
            candidate, k = f"{name}_input_{k}", k + 1
        taken.add(candidate)
        out[name] = candidate
    return out


def _warn_summary(batch: Batch) -> None:
    counts = Counter(batch.table["status"])
    if counts.get("error", 0) == 0:
        return
    errors = batch.table[batch.table["status"] == "error"]
    first = ", ".join(
        f"row {r} ({c})"
        for r, c in zip(errors["row"].head(3), errors["error_code"].head(3), strict=True)
    )
    warnings.warn(
        f"molaudit: {counts['error']} of {len(batch.table)} records failed ({first}"
        f"{', ...' if counts['error'] > 3 else ''}); see batch.summary()",
        MolauditWarning,
        stacklevel=3,
    )


# ---------------------------------------------------------------------------- batch cache
def _save_batch(store: Store, batch: Batch) -> None:
    meta = batch._meta()
    ok = store.set_bytes("batches", f"{batch.key}/table", frame_to_bytes(batch.table))
    ok &= store.set_bytes("batches", f"{batch.key}/fps", batch.fingerprints.tobytes())
    ok &= store.set_bytes(
        "batches", f"{batch.key}/fprows", batch.fingerprint_rows.astype("<i8").tobytes()
    )
    ok &= store.set_json("batches", f"{batch.key}/meta", meta)
    if not ok:
        batch.notes.append("the batch could not be written to the cache (disk full?)")


def _load_batch(store: Store, key: str) -> Batch | None:
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
        return Batch(
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
        for part in ("meta", "table", "fps", "fprows"):
            store._discard(store.cache("batches"), f"{key}/{part}")
        return None


def load(
    key: str, *, cache_dir: str | os.PathLike | None = None, ttl: float | None = None
) -> Batch:
    """Reopen a cached batch by its key without recomputing anything.

    Raises
    ------
    KeyError
        No batch with that key in the cache (never audited there, or expired).
    """
    store = Store(cache_dir, ttl)
    batch = _load_batch(store, key)
    if batch is None:
        raise KeyError(
            f"no cached batch {key!r} in {store.directory} (expired after its TTL, cleared, or "
            "never audited here); molaudit.batches() lists what is cached"
        )
    return batch


def batches(*, cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The batches in the cache.

    Returns
    -------
    pandas.DataFrame
        Columns: key, rows, source, created, expires (timestamps, UTC), most recent first.
    """
    store = Store(cache_dir)
    cache = store.cache("batches")
    out = []
    for name in list(cache.iterkeys()):
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


def cache_info(*, cache_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Cache directory, size in bytes, entries per cache, and hit counters."""
    return Store(cache_dir).info()
