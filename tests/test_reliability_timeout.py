"""A molecule that runs long in a worker: that row becomes ``timeout``, the batch finishes.

The slow molecule is real, not simulated: a 1,000-membered carbocycle (allowed in by raising
max_heavy_atoms) spends ~1.4 s of CPU in RDKit (Murcko scaffold code, quadratic on long rings;
measured 2026-12-02 on a quiet machine, 1.45 s), while the ChEMBL molecules around it take
milliseconds. It stays below InChI's 1,024-atom limit, so no critical ``inchi_failed`` check
makes the row an error before the clock matters. The 0.4 s limit (wall clock, 3.5x below the
molecule's CPU time alone) is noticed when that C++ call returns; the hard limit (3 x timeout +
5 s = 6.2 s of CPU time, which then kills the worker) is far enough above the ~1.4 s of CPU that
the timeout path, not the crash path, is what this test sees, loaded machine or not.
"""

from __future__ import annotations

import pandas as pd
import pytest

import molaudit
from molaudit import AuditOptions

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

# row and id shift by one after the inserted molecule; everything else must be identical
COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c not in {"audit_ms", "row", "id"}]
SLOW = "C1" + "C" * 998 + "C1"
AT = 11


def test_slow_molecule_times_out_in_a_loky_worker_and_nothing_else_changes(small_real, fault_log,
                                                                           quiet):
    smiles = small_real["smiles"].head(30).tolist()
    batch_smiles = [*smiles[:AT], SLOW, *smiles[AT:]]
    options = AuditOptions(timeout=0.4, max_heavy_atoms=5000)
    fault_log("timeout")
    batch = molaudit.audit(batch_smiles, n_jobs=2, cache=False, progress=False, options=options)
    table = batch.table
    assert table["row"].tolist() == list(range(len(batch_smiles)))
    assert (table.loc[AT, "status"], table.loc[AT, "error_code"]) == ("error", "timeout")
    assert "time limit of 0.4 s" in table.loc[AT, "error_message"]
    assert batch.run["worker_crashes"] == 0
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False).table
    pd.testing.assert_frame_equal(
        table.drop(index=AT)[COMPARE].reset_index(drop=True), reference[COMPARE]
    )
