"""One million MOSES molecules end-to-end on this machine: wall time and peak RSS per stage.

Stages: write the input CSV; cold audit (with the cheap analytics); warm re-audit; scaffolds;
PCA; UMAP; nearest neighbours; leader clustering; the panel table's first and next page.
Each stage runs only if its analytic is registered. Peak RSS covers this process and its
workers, sampled every 0.2 s.

Usage: python benchmarks/bench_scale.py [--n 1000000] [--skip umap,nearest_neighbors]
       [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from _data import moses_smiles
from bench_audit import PeakRSS

import molaudit
from molaudit.analytics import REGISTRY

warnings.simplefilter("ignore")


def stage(name: str, fn, results: list) -> object:
    with PeakRSS() as rss:
        t0 = time.perf_counter()
        try:
            value = fn()
            error = None
        except Exception as exc:  # reported, not hidden
            value, error = None, f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - t0
    results.append((name, seconds, rss.peak / 1e9, error))
    print(f"{name:<34} {seconds:8.1f} s  peak RSS {rss.peak / 1e9:5.2f} GB"
          + (f"  FAILED {error}" if error else ""), flush=True)
    return value


def print_deciles(ticks: list[tuple[float, int]]) -> None:
    """Throughput in each tenth of the computed molecules: flat if nothing grows with n."""
    if len(ticks) < 20:
        return
    total = ticks[-1][1]
    rates = []
    start_t, start_n = ticks[0]
    for tenth in range(1, 11):
        goal = total * tenth / 10
        t, n = next((t, n) for t, n in ticks if n >= goal)
        rates.append((n - start_n) / max(t - start_t, 1e-9))
        start_t, start_n = t, n
    print("  mol/s per tenth of the batch: " + " ".join(f"{r:.0f}" for r in rates), flush=True)


STAGES = ("write", "cold", "warm", "scaffolds", "pca", "umap", "nearest_neighbors", "leader",
          "table")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--skip", default="", help=f"comma-separated stages of {STAGES}")
    parser.add_argument(
        "--workdir",
        default=None,
        help="keep the CSV and the cache here (default: a temporary directory); a later run "
        "with the same workdir and --skip write,cold reuses the cached audit",
    )
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    unknown = skip - set(STAGES)
    if unknown:
        parser.error(f"unknown stages {sorted(unknown)}; choose from {STAGES}")
    if args.workdir:
        os.makedirs(args.workdir, exist_ok=True)
        run(args, skip, args.workdir)
    else:
        with tempfile.TemporaryDirectory() as work:
            run(args, skip, work)


def run(args: argparse.Namespace, skip: set[str], work: str) -> None:
    results: list = []
    csv = os.path.join(work, f"moses_{args.n}.csv")
    cache_dir = os.path.join(work, "cache")
    print(f"molaudit {molaudit.__version__}, n={args.n}, load {os.getloadavg()[0]:.1f}",
          flush=True)

    def write_csv() -> None:
        import pandas as pd

        pd.DataFrame({"smiles": moses_smiles(args.n),
                      "id": [f"MOSES{i:07d}" for i in range(args.n)]}).to_csv(csv, index=False)

    ticks: list[tuple[float, int]] = []

    def tick(done: int, total: int) -> None:
        ticks.append((time.perf_counter(), done))

    def audit():
        return molaudit.audit(csv, n_jobs=2, cache_dir=cache_dir, progress=tick)

    if "write" not in skip or not os.path.exists(csv):
        stage(f"write {args.n} rows CSV", write_csv, results)
    batch = None
    if "cold" not in skip:
        batch = stage("cold audit + cheap analytics", audit, results)
        if batch is None:
            return
        print(f"  throughput {args.n / results[-1][1]:.0f} mol/s on 2 cores, "
              f"load {os.getloadavg()[1]:.1f} (5 min)", flush=True)
        print_deciles(ticks)
    if "warm" not in skip or batch is None:
        batch = stage("warm re-audit (identical)", audit, results)
        if batch is not None and not batch.run.get("from_batch_cache"):
            # the batch entry was missing (e.g. written by another version): that run rebuilt
            # it from the per-molecule cache; time the identical re-audit once more
            batch = stage("warm re-audit (batch cache)", audit, results)
    if batch is None:
        return
    plan = [
        ("scaffolds", "scaffolds", {}),
        ("pca", "chemical_space", {"method": "pca"}),
        ("umap", "chemical_space", {"method": "umap"}),
        ("nearest_neighbors", "nearest_neighbors", {"k": 1}),
        ("leader", "clusters", {"method": "leader"}),
    ]
    for label, name, params in plan:
        if name not in REGISTRY or label in skip:
            print(f"{label:<34} skipped")
            continue
        result = stage(label, lambda n=name, p=params: batch.analytics.run(n, **p), results)
        summary = getattr(result, "summary", None)
        if summary:
            print(f"  summary: { {k: v for k, v in list(summary.items())[:12]} }")
    if "table" not in skip:
        from molaudit.notebook.table import TableModel

        model = stage("panel table: model", lambda: TableModel(batch.table), results)
        if model is not None:
            stage("panel table: first page", lambda: model.page_records(0), results)
            stage("panel table: next page", lambda: model.page_records(1), results)
    print("\nstage, seconds, peak RSS GB")
    for name, seconds, peak, error in results:
        print(f"{name}, {seconds:.1f}, {peak:.2f}{', ' + error if error else ''}")


if __name__ == "__main__":
    main()
