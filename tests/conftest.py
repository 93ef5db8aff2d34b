"""Shared fixtures: a private cache directory per test session and small real data."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"


def pytest_configure(config: pytest.Config) -> None:
    # never touch the user's real cache from the tests
    if "MOLAUDIT_CACHE_DIR" not in os.environ:
        os.environ["MOLAUDIT_CACHE_DIR"] = str(
            Path(config.rootpath) / ".pytest_cache" / "molaudit-cache"
        )
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(config.rootpath) / ".pytest_cache" / "numba"))


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def chembl231() -> pd.DataFrame:
    """The bundled MoleculeACE CHEMBL231_Ki set (973 rows, MIT)."""
    from molaudit.demo import demo_data_path

    return pd.read_csv(demo_data_path())


@pytest.fixture(scope="session")
def small_real(chembl231: pd.DataFrame) -> pd.DataFrame:
    """120 real ChEMBL molecules with activity."""
    return chembl231.head(120).reset_index(drop=True)


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield



# ------------------------------------------------------------------- reliability figures
# When $MOLAUDIT_FAULT_LOG names a file, every test appends one JSON line to it: its outcome,
# the faults it injected and what every molaudit.audit call took in and gave back. Faults are
# observed where a hook can see them (kills sent by test code, the fault-injection options,
# interrupts raised out of audit) and otherwise recorded by the test at the point of injection
# through the ``fault_log`` fixture. benchmarks/reliability_figures.py turns the lines into the
# README table. Hooks rather than an autouse fixture, because hypothesis refuses
# function-scoped fixtures.
FAULT_LOG_ENV = "MOLAUDIT_FAULT_LOG"


class _FaultRecorder:
    """What one test did: faults injected (by kind) and the audits it ran."""

    def __init__(self) -> None:
        self.faults: dict[str, int] = {}
        self.audits: list[dict] = []
        self.inputs: list[str] = []
        self.backend: str | None = None
        self.rows_read: int | None = None
        self.exports: list[dict] = []

    def fault(self, kind: str, n: int = 1) -> None:
        self.faults[kind] = self.faults.get(kind, 0) + int(n)


_recorder: _FaultRecorder | None = None
_outcomes: dict[str, str] = {}
_durations: dict[str, float] = {}


@pytest.fixture
def fault_log():
    """``fault_log(kind, n=1)`` records ``n`` injected faults of ``kind`` for the figures."""

    def record(kind: str, n: int = 1) -> None:
        if _recorder is not None:
            _recorder.fault(kind, n)

    return record


def _install_observers(rec: _FaultRecorder) -> list[tuple[object, str, object]]:
    import signal
    import sys

    import molaudit
    import molaudit.api
    import molaudit.export

    tests_dir = Path(__file__).parent.resolve()
    real_kill, real_audit, real_read = os.kill, molaudit.audit, molaudit.api.read_input
    real_export = molaudit.export.export_batch

    def export_batch(batch, path, **kw):
        out = real_export(batch, path, **kw)
        rec.exports.append({"format": Path(path).suffix.lower(), "rows": len(batch.table)})
        return out

    def kill(pid: int, sig: int) -> None:
        # only kills sent by test code count (not joblib/loky shutting its own workers down)
        if Path(sys._getframe(1).f_code.co_filename).resolve().is_relative_to(tests_dir):
            if sig == signal.SIGKILL and pid != os.getpid():
                rec.fault(f"worker SIGKILL ({rec.backend or 'loky'})")
            elif sig == signal.SIGINT:
                rec.fault("KeyboardInterrupt")
        real_kill(pid, sig)

    def read_input(data, **kw):
        table = real_read(data, **kw)
        rec.rows_read = len(table.structures)
        if isinstance(data, str | os.PathLike):
            rec.inputs.append(str(Path(data).resolve()))
        return table

    def audit(data, **kw):
        options, backend = kw.get("options"), kw.get("backend", "loky")
        pooled = backend == "loky" and kw.get("n_jobs", -1) != 1
        rec.backend = "Dask" if backend == "dask" else "loky" if pooled else None
        if options is not None and options._test_crash_on and rec.backend:
            rec.fault(f"worker SIGKILL ({rec.backend})")
        if options is not None and options._test_allocate_on and options.max_memory_mb:
            rec.fault(f"memory ({rec.backend or 'in-process'})")
        entry: dict = {"backend": backend, "n_jobs": kw.get("n_jobs", -1), "input": _kind(data)}
        rec.rows_read = None
        try:
            batch = real_audit(data, **kw)
        except BaseException as exc:
            entry["raised"] = type(exc).__name__
            if isinstance(exc, KeyboardInterrupt):
                rec.fault("KeyboardInterrupt")
            rec.audits.append(entry)
            raise
        finally:
            rec.backend = None
        table = batch.table
        # rows in: the caller's own count where it has one, else what the reader read
        has_len = hasattr(data, "__len__") and not isinstance(data, str | bytes)
        entry["rows_in"] = len(data) if has_len else rec.rows_read
        entry["rows_out"] = len(table)
        entry["rows_in_order"] = table["row"].tolist() == list(range(len(table)))
        entry["status"] = table["status"].value_counts().to_dict()
        entry["error_codes"] = table["error_code"].dropna().value_counts().to_dict()
        entry["worker_crashes"] = int(batch.run.get("worker_crashes", 0))
        rec.audits.append(entry)
        return batch

    saved = [(os, "kill", real_kill), (molaudit, "audit", real_audit),
             (molaudit.api, "read_input", real_read),
             (molaudit.export, "export_batch", real_export)]  # fmt: skip
    os.kill, molaudit.audit, molaudit.api.read_input = kill, audit, read_input
    molaudit.export.export_batch = export_batch
    return saved


def _kind(data: object) -> str:
    """What kind of input an audit was given, for the figures."""
    if isinstance(data, str | os.PathLike):
        name = Path(data).name.lower().removesuffix(".gz")
        return f"file {Path(name).suffix or '(none)'}"
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return "DataFrame"
    if isinstance(data, pd.Series):
        return "Series"
    if isinstance(data, list | tuple):
        from rdkit import Chem

        return "list of Mol" if any(isinstance(x, Chem.Mol) for x in data) else "list of SMILES"
    return type(data).__name__


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not os.environ.get(FAULT_LOG_ENV):
        return
    if report.when == "call":
        _durations[report.nodeid] = float(report.duration)
    if report.when == "call" or report.outcome != "passed":
        if _outcomes.get(report.nodeid) in (None, "passed"):
            _outcomes[report.nodeid] = report.outcome


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    global _recorder
    path = os.environ.get(FAULT_LOG_ENV)
    if not path:
        yield
        return
    import json

    _recorder = rec = _FaultRecorder()
    saved = _install_observers(rec)
    try:
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)
        _recorder = None
        function = getattr(item, "function", None)
        line = {
            "nodeid": item.nodeid,
            "outcome": _outcomes.get(item.nodeid, "unknown"),
            "hypothesis": bool(getattr(function, "is_hypothesis_test", False)),
            "faults": rec.faults,
            "audits": rec.audits,
            "inputs": sorted(set(rec.inputs)),
            "exports": rec.exports,
            "seconds": _durations.pop(item.nodeid, 0.0),
        }
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, default=str) + "\n")
