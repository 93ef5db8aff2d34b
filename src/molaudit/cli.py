"""The ``molaudit`` command line: ``audit``, ``cache info|clear|prune``, ``demo``.

Exit codes: 0 success; 2 bad usage or unreadable input; 3 ``--fail-on-error`` and some records
failed; 130 interrupted; 1 anything unexpected.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from molaudit._version import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="molaudit", description="Batch validation and analytics for sets of molecules."
    )
    parser.add_argument("--version", action="version", version=f"molaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="audit a file of molecules")
    a.add_argument("input", help="CSV/TSV/SMI/SDF (optionally .gz) or XLSX file")
    a.add_argument("--smiles-col")
    a.add_argument("--id-col")
    a.add_argument("--activity-col")
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
    a.add_argument("--n-jobs", type=int, default=-1)
    a.add_argument("--backend", default="loky", choices=["loky", "threading", "sequential", "dask"])
    a.add_argument("--scheduler", help="Dask scheduler address (with --backend dask)")
    a.add_argument("--cache-dir")
    a.add_argument("--ttl", type=float)
    a.add_argument("--no-cache", action="store_true")
    a.add_argument("--no-progress", action="store_true")
    a.add_argument(
        "--fail-on-error",
        action="store_true",
        help="exit with status 3 when any record is an error",
    )

    c = sub.add_parser("cache", help="inspect or clean the cache")
    c.add_argument("action", choices=["info", "clear", "prune"])
    c.add_argument("--cache-dir")

    d = sub.add_parser("demo", help="audit the bundled ChEMBL set with every analytic")
    d.add_argument("--outdir", default="molaudit-demo")
    d.add_argument("--n-jobs", type=int, default=-1)
    d.add_argument("--cache-dir")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "audit":
            return _audit(args)
        if args.command == "cache":
            return _cache(args)
        from molaudit.demo import run_demo

        run_demo(args.outdir, n_jobs=args.n_jobs, cache_dir=args.cache_dir)
        return 0
    except KeyboardInterrupt:
        print(
            "molaudit: interrupted; finished chunks are cached, run again to resume",
            file=sys.stderr,
        )
        return 130
    except (FileNotFoundError, ValueError, TypeError, ImportError, KeyError) as exc:
        print(f"molaudit: error: {exc}", file=sys.stderr)
        return 2


def _audit(args: argparse.Namespace) -> int:
    from molaudit.api import audit

    warnings.simplefilter("ignore")  # the summary below says the same, once
    batch = audit(
        args.input,
        smiles_col=args.smiles_col,
        id_col=args.id_col,
        activity_col=args.activity_col,
        n_jobs=args.n_jobs,
        backend=args.backend,
        cache=not args.no_cache,
        cache_dir=args.cache_dir,
        ttl=args.ttl,
        progress=not args.no_progress,
        activity_units=args.activity_units,
        scheduler=args.scheduler,
    )
    summary = batch.summary()
    names = [n.strip() for n in args.analytics.split(",") if n.strip()]
    results = {}
    for name in names:
        result = batch.analytics.run(name)
        results[name] = {
            "summary": result.summary,
            "message": result.message,
            "frames": {k: len(v) for k, v in result.frames.items()},
        }
        if args.output:
            base = Path(args.output)
            for frame_name, frame in result.frames.items():
                frame.to_csv(base.with_name(f"{base.name}.{name}.{frame_name}.csv"), index=False)
    summary["analytics"] = results
    if args.output and args.output.lower().endswith(".json"):
        Path(args.output).write_text(json.dumps(summary, indent=2, default=str))
    elif args.output:
        batch.export(args.output)
    print(json.dumps(summary, indent=2, default=str))
    if args.fail_on_error and summary["by_status"]["error"]:
        return 3
    return 0


def _cache(args: argparse.Namespace) -> int:
    from molaudit.run.cache import Store

    store = Store(args.cache_dir)
    if args.action == "info":
        print(json.dumps(store.info(), indent=2))
    elif args.action == "clear":
        print(f"removed {store.clear()} entries from {store.directory}")
    else:
        print(f"removed {store.prune()} expired entries from {store.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
