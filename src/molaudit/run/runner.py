"""Run the per-molecule audit over a batch: cache lookups in the parent, misses in a pool.

Phase 1 (parent): a key per record from (pipeline version, options digest, structure); hits are
decoded from the cache, identical structures are audited once. Phase 2: the misses go to a joblib
pool in chunks (one task per molecule made a peer 5.6x slower) and come back in any order; each
finished chunk is written to the cache at once, so an interrupted run resumes where it stopped.

A worker that dies (segfault, OOM kill, SIGKILL, hard timeout) does not lose the batch: each
worker journals the position it is working on; after a crash the molecule(s) being processed are
re-run alone in a fresh process, the guilty one becomes an ``error``/``worker_crashed`` row
(``timeout`` when the hard CPU limit killed it) and everything else is re-queued.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from molaudit.errors import WaitTimeoutError
from molaudit.options import AuditOptions
from molaudit.run.cache import Store, digest, pipeline_version
from molaudit.run.results import ResultAccumulator
from molaudit.run.waits import stall_timeout
from molaudit.run.worker import audit_chunk, crash_blob, exit_reason, run_isolated, worker_errors

__all__ = ["AuditCancelled", "RunStats", "run_audit"]

BACKENDS = ("loky", "threading", "sequential", "dask")


class AuditCancelled(KeyboardInterrupt):
    """The audit was cancelled; finished chunks are in the cache and a re-run resumes."""


@dataclass
class RunStats:
    """What a run did: counts and timings (seconds)."""

    n_records: int = 0
    n_unique: int = 0
    cache_hits: int = 0
    computed: int = 0
    chunks: int = 0
    worker_crashes: int = 0
    cache_write_failures: int = 0
    seconds_lookup: float = 0.0
    seconds_compute: float = 0.0
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------- parent
def molecule_key(text: str | None, kind: str, options_digest: str) -> str:
    return digest(pipeline_version(), options_digest, kind, "" if text is None else text)


def _dask_workers(n_jobs: int) -> int:
    from distributed import get_client

    threads = sum(get_client().nthreads().values())
    return max(1, threads if n_jobs < 0 else n_jobs)


def _chunk_size(n: int, workers: int) -> int:
    return max(8, min(500, math.ceil(n / max(1, workers * 8))))


def _n_workers(n_jobs: int) -> int:
    cpus = os.cpu_count() or 1
    return cpus if n_jobs == -1 else (max(1, cpus + 1 + n_jobs) if n_jobs < 0 else n_jobs)


def run_audit(
    structures: list[str | None],
    kind: str,
    options: AuditOptions,
    *,
    n_jobs: int = -1,
    backend: str = "loky",
    store: Store | None = None,
    progress: bool | Callable[[int, int], None] = True,
    cancel: threading.Event | None = None,
    scheduler: Any = None,
) -> tuple[pd.DataFrame, np.ndarray, RunStats]:
    """Audit every structure.

    Returns
    -------
    tuple
        ``(records, fingerprints, stats)``: a DataFrame of the per-molecule audit columns and a
        ``(n, fp_size // 8)`` uint8 array (zeros on error rows), both in input order.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    from molaudit.analytics.params import check_n_jobs  # the one n_jobs rule

    n_jobs = check_n_jobs(n_jobs)
    stats = RunStats(n_records=len(structures))
    started = time.perf_counter()
    options_digest = options.digest()
    uid_of: dict[str, int] = {}
    row_to_unique = np.empty(len(structures), dtype=np.int64)
    first_row: list[int] = []
    for row, text in enumerate(structures):
        key = molecule_key(text, kind, options_digest)
        uid = uid_of.get(key)
        if uid is None:
            uid = uid_of[key] = len(first_row)
            first_row.append(row)
        row_to_unique[row] = uid
    keys = list(uid_of)
    stats.n_unique = len(keys)
    multiplicity = np.bincount(row_to_unique, minlength=len(keys))
    results = ResultAccumulator(len(keys), options.fp_size // 8)

    def settle_many(batch_keys: list[str], blobs: list[bytes]) -> None:
        results.add([uid_of[k] for k in batch_keys], blobs)

    misses: list[str] = []
    if store is not None:
        hit_keys: list[str] = []
        hit_blobs: list[bytes] = []
        for key in keys:
            blob = store.get_bytes("molecules", key)
            if blob is not None and blob.startswith(b"MA1\n"):
                hit_keys.append(key)
                hit_blobs.append(blob)
                stats.cache_hits += int(multiplicity[uid_of[key]])
                if len(hit_keys) >= 2000:
                    settle_many(hit_keys, hit_blobs)
                    hit_keys, hit_blobs = [], []
            else:
                misses.append(key)
        if hit_keys:
            settle_many(hit_keys, hit_blobs)
    else:
        misses = keys
    stats.seconds_lookup = time.perf_counter() - started

    if misses:
        t0 = time.perf_counter()
        text_of = {key: structures[first_row[uid_of[key]]] for key in misses}
        rows_of = {key: int(multiplicity[uid_of[key]]) for key in misses}
        _compute(
            misses,
            text_of,
            kind,
            options,
            n_jobs,
            backend,
            store,
            progress,
            cancel,
            stats,
            settle_many,
            scheduler,
            rows_of,
        )
        stats.seconds_compute = time.perf_counter() - t0
    stats.computed = int(sum(multiplicity[uid_of[k]] for k in misses))
    frame, fps = results.finish(row_to_unique)
    return frame, fps, stats


class _Reporter:
    """Progress sink: a tqdm bar, a user callback ``(done, total)``, or nothing.

    Counts input rows (a structure that occurs 5 times counts 5; rows answered from the cache
    are done from the start), so the bar ends at the number of records the user gave.
    """

    def __init__(
        self, progress: bool | Callable[[int, int], None], total: int, done: int = 0
    ) -> None:
        self.total, self.done = total, done
        self.callback = progress if callable(progress) else None
        self.bar = None
        if progress is True and total:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total, initial=done, unit="row", desc="molaudit", mininterval=0.5
            )

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _compute(
    misses: list[str],
    text_of: dict[str, str | None],
    kind: str,
    options: AuditOptions,
    n_jobs: int,
    backend: str,
    store: Store | None,
    progress: bool | Callable[[int, int], None],
    cancel: threading.Event | None,
    stats: RunStats,
    settle_many: Callable[[list[str], list[bytes]], None],
    scheduler: Any,
    rows_of: dict[str, int] | None = None,
) -> None:
    if backend == "sequential":
        workers = 1
    elif backend == "dask":
        workers = _dask_workers(n_jobs)
    else:
        workers = _n_workers(n_jobs)
    size = _chunk_size(len(misses), workers)
    queue: dict[int, list[str]] = {}
    next_id = 0
    for start in range(0, len(misses), size):
        queue[next_id] = misses[start : start + size]
        next_id += 1
    rows_of = rows_of or {}
    total_rows = stats.n_records or len(misses)
    report = _Reporter(progress, total_rows, done=max(0, total_rows - sum(rows_of.values())))
    isolated = backend == "loky" and workers > 1
    journal_dir = tempfile.mkdtemp(prefix="molaudit-journal-") if isolated else None
    crash_budget = 2 * len(queue) + 20

    def accept(keys: list[str], blobs: list[bytes]) -> None:
        settle_many(keys, blobs)
        if store is not None and not store.set_many(
            "molecules", list(zip(keys, blobs, strict=True))
        ):
            stats.cache_write_failures += len(keys)
        report(sum(rows_of.get(k, 1) for k in keys))

    try:
        if backend == "dask":
            from molaudit.run.dask_backend import run_chunks_on_dask

            stats.worker_crashes += run_chunks_on_dask(
                queue, text_of, kind, options, accept, cancel, AuditCancelled
            )
        while queue:
            if cancel is not None and cancel.is_set():
                raise AuditCancelled("audit cancelled; finished chunks are cached")
            try:
                _run_queue(
                    queue,
                    text_of,
                    kind,
                    options,
                    workers,
                    backend,
                    journal_dir,
                    isolated,
                    cancel,
                    accept,
                    stats,
                    scheduler,
                )
            except (BrokenProcessPool, *worker_errors()) as exc:
                stats.worker_crashes += 1
                crash_budget -= 1
                next_id = _recover(
                    queue,
                    next_id,
                    journal_dir,
                    text_of,
                    kind,
                    options,
                    exc,
                    accept,
                    stats,
                    give_up=crash_budget <= 0,
                )
    finally:
        report.close()
        if journal_dir:
            shutil.rmtree(journal_dir, ignore_errors=True)


def _run_queue(
    queue: dict[int, list[str]],
    text_of: dict[str, str | None],
    kind: str,
    options: AuditOptions,
    workers: int,
    backend: str,
    journal_dir: str | None,
    isolated: bool,
    cancel: threading.Event | None,
    accept: Callable[[list[str], list[bytes]], None],
    stats: RunStats,
    scheduler: Any,
) -> None:
    def task(chunk_id: int, keys: list[str]) -> Any:
        journal = os.path.join(journal_dir, f"{chunk_id}.pos") if journal_dir else None
        return delayed(_tagged)(
            chunk_id, [text_of[k] for k in keys], kind, options, journal, isolated
        )

    tasks = [task(cid, keys) for cid, keys in queue.items()]
    if backend == "sequential" or workers == 1:
        results: Iterable[Any] = (t[0](*t[1], **t[2]) for t in tasks)
        generator = None
    else:
        joblib_backend = "dask" if backend == "dask" else backend
        generator = Parallel(
            n_jobs=workers,
            backend=joblib_backend,
            return_as="generator_unordered",
            pre_dispatch="2*n_jobs",
            timeout=stall_timeout(),
        )(tasks)
        results = generator
    try:
        for chunk_id, blobs in results:
            keys = queue.pop(chunk_id)
            accept(keys, blobs)
            stats.chunks += 1
            if cancel is not None and cancel.is_set():
                raise AuditCancelled("audit cancelled; finished chunks are cached")
    except TimeoutError as exc:
        if generator is not None:
            generator.close()
        if isinstance(exc, WaitTimeoutError):
            raise
        raise WaitTimeoutError(
            f"the audit stopped: a chunk took longer than {stall_timeout():.0f} s "
            "(MOLAUDIT_STALL_TIMEOUT); finished chunks are cached"
        ) from exc
    except BaseException:
        if generator is not None:
            generator.close()  # cancels what is still queued and stops the workers promptly
        raise


def _tagged(chunk_id: int, *args: Any) -> tuple[int, list[bytes]]:
    return chunk_id, audit_chunk(*args)


def _journal_position(journal_dir: str | None, chunk_id: int) -> int | None:
    if journal_dir is None:
        return None
    try:
        with open(os.path.join(journal_dir, f"{chunk_id}.pos"), "rb") as fh:
            data = fh.read(8)
    except OSError:
        return None
    return struct.unpack("<q", data)[0] if len(data) == 8 else None


def _recover(
    queue: dict[int, list[str]],
    next_id: int,
    journal_dir: str | None,
    text_of: dict[str, str | None],
    kind: str,
    options: AuditOptions,
    exc: BaseException,
    accept: Callable[[list[str], list[bytes]], None],
    stats: RunStats,
    give_up: bool,
) -> int:
    """After a worker died: isolate the molecules in flight, re-queue the rest."""
    if give_up:
        for chunk_id in list(queue):
            keys = queue.pop(chunk_id)
            accept(keys, [crash_blob(exc, repeated=True) for _ in keys])
        return next_id
    suspects: list[str] = []
    for chunk_id in list(queue):
        position = _journal_position(journal_dir, chunk_id)
        if position is None:
            continue
        keys = queue.pop(chunk_id)
        suspects.append(keys[position])
        rest = keys[:position] + keys[position + 1 :]
        if rest:
            queue[next_id] = rest
            next_id += 1
    if not suspects:
        # no journal (worker died before starting): retry everything once more, smaller
        return next_id
    for key in suspects:
        accept([key], [run_isolated(text_of[key], kind, options)])
    stats.notes.append(f"a worker process died ({exit_reason(exc)}); its molecule was isolated")
    return next_id


