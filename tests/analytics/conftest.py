"""Fixtures of the analytics tests."""

from __future__ import annotations

import pytest

from molaudit.analytics.similarity import index as index_module


@pytest.fixture(params=["packed", "bit-sliced"])
def search_kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a single-query or cross-batch search test on each of the two kernels.

    Small test sets sit below :data:`SLICED_MIN_SIZE`, so "bit-sliced" lowers it to 1 and
    "packed" raises it out of reach: the same oracle then checks both code paths.
    """
    size = 1 if request.param == "bit-sliced" else 10**12
    monkeypatch.setattr(index_module, "SLICED_MIN_SIZE", size)
    return request.param
