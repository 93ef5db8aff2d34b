"""``compare`` at 10k x 10k and 100k x 100k MOSES molecules, and ``curate`` at 100k rows.

compare: the reference is the first N MOSES training SMILES, ``other`` the next N. Timed is
:func:`molaudit.analytics.compare.compare_inputs` on two analytic inputs whose fingerprints are
Morgan r2 2048 of the parsed SMILES (``morgan_packed``, what the audit computes) and whose
tables carry the dedup keys (``smiles`` = ``std_smiles`` = the MOSES canonical SMILES; MOSES has
no stereo and no salts): the audit itself is not part of the figure. The exact top-1 search is
checked against RDKit's ``BulkTanimotoSimilarity`` on 200 sampled queries, whose time is
extrapolated to the full query set as the baseline ("extrap.").

curate: a synthetic 100k-row table (70k compounds, replicates with planted spreads, 2% censored
values, 2% missing, 1% stereoisomer pairs) through :func:`molaudit.analytics.curate.curate`.

Usage: python benchmarks/bench_compare.py [--sizes 10k,100k] [--skip-curate]
Fingerprints are cached next to the data (``MOLAUDIT_BENCH_DATA``). Report ``uptime`` with the
figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _data import cached_fingerprints, data_dir, fpsim2_engine, moses_smiles

warnings.simplefilter("ignore")


def fingerprints(smiles: list[str], offset: int) -> np.ndarray:
    return cached_fingerprints(data_dir() / f"fp_moses_{offset}_{len(smiles)}.npy", smiles)


def _input(smiles: list[str], fps: np.ndarray):
    from molaudit.analytics import AnalyticInput

    n = len(smiles)
    table = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "id": [f"M{i}" for i in range(n)],
            "status": "ok",
            "smiles": smiles,
            "std_smiles": smiles,
            "stereo_key": smiles,
            "tautomer_key": smiles,
        }
    )
    return AnalyticInput(table=table, fingerprints=fps, fingerprint_rows=np.arange(n), n_jobs=2)


def bench_compare(n: int) -> None:
    from rdkit import DataStructs

    from molaudit.analytics.compare import compare_inputs

    ref_s = moses_smiles(n, 0)
    oth_s = moses_smiles(n, n)
    ref_fp, oth_fp = fingerprints(ref_s, 0), fingerprints(oth_s, n)
    ref, oth = _input(ref_s, ref_fp), _input(oth_s, oth_fp)
    # numba's disk cache loaded (both kernels: the bit-sliced one from 4,096 molecules on)
    warm = min(n, 5000)
    compare_inputs(_input(ref_s[:warm], ref_fp[:warm]), _input(oth_s[:50], oth_fp[:50]))
    compare_inputs(_input(ref_s[:50], ref_fp[:50]), _input(oth_s[:50], oth_fp[:50]))
    t0, c0 = time.perf_counter(), time.process_time()
    res = compare_inputs(ref, oth, n_jobs=2)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    # RDKit baseline and check on a sample
    rng = np.random.default_rng(0)
    sample = rng.choice(n, size=200, replace=False)

    def bv(row: np.ndarray):
        v = DataStructs.ExplicitBitVect(2048)
        v.SetBitsFromList(np.flatnonzero(np.unpackbits(row)).tolist())
        return v

    ref_bv = [bv(r) for r in ref_fp]
    t1 = time.perf_counter()
    best = [max(DataStructs.BulkTanimotoSimilarity(bv(oth_fp[i]), ref_bv)) for i in sample]
    rdkit_s = (time.perf_counter() - t1) / len(sample) * n
    got = res["nearest"]["similarity"].to_numpy()[sample]
    same = bool(np.array_equal(got, np.asarray(best)))
    engine = fpsim2_engine("moses", ref_s)
    fpsim2_ms = None
    if engine is not None:  # FPSim2's top-1 of the same sampled queries, one thread
        engine.top_k(oth_s[sample[0]], k=1, threshold=0.0, n_workers=1)
        t1 = time.perf_counter()
        theirs = [engine.top_k(oth_s[i], k=1, threshold=0.0, n_workers=1) for i in sample]
        fpsim2_ms = (time.perf_counter() - t1) / len(sample) * 1e3
        top = np.array([float(h["coeff"][0]) for h in theirs])
        same_fpsim2 = bool(np.allclose(top, got, rtol=0, atol=1e-6))  # FPSim2 keeps float32
    label = f"{n // 1000}k x {n // 1000}k"
    print(
        f"compare {label}: {seconds:.1f} s wall, {cpu:.1f} s CPU (2 threads; ideal wall on 2 "
        f"idle cores = CPU / 2), nearest {res.summary['seconds_nearest']:.1f} s wall; "
        f"RDKit BulkTanimoto top-1 {rdkit_s:.0f} s extrap. (1 core); "
        f"200 sampled queries identical to RDKit: {same}"
    )
    per_query = 1e3 * seconds / n
    print(
        f"  per query: {per_query:.3f} ms wall ({1e3 * cpu / n:.3f} ms CPU) for the whole "
        "compare (nearest, shared compounds, property shifts, scaffolds)"
    )
    if fpsim2_ms is not None:
        print(
            f"  FPSim2 0.7.4 top_k(k=1) {fpsim2_ms:.2f} ms/query (1 thread, 200 sampled "
            f"queries): ratio FPSim2/molaudit per query {fpsim2_ms / per_query:.1f}x wall, "
            f"{fpsim2_ms / (1e3 * cpu / n):.1f}x CPU; same top-1 similarity: {same_fpsim2}"
        )
    print(f"  {res.summary['sentence']}")


def bench_curate(n: int = 100_000) -> None:
    from molaudit.analytics import AnalyticInput
    from molaudit.analytics.curate import curate

    rng = np.random.default_rng(0)
    compounds = moses_smiles(70_000, 0)
    pick = np.concatenate([np.arange(70_000), rng.integers(0, 70_000, n - 70_000)])
    smiles = np.asarray(compounds, dtype=object)[pick]
    # 1% of the compounds get a stereoisomer twin: '[C@@H]' / '[C@H]' on a new carbon
    twins = rng.choice(n, size=n // 100, replace=False)
    smiles[twins[::2]] = [f"C[C@H](O){s}" for s in smiles[twins[::2]]]
    smiles[twins[1::2]] = [f"C[C@@H](O){s}" for s in smiles[twins[1::2]]]
    p = rng.normal(7.0, 1.0, 70_000)[pick] + rng.normal(0.0, 0.4, n)
    activity = 10 ** (9 - p)  # nM
    note = np.full(n, "", dtype=object)
    note[rng.choice(n, n // 50, replace=False)] = "censored >"
    missing = rng.choice(n, n // 50, replace=False)
    activity[missing] = np.nan
    note[missing] = "missing"
    table = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "id": [f"C{i}" for i in range(n)],
            "activity": activity,
            "activity_note": note,
            "status": "ok",
            "error_code": None,
            "error_message": None,
            "smiles": smiles,
            "std_smiles": smiles,
            "tautomer_key": smiles,
            "stereo_key": [s.replace("@", "") for s in smiles],
        }
    )
    data = AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
        activity_col="Ki",
        activity_units="nM",
    )
    t0, c0 = time.perf_counter(), time.process_time()
    res = curate(data)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"curate {n // 1000}k rows: {seconds:.1f} s wall, {cpu:.1f} s CPU; "
        f"decisions {res.summary['decisions']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--skip-curate", action="store_true")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()}")
    for size in filter(None, args.sizes.split(",")):
        bench_compare(int(float(size.rstrip("k")) * 1000))
    if not args.skip_curate:
        bench_curate()
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
