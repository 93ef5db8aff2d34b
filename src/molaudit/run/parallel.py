"""One way for analytics to spread work over the batch's backend: a joblib pool or Dask.

The audit itself has its own runner (caching, crash isolation); analytics only need an ordered
map of a picklable function over chunks. With ``backend='dask'`` the chunks go to the batch's
Dask client as futures (joblib 1.6's Dask backend fails with distributed 2026.8, see
:mod:`molaudit.run.dask_backend`); otherwise to a joblib pool.

No wait is unbounded (see :mod:`molaudit.run.waits`): on Dask the futures are polled and the map
stops with :class:`molaudit.errors.WaitTimeoutError` when the cluster has had no worker for the
no-workers timeout or no chunk finished for the stall timeout; on joblib each task has the stall
timeout and a dead worker raises at once (``TerminatedWorkerError``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed

from molaudit.errors import WaitTimeoutError
from molaudit.run.waits import gather_bounded, stall_timeout

__all__ = ["parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

_JOBLIB_BACKENDS = ("loky", "threading", "multiprocessing")


def parallel_map(
    fn: Callable[[T], R],
    chunks: Sequence[T],
    *,
    n_jobs: int,
    backend: str = "loky",
    scheduler: Any = None,
    what: str | None = None,
) -> list[R]:
    """``[fn(c) for c in chunks]``, computed on the batch's backend, in the order of ``chunks``.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function of one chunk.
    chunks : sequence
        The work, already split into chunks worth shipping to a worker.
    n_jobs : int
        Worker processes for joblib backends (1 runs in this process).
    backend : {'loky', 'threading', 'multiprocessing', 'sequential', 'dask'}
        The batch's backend. ``'dask'`` uses ``scheduler`` or the current default client; when
        there is none, the work runs on loky with a warning saying so.
    scheduler : distributed.Client, optional
        The Dask client the batch was audited with.
    what : str, optional
        What is running, for the error when a wait runs out (default: the function's name).

    Returns
    -------
    list
        One result per chunk, in order.

    Raises
    ------
    molaudit.errors.WaitTimeoutError
        The cluster lost all its workers, or a chunk took longer than the stall timeout.
    molaudit.errors.WorkersLostError
        Every worker that ran one chunk died (Dask ``KilledWorker``).
    """
    if not chunks:
        return []
    label = what or f"the parallel map {_name(fn)}"
    if backend == "dask":
        client = _dask_client(scheduler)
        if client is not None:
            futures = client.map(fn, list(chunks), pure=False)
            return gather_bounded(client, futures, what=label)
        warnings.warn(
            "backend='dask' but no Dask client is running; this analytic runs on local "
            "processes (loky) instead",
            RuntimeWarning,
            stacklevel=2,
        )
        backend = "loky"
    if n_jobs == 1 or len(chunks) == 1 or backend == "sequential":
        return [fn(c) for c in chunks]
    if backend not in _JOBLIB_BACKENDS:
        backend = "loky"
    timeout = stall_timeout()
    try:
        return Parallel(n_jobs=n_jobs, backend=backend, timeout=timeout)(
            delayed(fn)(c) for c in chunks
        )
    except TimeoutError as exc:
        raise WaitTimeoutError(
            f"{label} stopped: a chunk took longer than {timeout:.0f} s (MOLAUDIT_STALL_TIMEOUT)"
        ) from exc


def _name(fn: Any) -> str:
    """``module.function`` of ``fn`` (of the function inside a ``functools.partial``)."""
    inner = getattr(fn, "func", fn)
    name = getattr(inner, "__qualname__", None) or type(inner).__name__
    module = getattr(inner, "__module__", None)
    return f"{module}.{name}" if module and module != "builtins" else name


def _dask_client(scheduler: Any) -> Any:
    try:
        from distributed import Client, get_client
    except ImportError:
        return None
    if isinstance(scheduler, Client) and scheduler.status == "running":
        return scheduler
    try:
        return get_client()
    except ValueError:
        return None
