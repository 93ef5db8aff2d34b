"""%molaudit / %%molaudit through a real IPython shell (no notebook)."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from molaudit.notebook.magics import MolauditMagics, parse_smiles_block


def test_line_magic_audits_a_variable_and_binds_the_batch(shell, sample):
    shell.user_ns["nbtest_df"] = sample.head(8)
    shell.run_line_magic(
        "molaudit", "nbtest_df --id-col compound_id --n-jobs 1 --no-cache -q -o nbtest_b"
    )
    batch = shell.user_ns["nbtest_b"]
    assert batch.table["id"].tolist() == sample["compound_id"].head(8).tolist()
    assert batch.table["row"].tolist() == list(range(8))
    assert batch.columns["id"] == "compound_id"


def test_line_magic_reads_a_file_and_shows_the_panel(shell, capsys, sample_path):
    with pytest.warns(UserWarning, match="1 of 64 records failed"):
        shell.run_line_magic("molaudit", f"'{sample_path}' --n-jobs 1 --no-cache")
    batch = shell.user_ns["_molaudit"]  # the default name
    assert len(batch.table) == 64
    assert (batch.table["status"] == "error").sum() == 1  # the pentavalent carbon
    out = capsys.readouterr().out
    assert "<molaudit Panel: 64 rows (ok" in out and "tabs: Overview, Molecules" in out


def test_cell_magic_parses_smiles_id_activity(shell):
    with pytest.warns(UserWarning, match="1 of 3 records failed"):
        shell.run_cell_magic(
            "molaudit",
            "--n-jobs 1 --no-cache -q -o nbtest_cell",
            "# comment\nCCO ethanol 5.1\n\nc1ccccc1O phenol 6.2\nC(C)(C)(C)(C)C broken\n",
        )
    table = shell.user_ns["nbtest_cell"].table
    assert table["id"].tolist() == ["ethanol", "phenol", "broken"]
    assert table["status"].tolist()[:2] != ["error", "error"]
    assert table["status"].tolist()[2] == "error"
    assert table["activity"].tolist()[:2] == [5.1, 6.2]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("", "needs DATA"),
        ("no_such_variable", "no variable or file named 'no_such_variable'"),
        ("missing/file.csv", "file 'missing/file.csv' not found"),
        ("nbtest_df -o 1bad", "must be a Python identifier"),
        ("nbtest_df --n-jobs 0", "--n-jobs must be -1 or a positive integer"),
        ("nbtest_df --n-jobs two", "invalid int value"),
        ("nbtest_df --bogus", "unrecognized arguments: --bogus"),
        ("nbtest_df --analytics nope", "unknown analytic"),
        ("nbtest_df --smiles-col smile -q --no-cache --n-jobs 1", "smile"),
    ],
)
def test_bad_line_options_raise_usage_error(shell, sample, line, match):
    shell.user_ns["nbtest_df"] = sample.head(3)
    with pytest.raises(UsageError, match=match):
        shell.run_line_magic("molaudit", line)


def test_cell_magic_rejects_data_argument_and_empty_body(shell):
    with pytest.raises(UsageError, match="leave out DATA"):
        shell.run_cell_magic("molaudit", "something", "CCO\n")
    with pytest.raises(UsageError, match="no SMILES lines"):
        shell.run_cell_magic("molaudit", "", "# only a comment\n")


def test_help_documents_every_option():
    doc = MolauditMagics.molaudit.__doc__
    for option in (
        "--smiles-col",
        "--id-col",
        "--activity-col",
        "--n-jobs",
        "--no-cache",
        "--analytics",
        "-o",
        "%%molaudit",
    ):
        assert option in doc


def test_parse_smiles_block_shapes():
    assert parse_smiles_block("CCO\nCCN").columns.tolist() == ["smiles"]
    frame = parse_smiles_block('CCO "ethyl alcohol" <5\nCCN')
    assert frame["smiles"].tolist() == ["CCO", "CCN"]
    assert frame["id"].iloc[0] == "ethyl alcohol" and pd.isna(frame["id"].iloc[1])
    assert frame["activity"].tolist() == ["<5", ""]


def test_package_extension_entry_point(shell):
    import molaudit

    # %load_ext molaudit goes through the package's hook, which must reach ours
    molaudit.load_ipython_extension(shell)
    assert "molaudit" in shell.magics_manager.magics["line"]
    assert "molaudit" in shell.magics_manager.magics["cell"]
