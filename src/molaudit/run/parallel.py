"""One way for analytics to spread work over the batch's backend: a joblib pool or Dask.

The audit itself has its own runner (caching, crash isolation); analytics only need an ordered
map of a picklable function over chunks. With ``backend='dask'`` the chunks go to the batch's
Dask client as futures (joblib 1.6's Dask backend fails with distributed 2026.8, see
:mod:`molaudit.run.dask_backend`); otherwise to a joblib pool.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from joblib import Parallel, delayed

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

    Returns
    -------
    list
        One result per chunk, in order.
    """
    if not chunks:
        return []
    if backend == "dask":
        client = _dask_client(scheduler)
        if client is not None:
            futures = client.map(fn, list(chunks), pure=False)
            return client.gather(futures)
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
    return Parallel(n_jobs=n_jobs, backend=backend)(delayed(fn)(c) for c in chunks)


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
