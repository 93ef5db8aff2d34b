"""Shared fixtures: a real audited batch of the bundled sample (with two XSS IDs)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[1] / "data" / "notebook" / "chembl2047_sample.csv"
XSS_IDS = ("<img src=x onerror=alert(1)>", "<script>alert('x')</script>")


@pytest.fixture(scope="session")
def sample_path() -> Path:
    return DATA


@pytest.fixture(scope="session")
def sample() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="session")
def batch(sample):
    import molaudit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the summary warning about the error row is expected
        return molaudit.audit(
            sample,
            smiles_col="smiles",
            id_col="compound_id",
            activity_col="ec50_nM",
            n_jobs=1,
            cache=False,
            progress=False,
        )


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    from molaudit.notebook.magics import load_ipython_extension

    load_ipython_extension(ip)
    yield ip
    for name in [k for k in ip.user_ns if k.startswith(("_molaudit", "nbtest_"))]:
        del ip.user_ns[name]
