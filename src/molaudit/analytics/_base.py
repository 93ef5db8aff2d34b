"""The analytics layer's building blocks: the input an analytic sees, its result, the registry.

An analytic is a pure function ``fn(data: AnalyticInput, **params) -> AnalyticResult``
registered with :func:`register`. The batch runs it, caches its result under
(batch key, analytic name, parameter digest) and never lets a failure escape into the audit.
"""

from __future__ import annotations

import html
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from molaudit.analytics.params import Param
from molaudit.options import AuditOptions

__all__ = [
    "REGISTRY",
    "AnalyticInput",
    "AnalyticResult",
    "AnalyticSpec",
    "empty_result",
    "register",
]

Kind = Literal["cheap", "expensive"]


@dataclass(frozen=True)
class AnalyticInput:
    """What an analytic may read: the batch's table and fingerprints, nothing else.

    Attributes
    ----------
    table : pandas.DataFrame
        ``Batch.table``: one row per input record, columns in :mod:`molaudit.schema`.
        ``table["row"]`` is the input row number every result must refer to.
    fingerprints : numpy.ndarray
        ``uint8`` array ``(n_valid, fp_size // 8)``: packed Morgan bits (``np.packbits`` order)
        of the standardized parents of the non-error rows.
    fingerprint_rows : numpy.ndarray
        ``int64`` array ``(n_valid,)``: the input row of each fingerprint.
    activity_col : str or None
        Name of the input activity column (its parsed floats are ``table["activity"]``), or
        None when the batch has no activity.
    id_col : str or None
        Name of the input ID column (IDs are ``table["id"]`` either way).
    options : AuditOptions
        The audit options (fingerprint radius/size among them).
    n_jobs : int
        Parallelism the user asked for (joblib convention, -1 = all cores).
    backend : str
        joblib backend of the batch ('loky', 'threading', 'sequential', 'dask').
    scheduler : distributed.Client or None
        The Dask client of a ``backend='dask'`` batch; see
        :func:`molaudit.run.parallel.parallel_map`.
    activity_units : str or None
        Units of the activity column when known ('nM', 'uM', 'pX', ...).
    """

    table: pd.DataFrame
    fingerprints: np.ndarray
    fingerprint_rows: np.ndarray
    activity_col: str | None = None
    id_col: str | None = None
    options: AuditOptions = field(default_factory=AuditOptions)
    n_jobs: int = -1
    backend: str = "loky"
    scheduler: Any = None
    activity_units: str | None = None

    @property
    def valid(self) -> pd.DataFrame:
        """The non-error rows of the table."""
        return self.table[self.table["status"] != "error"]

    @property
    def has_activity(self) -> bool:
        """True when an activity column was given/detected and has at least one number."""
        return self.activity_col is not None and bool(self.table["activity"].notna().any())


@dataclass
class AnalyticResult:
    """Result of one analytic.

    Attributes
    ----------
    name : str
        Registered analytic name.
    frames : dict of str to pandas.DataFrame
        Named result tables (documented by each analytic).
    summary : dict
        Plain-JSON summary figures.
    params : dict
        The parameters the analytic ran with (after defaults).
    message : str or None
        Why the result is empty or partial (no activity, all errors, ...), else None.
    """

    name: str
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    message: str | None = None

    def __getitem__(self, frame: str) -> pd.DataFrame:
        return self.frames[frame]

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {len(v)} rows" for k, v in self.frames.items())
        extra = f", message={self.message!r}" if self.message else ""
        return f"<AnalyticResult {self.name} ({shapes}){extra}>"

    def _repr_html_(self) -> str:
        parts = [f"<h4>molaudit · {html.escape(self.name)}</h4>"]
        if self.message:
            parts.append(f"<p><em>{html.escape(self.message)}</em></p>")
        if self.summary:
            items = "".join(
                f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
                f"<td>{html.escape(_short(v))}</td></tr>"
                for k, v in self.summary.items()
            )
            parts.append(f"<table>{items}</table>")
        for name, frame in self.frames.items():
            parts.append(f"<h5>{html.escape(name)} ({len(frame)} rows)</h5>")
            # to_html escapes cell contents (escape=True is the default; said for the reader)
            parts.append(frame.head(20).to_html(escape=True, index=False, max_cols=20))
        return "\n".join(parts)


def _short(value: Any, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class AnalyticSpec:
    """A registered analytic."""

    name: str
    func: Callable[..., AnalyticResult]
    kind: Kind
    description: str
    requires: tuple[str, ...] = ()
    extra: str | None = None
    needs_activity: bool = False
    #: Declared parameters (None: not declared yet, the function signature is used).
    params: tuple[Param, ...] | None = None
    #: Declared frames: frame name -> its columns, in order. Every result, also an empty or
    #: refused one, carries exactly these frames.
    frames: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def param(self, name: str) -> Param:
        """The declaration of parameter ``name``."""
        for p in self.params or ():
            if p.name == name:
                return p
        raise KeyError(f"{self.name} declares no parameter {name!r}")

    def missing_modules(self) -> list[str]:
        """Import names of optional dependencies that are not installed."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    @property
    def available(self) -> bool:
        return not self.missing_modules()

    def install_hint(self) -> str:
        extra = self.extra or "all"
        return f"pip install 'molaudit[{extra}]'"


REGISTRY: dict[str, AnalyticSpec] = {}


def register(
    name: str,
    *,
    kind: Kind,
    description: str,
    requires: tuple[str, ...] = (),
    extra: str | None = None,
    needs_activity: bool = False,
    params: tuple[Param, ...] | list[Param] | None = None,
    frames: dict[str, tuple[str, ...] | list[str]] | None = None,
) -> Callable[[Callable[..., AnalyticResult]], Callable[..., AnalyticResult]]:
    """Register ``fn(data: AnalyticInput, **params) -> AnalyticResult`` under ``name``.

    Parameters
    ----------
    name : str
        Unique analytic name (``batch.analytics.run(name)``).
    kind : {'cheap', 'expensive'}
        Cheap analytics run automatically after every audit; expensive ones on demand.
    description : str
        One line shown by ``batch.analytics.status()``.
    requires : tuple of str
        Import names of optional dependencies.
    extra : str, optional
        The ``molaudit[extra]`` that installs ``requires``.
    needs_activity : bool
        The analytic needs an activity column (the layer answers with an empty result and a
        message when the batch has none).
    params : sequence of Param
        Every parameter the function takes after ``data``, declared once
        (:mod:`molaudit.analytics.params`).
    frames : dict of str to sequence of str
        The frames every result carries and their columns.
    """

    def decorate(fn: Callable[..., AnalyticResult]) -> Callable[..., AnalyticResult]:
        if name in REGISTRY and REGISTRY[name].func is not fn:
            raise ValueError(f"analytic {name!r} is registered twice")
        REGISTRY[name] = AnalyticSpec(
            name,
            fn,
            kind,
            description,
            tuple(requires),
            extra,
            needs_activity,
            tuple(params) if params is not None else None,
            {k: tuple(v) for k, v in (frames or {}).items()},
        )
        return fn

    return decorate


def empty_result(name: str, message: str, params: dict[str, Any] | None = None) -> AnalyticResult:
    """A result of ``name`` with every declared frame present and empty, and ``message``.

    Empty and refused results (no activity, all rows errors, an optional dependency missing)
    have the same frames and columns as a full one, so views and callers never special-case them.
    """
    spec = REGISTRY.get(name)
    frames = {
        frame: pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        for frame, columns in (spec.frames.items() if spec is not None else ())
    }
    return AnalyticResult(name, frames=frames, params=dict(params or {}), message=message)
