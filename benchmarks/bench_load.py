"""Load test: a clean MOSES batch vs the same size with invalid and pathological rows.

The dirty batch replaces, spread evenly through the batch, 5 % of the rows with invalid records
(unparsable SMILES, bad valence, empty, garbage) and 0.1 % with pathological ones (chains near
``max_structure_chars``, chains over it, huge macrocycles, rings big enough to hit the
per-molecule timeout, enormous fused ring systems). Every invalid and pathological record is
distinct, so the duplicate-structure shortcut does not make the dirty batch look cheap.

Prints rows in/out, status and error-code counts, seconds and throughput of both runs, the
ratio (target: dirty within 20 % of clean), and checks that the untouched rows are identical.

Usage: python benchmarks/bench_load.py [--n 100000] [--n-jobs 2] [--timeout 1.0] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import string
import sys
import time
import warnings
from collections import Counter

import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _data import moses_smiles

import molaudit
from molaudit import AuditOptions

warnings.simplefilter("ignore")

COMPARE = [c for c in molaudit.schema.AUDIT_COLUMNS if c not in {"audit_ms", "row", "id"}]


def invalid_record(i: int, base: str, rng: random.Random) -> tuple[str, str]:
    """The ``i``-th invalid record (kind, SMILES), derived from a real SMILES ``base``."""
    kind = ("unparsable", "bad_valence", "empty", "garbage")[i % 4]
    if kind == "unparsable":
        return kind, base + "(" + "C" * (i % 7) + "1"  # open branch + unclosed ring
    if kind == "bad_valence":
        return kind, f"C{'C' * (i % 11)}N(C)(C)(C){base}"  # neutral four-bonded nitrogen
    if kind == "empty":
        return kind, ""
    letters = string.ascii_letters + string.digits + string.punctuation + " "
    return kind, "".join(rng.choice(letters) for _ in range(5 + i % 40))


def acene(rings: int) -> str:
    """Linear polyacene SMILES with ``rings`` fused benzene rings."""
    def label(k: int) -> str:
        return str(k) if k < 10 else f"%{k:02d}"

    head = "c1ccc2" + "".join(f"cc{label(k)}" for k in range(3, rings + 1))
    tail = "".join(f"c{label(k)}" + ("c" if k > 2 else "") for k in range(rings, 1, -1))
    return head + "cccc" + tail + "c1"


def pathological_record(i: int, options: AuditOptions) -> tuple[str, str]:
    """The ``i``-th pathological record (kind, SMILES)."""
    kind = ("long_chain", "over_max_chars", "macrocycle", "timeout_ring", "fused_rings")[i % 5]
    limit = options.max_structure_chars
    if kind == "long_chain":
        return kind, "C" * (limit - 1 - i % 100)
    if kind == "over_max_chars":
        return kind, "C" * (limit + 1 + i % 100)
    if kind == "macrocycle":
        return kind, "C1" + "C(=O)N" * (150 + i % 10) + "C1"  # ~450-atom cyclic polyamide
    if kind == "timeout_ring":
        # a ~990-membered carbocycle: ~2 s in RDKit's Murcko code, under max_heavy_atoms
        return kind, "C1" + "C" * (options.max_heavy_atoms - 12 - i % 8) + "C1"
    return kind, acene(60 + i % 40)


def dirty_batch(clean: list[str], invalid: float, pathological: float, options: AuditOptions,
                seed: int) -> tuple[list[str], dict[int, str]]:
    """A copy of ``clean`` with invalid and pathological rows spread evenly through it."""
    rng = random.Random(seed)
    n = len(clean)
    n_bad, n_patho = round(n * invalid), round(n * pathological)
    out = list(clean)
    kinds: dict[int, str] = {}
    if n_patho:
        step = n / n_patho
        for j in range(n_patho):
            row = int(j * step + step / 2)
            kinds[row], out[row] = pathological_record(j, options)
    if n_bad:
        step = n / n_bad
        for j in range(n_bad):
            row = int(j * step)
            while row in kinds:
                row += 1
            kind, text = invalid_record(j, clean[row], rng)
            kinds[row], out[row] = kind, text
    return out, kinds


def run(smiles: list[str], n_jobs: int, options: AuditOptions) -> tuple[float, molaudit.Batch]:
    t0 = time.perf_counter()
    batch = molaudit.audit(
        smiles, n_jobs=n_jobs, cache=False, progress=False, analytics=False, options=options
    )
    return time.perf_counter() - t0, batch


def describe(name: str, n_in: int, seconds: float, batch: molaudit.Batch) -> None:
    table = batch.table
    status = dict(Counter(table["status"]))
    codes = dict(Counter(table["error_code"].dropna()).most_common())
    in_order = table["row"].tolist() == list(range(n_in))
    print(f"{name}: rows in {n_in}, rows out {len(table)} (in input order: {in_order}); "
          f"{seconds:.1f} s, {n_in / seconds:.0f} mol/s; status {status}")
    if codes:
        print(f"  error codes {codes}; worker crashes {batch.run['worker_crashes']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--invalid", type=float, default=0.05)
    parser.add_argument("--pathological", type=float, default=0.001)
    parser.add_argument(
        "--timeout", type=float, default=1.0,
        help="per-molecule limit (s) for both runs; 1 s makes the ~990-ring rows time out",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="alternating clean/dirty pairs")
    args = parser.parse_args()

    options = AuditOptions(timeout=args.timeout)
    clean = moses_smiles(args.n)
    dirty, kinds = dirty_batch(clean, args.invalid, args.pathological, options, args.seed)
    print(f"molaudit {molaudit.__version__}; {os.cpu_count()} cores; n_jobs={args.n_jobs}; "
          f"timeout {args.timeout:g} s; load average {os.getloadavg()[0]:.2f}")
    print(f"injected: {dict(Counter(kinds.values()))}")

    run(clean[:200], args.n_jobs, options)  # start the worker pool outside the timings
    clean_times, dirty_times = [], []
    for _ in range(args.repeats):  # alternate, so a change in machine load hits both alike
        t_clean, b_clean = run(clean, args.n_jobs, options)
        describe("clean", len(clean), t_clean, b_clean)
        t_dirty, b_dirty = run(dirty, args.n_jobs, options)
        describe("dirty", len(dirty), t_dirty, b_dirty)
        clean_times.append(t_clean)
        dirty_times.append(t_dirty)
    t_clean, t_dirty = statistics.median(clean_times), statistics.median(dirty_times)

    by_kind: dict[str, Counter] = {}
    table = b_dirty.table
    for row, kind in kinds.items():
        code = table.at[row, "error_code"]
        by_kind.setdefault(kind, Counter())[table.at[row, "status"] if pd.isna(code) else code] += 1
    for kind, outcome in sorted(by_kind.items()):
        print(f"  {kind:>15}: {dict(outcome)}")
    untouched = [r for r in range(len(clean)) if r not in kinds]
    same = b_clean.table.loc[untouched, COMPARE].equals(b_dirty.table.loc[untouched, COMPARE])
    print(f"untouched rows identical in both runs: {same} ({len(untouched)} rows)")
    ratio = (len(dirty) / t_dirty) / (len(clean) / t_clean)
    print(f"median of {args.repeats}: clean {t_clean:.1f} s ({len(clean) / t_clean:.0f} mol/s), "
          f"dirty {t_dirty:.1f} s ({len(dirty) / t_dirty:.0f} mol/s)")
    print(f"throughput dirty/clean: {ratio:.2f} (target >= 0.80); "
          f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
