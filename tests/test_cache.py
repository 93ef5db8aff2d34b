"""The cache holds plain bytes only, is user-private, and survives corruption."""

from __future__ import annotations

import os
import pickle
import stat

import diskcache
import pytest

import molaudit
from molaudit.run.cache import SafeDisk, Store, decode_molecule, encode_molecule

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)


class _Exploit:
    """Unpickling this creates a file: proof that a pickle ran."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_cache_directory_is_user_private(cache_dir):
    store = Store(cache_dir)
    store.cache("molecules")
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache_dir / "molecules").st_mode) == 0o700


def test_planted_pickle_is_refused_not_executed(cache_dir, tmp_path, fault_log):
    marker = tmp_path / "pwned"
    store = Store(cache_dir)
    store.cache("batches")
    # a stranger writes a pickled value under a key molaudit will read
    with diskcache.Cache(str(cache_dir / "batches")) as plain:
        plain.set("deadbeef/meta", _Exploit(str(marker)))
        plain.set("deadbeef/table", pickle.dumps(1))  # bytes: stored raw, harmless
    fault_log("planted pickle")
    assert store.get_bytes("batches", "deadbeef/meta") is None
    assert not marker.exists()
    with pytest.raises(KeyError, match="no cached batch"):
        molaudit.load("deadbeef", cache_dir=cache_dir)
    assert not marker.exists()


def test_safe_disk_refuses_non_bytes(cache_dir):
    with diskcache.Cache(str(cache_dir / "x"), disk=SafeDisk) as cache:
        with pytest.raises(TypeError, match="cache values must be bytes"):
            cache.set("k", {"a": 1})
        with pytest.raises(TypeError, match="cache keys must be str"):
            cache.set(("tuple", "key"), b"v")


def test_corrupted_entries_are_misses(small_real, cache_dir, quiet, fault_log):
    batch = molaudit.audit(small_real.head(10), n_jobs=1, cache_dir=cache_dir, progress=False)
    store = Store(cache_dir)
    store.set_bytes("batches", f"{batch.key}/table", b"not parquet")
    cache = store.cache("molecules")
    for key in list(cache.iterkeys())[:3]:
        store.set_bytes("molecules", key, b"garbage")
    fault_log("corrupted cache entry", 4)
    again = molaudit.audit(small_real.head(10), n_jobs=1, cache_dir=cache_dir, progress=False)
    assert not again.run["from_batch_cache"]
    assert again.run["computed"] == 3 and again.run["cache_hits"] == 7
    assert again.table["smiles"].tolist() == batch.table["smiles"].tolist()


def test_molecule_entry_roundtrip_and_rejects_foreign_bytes():
    import numpy as np

    fp = np.arange(256, dtype=np.uint8)
    record, tail = decode_molecule(encode_molecule({"a": 1.5, "b": None}, fp))
    assert record == {"a": 1.5, "b": None} and tail == fp.tobytes()
    with pytest.raises(ValueError, match="not a molaudit molecule entry"):
        decode_molecule(b"\x80\x04K\x01.")


def test_cache_info_clear_prune(small_real, cache_dir, quiet):
    molaudit.audit(small_real.head(5), n_jobs=1, cache_dir=cache_dir, progress=False)
    info = molaudit.cache_info(cache_dir=cache_dir)
    assert info["molecules"]["entries"] == 5 and info["bytes"] > 0
    store = Store(cache_dir)
    assert store.prune() == 0
    assert store.clear() >= 5
    assert molaudit.cache_info(cache_dir=cache_dir)["molecules"]["entries"] == 0


def test_unwritable_cache_still_returns_the_batch(small_real, cache_dir, quiet, monkeypatch,
                                                   fault_log):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(diskcache.Cache, "set", full)
    fault_log("disk full")
    batch = molaudit.audit(small_real.head(8), n_jobs=1, cache_dir=cache_dir, progress=False)
    assert len(batch.table) == 8 and (batch.table["status"] != "error").all()
    assert any("could not be written to the cache" in n for n in batch.notes)
