"""Chemical space: 2-D maps of the fingerprints by PCA, t-SNE (openTSNE) or UMAP (umap-learn).

PCA works on the unpacked 0/1 bits held as a sparse matrix (Morgan bits are ~2% dense), centred
implicitly. ``solver='exact'`` eigendecomposes the exact covariance (``X^T X`` is a sparse
product, cheap for 2048 bits); ``solver='randomized'`` is Halko et al.'s randomized SVD with
power iterations on the implicitly centred matrix. Explained variance ratios are relative to the
*total* variance of all bits, so they equal numpy's exact SVD (the web platform divided by the
variance of the computed components only and reported 2-5x too much).

t-SNE and UMAP get their neighbour graphs from molaudit's exact Tanimoto engine (Jaccard
distance on bits = 1 - Tanimoto), so up to 100k molecules neither pynndescent's approximate
search nor its numba compile is needed; above that UMAP uses the approximate graph of
:mod:`molaudit.analytics.similarity.approx_nn` (NN-descent candidates, exact Tanimoto re-ranking).

UMAP's own numba functions are mostly not declared ``cache=True``; we switch numba's on-disk
cache on for them before first use (:func:`_enable_umap_numba_cache`), so the compile is paid
once per installation instead of once per kernel start.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import (
    AnalyticCancelled,
    AnalyticInput,
    AnalyticResult,
    empty_result,
    register,
)
from molaudit.analytics.params import Param
from molaudit.analytics.similarity.index import (
    FingerprintIndex,
    empty_reason,
    n_threads,
    row_lookup,
)
from molaudit.molecule.fingerprints import unpack_bits

if TYPE_CHECKING:  # scipy is imported on first use: `import molaudit` stays fast
    import scipy.sparse as sp

__all__ = ["chemical_space", "pca", "tsne", "umap_embedding"]

METHODS = ("pca", "tsne", "umap")
COORD_COLUMNS = ("row", "id", "x", "y")
VARIANCE_COLUMNS = ("component", "explained_variance", "explained_variance_ratio", "cumulative")


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
    index: FingerprintIndex, k: int, n_jobs: int | None, *, approximate: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """k nearest others of every fingerprint as (positions, Jaccard distances).

    Exact by default; ``approximate=True`` uses :func:`approx_nn.approximate_nearest`
    (NN-descent candidates, exact Tanimoto re-ranking), for UMAP above
    :data:`approx_nn.AUTO_EXACT_MAX` molecules where the exact graph would take hours.
    """
    if approximate:
        from molaudit.analytics.similarity.approx_nn import (
            DEFAULT_GRAPH_NEIGHBORS,
            approximate_nearest,
        )

        rows, sims = approximate_nearest(
            index, k, graph_neighbors=max(DEFAULT_GRAPH_NEIGHBORS, k), seed=seed, n_jobs=n_jobs
        )
    else:
        rows, sims = index.nearest(k, n_jobs=n_jobs)
    position = np.empty(int(index.rows.max()) + 1 if len(index) else 0, dtype=np.int64)
    position[index.rows] = np.arange(len(index))
    valid = rows >= 0
    neighbors = np.where(valid, position[np.where(valid, rows, index.rows[0])], -1)
    distances = np.where(valid, 1.0 - sims, np.inf)
    return neighbors, distances


#: openTSNE's FFT grid: grid cells per unit of embedding span after early exaggeration
#: (openTSNE's default 1). Measured at 48.7k MoleculeACE molecules: 1.5 cut the optimisation's
#: CPU time from 45 to 34 s while kNN preservation (15 exact Tanimoto neighbours found among
#: the 15 nearest in 2-D) went from 0.675 to 0.671; 2 saved 3 s more but dropped to 0.660.
TSNE_INTS_IN_INTERVAL = 1.5

#: openTSNE's defaults are 250 early-exaggeration iterations (exaggeration 12) then 500
#: normal ones, momentum 0.8 in both. molaudit uses the same early phase and, by default,
#: 250 normal iterations (``n_iter=500`` in all, the schedule molaudit always had; the
#: timings above refer to it); ``n_iter=750`` runs openTSNE's full schedule.
TSNE_EARLY_ITER = 250

#: From this many points on, openTSNE's FFT-interpolated gradient (faster than Barnes-Hut
#: there, openTSNE's own advice) and ``n_jobs`` threads.
TSNE_FFT_MIN_N = 10_000


def tsne(
    index: FingerprintIndex,
    init: np.ndarray,
    *,
    perplexity: float = 30.0,
    n_iter: int = 500,
    seed: int | None = 0,
    n_jobs: int | None = -1,
    timings: dict[str, float] | None = None,
    progress: Callable[[int, int], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """openTSNE embedding from the exact Tanimoto kNN graph (k = 3 x perplexity).

    Parameters
    ----------
    index : FingerprintIndex
        The fingerprints.
    init : numpy.ndarray
        ``(n, >= 2)`` start coordinates (molaudit passes the PCA scores), rescaled as openTSNE
        recommends.
    perplexity : float
        t-SNE perplexity (capped at ``(n - 1) / 3``).
    n_iter : int
        Total iterations, the first :data:`TSNE_EARLY_ITER` (250) with early exaggeration 12.
    seed : int or None
        openTSNE's random state (the optimisation from a fixed start is deterministic).
    n_jobs : int, optional
        Threads for the neighbour search and openTSNE (from 10k points on).
    timings : dict, optional
        When given, receives the seconds of each step: ``knn``, ``affinities``,
        ``early_exaggeration``, ``optimize``.
    progress : callable, optional
        ``progress(done, total)`` in steps of ``n_iter + 2`` (the graph, the affinities, then
        every 10 iterations).
    cancelled : callable, optional
        Polled between steps and every 10 iterations; True raises
        :class:`~molaudit.analytics.AnalyticCancelled`.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` coordinates in the index's original order.
    """
    from openTSNE import TSNEEmbedding, initialization
    from openTSNE.affinity import PerplexityBasedNN
    from openTSNE.nearest_neighbors import PrecomputedNeighbors

    spent = timings if timings is not None else {}
    n = len(index)
    perplexity = min(perplexity, (n - 1) / 3.0)
    k = max(1, min(n - 1, int(3 * perplexity)))
    total = n_iter + 2
    report = progress or (lambda done, total: None)
    clock = time.perf_counter()
    neighbors, distances = knn_graph(index, k, n_jobs)
    spent["knn"] = time.perf_counter() - clock
    report(1, total)
    _stop_if(cancelled, "t-SNE")
    # below ~10k points openTSNE's thread start-up and barriers cost more than they save
    # (measured 0.4 s with 1 thread vs 7 s with 2 at 300 points on a busy 2-core machine)
    threads = n_threads(n_jobs) if n >= TSNE_FFT_MIN_N else 1
    clock = time.perf_counter()
    affinities = PerplexityBasedNN(
        perplexity=perplexity,
        knn_index=PrecomputedNeighbors(neighbors, distances),
        n_jobs=threads,
        random_state=seed,
    )
    spent["affinities"] = time.perf_counter() - clock
    report(2, total)
    _stop_if(cancelled, "t-SNE")
    start = initialization.rescale(np.ascontiguousarray(init[:, :2], dtype=np.float64))
    # Barnes-Hut is faster below ~10k points, FFT interpolation above (openTSNE's own advice)
    gradient = "fft" if n >= TSNE_FFT_MIN_N else "bh"
    embedding = TSNEEmbedding(
        start,
        affinities,
        negative_gradient_method=gradient,
        n_jobs=threads,
        random_state=seed,
        ints_in_interval=TSNE_INTS_IN_INTERVAL,
    )
    clock = time.perf_counter()
    early = min(TSNE_EARLY_ITER, n_iter)
    done = [2]

    def every_10(iteration: int, error: float, emb: Any) -> bool:
        done[0] += 10
        report(min(done[0], total), total)
        return bool(cancelled is not None and cancelled())  # True stops openTSNE

    hooks: dict[str, Any] = {"callbacks": every_10, "callbacks_every_iters": 10}
    embedding = embedding.optimize(n_iter=early, exaggeration=12, momentum=0.8, **hooks)
    spent["early_exaggeration"] = time.perf_counter() - clock
    _stop_if(cancelled, "t-SNE")
    clock = time.perf_counter()
    if n_iter > early:
        embedding = embedding.optimize(n_iter=n_iter - early, momentum=0.8, **hooks)
    spent["optimize"] = time.perf_counter() - clock
    _stop_if(cancelled, "t-SNE")
    report(total, total)
    return np.asarray(embedding)


_UMAP_CACHE_READY = False


def _enable_umap_numba_cache() -> None:
    """Switch numba's on-disk cache on for umap-learn's jitted functions (once per process).

    umap-learn declares almost none of them ``cache=True``, so every new kernel recompiles
    them (tens of seconds). ``Dispatcher.enable_caching`` before the first call makes numba
    write and reuse the machine code (in umap's ``__pycache__``, numba's user-wide cache
    directory when that is read-only, or ``NUMBA_CACHE_DIR`` when set).
    """
    global _UMAP_CACHE_READY
    if _UMAP_CACHE_READY:
        return

    from numba.core.dispatcher import Dispatcher

    for name in ("umap.layouts", "umap.umap_", "umap.utils", "umap.distances", "umap.spectral"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # pragma: no cover - layout differences between umap versions
            continue
        for value in vars(module).values():
            if isinstance(value, Dispatcher) and value._cache.__class__.__name__ == "NullCache":
                try:
                    value.enable_caching()
                except Exception:  # pragma: no cover - a function numba cannot cache
                    continue
    _UMAP_CACHE_READY = True


def umap_embedding(
    index: FingerprintIndex,
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    init: str = "pca",
    seed: int | None = 0,
    n_jobs: int | None = -1,
    progress: Callable[[int, int], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """umap-learn embedding (Jaccard on bits) from molaudit's Tanimoto kNN graph.

    The graph is exact up to ``approx_nn.AUTO_EXACT_MAX`` (100k) molecules and approximate
    above (NN-descent + exact re-ranking, the graph of ``nearest_neighbors(method=
    'approximate')``), so UMAP at 1M does not wait hours for an exact graph.

    ``seed=None`` lets umap-learn optimize the layout on ``n_jobs`` threads (faster, not
    reproducible); a seed makes it single-threaded and exactly repeatable. ``init='pca'``
    starts from molaudit's randomized PCA (an informative start that keeps global structure)
    and hands umap the bits as a sparse matrix (~30 MB instead of ~400 MB dense at 48.7k);
    ``'spectral'`` is umap-learn's default.

    ``progress(done, 3)`` is called after the neighbour graph, the start layout and the
    layout; ``cancelled()`` is polled between them (umap-learn itself cannot be interrupted).
    """
    report = progress or (lambda done, total: None)
    _enable_umap_numba_cache()
    import umap

    from molaudit.analytics.similarity.approx_nn import AUTO_EXACT_MAX

    n = len(index)
    k = max(2, min(n_neighbors, n - 1))
    neighbors, distances = knn_graph(
        index, k - 1, n_jobs, approximate=n > AUTO_EXACT_MAX, seed=seed or 0
    )
    # umap expects each point as its own first neighbour at distance 0
    knn_idx = np.hstack([np.arange(n)[:, None], neighbors]).astype(np.int32)
    knn_dist = np.hstack([np.zeros((n, 1)), distances]).astype(np.float32)
    report(1, 3)
    _stop_if(cancelled, "UMAP")
    packed = index.words.view(np.uint8)[index.rank]
    if init == "pca":
        start: str | np.ndarray = pca(packed, 2, solver="randomized", seed=seed or 0)[0]
        bits: Any = bits_sparse(packed).astype(np.float32)
    elif init == "spectral":
        # the spectral layout of a disconnected graph reads X (component centroids)
        start = "spectral"
        bits = unpack_bits(packed).astype(bool)
    else:
        raise ValueError(f"init must be 'spectral' or 'pca', got {init!r}")
    report(2, 3)
    _stop_if(cancelled, "UMAP")
    reducer = umap.UMAP(
        n_neighbors=k,
        n_components=2,
        min_dist=min_dist,
        metric="jaccard",
        n_epochs=n_epochs,
        init=start,
        random_state=seed,
        precomputed_knn=(knn_idx, knn_dist, None),
        n_jobs=n_threads(n_jobs) if seed is None else 1,
    )
    # one BLAS thread: the spectral initialisation's eigsh took 9.7 s with two contending
    # OpenBLAS threads and 1.4 s with one at 10k on the busy 2-core machine
    with warnings.catch_warnings(), _single_threaded_blas():
        warnings.filterwarnings("ignore", message=".*precomputed_knn.*")
        warnings.filterwarnings("ignore", message=".*n_jobs.*")
        warnings.filterwarnings("ignore", message=".*sparse.*")
        warnings.filterwarnings("ignore", message=".*gradient function.*")
        coords = np.asarray(reducer.fit_transform(bits))
    report(3, 3)
    return coords


# --------------------------------------------------------------------------------------------
# The analytic
# --------------------------------------------------------------------------------------------


@register(
    "chemical_space",
    kind="expensive",
    description="2-D map of the fingerprints: PCA, t-SNE (openTSNE) or UMAP (umap-learn)",
    params=(
        Param("method", "choice", "pca", "PCA, t-SNE or UMAP.", choices=METHODS, label="Map"),
        Param(
            "seed",
            "int",
            0,
            "Random seed; results repeat exactly (None: unseeded, UMAP multi-threaded).",
            low=0,
            optional=True,
            label="Random seed",
        ),
        Param(
            "n_components",
            "int",
            10,
            "PCA: components whose variance is reported.",
            low=1,
            label="PCA components",
        ),
        Param(
            "solver",
            "choice",
            "auto",
            "PCA solver (auto = exact up to 4096 bits).",
            choices=("auto", "exact", "randomized"),
            label="PCA solver",
        ),
        Param(
            "power_iterations",
            "int",
            7,
            "Randomized PCA power iterations.",
            low=0,
            label="Power iterations",
        ),
        Param(
            "perplexity",
            "float",
            30.0,
            "t-SNE perplexity (k = 3 x perplexity neighbours).",
            low=0,
            low_open=True,
            label="Perplexity",
        ),
        Param(
            "n_iter",
            "int",
            500,
            "t-SNE iterations, the first 250 with early exaggeration.",
            low=TSNE_EARLY_ITER,
            label="t-SNE iterations",
        ),
        Param(
            "n_neighbors",
            "int",
            15,
            "UMAP neighbours per molecule.",
            low=2,
            label="UMAP neighbours",
        ),
        Param(
            "min_dist",
            "float",
            0.1,
            "UMAP minimum distance between embedded points.",
            low=0,
            high=1,
            label="UMAP minimum distance",
        ),
        Param(
            "n_epochs",
            "int",
            None,
            "UMAP epochs (None: umap-learn's default).",
            low=1,
            optional=True,
            label="UMAP epochs",
        ),
        Param(
            "init",
            "choice",
            "pca",
            "UMAP start: molaudit's PCA or umap-learn's spectral layout.",
            choices=("pca", "spectral"),
            label="UMAP start",
        ),
    ),
    frames_by=(
        "method",
        {
            "pca": {"coordinates": COORD_COLUMNS, "variance": VARIANCE_COLUMNS},
            "tsne": {"coordinates": COORD_COLUMNS},
            "umap": {"coordinates": COORD_COLUMNS},
        },
    ),
)
def chemical_space(
    data: AnalyticInput,
    method: str = "pca",
    seed: int | None = 0,
    n_components: int = 10,
    solver: str = "auto",
    power_iterations: int = 7,
    perplexity: float = 30.0,
    n_iter: int = 500,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    n_epochs: int | None = None,
    init: str = "pca",
) -> AnalyticResult:
    """Two-dimensional coordinates of every molecule with a fingerprint.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    method : {'pca', 'tsne', 'umap'}
        ``pca`` (always available); ``tsne`` needs openTSNE (``molaudit[tsne]``); ``umap``
        needs umap-learn.
    seed : int or None
        Random seed (randomized PCA's test matrix, t-SNE's optimizer, UMAP's layout); results
        repeat exactly. UMAP runs single-threaded when seeded (umap-learn's rule);
        ``seed=None`` lets it use ``n_jobs`` threads, unseeded (PCA then uses seed 0).
    n_components : int
        PCA: components whose variance is reported (coordinates are the first two).
    solver : {'auto', 'exact', 'randomized'}
        PCA solver (``auto`` = exact up to 4096 bits).
    power_iterations : int
        Randomized PCA power iterations.
    perplexity, n_iter : float, int
        t-SNE settings (k = 3 x perplexity exact Tanimoto neighbours; 250 early-exaggeration
        iterations are part of ``n_iter``; openTSNE's own default schedule is
        ``n_iter=750``). t-SNE starts from the PCA coordinates. The summary's
        ``seconds_knn``, ``seconds_affinities``, ``seconds_early_exaggeration`` and
        ``seconds_optimize`` time the steps.
    n_neighbors, min_dist, n_epochs : int, float, int or None
        UMAP settings (``n_epochs=None``: umap-learn's default, 500 up to 10k points, else
        200).
    init : {'pca', 'spectral'}
        UMAP start: molaudit's PCA (default; at 48.7k MoleculeACE 35 s CPU and 128 MB peak),
        or umap-learn's spectral layout (55 s CPU and 1.3 GB: it needs the dense bits to
        place the graph's many disconnected components).

    Returns
    -------
    AnalyticResult
        Frame ``coordinates`` (sorted by row):

        - ``row``, ``id`` : the molecule
        - ``x``, ``y`` : its coordinates

        Frame ``variance`` (PCA only), one line per component:

        - ``component`` : 1-based component number
        - ``explained_variance`` : variance along it
        - ``explained_variance_ratio`` : share of the total variance of all bits
        - ``cumulative`` : cumulative ratio
    """
    params: dict[str, Any] = {"method": method, "seed": seed}
    if method == "pca":
        params.update(n_components=n_components, solver=solver, power_iterations=power_iterations)
    elif method == "tsne":
        params.update(perplexity=float(perplexity), n_iter=n_iter)
    else:
        params.update(
            n_neighbors=n_neighbors, min_dist=float(min_dist), n_epochs=n_epochs, init=init
        )
    reason = empty_reason(data) or _missing_dependency(method)
    if reason:
        return empty_result("chemical_space", reason, params)
    rows_all = np.asarray(data.fingerprint_rows, dtype=np.int64)
    by_row = np.argsort(rows_all, kind="stable")
    rows = rows_all[by_row]
    packed = np.asarray(data.fingerprints)[by_row]
    n = len(rows)
    min_n = {"pca": 2, "tsne": 5, "umap": 4}[method]
    if n < min_n:
        return empty_result(
            "chemical_space",
            f"{method} needs at least {min_n} molecules with fingerprints, the batch has {n}",
            params,
            {"n_molecules": n},
        )
    started = time.perf_counter()
    frames: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {"method": method, "n_molecules": n}
    if method == "pca":
        scores, variance, _, total = pca(
            packed,
            n_components,
            solver=solver,
            power_iterations=power_iterations,
            seed=0 if seed is None else seed,
        )
        coords = np.zeros((n, 2))
        coords[:, : min(2, scores.shape[1])] = scores[:, :2]
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        frames["variance"] = pd.DataFrame(
            {
                "component": np.arange(1, len(variance) + 1, dtype=np.int64),
                "explained_variance": variance,
                "explained_variance_ratio": ratio,
                "cumulative": np.cumsum(ratio),
            }
        )
        summary["explained_variance_ratio_xy"] = [float(v) for v in ratio[:2]]
        summary["solver"] = (
            "exact"
            if solver == "auto" and packed.shape[1] * 8 <= 4096
            else ("randomized" if solver == "auto" else solver)
        )
    else:
        index = FingerprintIndex(packed, rows)
        if method == "tsne":
            init, _, _, _ = pca(packed, 2, solver="randomized", seed=0 if seed is None else seed)
            timings: dict[str, float] = {}
            coords = tsne(
                index,
                init,
                perplexity=float(perplexity),
                n_iter=n_iter,
                seed=seed,
                n_jobs=data.n_jobs,
                timings=timings,
                progress=data.progress,
                cancelled=data.cancelled,
            )
            summary.update({f"seconds_{k}": round(v, 3) for k, v in timings.items()})
        else:
            coords = umap_embedding(
                index,
                n_neighbors=n_neighbors,
                min_dist=float(min_dist),
                n_epochs=n_epochs,
                init=init,
                seed=seed,
                n_jobs=data.n_jobs,
                progress=data.progress,
                cancelled=data.cancelled,
            )
    frames["coordinates"] = pd.DataFrame(
        {"row": rows, "id": row_lookup(data, rows, "id"), "x": coords[:, 0], "y": coords[:, 1]}
    )
    frames = {
        "coordinates": frames["coordinates"],
        **{k: v for k, v in frames.items() if k != "coordinates"},
    }
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return AnalyticResult("chemical_space", frames, summary, params)


#: method -> (import name, install hint) of its optional dependency
OPTIONAL = {
    "tsne": ("openTSNE", "pip install 'molaudit[tsne]' (openTSNE)"),
    "umap": ("umap", "pip install umap-learn"),
}


def _missing_dependency(method: str) -> str | None:
    if method not in OPTIONAL:
        return None
    module, hint = OPTIONAL[method]
    if importlib.util.find_spec(module) is None:
        return f"method={method!r} needs the optional package {module}: {hint}"
    return None


def _stop_if(cancelled: Callable[[], bool] | None, what: str) -> None:
    if cancelled is not None and cancelled():
        raise AnalyticCancelled(f"chemical_space ({what}) was cancelled")
