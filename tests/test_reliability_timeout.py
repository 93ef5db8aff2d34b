"""A molecule that runs long in a worker: that row becomes ``timeout``, the batch finishes.

The slow molecule is real, not simulated: a 3,000-membered carbocycle (allowed in by raising
max_heavy_atoms) spends well over ten seconds in RDKit's Murcko scaffold code, which is
quadratic on long rings, while the ChEMBL molecules around it take milliseconds. The 2 s limit
leaves room for a cold worker's one-time set-up (building the alert catalog costs ~0.5 s on a
loaded machine and is charged to the first molecule).
"""

from __future__ import annotations

import pandas as pd

import molaudit
from molaudit import AuditOptions

# row and id shift by one after the inserted molecule; everything else must be identical
COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c not in {"audit_ms", "row", "id"}]
SLOW = "C1" + "C" * 2998 + "C1"
AT = 11


def test_slow_molecule_times_out_in_a_loky_worker_and_nothing_else_changes(small_real, fault_log,
                                                                           quiet):
    smiles = small_real["smiles"].head(30).tolist()
    batch_smiles = [*smiles[:AT], SLOW, *smiles[AT:]]
    options = AuditOptions(timeout=2.0, max_heavy_atoms=5000)
    fault_log("timeout")
    batch = molaudit.audit(batch_smiles, n_jobs=2, cache=False, progress=False, options=options)
    table = batch.table
    assert table["row"].tolist() == list(range(len(batch_smiles)))
    assert (table.loc[AT, "status"], table.loc[AT, "error_code"]) == ("error", "timeout")
    assert "time limit of 2 s" in table.loc[AT, "error_message"]
    assert batch.run["worker_crashes"] == 0
    reference = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False).table
    pd.testing.assert_frame_equal(
        table.drop(index=AT)[COMPARE].reset_index(drop=True), reference[COMPARE]
    )
