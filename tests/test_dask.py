"""Dask distributed backend: identical results to loky, a killed worker loses nothing, and no
wait on the cluster is unbounded.

Why each test has its own timeout and the fault tests their own cluster: this module used to
share one LocalCluster between all tests. After the worker-killing tests the shared cluster was
left with nannies restarting workers (or none at all) and a process-wide
``allowed-failures=1`` setting, so the next test either failed or waited forever in an unbounded
``client.gather``. A failure report written while distributed's threads were still formatting the
tracebacks of the killed workers then hit CPython 3.11's thread-unsafe AST recursion counter
(python/cpython#106905, used by ``traceback`` for its carets and by pytest for its reports):
``INTERNALERROR ... SystemError: AST constructor recursion depth mismatch``. Now every test that
injects a fault gets a fresh cluster that is closed when it ends, the dask config is set only for
that cluster, the cluster's logs are silenced (no traceback formatting in background threads) and
every wait is bounded (``molaudit.run.waits``), tested below by killing all workers during an
analytic.
"""

from __future__ import annotations

import logging
import os
import signal
import time

import pandas as pd
import pytest

import molaudit
from molaudit.errors import WaitTimeoutError, WorkersLostError

distributed = pytest.importorskip("distributed")  # the [dask] extra, installed by [dev]

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c != "audit_ms"]


def _cluster(**config):
    import dask

    with dask.config.set(config):
        return distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.CRITICAL,
        )  # fmt: skip


def _close(client, cluster) -> None:
    """Close a cluster, also one whose workers were killed: bounded, never a teardown error.

    After every worker was SIGKILLed the nannies wait for processes that are gone; under heavy
    load that can outlast any close timeout. What is left is in this process only (the
    nannies, the scheduler), is not used again and is stopped with the interpreter.
    """
    for close in (client.close, cluster.close):
        try:
            close(timeout=60)
        except (TimeoutError, OSError):
            pass


@pytest.fixture(scope="module")
def client():
    """One healthy cluster for the tests that inject no fault."""
    cluster = _cluster()
    c = distributed.Client(cluster)
    yield c
    _close(c, cluster)


@pytest.fixture
def fresh_client():
    """A cluster of its own for a test that kills workers; closed when the test ends."""
    import dask

    # a task may kill its worker once and be retried; the second death convicts it. Set only
    # while this cluster lives (the scheduler reads it at start and on every failure).
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = _cluster()
        c = distributed.Client(cluster)
        try:
            yield c
        finally:
            _close(c, cluster)


def _kill_all_workers(client) -> list[int]:
    """SIGKILL every worker process after telling its nanny not to restart it.

    The nannies of a LocalCluster live in this (the test's) process; only the workers are
    processes of their own. distributed 2026.x has no switch for "do not restart": a nanny
    restarts its worker unless it is closing, and one marked as closing gracefully closes
    itself when its worker exits, so the cluster is left with no worker at all.
    """
    from distributed.core import Status

    for nanny in client.cluster.workers.values():
        nanny.status = Status.closing_gracefully
    pids = [pid for pid in client.run(os.getpid).values() if pid != os.getpid()]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


@pytest.mark.timeout(120)
def test_dask_matches_loky(client, small_real, quiet):
    head = small_real.head(80)
    viadask = molaudit.audit(head, backend="dask", scheduler=client, cache=False, progress=False)
    viloky = molaudit.audit(head, n_jobs=2, cache=False, progress=False)
    pd.testing.assert_frame_equal(viadask.table[COMPARE], viloky.table[COMPARE])
    assert (viadask.fingerprints == viloky.fingerprints).all()


@pytest.mark.timeout(120)
def test_parallel_map_runs_chunks_on_the_cluster_in_order(client):
    from molaudit.run.parallel import parallel_map

    chunks = [list(range(n)) for n in (5, 1, 3, 0, 7)]
    with distributed.get_task_stream(client) as stream:
        lengths = parallel_map(len, chunks, n_jobs=2, backend="dask", scheduler=client)
    assert lengths == [5, 1, 3, 0, 7]
    assert sum(1 for task in stream.data if task["key"].startswith("len-")) == len(chunks)


@pytest.mark.timeout(120)
def test_scaffolds_of_a_dask_batch_run_on_the_cluster(client, small_real, quiet, monkeypatch):
    from molaudit.analytics import scaffolds

    # the real thresholds only ship chunks for >= 4,000 molecules
    monkeypatch.setattr(scaffolds, "_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds, "_CHUNK", 25)
    monkeypatch.setattr(scaffolds, "_GENERIC_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds, "_GENERIC_CHUNK", 25)
    viadask = molaudit.audit(small_real, backend="dask", scheduler=client, cache=False,
                             progress=False, analytics=False)
    viloky = molaudit.audit(small_real, n_jobs=1, cache=False, progress=False, analytics=False)
    with distributed.get_task_stream(client) as stream:
        got = viadask.analytics.run("scaffolds")
    want = viloky.analytics.run("scaffolds")
    # the generic scaffolds of the unique Murcko scaffolds went to the workers in chunks of 25
    assert sum(1 for task in stream.data if "generic_of_murcko" in task["key"]) >= 2
    assert set(got.frames) == set(want.frames)
    for name in want.frames:
        pd.testing.assert_frame_equal(got.frames[name], want.frames[name])


@pytest.mark.timeout(120)
def test_mmp_of_a_dask_batch_fragments_on_the_cluster(client, small_real, quiet):
    viadask = molaudit.audit(small_real, backend="dask", scheduler=client, cache=False,
                             progress=False, analytics=False)
    viloky = molaudit.audit(small_real, n_jobs=2, cache=False, progress=False, analytics=False)
    with distributed.get_task_stream(client) as stream:
        got = viadask.mmp()
    want = viloky.mmp()
    assert sum(1 for task in stream.data if "fragment_chunk" in task["key"]) >= 2
    assert len(want.frames["pairs"]) > 0
    pd.testing.assert_frame_equal(got.frames["pairs"], want.frames["pairs"])


def test_dask_with_a_bad_scheduler_is_a_clear_error():
    with pytest.raises(TypeError, match="scheduler must be an address string"):
        molaudit.audit(["CCO"], backend="dask", scheduler=42, cache=False, progress=False)


@pytest.mark.timeout(180)
def test_killing_a_dask_worker_loses_nothing(fresh_client, small_real, quiet):
    smiles = small_real["smiles"].tolist()
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if killed:
            return
        pids = fresh_client.run(os.getpid)
        pid = next(iter(pids.values()))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    batch = molaudit.audit(smiles, backend="dask", scheduler=fresh_client, cache=False,
                           progress=kill_one)
    assert killed
    assert batch.table["row"].tolist() == list(range(len(smiles)))
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False)
    pd.testing.assert_frame_equal(batch.table[COMPARE], reference.table[COMPARE])


@pytest.mark.slow
@pytest.mark.timeout(300)  # a cluster whose nannies cannot restart workers fails, never hangs
def test_molecule_that_kills_dask_workers_is_isolated(fresh_client, small_real, quiet):
    smiles = small_real["smiles"].head(16).tolist()
    options = molaudit.AuditOptions(_test_crash_on=smiles[9])
    try:
        batch = molaudit.audit(smiles, backend="dask", scheduler=fresh_client, cache=False,
                               progress=False, options=options)
    except WaitTimeoutError as exc:
        # Seen at load averages above 10 on 2 cores: the nannies restart the killed workers but
        # the new ones never register, and the cluster is left without workers. The audit then
        # stops with the bounded error (what this module guards against) instead of hanging.
        pytest.skip(f"the LocalCluster could not restart its workers under this load: {exc}")
    table = batch.table
    assert table.loc[9, "error_code"] == "worker_crashed"
    assert (table.drop(index=9)["status"] != "error").all()
    assert batch.run["worker_crashes"] >= 1


@pytest.mark.timeout(120)
def test_all_workers_killed_during_scaffolds_stops_with_a_clear_error(
    fresh_client, small_real, quiet, monkeypatch, fault_log
):
    from molaudit.analytics import scaffolds

    monkeypatch.setenv("MOLAUDIT_DASK_NO_WORKERS_TIMEOUT", "3")
    monkeypatch.setattr(scaffolds, "_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds, "_CHUNK", 25)
    monkeypatch.setattr(scaffolds, "_GENERIC_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds, "_GENERIC_CHUNK", 25)
    batch = molaudit.audit(small_real, backend="dask", scheduler=fresh_client, cache=False,
                           progress=False, analytics=False)
    real_map = scaffolds.parallel_map

    def kill_then_map(*args, **kwargs):
        # inside the analytic, just before its chunks go to the cluster: every worker dies
        fault_log("worker SIGKILL (Dask, during an analytic)", len(_kill_all_workers(fresh_client)))
        return real_map(*args, **kwargs)

    monkeypatch.setattr(scaffolds, "parallel_map", kill_then_map)
    t0 = time.monotonic()
    # either the tasks find no worker (the no-workers bound) or they were handed to a dying
    # worker and Dask gave up on them: both are a prompt error naming the analytic's function
    with pytest.raises(
        (WaitTimeoutError, WorkersLostError),
        match=(
            r"molaudit\.analytics\.scaffolds\.generic_of_murcko stopped: "
            r".*(no workers for 3 s|died)"
        ),
    ):
        batch.analytics.run("scaffolds")
    waited = time.monotonic() - t0
    assert waited < 60, waited  # the 3 s bound plus polling, not the test's own timeout


@pytest.mark.timeout(120)
def test_all_workers_killed_during_parallel_map_stops(fresh_client, monkeypatch, fault_log):
    from molaudit.run.parallel import parallel_map

    monkeypatch.setenv("MOLAUDIT_DASK_NO_WORKERS_TIMEOUT", "2")
    futures_started = []

    def kill_soon() -> None:
        # the chunks sleep 30 s each: they are running on the workers when the workers die
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(fresh_client.processing().values()):
            time.sleep(0.1)
        futures_started.append(True)
        fault_log("worker SIGKILL (Dask, during an analytic)", len(_kill_all_workers(fresh_client)))

    import threading

    killer = threading.Thread(target=kill_soon, daemon=True)
    killer.start()
    with pytest.raises(
        (WaitTimeoutError, WorkersLostError),
        match=r"the parallel map time\.sleep stopped: .*(no workers|died)",
    ):
        parallel_map(time.sleep, [30, 30, 30, 30], n_jobs=2, backend="dask",
                     scheduler=fresh_client)
    killer.join(timeout=30)
    assert futures_started


def test_a_cluster_without_workers_stops_the_audit_instead_of_hanging(monkeypatch):
    from molaudit.run import dask_backend

    class NoWorkers:  # stands in for a Client whose cluster lost every worker
        def nthreads(self) -> dict:
            return {}

    monkeypatch.setattr(dask_backend, "NO_WORKERS_TIMEOUT", 0.2)
    watchdog = dask_backend._NoWorkerWatchdog(NoWorkers(), every=0.0)
    watchdog.check()  # first sighting starts the clock
    time.sleep(0.3)
    with pytest.raises(RuntimeError, match=r"the audit stopped: .*no workers for 0 s"):
        watchdog.check()


def test_a_stalled_gather_stops_naming_what_waited():
    from molaudit.run.waits import NoWorkerWatchdog, gather_bounded

    class Never:  # a future that never finishes, on a cluster that keeps its workers
        status = "pending"

        def done(self) -> bool:
            return False

        def cancel(self) -> None:
            self.status = "cancelled"

    class Alive:
        def nthreads(self) -> dict:
            return {"tcp://w": 1}

    futures = [Never(), Never()]
    t0 = time.monotonic()
    with pytest.raises(WaitTimeoutError, match=r"analytic mmp stopped: no chunk finished for 0 s"):
        gather_bounded(Alive(), futures, what="analytic mmp", poll=0.05, stall=0.3,
                       watchdog=NoWorkerWatchdog(Alive(), "analytic mmp", every=0.0))
    assert time.monotonic() - t0 < 5
    assert [f.status for f in futures] == ["cancelled", "cancelled"]  # nothing left running
