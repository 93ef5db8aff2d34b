"""molaudit: Jupyter-native batch validation and analytics for sets of molecules.

>>> import molaudit
>>> batch = molaudit.audit(["CCO", "c1ccccc1O", "not a smiles"], n_jobs=1, progress=False)
>>> batch.table[["row", "status", "error_code"]]  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from molaudit import analytics
from molaudit._version import __version__
from molaudit.analytics import AnalyticResult
from molaudit.api import audit, batches, cache_info, load
from molaudit.batch import Batch
from molaudit.errors import ERROR_CODES, ColumnNotFoundError, MolauditWarning
from molaudit.molecule.checks import CHECKS
from molaudit.options import AuditOptions
from molaudit.run.runner import AuditCancelled

__all__ = [
    "CHECKS",
    "ERROR_CODES",
    "AnalyticResult",
    "AuditCancelled",
    "AuditOptions",
    "Batch",
    "ColumnNotFoundError",
    "MolauditWarning",
    "Panel",
    "__version__",
    "analytics",
    "audit",
    "batches",
    "cache_info",
    "compare",
    "curate",
    "load",
    "load_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext molaudit``: register the ``%molaudit`` magics."""
    from molaudit.notebook.magics import load_ipython_extension as _load

    _load(ipython)


def __getattr__(name: str) -> Any:
    if name == "Panel":  # imported lazily: ipywidgets is not needed to audit
        from molaudit.notebook.panel import Panel

        return Panel
    if name in ("compare", "curate"):  # imported lazily: compare loads the numba Tanimoto engine
        from molaudit import curation

        return getattr(curation, name)
    raise AttributeError(f"module 'molaudit' has no attribute {name!r}")


def _register_magics_in_ipython() -> None:
    import sys

    if "IPython" not in sys.modules:  # no IPython imported: no shell to register with
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "register_magics"):
        try:
            load_ipython_extension(shell)
        except Exception:  # the notebook layer is optional for auditing
            pass


_register_magics_in_ipython()
