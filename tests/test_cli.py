"""The command line: exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from molaudit.cli import main

BAD = Path(__file__).parent / "data" / "bad"


def test_audit_writes_table_and_analytics(tmp_path, cache_dir, capsys):
    out = tmp_path / "out.csv"
    code = main(
        [
            "audit",
            str(BAD / "unparsable.csv"),
            "-o",
            str(out),
            "--n-jobs",
            "1",
            "--cache-dir",
            str(cache_dir),
            "--no-progress",
            "--analytics",
            "dedup,statistics",
        ]
    )
    assert code == 0
    table = pd.read_csv(out)
    assert len(table) == 7 and "status" in table.columns
    assert (tmp_path / "out.csv.dedup.groups_exact.csv").exists()
    assert (tmp_path / "out.csv.statistics.quality.csv").exists()
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_status"]["error"] == 5


def test_json_report_and_fail_on_error(tmp_path, cache_dir):
    report = tmp_path / "report.json"
    code = main(
        [
            "audit",
            str(BAD / "unparsable.csv"),
            "-o",
            str(report),
            "--n-jobs",
            "1",
            "--no-cache",
            "--no-progress",
            "--fail-on-error",
        ]
    )
    assert code == 3
    assert json.loads(report.read_text())["n_rows"] == 7


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "missing.csv"), "--no-progress"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert (
        main(
            [
                "audit",
                str(BAD / "unparsable.csv"),
                "--smiles-col",
                "smile",
                "--no-progress",
                "--no-cache",
            ]
        )
        == 2
    )
    assert "did you mean 'smiles'" in capsys.readouterr().err


def test_cache_commands(cache_dir, capsys):
    assert main(["cache", "info", "--cache-dir", str(cache_dir)]) == 0
    assert json.loads(capsys.readouterr().out)["directory"] == str(cache_dir)
    assert main(["cache", "prune", "--cache-dir", str(cache_dir)]) == 0
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "molaudit.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.startswith("molaudit ")
