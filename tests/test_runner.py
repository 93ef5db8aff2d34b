"""The runner: ordering, parallel == serial, cache behaviour, crashes, interrupts."""

from __future__ import annotations

import os
import signal
import threading
import time

import pandas as pd
import psutil
import pytest

import molaudit
from molaudit import AuditCancelled, AuditOptions

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c != "audit_ms"]


def _table(batch):
    return batch.table[COMPARE].reset_index(drop=True)


def test_n_jobs_1_and_2_identical_and_in_input_order(small_real, quiet):
    shuffled = small_real.sample(frac=1.0, random_state=7).reset_index(drop=True)
    one = molaudit.audit(shuffled, n_jobs=1, cache=False, progress=False)
    two = molaudit.audit(shuffled, n_jobs=2, cache=False, progress=False)
    pd.testing.assert_frame_equal(_table(one), _table(two))
    assert one.table["smiles_input"].tolist() == shuffled["smiles"].tolist()
    assert (one.fingerprints == two.fingerprints).all()
    assert one.key == two.key


def test_cache_hit_options_change_and_grown_batch(small_real, cache_dir, quiet):
    first = molaudit.audit(small_real, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert first.run["computed"] == len(small_real) and not first.run["from_batch_cache"]
    again = molaudit.audit(small_real, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert again.run["from_batch_cache"] and again.key == first.key
    pd.testing.assert_frame_equal(again.table, first.table)
    assert (again.fingerprints == first.fingerprints).all()
    changed = molaudit.audit(
        small_real,
        n_jobs=1,
        cache_dir=cache_dir,
        progress=False,
        options=AuditOptions(alerts=False),
    )
    assert changed.key != first.key and changed.run["cache_hits"] == 0
    grown = pd.concat(
        [small_real, pd.DataFrame({"smiles": ["CCOC(=O)c1ccccc1", "CCCCCCO"]})],
        ignore_index=True,
    )
    bigger = molaudit.audit(grown, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert bigger.run["cache_hits"] == len(small_real) and bigger.run["computed"] == 2
    pd.testing.assert_frame_equal(
        _table(bigger).head(len(small_real)), _table(first), check_dtype=False
    )


def test_ttl_expiry(cache_dir, quiet, monkeypatch):
    smiles = ["CCO", "CCN", "c1ccccc1"]
    # a TTL of one minute and a clock moved on by two, rather than a 1 s TTL and a sleep: on a
    # loaded machine the audit itself took longer than 1 s and the entry expired before the
    # first load (a flaky test)
    first = molaudit.audit(smiles, n_jobs=1, cache_dir=cache_dir, ttl=60, progress=False)
    assert molaudit.load(first.key, cache_dir=cache_dir).key == first.key
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)  # diskcache reads time.time
    with pytest.raises(KeyError, match="no cached batch"):
        molaudit.load(first.key, cache_dir=cache_dir)
    again = molaudit.audit(smiles, n_jobs=1, cache_dir=cache_dir, ttl=60, progress=False)
    assert not again.run["from_batch_cache"] and again.run["cache_hits"] == 0


def test_load_survives_a_new_process(small_real, cache_dir, quiet):
    batch = molaudit.audit(small_real.head(20), n_jobs=1, cache_dir=cache_dir, progress=False)
    code = (
        "import molaudit, sys; b = molaudit.load(sys.argv[1], cache_dir=sys.argv[2]); "
        "print(len(b.table), b.fingerprints.shape[0])"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code, batch.key, str(cache_dir)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(len(batch.table)), str(len(batch.fingerprints))]
    listed = molaudit.batches(cache_dir=cache_dir)
    assert batch.key in listed["key"].tolist()
    assert listed.columns.tolist() == ["key", "rows", "source", "created", "expires"]


def test_worker_crash_isolates_the_culprit(small_real, quiet):
    smiles = small_real["smiles"].head(60).tolist()
    culprit = smiles[17]
    options = AuditOptions(_test_crash_on=culprit)
    batch = molaudit.audit(smiles, n_jobs=2, cache=False, progress=False, options=options)
    table = batch.table
    assert len(table) == 60 and table["row"].tolist() == list(range(60))
    assert table.loc[17, "error_code"] == "worker_crashed"
    assert "SIGKILL" in table.loc[17, "error_message"]
    assert batch.run["worker_crashes"] >= 1
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False)
    others = [i for i in range(60) if i != 17]
    pd.testing.assert_frame_equal(
        _table(batch).iloc[others].reset_index(drop=True),
        _table(reference).iloc[others].reset_index(drop=True),
    )


def test_worker_killed_from_outside_loses_nothing(small_real, quiet):
    smiles = small_real["smiles"].tolist()
    killed: list[int] = []

    def kill_one(done: int, total: int) -> None:
        if killed:
            return
        for child in psutil.Process().children(recursive=True):
            if "python" in child.name().lower():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
                return

    batch = molaudit.audit(smiles, n_jobs=2, cache=False, progress=kill_one)
    assert killed
    assert len(batch.table) == len(smiles)
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False)
    # the molecules in flight were re-run alone and passed: nothing is marked crashed
    pd.testing.assert_frame_equal(_table(batch), _table(reference))


def test_cancel_keeps_finished_chunks_and_resumes(chembl231, cache_dir, quiet):
    smiles = chembl231["smiles"].head(400).tolist()
    cancel = threading.Event()

    def stop_after_first_chunk(done: int, total: int) -> None:
        cancel.set()

    with pytest.raises(AuditCancelled, match="cancelled"):
        molaudit.audit(
            smiles, n_jobs=2, cache_dir=cache_dir, progress=stop_after_first_chunk, cancel=cancel
        )
    resumed = molaudit.audit(smiles, n_jobs=2, cache_dir=cache_dir, progress=False)
    assert 0 < resumed.run["cache_hits"] < len(smiles)
    assert resumed.run["cache_hits"] + resumed.run["computed"] == len(smiles)
    assert (resumed.table["status"] != "error").all()


def test_bad_runner_arguments():
    with pytest.raises(ValueError, match="backend must be one of"):
        molaudit.audit(["CCO"], backend="spark", cache=False, progress=False)
    with pytest.raises(ValueError, match=r"n_jobs must be -1 \(all cores\), 1 \(in process\)"):
        molaudit.audit(["CCO"], n_jobs=0, cache=False, progress=False)


def test_threading_and_sequential_backends_agree(small_real, quiet):
    head = small_real.head(30)
    a = molaudit.audit(head, n_jobs=2, backend="threading", cache=False, progress=False)
    b = molaudit.audit(head, n_jobs=1, backend="sequential", cache=False, progress=False)
    pd.testing.assert_frame_equal(_table(a), _table(b))


def test_ctrl_c_stops_and_the_rerun_resumes(chembl231, tmp_path):
    """A real SIGINT (Ctrl-C / kernel interrupt) mid-batch keeps finished chunks cached."""
    import subprocess
    import sys
    import textwrap

    smiles_file = tmp_path / "smiles.txt"
    smiles = chembl231["smiles"].head(400).tolist()
    smiles_file.write_text("\n".join(smiles))
    script = textwrap.dedent(
        """
        import os, signal, sys, molaudit
        smiles = open(sys.argv[1]).read().splitlines()
        def interrupt(done, total):
            os.kill(os.getpid(), signal.SIGINT)
        try:
            molaudit.audit(smiles, n_jobs=2, cache_dir=sys.argv[2], progress=interrupt)
        except KeyboardInterrupt:
            sys.exit(42)
        """
    )
    started = time.perf_counter()
    code = subprocess.run(
        [sys.executable, "-c", script, str(smiles_file), str(tmp_path / "c")], timeout=300
    ).returncode
    assert code == 42
    assert time.perf_counter() - started < 60
    resumed = molaudit.audit(smiles, n_jobs=1, cache_dir=tmp_path / "c", progress=False)
    assert resumed.run["cache_hits"] > 0
    assert resumed.run["cache_hits"] + resumed.run["computed"] == len(smiles)


@pytest.mark.parametrize("kind", ["csv", "sdf", "frame"])
def test_warm_batch_equals_cold_and_its_summary_tells_this_run(tmp_path, small_real, kind, quiet):
    head = small_real.head(12)
    if kind == "csv":
        data = tmp_path / "in.csv"
        head.to_csv(data, index=False)
    elif kind == "sdf":
        from rdkit import Chem

        data = tmp_path / "in.sdf"
        with Chem.SDWriter(str(data)) as writer:
            for smiles, act in zip(head["smiles"], head.iloc[:, 1], strict=True):
                mol = Chem.MolFromSmiles(smiles)
                mol.SetProp("pKi", str(act))
                writer.write(mol)
    else:
        data = head
    cache = tmp_path / "cache"
    cold = molaudit.audit(data, n_jobs=1, cache_dir=cache, progress=False, analytics=False)
    warm = molaudit.audit(data, n_jobs=1, cache_dir=cache, progress=False, analytics=False)
    assert not cold.run["from_batch_cache"] and warm.run["from_batch_cache"]
    pd.testing.assert_frame_equal(warm.table, cold.table)  # dtypes included
    # the warm summary: rows read from the cache and the seconds that took, nothing computed
    summary = warm.summary()
    assert summary["cache"]["computed"] == 0
    assert summary["cache"]["rows_read_from_cache"] == len(head)
    assert set(summary["timings"]) == {"read", "total"}
    assert cold.run["computed"] == len(head)


def test_progress_counts_rows_not_unique_structures(quiet, cache_dir):
    # 6 rows, 2 distinct structures: the bar must end at 6 (the records the user gave)
    seen: list[tuple[int, int]] = []
    smiles = ["CCO", "CCO", "CCO", "c1ccccc1", "c1ccccc1", "CCO"]
    molaudit.audit(smiles, n_jobs=1, cache_dir=cache_dir, progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (6, 6)
    # grown batch: the 6 cached rows are done from the start, the new row finishes it
    seen.clear()
    molaudit.audit([*smiles, "CCN"], n_jobs=1, cache_dir=cache_dir,
                   progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert seen == [(7, 7)]
