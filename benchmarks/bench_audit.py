"""Audit throughput, scaling, cache and memory on MOSES (molsets wheel, MIT).

Prints, in one run:
* molaudit vs a bare fused RDKit loop doing the same steps, per core (ratio; target >= 0.9);
* n_jobs=1 vs n_jobs=2 on 20k (speed-up; target >= 1.8) and on 2k (2 never slower than 1);
* a cold 100k audit with n_jobs=2, its warm re-run (target < 2 s) and a +1 % grown batch
  (target <= 5 % of the cold time);
* peak RSS of the parent and of the workers.

Usage: python benchmarks/bench_audit.py [--small N] [--large N] [--repeats R]
       [--parts core,2k,scaling,large]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
import warnings

import numpy as np
import psutil

sys.path.insert(0, os.path.dirname(__file__))
from _data import moses_smiles

import molaudit

warnings.simplefilter("ignore")


def bare_rdkit_loop(smiles: list[str]) -> float:
    """The same steps as molaudit's audit, fused, with no bookkeeping: seconds per molecule."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem import (
        QED,
        Descriptors,
        rdFingerprintGenerator,
        rdinchi,
        rdMolDescriptors,
        rdMolHash,
    )
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams
    from rdkit.Chem.MolStandardize import rdMolStandardize
    from rdkit.Chem.Scaffolds import MurckoScaffold

    RDLogger.DisableLog("rdApp.*")
    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.BRENK)
    catalog = FilterCatalog(params)
    uncharger = rdMolStandardize.Uncharger(canonicalOrder=True)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    t0 = time.perf_counter()
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        can = Chem.MolToSmiles(mol)
        Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
        Chem.FindPotentialStereo(mol)
        Chem.MolToSmiles(Chem.MolFromSmiles(can))
        work = rdMolStandardize.Cleanup(mol)
        Chem.MolToSmiles(work)
        if "." in can:
            work = rdMolStandardize.FragmentParent(work, skipStandardize=True)
        work = uncharger.uncharge(work)
        Chem.SanitizeMol(work)
        inchi = rdinchi.MolToInchi(mol)[0]
        rdinchi.InchiToInchiKey(inchi)
        rdMolHash.MolHash(Chem.Mol(mol), rdMolHash.HashFunction.HetAtomTautomerv2)
        flat = Chem.Mol(mol)
        Chem.RemoveStereochemistry(flat)
        Chem.MolToSmiles(flat)
        Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(work))
        props = QED.properties(work)
        QED.qed(work, qedProperties=props)
        Descriptors.ExactMolWt(work)
        rdMolDescriptors.CalcNumHBA(work)
        rdMolDescriptors.CalcNumRotatableBonds(work)
        rdMolDescriptors.CalcNumRings(work)
        rdMolDescriptors.CalcNumAromaticRings(work)
        rdMolDescriptors.CalcFractionCSP3(work)
        [e.GetDescription() for e in catalog.GetMatches(work)]
        np.packbits(gen.GetFingerprintAsNumPy(work).astype(bool))
    return (time.perf_counter() - t0) / len(smiles)


class PeakRSS:
    """Samples the RSS of this process plus its children every 0.2 s."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            try:
                rss = me.memory_info().rss + sum(
                    c.memory_info().rss for c in me.children(recursive=True)
                )
            except psutil.Error:
                rss = 0
            self.peak = max(self.peak, rss)
            time.sleep(0.2)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed_audit(smiles: list[str], **kw) -> tuple[float, molaudit.Batch]:
    t0 = time.perf_counter()
    batch = molaudit.audit(smiles, progress=False, analytics=False, **kw)
    return time.perf_counter() - t0, batch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", default="core,2k,scaling,large",
                        help="comma-separated subset of core,2k,scaling,large")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    large = moses_smiles(max(args.large + args.large // 100, args.small))
    small = large[: args.small]
    print(f"molaudit {molaudit.__version__}; {os.cpu_count()} cores")

    # 1. per-core ratio vs the bare loop, same 2,000 molecules, medians of repeats
    sample = small[:2000]
    if "core" in parts:
        per_core(sample, args.repeats)
    if "2k" in parts:
        two_k(sample, args.repeats)
    if "scaling" in parts:
        scaling(small)
    if "large" in parts:
        cold_warm_grown(large, args.large)
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(f"parent max RSS over the whole run: {ru:.2f} GB")


def per_core(sample: list[str], repeats: int) -> None:
    """Same 2,000 molecules, medians of repeats."""
    bare = [bare_rdkit_loop(sample) for _ in range(repeats)]
    ours = [timed_audit(sample, n_jobs=1, cache=False)[0] / len(sample)
            for _ in range(repeats)]
    bare_m, ours_m = statistics.median(bare), statistics.median(ours)
    print(f"bare RDKit loop: {1e3 * bare_m:.2f} ms/mol; molaudit n_jobs=1: {1e3 * ours_m:.2f} "
          f"ms/mol; ratio (throughput, per core) {bare_m / ours_m:.2f}x (target >= 0.9)")



def two_k(sample: list[str], repeats: int) -> None:
    """n_jobs=2 never slower than n_jobs=1."""
    t1 = statistics.median(timed_audit(sample, n_jobs=1, cache=False)[0]
                           for _ in range(repeats))
    t2 = statistics.median(timed_audit(sample, n_jobs=2, cache=False)[0]
                           for _ in range(repeats))
    print(f"2k: n_jobs=1 {t1:.1f} s, n_jobs=2 {t2:.1f} s, speed-up {t1 / t2:.2f}x")



def scaling(small: list[str]) -> None:
    s1, _ = timed_audit(small, n_jobs=1, cache=False)
    s2, _ = timed_audit(small, n_jobs=2, cache=False)
    print(f"{len(small)}: n_jobs=1 {s1:.1f} s ({len(small) / s1:.0f} mol/s), n_jobs=2 {s2:.1f} s "
          f"({len(small) / s2:.0f} mol/s), speed-up {s1 / s2:.2f}x (target >= 1.8)")



def cold_warm_grown(large: list[str], n: int) -> None:
    """Cold, warm and +1 % audits of ``n`` molecules."""
    base = large[:n]
    with tempfile.TemporaryDirectory() as cache_dir:
        with PeakRSS() as rss:
            cold, batch = timed_audit(base, n_jobs=2, cache_dir=cache_dir)
        warm, again = timed_audit(base, n_jobs=2, cache_dir=cache_dir)
        grown, bigger = timed_audit(large, n_jobs=2, cache_dir=cache_dir)
        table_mb = batch.table.memory_usage(deep=True).sum() / 1e6
        print(f"{len(base)} cold (n_jobs=2): {cold:.1f} s ({len(base) / cold:.0f} mol/s); "
              f"peak RSS parent+workers {rss.peak / 1e9:.2f} GB (table {table_mb:.0f} MB, "
              f"fingerprints {batch.fingerprints.nbytes / 1e6:.0f} MB)")
        print(f"warm re-run of the identical batch: {warm:.2f} s (target < 2 s; "
              f"from batch cache: {again.run['from_batch_cache']})")
        print(f"+1 % new molecules ({len(large) - len(base)}): {grown:.1f} s = "
              f"{100 * grown / cold:.1f} % of cold (target <= 5 %); computed "
              f"{bigger.run['computed']}, cache hits {bigger.run['cache_hits']}")


if __name__ == "__main__":
    main()
