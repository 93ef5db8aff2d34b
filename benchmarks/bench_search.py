"""Searches a user waits for, end to end, against peers in the same process (MOSES, MIT).

* ``similar``: ``batch.similar(smiles, k=10)`` per query at 100k against FPSim2's
  ``top_k(smiles, k=10, threshold=0, n_workers=1)`` on the same molecules and query SMILES
  (same Morgan r2 2048 fingerprints; the top-10 similarities are compared). FPSim2 is not a
  dependency: ``pip install fpsim2`` to run that side; without it the part says so and skips.
* ``substructure``: ``batch.substructure(smarts)`` at 20k and 100k against a plain
  ``HasSubstructMatch`` loop over the pre-parsed parents (the same match sets are asserted),
  library build time printed apart, on selective and common queries.

The batches are built directly from MOSES SMILES (table columns ``row``, ``id``, ``smiles``,
``std_smiles``, ``status`` and packed fingerprints), so no 100k audit is needed; the batch has
a cache store in a temporary directory as an audited batch does.

Usage: python benchmarks/bench_search.py [--parts similar,substructure] [--n 100000]
       [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
from _data import data_dir, moses_smiles
from bench_similarity import fingerprints

warnings.simplefilter("ignore")

SELECTIVE = [
    "c1ccc2[nH]ccc2c1",  # indole
    "C(F)(F)F",
    "S(=O)(=O)N",
    "c1ccsc1",
    "[#6]C(=O)N[NH2]",
    "c1ccc2ncccc2c1",
    "Brc1ccccc1",
    "C1CC1",
]
COMMON = ["c1ccccc1", "C(=O)N", "[#7]"]


def make_batch(n: int, store_dir: str | None):
    import molaudit
    from molaudit.batch import Batch
    from molaudit.options import AuditOptions
    from molaudit.run.cache import Store

    smiles = moses_smiles(n)
    fps = fingerprints("moses_0", smiles)
    table = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "id": [f"MOSES-{i}" for i in range(n)],
            "smiles": smiles,
            "std_smiles": smiles,
            "status": "ok",
        }
    )
    batch = Batch(
        table=table,
        fingerprints=fps,
        fingerprint_rows=np.arange(n, dtype=np.int64),
        key=f"bench-search-{n}-{molaudit.__version__}",
        options=AuditOptions(),
        columns={"smiles": "smiles", "id": "id", "activity": None},
        source="MOSES",
        notes=[],
        timings={},
        run={},
        store=Store(store_dir) if store_dir else None,
        n_jobs=2,
    )
    return batch, smiles


def bench_similar(n: int, n_queries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        batch, smiles = make_batch(n, tmp)
        rng = np.random.default_rng(7)
        picked = [smiles[i] for i in rng.choice(n, 3 * n_queries + 1, replace=False)]
        warm, sets = (
            picked[0],
            [picked[1 + r * n_queries : 1 + (r + 1) * n_queries] for r in range(3)],
        )
        queries = sets[0]
        batch.similar(warm, k=10)  # index build + kernel compile, not timed
        try:
            from FPSim2 import FPSim2Engine
            from FPSim2.io import create_db_file
        except ImportError:
            FPSim2Engine = None
            print("FPSim2 is not installed (pip install fpsim2): its side is skipped")
        engine = None
        if FPSim2Engine is not None:
            path = data_dir() / f"fpsim2_moses_{n}.h5"
            if not path.exists():
                t0 = time.perf_counter()
                create_db_file(
                    [[s, i] for i, s in enumerate(smiles)],
                    str(path),
                    mol_format="smiles",
                    fp_type="Morgan",
                    fp_params={"radius": 2, "fpSize": 2048},
                )
                print(f"FPSim2 database build: {time.perf_counter() - t0:.1f} s")
            engine = FPSim2Engine(str(path))
            engine.top_k(warm, k=10, threshold=0.0, n_workers=1)
        ours, theirs, same = [], [], 0
        for rep, queries in enumerate(sets):  # interleaved repeats on new queries, medians
            t0 = time.perf_counter()
            results = [batch.similar(q, k=10) for q in queries]
            ours.append((time.perf_counter() - t0) / len(queries))
            if engine is not None:
                t0 = time.perf_counter()
                hits = [engine.top_k(q, k=10, threshold=0.0, n_workers=1) for q in queries]
                theirs.append((time.perf_counter() - t0) / len(queries))
                if rep == 0:
                    for r, h in zip(results, hits, strict=True):
                        a = r.frames["hits"]["similarity"].to_numpy(dtype=float)
                        b = np.sort(np.asarray(h["coeff"], dtype=float))[::-1]
                        # FPSim2 stores float32 coefficients
                        same += bool(len(a) == len(b) and np.allclose(a, b, rtol=0, atol=1e-6))
        print(
            f"similar at {n}: batch.similar(smiles, k=10) "
            f"{1e3 * statistics.median(ours):.2f} ms/query end to end (median of 3 x "
            f"{len(queries)} new queries, with the batch's disk cache), "
            f"load {os.getloadavg()[0]:.1f}"
        )
        if theirs:
            t = statistics.median(theirs)
            print(
                f"  FPSim2 top_k {1e3 * t:.2f} ms/query (median of 3); ratio FPSim2/molaudit "
                f"{t / statistics.median(ours):.2f}x (target >= 1); same top-10 similarities "
                f"{same}/{len(queries)}"
            )
        # the kernel alone, for comparison with the README's kernel figure
        from molaudit.analytics.similarity.index import query_fingerprint

        data = batch.analytics.input()
        index = data.memo("similarity_index", lambda: None)
        if index is not None:
            fps = [query_fingerprint(q, data) for q in sets[0]]
            t0 = time.perf_counter()
            for fp in fps:
                index.search(fp, k=10)
            print(
                f"  kernel only (index.search): "
                f"{1e3 * (time.perf_counter() - t0) / len(fps):.2f} ms/query"
            )


def bench_substructure(n: int) -> None:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    batch, smiles = make_batch(n, None)
    t0 = time.perf_counter()
    parents = [Chem.MolFromSmiles(s) for s in smiles]
    parse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    batch.substructure("[U]")  # builds the library (n_jobs=2), matches nothing
    build_s = time.perf_counter() - t0
    print(
        f"substructure at {n}: library build {build_s:.1f} s (parse of the loop's parents "
        f"{parse_s:.1f} s), load {os.getloadavg()[0]:.1f}"
    )
    for label, queries in (("selective", SELECTIVE), ("common", COMMON)):
        ours, loop = [], []
        for text in queries:
            query = Chem.MolFromSmarts(text)
            t0 = time.perf_counter()
            result = batch.substructure(text)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            expected = [
                i for i, m in enumerate(parents) if m is not None and m.HasSubstructMatch(query)
            ]
            loop.append(time.perf_counter() - t0)
            assert result.frames["matches"]["row"].tolist() == expected, text
            print(
                f"  {text:<20} {len(expected):>6} matches  molaudit {ours[-1]:.3f} s  "
                f"loop {loop[-1]:.3f} s  x{loop[-1] / ours[-1]:.1f}"
            )
        print(
            f"  {label}: total molaudit {sum(ours):.2f} s, loop {sum(loop):.2f} s, "
            f"x{sum(loop) / sum(ours):.1f} (target >= 10x on selective queries; "
            f"<= 2 s per filter at 100k)"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", default="similar,substructure")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--sub-sizes", default="20000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "similar" in parts:
        bench_similar(args.n, args.queries)
    if "substructure" in parts:
        for n in map(int, args.sub_sizes.split(",")):
            bench_substructure(n)


if __name__ == "__main__":
    main()
