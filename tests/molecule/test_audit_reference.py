"""Every audit column is identical to a table written before a change (opt-in).

Write the table with the code before the change (``python tests/molecule/audit_reference.py
write /tmp/audit_ref/ref.pkl``), change the code, then run this test with
``MOLAUDIT_AUDIT_REF=/tmp/audit_ref/ref.pkl``. Without the variable it is skipped: the table
is a snapshot of one RDKit version and one code state, not a committed oracle.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from audit_reference import compare, fixture_inputs, tables

REF = os.environ.get("MOLAUDIT_AUDIT_REF")


def test_fixture_inputs_cover_the_hand_checked_structures() -> None:
    sources = [source for source, _kind, _text in fixture_inputs()]
    assert sources.count("tricky_structures.tsv:smiles") == 188
    assert sources.count("chembl_drugs_multifragment.tsv:smiles") == 198
    assert any(kind == "molblock" for _s, kind, _t in fixture_inputs())


@pytest.mark.slow
@pytest.mark.skipif(not REF, reason="set MOLAUDIT_AUDIT_REF to a table written before a change")
def test_audit_identical_to_reference_table() -> None:
    with open(REF, "rb") as handle:
        reference = pickle.load(handle)
    with_moses = len(reference["default"]) > len(fixture_inputs())
    compare(reference, tables(with_moses=with_moses))
