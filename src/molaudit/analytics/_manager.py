"""Runs analytics for a batch and caches their results under (batch, name, parameters)."""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import (
    REGISTRY,
    AnalyticCancelled,
    AnalyticInput,
    AnalyticResult,
    AnalyticSpec,
    empty_frames,
    empty_result,
)
from molaudit.analytics.params import ParameterError
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
        frames[name] = _lists_back(frame_from_bytes(blob[offset : offset + length]))
        offset += length
    return AnalyticResult(
        header["name"], frames, header["summary"], header["params"], header["message"]
    )


def _lists_back(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet list columns come back as numpy arrays; row references are Python lists."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object or not len(values):
            continue
        first = next((v for v in values if v is not None), None)
        if isinstance(first, np.ndarray):
            frame[column] = [v.tolist() if isinstance(v, np.ndarray) else v for v in values]
    return frame


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
    """The analytics of one batch: ``status()``, ``run(name, **params)``, ``similar(...)``.

    Thread-safe: the panel runs analytics from threads; the state, the in-memory results and
    the shared memo (the similarity index) are changed under one lock. Two threads asking for
    the same uncached result may both compute it; both get an equal result.
    """

    def __init__(self, batch: Batch) -> None:
        self._batch = batch
        self._state: dict[str, tuple[str, str | None, dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._memory: dict[str, AnalyticResult] = {}
        self._memo: dict[str, Any] = {}
        self._memo_lock = threading.Lock()

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
            runner=self.run,
            _memo=self._memo,
            _memo_lock=self._memo_lock,
        )

    @staticmethod
    def _spec(name: str) -> AnalyticSpec:
        if name not in REGISTRY:
            raise ParameterError(
                f"unknown analytic {name!r}; available: {', '.join(sorted(REGISTRY))}"
            )
        return REGISTRY[name]

    @staticmethod
    def _full_params(spec: AnalyticSpec, params: dict[str, Any]) -> dict[str, Any]:
        """Validated parameters, defaults filled in, from the declaration.

        Falls back to the function signature only for a spec declared with ``params=None``
        (a test fails when a registered analytic has no declaration).
        """
        return spec.validate(params)

    def _key(self, name: str, params: dict[str, Any]) -> str:
        text = json.dumps(params, sort_keys=True, default=_key_default)
        return digest(self._batch.key, name, text)

    def _set_state(self, name: str, state: str, message: str | None, params: dict) -> None:
        with self._lock:
            self._state[name] = (state, message, params)

    def _remember(self, key: str, result: AnalyticResult) -> None:
        with self._lock:
            self._memory[key] = result

    def _recall(self, key: str) -> AnalyticResult | None:
        with self._lock:
            return self._memory.get(key)

    # ----------------------------------------------------------------- running
    def run(
        self,
        name: str,
        *,
        progress: Callable[[int, int], Any] | None = None,
        cancel: threading.Event | None = None,
        **params: Any,
    ) -> AnalyticResult:
        """Run analytic ``name`` (or read its cached result for these parameters).

        Parameters
        ----------
        name : str
            A registered analytic (``status()`` lists them).
        progress : callable, optional
            ``progress(done, total)``, called by long analytics (maps, neighbours, MMP).
        cancel : threading.Event, optional
            Set it to stop a long analytic between chunks (it raises
            :class:`~molaudit.analytics.AnalyticCancelled`; nothing is cached).
        **params
            The analytic's declared parameters (``REGISTRY[name].params``). ``progress`` and
            ``cancel`` are not parameters and not part of the cache key.

        Raises
        ------
        ParameterError
            Unknown analytic or bad parameters (a ValueError and a TypeError).
        AnalyticCancelled
            ``cancel`` was set.
        """
        spec = self._spec(name)
        full = self._full_params(spec, params)
        key = self._key(name, full)
        hit = self._recall(key)
        if hit is not None:
            return hit
        missing = spec.missing_modules()
        if missing:
            message = (
                f"{name} needs {', '.join(missing)}, which is not installed: {spec.install_hint()}"
            )
            self._set_state(name, "unavailable", message, full)
            return empty_result(name, message, full)
        data = self.input()
        if spec.needs_activity and not data.has_activity:
            message = f"{name} needs an activity column; this batch has none"
            if data.activity_col is not None:
                message = f"{name} needs activity values; column {data.activity_col!r} has none"
            self._set_state(name, "not run", message, full)
            return empty_result(name, message, full)
        store = self._batch.store
        if store is not None and name not in _QUERY_ANALYTICS:  # those are never written
            blob = store.get_bytes("analytics", key)
            if blob is not None:
                try:
                    result = decode_result(blob)
                except Exception:
                    store._discard(store.cache("analytics"), key)
                else:
                    self._remember(key, result)
                    self._set_state(name, "cached", result.message, full)
                    return result
        self._set_state(name, "running", None, full)
        try:
            result = spec.func(
                data.with_hooks(on_progress=progress, cancel_event=cancel, runner=self.run), **full
            )
        except AnalyticCancelled as exc:
            self._set_state(name, "cancelled", str(exc), full)
            raise
        except ImportError as exc:
            message = f"{name} could not run: {exc}"
            self._set_state(name, "unavailable", message, full)
            return empty_result(name, message, full)
        except Exception as exc:
            self._set_state(name, "failed", f"{type(exc).__name__}: {exc}", full)
            raise
        result.params = {**full, **result.params}
        if (
            result.message is None
            and not any(len(f) for f in result.frames.values())
            and len(data.valid) == 0  # O(n): only asked when every frame is empty
        ):
            # the contract: an empty result says why
            result.message = (
                "no valid molecules: every row is an error" if len(data.table) else ("empty batch")
            )
        _complete_frames(result)
        self._remember(key, result)
        # one search per query: kept in memory, not written to disk (the write cost more
        # than the search); see molaudit.analytics.substructure / similarity.search
        persist = store is not None and name not in _QUERY_ANALYTICS
        self._set_state(name, "cached" if persist else "done", result.message, full)
        if persist:
            store.set_bytes("analytics", key, encode_result(result))
        return result

    def run_cheap(self) -> dict[str, AnalyticResult | None]:
        """Run every cheap analytic; a failure is recorded in ``status()``, never raised."""
        out: dict[str, AnalyticResult | None] = {}
        for name, spec in list(REGISTRY.items()):
            if spec.kind != "cheap":
                continue
            try:
                out[name] = self.run(name)
            except Exception as exc:
                self._set_state(name, "failed", f"{type(exc).__name__}: {exc}", {})
                out[name] = None
        return out

    def get(self, name: str, **params: Any) -> AnalyticResult | None:
        """The result of ``name`` for ``params`` if already computed or cached, else None."""
        spec = self._spec(name)
        full = self._full_params(spec, params)
        key = self._key(name, full)
        hit = self._recall(key)
        if hit is not None:
            return hit
        store = self._batch.store
        if store is not None and name not in _QUERY_ANALYTICS:  # those are never written
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
            'cancelled', 'unavailable'), message, params, description.
        """
        rows = []
        with self._lock:
            states = dict(self._state)
        for name, spec in sorted(REGISTRY.items(), key=lambda kv: (kv[1].kind != "cheap", kv[0])):
            state, message, params = states.get(name, ("not run", None, {}))
            if state == "not run" and not spec.available:
                state = "unavailable"
                message = f"needs {', '.join(spec.missing_modules())}: {spec.install_hint()}"
            elif state == "not run" and _has_defaults(spec) and self.get(name) is not None:
                state = "cached"
            rows.append(
                {
                    "name": name,
                    "kind": spec.kind,
                    "state": state,
                    "message": message or "",
                    "params": json.dumps(params, default=_key_default, sort_keys=True),
                    "description": spec.description,
                }
            )
        return pd.DataFrame(
            rows, columns=["name", "kind", "state", "message", "params", "description"]
        )

    def similar(
        self, query: Any, *, k: int | None = 10, threshold: float | None = None
    ) -> AnalyticResult:
        """Similarity search (the ``similar`` analytic); the index is built once per batch."""
        return self.run("similar", query=query, k=k, threshold=threshold)


#: Per-query analytics whose results are not written to the disk cache.
_QUERY_ANALYTICS = frozenset({"similar", "substructure"})


def _has_defaults(spec: AnalyticSpec) -> bool:
    """True when the analytic can run with its defaults (no required parameter)."""
    return all(p.default is not None or p.optional for p in spec.params or ())


def _complete_frames(result: AnalyticResult) -> None:
    """Give an empty or refused result (one with a message) every declared frame it lacks."""
    if result.message is None:
        return
    declared = empty_frames(result.name, result.params)
    frames = {name: result.frames.get(name, empty) for name, empty in declared.items()}
    frames.update((k, v) for k, v in result.frames.items() if k not in declared)
    result.frames = frames


def _key_default(value: Any) -> Any:
    """JSON for the cache key: an RDKit Mol by its SMILES, numpy scalars by value."""
    if hasattr(value, "GetNumAtoms"):
        from rdkit import Chem

        return "mol:" + Chem.MolToSmiles(value)
    return _json_default(value)
