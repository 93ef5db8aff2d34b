"""Declared parameters: each analytic states its parameters once, as data.

One declaration (:class:`Param`) validates calls from the API, the magic, the CLI and the panel,
and builds the panel's controls. One exception type, :class:`ParameterError`, one message shape:

    The 'cutoff' parameter of clusters must be a float in [0, 1]; got 1.5.

numpy scalars are accepted wherever the matching Python type is (``numpy.int64(5)`` for an int).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "N_JOBS_RULE",
    "Param",
    "ParameterError",
    "check_n_jobs",
    "effective_n_jobs",
    "n_jobs_param",
    "validate_params",
]

#: The one ``n_jobs`` rule (joblib's convention), used by the audit, every analytic, the magic
#: and the CLI.
N_JOBS_RULE = "-1 (all cores), 1 (in process) or a positive number of workers"

#: What a parameter holds. ``smiles``/``smarts``: a structure text (or None when optional);
#: ``rows``: a list of input row numbers; ``any``: passed through unchecked (documented in help).
#: ``n_jobs``: workers by the one rule of :data:`N_JOBS_RULE` (None allowed when optional).
ParamType = Literal[
    "int", "float", "bool", "str", "choice", "smiles", "smarts", "rows", "any", "n_jobs"
]


class ParameterError(ValueError, TypeError):
    """A parameter of an analytic is missing, unknown or out of its declared range.

    Subclasses both ``ValueError`` and ``TypeError`` so that callers catching either keep working.
    """


@dataclass(frozen=True)
class Param:
    """One declared parameter of an analytic.

    Parameters
    ----------
    name : str
        Keyword name.
    type : str
        One of ``int``, ``float``, ``bool``, ``str``, ``choice``, ``smiles``, ``smarts``,
        ``rows``, ``any``.
    default : object
        Value used when the caller leaves the parameter out.
    help : str
        One line for docs, tooltips and ``--help``.
    low, high : float, optional
        Inclusive bounds for ``int`` and ``float`` (``low_open``/``high_open`` make them strict).
    choices : tuple, optional
        Allowed values for ``choice``.
    optional : bool
        None is allowed (meaning "automatic" or "not set"; say which in ``help``).
    label : str, optional
        Human label for the panel ("Distance cutoff"); defaults to the name.
    unit : str, optional
        Unit shown beside the control ("Da", "log units").
    required : bool
        No default: leaving the parameter out is an error.
    """

    name: str
    type: ParamType
    default: Any = None
    help: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[Any, ...] | None = None
    optional: bool = False
    label: str | None = None
    unit: str | None = None
    #: The caller must give a value (there is no default; e.g. the query of ``similar``).
    required: bool = False

    @property
    def display_label(self) -> str:
        """The label a chemist reads (``label``, else the name with spaces)."""
        return self.label or self.name.replace("_", " ").capitalize()

    def describe(self) -> str:
        """What a valid value is, as used in error messages ("a float in [0, 1]")."""
        if self.type == "choice":
            text = "one of " + ", ".join(repr(c) for c in (self.choices or ()))
        elif self.type in ("int", "float"):
            text = "an integer" if self.type == "int" else "a float"
            if self.low is not None or self.high is not None:
                left = "(" if self.low_open else "["
                right = ")" if self.high_open else "]"
                lo = "-inf" if self.low is None else _fmt(self.low)
                hi = "inf" if self.high is None else _fmt(self.high)
                if self.high is None and self.low is not None:
                    text += f" {'>' if self.low_open else '>='} {lo}"
                elif self.low is None:
                    text += f" {'<' if self.high_open else '<='} {hi}"
                else:
                    text += f" in {left}{lo}, {hi}{right}"
        elif self.type == "bool":
            text = "True or False"
        elif self.type == "rows":
            text = "a list of input row numbers (ints)"
        elif self.type in ("smiles", "smarts"):
            text = f"a {self.type.upper()} string"
        elif self.type == "n_jobs":
            text = N_JOBS_RULE
        elif self.type == "str":
            text = "a string"
        else:
            text = "a value"
        if self.optional:
            text += " or None"
        return text

    def check(self, analytic: str, value: Any) -> Any:
        """Return ``value`` coerced to the declared type, or raise :class:`ParameterError`."""
        if value is None:
            if self.optional:
                return None
            self._fail(analytic, value)
        kind = self.type
        if kind == "any":
            return value
        if kind == "bool":
            if isinstance(value, bool | _np_bool()):
                return bool(value)
            self._fail(analytic, value)
        if kind == "int":
            if isinstance(value, bool | _np_bool()) or not isinstance(value, numbers.Integral):
                if not (isinstance(value, float) and value.is_integer()):
                    self._fail(analytic, value)
            number = int(value)
            self._check_range(analytic, number, value)
            return number
        if kind == "float":
            if isinstance(value, bool | _np_bool()) or not isinstance(value, numbers.Real):
                self._fail(analytic, value)
            real = float(value)
            if math.isnan(real):
                self._fail(analytic, value)
            self._check_range(analytic, real, value)
            return real
        if kind == "choice":
            is_bool = isinstance(value, bool | _np_bool())
            for choice in self.choices or ():
                # True == 1 in Python: a bool matches only a bool choice, and vice versa
                if is_bool != isinstance(choice, bool):
                    continue
                if isinstance(value, str | bool | numbers.Number | _np_bool()) and value == choice:
                    return choice
            self._fail(analytic, value)
        if kind in ("str", "smiles", "smarts"):
            if not isinstance(value, str):
                self._fail(analytic, value)
            return str(value)
        if kind == "rows":
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | _nd()):
                self._fail(analytic, value)
            out = []
            for item in value:
                if isinstance(item, bool | _np_bool()) or not isinstance(item, numbers.Integral):
                    self._fail(analytic, value)
                out.append(int(item))
            return out
        if kind == "n_jobs":
            if isinstance(value, bool | _np_bool()) or not isinstance(value, numbers.Integral):
                self._fail(analytic, value)
            value = int(value)
            if value == 0 or value < -1:
                self._fail(analytic, value)
            return value
        raise AssertionError(f"unknown parameter type {kind!r}")  # a declaration bug

    def _check_range(self, analytic: str, value: float, given: Any) -> None:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            self._fail(analytic, given)
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            self._fail(analytic, given)

    def _fail(self, analytic: str, value: Any) -> None:
        raise ParameterError(
            f"The {self.name!r} parameter of {analytic} must be {self.describe()}; got {value!r}."
        )


def validate_params(
    analytic: str, declared: Sequence[Param], given: Mapping[str, Any]
) -> dict[str, Any]:
    """Check ``given`` against the declaration; return every parameter with defaults filled in.

    Raises
    ------
    ParameterError
        An unknown name (with the names it takes) or a value outside its declaration.
    """
    by_name = {p.name: p for p in declared}
    unknown = [k for k in given if k not in by_name]
    if unknown:
        takes = ", ".join(by_name) or "no parameters"
        raise ParameterError(
            f"{analytic} got unknown parameter(s) {', '.join(repr(u) for u in unknown)}; "
            f"it takes {takes}."
        )
    full: dict[str, Any] = {}
    for p in declared:
        if p.name in given:
            full[p.name] = p.check(analytic, given[p.name])
        elif p.required:
            raise ParameterError(
                f"The {p.name!r} parameter of {analytic} is required: {p.describe()}."
            )
        else:
            full[p.name] = p.default
    return full


def n_jobs_param(help: str = "Workers (None: the batch's n_jobs).") -> Param:
    """The declaration of an analytic's optional ``n_jobs`` parameter (one rule everywhere)."""
    return Param("n_jobs", "n_jobs", None, help, optional=True, label="Workers")


def activity_units_param(
    help: str = "Units of the activity column (nM, uM, pX, ...); None: the batch's, else inferred.",
) -> Param:
    """The declaration of an analytic's optional free-text ``activity_units`` parameter."""
    return Param("activity_units", "str", None, help, optional=True, label="Activity units")


def check_n_jobs(n_jobs: Any, where: str = "n_jobs") -> int:
    """``n_jobs`` as an int if it follows :data:`N_JOBS_RULE`, else :class:`ParameterError`.

    The one check of ``n_jobs`` for the audit, the analytics, the magic and the CLI: -1 means
    every core, 1 runs in process, n > 1 that many workers; 0 and values below -1 are rejected
    (joblib would read -2 as "all but one"; molaudit does not, so that -1 is the only special
    value). numpy integers are accepted.

    Raises
    ------
    ParameterError
        ``"n_jobs must be -1 (all cores), 1 (in process) or a positive number of workers;
        got 0."`` (``where`` replaces ``n_jobs`` at the start).
    """
    ok = isinstance(n_jobs, numbers.Integral) and not isinstance(n_jobs, bool | _np_bool())
    if not ok or int(n_jobs) == 0 or int(n_jobs) < -1:
        raise ParameterError(f"{where} must be {N_JOBS_RULE}; got {n_jobs!r}.")
    return int(n_jobs)


def effective_n_jobs(n_jobs: Any) -> int:
    """Number of workers ``n_jobs`` stands for on this machine (-1: ``os.cpu_count()``)."""
    import os

    value = check_n_jobs(n_jobs)
    return max(1, os.cpu_count() or 1) if value == -1 else value


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _np_bool() -> type:
    import numpy as np

    return np.bool_


def _nd() -> type:
    import numpy as np

    return np.ndarray
