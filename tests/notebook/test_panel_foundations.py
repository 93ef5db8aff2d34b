"""Panel foundations without a browser: lazy tabs, labels, data problems shown, drawings."""

from __future__ import annotations

import base64
import warnings

import pandas as pd
import pytest
from rdkit import Chem

from molaudit.notebook.depict import drawing_size, smarts_atoms
from molaudit.notebook.panel import Panel
from molaudit.notebook.table_widget import MoleculeTable


@pytest.fixture(scope="module")
def flawed():
    """Four records, each with a problem worked out by hand."""
    import molaudit

    df = pd.DataFrame(
        {
            "smiles": [
                "CCO",  # ethanol: fine, 3 heavy atoms
                "C1CC(N",  # unclosed ring and parenthesis: a parse error
                "CC(=O)Nc1ccc(O)cc1",  # paracetamol, activity censored '>10'
                "CCCCCCCCCCCCCCCCCCCC(=O)O",  # a long chain: Brenk 'Aliphatic_long_chain'
            ],
            "id": ["ethanol", "broken", "paracetamol", "arachidic"],
            "ki": ["5", "7", ">10", "n/a"],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(
            df, activity_col="ki", activity_units="nM", n_jobs=1, cache=False, progress=False
        )


def test_tabs_build_lazily(batch):
    panel = Panel(batch)
    assert panel.slots[0].children  # the Overview is shown at once
    assert all(not slot.children for slot in panel.slots[1:])
    assert panel.views.built == {}
    index = panel.tabs.titles.index("Statistics")
    panel.tabs.selected_index = index  # what a click on the tab does
    assert panel.slots[index].children and set(panel.views.built) == {"statistics"}
    assert panel.views["dedup"] is panel.views["dedup"]  # built once, on first access
    assert panel.slots[panel.tabs.titles.index("Duplicates")].children
    assert panel.table is not None and panel.slots[1].children == (panel.table,)


def test_overview_shows_errors_alerts_and_activity_problems(flawed):
    panel = Panel(flawed)
    text = panel.slots[0].children[0].children[0].value
    # the error row: input text, stage, code and RDKit's message
    assert "C1CC(N" in text and "parse_error" in text
    message = flawed.table.loc[1, "error_message"]
    assert message and message.split(" for input")[0][:30] in text
    # the alert is named
    assert "Brenk: Aliphatic_long_chain" in text
    # the censored and the non-numeric activity are counted
    assert "1 censored" in text and "1 not a number" in text
    assert "Activity (nM)" in text


def test_table_labels_flags_and_error_input(flawed):
    table = MoleculeTable(flawed.table, activity_units="nM")
    assert table.column_labels["mw"] == "Molecular weight (Da)"
    assert table.column_labels["tpsa"] == "TPSA (Å²)"
    assert table.column_labels["activity"] == "Activity (nM)"
    assert table.column_tips["mw"].startswith("mw: ")
    shown = dict(zip(table.row_ids, table.cell_display, strict=True))
    assert shown[2]["activity"][:2] == ["> 10", "censored"]
    assert shown[3]["activity"][:2] == ["not a number", "invalid"]
    assert shown[1]["smiles"][:2] == ["C1CC(N", "input"]  # the error row shows its input
    assert "error_message" in table.columns and "check_messages" in table.columns
    rec = table.rows[table.row_ids.index(3)]
    assert "Aliphatic_long_chain" in rec["check_messages"]


def test_column_chooser_changes_the_page(flawed):
    table = MoleculeTable(flawed.table)
    table.columns = ["id", "std_smiles", "error_message"]  # as the front end sets it
    assert set(table.rows[0]) == {"id", "std_smiles", "error_message"}
    table.columns = ["id", "no_such_column"]
    assert "no_such_column" in table.error


def _svg(uri: str) -> str:
    return base64.b64decode(uri.split(",", 1)[1]).decode()


def test_drawings_sized_to_the_molecule_and_highlighted(flawed):
    table = MoleculeTable(flawed.table)
    sizes = dict(zip(table.row_ids, table.image_sizes, strict=True))
    assert sizes[0][0] < sizes[2][0] < sizes[3][0]  # 3 < 11 < 23 heavy atoms
    assert drawing_size(3) == (126, 90) and drawing_size(200) == (320, 230)
    # flagged atoms (the Brenk chain) drawn in orange
    images = dict(zip(table.row_ids, table.images, strict=True))
    assert "#FFB259" in _svg(images[3][0]).upper()
    assert "#FFB259" not in _svg(images[0][0]).upper()
    # a SMARTS filter highlights its match (RDKit's match as the oracle) in blue
    table.smarts_filter = "c1ccccc1O"
    assert table.row_ids == [2]
    mol = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")
    expected = {i for m in mol.GetSubstructMatches(Chem.MolFromSmarts("c1ccccc1O")) for i in m}
    assert set(smarts_atoms("CC(=O)Nc1ccc(O)cc1", "c1ccccc1O")) == expected
    assert "#8CBFFF" in _svg(table.images[0][0]).upper()
