"""MoleculeACE activity cliffs on all 30 MoleculeACE sets: agreement with the shipped flags, time.

Each set is processed on its own (as MoleculeACE does) with
:func:`molaudit.analytics.cliffs.moleculeace_cliffs` on the SMILES as shipped and ``exp_mean [nM]``;
the per-molecule flags are compared with the shipped ``cliff_mol`` column. Prints per-set seconds
and mismatches, the serial total, and the total with the sets spread over ``--jobs`` processes.
The baseline, MoleculeACE's own dense-matrix code (pure Python loops), is timed on the
``--baseline`` smallest sets in the same run and extrapolated by n² (it took ≈36 s at 3.7k
molecules here).

Usage: python benchmarks/bench_cliffs.py [--jobs 2] [--baseline 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, os.path.dirname(__file__))
from _data import moleculeace_sets

from molaudit.analytics.cliffs import moleculeace_cliffs


def one_set(name: str, smiles: list[str], potency: np.ndarray, shipped: np.ndarray):
    t0 = time.perf_counter()
    cliff, pairs = moleculeace_cliffs(smiles, potency)
    return name, len(smiles), time.perf_counter() - t0, int((cliff != shipped).sum()), len(pairs)


def moleculeace_reference(smiles: list[str], potency: np.ndarray) -> np.ndarray:
    """MoleculeACE's algorithm as published: four dense n×n matrices filled in Python."""
    from rapidfuzz.distance import Levenshtein
    from rdkit import Chem, DataStructs
    from rdkit.Chem import rdFingerprintGenerator
    from rdkit.Chem.Scaffolds.MurckoScaffold import GetScaffoldForMol, MakeScaffoldGeneric

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    fps = [gen.GetFingerprint(m) for m in mols]
    scaf = []
    for m in mols:
        try:
            s = MakeScaffoldGeneric(m)
        except Exception:
            s = GetScaffoldForMol(m)
        scaf.append(gen.GetFingerprint(s))
    n = len(smiles)
    sim = np.zeros((n, n), dtype=bool)
    for i in range(n):
        for j in range(i + 1, n):
            lev = 1 - Levenshtein.distance(smiles[i], smiles[j]) / max(
                len(smiles[i]), len(smiles[j])
            )
            sim[i, j] = (
                DataStructs.TanimotoSimilarity(fps[i], fps[j]) >= 0.9
                or DataStructs.TanimotoSimilarity(scaf[i], scaf[j]) >= 0.9
                or lev >= 0.9
            )
    fc = np.maximum.outer(potency, potency) / np.minimum.outer(potency, potency)
    cliff = np.triu(sim, 1) & (fc > 10)
    return ((cliff | cliff.T).sum(axis=0) > 0).astype(np.int8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--baseline", type=int, default=2, help="smallest sets to time it on")
    args = parser.parse_args()
    sets = moleculeace_sets()
    inputs = [
        (name, f["smiles"].tolist(), f["exp_mean [nM]"].to_numpy(), f["cliff_mol"].to_numpy())
        for name, f in sets.items()
    ]
    n_total = sum(len(x[1]) for x in inputs)
    print(f"{len(inputs)} sets, {n_total} rows")
    t0 = time.perf_counter()
    results = [one_set(*x) for x in inputs]
    serial = time.perf_counter() - t0
    for name, n, dt, bad, n_pairs in results:
        print(f"  {name:<18} {n:>5} rows  {dt:6.2f} s  mismatches {bad}  cliff pairs {n_pairs}")
    mismatches = sum(r[3] for r in results)
    print(
        f"serial total {serial:.1f} s; molecules with a flag different from MoleculeACE's: "
        f"{mismatches} of {n_total}"
    )
    t0 = time.perf_counter()
    Parallel(n_jobs=args.jobs)(delayed(one_set)(*x) for x in inputs)
    print(f"all 30 sets over {args.jobs} processes: {time.perf_counter() - t0:.1f} s")
    if args.baseline:
        smallest = sorted(inputs, key=lambda x: len(x[1]))[: args.baseline]
        for name, smiles, potency, shipped in smallest:
            t0 = time.perf_counter()
            ref = moleculeace_reference(smiles, potency)
            t_ref = time.perf_counter() - t0
            _, n, t_ours, bad, _ = one_set(name, smiles, potency, shipped)
            print(
                f"baseline {name} ({n} rows): dense-matrix reference {t_ref:.1f} s, molaudit "
                f"{t_ours:.2f} s, ratio {t_ref / t_ours:.0f}x; reference mismatches "
                f"{int((ref != shipped).sum())}"
            )


if __name__ == "__main__":
    main()
