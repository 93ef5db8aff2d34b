"""Analytics: pure functions of a batch's table and fingerprints, registered by name.

Importing this package registers every analytic (cheap ones run after each audit).
"""

from __future__ import annotations

# Registration happens on import; each module registers its analytics.
# cheap: dedup, statistics; expensive: rgroups, scaffolds
from . import chemspace as _chemspace  # noqa: F401  (PCA / t-SNE / UMAP maps)
from . import cliffs as _cliffs  # noqa: F401  (activity cliffs)
from . import clustering as _clustering  # noqa: F401  (Butina / leader)
from . import dedup, rgroups, scaffolds, statistics  # noqa: F401
from . import lle as _lle  # noqa: F401  (LLE / LE)
from . import mmp as _mmp  # noqa: F401  (matched molecular pairs)
from . import neighbors as _neighbors  # noqa: F401  (nearest neighbours, exact/approximate)
from . import similarity as _similarity  # noqa: F401  (Tanimoto engine, search, pairs)
from ._base import REGISTRY, AnalyticInput, AnalyticResult, AnalyticSpec, register

__all__ = ["REGISTRY", "AnalyticInput", "AnalyticResult", "AnalyticSpec", "register"]
