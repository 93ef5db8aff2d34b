"""Dask distributed backend: identical results to loky, a killed worker loses nothing."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

import molaudit

distributed = pytest.importorskip("distributed")  # the [dask] extra, installed by [dev]

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c != "audit_ms"]


@pytest.fixture(scope="module")
def client():
    import dask

    # a task may kill its worker once and be retried; the second death convicts it
    dask.config.set({"distributed.scheduler.allowed-failures": 1})
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_matches_loky(client, small_real, quiet):
    head = small_real.head(80)
    viadask = molaudit.audit(head, backend="dask", scheduler=client, cache=False, progress=False)
    viloky = molaudit.audit(head, n_jobs=2, cache=False, progress=False)
    pd.testing.assert_frame_equal(viadask.table[COMPARE], viloky.table[COMPARE])
    assert (viadask.fingerprints == viloky.fingerprints).all()


def test_killing_a_dask_worker_loses_nothing(client, small_real, quiet):
    smiles = small_real["smiles"].tolist()
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if killed:
            return
        pids = client.run(os.getpid)
        pid = next(iter(pids.values()))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    batch = molaudit.audit(smiles, backend="dask", scheduler=client, cache=False,
                           progress=kill_one)
    assert killed
    assert batch.table["row"].tolist() == list(range(len(smiles)))
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False)
    pd.testing.assert_frame_equal(batch.table[COMPARE], reference.table[COMPARE])


def test_dask_with_a_bad_scheduler_is_a_clear_error():
    with pytest.raises(TypeError, match="scheduler must be an address string"):
        molaudit.audit(["CCO"], backend="dask", scheduler=42, cache=False, progress=False)


@pytest.mark.timeout(600)  # a cluster whose nannies cannot restart workers fails, never hangs
def test_molecule_that_kills_dask_workers_is_isolated(client, small_real, quiet):
    smiles = small_real["smiles"].head(40).tolist()
    options = molaudit.AuditOptions(_test_crash_on=smiles[9])
    batch = molaudit.audit(smiles, backend="dask", scheduler=client, cache=False,
                           progress=False, options=options)
    table = batch.table
    assert table.loc[9, "error_code"] == "worker_crashed"
    assert (table.drop(index=9)["status"] != "error").all()
    assert batch.run["worker_crashes"] >= 1


def test_parallel_map_runs_chunks_on_the_cluster_in_order(client):
    from molaudit.run.parallel import parallel_map

    chunks = [list(range(n)) for n in (5, 1, 3, 0, 7)]
    with distributed.get_task_stream(client) as stream:
        lengths = parallel_map(len, chunks, n_jobs=2, backend="dask", scheduler=client)
    assert lengths == [5, 1, 3, 0, 7]
    assert sum(1 for task in stream.data if task["key"].startswith("len-")) == len(chunks)


def test_scaffolds_of_a_dask_batch_run_on_the_cluster(client, small_real, quiet, monkeypatch):
    from molaudit.analytics import scaffolds

    # the real thresholds only ship chunks for >= 4,000 molecules
    monkeypatch.setattr(scaffolds, "_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds, "_CHUNK", 25)
    viadask = molaudit.audit(small_real, backend="dask", scheduler=client, cache=False,
                             progress=False, analytics=False)
    viloky = molaudit.audit(small_real, n_jobs=1, cache=False, progress=False, analytics=False)
    with distributed.get_task_stream(client) as stream:
        got = viadask.analytics.run("scaffolds")
    want = viloky.analytics.run("scaffolds")
    # the generic scaffolds of the unique Murcko scaffolds went to the workers in chunks of 25
    assert sum(1 for task in stream.data if "_apply" in task["key"]) >= 2
    assert set(got.frames) == set(want.frames)
    for name in want.frames:
        pd.testing.assert_frame_equal(got.frames[name], want.frames[name])


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


def test_a_cluster_without_workers_stops_the_audit_instead_of_hanging(monkeypatch):
    from molaudit.run import dask_backend

    class NoWorkers:  # stands in for a Client whose cluster lost every worker
        def nthreads(self) -> dict:
            return {}

    monkeypatch.setattr(dask_backend, "NO_WORKERS_TIMEOUT", 0.2)
    watchdog = dask_backend._NoWorkerWatchdog(NoWorkers(), every=0.0)
    watchdog.check()  # first sighting starts the clock
    import time

    time.sleep(0.3)
    with pytest.raises(RuntimeError, match="no workers for 0 s"):
        watchdog.check()
