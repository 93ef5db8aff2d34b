"""Seconds and peak memory of the analytics of issue 3 on MOSES batches (10k and 100k).

The audit itself is not timed here (see bench_audit.py); it is cached under the benchmark data
directory, so a second run of this script starts at once. For each size it prints the time of
the cheap analytics (dedup, statistics: run after every audit) and of scaffolds, computed fresh
(the analytics cache is bypassed), with the peak memory they allocate (tracemalloc).

Usage: python benchmarks/bench_analytics.py [--sizes 10000 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from _data import data_dir, moses_smiles

import molaudit
from molaudit.analytics import REGISTRY

warnings.simplefilter("ignore")
TARGETS = {"dedup": 5.0, "statistics": 5.0, "scaffolds": 60.0}


def measure(batch: molaudit.Batch, name: str, repeats: int) -> tuple[float, float]:
    data = batch.analytics.input()
    times, peaks = [], []
    for _ in range(repeats):
        tracemalloc.start()
        t0 = time.perf_counter()
        REGISTRY[name].func(data)
        times.append(time.perf_counter() - t0)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return statistics.median(times), max(peaks) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cache_dir = data_dir() / "audit-cache"
    for n in args.sizes:
        t0 = time.perf_counter()
        batch = molaudit.audit(moses_smiles(n), n_jobs=2, cache_dir=cache_dir, progress=True,
                               analytics=False)
        print(f"\n{n} MOSES molecules (audit {time.perf_counter() - t0:.1f} s, "
              f"from cache: {batch.run['from_batch_cache']})")
        for name in ("dedup", "statistics", "scaffolds"):
            seconds, peak = measure(batch, name, args.repeats if name != "scaffolds" else 1)
            ok = "ok" if seconds < TARGETS[name] else "MISSED"
            print(f"  {name:<11} {seconds:7.2f} s (median)  peak +{peak:7.1f} MB  "
                  f"target < {TARGETS[name]:.0f} s: {ok}")


if __name__ == "__main__":
    main()
