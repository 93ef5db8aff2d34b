"""Reliability figures for the README: run the reliability tests and count what they did.

Runs the reliability test files with pytest (``-q``, a JUnit XML report) with
``$MOLAUDIT_FAULT_LOG`` set, so that tests/conftest.py writes one JSON line per test: its
outcome, the faults it injected (observed by hooks: kills sent by test code, the
fault-injection options, interrupts; or recorded by the test where it injects them) and the rows
every ``molaudit.audit`` call took in and gave back. Nothing here is a constant: every figure is
counted from that run. A fault counts as survived when the test that injected it passed (its
assertions are the guarantee: every row back once, in order, nothing else changed).

Usage: python benchmarks/reliability_figures.py [--keep DIR] [--files PATTERN ...] [pytest args...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
BAD = TESTS / "data" / "bad"
FILES = ("test_reliability*.py", "test_cache*.py", "test_runner.py", "test_dask.py",
         "test_parallel.py", "test_readers*.py", "test_export.py", "test_cli.py")  # fmt: skip
#: files whose exports are all read back by the format's standard reader and compared
ROUND_TRIP_FILES = ("tests/test_export.py",)
#: the kinds in the order the README lists them; anything else observed is appended
KINDS = (
    "worker SIGKILL (loky)", "worker SIGKILL (Dask)", "worker SIGKILL (Dask, during an analytic)",
    "timeout", "memory (loky)",
    "memory (in-process)", "KeyboardInterrupt", "disk full", "corrupted cache entry",
    "planted pickle", "older-version cache", "concurrent processes",
)  # fmt: skip


def test_files(patterns: tuple[str, ...] = FILES) -> list[str]:
    found: list[str] = []
    for pattern in patterns:
        found += sorted(str(p.relative_to(ROOT)) for p in TESTS.glob(pattern))
    return found


def run_tests(
    log: Path, xml: Path, extra: list[str], patterns: tuple[str, ...] = FILES
) -> tuple[int, float]:
    env = dict(os.environ, MOLAUDIT_FAULT_LOG=str(log))
    started = time.perf_counter()
    code = subprocess.call(
        # a hung test fails after 150 s instead of never (test_dask.py has hung under heavy load)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "--timeout=150",
         f"--junitxml={xml}", *test_files(patterns), *extra],
        cwd=ROOT,
        env=env,
    )
    return code, time.perf_counter() - started


def junit_totals(xml: Path) -> dict[str, int]:
    suite = ET.parse(xml).getroot()
    suite = suite.find("testsuite") if suite.tag == "testsuites" else suite
    return {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}


def summarize(lines: list[dict]) -> dict:
    injected: Counter = Counter()
    survived: Counter = Counter()
    audits = [a for line in lines for a in line["audits"]]
    for line in lines:
        for kind, n in line["faults"].items():
            injected[kind] += n
            if line["outcome"] == "passed":
                survived[kind] += n
    hypothesis_audits = [a for line in lines if line["hypothesis"] for a in line["audits"]]
    read = {Path(p) for line in lines for p in line["inputs"]}
    bad_read = {p for p in read if p.is_relative_to(BAD.resolve())}
    finished = [a for a in audits if "rows_out" in a]
    exports: Counter = Counter()
    export_rows: Counter = Counter()
    for line in lines:
        if line["outcome"] == "passed" and line["nodeid"].startswith(ROUND_TRIP_FILES):
            for e in line.get("exports", []):
                exports[e["format"]] += 1
                export_rows[e["format"]] += e["rows"]
    fault_tests = [line for line in lines if line["faults"]]
    longest = max(fault_tests, key=lambda line: line.get("seconds", 0.0), default=None)
    return {
        "inputs_by_kind": Counter(a.get("input", "?") for a in audits),
        "exports": exports,
        "export_rows": export_rows,
        "longest_fault_test": (longest["nodeid"], longest.get("seconds", 0.0)) if longest else None,
        "longest_test": max((line.get("seconds", 0.0) for line in lines), default=0.0),
        "injected": injected,
        "survived": survived,
        "bad_files_read": len(bad_read),
        "bad_files_total": sum(1 for p in BAD.iterdir() if p.is_file() and p.name != "README.md"),
        "other_files_read": len(read - bad_read),
        "hypothesis_examples": len(hypothesis_audits),
        "hypothesis_records": sum(a.get("rows_in") or 0 for a in hypothesis_audits),
        "audits": len(audits),
        "audits_finished": len(finished),
        "audits_raised": Counter(a["raised"] for a in audits if "raised" in a),
        "rows_in": sum(a["rows_in"] for a in finished if a.get("rows_in") is not None),
        "rows_out": sum(a["rows_out"] for a in finished if a.get("rows_in") is not None),
        "rows_mismatch": sum(1 for a in finished if a.get("rows_in") not in (None, a["rows_out"])),
        "out_of_order": sum(1 for a in finished if not a["rows_in_order"]),
        "error_codes": sum((Counter(a["error_codes"]) for a in finished), Counter()),
        "worker_crashes": sum(a["worker_crashes"] for a in finished),
    }


def table(s: dict, totals: dict[str, int], seconds: float) -> str:
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    out = [
        "| Reliability figure | Count |",
        "|---|---|",
        f"| Tests run (reliability files) | {totals['tests']} ({passed} passed, "
        f"{totals['failures'] + totals['errors']} failed, {totals['skipped']} skipped/xfail) "
        f"in {seconds:.0f} s |",
        f"| Bad-input corpus files audited (`tests/data/bad`) | {s['bad_files_read']} of "
        f"{s['bad_files_total']} |",
        f"| Other generated input files read | {s['other_files_read']} |",
        f"| Hypothesis examples run (records in them) | {s['hypothesis_examples']} "
        f"({s['hypothesis_records']}) |",
        f"| Audits run / finished / refused with a clear error or cancelled | {s['audits']} / "
        f"{s['audits_finished']} / "
        + (", ".join(f"{n} {k}" for k, n in sorted(s["audits_raised"].items())) or "0")
        + " |",
        f"| Rows in / rows out (finished audits) | {s['rows_in']:,} / {s['rows_out']:,} "
        f"({s['rows_mismatch']} audits lost or added rows, {s['out_of_order']} out of order) |",
        f"| Worker processes that died and were recovered | {s['worker_crashes']} |",
    ]
    if s["longest_fault_test"]:
        nodeid, secs = s["longest_fault_test"]
        out.append(
            f"| Longest wait: slowest fault-injecting test, every wait in it included | "
            f"{secs:.1f} s (`{nodeid.split('::')[-1]}`) |"
        )
    out.append(f"| Longest test of the run (no test waits unbounded) | {s['longest_test']:.1f} s |")
    out += ["", "| Input kind audited | Audits |", "|---|---|"]
    for kind, n in sorted(s["inputs_by_kind"].items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"| {kind} | {n} |")
    out += ["", "| Export format (written, read back by its standard reader, compared) | "
            "Exports | Rows |", "|---|---|---|"]  # fmt: skip
    for fmt in (".csv", ".tsv", ".parquet", ".sdf", ".xlsx"):
        out.append(f"| {fmt} | {s['exports'].get(fmt, 0)} | {s['export_rows'].get(fmt, 0)} |")
    kinds = list(KINDS) + sorted(set(s["injected"]) - set(KINDS))
    out += ["", "| Fault injected | Injected | Survived |", "|---|---|---|"]
    for kind in kinds:
        out.append(f"| {kind} | {s['injected'].get(kind, 0)} | {s['survived'].get(kind, 0)} |")
    total_in, total_ok = sum(s["injected"].values()), sum(s["survived"].values())
    out.append(f"| **all** | **{total_in}** | **{total_ok}** |")
    codes = ", ".join(f"{k} {n}" for k, n in s["error_codes"].most_common())
    out += ["", f"Error rows by code across those audits: {codes}."]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", help="directory to keep the JSON lines and JUnit XML in")
    parser.add_argument(
        "--files", nargs="+", default=list(FILES),
        help="test file patterns under tests/ (default: every reliability file)",
    )  # fmt: skip
    args, extra = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        log, xml = folder / "faults.jsonl", folder / "junit.xml"
        log.unlink(missing_ok=True)
        code, seconds = run_tests(log, xml, extra, tuple(args.files))
        lines = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
        print()
        print(table(summarize(lines), junit_totals(xml), seconds))
    sys.exit(code)


if __name__ == "__main__":
    main()
