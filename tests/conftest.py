"""Shared fixtures: a private cache directory per test session and small real data."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"


def pytest_configure(config: pytest.Config) -> None:
    # never touch the user's real cache from the tests
    if "MOLAUDIT_CACHE_DIR" not in os.environ:
        os.environ["MOLAUDIT_CACHE_DIR"] = str(
            Path(config.rootpath) / ".pytest_cache" / "molaudit-cache"
        )
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(config.rootpath) / ".pytest_cache" / "numba"))


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def chembl231() -> pd.DataFrame:
    """The bundled MoleculeACE CHEMBL231_Ki set (973 rows, MIT)."""
    from molaudit.demo import demo_data_path

    return pd.read_csv(demo_data_path())


@pytest.fixture(scope="session")
def small_real(chembl231: pd.DataFrame) -> pd.DataFrame:
    """120 real ChEMBL molecules with activity."""
    return chembl231.head(120).reset_index(drop=True)


@pytest.fixture
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
