"""``molaudit curate`` and ``molaudit compare`` (registered in :mod:`molaudit.cli`).

Exit codes as for the rest of the CLI: 0 success, 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

from molaudit import _cli_common as shared

__all__ = ["register", "run"]

_TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")


def register(register_subcommand: Any) -> None:
    """Register ``curate`` and ``compare`` with :func:`molaudit.cli.register_subcommand`."""
    register_subcommand(
        "curate",
        "one activity per compound (replicates aggregated, contradictions flagged)",
        _curate_arguments,
        run,
    )
    register_subcommand(
        "compare",
        "compare batch B with reference A (similarity, overlap, property shift)",
        _compare_arguments,
        run,
    )


def _curate_arguments(c: argparse.ArgumentParser) -> None:
    from molaudit.analytics.curate import CURATE_LEVELS
    from molaudit.analytics.units import UNITS

    c.description = (
        "Curate INPUT to one activity per compound. Writes the curated table to OUT, every "
        "row's decision to OUT.decisions.csv and the recipe to OUT.recipe.json (pass it back "
        "with --recipe to reproduce the table anywhere)."
    )
    c.add_argument("input", help="CSV/TSV/SMI/SDF (optionally .gz) or XLSX file")
    c.add_argument("-o", "--output", required=True, help="curated table: .csv, .tsv or .parquet")
    c.add_argument("--recipe", help="JSON recipe of an earlier curation (OUT.recipe.json)")
    c.add_argument("--level", choices=list(CURATE_LEVELS), help="compound level (default salt)")
    c.add_argument("--aggregate", choices=["median", "mean"], help="default median")
    c.add_argument("--max-spread", type=float, help="log units (default 1.0)")
    c.add_argument("--activity-units", choices=sorted(UNITS), help="units of the activity column")
    shared.add_column_arguments(c)
    c.add_argument("--all", action="store_true", help="write every compound, not only 'kept'")
    shared.add_run_arguments(c)


def _compare_arguments(m: argparse.ArgumentParser) -> None:
    m.description = (
        "Compare B with the reference A: each molecule of B's nearest neighbour in A, "
        "compounds shared, property shifts (KS test), new and lost scaffolds."
    )
    m.add_argument("reference", help="reference file A")
    m.add_argument("other", help="file B compared with A")
    m.add_argument(
        "-o",
        "--output",
        help="OUT.json: the summary; OUT.csv: the nearest table, other frames as "
        "OUT.<frame>.csv; default: print the summary",
    )
    shared.add_column_arguments(m, id_and_activity=False)
    shared.add_run_arguments(m)


def run(args: argparse.Namespace) -> int:
    """Run a parsed ``curate`` or ``compare`` command; returns the exit code."""
    warnings.simplefilter("ignore")  # the summary printed says the same, once
    if args.command == "curate":
        return _curate(args)
    return _compare(args)


def _curate(args: argparse.Namespace) -> int:
    from molaudit.api import audit
    from molaudit.curation import curate, curated_table, load_recipe

    out = Path(args.output)
    if out.suffix.lower() not in _TABLE_SUFFIXES:
        raise shared.UsageError(f"-o must end in {', '.join(_TABLE_SUFFIXES)}; got {args.output!r}")
    shared.check_input(args.input)
    shared.check_n_jobs(args.n_jobs)
    params = {
        k: v
        for k, v in {
            "level": args.level,
            "aggregate": args.aggregate,
            "max_spread": args.max_spread,
            "activity_units": args.activity_units,
        }.items()
        if v is not None
    }
    if args.recipe:
        recipe = load_recipe(args.recipe)
        if args.smiles_col or args.id_col or args.activity_col:
            raise shared.UsageError("--recipe names the columns; leave out --smiles-col/--id-col/"
                             "--activity-col")  # fmt: skip
        result = curate(args.input, recipe=recipe, n_jobs=args.n_jobs, cache=not args.no_cache,
                        cache_dir=args.cache_dir, **params)  # fmt: skip
    else:
        batch = audit(args.input, **shared.audit_kwargs(args), progress=False)
        result = batch.curate(**params)
    table = curated_table(result, kept_only=not args.all)
    _write(table, out)
    decisions = out.with_name(out.name + ".decisions.csv")
    result.frames["decisions"].to_csv(decisions, index=False)
    recipe_path = out.with_name(out.name + ".recipe.json")
    recipe_path.write_text(json.dumps(result.summary["recipe"], indent=2, default=str))
    summary = {k: v for k, v in result.summary.items() if k != "recipe"}
    summary["written"] = {"curated": str(out), "decisions": str(decisions),
                          "recipe": str(recipe_path), "rows": len(table)}  # fmt: skip
    if result.message:
        summary["message"] = result.message
    print(json.dumps(summary, indent=2, default=str))
    return 0


def _write(table: Any, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        table.to_parquet(out, index=False)
    else:
        table.to_csv(out, index=False, sep="\t" if suffix == ".tsv" else ",")


def _compare(args: argparse.Namespace) -> int:
    from molaudit.curation import compare

    for path in (args.reference, args.other):
        shared.check_input(path)
    if args.output and Path(args.output).suffix.lower() not in (".json", ".csv"):
        raise shared.UsageError(f"-o must end in .json or .csv; got {args.output!r}")
    shared.check_n_jobs(args.n_jobs)
    result = compare(args.reference, args.other, **shared.audit_kwargs(args))
    summary = dict(result.summary)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() == ".json":
            out.write_text(json.dumps(summary, indent=2, default=str))
        else:
            result.frames["nearest"].to_csv(out, index=False)
            for name, frame in result.frames.items():
                if name == "nearest":
                    continue
                frame = frame.copy()
                for col in ("rows", "ref_rows"):
                    if col in frame.columns:
                        frame[col] = [";".join(map(str, v)) for v in frame[col]]
                frame.to_csv(out.with_name(f"{out.name}.{name}.csv"), index=False)
    print(json.dumps(summary, indent=2, default=str))
    return 0
