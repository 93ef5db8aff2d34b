"""Runs analytics for a batch and caches their results under (batch, name, parameters)."""

from __future__ import annotations

import inspect
import json
import struct
import threading
from typing import TYPE_CHECKING, Any

import pandas as pd

from molaudit.analytics._base import REGISTRY, AnalyticInput, AnalyticResult, AnalyticSpec
from molaudit.run.cache import digest, frame_from_bytes, frame_to_bytes

if TYPE_CHECKING:
    from molaudit.batch import Batch

__all__ = ["Analytics"]

_MAGIC = b"MAR1"


def encode_result(result: AnalyticResult) -> bytes:
    """Plain-data encoding of a result: a JSON header, then one Parquet blob per frame."""
    blobs = [frame_to_bytes(_parquet_safe(f)) for f in result.frames.values()]
    header = json.dumps(
        {
            "name": result.name,
            "summary": result.summary,
            "params": result.params,
            "message": result.message,
            "frames": [[name, len(blob)] for name, blob in zip(result.frames, blobs, strict=True)],
        },
        default=_json_default,
    ).encode()
    return _MAGIC + struct.pack("<I", len(header)) + header + b"".join(blobs)


def decode_result(blob: bytes) -> AnalyticResult:
    if not blob.startswith(_MAGIC):
        raise ValueError("not a molaudit analytic result")
    (size,) = struct.unpack_from("<I", blob, 4)
    header = json.loads(blob[8 : 8 + size])
    offset = 8 + size
    frames: dict[str, pd.DataFrame] = {}
    for name, length in header["frames"]:
        frames[name] = frame_from_bytes(blob[offset : offset + length])
        offset += length
    return AnalyticResult(
        header["name"], frames, header["summary"], header["params"], header["message"]
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=frame.index.name is None)
    return frame


class Analytics:
    """The analytics of one batch: ``status()``, ``run(name, **params)``, ``similar(...)``."""

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._state: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._similarity_index: Any = None
        self._memory: dict[str, AnalyticResult] = {}

    # ----------------------------------------------------------------- inputs
    def input(self) -> AnalyticInput:
        """The :class:`AnalyticInput` every analytic of this batch sees."""
        b = self._batch
        return AnalyticInput(
            table=b.table,
            fingerprints=b.fingerprints,
            fingerprint_rows=b.fingerprint_rows,
            activity_col=b.columns.get("activity"),
            id_col=b.columns.get("id"),
            options=b.options,
            n_jobs=b.n_jobs,
            backend=b.backend,
            scheduler=b.scheduler,
            activity_units=b.activity_units,
        )

    @staticmethod
    def _spec(name: str) -> AnalyticSpec:
        if name not in REGISTRY:
            raise ValueError(f"unknown analytic {name!r}; available: {', '.join(sorted(REGISTRY))}")
        return REGISTRY[name]

    @staticmethod
    def _full_params(spec: AnalyticSpec, params: dict[str, Any]) -> dict[str, Any]:
        signature = inspect.signature(spec.func)
        names = list(signature.parameters)[1:]
        accepts_any = any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
        )
        unknown = [k for k in params if k not in names and not accepts_any]
        if unknown:
            raise TypeError(
                f"analytic {spec.name!r} got unknown parameter(s) {', '.join(unknown)}; "
                f"it takes {', '.join(n for n in names if n != 'kwargs') or 'none'}"
            )
        full = {
            n: p.default
            for n, p in signature.parameters.items()
            if n in names and p.default is not inspect.Parameter.empty
        }
        full.update(params)
        return full

    def _key(self, name: str, params: dict[str, Any]) -> str:
        text = json.dumps(params, sort_keys=True, default=str)
        return digest(self._batch.key, name, text)

    # ----------------------------------------------------------------- running
    def run(self, name: str, **params: Any) -> AnalyticResult:
        """Run analytic ``name`` (or read its cached result for these parameters).

        Raises
        ------
        ValueError, TypeError
            Unknown analytic or bad parameters.
        """
        spec = self._spec(name)
        full = self._full_params(spec, params)
        key = self._key(name, full)
        if key in self._memory:
            return self._memory[key]
        missing = spec.missing_modules()
        if missing:
            message = (
                f"{name} needs {', '.join(missing)}, which is not installed: {spec.install_hint()}"
            )
            self._state[name] = ("unavailable", message, full)
            return AnalyticResult(name, params=full, message=message)
        data = self.input()
        if spec.needs_activity and not data.has_activity:
            message = f"{name} needs an activity column; this batch has none"
            if data.activity_col is not None:
                message = f"{name} needs activity values; column {data.activity_col!r} has none"
            self._state[name] = ("not run", message, full)
            return AnalyticResult(name, params=full, message=message)
        store = self._batch.store
        if store is not None:
            blob = store.get_bytes("analytics", key)
            if blob is not None:
                try:
                    result = decode_result(blob)
                    self._memory[key] = result
                    self._state[name] = ("cached", result.message, full)
                    return result
                except Exception:
                    store._discard(store.cache("analytics"), key)
        self._state[name] = ("running", None, full)
        try:
            result = spec.func(data, **full)
        except ImportError as exc:
            message = f"{name} could not run: {exc}"
            self._state[name] = ("unavailable", message, full)
            return AnalyticResult(name, params=full, message=message)
        except Exception as exc:
            self._state[name] = ("failed", f"{type(exc).__name__}: {exc}", full)
            raise
        result.params = {**full, **result.params}
        self._memory[key] = result
        self._state[name] = ("cached" if store is not None else "done", result.message, full)
        if store is not None:
            store.set_bytes("analytics", key, encode_result(result))
        return result

    def run_cheap(self) -> dict[str, AnalyticResult | None]:
        """Run every cheap analytic; a failure is recorded in ``status()``, never raised."""
        out: dict[str, AnalyticResult | None] = {}
        for name, spec in REGISTRY.items():
            if spec.kind != "cheap":
                continue
            try:
                out[name] = self.run(name)
            except Exception as exc:
                self._state[name] = ("failed", f"{type(exc).__name__}: {exc}", {})
                out[name] = None
        return out

    def get(self, name: str, **params: Any) -> AnalyticResult | None:
        """The result of ``name`` for ``params`` if already computed or cached, else None."""
        spec = self._spec(name)
        full = self._full_params(spec, params)
        key = self._key(name, full)
        if key in self._memory:
            return self._memory[key]
        store = self._batch.store
        if store is not None:
            blob = store.get_bytes("analytics", key)
            if blob is not None:
                try:
                    return decode_result(blob)
                except Exception:
                    return None
        return None

    def status(self) -> pd.DataFrame:
        """Every registered analytic with its state.

        Returns
        -------
        pandas.DataFrame
            Columns: name, kind, state ('not run', 'cached', 'done', 'running', 'failed',
            'unavailable'), message, params, description.
        """
        rows = []
        for name, spec in sorted(REGISTRY.items(), key=lambda kv: (kv[1].kind != "cheap", kv[0])):
            state, message, params = self._state.get(name, ("not run", None, {}))
            if state == "not run" and not spec.available:
                state = "unavailable"
                message = f"needs {', '.join(spec.missing_modules())}: {spec.install_hint()}"
            elif state == "not run" and self.get(name) is not None:
                state = "cached"
            rows.append(
                {
                    "name": name,
                    "kind": spec.kind,
                    "state": state,
                    "message": message or "",
                    "params": json.dumps(params, default=str, sort_keys=True),
                    "description": spec.description,
                }
            )
        return pd.DataFrame(
            rows, columns=["name", "kind", "state", "message", "params", "description"]
        )

    def similar(self, query: Any, *, k: int = 10, threshold: float | None = None) -> AnalyticResult:
        """Similarity search; the fingerprint index is built once per batch and kept in memory."""
        from molaudit.analytics.similarity.search import FingerprintIndex, similar

        data = self.input()
        with self._lock:
            if self._similarity_index is None:
                self._similarity_index = FingerprintIndex(data.fingerprints, data.fingerprint_rows)
        return similar(data, query, k=k, threshold=threshold, index=self._similarity_index)
