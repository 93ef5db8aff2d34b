"""What runs in a worker: audit a chunk under the per-molecule limits, or one molecule alone.

Shared by the loky and Dask backends (:mod:`molaudit.run.runner`, :mod:`molaudit.run.dask_backend`).
"""

from __future__ import annotations

import os
import signal
import struct
import threading
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from molaudit.molecule.pipeline import (
    MoleculeTimeout,
    audit_record,
    error_record,
    rdkit_log_capture,
)
from molaudit.molecule.properties import prepare_alerts
from molaudit.options import AuditOptions
from molaudit.run.cache import encode_molecule
from molaudit.run.limits import memory_cap
from molaudit.run.waits import isolated_timeout

__all__ = ["audit_chunk", "crash_blob", "exit_reason", "run_isolated", "worker_errors"]


class _Alarm:
    """SIGALRM-based soft limit: raises MoleculeTimeout between RDKit calls once armed."""

    armed = False

    @classmethod
    def handler(cls, signum: int, frame: Any) -> None:
        if cls.armed:
            cls.armed = False
            raise MoleculeTimeout


def audit_chunk(
    texts: list[str | None],
    kind: str,
    options: AuditOptions,
    journal: str | None,
    hard_limit: bool,
) -> list[bytes]:
    """Audit a chunk in a worker; returns one cache blob per record, in chunk order."""
    if options.alerts:
        prepare_alerts()  # a fresh worker builds its catalogs here, not on a molecule's clock
    use_signals = threading.current_thread() is threading.main_thread() and options.timeout > 0
    if use_signals:
        previous_alarm = signal.signal(signal.SIGALRM, _Alarm.handler)
        if hard_limit:
            # Default action of SIGPROF terminates the process: the parent sees a crash and
            # isolates the molecule. This catches a single C++ call that never returns.
            signal.signal(signal.SIGPROF, signal.SIG_DFL)
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT, 0o600) if journal else None
    out: list[bytes] = []
    try:
        with rdkit_log_capture(), memory_cap(options.max_memory_mb):  # memory cap
            for position, text in enumerate(texts):
                if fd is not None:
                    os.pwrite(fd, struct.pack("<q", position), 0)
                if options._test_crash_on and text == options._test_crash_on:
                    os.kill(os.getpid(), signal.SIGKILL)
                if use_signals:
                    _Alarm.armed = True
                    signal.setitimer(signal.ITIMER_REAL, options.timeout)
                    if hard_limit:
                        signal.setitimer(signal.ITIMER_PROF, 3 * options.timeout + 5)
                try:
                    record, fp = audit_record(text, kind, options)
                finally:
                    if use_signals:
                        _Alarm.armed = False
                        signal.setitimer(signal.ITIMER_REAL, 0)
                        if hard_limit:
                            signal.setitimer(signal.ITIMER_PROF, 0)
                out.append(encode_molecule(record, fp))
    finally:
        if fd is not None:
            os.close(fd)
            try:
                os.unlink(journal)
            except OSError:
                pass
        if use_signals:
            signal.signal(signal.SIGALRM, previous_alarm)
    return out


def worker_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean 'a worker process died' for the loky and Dask backends."""
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    errors: tuple[type[BaseException], ...] = (TerminatedWorkerError,)
    try:
        from distributed.scheduler import KilledWorker
    except ImportError:
        return errors
    return (*errors, KilledWorker)


def run_isolated(text: str | None, kind: str, options: AuditOptions) -> bytes:
    """Audit one molecule alone in a fresh worker process; a crash there convicts it."""
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=1, reuse=False)
    future = executor.submit(audit_chunk, [text], kind, options, None, True)
    limit = isolated_timeout()
    try:
        return future.result(timeout=limit)[0]
    except (BrokenProcessPool, *worker_errors()) as exc:
        return crash_blob(exc)
    except TimeoutError:
        executor.shutdown(wait=False, kill_workers=True)
        record = error_record(
            "worker", "timeout",
            f"re-run alone after a worker crash, it took longer than {limit:.0f} s "
            "(MOLAUDIT_ISOLATED_TIMEOUT)",
        )
        record["audit_ms"] = float("nan")
        return encode_molecule(record, None)
    finally:
        executor.shutdown(wait=False)


def exit_reason(exc: BaseException) -> str:
    text = str(exc)
    for name in ("SIGPROF", "SIGKILL", "SIGSEGV", "SIGABRT", "SIGBUS", "SIGTERM"):
        if name in text:
            return name
    return "exit code unknown"


def crash_blob(exc: BaseException, repeated: bool = False) -> bytes:
    reason = exit_reason(exc)
    if reason == "SIGPROF":
        record = error_record(
            "worker", "timeout", "killed by the hard CPU-time limit (3 x timeout + 5 s)"
        )
    else:
        detail = "the worker pool kept dying; gave up" if repeated else "on this molecule"
        record = error_record(
            "worker", "worker_crashed", f"worker process died ({reason}) {detail}"
        )
    record["audit_ms"] = float("nan")
    return encode_molecule(record, None)
