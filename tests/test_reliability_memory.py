"""Memory blow-up in one molecule: that row becomes ``memory_exceeded``, the batch finishes.

The path that happens here (Linux, loky): the soft RLIMIT_AS set by molaudit.run.limits makes the
runaway allocation fail with ``MemoryError`` inside the worker, the pipeline turns it into an
error row, and the worker survives (no crash, no re-run). The same in-process (``n_jobs=1``):
the test process plays the user's kernel and must come out alive with its limit restored.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd
import pytest

import molaudit
from molaudit import AuditOptions
from molaudit.run.limits import address_space_bytes, allocate_for_test, memory_cap

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"),
        reason="RLIMIT_AS and /proc/self/statm are Linux-only",
    ),
    pytest.mark.timeout(180),  # every test here starts a worker pool: each one has its own bound
]

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c != "audit_ms"]
CAP_MB = 256
CULPRIT = 17


def _table(batch):
    return batch.table[COMPARE].reset_index(drop=True)


@pytest.fixture(scope="module")
def smiles(small_real):
    return small_real["smiles"].head(60).tolist()


@pytest.fixture(scope="module")
def clean(smiles):
    """The same batch with no cap and no runaway molecule."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(
            smiles, n_jobs=1, cache=False, progress=False, options=AuditOptions(max_memory_mb=0)
        )


def _check_only_the_culprit_differs(batch, clean, smiles):
    table = batch.table
    assert len(table) == len(smiles) and table["row"].tolist() == list(range(len(smiles)))
    row = table.loc[CULPRIT]
    assert (row["status"], row["error_code"]) == ("error", "memory_exceeded")
    assert f"max_memory_mb={CAP_MB}" in row["error_message"]
    assert "ran out of memory" in row["error_message"]
    others = [i for i in range(len(smiles)) if i != CULPRIT]
    pd.testing.assert_frame_equal(
        _table(batch).iloc[others].reset_index(drop=True),
        _table(clean).iloc[others].reset_index(drop=True),
    )
    assert CULPRIT not in batch.fingerprint_rows
    keep = np.isin(clean.fingerprint_rows, batch.fingerprint_rows)
    assert (batch.fingerprints == clean.fingerprints[keep]).all()


def test_runaway_molecule_in_a_loky_worker(smiles, clean, quiet):
    options = AuditOptions(max_memory_mb=CAP_MB, _test_allocate_on=smiles[CULPRIT])
    batch = molaudit.audit(smiles, n_jobs=2, cache=False, progress=False, options=options)
    _check_only_the_culprit_differs(batch, clean, smiles)
    # the MemoryError was caught in the worker: no worker died, nothing was re-run
    assert batch.run["worker_crashes"] == 0


def test_runaway_molecule_in_process_leaves_the_kernel_alive(smiles, clean, quiet):
    before = resource.getrlimit(resource.RLIMIT_AS)
    options = AuditOptions(max_memory_mb=CAP_MB, _test_allocate_on=smiles[CULPRIT])
    batch = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False, options=options)
    _check_only_the_culprit_differs(batch, clean, smiles)
    # the "kernel" (this process) keeps its own limit and can allocate freely again
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    block = bytearray(4 * CAP_MB << 20)
    assert len(block) == 4 * CAP_MB << 20
    del block


def test_without_the_cap_the_same_molecule_is_not_stopped(smiles, quiet):
    """Control: the fault really allocates past the cap, so the tests above can fail."""
    options = AuditOptions(max_memory_mb=0, _test_allocate_on=smiles[CULPRIT])
    started = time.perf_counter()
    batch = molaudit.audit(
        smiles[CULPRIT : CULPRIT + 1], n_jobs=1, cache=False, progress=False, options=options
    )
    assert batch.table.loc[0, "status"] != "error"
    assert time.perf_counter() - started < 30


def test_rdkit_cxx_allocations_are_capped_too():
    """std::bad_alloc under the cap reaches Python as MemoryError (caught per molecule)."""
    from rdkit import DataStructs

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_cap(64) as applied:
        assert applied
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        assert soft <= address_space_bytes() + (64 << 20)
        with pytest.raises(MemoryError):
            DataStructs.ExplicitBitVect(2_000_000_000)  # 250 MB of bits
        with pytest.raises(MemoryError):
            allocate_for_test(64)
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def test_cap_never_loosens_a_user_limit_and_is_off_elsewhere():
    import threading

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    tight = address_space_bytes() + (512 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (tight, hard))
    try:
        with memory_cap(100_000):
            assert resource.getrlimit(resource.RLIMIT_AS)[0] == tight
        with memory_cap(0) as applied:
            assert not applied
        seen: list[bool] = []

        def worker_thread() -> None:
            with memory_cap(64) as applied:
                seen.append(applied)

        thread = threading.Thread(target=worker_thread)
        thread.start()
        thread.join()
        assert seen == [False]  # a process-wide limit is not set from a worker thread
        assert resource.getrlimit(resource.RLIMIT_AS)[0] == tight
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_max_memory_mb_is_validated():
    with pytest.raises(ValueError, match="max_memory_mb must be an integer"):
        AuditOptions(max_memory_mb=-1)
    with pytest.raises(ValueError, match="max_memory_mb must be an integer"):
        AuditOptions(max_memory_mb=1.5)
    assert AuditOptions(max_memory_mb=0).digest() != AuditOptions().digest()
