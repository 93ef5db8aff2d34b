"""Declared parameters: one validator, one exception type, one message shape, one n_jobs rule."""

from __future__ import annotations

import numpy as np
import pytest

import molaudit
from molaudit.analytics import REGISTRY, ParameterError, parse_analytics_arg
from molaudit.analytics.params import (
    Param,
    check_n_jobs,
    effective_n_jobs,
    validate_params,
)

CUTOFF = Param("cutoff", "float", 0.35, "distance", low=0, high=1, high_open=True)
K = Param("k", "int", 1, "neighbours", low=1)
METHOD = Param("method", "choice", "a", "how", choices=("a", "b"))
APPROX = Param("approximate", "choice", "auto", "how", choices=("auto", True, False))
ROWS = Param("rows", "rows", None, "rows", optional=True)


def test_the_message_names_analytic_parameter_rule_and_value():
    with pytest.raises(
        ParameterError,
        match=r"^The 'cutoff' parameter of clusters must be a float in \[0, 1\); got 1\.5\.$",
    ):
        CUTOFF.check("clusters", 1.5)
    with pytest.raises(ParameterError, match=r"must be an integer >= 1; got 0\.$"):
        K.check("x", 0)
    with pytest.raises(ParameterError, match=r"must be one of 'a', 'b'; got 'c'\.$"):
        METHOD.check("x", "c")


def test_parameter_error_is_a_value_error_and_a_type_error():
    # callers that caught either before keep working
    for kind in (ValueError, TypeError):
        with pytest.raises(kind, match="'k' parameter"):
            K.check("x", "3")


def test_numpy_scalars_are_accepted_and_coerced():
    assert CUTOFF.check("x", np.float32(0.5)) == 0.5 and type(CUTOFF.check("x", 0.5)) is float
    assert K.check("x", np.int64(4)) == 4 and type(K.check("x", np.int64(4))) is int
    assert K.check("x", 3.0) == 3  # an integral float is an int
    assert ROWS.check("x", np.array([3, 1])) == [3, 1]
    assert Param("b", "bool", True, "").check("x", np.bool_(False)) is False


def test_bool_is_not_a_number_and_true_is_not_one():
    with pytest.raises(ParameterError, match="got True"):
        K.check("x", True)
    with pytest.raises(ParameterError, match="got nan"):
        CUTOFF.check("x", float("nan"))
    # True == 1 in Python; a choice of (auto, True, False) must still refuse 1 and 0
    assert APPROX.check("x", True) is True and APPROX.check("x", "auto") == "auto"
    with pytest.raises(ParameterError, match="got 1"):
        APPROX.check("x", 1)
    with pytest.raises(ParameterError, match="a list of input row numbers"):
        ROWS.check("x", [1, True])


def test_validate_fills_defaults_and_rejects_unknown_and_missing_required():
    declared = (CUTOFF, K, Param("query", "any", None, "q", required=True))
    full = validate_params("demo", declared, {"query": "CCO", "k": np.int64(2)})
    assert full == {"cutoff": 0.35, "k": 2, "query": "CCO"}
    with pytest.raises(ParameterError, match=r"demo got unknown parameter\(s\) 'kk'; it takes"):
        validate_params("demo", declared, {"query": "CCO", "kk": 2})
    with pytest.raises(ParameterError, match="'query' parameter of demo is required"):
        validate_params("demo", declared, {})


def test_describe_states_open_and_closed_bounds():
    assert CUTOFF.describe() == "a float in [0, 1)"
    assert Param("t", "float", 1, "", low=0, low_open=True).describe() == "a float > 0"
    assert Param("n", "int", 1, "", optional=True, high=5).describe() == "an integer <= 5 or None"


def test_one_n_jobs_rule():
    assert [check_n_jobs(v) for v in (-1, 1, 4, np.int64(2))] == [-1, 1, 4, 2]
    assert effective_n_jobs(1) == 1 and effective_n_jobs(-1) >= 1
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ParameterError, match=r"^n_jobs must be -1 \(all cores\), 1 \(in"):
            check_n_jobs(bad)
    # the audit and the analytics apply the same rule and message
    with pytest.raises(ValueError, match=r"^n_jobs must be -1 \(all cores\), 1 \(in process\)"):
        molaudit.audit(["CCO"], n_jobs=-2, cache=False, progress=False)
    spec = REGISTRY["mmp"].param("n_jobs")
    with pytest.raises(ParameterError, match=r"'n_jobs' parameter of mmp must be -1 \(all"):
        spec.check("mmp", 0)


def test_parse_analytics_arg_checks_names_and_suggests():
    assert parse_analytics_arg("dedup, scaffolds,dedup") == ["dedup", "scaffolds"]
    assert parse_analytics_arg("") == [] and parse_analytics_arg(None) == []
    assert set(parse_analytics_arg("cheap")) == {
        n for n, s in REGISTRY.items() if s.kind == "cheap"
    }
    everything = parse_analytics_arg("all")
    assert "similar" not in everything  # needs a query
    needs_input = {n for n, s in REGISTRY.items() if any(p.required for p in s.params or ())}
    assert set(everything) == set(REGISTRY) - needs_input
    with pytest.raises(ParameterError, match=r"unknown analytic 'scafolds'\. Did you mean 'scaf"):
        parse_analytics_arg("dedup,scafolds")
