"""Time the ``scaffolds`` analytic the way the panel runs it, at 10k and 100k MOSES molecules.

The panel's Scaffolds tab (``molaudit.notebook.analytic_view.AnalyticView.run``) calls
``batch.analytics.run("scaffolds")`` from a background thread on the batch the input form
audited (disk cache on). This script does exactly that: it audits the MOSES molecules with
``molaudit.audit(..., cache=True)`` into a cache directory of its own
(``$MOLAUDIT_BENCH_DATA/audit-cache``; the first run of a size audits cold, which takes minutes,
later runs read the audit back: a warm audit), then per repeat forgets the scaffolds result
(the manager's memory and its disk-cache entry: a cold analytic cache) and times the call in a
thread, result written to the disk cache included. The first call of the process (imports, first
Parquet write) is reported beside the median. ``--table rdkit`` builds the table with plain
RDKit instead (no audit, no store: the analytic alone).

The baseline, run in the same process and interleaved with the analytic (median of the same
repeats), is the plain per-molecule RDKit loop: ``GetScaffoldForMol``, ``MakeScaffoldGeneric``,
``GetScaffoldForMol`` again and ``MolToSmiles`` for every molecule. Its generic scaffolds must
equal the analytic's, row for row. ``rgroups`` (auto core) is timed once after it unless
``--no-rgroups``.

Usage::

    python benchmarks/bench_scaffolds.py                      # 10k and 100k
    python benchmarks/bench_scaffolds.py 100000 --repeats 3 --n-jobs 2 --no-rgroups

Peak memory is the peak resident set size of this process above its level before the call,
sampled every 10 ms (worker processes are not included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from rdkit import Chem, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold

sys.path.insert(0, str(Path(__file__).parent))
from _data import data_dir, moses_smiles, table_batch

from molaudit.analytics import REGISTRY
from molaudit.analytics.rgroups import rgroups
from molaudit.analytics.scaffolds import scaffolds


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn``; return its result, wall seconds and peak RSS increase in MB."""
    base = _rss_bytes()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            done.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    start = time.perf_counter()
    try:
        result = fn()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        thread.join()
    peak[0] = max(peak[0], _rss_bytes())
    return result, elapsed, (peak[0] - base) / 1e6


def _columns(chunk: list[str]) -> list[tuple[str | None, str | None]]:
    out = []
    with rdBase.BlockLogs():
        for smi in chunk:
            mol = Chem.MolFromSmiles(smi)
            if mol is None:
                out.append((None, None))
                continue
            scaffold = MurckoScaffold.GetScaffoldForMol(mol)
            out.append((Chem.MolToSmiles(mol), Chem.MolToSmiles(scaffold)))
    return out


def rdkit_table(smiles: list[str], n_jobs: int = -1) -> pd.DataFrame:
    """The columns the analytics read, computed with RDKit (MOSES needs no standardization)."""
    chunks = [smiles[i : i + 2000] for i in range(0, len(smiles), 2000)]
    parts = Parallel(n_jobs=n_jobs)(delayed(_columns)(c) for c in chunks)
    cols = [x for part in parts for x in part]
    return pd.DataFrame(
        {
            "row": np.arange(len(smiles), dtype=np.int64),
            "id": [f"moses-{i}" for i in range(len(smiles))],
            "activity": np.nan,
            "status": ["ok" if c[0] is not None else "error" for c in cols],
            "smiles": [c[0] for c in cols],
            "std_smiles": [c[0] for c in cols],
            "murcko_scaffold": [c[1] for c in cols],
        }
    )


def audited_batch(smiles: list[str], n_jobs: int = -1):
    """The batch the panel's input form makes: ``audit`` with the disk cache on."""
    import molaudit

    folder = data_dir() / "audit-cache"
    return molaudit.audit(
        smiles, n_jobs=n_jobs, cache=True, cache_dir=folder, progress=False, analytics=False
    )


def panel_batch(table: pd.DataFrame, n_jobs: int):
    """A Batch around ``table`` as the panel holds it (no cache store: nothing is recalled)."""
    return table_batch(table, key=f"bench-scaffolds-{len(table)}", n_jobs=n_jobs)


def panel_call(batch) -> Any:
    """``batch.analytics.run("scaffolds")`` in a background thread, as the Scaffolds tab does."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["result"] = batch.analytics.run("scaffolds")
        except BaseException as exc:  # re-raised in the caller
            out["error"] = exc

    thread = threading.Thread(target=work, name="molaudit-scaffolds")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["result"]


def forget_scaffolds(batch) -> None:
    """A cold analytic cache: drop the scaffolds result from memory and from the disk cache."""
    analytics = batch.analytics
    analytics._memory.clear()
    if batch.store is not None:
        key = analytics._key("scaffolds", REGISTRY["scaffolds"].validate({}))
        batch.store.discard("analytics", key)


def naive_generic(smiles: list[str]) -> list[str]:
    """Baseline: Murcko then generic scaffold of every molecule, one molecule at a time."""
    out = []
    with rdBase.BlockLogs():
        for smi in smiles:
            mol = Chem.MolFromSmiles(smi)
            frame = MurckoScaffold.GetScaffoldForMol(mol)
            generic = MurckoScaffold.MakeScaffoldGeneric(frame)
            out.append(Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(generic)))
    return out


def bench_scaffolds(
    n: int,
    *,
    repeats: int = 3,
    n_jobs: int = -1,
    table_via: str = "audit",
    baseline: bool = True,
    with_rgroups: bool = True,
) -> dict[str, Any]:
    """Time ``scaffolds`` (the panel's call) and the per-molecule baseline, interleaved.

    Parameters
    ----------
    n : int
        Number of MOSES training molecules.
    repeats : int
        Runs of the analytic (and of the baseline); medians are reported.
    n_jobs : int
        Workers of the batch (the audit and the analytics).
    table_via : {'audit', 'rdkit'}
        Audit with the disk cache (the panel's batch) or plain RDKit columns without a store.
    baseline : bool
        Also time the per-molecule baseline and check it agrees.
    with_rgroups : bool
        Also time ``rgroups`` (auto core) once.

    Returns
    -------
    dict
        The measured figures (seconds, MB, counts, load averages).
    """
    smiles = moses_smiles(n)
    if table_via == "audit":
        batch, t_table, _ = measure(lambda: audited_batch(smiles, n_jobs))
        table = batch.table
    else:
        table, t_table, _ = measure(lambda: rdkit_table(smiles, n_jobs))
        batch = panel_batch(table, n_jobs)
    figures: dict[str, Any] = {"n": n, "table_s": t_table, "table_via": table_via}
    ok = table[table["status"] != "error"].sort_values("row")
    source = list(ok["std_smiles"])
    batch.analytics.status()  # a warm batch: its analytics manager exists
    times, mems, naive = [], [], []
    expected = None
    result = None
    loads = [os.getloadavg()]
    for _ in range(repeats):
        forget_scaffolds(batch)
        result, seconds, mb = measure(lambda: panel_call(batch))
        times.append(seconds)
        mems.append(mb)
        if baseline:
            expected, t_naive, _ = measure(lambda: naive_generic(source))
            naive.append(t_naive)
        loads.append(os.getloadavg())
    assert result is not None
    data = batch.analytics.input()
    direct = measure(lambda: scaffolds(data))[1]
    figures.update(
        scaffolds_first_s=times[0],
        scaffolds_s=statistics.median(times),
        scaffolds_direct_s=direct,
        scaffolds_mb=max(mems),
        murcko_scaffolds=result.summary["murcko_n_scaffolds"],
        generic_scaffolds=result.summary["generic_n_scaffolds"],
        murcko_entropy=result.summary["murcko_entropy_bits"],
        load=loads,
    )
    members = result["members"]
    if baseline:
        figures["naive_generic_s"] = statistics.median(naive)
        figures["ratio_naive_over_analytic"] = figures["naive_generic_s"] / figures["scaffolds_s"]
        figures["generic_agrees"] = bool(list(members["generic_scaffold"]) == expected)

    if not with_rgroups:
        return figures
    family = result["scaffolds"]
    family = family[(family["kind"] == "murcko") & (family["scaffold"] != "")].iloc[0]
    rg, t_rg, mb_rg = measure(lambda: rgroups(data))
    _, t_fast, _ = measure(lambda: rgroups(data, matching="no_symmetrization"))
    figures.update(
        rgroups_nosym_s=t_fast,
        rgroups_s=t_rg,
        rgroups_mb=mb_rg,
        rgroups_family=family["scaffold"],
        rgroups_family_size=int(family["n_molecules"]),
        rgroups_core=rg.summary.get("core_smiles"),
        rgroups_core_source=rg.summary.get("core_source"),
        rgroups_matched=rg.summary.get("n_matched"),
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument(
        "--table",
        choices=("audit", "rdkit"),
        default="audit",
        help="audit with the disk cache (the panel's batch; default) or plain RDKit columns",
    )
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-rgroups", action="store_true")
    args = parser.parse_args(argv)
    for n in args.sizes:
        figures = bench_scaffolds(
            n,
            repeats=args.repeats,
            n_jobs=args.n_jobs,
            table_via=args.table,
            baseline=not args.no_baseline,
            with_rgroups=not args.no_rgroups,
        )
        print(
            f"--- {n:,} MOSES molecules (table by {figures['table_via']}: "
            f"{figures['table_s']:.1f} s)"
        )
        print(
            f"scaffolds  batch.analytics.run('scaffolds') in a thread (the panel's call), cold "
            f"analytic cache: median {figures['scaffolds_s']:.2f} s over {args.repeats} run(s), "
            f"first call of the process {figures['scaffolds_first_s']:.2f} s (the function "
            f"called directly {figures['scaffolds_direct_s']:.2f} s), "
            f"peak +{figures['scaffolds_mb']:.0f} MB; {figures['murcko_scaffolds']:,} Murcko / "
            f"{figures['generic_scaffolds']:,} generic scaffolds, "
            f"entropy {figures['murcko_entropy']:.2f} bits"
        )
        if "naive_generic_s" in figures:
            print(
                f"baseline   per-molecule RDKit generic scaffold, interleaved: median "
                f"{figures['naive_generic_s']:.2f} s (ratio baseline/analytic "
                f"{figures['ratio_naive_over_analytic']:.1f}x); "
                f"same generic scaffolds row for row: {figures['generic_agrees']}"
            )
        loads = ", ".join(f"{x[0]:.2f}" for x in figures["load"])
        print(f"load       1-min load average before and after each repeat: {loads}")
        if "rgroups_s" not in figures:
            continue
        print(
            f"rgroups    auto core {figures['rgroups_s']:.2f} s, peak +{figures['rgroups_mb']:.0f}"
            f" MB; family {figures['rgroups_family']} ({figures['rgroups_family_size']:,}), "
            f"core {figures['rgroups_core']} ({figures['rgroups_core_source']}), "
            f"{figures['rgroups_matched']:,} decomposed; "
            f"matching='no_symmetrization' {figures['rgroups_nosym_s']:.2f} s"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    main()
