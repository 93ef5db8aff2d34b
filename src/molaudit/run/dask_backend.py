"""Run the per-molecule audit on a Dask distributed cluster with dask.distributed futures.

Same contract as the loky path in :mod:`molaudit.run.runner`: the same chunks, the same unordered
consumption, the same cache writes in the client process.
The cache stays on the client; workers only see SMILES/molblock strings and return bytes.
"""

from __future__ import annotations

import time
from typing import Any

from molaudit.errors import WaitTimeoutError
from molaudit.run.waits import NoWorkerWatchdog, no_workers_timeout, stall_timeout
from molaudit.run.worker import audit_chunk, run_isolated

__all__ = ["dask_context"]


def dask_context(scheduler: Any = None) -> Any:
    """Return a ``distributed.Client`` for ``scheduler`` (address or Client).

    With ``scheduler=None`` the current default client is used; there must be one.

    Raises
    ------
    ImportError
        dask.distributed is not installed (``pip install 'molaudit[dask]'``).
    ValueError
        No scheduler was given and no client is running.
    """
    try:
        from distributed import Client, get_client
    except ImportError as exc:
        raise ImportError(
            "backend='dask' needs dask.distributed: pip install 'molaudit[dask]'"
        ) from exc
    if scheduler is None:
        try:
            return get_client()
        except ValueError as exc:
            raise ValueError(
                "backend='dask' needs scheduler= (an address such as 'tcp://host:8786' or a "
                "distributed.Client), or a running Client"
            ) from exc
    if isinstance(scheduler, Client):
        return scheduler
    if isinstance(scheduler, str):
        return Client(scheduler)
    raise TypeError(
        f"scheduler must be an address string or a distributed.Client, got "
        f"{type(scheduler).__name__}"
    )


#: Seconds a Dask cluster may have no workers before the audit stops with an error (the value
#: read at import; :func:`molaudit.run.waits.no_workers_timeout` reads the environment each call).
NO_WORKERS_TIMEOUT = no_workers_timeout()


class _NoWorkerWatchdog(NoWorkerWatchdog):
    """The audit's watchdog: :class:`molaudit.run.waits.NoWorkerWatchdog` with this module's
    ``NO_WORKERS_TIMEOUT`` (patchable in tests)."""

    def __init__(self, client: Any, every: float = 2.0) -> None:
        super().__init__(client, "the audit", every, NO_WORKERS_TIMEOUT)


def _result(future: Any, watchdog: _NoWorkerWatchdog, cancel: Any, cancelled_error: type) -> Any:
    """``future.result()``, still watching for a cancel or a cluster left without workers.

    A future handed out as finished can be reset and rescheduled when the worker that held its
    result dies; waiting on it without a timeout would then hang if no worker comes back.
    """
    while True:
        try:
            return future.result(timeout=2)
        except TimeoutError:
            watchdog.check()
            if cancel is not None and cancel.is_set():
                raise cancelled_error("audit cancelled; finished chunks are cached") from None


def run_chunks_on_dask(
    queue: dict[int, list[str]],
    text_of: dict[str, str | None],
    kind: str,
    options: Any,
    accept: Any,
    cancel: Any,
    cancelled_error: type[BaseException],
) -> int:
    """Run every chunk of ``queue`` as a Dask future; returns how many chunks killed workers.

    Futures rather than joblib's Dask backend: each future fails on its own, so a chunk whose
    task killed its worker ``allowed-failures`` times (``KilledWorker``) is known exactly and
    is bisected until single molecules remain, also on a remote cluster where no journal file
    can be shared; a single molecule is then re-run alone in a fresh local process, which
    convicts it only if it crashes there too. (joblib 1.6's Dask backend also fails with
    distributed 2026.8.)
    """
    from distributed import as_completed, get_client
    from distributed.scheduler import KilledWorker

    client = get_client()
    futures = {}
    for keys in queue.values():
        future = client.submit(
            audit_chunk, [text_of[k] for k in keys], kind, options, None, True, pure=False
        )
        futures[future] = keys
    pending = as_completed(list(futures))
    killed = 0
    watchdog = _NoWorkerWatchdog(client)
    stall, last_progress = stall_timeout(), time.monotonic()
    try:
        while not pending.is_empty():
            if not pending.has_ready():
                # poll rather than block, so a cancel or a cluster without workers is noticed
                time.sleep(0.05)
                watchdog.check()
                if time.monotonic() - last_progress > stall:
                    raise WaitTimeoutError(
                        f"the audit stopped: no chunk finished on the Dask cluster for "
                        f"{stall:.0f} s (MOLAUDIT_STALL_TIMEOUT); finished chunks are cached"
                    )
                if cancel is not None and cancel.is_set():
                    raise cancelled_error("audit cancelled; finished chunks are cached")
                continue
            future = next(pending)
            last_progress = time.monotonic()
            watchdog.progress()
            keys = futures.pop(future)
            try:
                blobs = _result(future, watchdog, cancel, cancelled_error)
            except KilledWorker:
                killed += 1
                if len(keys) == 1:
                    # a task can also be convicted for sharing a worker with the culprit: the
                    # verdict comes from a run of the molecule alone in a fresh local process
                    accept(keys, [run_isolated(text_of[keys[0]], kind, options)])
                else:
                    half = len(keys) // 2
                    for part in (keys[:half], keys[half:]):
                        new = client.submit(
                            audit_chunk, [text_of[k] for k in part], kind, options, None, True,
                            pure=False,
                        )
                        futures[new] = part
                        pending.add(new)
                continue
            accept(keys, blobs)
            if cancel is not None and cancel.is_set():
                raise cancelled_error("audit cancelled; finished chunks are cached")
    except BaseException:
        for future in list(futures):
            future.cancel()
        raise
    queue.clear()
    return killed
