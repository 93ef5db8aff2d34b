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

__all__ = ["Param", "ParameterError", "validate_params"]

#: What a parameter holds. ``smiles``/``smarts``: a structure text (or None when optional);
#: ``rows``: a list of input row numbers; ``any``: passed through unchecked (documented in help).
ParamType = Literal["int", "float", "bool", "str", "choice", "smiles", "smarts", "rows", "any"]


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
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    self._fail(analytic, value)
            value = int(value)
            self._check_range(analytic, value)
            return value
        if kind == "float":
            if isinstance(value, bool | _np_bool()) or not isinstance(value, numbers.Real):
                self._fail(analytic, value)
            value = float(value)
            if math.isnan(value):
                self._fail(analytic, value)
            self._check_range(analytic, value)
            return value
        if kind == "choice":
            for choice in self.choices or ():
                if value == choice and type(value) is not bool:
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
        raise AssertionError(f"unknown parameter type {kind!r}")  # a declaration bug

    def _check_range(self, analytic: str, value: float) -> None:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            self._fail(analytic, value)
        if self.high is not None and (
            value > self.high or (self.high_open and value == self.high)
        ):
            self._fail(analytic, value)

    def _fail(self, analytic: str, value: Any) -> None:
        raise ParameterError(
            f"The {self.name!r} parameter of {analytic} must be {self.describe()}; "
            f"got {value!r}."
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
        full[p.name] = p.check(analytic, given[p.name]) if p.name in given else p.default
    return full


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _np_bool() -> type:
    import numpy as np

    return np.bool_


def _nd() -> type:
    import numpy as np

    return np.ndarray
