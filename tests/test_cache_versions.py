"""A cache written by an older molaudit: never served as current, never a crash, and cleanable.

Every cache key starts with ``pipeline_version()`` (molaudit and RDKit versions), so entries of
another version are unreachable rather than wrong. These tests write entries as molaudit 0.0.9
would (its version string, results that differ from today's, an older batch description) and
check that the current version recomputes, lists and clears them without tripping over them.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import molaudit
import molaudit.run.cache
from molaudit.cli import main as cli
from molaudit.run.cache import Store, decode_molecule, encode_molecule

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c != "audit_ms"]
OLD_VERSION = "0.0.9"


def _write_as_old_version(frame, cache_dir, monkeypatch) -> molaudit.Batch:
    """Audit ``frame`` into the cache as molaudit 0.0.9, then make its entries look old.

    The molecule records get a score and canonical SMILES no current audit produces, so a
    test can tell if one were served; the batch description gets the shape of an older meta
    (no ``columns``/``run``/``activity_units``, an option that no longer exists).
    """
    with monkeypatch.context() as patch:
        patch.setattr(molaudit.run.cache, "__version__", OLD_VERSION)
        old = molaudit.audit(frame, n_jobs=1, cache_dir=cache_dir, progress=False)
    store = Store(cache_dir)
    molecules = store.cache("molecules")
    for key in list(molecules.iterkeys()):
        record, tail = decode_molecule(store.get_bytes("molecules", key))
        record.update(score=-7, smiles="OLD" + str(record.get("smiles")))
        assert store.set_bytes("molecules", key, encode_molecule(record, None) + tail)
    meta = store.get_json("batches", f"{old.key}/meta")
    for gone in ("columns", "run", "activity_units", "timings"):
        meta.pop(gone)
    meta["options"]["legacy_option"] = True
    assert store.set_json("batches", f"{old.key}/meta", meta)
    store.close()
    return old


def test_old_version_entries_are_recomputed_not_served(small_real, cache_dir, monkeypatch,
                                                       fault_log, quiet):
    head = small_real.head(12)
    old = _write_as_old_version(head, cache_dir, monkeypatch)
    fault_log("older-version cache", 12)
    new = molaudit.audit(head, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert new.key != old.key
    assert not new.run["from_batch_cache"]
    assert new.run["cache_hits"] == 0 and new.run["computed"] == len(head)
    reference = molaudit.audit(head, n_jobs=1, cache=False, progress=False)
    pd.testing.assert_frame_equal(new.table[COMPARE], reference.table[COMPARE])
    assert (new.table["score"] >= 0).all() and not new.table["smiles"].str.startswith("OLD").any()
    # the second current run is served from the current entries only
    again = molaudit.audit(head, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert again.run["from_batch_cache"] and again.key == new.key


def test_old_version_entries_with_the_current_key_shape_are_not_hits(small_real, cache_dir,
                                                                      monkeypatch, quiet):
    """Same molecules, grown batch: only current-version molecule entries count as hits."""
    head = small_real.head(10)
    _write_as_old_version(head, cache_dir, monkeypatch)
    current = molaudit.audit(head.head(4), n_jobs=1, cache_dir=cache_dir, progress=False)
    assert current.run["cache_hits"] == 0
    grown = molaudit.audit(head, n_jobs=1, cache_dir=cache_dir, progress=False)
    assert grown.run["cache_hits"] == 4 and grown.run["computed"] == 6


def test_cache_info_and_clear_handle_old_entries(small_real, cache_dir, monkeypatch, capsys,
                                                 quiet):
    head = small_real.head(6)
    _write_as_old_version(head, cache_dir, monkeypatch)
    molaudit.audit(head, n_jobs=1, cache_dir=cache_dir, progress=False)
    info = molaudit.cache_info(cache_dir=cache_dir)
    assert info["molecules"]["entries"] == 2 * len(head)  # both versions, until TTL or clear
    assert cli(["cache", "info", "--cache-dir", str(cache_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["molecules"]["entries"] == 2 * len(head)
    assert cli(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert "removed" in capsys.readouterr().out
    assert molaudit.cache_info(cache_dir=cache_dir)["molecules"]["entries"] == 0
    assert molaudit.batches(cache_dir=cache_dir).empty


def test_old_batch_description_is_listed_not_a_crash(small_real, cache_dir, monkeypatch, quiet):
    head = small_real.head(5)
    old = _write_as_old_version(head, cache_dir, monkeypatch)
    new = molaudit.audit(head, n_jobs=1, cache_dir=cache_dir, progress=False)
    listed = molaudit.batches(cache_dir=cache_dir)
    assert set(listed["key"]) == {new.key, old.key}
    assert listed.set_index("key").loc[new.key, "rows"] == len(head)


def test_reopening_an_old_format_batch_gives_the_clear_answer(small_real, cache_dir,
                                                               monkeypatch, quiet):
    old = _write_as_old_version(small_real.head(5), cache_dir, monkeypatch)
    try:
        reopened = molaudit.load(old.key, cache_dir=cache_dir)
    except KeyError as exc:
        assert "no cached batch" in str(exc)
    else:
        pytest.fail(f"an old-format batch was reopened as current: {reopened!r}")
