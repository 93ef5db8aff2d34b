"""Wiring between the layers after the import cycles were cut.

The input form gets its audit injected (or the one molaudit.api registers), the cached batch is
rebuilt by the api from plain fields, and ``Batch.curate``/``Batch.split`` reach the analytics
without the entry module ``molaudit.curation``.
"""

from __future__ import annotations

import warnings

import pandas as pd

import molaudit
import molaudit.api
import molaudit.curation
from molaudit import _entry
from molaudit.run.batch_store import load_batch_fields


def test_the_api_registers_its_audit_for_the_front_ends() -> None:
    assert _entry.audit_function() is molaudit.api.audit


def test_the_input_form_runs_an_injected_audit() -> None:
    from molaudit.notebook.input_form import InputForm

    seen: dict = {}
    shown: list = []

    def fake_audit(data, **kwargs):
        seen["data"], seen["kwargs"] = data, kwargs
        return "a batch"

    form = InputForm(on_batch=shown.append, namespace={}, audit=fake_audit)
    form.text.value = "CCO ethanol\nCCN amine\n"
    form.n_jobs.value = 1
    form.run().join(30)
    assert shown == ["a batch"], form.message.value
    assert seen["data"]["smiles"].tolist() == ["CCO", "CCN"]
    assert seen["kwargs"]["n_jobs"] == 1 and seen["kwargs"]["id_col"] == "id"


def test_a_cached_batch_comes_back_field_for_field(tmp_path) -> None:
    frame = pd.DataFrame({"smiles": ["CCO", "c1ccccc1O", "bad("], "pIC50": [5.0, 6.0, 7.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cold = molaudit.audit(frame, n_jobs=1, progress=False, cache_dir=tmp_path)
    fields = load_batch_fields(cold.store, cold.key)
    assert fields is not None and fields["key"] == cold.key
    assert fields["run"]["from_batch_cache"] is True
    warm = molaudit.load(cold.key, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(warm.table, cold.table)
    assert (warm.fingerprints == cold.fingerprints).all()
    assert warm.activity_units == cold.activity_units == "pX"
    assert load_batch_fields(cold.store, "no-such-key") is None


def test_curate_on_a_warm_batch_gives_python_lists(tmp_path) -> None:
    # two rows of one compound: the curated row lists both input rows
    frame = pd.DataFrame({"smiles": ["CCO", "OCC", "c1ccccc1O"], "pIC50": [5.0, 5.2, 6.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        molaudit.audit(frame, n_jobs=1, progress=False, cache_dir=tmp_path).curate()
        warm = molaudit.audit(frame, n_jobs=1, progress=False, cache_dir=tmp_path)
        result = warm.curate()
    rows = result.frames["curated"]["rows"].tolist()
    assert sorted(rows) == [[0, 1], [2]]
    assert all(type(r) is int for cell in rows for r in cell)
    assert result.summary["recipe"]["columns"]["smiles"] == "smiles"
    assert molaudit.curation.batch_curate(warm).frames["curated"]["rows"].tolist() == rows
