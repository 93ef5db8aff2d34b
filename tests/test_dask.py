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


def test_molecule_that_kills_dask_workers_is_isolated(client, small_real, quiet):
    smiles = small_real["smiles"].head(40).tolist()
    options = molaudit.AuditOptions(_test_crash_on=smiles[9])
    batch = molaudit.audit(smiles, backend="dask", scheduler=client, cache=False,
                           progress=False, options=options)
    table = batch.table
    assert table.loc[9, "error_code"] == "worker_crashed"
    assert (table.drop(index=9)["status"] != "error").all()
    assert batch.run["worker_crashes"] >= 1
