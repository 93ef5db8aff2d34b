"""The analytics layer's building blocks: the input an analytic sees, its result, the registry.

An analytic is a pure function ``fn(data: AnalyticInput, **params) -> AnalyticResult``
registered with :func:`register`. The batch runs it, caches its result under
(batch key, analytic name, parameter digest) and never lets a failure escape into the audit.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import html
import importlib.util
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from molaudit.analytics.params import Param, ParameterError, validate_params
from molaudit.options import AuditOptions

__all__ = [
    "MORE_COLUMNS",
    "REGISTRY",
    "AnalyticCancelled",
    "AnalyticInput",
    "AnalyticResult",
    "AnalyticSpec",
    "empty_result",
    "frame_problems",
    "parse_analytics_arg",
    "register",
]

Kind = Literal["cheap", "expensive"]

#: Placeholder in a declared column list: "data-dependent columns go here" (one per R-group,
#: one per matrix row, one per property). Everything before and after it is fixed and in order.
MORE_COLUMNS = "*"

FrameDecl = dict[str, tuple[str, ...]]


class AnalyticCancelled(Exception):
    """A long analytic stopped because its ``cancel`` event was set (nothing is cached)."""


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
    on_progress : callable or None
        ``on_progress(done, total)`` of the caller (``run(name, progress=cb)``); analytics call
        :meth:`progress` instead.
    cancel_event : threading.Event or None
        Set by the caller to stop a long analytic (:meth:`cancelled`).
    runner : callable or None
        ``runner(name, **params)`` runs another analytic through the batch's manager (cached);
        filled in by the manager, see :meth:`run`.

    Notes
    -----
    Build one without a full audit with :meth:`from_smiles` or :meth:`from_table`.
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
    on_progress: Callable[[int, int], Any] | None = field(default=None, repr=False, compare=False)
    cancel_event: Any = field(default=None, repr=False, compare=False)
    runner: Callable[..., AnalyticResult] | None = field(default=None, repr=False, compare=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _memo_lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    # ------------------------------------------------------------ construction
    @classmethod
    def from_smiles(
        cls,
        smiles: Iterable[str | None],
        *,
        ids: Iterable[Any] | None = None,
        activity: Iterable[Any] | None = None,
        activity_units: str | None = None,
        options: AuditOptions | None = None,
    ) -> AnalyticInput:
        """The input analytics see, from SMILES, without a batch, a cache or a panel.

        Every structure goes through the per-molecule audit pipeline in this process (no
        worker pool, no cache), exactly as :func:`molaudit.audit` computes it, so an analytic
        gives the same result here as on ``molaudit.audit(...)`` of the same SMILES.

        Parameters
        ----------
        smiles : iterable of str
            The structures, one per input row (None or '' become error rows).
        ids : iterable, optional
            One ID per structure (default ``row_0``, ``row_1``, ...).
        activity : iterable, optional
            One activity value per structure (numbers or text such as ``'<10'``, parsed the
            way the audit parses an activity column).
        activity_units : str, optional
            Units of ``activity`` ('nM', 'uM', 'pX', ...).
        options : AuditOptions, optional
            Audit options (fingerprint radius and size among them).

        Returns
        -------
        AnalyticInput

        Examples
        --------
        >>> from molaudit.analytics import AnalyticInput, REGISTRY
        >>> data = AnalyticInput.from_smiles(["CCO", "OCC", "c1ccccc1"])
        >>> REGISTRY["dedup"].func(data)["groups_exact"]["rows"].tolist()
        [[0, 1]]
        """
        from molaudit.ingest import columns as cols
        from molaudit.run.runner import run_audit

        structures = [s if isinstance(s, str) else None for s in smiles]
        options = options or AuditOptions()
        n = len(structures)
        records, fps, _ = run_audit(
            structures, "smiles", options, n_jobs=1, backend="sequential", progress=False
        )
        id_values = (
            [f"row_{i}" for i in range(n)]
            if ids is None
            else ["" if v is None else str(v) for v in ids]
        )
        if len(id_values) != n:
            raise ParameterError(f"ids must have one entry per SMILES ({n}); got {len(id_values)}.")
        if activity is not None:
            raw = pd.Series(list(activity), dtype=object)
            if len(raw) != n:
                raise ParameterError(
                    f"activity must have one entry per SMILES ({n}); got {len(raw)}."
                )
            values, notes = cols.parse_activity(raw)
        else:
            values, notes = np.full(n, np.nan), [""] * n
        head = pd.DataFrame(
            {
                "smiles_input": pd.Series(structures, dtype=object),
                "row": np.arange(n, dtype=np.int64),
                "id": pd.array(id_values, dtype="str"),
                "activity": np.asarray(values, dtype=np.float64),
                "activity_note": pd.array(list(notes), dtype="str"),
            }
        )
        table = pd.concat([head, records.reset_index(drop=True)], axis=1)
        valid_rows = np.flatnonzero(table["status"].to_numpy() != "error").astype(np.int64)
        return cls(
            table=table,
            fingerprints=np.ascontiguousarray(fps[valid_rows]),
            fingerprint_rows=valid_rows,
            activity_col="activity" if activity is not None else None,
            id_col="id" if ids is not None else None,
            options=options,
            n_jobs=1,
            backend="sequential",
            activity_units=activity_units,
        )

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        *,
        fingerprints: np.ndarray | None = None,
        fingerprint_rows: np.ndarray | None = None,
        activity_col: str | None = None,
        id_col: str | None = None,
        activity_units: str | None = None,
        options: AuditOptions | None = None,
    ) -> AnalyticInput:
        """The input analytics see, from an audited table (``batch.table`` or its export).

        Parameters
        ----------
        table : pandas.DataFrame
            A table with the audit columns (:data:`molaudit.schema.AUDIT_COLUMNS`: ``row``,
            ``id``, ``status``, ``smiles``, ``std_smiles``, ...), e.g. read back from a Parquet
            export.
        fingerprints, fingerprint_rows : numpy.ndarray, optional
            Packed fingerprints of the non-error rows and their input rows; computed from
            ``std_smiles`` (Morgan, radius and size from ``options``) when left out.
        activity_col, id_col : str, optional
            Names of the input activity and ID columns (their parsed values are the table's
            ``activity`` and ``id``). ``activity_col`` defaults to ``'activity'`` when that
            column holds a number.
        activity_units : str, optional
            Units of the activity.
        options : AuditOptions, optional
            The options the table was audited with.

        Returns
        -------
        AnalyticInput
        """
        options = options or AuditOptions()
        table = table.reset_index(drop=True)
        if "row" not in table.columns:
            table = table.assign(row=np.arange(len(table), dtype=np.int64))
        if "status" not in table.columns:
            raise ParameterError(
                "from_table needs an audited table (a 'status' column and the other audit "
                "columns); use AnalyticInput.from_smiles for raw structures."
            )
        if fingerprints is None:
            from rdkit import Chem, rdBase

            from molaudit.molecule.fingerprints import morgan_packed

            ok = table["status"].to_numpy() != "error"
            rows, packed = [], []
            source = table["std_smiles"] if "std_smiles" in table.columns else table["smiles"]
            with rdBase.BlockLogs():
                for pos in np.flatnonzero(ok):
                    text = source.iloc[pos]
                    mol = Chem.MolFromSmiles(text) if isinstance(text, str) else None
                    if mol is None:
                        continue
                    rows.append(int(table["row"].iloc[pos]))
                    packed.append(morgan_packed(mol, options.fp_radius, options.fp_size))
            fingerprints = (
                np.vstack(packed) if packed else np.zeros((0, options.fp_size // 8), np.uint8)
            )
            fingerprint_rows = np.asarray(rows, dtype=np.int64)
        elif fingerprint_rows is None:
            raise ParameterError("fingerprint_rows must be given with fingerprints; got None.")
        if activity_col is None and "activity" in table.columns:
            if pd.to_numeric(table["activity"], errors="coerce").notna().any():
                activity_col = "activity"
        return cls(
            table=table,
            fingerprints=np.ascontiguousarray(fingerprints, dtype=np.uint8),
            fingerprint_rows=np.asarray(fingerprint_rows, dtype=np.int64),
            activity_col=activity_col,
            id_col=id_col,
            options=options,
            n_jobs=1,
            backend="sequential",
            activity_units=activity_units,
        )

    def with_hooks(
        self,
        *,
        on_progress: Callable[[int, int], Any] | None = None,
        cancel_event: Any = None,
        runner: Callable[..., AnalyticResult] | None = None,
    ) -> AnalyticInput:
        """A copy with the caller's progress callback, cancel event and analytics runner."""
        return dataclasses.replace(
            self, on_progress=on_progress, cancel_event=cancel_event, runner=runner
        )

    # ------------------------------------------------------------ hooks analytics use
    def progress(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` steps to the caller (a no-op without a callback).

        A callback that raises is ignored: progress display never breaks an analytic.
        """
        if self.on_progress is not None:
            try:
                self.on_progress(int(done), int(total))
            except Exception:
                pass

    def cancelled(self) -> bool:
        """True once the caller's ``cancel`` event is set; check it between chunks."""
        event = self.cancel_event
        return bool(event is not None and event.is_set())

    def check_cancelled(self, what: str = "the analytic") -> None:
        """Raise :class:`AnalyticCancelled` when the caller asked to stop."""
        if self.cancelled():
            raise AnalyticCancelled(f"{what} was cancelled")

    def run(self, name: str, **params: Any) -> AnalyticResult:
        """Run another analytic on the same data, through the batch's manager when there is one.

        Analytics that use others call this (never the other function directly), so that the
        result is validated, cached and shared with the panel.
        """
        if self.runner is not None:
            return self.runner(name, **params)
        if name not in REGISTRY:
            raise ParameterError(
                f"unknown analytic {name!r}; available: {', '.join(sorted(REGISTRY))}"
            )
        spec = REGISTRY[name]
        return spec.func(self, **spec.validate(params))

    def memo(self, key: str, factory: Callable[[], Any]) -> Any:
        """``factory()`` computed once per input and kept in memory (e.g. a search index)."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = factory()
            return self._memo[key]

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
    """A registered analytic: its function and its declaration (parameters, frames)."""

    name: str
    func: Callable[..., AnalyticResult]
    kind: Kind
    description: str
    requires: tuple[str, ...] = ()
    extra: str | None = None
    needs_activity: bool = False
    #: Declared parameters (None: not declared, the function signature is used).
    params: tuple[Param, ...] | None = None
    #: Declared frames: frame name -> its columns, in order (:data:`MORE_COLUMNS` marks where
    #: data-dependent columns go). Every result, also an empty or refused one, carries exactly
    #: these frames.
    frames: FrameDecl = field(default_factory=dict)
    #: Frames that depend on a choice parameter: ``(parameter, {value: frames})``; the
    #: declaration for the value a call uses replaces :attr:`frames`.
    frames_by: tuple[str, dict[Any, FrameDecl]] | None = None

    def param(self, name: str) -> Param:
        """The declaration of parameter ``name``."""
        for p in self.params or ():
            if p.name == name:
                return p
        raise KeyError(f"{self.name} declares no parameter {name!r}")

    def defaults(self) -> dict[str, Any]:
        """Every declared parameter with its default."""
        return {p.name: p.default for p in self.params or ()}

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` checked against the declaration, defaults filled in.

        Raises
        ------
        ParameterError
            Unknown parameter or a value outside its declaration.
        """
        if self.params is None:
            return _signature_params(self, params)
        return validate_params(self.name, self.params, params)

    def frames_for(self, params: Mapping[str, Any] | None = None) -> FrameDecl:
        """The declared frames of a call with ``params`` (defaults for those left out)."""
        if self.frames_by is None:
            return self.frames
        name, by_value = self.frames_by
        value = (params or {}).get(name, self.defaults().get(name))
        for key, frames in by_value.items():
            if key == value and isinstance(key, bool) == isinstance(value, bool):
                return frames
        return self.frames

    def all_frames(self) -> dict[str, tuple[str, ...]]:
        """Every frame any call can return, with its columns (union over ``frames_by``)."""
        out = dict(self.frames)
        if self.frames_by is not None:
            for frames in self.frames_by[1].values():
                for frame, cols in frames.items():
                    out.setdefault(frame, cols)
        return out

    def missing_modules(self) -> list[str]:
        """Import names of optional dependencies that are not installed."""
        return [m for m in self.requires if importlib.util.find_spec(m) is None]

    @property
    def available(self) -> bool:
        return not self.missing_modules()

    def install_hint(self) -> str:
        extra = self.extra or "all"
        return f"pip install 'molaudit[{extra}]'"


def _signature_params(spec: AnalyticSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Fallback for an undeclared analytic: names and defaults from the function signature."""
    signature = inspect.signature(spec.func)
    names = list(signature.parameters)[1:]
    accepts_any = any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.parameters.values()
    )
    unknown = [k for k in params if k not in names and not accepts_any]
    if unknown:
        raise ParameterError(
            f"{spec.name} got unknown parameter(s) {', '.join(repr(u) for u in unknown)}; "
            f"it takes {', '.join(n for n in names if n != 'kwargs') or 'no parameters'}."
        )
    full = {
        n: p.default
        for n, p in signature.parameters.items()
        if n in names and p.default is not inspect.Parameter.empty
    }
    full.update(params)
    return full


REGISTRY: dict[str, AnalyticSpec] = {}


def register(
    name: str,
    *,
    kind: Kind,
    description: str,
    requires: tuple[str, ...] = (),
    extra: str | None = None,
    needs_activity: bool = False,
    params: Sequence[Param] | None = None,
    frames: Mapping[str, Sequence[str]] | None = None,
    frames_by: tuple[str, Mapping[Any, Mapping[str, Sequence[str]]]] | None = None,
) -> Callable[[Callable[..., AnalyticResult]], Callable[..., AnalyticResult]]:
    """Register ``fn(data: AnalyticInput, **params) -> AnalyticResult`` under ``name``.

    The decorated function (also ``REGISTRY[name].func``), called directly, validates its
    parameters against the declaration exactly as ``batch.analytics.run(name, ...)`` does.

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
        The frames every result carries and their columns, in order.
    frames_by : (str, dict), optional
        Frames that depend on a choice parameter: ``("definition", {"sali": {...}, ...})``.
    """

    def decorate(fn: Callable[..., AnalyticResult]) -> Callable[..., AnalyticResult]:
        if name in REGISTRY and getattr(REGISTRY[name].func, "__wrapped__", None) is not fn:
            raise ValueError(f"analytic {name!r} is registered twice")
        spec = AnalyticSpec(
            name,
            fn,
            kind,
            description,
            tuple(requires),
            extra,
            needs_activity,
            tuple(params) if params is not None else None,
            {k: tuple(v) for k, v in (frames or {}).items()},
            None
            if frames_by is None
            else (
                frames_by[0],
                {
                    value: {k: tuple(v) for k, v in decl.items()}
                    for value, decl in frames_by[1].items()
                },
            ),
        )
        REGISTRY[name] = spec
        if spec.params is None:
            return fn
        names = [p.name for p in spec.params]

        @functools.wraps(fn)
        def validated(data: AnalyticInput, *args: Any, **kwargs: Any) -> AnalyticResult:
            if len(args) > len(names):
                raise ParameterError(
                    f"{name} takes at most {len(names)} positional parameters after the data; "
                    f"got {len(args)}."
                )
            given = dict(zip(names, args, strict=False))
            for key in kwargs:
                if key in given:
                    raise ParameterError(f"{name} got parameter {key!r} twice.")
            given.update(kwargs)
            return fn(data, **spec.validate(given))

        # the registry holds the validating function too: REGISTRY[name].func is what the
        # module exports, and a direct call of it checks its parameters like the manager does
        spec = dataclasses.replace(spec, func=validated)
        REGISTRY[name] = spec
        validated.spec = spec  # type: ignore[attr-defined]
        return validated

    return decorate


def _empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=object) for c in columns if c != MORE_COLUMNS}, index=pd.RangeIndex(0)
    )


def empty_frames(name: str, params: Mapping[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """Every frame declared for ``name`` (and these ``params``), empty, with its columns."""
    spec = REGISTRY.get(name)
    if spec is None:
        return {}
    return {frame: _empty_frame(cols) for frame, cols in spec.frames_for(params).items()}


def empty_result(
    name: str,
    message: str,
    params: Mapping[str, Any] | None = None,
    summary: Mapping[str, Any] | None = None,
) -> AnalyticResult:
    """A result of ``name`` with every declared frame present and empty, and ``message``.

    Empty and refused results (no activity, all rows errors, an optional dependency missing)
    have the same frames and columns as a full one, so views and callers never special-case them.
    """
    return AnalyticResult(
        name,
        frames=empty_frames(name, params),
        summary=dict(summary or {}),
        params=dict(params or {}),
        message=message,
    )


def frame_problems(spec: AnalyticSpec, result: AnalyticResult) -> list[str]:
    """How ``result`` differs from the declaration of ``spec`` (empty list: it conforms)."""
    problems = []
    declared = spec.frames_for(result.params)
    if list(result.frames) != list(declared):
        problems.append(f"frames {list(result.frames)} != declared {list(declared)}")
    for frame, cols in declared.items():
        if frame not in result.frames:
            continue
        got = [str(c) for c in result.frames[frame].columns]
        if MORE_COLUMNS in cols:
            at = cols.index(MORE_COLUMNS)
            head, tail = list(cols[:at]), list(cols[at + 1 :])
            ok = (
                len(got) >= len(head) + len(tail)
                and got[: len(head)] == head
                and (not tail or got[len(got) - len(tail) :] == tail)
            )
        else:
            ok = got == list(cols)
        if not ok:
            problems.append(f"frame {frame!r} columns {got} != declared {list(cols)}")
    return problems


def parse_analytics_arg(text: str | Iterable[str] | None) -> list[str]:
    """Analytic names from a ``--analytics`` argument, checked against the registry.

    Used by the CLI and the ``%molaudit`` magic before any work starts.

    Parameters
    ----------
    text : str or iterable of str or None
        Comma- (or space-) separated names, ``'all'`` (every registered analytic that needs no
        required parameter: all but ``similar``), ``'cheap'`` (the cheap ones),
        ``''``/``'none'``/None (none).

    Returns
    -------
    list of str
        The names, in the order given, without duplicates.

    Raises
    ------
    ParameterError
        An unknown name, with the closest registered names ("did you mean ...?").
    """
    if text is None:
        return []
    parts = text.replace(",", " ").split() if isinstance(text, str) else [p.strip() for p in text]
    out: list[str] = []
    for part in parts:
        if not part or part.lower() == "none":
            continue
        if part.lower() == "all":  # every analytic that runs without a required parameter
            names = sorted(
                n for n, spec in REGISTRY.items() if not any(p.required for p in spec.params or ())
            )
        elif part.lower() == "cheap":
            names = sorted(n for n, s in REGISTRY.items() if s.kind == "cheap")
        elif part in REGISTRY:
            names = [part]
        else:
            close = difflib.get_close_matches(part, list(REGISTRY), n=3, cutoff=0.5)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(
                f"--analytics: unknown analytic {part!r}.{hint} Available: "
                f"{', '.join(sorted(REGISTRY))}."
            )
        out.extend(n for n in names if n not in out)
    return out
