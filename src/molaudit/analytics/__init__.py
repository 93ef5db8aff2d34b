"""Analytics: pure functions of a batch's table and fingerprints, registered by name.

Importing this package registers every analytic (cheap ones run after each audit). The
modules are light to import: numba, scipy, umap-learn and openTSNE are imported inside the
functions that use them, so every declaration (``REGISTRY[name].params`` / ``.frames``) is known
without loading them, and numba compiles a kernel on its first use.
"""

from __future__ import annotations

# Registration happens on import; each module registers its analytics.
from molaudit.analytics import chemspace as _chemspace  # noqa: F401  (PCA / t-SNE / UMAP maps)
from molaudit.analytics import cliffs as _cliffs  # noqa: F401  (activity cliffs)
from molaudit.analytics import curate as _curate  # noqa: F401  (curation to one value per compound)
from molaudit.analytics import dedup, rgroups, scaffolds, statistics  # noqa: F401
from molaudit.analytics import lle as _lle  # noqa: F401  (LLE / LE)
from molaudit.analytics import substructure as _substructure  # noqa: F401  (SubstructLibrary)
from molaudit.analytics._base import (
    REGISTRY,
    AnalyticCancelled,
    AnalyticInput,
    AnalyticResult,
    AnalyticSpec,
    empty_result,
    parse_analytics_arg,
    register,
)
from molaudit.analytics.mmp import analytic as _mmp  # noqa: F401  (matched molecular pairs)
from molaudit.analytics.params import Param, ParameterError, check_n_jobs, validate_params
from molaudit.analytics.similarity import clustering as _clustering  # noqa: F401
from molaudit.analytics.similarity import neighbors as _neighbors  # noqa: F401
from molaudit.analytics.similarity import search as _similarity  # noqa: F401

__all__ = [
    "REGISTRY",
    "AnalyticCancelled",
    "AnalyticInput",
    "AnalyticResult",
    "AnalyticSpec",
    "Param",
    "ParameterError",
    "check_n_jobs",
    "empty_result",
    "parse_analytics_arg",
    "register",
    "validate_params",
]
