"""The ``molaudit`` command line: ``audit``, ``cache info|clear|prune``, ``demo``.

Exit codes: 0 success; 2 bad usage or unreadable input; 3 ``--fail-on-error`` and some records
failed; 130 interrupted; 1 anything unexpected.

Every argument is checked before any work starts (output suffix, the directory it goes to,
analytic names, a cache directory that ``cache`` is asked about), and nothing is created that
was not asked for: ``-o /nonexistent_dir/out.csv`` and ``cache info --cache-dir /typo`` fail
with exit code 2 and leave the file system as it was.

Subcommands live in :data:`SUBCOMMANDS` (name -> :class:`Subcommand`); another module adds one
with :func:`register_subcommand` before :func:`main` builds the parser.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from molaudit._cli_common import (
    UsageError,
    add_column_arguments,
    add_run_arguments,
    audit_kwargs,
    check_input,
    check_n_jobs,
)
from molaudit._version import __version__

__all__ = ["SUBCOMMANDS", "Subcommand", "UsageError", "main", "register_subcommand"]

#: Output suffixes ``audit -o`` accepts: a table format or the JSON summary.
OUTPUT_SUFFIXES = (".csv", ".tsv", ".parquet", ".sdf", ".sd", ".xlsx", ".html", ".htm", ".json")


@dataclass(frozen=True)
class Subcommand:
    """One ``molaudit <name>`` subcommand: its help, its arguments and what it runs."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


#: name -> subcommand, in the order ``molaudit --help`` lists them.
SUBCOMMANDS: dict[str, Subcommand] = {}


def register_subcommand(
    name: str,
    help: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Add (or replace) a subcommand; ``run(args)`` returns the exit code.

    ``run`` may raise ``ValueError``/``TypeError``/``FileNotFoundError``/``KeyError``: the
    message is printed and the exit code is 2.
    """
    SUBCOMMANDS[name] = Subcommand(name, help, add_arguments, run)


# ------------------------------------------------------------------------------- checks
def check_output(path: str) -> Path:
    """The ``-o`` path, refused before any work when its suffix or its directory is wrong."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise UsageError(
            f"-o/--output: unsupported suffix {suffix or '(none)'!r} in {path!r}; use one of "
            + " ".join(OUTPUT_SUFFIXES)
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(
            f"-o/--output: the directory {str(parent)!r} does not exist (it is not created: "
            "make it first)"
        )
    return out


def check_existing_dir(path: str | None, option: str) -> None:
    """``option``'s directory must exist (nothing is created for a command that only reads)."""
    if path is not None and not Path(path).is_dir():
        raise UsageError(f"{option}: no such directory {path!r}")


def check_analytics(text: str) -> list[str]:
    """Analytic names from ``--analytics``, checked against the registry."""
    import molaudit.analytics  # noqa: F401  (registers every analytic)
    from molaudit.analytics._base import parse_analytics_arg

    return parse_analytics_arg(text)


# -------------------------------------------------------------------------------- audit
def _audit_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("input", help="CSV/TSV/SMI/SDF (optionally .gz) or XLSX file")
    add_column_arguments(a)
    a.add_argument("--activity-units", help="units of the activity column (nM, uM, pX, ...)")
    a.add_argument(
        "-o",
        "--output",
        help="table (.csv .tsv .parquet .sdf .xlsx .html) or "
        "summary report (.json); default: print the summary",
    )
    a.add_argument(
        "--analytics",
        default="",
        help="comma-separated analytics to run (e.g. dedup,statistics,scaffolds); "
        "frames are written next to the output as OUT.<name>.<frame>.csv",
    )
    add_run_arguments(a)
    a.add_argument("--backend", default="loky", choices=["loky", "threading", "sequential", "dask"])
    a.add_argument("--scheduler", help="Dask scheduler address (with --backend dask)")
    a.add_argument("--ttl", type=float)
    a.add_argument("--no-progress", action="store_true")
    a.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit with status 3 when any record is an error",
    )


def _audit(args: argparse.Namespace) -> int:
    # every argument is checked before the audit starts
    output = check_output(args.output) if args.output else None
    names = check_analytics(args.analytics)
    check_n_jobs(args.n_jobs)
    check_input(args.input)

    from molaudit.api import audit

    warnings.simplefilter("ignore")  # the summary below says the same, once
    batch = audit(
        args.input,
        **audit_kwargs(args),
        backend=args.backend,
        ttl=args.ttl,
        progress=not args.no_progress,
        scheduler=args.scheduler,
    )
    summary = batch.summary()
    results = {}
    for name in names:
        result = batch.analytics.run(name)
        results[name] = {
            "summary": result.summary,
            "message": result.message,
            "frames": {k: len(v) for k, v in result.frames.items()},
        }
        if output is not None:
            for frame_name, frame in result.frames.items():
                target = output.with_name(f"{output.name}.{name}.{frame_name}.csv")
                frame.to_csv(target, index=False)
    summary["analytics"] = results
    if output is not None and output.suffix.lower() == ".json":
        output.write_text(json.dumps(summary, indent=2, default=str))
    elif output is not None:
        batch.export(output)
    print(json.dumps(summary, indent=2, default=str))
    if args.fail_on_error and summary["by_status"]["error"]:
        return 3
    return 0


# -------------------------------------------------------------------------------- cache
def _cache_arguments(c: argparse.ArgumentParser) -> None:
    c.add_argument("action", choices=["info", "clear", "prune"])
    c.add_argument("--cache-dir", help="an existing cache directory (default: the user cache)")


def _cache(args: argparse.Namespace) -> int:
    check_existing_dir(args.cache_dir, "--cache-dir")
    from molaudit.run.cache import Store, default_cache_dir

    if args.cache_dir is None and not default_cache_dir().is_dir():
        # nothing cached yet: say so instead of creating an empty cache to describe
        print(json.dumps({"directory": str(default_cache_dir()), "exists": False}, indent=2))
        return 0
    store = Store(args.cache_dir)
    if args.action == "info":
        print(json.dumps(store.info(), indent=2))
    elif args.action == "clear":
        print(f"removed {store.clear()} entries from {store.directory}")
    else:
        print(f"removed {store.prune()} expired entries from {store.directory}")
    return 0


# --------------------------------------------------------------------------------- demo
def _demo_arguments(d: argparse.ArgumentParser) -> None:
    d.add_argument("--outdir", default="molaudit-demo")
    d.add_argument("--n-jobs", type=int, default=-1)
    d.add_argument("--cache-dir")


def _demo(args: argparse.Namespace) -> int:
    from molaudit.demo import run_demo

    run_demo(args.outdir, n_jobs=args.n_jobs, cache_dir=args.cache_dir)
    return 0


register_subcommand("audit", "audit a file of molecules", _audit_arguments, _audit)
register_subcommand("cache", "inspect or clean the cache", _cache_arguments, _cache)
register_subcommand(
    "demo", "audit the bundled ChEMBL set with every analytic", _demo_arguments, _demo
)

from molaudit.cli_curate import register as _register_curate  # noqa: E402  (curate, compare)

_register_curate(register_subcommand)


# --------------------------------------------------------------------------------- main
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="molaudit", description="Batch validation and analytics for sets of molecules."
    )
    parser.add_argument("--version", action="version", version=f"molaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in SUBCOMMANDS.values():
        command.add_arguments(sub.add_parser(command.name, help=command.help))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return SUBCOMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print(
            "molaudit: interrupted; finished chunks are cached, run again to resume",
            file=sys.stderr,
        )
        return 130
    except (FileNotFoundError, ValueError, TypeError, ImportError, KeyError) as exc:
        print(f"molaudit: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
