"""Streaming readers vs the whole-file reader: seconds and peak RSS of read_input + content_digest.

Writes (once, cached under ``_data.data_dir()/readers``) a CSV of ``--rows`` MOSES SMILES with
``id`` and ``activity`` columns, a gzipped copy, and an SDF of ``--sdf`` records. Each
measurement runs in a fresh interpreter. ``peak MB`` is the peak RSS (``VmHWM``, reset after
imports and a warm-up) minus the RSS at that point; ``held MB`` is what stays resident with the
table alive. The baseline is the reader of the last commit (``git show
<rev>:src/molaudit/readers.py``, default ``HEAD``) loaded as a module of the installed package,
so both run in the same environment.

Columns: ``read`` (read_input), ``digest`` (content_digest), ``iterate`` (one pass over
``structures``, as the runner makes), each the median of ``--repeats`` runs; ``peak MB`` and
``held MB`` the largest over the repeats.

Usage: python benchmarks/bench_readers.py [--rows 1000000] [--sdf 100000] [--repeats 3]
       [--rev HEAD] [--only csv,csv.gz,sdf]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

REPO = Path(__file__).resolve().parents[1]


def make_files(rows: int, sdf_records: int) -> dict[str, Path]:
    """The benchmark inputs, written once into the benchmark data cache."""
    from _data import data_dir, moses_smiles

    folder = data_dir() / "readers"
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / f"moses_{rows}.csv"
    if not csv.exists():
        import numpy as np
        import pandas as pd

        smiles = moses_smiles(rows)
        rng = np.random.default_rng(0)
        tmp = csv.with_suffix(".tmp")
        pd.DataFrame(
            {
                "id": [f"MOSES{i:07d}" for i in range(len(smiles))],
                "smiles": smiles,
                "activity": np.round(rng.normal(6.5, 1.2, len(smiles)), 2).astype(str),
            }
        ).to_csv(tmp, index=False)
        tmp.rename(csv)
    gz = folder / f"moses_{rows}.csv.gz"
    if not gz.exists():
        tmp = gz.with_suffix(".tmp")
        with open(csv, "rb") as fin, gzip.open(tmp, "wb", compresslevel=6) as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
        tmp.rename(gz)
    sdf = folder / f"moses_{sdf_records}.sdf"
    if not sdf.exists():
        from rdkit import Chem

        tmp = sdf.with_suffix(".tmp")
        writer = Chem.SDWriter(str(tmp))
        for i, smi in enumerate(moses_smiles(sdf_records)):
            mol = Chem.MolFromSmiles(smi)
            mol.SetProp("_Name", f"MOSES{i:07d}")
            mol.SetProp("pIC50", f"{5 + (i % 400) / 100:.2f}")
            writer.write(mol)
        writer.close()
        tmp.rename(sdf)
    return {"csv": csv, "csv.gz": gz, "sdf": sdf}


def load_reader(impl: str, rev: str):
    """``molaudit.ingest.readers`` (new) or the reader of git revision ``rev`` (old) as a module."""
    if impl == "new":
        from molaudit.ingest import readers

        return readers
    import importlib.util

    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:src/molaudit/readers.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location("molaudit._readers_baseline", fh.name)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    os.unlink(fh.name)
    return module


def child(impl: str, path: str, rev: str) -> None:
    """One measurement in this (fresh) interpreter; prints a JSON line."""
    import gc
    import io
    import re

    import pandas as pd

    def status(key: str) -> int:
        with open("/proc/self/status") as fh:
            return int(re.search(key + r":\s+(\d+)", fh.read()).group(1)) * 1024

    readers = load_reader(impl, rev)
    # warm up (lazy imports such as pyarrow) before the baseline RSS is taken
    pd.read_csv(io.StringIO("a\n1\n"), dtype=str)
    readers.read_input(pd.DataFrame({"smiles": ["CCO"]})).content_digest()
    gc.collect()
    # reset the peak (VmHWM) so that import-time peaks do not hide the reader's own
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    base = status("VmRSS")
    t0 = time.perf_counter()
    table = readers.read_input(path)
    t1 = time.perf_counter()
    digest = table.content_digest()
    t2 = time.perf_counter()
    n = 0
    for _ in table.structures:
        n += 1
    t3 = time.perf_counter()
    peak = status("VmHWM")
    held = status("VmRSS")
    print(
        json.dumps(
            {
                "read": t1 - t0,
                "digest": t2 - t1,
                "iterate": t3 - t2,
                "peak_mb": (peak - base) / 1e6,
                "base_mb": base / 1e6,
                "held_mb": (held - base) / 1e6,
                "rows": len(table.frame),
                "structures": n,
                "digest_value": digest,
            }
        )
    )


def measure(impl: str, path: Path, rev: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", impl, str(path), "--rev", rev],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sdf", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rev", default="HEAD")
    parser.add_argument("--only", default="csv,csv.gz,sdf")
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "PATH"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.rev)
        return
    files = make_files(args.rows, args.sdf)
    print(f"baseline: readers.py at {args.rev}; {args.repeats} repeats, fresh process each")
    print(
        f"{'input':<8} {'impl':<4} {'rows':>8} {'read s':>7} {'digest s':>9} {'iterate s':>9} "
        f"{'total s':>8} {'peak MB':>8} {'held MB':>8}"
    )
    for name in args.only.split(","):
        path = files[name]
        summary = {}
        for impl in ("old", "new"):
            runs = [measure(impl, path, args.rev) for _ in range(args.repeats)]
            med = {k: statistics.median(r[k] for r in runs) for k in ("read", "digest", "iterate")}
            med["total"] = med["read"] + med["digest"] + med["iterate"]
            med["peak_mb"] = max(r["peak_mb"] for r in runs)
            med["held_mb"] = max(r["held_mb"] for r in runs)
            summary[impl] = med
            print(
                f"{name:<8} {impl:<4} {runs[0]['rows']:>8} {med['read']:>7.2f} "
                f"{med['digest']:>9.2f} {med['iterate']:>9.2f} {med['total']:>8.2f} "
                f"{med['peak_mb']:>8.0f} {med['held_mb']:>8.0f}",
                flush=True,
            )
            assert runs[0]["structures"] == runs[0]["rows"]
        old, new = summary["old"], summary["new"]
        print(
            f"{name:<8} new/old: read {new['read'] / old['read']:.2f}x, "
            f"read+digest {(new['read'] + new['digest']) / (old['read'] + old['digest']):.2f}x, "
            f"total {new['total'] / old['total']:.2f}x, peak RSS "
            f"{new['peak_mb'] / old['peak_mb']:.2f}x ({old['peak_mb']:.0f} -> "
            f"{new['peak_mb']:.0f} MB)",
            flush=True,
        )


if __name__ == "__main__":
    main()
