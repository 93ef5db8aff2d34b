"""One million MOSES molecules end-to-end on this machine: wall time and peak RSS per stage.

Stages: write the input CSV; cold audit (with the cheap analytics); warm re-audit; scaffolds;
PCA; UMAP; nearest neighbours; leader clustering; the panel table's first and next page.
Each stage runs only if its analytic is registered. Peak RSS covers this process and its
workers, sampled every 0.2 s.

Usage: python benchmarks/bench_scale.py [--n 1000000] [--skip umap,nearest_neighbors]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--skip", default="")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    results: list = []
    with tempfile.TemporaryDirectory() as work:
        csv = os.path.join(work, "moses.csv")
        cache_dir = os.path.join(work, "cache")

        def write_csv() -> None:
            import pandas as pd

            pd.DataFrame({"smiles": moses_smiles(args.n),
                          "id": [f"MOSES{i:07d}" for i in range(args.n)]}).to_csv(csv, index=False)

        stage(f"write {args.n} rows CSV", write_csv, results)
        batch = stage("cold audit + cheap analytics",
                      lambda: molaudit.audit(csv, n_jobs=2, cache_dir=cache_dir, progress=False),
                      results)
        if batch is None:
            return
        cold = results[-1][1]
        print(f"  throughput {args.n / cold:.0f} mol/s on 2 cores")
        stage("warm re-audit (identical)",
              lambda: molaudit.audit(csv, n_jobs=2, cache_dir=cache_dir, progress=False), results)
        plan = [
            ("scaffolds", {}),
            ("chemical_space", {"method": "pca"}),
            ("chemical_space", {"method": "umap"}),
            ("nearest_neighbors", {"k": 1}),
            ("clusters", {"method": "leader"}),
        ]
        for name, params in plan:
            label = name + (f"({params['method']})" if "method" in params else "")
            if name not in REGISTRY or name in skip or params.get("method") in skip:
                print(f"{label:<34} skipped")
                continue
            stage(label, lambda n=name, p=params: batch.analytics.run(n, **p), results)
        try:
            from molaudit.notebook.table import TableModel
        except ImportError:
            print("panel table: molaudit.notebook.table.TableModel not available")
        else:
            model = stage("panel table: model", lambda: TableModel(batch.table), results)
            if model is not None:
                stage("panel table: first page", lambda: model.page_records(0), results)
                stage("panel table: next page", lambda: model.page_records(1), results)
    print("\nstage, seconds, peak RSS GB")
    for name, seconds, peak, error in results:
        print(f"{name}, {seconds:.1f}, {peak:.2f}{', ' + error if error else ''}")


if __name__ == "__main__":
    main()
