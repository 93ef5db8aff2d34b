"""Time the ``scaffolds`` and ``rgroups`` analytics at 10k and 100k MOSES molecules.

The input table is built here with plain RDKit (row, id, status, smiles, std_smiles,
murcko_scaffold), so the figures measure the analytics alone, not the audit. ``scaffolds`` is
timed on the path the panel uses, ``batch.analytics.run("scaffolds")`` on a warm batch with no
cache store (nothing recalled), and the function called directly is printed beside it;
``--audit`` builds
it with ``molaudit.audit`` instead. The baseline, run in the same process, is the obvious
per-molecule loop (Murcko and generic scaffold of every molecule from its SMILES); its generic
scaffolds must equal the analytic's, row for row.

Usage::

    python benchmarks/bench_scaffolds.py            # 10k and 100k
    python benchmarks/bench_scaffolds.py 10000 --repeats 3 --audit

Peak memory is the peak resident set size of this process above its level before the call,
sampled every 10 ms (worker processes, used for the generic scaffolds of >4,000 unique Murcko
scaffolds, are not included).
"""

from __future__ import annotations

import argparse
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
from _data import moses_smiles

from molaudit.analytics import AnalyticInput
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


def audit_table(smiles: list[str], n_jobs: int = -1) -> pd.DataFrame:
    import molaudit

    batch = molaudit.audit(smiles, n_jobs=n_jobs, cache=False, progress=False, analytics=False)
    return batch.table


def panel_batch(table: pd.DataFrame, n_jobs: int):
    """A Batch around ``table`` as the panel holds it (no cache store: nothing is recalled)."""
    from molaudit.batch import Batch
    from molaudit.options import AuditOptions

    return Batch(
        table=table,
        fingerprints=np.zeros((0, 256), np.uint8),
        fingerprint_rows=np.zeros(0, np.int64),
        key=f"bench-scaffolds-{len(table)}",
        options=AuditOptions(),
        columns={"smiles": "smiles", "id": "id", "activity": None},
        source="MOSES",
        notes=[],
        timings={},
        run={},
        store=None,
        n_jobs=n_jobs,
    )


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
    repeats: int = 1,
    n_jobs: int = -1,
    via_audit: bool = False,
    baseline: bool = True,
    with_rgroups: bool = True,
) -> dict[str, Any]:
    """Time ``scaffolds`` (both kinds) and ``rgroups`` (auto core) on ``n`` MOSES molecules.

    ``rgroups`` runs twice: with the default matching ('greedy') and with 'no_symmetrization'.

    Parameters
    ----------
    n : int
        Number of MOSES training molecules.
    repeats : int
        Runs of the scaffolds analytic; the median is reported.
    n_jobs : int
        Parallelism for the table and the generic scaffolds.
    via_audit : bool
        Build the table with ``molaudit.audit`` instead of plain RDKit.
    baseline : bool
        Also time the per-molecule baseline and check it agrees.

    Returns
    -------
    dict
        The measured figures (seconds, MB, counts).
    """
    smiles = moses_smiles(n)
    build = audit_table if via_audit else rdkit_table
    table, t_table, _ = measure(lambda: build(smiles, n_jobs))
    data = AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), np.uint8),
        fingerprint_rows=np.zeros(0, np.int64),
        n_jobs=n_jobs,
    )
    figures: dict[str, Any] = {"n": n, "table_s": t_table, "table_via": build.__name__}
    times, mems, direct = [], [], []
    result = None
    batch = panel_batch(table, n_jobs)
    batch.analytics.status()  # a warm batch: its analytics manager exists
    for _ in range(repeats):
        # the path the panel takes: the batch's manager, no cache (store None, fresh memory)
        batch.analytics._memory.clear()
        result, seconds, mb = measure(lambda: batch.analytics.run("scaffolds"))
        times.append(seconds)
        mems.append(mb)
        direct.append(measure(lambda: scaffolds(data))[1])
    assert result is not None
    figures.update(
        scaffolds_direct_s=statistics.median(direct),
        scaffolds_s=statistics.median(times),
        scaffolds_mb=max(mems),
        murcko_scaffolds=result.summary["murcko_n_scaffolds"],
        generic_scaffolds=result.summary["generic_n_scaffolds"],
        murcko_entropy=result.summary["murcko_entropy_bits"],
    )
    members = result["members"]
    if baseline:
        ok = table[table["status"] != "error"].sort_values("row")
        expected, t_naive, _ = measure(lambda: naive_generic(list(ok["std_smiles"])))
        figures["naive_generic_s"] = t_naive
        figures["ratio_naive_over_analytic"] = t_naive / figures["scaffolds_s"]
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
    parser.add_argument("--repeats", type=int, default=None, help="default: 3 below 50k, else 1")
    parser.add_argument("--n-jobs", type=int, default=-1)
    parser.add_argument("--audit", action="store_true", help="build the table with audit()")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-rgroups", action="store_true")
    args = parser.parse_args(argv)
    for n in args.sizes:
        repeats = args.repeats or (3 if n < 50_000 else 1)
        figures = bench_scaffolds(
            n,
            repeats=repeats,
            n_jobs=args.n_jobs,
            via_audit=args.audit,
            baseline=not args.no_baseline,
            with_rgroups=not args.no_rgroups,
        )
        print(
            f"--- {n:,} MOSES molecules (table by {figures['table_via']}: "
            f"{figures['table_s']:.1f} s)"
        )
        print(
            f"scaffolds  batch.analytics.run('scaffolds') (the panel's path) median "
            f"{figures['scaffolds_s']:.2f} s over {repeats} run(s) (the function called "
            f"directly {figures['scaffolds_direct_s']:.2f} s), "
            f"peak +{figures['scaffolds_mb']:.0f} MB; {figures['murcko_scaffolds']:,} Murcko / "
            f"{figures['generic_scaffolds']:,} generic scaffolds, "
            f"entropy {figures['murcko_entropy']:.2f} bits"
        )
        if "naive_generic_s" in figures:
            print(
                f"baseline   per-molecule generic {figures['naive_generic_s']:.2f} s "
                f"(ratio baseline/analytic {figures['ratio_naive_over_analytic']:.2f}x); "
                f"same generic scaffolds row for row: {figures['generic_agrees']}"
            )
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
