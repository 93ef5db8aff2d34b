"""The command line: exit codes and outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from molaudit.cli import main

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

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
    cache_dir.mkdir()
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


def _timed_main(argv: list[str]) -> tuple[int, float]:
    import time

    t0 = time.perf_counter()
    code = main(argv)
    return code, time.perf_counter() - t0


def test_bad_arguments_fail_before_any_work_and_create_nothing(tmp_path, capsys, monkeypatch):
    import molaudit.api

    def no_audit(*args, **kwargs):  # the audit must never start for a bad argument
        raise AssertionError("the audit started")

    monkeypatch.setattr(molaudit.api, "audit", no_audit)
    data = str(BAD / "unparsable.csv")
    missing = tmp_path / "nonexistent_dir"
    cases = [
        (["-o", str(tmp_path / "out.foo")], "unsupported suffix '.foo'"),
        (["-o", str(missing / "out.csv")], "does not exist"),
        (["--analytics", "dedupp"], "unknown analytic 'dedupp'. Did you mean 'dedup'"),
        (["--n-jobs", "0"], "--n-jobs must be"),
    ]
    for extra, message in cases:
        code, seconds = _timed_main(["audit", data, "--no-progress", "--no-cache", *extra])
        assert code == 2, extra
        assert message in capsys.readouterr().err, extra
        assert seconds < 5, (extra, seconds)  # refused at once, not after an audit
    assert not missing.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written at all


def test_cache_info_on_a_missing_directory_fails_and_creates_nothing(tmp_path, capsys):
    typo = tmp_path / "typo"
    for action in ("info", "clear", "prune"):
        assert main(["cache", action, "--cache-dir", str(typo)]) == 2
        assert "no such directory" in capsys.readouterr().err
    assert not typo.exists()


def test_subcommand_table_accepts_a_new_command(capsys, monkeypatch):
    from molaudit import cli

    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))
    cli.register_subcommand(
        "hello", "say hello", lambda p: p.add_argument("name"), lambda a: print(a.name) or 0
    )
    assert cli.main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "world\n"
