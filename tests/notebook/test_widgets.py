"""Widgets without a browser: the table widget's traits, the panel, analytic tabs, plots."""

from __future__ import annotations

import html
import threading

import ipywidgets as widgets
import numpy as np
import pandas as pd
import pytest

from molaudit.analytics import REGISTRY, AnalyticResult, register
from molaudit.notebook.analytic_view import AnalyticView, parse_params, rows_of_frame
from molaudit.notebook.panel import Panel
from molaudit.notebook.table_widget import MoleculeTable


def browser_sends(fig, kind: str, indices=(), curve: int = 0, **extra) -> None:
    """Deliver what plot.js sends after a gesture, through ipywidgets' custom-message path."""
    content = {"type": kind, **extra}
    buffers = []
    if kind == "selection":
        content["curves"] = [curve]
        buffers = [np.asarray(indices, dtype=np.int32).tobytes()]
    elif kind in ("click", "hover"):
        content.update(curve=curve, index=int(indices[0]))
    fig._handle_custom_msg(content, buffers)


def test_table_widget_syncs_one_page(batch):
    table = MoleculeTable(batch.table, page_size=10)
    assert (table.n_total, table.n_filtered, table.n_pages) == (64, 64, 7)
    assert len(table.rows) == len(table.images) == 10
    assert table.row_ids == list(range(10))
    assert table.image_columns == ["smiles"]
    assert all(len(u) == 1 and u[0].startswith("data:image/svg+xml;base64,") for u in table.images)
    # the front end changes traits; the kernel answers with the page
    table.page = 6
    assert table.row_ids == [60, 61, 62, 63]
    table.sort_by = "mw"
    table.sort_ascending = False
    mws = [r["mw"] for r in table.rows]
    assert table.page == 0 and mws == sorted(mws, reverse=True)
    assert mws[0] == batch.table["mw"].max()
    table.status_filter = ["error"]
    assert table.n_filtered == 1 and table.rows[0]["id"] == "bad-valence"
    # the error row has no parsed SMILES; its input is drawn unsanitized instead
    import base64

    svg = base64.b64decode(table.images[0][0].split(",", 1)[1]).decode()
    assert "no structure" not in svg and "<path" in svg
    table.status_filter = []
    table.range_filters = {"mw": [None, 200.0]}
    assert table.n_filtered == int((batch.table["mw"] <= 200).sum())
    table.range_filters = {}
    table.smarts_filter = "[Na]"  # the table's input SMILES keep the counter-ion
    assert [r["id"] for r in table.rows] == ["salt-form"]
    # any aromatic atom <=> the audit's aromatic ring count (of the parent) is positive
    table.smarts_filter = "[a]"
    expected = batch.table.loc[batch.table["aromatic_rings"] > 0, "row"].tolist()
    assert sorted(table.model.view_rows.tolist()) == expected
    assert table.error == ""


def test_table_widget_reports_bad_input_in_the_widget(batch):
    table = MoleculeTable(batch.table)
    table.smarts_filter = "c1ccc("
    assert "smarts must be a valid SMARTS pattern" in table.error
    assert table.n_filtered == 64  # the bad filter was not applied
    table.smarts_filter = ""
    assert table.error == ""


def test_table_selection_reaches_python(batch):
    got = []
    table = MoleculeTable(batch.table, on_select=got.append)
    table.selected = [3, 5, 999]
    assert got == [[3, 5]]
    table.filter_rows([5, 7], label="scaffold x")
    assert table.row_ids == [5, 7] and table.row_filter_label == "scaffold x"
    table.clear_row_filter += 1
    assert table.n_filtered == 64 and table.row_filter_label == ""
    assert repr(table) == "<molaudit MoleculeTable: 64 of 64 rows, page 1/3>"


def test_panel_tabs_and_selection(batch):
    panel = Panel(batch)
    titles = panel.tabs.titles
    assert titles[:2] == ("Overview", "Molecules")
    assert repr(panel).startswith("<molaudit Panel: 64 rows (ok ")
    assert "error 1" in repr(panel)
    panel.table.selected = [1, 2]
    assert batch.selection == [1, 2]
    panel.show_rows([4, 9], "test rows")
    assert panel.table.row_ids == [4, 9] and panel.tabs.selected_index == 1
    batch.selection = []


def test_panel_without_batch_shows_the_input_form():
    panel = Panel()
    assert repr(panel) == "<molaudit Panel: no batch yet (input form)>"
    assert panel.form is not None
    panel.form.text.value = "CCO ethanol\nc1ccccc1O phenol\n"
    data, kwargs = panel.form.data()
    assert data["smiles"].tolist() == ["CCO", "c1ccccc1O"]
    assert kwargs == {"smiles_col": "smiles", "id_col": "id"}


def test_input_form_runs_the_audit_in_the_background():
    panel = Panel()
    panel.form.text.value = "CCO ethanol\nc1ccccc1O phenol\nCCN amine\n"
    panel.form.n_jobs.value = 1
    panel.form.cache.value = False
    thread = panel.form.run()
    thread.join(60)
    assert panel.batch is not None, panel.form.message.value
    assert panel.batch.table["id"].tolist() == ["ethanol", "phenol", "amine"]
    assert panel.form.bar.value == 3 and "3 / 3" in panel.form.progress_label.value
    assert panel.tabs.titles[:2] == ("Overview", "Molecules")


@pytest.fixture
def toy_analytics():
    """Two temporary expensive analytics: one computes per-row results, one fails."""

    @register("_nbtest_points", kind="expensive", description="test: heavy atoms per row")
    def points(data, scale: float = 1.0):
        valid = data.valid
        frame = pd.DataFrame(
            {
                "row": valid["row"].to_numpy(),
                "id": valid["id"].to_numpy(),
                "value": valid["heavy_atoms"].to_numpy() * scale,
            }
        )
        return AnalyticResult(
            "_nbtest_points", frames={"values": frame}, summary={"n": len(frame), "scale": scale}
        )

    @register("_nbtest_broken", kind="expensive", description="test: always fails")
    def broken(data):
        raise RuntimeError("deliberate <b>failure</b>")

    yield
    REGISTRY.pop("_nbtest_points", None)
    REGISTRY.pop("_nbtest_broken", None)


def test_expensive_analytic_runs_in_background_and_shows_result(batch, toy_analytics):
    rows_shown = []
    view = AnalyticView(batch, "_nbtest_points", on_rows=lambda r, label: rows_shown.append(r))
    assert view.result is None  # expensive: waits for Run
    view.params.value = "scale=2"
    view.run_button.click()
    view.thread.join(30)
    assert view.result.summary == {"n": 63, "scale": 2}
    frame = view.result.frames["values"]
    expected = batch.table.loc[batch.table["status"] != "error", "heavy_atoms"] * 2
    assert frame["value"].tolist() == expected.tolist()
    assert "done in" in view.status.value
    # selecting result rows shows those input rows in the Molecules tab
    view.frame_table.selected = [0, 2]
    assert rows_shown == [[0, 2]]


def test_failing_analytic_shows_its_error_in_the_tab(batch, toy_analytics):
    view = AnalyticView(batch, "_nbtest_broken")
    view.run_button.click()
    view.thread.join(30)
    assert "_nbtest_broken failed: RuntimeError: deliberate &lt;b&gt;failure&lt;/b&gt;" in (
        view.status.value
    )
    view.params.value = "cutoff=="
    view.run_button.click()
    assert "parameters must look like" in view.status.value


def test_panel_lists_registered_analytics(batch, toy_analytics):
    panel = Panel(batch)
    assert "_nbtest_points" in panel.views
    assert "Nbtest points" in panel.tabs.titles


class _StubAnalytics:
    def __init__(self, result):
        self.result = result
        self.calls = 0

    def run(self, name, **params):
        self.calls += 1
        return self.result


class _StubBatch:
    def __init__(self, table, result):
        self.table = table
        self.analytics = _StubAnalytics(result)
        self.selection = []


def test_chemical_space_selection_reaches_batch_selection(batch):
    # an honest 2-D embedding: PCA of the unpacked fingerprints by SVD
    bits = np.unpackbits(batch.fingerprints, axis=1).astype(float)
    centred = bits - bits.mean(axis=0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    xy = u[:, :2] * s[:2]
    rows = batch.fingerprint_rows
    ids = batch.table.set_index("row").loc[rows, "id"].to_numpy()
    coords = pd.DataFrame({"row": rows, "id": ids, "x": xy[:, 0], "y": xy[:, 1]})
    stub = _StubBatch(batch.table, AnalyticResult("chemical_space", frames={"coordinates": coords}))
    shown = []
    view = AnalyticView(
        stub, "chemical_space", on_rows=lambda r, label, switch=True: shown.append((r, switch))
    )
    view.run(wait=True)
    fig = view.figure
    assert len(fig.data[0].x) == len(rows)
    # hover text is escaped: the XSS IDs arrive as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in fig.data[0].text
    assert "<img src=x onerror=alert(1)>" not in fig.data[0].text
    # what the front end sends after a lasso selection of points 0, 5 and 7
    browser_sends(fig, "selection", [0, 5, 7], lasso={"x": [0, 1, 1], "y": [0, 0, 1]})
    expected = [int(rows[i]) for i in (0, 5, 7)]
    assert stub.selection == expected and shown == [(expected, False)]


def test_parse_params_and_rows_of_frame():
    assert parse_params("cutoff=0.35, method=butina, k = 3") == {
        "cutoff": 0.35,
        "method": "butina",
        "k": 3,
    }
    assert parse_params("") == {}
    with pytest.raises(ValueError, match="parameters must be key=value pairs"):
        parse_params("0.35")
    frame = pd.DataFrame({"group": [0, 1], "rows": ["1;4;9", "2;3"]})
    assert rows_of_frame(frame) == [1, 2, 3, 4, 9]
    assert rows_of_frame(frame, [1]) == [2, 3]
    pairs = pd.DataFrame({"row_a": [1, 5], "row_b": [7, 2]})
    assert rows_of_frame(pairs, [0]) == [1, 7]


def _html_values(widget) -> list[str]:
    out = []
    if isinstance(widget, widgets.HTML):
        out.append(widget.value)
    for child in getattr(widget, "children", ()):
        out += _html_values(child)
    return out


def test_no_raw_data_markup_in_panel_html(batch, toy_analytics):
    panel = Panel(batch)
    view = panel.views["_nbtest_points"]
    view.run(wait=True)
    texts = "\n".join(_html_values(panel))
    assert "onerror=alert(1)>" not in texts and "<script>alert" not in texts


def test_background_thread_helper_is_daemon(batch, toy_analytics):
    view = AnalyticView(batch, "_nbtest_points")
    thread = view.run()
    assert isinstance(thread, threading.Thread) and thread.daemon
    thread.join(30)


def _all_widgets(widget) -> list:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _all_widgets(child)
    return out


def test_panel_state_is_strict_json(batch):
    """The widget channel refuses NaN/inf: every widget's state must be strict JSON."""
    import json

    def binary_ok(obj):
        # numpy arrays travel as binary buffers (NaN allowed); everything else is JSON
        return "<buffer>" if isinstance(obj, memoryview | bytes) else str(obj)

    panel = Panel(batch)
    panel.tabs.selected_index = 1
    for widget in _all_widgets(panel):
        json.dumps(widget.get_state(), allow_nan=False, default=binary_ok)
    scatter = panel.property_scatter.scatter
    scatter.color.value = "activity"  # has NaN (the error row, a missing value)
    json.dumps(scatter.figure.get_state(), allow_nan=False, default=binary_ok)


def test_pair_frames_draw_both_structures(batch):
    from molaudit.notebook.analytic_view import with_structures

    pairs = pd.DataFrame({"row_1": [0, 2], "row_2": [5, 62], "similarity": [0.8, 0.7]})
    framed = with_structures(pairs, batch.table)
    smiles = batch.table.set_index("row")["smiles"]
    assert framed["smiles_2"].tolist() == [smiles[5], smiles[62]]
    table = MoleculeTable(framed)
    assert table.image_columns == ["smiles_1", "smiles_2"]
    assert [len(u) for u in table.images] == [2, 2]
    # a frame that carries its own SMILES is left alone
    assert with_structures(framed, batch.table) is framed


def test_similarity_search_tab(batch):
    panel = Panel(batch)
    assert "Similarity" in panel.tabs.titles
    search = panel.search
    search.query.value = "5"
    search.k.value = 3
    search.search()
    hits = search.table.model.frame
    assert len(hits) == 3 and 5 not in hits["row"].tolist()
    row_5 = batch.table.loc[batch.table["row"] == 5, "smiles"].iloc[0]
    assert f'alt="{html.escape(row_5, quote=True)}"' in search.message.value  # query drawn
    # brute force: Tanimoto of the packed fingerprints
    fps = np.unpackbits(batch.fingerprints, axis=1).astype(bool)
    pos = {int(r): i for i, r in enumerate(batch.fingerprint_rows)}
    q = fps[pos[5]]
    sims = {r: (q & fps[i]).sum() / (q | fps[i]).sum() for r, i in pos.items() if r != 5}
    best = sorted(sims.values(), reverse=True)[:3]
    assert np.allclose(hits["similarity"].to_numpy(), best)
    search.query.value = "not(a smiles"
    search.search()
    assert "jp-error-color1" in search.message.value


def test_large_substructure_search_runs_in_background(batch, monkeypatch):
    import molaudit.notebook.table_widget as tw

    monkeypatch.setattr(tw, "SYNC_SMARTS_LIMIT", 10)
    monkeypatch.setattr(tw, "SMARTS_CHUNK", 16)
    table = MoleculeTable(batch.table)
    notices = []
    table.observe(lambda ch: notices.append(ch["new"]), names="notice")
    table.smarts_filter = "[a]"
    assert table.search_thread is not None
    table.search_thread.join(30)
    expected = batch.table.loc[batch.table["aromatic_rings"] > 0, "row"].tolist()
    assert table.model.view_rows.tolist() == expected
    assert table.n_filtered == len(expected) and not table.busy
    assert notices[:4] == [f"substructure search: {n} / 64 rows" for n in (16, 32, 48, 64)]
    assert notices[-1] == ""


def test_input_form_cancel_shows_in_the_form(sample):
    panel = Panel()
    form = panel.form
    # distinct molecules (no cache, several chunks): the audit stops after the running chunk
    smiles = [f"{'C' * (i % 40 + 1)}O{'C' * (i // 40 + 1)}" for i in range(3000)]
    form.text.value = "\n".join(smiles)
    form.n_jobs.value = 1
    form.cache.value = False
    thread = form.run()
    form.cancel()
    thread.join(120)
    assert "cancelled" in form.message.value
    assert panel.batch is None and not form.run_button.disabled


def test_export_buttons_download_in_the_browser(batch, tmp_path, monkeypatch):
    panel = Panel(batch)
    bar = panel.export_bar
    name, *buttons, save_copy, status, downloader = bar.children
    sent = []
    monkeypatch.setattr(
        downloader, "send", lambda content, buffers: sent.append((content, buffers))
    )
    monkeypatch.chdir(tmp_path)

    # the export itself is export.py's (tested there); this test is about the download path
    def export(path):
        batch.table.to_csv(path, index=False)
        return path

    monkeypatch.setattr(batch, "export", export, raising=False)
    name.value = "out"
    csv_button = next(b for b in buttons if b.description == "CSV")
    csv_button.click()
    for _ in range(200):
        if status.value.startswith(("sent", "<span")):
            break
        threading.Event().wait(0.05)
    assert status.value.startswith("sent"), status.value
    ((content, buffers),) = sent
    assert content == {"type": "download", "filename": "out.csv", "mime": "text/csv"}
    import io

    written = pd.read_csv(io.BytesIO(bytes(buffers[0])))
    assert written["id"].tolist() == batch.table["id"].tolist()
    assert not (tmp_path / "out.csv").exists()  # nothing written next to the notebook
    # the kernel-side copy is optional
    save_copy.value = True
    status.value = ""
    csv_button.click()
    for _ in range(200):
        if status.value.startswith(("sent", "<span")):
            break
        threading.Event().wait(0.05)
    assert "saved" in status.value and (tmp_path / "out.csv").exists()
