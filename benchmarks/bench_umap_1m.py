"""UMAP chemical space at MOSES scale (issue 16): time by phase and map quality.

Times ``chemical_space(method="umap")`` the way ``Batch.chemical_space`` calls it (neighbour
graph included) on the first ``--size`` MOSES training molecules, prints the phases the
analytic reports through its progress hook (kNN graph, fuzzy set, start layout, layout
epochs), and beside the time a quality figure on a sample:

* **15-NN preservation**: for 2,000 sampled molecules, the share of their 15 exact-Tanimoto
  nearest neighbours (molaudit's exact engine, single-query searches over all n) that are
  among their 15 nearest points in the 2-D map (all n points, scipy's cKDTree);
* **trustworthiness** (scikit-learn, k = 15) of a 5,000-molecule sample on exact Jaccard
  distances computed with numpy (independent of molaudit's kernels).

``--reference`` also runs umap-learn with its own defaults (spectral start, its default
epochs, its single-threaded epochs, seeded: ``layout='umap'``, bit-identical to
``umap.UMAP`` on the same graph, a test checks it) on the *same* neighbour graph, so the
quality cost of the tuned settings is visible; affordable at 100k, not at 1M. ``--variants``
adds other layout/init/epochs combinations on that graph.

Fingerprints: Morgan r2 2048 (``molaudit.molecule.fingerprints.morgan_packed``), built once in
a joblib pool (2 processes) and cached as ``fp_moses_<n>.npy`` in the benchmark data directory
(``benchmarks/_data.py``; the name ``bench_similarity.py`` uses too). Build the 1M cache under
``nice -n 10``; each 1M timing run belongs under ``timeout 1500``.

Usage: nice -n 10 python benchmarks/bench_umap_1m.py --build-only --size 1M
       timeout 1500 python benchmarks/bench_umap_1m.py --size 1M
       python benchmarks/bench_umap_1m.py --size 100k --reference [--epochs 200,100]
           [--variants umap/pca/200,blocks/spectral/200] [--graph-cache]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _data import data_dir, morgan_chunk, moses_smiles

warnings.simplefilter("ignore")


def fingerprints(n: int) -> np.ndarray:
    """The first ``n`` MOSES molecules' packed fingerprints (cached; a larger cache is cut)."""
    folder = data_dir()
    path = folder / f"fp_moses_{n}.npy"
    for same in (path, folder / f"fp_moses_0_{n}.npy"):  # bench_compare.py's name
        if same.exists():
            return np.load(same)
    for bigger in sorted(folder.glob("fp_moses_*.npy")):
        size = bigger.stem.split("_")[-1]
        if bigger.stem.count("_") == 2 and size.isdigit() and int(size) > n:
            return np.load(bigger, mmap_mode="r")[:n].copy()
    from joblib import Parallel, delayed

    smiles = moses_smiles(n)
    chunks = [smiles[i : i + 5000] for i in range(0, len(smiles), 5000)]
    started = time.perf_counter()
    fps = np.concatenate(Parallel(n_jobs=2)(delayed(morgan_chunk)(c) for c in chunks))
    np.save(path, fps)
    print(f"fingerprints of {n:,} MOSES molecules built in {time.perf_counter() - started:.0f} s")
    return fps


def _size(label: str) -> int:
    return int(float(label.lower().replace("k", "e3").replace("m", "e6")))


def _input(fps: np.ndarray, progress: Any) -> Any:
    from molaudit.analytics import AnalyticInput

    n = len(fps)
    rows = np.arange(n, dtype=np.int64)
    table = pd.DataFrame({"row": rows, "id": rows.astype(str), "status": "ok"})
    return AnalyticInput(
        table=table, fingerprints=fps, fingerprint_rows=rows, n_jobs=2, on_progress=progress
    )


class Phases:
    """Progress hook that prints each phase's seconds and every tenth of the layout."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.last = self.started
        self.printed = -1

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        tenth = 10 * done // max(total, 1)
        if tenth > self.printed:
            self.printed = tenth
            print(
                f"    progress {done:>4}/{total} at {now - self.started:6.1f} s "
                f"(load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
        self.last = now


def exact_neighbours(fps: np.ndarray, picks: np.ndarray, k: int) -> list[np.ndarray]:
    """Exact Tanimoto k nearest others (positions) of each pick, by molaudit's exact engine."""
    from molaudit.analytics.similarity.index import FingerprintIndex

    index = FingerprintIndex(fps)
    out = []
    for p in picks.tolist():
        rows, _ = index.search(fps[p], k=k, exclude_row=p)
        out.append(np.asarray(rows, dtype=np.int64))
    return out


def knn_preservation(xy: np.ndarray, picks: np.ndarray, exact: list[np.ndarray], k: int) -> float:
    """Share of each pick's exact k NN found among its k nearest points in the map."""
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    _, near = tree.query(xy[picks], k=k + 1)
    hits = 0
    for i, p in enumerate(picks.tolist()):
        mapped = [q for q in near[i].tolist() if q != p][:k]
        hits += len(set(mapped) & set(exact[i].tolist()))
    return hits / (k * len(picks))


def trust(fps: np.ndarray, xy: np.ndarray, sample: np.ndarray, k: int) -> float:
    """scikit-learn trustworthiness of a sample on exact Jaccard distances (numpy)."""
    from sklearn.manifold import trustworthiness

    bits = np.unpackbits(fps[sample], axis=1).astype(np.float32)
    both = bits @ bits.T
    counts = bits.sum(axis=1)
    union = counts[:, None] + counts[None, :] - both
    dist = 1.0 - np.divide(both, union, out=np.zeros_like(both), where=union > 0)
    np.fill_diagonal(dist, 0.0)
    return float(trustworthiness(dist, xy[sample], n_neighbors=k, metric="precomputed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M", help="MOSES molecules, e.g. 100k or 1M")
    parser.add_argument("--build-only", action="store_true", help="build the cache and stop")
    parser.add_argument("--reference", action="store_true", help="also umap-learn defaults")
    parser.add_argument(
        "--epochs", default="", help="comma-separated n_epochs to try besides the default"
    )
    parser.add_argument("--init", default="pca", choices=("pca", "spectral"))
    parser.add_argument(
        "--variants",
        default="",
        help="comma-separated layout/init/epochs run on the same graph, e.g. umap/pca/200",
    )
    parser.add_argument(
        "--graph-cache",
        action="store_true",
        help="tuning only: keep the kNN graph on disk and start from it (the printed knn "
        "phase is then ~0; never for the reported end-to-end time)",
    )
    parser.add_argument("--seed", default="0", help="seed or 'none'")
    parser.add_argument("--quality-sample", type=int, default=2000)
    parser.add_argument("--trust-sample", type=int, default=5000)
    args = parser.parse_args()
    n = _size(args.size)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    fps = fingerprints(n)
    if args.build_only:
        return
    from molaudit.analytics.chemspace import chemical_space, umap_embedding
    from molaudit.analytics.similarity.index import FingerprintIndex

    seed = None if args.seed.lower() == "none" else int(args.seed)
    # numba compiles (or loads from its disk cache) outside the timed runs; NN-descent's
    # first call compiles what numba cannot cache (used above 100k molecules)
    from molaudit.analytics.similarity.approx_nn import approximate_nearest

    t = time.perf_counter()
    chemical_space(_input(fps[:2000], None), method="umap", seed=seed)
    if n > 100_000:
        approximate_nearest(FingerprintIndex(fps[:2000]), 14, n_jobs=2)
    print(f"warm-up (numba load/compile, outside the timings): {time.perf_counter() - t:.0f} s")
    rng = np.random.default_rng(0)
    picks = np.sort(rng.choice(n, min(args.quality_sample, n), replace=False))
    t = time.perf_counter()
    exact = exact_neighbours(fps, picks, 15)
    print(f"exact 15 NN of {len(picks):,} sampled molecules: {time.perf_counter() - t:.0f} s")
    trust_sample = np.sort(rng.choice(n, min(args.trust_sample, n), replace=False))

    def quality(xy: np.ndarray) -> str:
        # a molecule umap-learn could not place (NaN) counts as a miss: put it far away
        xy = np.nan_to_num(np.asarray(xy, dtype=np.float64), nan=1e9)
        return (
            f"15-NN preservation {knn_preservation(xy, picks, exact, 15):.4f} "
            f"(on {len(picks):,}), trustworthiness@15 {trust(fps, xy, trust_sample, 15):.4f} "
            f"(on {len(trust_sample):,})"
        )

    base = _input(fps, None)  # one batch: the graph built by the first run is kept in its memo
    graph_file = data_dir() / f"umap_knn_moses_{n}.npz"
    if args.graph_cache and graph_file.exists():
        saved = np.load(graph_file)
        key = (15, n > 100_000, 0)  # chemspace_umap.knn_for_umap's memo key
        kept = base.memo("umap_knn_graphs", dict)
        kept[key] = (np.arange(n, dtype=np.int64), saved["idx"], saved["dist"])
        print(f"kNN graph read from {graph_file} (tuning run)")
    settings: list[dict[str, Any]] = [{}]
    settings += [{"n_epochs": int(e)} for e in args.epochs.split(",") if e]
    for extra in settings:
        hook = Phases()
        load = os.getloadavg()
        cpu = time.process_time()
        started = time.perf_counter()
        result = chemical_space(
            base.with_hooks(on_progress=hook), method="umap", seed=seed, init=args.init, **extra
        )
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
        xy = result["coordinates"][["x", "y"]].to_numpy()
        phases = ", ".join(
            f"{k.removeprefix('seconds_')} {v:.1f}"
            for k, v in result.summary.items()
            if k.startswith("seconds_")
        )
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        label = ", ".join(f"{k}={v}" for k, v in extra.items()) or "default settings"
        print(
            f"UMAP {args.size} ({label}, init={args.init}, seed={seed}): {wall:.1f} s wall, "
            f"CPU {cpu:.0f} s, load {load[0]:.1f} -> {os.getloadavg()[0]:.1f}; phases (s): "
            f"{phases}; {result.summary['n_epochs']} epochs on {result.summary['layout_threads']} "
            f"threads; peak RSS {rss:.0f} MB",
            flush=True,
        )
        print(f"    quality: {quality(xy)}", flush=True)
    if args.graph_cache and not graph_file.exists():
        (_, idx, dist), *_ = base.memo("umap_knn_graphs", dict).values()
        np.savez(graph_file, idx=idx, dist=dist)
    # more variants on the same graph: layout/init/epochs (umap = umap-learn's own epochs)
    variants = [v.split("/") for v in args.variants.split(",") if v]
    if args.reference:  # umap-learn's own defaults: spectral start, its default epochs
        variants.append(["umap", "spectral", "500" if n <= 10_000 else "200"])
    index = FingerprintIndex(fps[np.argsort(base.fingerprint_rows, kind="stable")])
    for layout, init, epochs in variants:
        steps: dict[str, Any] = {}
        load = os.getloadavg()
        started = time.perf_counter()
        xy = umap_embedding(
            index,
            init=init,
            layout=layout,
            n_epochs=int(epochs),
            seed=0 if seed is None else seed,
            n_jobs=2,
            timings=steps,
            memo=base.memo,
        )
        wall = time.perf_counter() - started
        phases = ", ".join(f"{k} {v:.1f}" for k, v in steps.items() if isinstance(v, float))
        what = "umap-learn's 1-thread epochs" if layout == "umap" else "molaudit's block epochs"
        print(
            f"UMAP {args.size} layout={layout} ({what}), init={init}, {epochs} epochs, same "
            f"graph: {wall:.1f} s wall, phases (s): {phases}; load {load[0]:.1f} -> "
            f"{os.getloadavg()[0]:.1f}",
            flush=True,
        )
        print(f"    quality: {quality(xy)}", flush=True)


if __name__ == "__main__":
    main()
