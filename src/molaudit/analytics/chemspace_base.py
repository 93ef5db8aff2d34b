"""What every chemical-space map shares: the fingerprints' bits, PCA, and the kNN graph.

PCA works on the unpacked 0/1 bits held as a sparse matrix (Morgan bits are ~2% dense), centred
implicitly (see :func:`pca`). :func:`knn_graph` gives t-SNE and UMAP their neighbour graphs from
molaudit's Tanimoto engine (exact, or NN-descent + exact re-ranking above
:data:`molaudit.analytics.similarity.approx_nn.AUTO_EXACT_MAX`). Kept apart from
:mod:`molaudit.analytics.chemspace` (the analytic) so that :mod:`chemspace_umap` can use them
without an import cycle.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from molaudit.analytics.similarity.index import FingerprintIndex
from molaudit.molecule.fingerprints import unpack_bits

if TYPE_CHECKING:  # scipy is imported on first use: `import molaudit` stays fast
    import scipy.sparse as sp

__all__ = ["bits_sparse", "knn_graph", "pca"]

# --------------------------------------------------------------------------------------------
# PCA
# --------------------------------------------------------------------------------------------


def bits_sparse(packed: np.ndarray, block: int = 16384) -> sp.csr_matrix:
    """Unpacked fingerprint bits as a CSR matrix of float64 ones, built block by block."""
    import scipy.sparse as sp

    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    n, n_bits = packed.shape[0], packed.shape[1] * 8
    parts = []
    for start in range(0, n, block):
        bits = unpack_bits(packed[start : start + block])
        parts.append(sp.csr_matrix(bits, dtype=np.float64))
    if not parts:
        return sp.csr_matrix((0, n_bits))
    return sp.vstack(parts, format="csr")


def _flip_signs(components: np.ndarray) -> np.ndarray:
    # deterministic orientation: the largest |loading| of each component is positive
    idx = np.argmax(np.abs(components), axis=0)
    signs = np.sign(components[idx, np.arange(components.shape[1])])
    signs[signs == 0] = 1.0
    return components * signs


def pca(
    packed: np.ndarray,
    n_components: int = 2,
    *,
    solver: str = "auto",
    power_iterations: int = 7,
    oversampling: int = 10,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """PCA of packed fingerprints' bits.

    Parameters
    ----------
    packed : numpy.ndarray
        ``(n, n_bits // 8)`` uint8 packed fingerprints.
    n_components : int
        Components to compute.
    solver : {'auto', 'exact', 'randomized'}
        ``exact``: eigendecomposition of the exact covariance matrix (``n_bits`` x ``n_bits``);
        ``randomized``: randomized SVD with ``power_iterations``; ``auto``: exact up to 4096
        bits.
    power_iterations, oversampling : int
        Randomized solver settings.
    seed : int
        Seed of the randomized solver's test matrix.

    Returns
    -------
    tuple
        ``(scores (n, n_components), explained_variance (n_components,),
        components (n_bits, n_components), total_variance)``.
    """
    X = bits_sparse(packed)
    n, d = X.shape
    k = min(n_components, d, max(n - 1, 1))
    mean = np.asarray(X.sum(axis=0)).ravel() / n
    ones_count = mean * n
    total = float(np.sum(ones_count - n * mean**2) / max(n - 1, 1))
    if solver == "auto":
        solver = "exact" if d <= 4096 else "randomized"
    with _single_threaded_blas():
        return _pca_solve(X, mean, total, k, solver, power_iterations, oversampling, seed)


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    """One BLAS thread for the dense steps (eigh, QR, small SVD).

    Measured on the 2-core machine while other jobs ran: ``eigh`` of the 2048 x 2048
    covariance took 26 s with OpenBLAS's 2 spinning threads and 0.7 s with one (top-k
    ``evr`` driver). Matrices this size gain nothing from a second thread anyway.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _pca_solve(
    X: sp.csr_matrix,
    mean: np.ndarray,
    total: float,
    k: int,
    solver: str,
    power_iterations: int,
    oversampling: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    import scipy.linalg

    n, d = X.shape
    if solver == "exact":
        gram = (X.T @ X).toarray()
        cov = (gram - n * np.outer(mean, mean)) / max(n - 1, 1)
        # only the top k eigenpairs (LAPACK evr): ~3x faster than the full decomposition
        values, vectors = scipy.linalg.eigh(cov, subset_by_index=(d - k, d - 1))
        top = np.argsort(values)[::-1]
        variance = np.clip(values[top], 0.0, None)
        components = vectors[:, top]
    elif solver == "randomized":
        rng = np.random.default_rng(seed)
        width = min(d, k + oversampling)
        omega = rng.standard_normal((d, width))

        def a_times(m: np.ndarray) -> np.ndarray:  # (X - 1 mean^T) @ m
            return X @ m - np.outer(np.ones(n), mean @ m)

        def at_times(m: np.ndarray) -> np.ndarray:  # (X - 1 mean^T)^T @ m
            return X.T @ m - np.outer(mean, m.sum(axis=0))

        q, _ = np.linalg.qr(a_times(omega))
        for _ in range(power_iterations):
            z, _ = np.linalg.qr(at_times(q))
            q, _ = np.linalg.qr(a_times(z))
        b = at_times(q).T  # (width, d) = Q^T A
        _, s, vt = np.linalg.svd(b, full_matrices=False)
        variance = s[:k] ** 2 / max(n - 1, 1)
        components = vt[:k].T
    else:
        raise ValueError(f"solver must be 'auto', 'exact' or 'randomized', got {solver!r}")
    components = _flip_signs(components)
    scores = X @ components - mean @ components
    return np.asarray(scores), variance, components, total


# --------------------------------------------------------------------------------------------
# Neighbour graphs for t-SNE / UMAP
# --------------------------------------------------------------------------------------------


def knn_graph(
    index: FingerprintIndex,
    k: int,
    n_jobs: int | None,
    *,
    approximate: bool = False,
    seed: int = 0,
    memo: Callable[[str, Callable[[], Any]], Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest others of every fingerprint as (positions, Jaccard distances).

    Exact by default; ``approximate=True`` uses :func:`approx_nn.approximate_nearest`
    (NN-descent candidates, exact Tanimoto re-ranking), for UMAP above
    :data:`approx_nn.AUTO_EXACT_MAX` molecules where the exact graph would take hours;
    ``memo`` (the batch's) keeps and shares its NN-descent graph.
    """
    if approximate:
        from molaudit.analytics.similarity.approx_nn import (
            DEFAULT_GRAPH_NEIGHBORS,
            approximate_nearest,
        )

        rows, sims = approximate_nearest(
            index,
            k,
            graph_neighbors=max(DEFAULT_GRAPH_NEIGHBORS, k),
            seed=seed,
            n_jobs=n_jobs,
            memo=memo,
        )
    else:
        rows, sims = index.nearest(k, n_jobs=n_jobs)
    position = np.empty(int(index.rows.max()) + 1 if len(index) else 0, dtype=np.int64)
    position[index.rows] = np.arange(len(index))
    valid = rows >= 0
    neighbors = np.where(valid, position[np.where(valid, rows, index.rows[0])], -1)
    distances = np.where(valid, 1.0 - sims, np.inf)
    return neighbors, distances
