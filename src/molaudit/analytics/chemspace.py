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

UMAP runs umap-learn's steps one at a time (:mod:`molaudit.analytics.chemspace_umap`): progress
per phase and per epoch, cancel between epochs, the graph kept in the batch's memo, and a
parallel layout that gives the same coordinates for a seed on any number of threads. UMAP's own
numba functions are mostly not declared ``cache=True``; we switch numba's on-disk cache on for
them before first use, so the compile is paid once per installation, not per kernel start.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from molaudit.analytics._base import (
    AnalyticCancelled,
    AnalyticInput,
    AnalyticResult,
    empty_result,
    register,
)
from molaudit.analytics.chemspace_base import knn_graph, pca
from molaudit.analytics.params import Param
from molaudit.analytics.similarity.index import (
    FingerprintIndex,
    empty_reason,
    n_threads,
    row_lookup,
)

__all__ = ["chemical_space", "pca", "tsne", "umap_embedding"]

METHODS = ("pca", "tsne", "umap")
#: UMAP's timed phases, ``seconds_<phase>`` in the summary
UMAP_PHASES = ("knn", "fuzzy_set", "init", "layout")
COORD_COLUMNS = ("row", "id", "x", "y")
VARIANCE_COLUMNS = ("component", "explained_variance", "explained_variance_ratio", "cumulative")


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


def _enable_umap_numba_cache() -> None:
    """Switch numba's on-disk cache on for umap-learn (see :mod:`chemspace_umap`)."""
    from molaudit.analytics.chemspace_umap import enable_umap_numba_cache

    enable_umap_numba_cache()


def umap_embedding(index: FingerprintIndex, **options: Any) -> np.ndarray:
    """UMAP coordinates: :func:`molaudit.analytics.chemspace_umap.umap_embedding`."""
    from molaudit.analytics.chemspace_umap import umap_embedding as run

    return run(index, **options)


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
            "Random seed; results repeat exactly (None: unseeded).",
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
            "UMAP layout epochs (None: by size, 500 up to 10k, 200 up to 200k, 150 above).",
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
        repeat exactly (UMAP's layout runs on ``n_jobs`` threads and gives the same
        coordinates on any number of them). ``seed=None``: unseeded (PCA then uses seed 0).
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
        UMAP settings (``n_epochs=None``: by size, 500 up to 10k points, 200 up to 200k,
        150 above: :data:`~molaudit.analytics.chemspace_umap.UMAP_EPOCHS`). The summary's
        ``seconds_knn``, ``seconds_fuzzy_set``, ``seconds_init`` and ``seconds_layout`` time
        the phases; ``n_epochs`` and ``layout_threads`` say what ran. Progress is reported
        after each phase and each epoch, cancel is honoured between them.
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
            steps: dict[str, Any] = {}
            coords = umap_embedding(
                index,
                n_neighbors=n_neighbors,
                min_dist=float(min_dist),
                n_epochs=n_epochs,
                init=init,
                seed=seed,
                n_jobs=data.n_jobs,
                timings=steps,
                progress=data.progress,
                cancelled=data.cancelled,
                memo=getattr(data, "memo", None),
            )
            summary.update({f"seconds_{k}": round(steps[k], 3) for k in UMAP_PHASES})
            summary.update(n_epochs=steps["n_epochs"], layout_threads=steps["layout_threads"])
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
