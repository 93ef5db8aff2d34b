"""The functions users call: :func:`audit`, :func:`load`, :func:`batches`, :func:`cache_info`.

The entry point only: reading is :mod:`molaudit.ingest`, the run :mod:`molaudit.run.runner`,
the table :mod:`molaudit.run.table`, the cached batches :mod:`molaudit.run.batch_store`.
"""

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

from molaudit._entry import register_audit
from molaudit.batch import Batch
from molaudit.errors import MolauditWarning
from molaudit.ingest.readers import read_input
from molaudit.molecule.checks import apply_series_stereo_rule
from molaudit.options import AuditOptions
from molaudit.run.batch_store import list_batches, load_batch_fields, save_batch
from molaudit.run.cache import Store, digest, pipeline_version
from molaudit.run.runner import BACKENDS, run_audit
from molaudit.run.table import build_table

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
    mol_col: str | None = None,
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
    mol_col : str, optional
        A DataFrame column of RDKit Mols to audit (detected when no ``smiles_col`` is given);
        in the table it holds the Mols' SMILES.

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
    from molaudit.analytics.params import check_n_jobs  # the one n_jobs rule

    n_jobs = check_n_jobs(n_jobs)  # every argument is checked before any work
    client = None
    if backend == "dask":
        from molaudit.run.dask_backend import dask_context

        client = dask_context(scheduler)
    t0 = time.perf_counter()
    # ingest in one call: read, choose the columns and units, hash the content
    table_in = read_input(
        data,
        smiles_col=smiles_col,
        id_col=id_col,
        activity_col=activity_col,
        mol_col=mol_col,
        activity_units=activity_units,
    )
    units = table_in.activity_units
    store = Store(cache_dir, ttl) if cache else None
    content = table_in.digest or table_in.content_digest()  # computed by the read
    key = digest(pipeline_version(), options.digest(), content, str(units))
    if progress is True and table_in.notes:
        print("molaudit: " + "; ".join(table_in.notes), file=sys.stderr)

    batch = _load_batch(store, key) if store is not None else None
    if batch is not None:
        batch._runtime(n_jobs=n_jobs, backend=backend, scheduler=client)
        store.record_stats(batch_hits=1)
        # the summary tells what this run did (read the whole batch from the cache), never
        # the cold run's counts and timings
        seconds = time.perf_counter() - t0
        batch.timings = {"read": seconds, "total": seconds}
        batch.run = {
            "rows_read_from_cache": len(batch.table),
            "cache_hits": len(batch.table),
            "computed": 0,
            "unique_structures": batch.run.get("unique_structures"),
            "chunks": 0,
            "worker_crashes": 0,
            "from_batch_cache": True,
        }
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
    table = build_table(table_in, records)
    # batch-level: undefined stereo warns only where the series defines stereo
    table = apply_series_stereo_rule(table, options.undefined_stereo)
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
        save_batch(store, batch)
        store.record_stats(molecule_hits=stats.cache_hits, molecule_misses=stats.computed)
    _warn_summary(batch)
    if analytics:
        batch.analytics.run_cheap()
    return batch


register_audit(audit)  # for the notebook input form, which must not import this module


def _load_batch(store: Store, key: str) -> Batch | None:
    fields = load_batch_fields(store, key)
    return None if fields is None else Batch(**fields)


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
    return list_batches(Store(cache_dir))


def cache_info(*, cache_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Cache directory, size in bytes, entries per cache, and hit counters."""
    return Store(cache_dir).info()
