"""What the subcommands of :mod:`molaudit.cli` and :mod:`molaudit.cli_curate` share.

The usage error, the input/column and run/cache argument groups, their checks, and the
keyword arguments of :func:`molaudit.audit` built from them. A module of its own because
:mod:`molaudit.cli` imports :mod:`molaudit.cli_curate` to register its subcommands: the
other way round would be an import cycle.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = [
    "UsageError",
    "add_column_arguments",
    "add_run_arguments",
    "audit_kwargs",
    "check_input",
    "check_n_jobs",
]


class UsageError(ValueError):
    """A bad argument, found before any work started (exit code 2)."""


def add_column_arguments(p: argparse.ArgumentParser, *, id_and_activity: bool = True) -> None:
    """``--smiles-col`` (and ``--id-col``, ``--activity-col``): input columns, else detected."""
    p.add_argument("--smiles-col")
    if id_and_activity:
        p.add_argument("--id-col")
        p.add_argument("--activity-col")


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """``--n-jobs``, ``--cache-dir``, ``--no-cache``."""
    p.add_argument("--n-jobs", type=int, default=-1)
    p.add_argument("--cache-dir")
    p.add_argument("--no-cache", action="store_true")


def check_input(path: str) -> Path:
    """The input file, refused before any work when it does not exist."""
    if not Path(path).exists():
        raise UsageError(f"no such file: {path!r} (the input file does not exist)")
    return Path(path)


def check_n_jobs(n_jobs: int) -> int:
    """``--n-jobs``: -1 (all cores) or a positive integer."""
    if n_jobs == 0 or n_jobs < -1:
        raise UsageError(f"--n-jobs must be -1 or a positive integer, got {n_jobs}")
    return n_jobs


def audit_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`molaudit.audit` from the shared argument groups.

    Options a subcommand does not have are left out, so the audit's defaults apply.
    """
    names = ("smiles_col", "id_col", "activity_col", "activity_units", "n_jobs", "cache_dir")
    out = {name: getattr(args, name) for name in names if hasattr(args, name)}
    out["cache"] = not args.no_cache
    return out
