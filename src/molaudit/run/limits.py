"""Per-molecule memory cap: a soft address-space limit while a worker audits a chunk.

A molecule that makes RDKit (or our own code) allocate without bound would otherwise take the
whole machine with it, and the OOM killer picks its victim without asking: often the Jupyter
kernel. While a chunk is audited, the process's soft ``RLIMIT_AS`` is set to its current address
space plus ``AuditOptions.max_memory_mb``; an allocation beyond that fails at once, Python and
RDKit (``std::bad_alloc``) raise ``MemoryError``, and the pipeline turns it into an ``error`` row
with code ``memory_exceeded``. The previous limit is restored after the chunk.

Where it applies: loky worker processes and the in-process serial path (``n_jobs=1``) when it
runs on the main thread. In-process the limit is the kernel's own for the length of a chunk: the
molecule that trips it becomes an error row and the kernel carries on, but while that molecule
holds the headroom another thread of the same process that allocates can also get a
``MemoryError``. The threading and Dask backends run chunks on worker threads that share one
process, so the cap is not applied there (use Dask's own worker ``memory_limit``). Only on
platforms with ``resource.RLIMIT_AS`` and ``/proc/self/statm`` (Linux); elsewhere it is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Iterator

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

__all__ = ["address_space_bytes", "allocate_for_test", "memory_cap", "release_frames"]

_MB = 1 << 20


def address_space_bytes() -> int | None:
    """Current virtual address space of this process in bytes (None where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def memory_cap(megabytes: int) -> Iterator[bool]:
    """Cap the address space at its current size plus ``megabytes`` for the ``with`` body.

    Parameters
    ----------
    megabytes : int
        Headroom in MiB; ``0`` disables the cap.

    Yields
    ------
    bool
        Whether a cap is in force (False when disabled, off the main thread, or unsupported).
    """
    applied = False
    previous = None
    if (
        megabytes > 0
        and resource is not None
        and hasattr(resource, "RLIMIT_AS")
        and threading.current_thread() is threading.main_thread()
    ):
        current = address_space_bytes()
        if current is not None:
            previous = resource.getrlimit(resource.RLIMIT_AS)
            soft, hard = previous
            limit = current + megabytes * _MB
            # never loosen a limit the user set, never exceed the hard limit
            if soft != resource.RLIM_INFINITY:
                limit = min(limit, soft)
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            try:
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                applied = True
            except (ValueError, OSError):
                applied = False
    try:
        yield applied
    finally:
        if applied and previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, previous)


def release_frames(exc: BaseException) -> None:
    """Drop the locals of the finished frames of ``exc``'s traceback.

    After a ``MemoryError`` the traceback still references the frames that held the memory;
    clearing them frees it before the error row is built, so that building it cannot fail too.
    """
    traceback.clear_frames(exc.__traceback__)


def allocate_for_test(megabytes: int) -> None:
    """Fault injection: allocate (and touch) memory in 16 MiB blocks like a runaway molecule.

    Allocates up to twice ``megabytes`` (256 MiB when the cap is disabled) and then frees it, so
    a cap that works raises ``MemoryError`` part-way and a cap that does not work lets the
    molecule finish normally, which the tests detect. Never called in real use.
    """
    target = 2 * megabytes * _MB if megabytes > 0 else 256 * _MB
    block = 16 * _MB
    held = []
    for _ in range(max(1, target // block)):
        held.append(b"\x01" * block)
    del held
