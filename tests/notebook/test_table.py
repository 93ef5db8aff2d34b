"""The kernel-side table model: paging, sorting, filters, selection (no browser)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from molaudit.notebook.table import TableModel, json_safe

# hand-checked: which of these contain a phenol OH (c[OX2H])
MOLS = [
    ("CCO", "ethanol", "ok", 46.07, False),
    ("c1ccccc1O", "phenol", "ok", 94.11, True),
    ("CC(=O)Nc1ccc(O)cc1", "paracetamol", "warning", 151.16, True),
    ("CC(=O)Oc1ccccc1C(=O)O", "aspirin", "ok", 180.16, False),
    ("not a smiles", "broken", "error", np.nan, False),
    ("Oc1ccc(cc1)C(C)(C)c1ccc(O)cc1", "bisphenol A", "warning", 228.29, True),
    ("CCN(CC)CC", "<img src=x onerror=alert(1)>", "ok", 101.19, False),
]


@pytest.fixture
def frame() -> pd.DataFrame:
    # input rows deliberately not equal to positions (as after a filtered/reordered table)
    return pd.DataFrame(
        {
            "row": [10, 11, 12, 13, 14, 15, 16],
            "id": [m[1] for m in MOLS],
            "status": [m[2] for m in MOLS],
            "smiles": [m[0] for m in MOLS],
            "mw": [m[3] for m in MOLS],
        }
    )


def test_paging_covers_every_row_once(frame):
    model = TableModel(frame, page_size=3)
    assert model.n_pages == 3
    seen = []
    for page in range(model.n_pages):
        seen += model.page_rows(page)
    assert seen == frame["row"].tolist()
    model.page = 99  # clamped, not an error: the front end may race ahead
    assert model.page == 2
    assert model.page_rows() == [16]
    model.page_size = 5
    assert model.n_pages == 2
    assert model.page == 1  # keeps the first visible row (row 6 -> page 1 of size 5)


def test_sort_numeric_missing_last_both_directions(frame):
    model = TableModel(frame)
    model.sort("mw")
    assert model.view_rows.tolist() == [10, 11, 16, 12, 13, 15, 14]
    model.sort("mw", ascending=False)
    assert model.view_rows.tolist() == [15, 13, 12, 16, 11, 10, 14]
    model.sort(None)
    assert model.view_rows.tolist() == list(range(10, 17))


def test_sort_text_matches_python_sorted(frame):
    model = TableModel(frame)
    model.sort("id")
    expected = sorted(frame["id"])
    assert model.frame.iloc[model.view]["id"].tolist() == expected
    model.sort("id", ascending=False)
    assert model.frame.iloc[model.view]["id"].tolist() == expected[::-1]


def test_status_range_text_filters_combine(frame):
    model = TableModel(frame)
    model.set_filters(status=["warning"])
    assert model.view_rows.tolist() == [12, 15]
    model.set_filters(ranges={"mw": (150, 200)})
    assert model.view_rows.tolist() == [12]
    model.set_filters(status=None)
    assert model.view_rows.tolist() == [12, 13]
    model.set_filters(ranges={"mw": (None, 100)}, text=None)
    # NaN never passes a range filter
    assert model.view_rows.tolist() == [10, 11]
    model.clear_filters()
    model.set_filters(text="PHEN")  # case-insensitive substring in id/smiles
    assert model.view_rows.tolist() == [11, 15]
    model.set_filters(text="onerror")
    assert model.view_rows.tolist() == [16]


def test_smarts_filter_finds_phenols(frame):
    model = TableModel(frame)
    model.set_filters(smarts="c[OX2H]")
    expected = frame["row"][[m[4] for m in MOLS]].tolist()
    assert model.view_rows.tolist() == expected == [11, 12, 15]
    # cached per pattern and combined with other filters
    model.set_filters(status=["ok"])
    assert model.view_rows.tolist() == [11]


def test_row_filter_and_sort_compose(frame):
    model = TableModel(frame)
    model.set_filters(rows=[16, 11, 13, 999])
    model.sort("mw", ascending=False)
    assert model.view_rows.tolist() == [13, 16, 11]
    assert model.page_frame()["id"].tolist() == ["aspirin", frame["id"][6], "phenol"]


def test_filter_resets_page(frame):
    model = TableModel(frame, page_size=2)
    model.page = 2
    model.set_filters(status=["ok", "warning"])
    assert model.page == 0


def test_selection_uses_input_rows(frame):
    model = TableModel(frame)
    got = []
    model.on_selection.append(got.append)
    model.select([11, 12, 500])
    assert model.selection == [11, 12]
    model.select([13], mode="add")
    model.select([11], mode="remove")
    model.select([12, 14], mode="toggle")
    assert model.selection == [13, 14]
    model.set_filters(status=["warning"])
    model.select_filtered()
    assert model.selection == [12, 15]
    model.clear_selection()
    assert got == [[11, 12], [11, 12, 13], [12, 13], [13, 14], [12, 15], []]


def test_page_records_are_json_safe(frame):
    model = TableModel(frame)
    model.set_filters(status=["error"])
    (rec,) = model.page_records()
    assert rec == {
        "row": 14,
        "id": "broken",
        "status": "error",
        "smiles": "not a smiles",
        "mw": None,
    }
    assert json_safe(np.int64(3)) == 3 and type(json_safe(np.int64(3))) is int
    assert json_safe(pd.NA) is None
    assert json_safe(float("inf")) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"status": ["ok"], "ranges": {"nope": (0, 1)}}, "ranges: column 'nope' not found"),
        ({"ranges": {"id": (0, 1)}}, "column 'id' is not numeric"),
        ({"ranges": {"mw": (0,)}}, r"ranges\['mw'\] must be \(low, high\)"),
        ({"ranges": {"mw": ("a", 1)}}, "bounds must be numbers or None"),
        ({"smarts": "c1ccc("}, "smarts must be a valid SMARTS pattern"),
    ],
)
def test_bad_filters_raise_naming_the_parameter(frame, kwargs, match):
    model = TableModel(frame)
    with pytest.raises(ValueError, match=match):
        model.set_filters(**kwargs)


def test_bad_constructor_arguments(frame):
    with pytest.raises(ValueError, match="page_size must be an integer from 1 to 1000"):
        TableModel(frame, page_size=0)
    with pytest.raises(ValueError, match="columns: column 'x' not found"):
        TableModel(frame, columns=["x"])
    with pytest.raises(ValueError, match="frame must be a pandas DataFrame"):
        TableModel([1, 2])
    with pytest.raises(ValueError, match="mode must be 'replace'"):
        TableModel(frame).select([1], mode="xor")
    with pytest.raises(ValueError, match="sort column: column 'zz' not found"):
        TableModel(frame).sort("zz")


def test_empty_table_has_one_empty_page():
    model = TableModel(pd.DataFrame({"row": [], "smiles": []}))
    assert (model.n_pages, model.n_filtered, model.page_records()) == (1, 0, [])


def test_large_table_pages_fast():
    import time

    n = 200_000
    rng = np.random.default_rng(1)
    big = pd.DataFrame(
        {
            "row": np.arange(n),
            "id": [f"M{i}" for i in range(n)],
            "status": rng.choice(["ok", "warning", "error"], n),
            "mw": rng.normal(350, 60, n),
        }
    )
    model = TableModel(big)
    t0 = time.perf_counter()
    model.page_records()
    model.sort("mw")
    model.page = 7
    recs = model.page_records()
    elapsed = time.perf_counter() - t0
    mws = [r["mw"] for r in recs]
    assert mws == sorted(mws)
    assert mws == np.sort(big["mw"].to_numpy())[350:400].tolist()
    assert elapsed < 1.0


def test_smarts_on_a_small_part_of_a_large_table_loops_without_a_library() -> None:
    """2,500 of 12,000 rows: a loop (~50 us a molecule) instead of building a library over
    all 12,000 (~430 us a molecule); the answer is the plain HasSubstructMatch loop's."""
    from rdkit import Chem

    from molaudit.notebook.table import LIBRARY_MIN_ROWS, TableModel

    pool = ["c1ccccc1O", "CCO", "c1ccncc1", "CCN", "C1CC1C(=O)O", "ClC(Cl)Cl"]
    smiles = [pool[i % len(pool)] for i in range(12_000)]
    model = TableModel(pd.DataFrame({"row": np.arange(12_000), "smiles": smiles}))
    positions = np.arange(0, 12_000, 12_000 // 2_500)[:2_500]
    assert LIBRARY_MIN_ROWS <= len(positions) < 12_000 // 4
    model.match_smarts("[#7]", positions)
    assert model._substructure_index is None  # no library was built
    query = Chem.MolFromSmarts("[#7]")
    expected = [Chem.MolFromSmiles(smiles[p]).HasSubstructMatch(query) for p in positions]
    assert (model._smarts_known("[#7]")[positions] == 1).tolist() == expected
