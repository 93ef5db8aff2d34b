"""Matched molecular pairs: molaudit vs mmpdb 3.1 on the same MoleculeACE inputs, in one run.

For each size (default 3,000 and 10,000 unique MoleculeACE SMILES, in set order) it runs
``mmpdb fragment`` + ``mmpdb index --out csv`` (default settings, ``-j`` = the cores) and
the call a user makes, ``batch.mmp()`` (n_jobs = the cores), on the same SMILES, and prints
seconds, the speed ratio and the agreement of the unordered compound pairs both ways (recall of
mmpdb's pairs, precision against them). The batch is audited first (untimed, into a fresh
temporary cache); the process pool the audit used is then shut down, so ``batch.mmp()`` pays
for its own worker start-up, the analytics-cache write and the result assembly, like a user's
first call. ``--path kernel`` times :func:`molaudit.analytics.mmp.analytic.find_pairs` with a
warm pool instead (the inner kernel, for comparison with older figures). ``--large N`` also
runs molaudit alone on N MOSES molecules (default 100,000) and prints its time and peak memory.

mmpdb is found through the ``MMPDB`` environment variable (path of the ``mmpdb`` script, e.g.
``MMPDB=/work/venv-mmpdb/bin/mmpdb``) or on ``PATH``; install it in its own venv:
``python -m venv venv-mmpdb && venv-mmpdb/bin/pip install mmpdb rdkit``.

Usage: python benchmarks/bench_mmp.py [--sizes 3000 10000] [--large 100000] [--jobs 2]
[--path batch|kernel]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import psutil

sys.path.insert(0, os.path.dirname(__file__))
from _data import moleculeace_sets, moses_smiles

from molaudit.analytics.mmp.analytic import find_pairs


def moleculeace_unique(n: int) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for name, frame in moleculeace_sets().items():
        for k, smi in enumerate(frame["smiles"]):
            if smi not in seen:
                seen.add(smi)
                out.append((smi, f"{name}_{k}"))
            if len(out) == n:
                return out
    return out


def run_mmpdb(mmpdb: str, items: list[tuple[str, str]], jobs: int, workdir: str):
    smi = os.path.join(workdir, "in.smi")
    with open(smi, "w") as fh:
        for s, name in items:
            fh.write(f"{s} {name}\n")
    frag = os.path.join(workdir, "in.fragdb")
    out = os.path.join(workdir, "pairs.csv")
    t0 = time.perf_counter()
    subprocess.run(
        [mmpdb, "fragment", smi, "-o", frag, "-j", str(jobs)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t1 = time.perf_counter()
    subprocess.run(
        [mmpdb, "index", frag, "-o", out, "--out", "csv"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t2 = time.perf_counter()
    pairs = set()
    n_rows = 0
    with open(out) as fh:
        for row in csv.reader(fh, delimiter="\t"):
            n_rows += 1
            pairs.add(tuple(sorted((row[2], row[3]))))
    return t1 - t0, t2 - t1, pairs, n_rows


def run_molaudit(items: list[tuple[str, str]], jobs: int):
    names = [n for _, n in items]
    t0 = time.perf_counter()
    pairs, skipped = find_pairs([s for s, _ in items], n_jobs=jobs)
    dt = time.perf_counter() - t0
    found = {
        tuple(sorted((names[a], names[b])))
        for a, b in zip(pairs["rec_1"], pairs["rec_2"], strict=True)
    }
    return dt, found, len(skipped)


def run_batch_mmp(items: list[tuple[str, str]], jobs: int):
    """``batch.mmp()`` on an audited batch, cold analytics cache and no live worker pool."""
    import pandas as pd
    from joblib.externals.loky import get_reusable_executor

    import molaudit

    frame = pd.DataFrame({"smiles": [s for s, _ in items], "id": [n for _, n in items]})
    with tempfile.TemporaryDirectory() as cache_dir:
        batch = molaudit.audit(
            frame, smiles_col="smiles", id_col="id", n_jobs=jobs, cache_dir=cache_dir
        )
        get_reusable_executor().shutdown(wait=True)
        t0 = time.perf_counter()
        result = batch.mmp()
        dt = time.perf_counter() - t0
    pairs = result["pairs"]
    found = {tuple(sorted(p)) for p in zip(pairs["id_1"], pairs["id_2"], strict=True)}
    return dt, found, len(result["skipped"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[3000, 10000])
    parser.add_argument("--path", choices=("batch", "kernel"), default="batch")
    parser.add_argument("--large", type=int, default=100_000, help="0 to skip")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    mmpdb = os.environ.get("MMPDB") or shutil.which("mmpdb")
    print(f"mmpdb: {mmpdb or 'not found (set MMPDB=...)'}; jobs: {args.jobs}")
    # timings are only comparable on a quiet machine: show how busy it was
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.path == "kernel":
        # warm the loky pool so the first size does not pay for worker start-up alone
        find_pairs(["CCc1ccccc1", "Cc1ccccc1"] * 40, n_jobs=args.jobs)
    run = run_batch_mmp if args.path == "batch" else run_molaudit
    label = "batch.mmp()" if args.path == "batch" else "find_pairs"
    for n in args.sizes:
        items = moleculeace_unique(n)
        t_ours, ours, n_skipped = run(items, args.jobs)
        line = f"n={len(items):>6}  molaudit {label} {t_ours:7.2f} s  pairs {len(ours):>7}"
        line += f"  skipped {n_skipped}"
        if mmpdb:
            with tempfile.TemporaryDirectory() as tmp:
                t_frag, t_index, ref, n_rows = run_mmpdb(mmpdb, items, args.jobs, tmp)
            t_ref = t_frag + t_index
            common = len(ours & ref)
            recall = common / len(ref) if ref else 1.0
            precision = common / len(ours) if ours else 1.0
            line += (
                f"\n          mmpdb {t_ref:7.2f} s (fragment {t_frag:.2f} + index {t_index:.2f})"
                f"  pairs {len(ref):>7} ({n_rows} csv rows)"
                f"\n          ratio mmpdb/molaudit {t_ref / t_ours:6.1f}x"
                f"  recall {recall:.4f}  precision {precision:.4f}"
                f"  (missing {len(ref - ours)}, extra {len(ours - ref)})"
            )
        print(line + f"\n          load average {os.getloadavg()[0]:.2f}", flush=True)
    if args.large:
        smiles = moses_smiles(args.large)
        t0 = time.perf_counter()
        pairs, skipped = find_pairs(smiles, n_jobs=args.jobs)
        dt = time.perf_counter() - t0
        parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = [c.memory_info().rss / 2**20 for c in psutil.Process().children(recursive=True)]
        print(
            f"MOSES n={len(smiles)}: molaudit {dt:.1f} s, {len(pairs)} compound pairs, "
            f"{len(skipped)} skipped; peak RSS parent {parent:.0f} MB, "
            f"workers now {', '.join(f'{w:.0f}' for w in workers) or '-'} MB"
        )


if __name__ == "__main__":
    main()
