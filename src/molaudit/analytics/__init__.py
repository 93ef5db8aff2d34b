"""Analytics: pure functions of a batch's table and fingerprints, registered by name.

Importing this package registers every analytic (cheap ones run after each audit).
"""

from __future__ import annotations

# Registration happens on import; each module registers its analytics.
from molaudit.analytics import chemspace as _chemspace  # noqa: F401  (PCA / t-SNE / UMAP maps)
from molaudit.analytics import cliffs as _cliffs  # noqa: F401  (activity cliffs)
from molaudit.analytics import dedup, rgroups, scaffolds, statistics  # noqa: F401
from molaudit.analytics import lle as _lle  # noqa: F401  (LLE / LE)
from molaudit.analytics._base import (
    REGISTRY,
    AnalyticInput,
    AnalyticResult,
    AnalyticSpec,
    register,
)
from molaudit.analytics.mmp import analytic as _mmp  # noqa: F401  (matched molecular pairs)
from molaudit.analytics.similarity import clustering as _clustering  # noqa: F401
from molaudit.analytics.similarity import neighbors as _neighbors  # noqa: F401
from molaudit.analytics.similarity import search as _similarity  # noqa: F401

__all__ = ["REGISTRY", "AnalyticInput", "AnalyticResult", "AnalyticSpec", "register"]
