"""Bounds on every wait for a pool or a cluster, and the error raised when one runs out.

Three bounds, each an environment variable read at call time (seconds):

* ``MOLAUDIT_DASK_NO_WORKERS_TIMEOUT`` (default 120): a Dask cluster may have no worker at all
  for this long before the wait stops (the audit's guard and every analytic's);
* ``MOLAUDIT_STALL_TIMEOUT`` (default 3600): no chunk of work may take longer than this to come
  back (joblib's per-task ``timeout`` on the loky path, "no future finished for this long" on
  Dask);
* ``MOLAUDIT_ISOLATED_TIMEOUT`` (default 600): one molecule re-run alone in a fresh process
  after a worker crash.

A wait that runs out raises :class:`molaudit.errors.WaitTimeoutError` naming what stopped (the
analytic or the audit), what it was waiting for and how much was done; a chunk whose workers all
died (Dask's ``KilledWorker``) raises :class:`molaudit.errors.WorkersLostError`, named the same
way.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from molaudit.errors import WaitTimeoutError, WorkersLostError

__all__ = [
    "NoWorkerWatchdog",
    "gather_bounded",
    "isolated_timeout",
    "no_workers_timeout",
    "stall_timeout",
]


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def no_workers_timeout() -> float:
    """Seconds a Dask cluster may have no workers before a wait on it stops."""
    return _env_seconds("MOLAUDIT_DASK_NO_WORKERS_TIMEOUT", 120.0)


def stall_timeout() -> float:
    """Seconds one chunk of work may take before the wait for it stops."""
    return _env_seconds("MOLAUDIT_STALL_TIMEOUT", 3600.0)


def isolated_timeout() -> float:
    """Seconds one molecule re-run alone after a crash may take."""
    return _env_seconds("MOLAUDIT_ISOLATED_TIMEOUT", 600.0)


class NoWorkerWatchdog:
    """Raise instead of waiting forever when a Dask cluster has lost all its workers.

    Parameters
    ----------
    client : distributed.Client
        The client whose cluster is watched (``client.nthreads()`` is asked every ``every`` s).
    what : str
        What is waiting, for the error message (``'the audit'``, ``'analytic scaffolds'``).
    every : float
        Seconds between two looks at the cluster.
    timeout : float, optional
        Seconds without workers before the error (default :func:`no_workers_timeout`).
    """

    def __init__(
        self, client: Any, what: str = "the audit", every: float = 2.0, timeout: float | None = None
    ) -> None:
        self.client, self.what, self.every = client, what, every
        self.timeout = no_workers_timeout() if timeout is None else timeout
        self.last_check = -float("inf")
        self.empty_since: float | None = None

    def progress(self) -> None:
        """A task finished (or failed): the cluster is not dead, restart the clock.

        While nannies restart workers that a task keeps killing, the scheduler can show no
        worker at every look although work goes on; only time without workers *and* without
        any finished task counts.
        """
        self.empty_since = None

    def check(self, progress: str = "") -> None:
        """Look at the cluster (at most every ``every`` s); raise once it was empty too long."""
        now = time.monotonic()
        if now - self.last_check < self.every:
            return
        self.last_check = now
        try:
            alive = bool(self.client.nthreads())
        except Exception:  # the scheduler itself is gone: no worker can come back through it
            alive = False
        if alive:
            self.empty_since = None
            return
        self.empty_since = self.empty_since or now
        if now - self.empty_since > self.timeout:
            raise WaitTimeoutError(
                f"{self.what} stopped: the Dask cluster has had no workers for "
                f"{self.timeout:.0f} s (MOLAUDIT_DASK_NO_WORKERS_TIMEOUT){progress}. "
                "Finished work is cached: run it again when workers are back"
            )


def gather_bounded(
    client: Any,
    futures: Sequence[Any],
    *,
    what: str,
    poll: float = 0.5,
    watchdog: NoWorkerWatchdog | None = None,
    stall: float | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[Any]:
    """``client.gather(futures)`` that cannot wait forever.

    Polls the futures; stops with :class:`WaitTimeoutError` when the cluster has had no worker
    for the no-workers timeout or when no future has finished for ``stall`` seconds. Unfinished
    futures are cancelled before the error propagates.

    Returns
    -------
    list
        The results, in the order of ``futures``.
    """
    watchdog = watchdog or NoWorkerWatchdog(client, what)
    stall = stall_timeout() if stall is None else stall
    futures = list(futures)
    last_done, last_change = -1, time.monotonic()
    try:
        while True:
            done = [f for f in futures if f.done()]
            if len(done) == len(futures):
                break
            # a future that errored is finished: surface its exception now
            for future in done:
                if future.status in ("error", "cancelled"):
                    _result_or_lost(future, what, f" ({len(done)} of {len(futures)} chunks done)")
            time.sleep(poll)
            now = time.monotonic()
            if len(done) != last_done:
                last_done, last_change = len(done), now
                watchdog.progress()
            progress = f" ({len(done)} of {len(futures)} chunks done)"
            watchdog.check(progress)
            if cancel is not None and cancel():
                raise KeyboardInterrupt(f"{what} cancelled")
            if now - last_change > stall:
                raise WaitTimeoutError(
                    f"{what} stopped: no chunk finished for {stall:.0f} s "
                    f"(MOLAUDIT_STALL_TIMEOUT){progress}"
                )
        return [_result_or_lost(f, what, "", timeout=poll + stall) for f in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _result_or_lost(future: Any, what: str, progress: str, timeout: float | None = None) -> Any:
    """``future.result()``; a task whose workers all died is a :class:`WorkersLostError`."""
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:  # pragma: no cover - only called with distributed futures
        return future.result(timeout=timeout)
    try:
        return future.result(timeout=timeout)
    except KilledWorker as exc:
        raise WorkersLostError(
            f"{what} stopped: the workers running one of its chunks died{progress} ({exc})"
        ) from exc
