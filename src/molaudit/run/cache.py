"""The local disk cache: diskcache with a time-to-live, holding plain data only.

Layout under the cache directory (created user-private, mode 0700):

* ``molecules/``: one entry per (package version, RDKit version, options, structure): the audit
  record as JSON plus the packed fingerprint, so a grown batch costs only its new molecules;
* ``batches/``: per batch key, the table as Parquet bytes, fingerprints as raw bytes and a JSON
  description, so the identical batch costs one read;
* ``analytics/``: analytic results (frames as Parquet, summary as JSON).

Every value is ``bytes`` written by molaudit and every key a hex-digest string. Entries that
diskcache would unpickle are refused (:class:`SafeDisk`): a cache directory is a place strangers
can write to, and unpickling runs their code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import time
from pathlib import Path
from typing import Any

import diskcache
import numpy as np
import pandas as pd
import platformdirs
import rdkit

from molaudit._version import __version__

__all__ = ["SafeDisk", "Store", "UnsafeCacheEntry", "default_cache_dir", "default_ttl"]

_MAGIC = b"MA1\n"
SIZE_LIMIT = int(os.environ.get("MOLAUDIT_CACHE_SIZE_LIMIT", 50 * 1024**3))


class UnsafeCacheEntry(Exception):
    """A cache entry is not plain bytes (it would have been unpickled): it is refused."""


class SafeDisk(diskcache.Disk):
    """A diskcache Disk that stores and returns only bytes and never unpickles anything."""

    def put(self, key: Any) -> tuple[Any, bool]:
        if not isinstance(key, str):
            raise TypeError(f"cache keys must be str, got {type(key).__name__}")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise UnsafeCacheEntry("cache key stored as a pickle; refused")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if not isinstance(value, bytes) or read:
            raise TypeError(f"cache values must be bytes, got {type(value).__name__}")
        return super().store(value, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == diskcache.core.MODE_PICKLE:
            raise UnsafeCacheEntry("cache entry stored as a pickle; refused")
        if mode == diskcache.core.MODE_TEXT:
            raise UnsafeCacheEntry("cache entry stored as text; molaudit writes bytes only")
        return super().fetch(mode, filename, value, read)


def default_cache_dir() -> Path:
    """``$MOLAUDIT_CACHE_DIR`` or the platform's user cache directory for molaudit."""
    env = os.environ.get("MOLAUDIT_CACHE_DIR")
    return Path(env) if env else Path(platformdirs.user_cache_dir("molaudit", appauthor=False))


def default_ttl() -> float:
    """``$MOLAUDIT_TTL`` seconds or 86,400 (24 h)."""
    return float(os.environ.get("MOLAUDIT_TTL", 86400))


def digest(*parts: str | bytes) -> str:
    """Hex digest of the parts (separated, so ('ab','c') differs from ('a','bc'))."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        h.update(struct.pack("<Q", len(data)))
        h.update(data)
    return h.hexdigest()


def pipeline_version() -> str:
    """What a cached result depends on besides options and input: molaudit and RDKit versions."""
    return f"molaudit={__version__};rdkit={rdkit.__version__}"


def encode_molecule(record: dict[str, Any], fp: np.ndarray | None) -> bytes:
    """Cache value of one audited molecule: JSON record plus raw fingerprint bytes."""
    body = json.dumps(record, separators=(",", ":"), allow_nan=True).encode()
    tail = b"" if fp is None else fp.tobytes()
    return _MAGIC + struct.pack("<I", len(body)) + body + tail


def decode_molecule(blob: bytes) -> tuple[dict[str, Any], bytes]:
    """Inverse of :func:`encode_molecule`; raises ValueError on anything else."""
    if not isinstance(blob, bytes) or not blob.startswith(_MAGIC) or len(blob) < 8:
        raise ValueError("not a molaudit molecule entry")
    (size,) = struct.unpack_from("<I", blob, 4)
    body = blob[8 : 8 + size]
    if len(body) != size:
        raise ValueError("truncated molaudit molecule entry")
    return json.loads(body), blob[8 + size :]


def frame_to_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def frame_from_bytes(blob: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(blob))


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path


class Store:
    """The three caches under one directory, with one TTL.

    Parameters
    ----------
    directory : path-like, optional
        Cache directory (default :func:`default_cache_dir`).
    ttl : float, optional
        Seconds entries live (default :func:`default_ttl`).
    """

    def __init__(self, directory: str | os.PathLike | None = None, ttl: float | None = None):
        self.directory = _private_dir(Path(directory) if directory else default_cache_dir())
        self.ttl = default_ttl() if ttl is None else float(ttl)
        if self.ttl <= 0:
            raise ValueError(f"ttl must be a positive number of seconds, got {ttl!r}")
        self._caches: dict[str, diskcache.Cache] = {}

    def cache(self, name: str) -> diskcache.Cache:
        """The diskcache for ``name`` ('molecules', 'batches' or 'analytics')."""
        if name not in self._caches:
            self._caches[name] = diskcache.Cache(
                str(_private_dir(self.directory / name)),
                disk=SafeDisk,
                size_limit=SIZE_LIMIT,
                eviction_policy="least-recently-stored",
            )
        return self._caches[name]

    def close(self) -> None:
        for cache in self._caches.values():
            cache.close()
        self._caches.clear()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plain get/set with corruption handling ------------------------------------------
    def get_bytes(self, name: str, key: str) -> bytes | None:
        """The bytes under ``key``, or None when absent, expired, corrupt or unsafe."""
        cache = self.cache(name)
        try:
            value = cache.get(key, default=None)
        except (UnsafeCacheEntry, OSError, ValueError, EOFError, diskcache.Timeout):
            self._discard(cache, key)
            return None
        if value is not None and not isinstance(value, bytes):
            self._discard(cache, key)
            return None
        return value

    def set_bytes(self, name: str, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """Store ``value``; False (and no exception) when the disk refuses (full, read-only)."""
        try:
            self.cache(name).set(key, value, expire=self.ttl if ttl is None else ttl)
            return True
        except (OSError, diskcache.Timeout) as exc:  # includes sqlite3 "database or disk is full"
            self.last_write_error = str(exc)
            return False
        except Exception as exc:
            if type(exc).__module__.startswith("sqlite3"):
                self.last_write_error = str(exc)
                return False
            raise

    @staticmethod
    def _discard(cache: diskcache.Cache, key: str) -> None:
        try:
            cache.delete(key)
        except Exception:
            pass

    def discard(self, name: str, key: str) -> None:
        """Delete ``key`` from cache ``name`` if it is there (never raises)."""
        self._discard(self.cache(name), key)

    def keys(self, name: str) -> list[str]:
        """Every key in cache ``name`` (a snapshot)."""
        return [str(k) for k in self.cache(name).iterkeys()]

    def set_many(self, name: str, items: list[tuple[str, bytes]]) -> bool:
        """Store many entries in one transaction (much faster than one by one)."""
        cache = self.cache(name)
        try:
            with cache.transact():
                for key, value in items:
                    cache.set(key, value, expire=self.ttl)
            return True
        except Exception as exc:
            if isinstance(exc, OSError | diskcache.Timeout) or type(exc).__module__.startswith(
                "sqlite3"
            ):
                self.last_write_error = str(exc)
                return False
            raise

    # -- JSON helpers ---------------------------------------------------------------------
    def get_json(self, name: str, key: str) -> Any:
        blob = self.get_bytes(name, key)
        if blob is None:
            return None
        try:
            return json.loads(blob)
        except ValueError:
            self._discard(self.cache(name), key)
            return None

    def set_json(self, name: str, key: str, value: Any, *, ttl: float | None = None) -> bool:
        return self.set_bytes(name, key, json.dumps(value, default=str).encode(), ttl=ttl)

    # -- maintenance ----------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """Directory, size in bytes, entries and hit counts per cache."""
        out: dict[str, Any] = {"directory": str(self.directory), "ttl": self.ttl}
        total = 0
        for name in ("molecules", "batches", "analytics"):
            cache = self.cache(name)
            size = cache.volume()
            total += size
            out[name] = {"entries": len(cache), "bytes": size}
        stats = self.get_json("batches", "stats") or {}
        out["bytes"] = total
        out["molecule_hits"] = stats.get("molecule_hits", 0)
        out["molecule_misses"] = stats.get("molecule_misses", 0)
        out["batch_hits"] = stats.get("batch_hits", 0)
        return out

    def record_stats(self, **increments: int) -> None:
        stats = self.get_json("batches", "stats") or {}
        for k, v in increments.items():
            stats[k] = int(stats.get(k, 0)) + int(v)
        self.set_json("batches", "stats", stats, ttl=10 * 365 * 86400)

    def prune(self) -> int:
        """Remove expired entries; returns how many."""
        return sum(self.cache(n).expire() for n in ("molecules", "batches", "analytics"))

    def clear(self) -> int:
        """Remove every entry; returns how many."""
        return sum(self.cache(n).clear() for n in ("molecules", "batches", "analytics"))

    def expires_at(self, name: str, key: str) -> float | None:
        """Expiry time (epoch seconds) of an entry, or None."""
        try:
            _value, expire = self.cache(name).get(key, default=None, expire_time=True)
        except Exception:
            return None
        return expire


def now() -> float:
    return time.time()
