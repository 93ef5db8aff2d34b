"""Import time of ``molaudit`` against the import of numpy + pandas + rdkit.Chem.

Each import runs in a fresh interpreter (``python -c``), timed inside it with
``time.perf_counter`` so interpreter start-up is not counted; the two kinds alternate so that
machine load hits both alike. Prints the medians of 7 runs and their ratio (issue 15: at most
1.6).

Run from the repository root::

    .venv/bin/python benchmarks/bench_import.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

BASE = "import numpy, pandas, rdkit.Chem"
FULL = "import molaudit"
TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def timed(stmt: str) -> float:
    """Seconds ``stmt`` takes in a fresh interpreter (start-up excluded)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    out = subprocess.run(
        [sys.executable, "-c", TIMER.format(stmt=stmt)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    timed(FULL)  # warm the bytecode and OS file caches once, not counted
    base, full = [], []
    for _ in range(args.runs):
        base.append(timed(BASE))
        full.append(timed(FULL))
    b, f = statistics.median(base), statistics.median(full)
    print(f"numpy + pandas + rdkit.Chem : {b:.3f} s (median of {args.runs})")
    print(f"molaudit                    : {f:.3f} s (median of {args.runs})")
    print(f"ratio                       : {f / b:.2f} (target <= 1.6)")
    print(f"load average                : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
