"""``molaudit curate`` and ``molaudit compare``: outputs, the recipe round trip, exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from molaudit.cli import main

ROWS = pd.DataFrame(
    {
        "smiles": ["NCc1cccc2ccccc12", "NCc1cccc2ccccc12.Cl", "CCN(CC)CC", "CCN(CC)CC", "c1ccncc1"],
        # 10 and 20 nM agree (p 8 and 7.70: median 7.85); 1 nM vs 10 µM contradict (9 vs 5)
        "Ki_nM": ["10", "20", "1", "10000", ">100"],
    }
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    ROWS.to_csv(a, index=False)
    pd.DataFrame({"smiles": ["NCc1cccc2ccccc12", "c1ccc(-c2ccncc2)cc1"]}).to_csv(b, index=False)
    return {"a": a, "b": b, "dir": tmp_path}


def test_curate_writes_table_decisions_and_recipe(files, capsys) -> None:
    out = files["dir"] / "curated.csv"
    argv = ["curate", str(files["a"]), "-o", str(out), "--activity-col", "Ki_nM",
            "--activity-units", "nM", "--n-jobs", "1", "--no-cache"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    # naphthylmethylamine kept (salt form merged), triethylamine contradictory, pyridine
    # censored only: 1 kept of 3 compounds
    assert summary["decisions"]["kept"] == 1
    assert summary["decisions"]["contradictory"] == 1
    assert summary["decisions"]["censored only"] == 1
    table = pd.read_csv(out)
    assert table["rows"].tolist() == ["0;1"]
    assert table["activity"].tolist() == pytest.approx([(8 + 9 - 1.3010299956639813) / 2])
    decisions = pd.read_csv(out.with_name("curated.csv.decisions.csv"))
    assert decisions["row"].tolist() == [0, 1, 2, 3, 4]
    recipe = out.with_name("curated.csv.recipe.json")
    # the recipe reproduces the same table from the same input
    out2 = files["dir"] / "again.csv"
    argv = ["curate", str(files["a"]), "--recipe", str(recipe), "-o", str(out2), "--n-jobs",
            "1", "--no-cache"]  # fmt: skip
    assert main(argv) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out2), table)


def test_compare_prints_and_writes(files, capsys) -> None:
    out = files["dir"] / "cmp.csv"
    argv = ["compare", str(files["a"]), str(files["b"]), "-o", str(out), "--n-jobs", "1",
            "--no-cache"]  # fmt: skip
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    # row 0 of b is row 0 of a (similarity 1); phenylpyridine is not within 0.7 of anything
    assert summary["within_0.9"] == {"count": 1, "fraction": 0.5}
    nearest = pd.read_csv(out)
    assert nearest["similarity"].iloc[0] == 1.0 and nearest["ref_row"].iloc[0] == 0
    assert out.with_name("cmp.csv.scaffolds.csv").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["curate", "missing.csv", "-o", "x.csv"], "does not exist"),
        (["curate", "{a}", "-o", "x.xlsx"], "-o must end in"),
        (["compare", "{a}", "missing.csv"], "does not exist"),
        (["compare", "{a}", "{b}", "-o", "x.sdf"], "-o must end in"),
        (["curate", "{a}", "--recipe", "nope.json", "-o", "x.csv"], "recipe file"),
    ],
)
def test_bad_usage_exits_2(files, capsys, argv, message) -> None:
    argv = [a.format(a=files["a"], b=files["b"]) for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_missing_output_is_an_argparse_error(files, capsys) -> None:
    with pytest.raises(SystemExit, match="2"):
        main(["curate", str(files["a"])])
    assert "-o/--output" in capsys.readouterr().err
