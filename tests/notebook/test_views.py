"""The analytic views on small real batches: what they draw, escaping, refusals, numbers.

Expected values are worked out by hand (the reason is next to each) or computed with RDKit
independently of the code under test.
"""

from __future__ import annotations

import base64
import re
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from molaudit.notebook.views import VIEWS, ViewContext, render_html
from molaudit.notebook.views._common import fmt, pair_card, rows_list
from molaudit.notebook.views._draw import (
    MAX_DRAW_HEAVY_ATOMS,
    _svg,
    changed_atoms,
    draw,
    mcs_difference,
    minify_svg,
)
from molaudit.notebook.views.chemspace import axis_titles
from molaudit.notebook.views.rgroups import r_positions, sar_matrix

XSS = ("<img src=x onerror=alert(1)>", "<script>alert('x')</script>")

# A hand-made batch: ethanol measured twice (10 nM and 1 uM: pActivity 8 and 6, a 2-log
# disagreement), acetic acid with a censored value, its sodium salt, phenol, an XSS ID.
MINI = pd.DataFrame(
    {
        "smiles": ["CCO", "OCC", "CC(=O)O", "CC(=O)[O-].[Na+]", "c1ccccc1O", "CCCl"],
        "id": ["eth-a", "eth-b", "acid", "acid-Na", "phenol", XSS[0]],
        "ic50_nM": ["10", "1000", ">10000", "50", "200", "5"],
    }
)


@pytest.fixture(scope="module")
def mini():
    import molaudit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(
            MINI,
            smiles_col="smiles",
            id_col="id",
            activity_col="ic50_nM",
            activity_units="nM",
            n_jobs=1,
            cache=False,
            progress=False,
        )


# four toluenes: R1 (ortho) H or Cl, R2 methyl or ethyl; activities by hand (nM -> pActivity):
# 100 nM -> 7, 10 nM -> 8, 1000 nM -> 6, 1000 nM -> 6
TOLUENES = pd.DataFrame(
    {
        "row": [0, 1, 2, 3],
        "id": list("abcd"),
        "smiles": ["c1ccccc1C", "c1ccccc1CC", "Clc1ccccc1C", "Clc1ccccc1CC"],
        "activity": [100.0, 10.0, 1000.0, 1000.0],
    }
)
TOLUENES_DEC = pd.DataFrame(
    {
        "row": [0, 1, 2, 3],
        "Core": ["c1ccc([*:2])c([*:1])c1"] * 4,
        "R1": ["[H][*:1]", "[H][*:1]", "Cl[*:1]", "Cl[*:1]"],
        "R2": ["C[*:2]", "CC[*:2]", "C[*:2]", "CC[*:2]"],
        "R3": ["[H][*:3]"] * 4,  # one group only: the least varied position
    }
)


def _imgs(text: str) -> list[str]:
    return re.findall(r"<img src=\"data:image/svg\+xml;base64,([^\"]+)\"", text)


def _no_raw_xss(text: str) -> None:
    for raw in XSS:
        assert raw not in text


# ---------------------------------------------------------------------- drawings
def test_minified_drawing_is_valid_svg_and_much_smaller():
    from rdkit import Chem
    from rdkit.Chem.Draw import rdMolDraw2D

    mol = Chem.MolFromSmiles("Cc1cc(OCc2c(-c3c(Cl)cccc3Cl)noc2C(C)C)cc(C)c1/C=C/c1cccc(C(=O)O)c1")
    d = rdMolDraw2D.MolDraw2DSVG(150, 110, -1, -1, True)
    rdMolDraw2D.PrepareAndDrawMolecule(d, mol)
    d.FinishDrawing()
    raw = d.GetDrawingText()
    small = minify_svg(raw)
    root = ET.fromstring(small)  # still well-formed XML
    assert root.tag.endswith("svg")
    assert len(small) < len(raw) / 2
    # the same strokes: every bond colour of the original is still drawn
    assert set(re.findall(r"stroke:(#[0-9A-F]{6})", raw)) <= set(
        re.findall(r"(#[0-9A-F]{6})", small)
    )


def test_refused_and_oversized_rows_get_placeholders_not_drawings():
    assert "not drawn: too_large" in draw("C" * 5000, refused="too_large")
    # over the limit by length: never parsed
    assert "<img" not in draw("C" * 5000) and "heavy atoms" in draw("C" * 5000)
    # over the limit by the audit's heavy-atom count
    big = draw("CCO", heavy_atoms=MAX_DRAW_HEAVY_ATOMS + 1)
    assert "<img" not in big and f"&gt; {MAX_DRAW_HEAVY_ATOMS} heavy atoms" in big
    assert "<img" in draw("CCO")
    # data strings in the placeholder and tooltip are escaped
    assert XSS[0] not in draw("CCO", title=XSS[0]) and XSS[0] not in draw("", refused=XSS[0])


def test_changed_atoms_is_the_part_outside_the_constant():
    # phenyl-CH2CH2OH against the constant [*:1]c1ccccc1: the changed part is C-C-O, atoms
    # 6, 7, 8 in SMILES order
    assert changed_atoms("c1ccccc1CCO", "[*:1]c1ccccc1") == [6, 7, 8]
    # a constant that does not occur: nothing is guessed
    assert changed_atoms("CCO", "[*:1]c1ccncc1") == []


def test_mcs_difference_highlights_the_differing_atom():
    # 2-phenylethanol vs 2-phenylethylamine: the MCS is the phenyl-ethyl; only O / N differ
    assert mcs_difference("c1ccccc1CCO", "c1ccccc1CCN") == ([8], [8])


def test_rows_cells_accept_lists_arrays_and_the_old_text_form():
    assert rows_list([3, 1]) == [3, 1]
    assert rows_list(np.array([2, 5])) == [2, 5]
    assert rows_list("0;2;11") == [0, 2, 11]
    assert rows_list(None) == [] and rows_list(float("nan")) == []


def test_numbers_are_formatted_for_reading():
    assert fmt(0.07709376006058309) == "0.0771"
    assert fmt(12345.678) == "12,346"
    assert fmt(3.0) == "3" and fmt(float("nan")) == "–" and fmt(-1.5) == "−1.50"


# ---------------------------------------------------------------------- views
def test_duplicate_cards_show_members_activity_and_spread(mini):
    result = mini.analytics.run("dedup")
    text = render_html("dedup", result, ViewContext.of(mini))
    # ethanol twice (CCO, OCC): one exact group of 2 members, both drawn
    exact = result.frames["groups_exact"]
    assert len(exact) == 1 and sorted(rows_list(exact["rows"].iloc[0])) == [0, 1]
    assert "Exact duplicates: 1 group" in text
    # 10 nM -> pActivity 8, 1000 nM -> 6: spread 2 log units, flagged
    assert "spread 2 log units" in text
    assert "10 nM" in text and "1,000 nM" in text
    # acetic acid and its sodium salt: a salt-form group
    assert "Salt forms" in text
    assert len(_imgs(text)) >= 4
    _no_raw_xss(text)


def test_censored_activity_is_marked_in_the_view(mini):
    ctx = ViewContext.of(mini)
    assert ctx.activity_text(2) == ">10,000 nM (censored)"
    assert ctx.activity_text(0) == "10 nM"
    # pActivity of 10 nM is 8 by definition (-log10 1e-8)
    assert ctx.p_activity(0) == pytest.approx(8.0)


def test_lle_plot_has_iso_lines_and_open_circles_for_censored(mini):
    result = mini.analytics.run("lle")
    text = render_html("lle", result, ViewContext.of(mini))
    from molaudit.notebook.views.lle import ISO_LLE

    assert text.count("stroke-dasharray") == len(ISO_LLE)
    frame = result.frames["lle"]
    n_points = int(frame["lle"].notna().sum())
    assert text.count("<circle") == n_points
    # the one censored activity (>10000 nM) is drawn hollow
    assert text.count("fill='none' stroke='#4c78a8' stroke-width='1.5'") == 1
    assert "pActivity (molar)" in text and "cLogP" in text
    _no_raw_xss(text)


def test_mmp_view_draws_transforms_and_highlighted_pairs(batch):
    result = batch.analytics.run("mmp")
    transforms = result.frames["transforms"]
    assert len(transforms) > 0
    ctx = ViewContext.of(batch)
    text = render_html("mmp", result, ctx)
    table = text.split("<h4>Example pairs</h4>")[0]
    shown = min(len(transforms), 2 * ctx.max_cards)
    # one table row per transform shown, each with the from and the to fragment drawn
    assert table.count("<td class='ma-arrow'>→</td>") == shown
    assert len(_imgs(table)) == 2 * shown
    # one strip per transform: as many dots as that transform's pairs with a delta
    pairs = result.frames["pairs"]
    import html as _html

    rows = table.split("<tr><td>")[1:]
    assert len(rows) == shown
    for row in rows:
        left, right = (_html.unescape(a) for a in re.findall(r'alt="([^"]*)"', row)[:2])
        expected = pairs.loc[pairs["transform"] == f"{left}>>{right}", "delta"].notna().sum()
        assert expected >= 1 and row.count("<circle") == expected
    # the pair drawings highlight the variable part (an orange highlight colour is in the SVG)
    pair_svgs = [base64.b64decode(u).decode() for u in _imgs(text.split("Example pairs")[1])]
    assert pair_svgs and any("#FF9E3F" in s for s in pair_svgs)
    _no_raw_xss(text)


def test_cliffs_view_links_landscape_points_to_cards(batch):
    result = batch.analytics.run("activity_cliffs", definition="sali")
    pairs = result.frames["pairs"]
    ctx = ViewContext.of(batch)
    text = render_html("activity_cliffs", result, ctx)
    # every pair is a point; the top ones are numbered and link to their card
    assert text.count("<circle") == len(pairs)
    n = min(len(pairs), ctx.max_cards)
    for i in range(1, n + 1):
        assert f"href='#ma-cliff-{i}'" in text and f"id='ma-cliff-{i}'" in text
    # the first card is the largest SALI pair (SALI = |dp| / (1 - sim), recomputed here)
    top = pairs.assign(s=pairs["delta_p"].abs() / (1 - pairs["similarity"])).sort_values("s")
    best = top.iloc[-1]
    first_card = text.split("id='ma-cliff-1'")[1].split("id='ma-cliff-2'")[0]
    assert str(batch.table.set_index("row").loc[int(best["row_1"]), "id"]) in first_card
    assert "|Δ pActivity|" in text and "nM" in first_card
    _no_raw_xss(text)


def test_rgroup_sar_matrix_means_by_hand():
    table, dec = TOLUENES, TOLUENES_DEC
    ctx = ViewContext(table, activity_units="nM")
    a, b, m = sar_matrix(dec, ctx)
    # both positions have 2 groups; each cell is one molecule: 100 nM -> 7, 10 nM -> 8,
    # 1000 nM -> 6
    assert {a, b} == {"R1", "R2"}
    cells = m.stack().to_dict()
    key = (lambda r1, r2: (r1, r2)) if a == "R1" else (lambda r1, r2: (r2, r1))
    assert cells[key("[H][*:1]", "C[*:2]")] == pytest.approx(7.0)
    assert cells[key("[H][*:1]", "CC[*:2]")] == pytest.approx(8.0)
    assert cells[key("Cl[*:1]", "CC[*:2]")] == pytest.approx(6.0)


def test_rgroups_view_draws_core_and_matrix(batch):
    result = batch.analytics.run("rgroups")
    text = render_html("rgroups", result, ViewContext.of(batch))
    dec = result.frames["decomposition"]
    assert "SAR matrix" in text and "Core" in text
    # the core plus one drawing per matrix row and column header
    _, _, m = sar_matrix(dec, ViewContext.of(batch))
    n_cols = len(m.columns) if list(m.columns) != ["–"] else 0
    assert len(_imgs(text)) == 1 + len(m.index) + n_cols


def test_scaffold_grid_counts_match_rdkit(batch):
    from collections import Counter

    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    result = batch.analytics.run("scaffolds")
    ctx = ViewContext.of(batch)
    text = render_html("scaffolds", result, ctx)
    # independent oracle: Murcko scaffolds of the parsed SMILES with RDKit directly
    valid = batch.table[batch.table["status"] != "error"]
    scaffolds = Counter(
        Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(s)))
        for s in valid["smiles"]
    )
    scaffolds.pop("", None)
    largest = max(scaffolds.values())
    assert f"<b>{largest}</b> molecules" in text
    assert len(_imgs(text)) == min(len(scaffolds), 2 * ctx.max_cards)
    assert "mean pActivity" in text


def test_similarity_heatmap_cells(batch):
    result = batch.analytics.run("similarity_matrix", rows=list(range(8)))
    text = render_html("similarity_matrix", result, ViewContext.of(batch))
    # 8 x 8 cells plus the 10 legend swatches
    assert text.count("<rect") == 64 + 10
    # the diagonal is similarity 1: the darkest colour of the scale
    assert text.count("fill='#2c7fb8'><title>") >= 8
    _no_raw_xss(text)


def test_chemical_space_axes_and_static_plot(batch):
    from molaudit.analytics import AnalyticResult

    coords = pd.DataFrame(
        {"row": [0, 1, 2], "id": ["a", "b", XSS[0]], "x": [0.0, 1.0, 2.0], "y": [1.0, 0.0, 2.0]}
    )
    result = AnalyticResult(
        "chemical_space",
        frames={"coordinates": coords},
        summary={"method": "pca", "explained_variance_ratio_xy": [0.07709376006058309, 0.05]},
        params={"method": "pca"},
    )
    assert axis_titles(result) == ("PC1 (7.7 %)", "PC2 (5.0 %)")
    text = render_html("chemical_space", result, ViewContext.of(batch, static=True))
    assert text.count("<circle") == 3 and "PC1 (7.7 %)" in text and "pActivity" in text


def test_every_view_survives_an_empty_result_and_escapes(batch):
    from molaudit.analytics import AnalyticResult

    for name in VIEWS:
        result = AnalyticResult(name, frames={}, message=XSS[1])
        text = render_html(name, result, ViewContext.of(batch))
        assert "view failed" not in text, name
        assert "&lt;script&gt;" in text and XSS[1] not in text, name


def test_a_failing_view_says_so(batch, monkeypatch):
    from molaudit.analytics import AnalyticResult
    from molaudit.notebook import views

    def broken(result, ctx):
        raise RuntimeError("bad <b>view</b>")

    monkeypatch.setitem(views.VIEWS, "dedup", broken)
    text = render_html("dedup", AnalyticResult("dedup"), ViewContext.of(batch))
    assert "the dedup view failed: RuntimeError: bad &lt;b&gt;view&lt;/b&gt;" in text


def test_panel_cliff_landscape_click_shows_the_pair(batch):
    from molaudit.notebook.analytic_view import AnalyticView
    from molaudit.notebook.plot_widget import PlotWidget

    batch.analytics.run("activity_cliffs", definition="sali")
    shown = []
    view = AnalyticView(
        batch,
        "activity_cliffs",
        on_rows=lambda rows, label, switch=True: shown.append((rows, switch)),
    )
    view.run(wait=True, definition="sali")
    assert isinstance(view.figure, PlotWidget)
    assert view.figure.config["showSendToCloud"] is False  # no "share to cloud" button
    pairs = view.pairs
    # what the front end sends when the second point is clicked
    view.figure._on_front_end_msg(view.figure, {"type": "click", "curve": 0, "index": 1}, [])
    assert "id='ma-cliff-2'" in view.pair_view.value
    expected = [int(pairs["row_1"].iloc[1]), int(pairs["row_2"].iloc[1])]
    assert shown == [(expected, False)]


def test_panel_group_picker_shows_a_groups_molecules(mini):
    from molaudit.notebook.analytic_view import AnalyticView

    shown = []
    view = AnalyticView(mini, "dedup", kind="cheap", on_rows=lambda rows, label: shown.append(rows))
    options = dict((label, rows) for label, rows in view.group_picker.options)
    # the ethanol pair (rows 0 and 1) is an exact group
    label = next(k for k, v in options.items() if k.startswith("exact") and v == (0, 1))
    view.group_picker.value = options[label]
    assert shown == [[0, 1]]


# ---------------------------------------------------------------------- R-group axes, pair cards
def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_r_positions_most_varied_first():
    assert r_positions(TOLUENES_DEC) == ["R1", "R2", "R3"]  # R1, R2: 2 groups each (tie: by number)


def test_sar_matrix_axes_are_chosen_and_cells_follow_by_hand():
    ctx = ViewContext(TOLUENES, activity_units="nM")
    a, b, m = sar_matrix(TOLUENES_DEC, ctx, rows="R2", columns="R1")
    assert (a, b) == ("R2", "R1")
    assert set(m.index) == {"C[*:2]", "CC[*:2]"} and set(m.columns) == {"[H][*:1]", "Cl[*:1]"}
    assert m.loc["C[*:2]", "[H][*:1]"] == pytest.approx(7.0)
    assert m.loc["CC[*:2]", "[H][*:1]"] == pytest.approx(8.0)
    assert m.loc["C[*:2]", "Cl[*:1]"] == pytest.approx(6.0)
    assert m.loc["CC[*:2]", "Cl[*:1]"] == pytest.approx(6.0)
    # no column position: one column, the mean over the other position (H: (7 + 8) / 2)
    a, b, m = sar_matrix(TOLUENES_DEC, ctx, rows="R1", columns="")
    assert (a, b) == ("R1", None) and list(m.columns) == ["–"]
    assert m.loc["[H][*:1]", "–"] == pytest.approx(7.5)
    assert m.loc["Cl[*:1]", "–"] == pytest.approx(6.0)
    # only the columns given: the rows are the most varied other position
    assert sar_matrix(TOLUENES_DEC, ctx, columns="R1")[:2] == ("R2", "R1")


def test_sar_matrix_refuses_unknown_or_repeated_positions():
    ctx = ViewContext(TOLUENES, activity_units="nM")
    with pytest.raises(ValueError, match=r"'rows' parameter of sar_matrix must be one of"):
        sar_matrix(TOLUENES_DEC, ctx, rows="R9")
    with pytest.raises(ValueError, match="two different R positions"):
        sar_matrix(TOLUENES_DEC, ctx, rows="R1", columns="R1")


def test_attachment_points_are_drawn_as_r_labels():
    text = _texts(_svg("c1ccc([*:2])c([*:1])c1", 240, 170, ()))
    # RDKit's default draws '*', ':', '2'; a chemist reads R1 and R2
    assert "*" not in text and ":" not in text
    assert text.count("R") == 2 and {"1", "2"} <= set(text)


def _result(dec: pd.DataFrame):
    from molaudit.analytics import AnalyticResult

    return AnalyticResult(
        "rgroups",
        frames={"decomposition": dec},
        summary={"n_matched": 4, "n_unmatched": 0, "core_source": "given"},
    )


def test_the_rgroup_view_draws_the_chosen_axes():
    ctx = ViewContext(TOLUENES, activity_units="nM")
    text = render_html("rgroups", _result(TOLUENES_DEC), ctx, rows="R2", columns="R1")
    assert "rows R2, columns R1" in text and "R2 \\ R1" in text
    # one core + 2 row headers + 2 column headers; the core drawing shows R labels
    imgs = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', text)
    assert len(imgs) == 5
    core = _texts(base64.b64decode(imgs[0]).decode())
    assert core.count("R") == 2 and "*" not in core


def test_panel_axis_picker_redraws_the_matrix():
    from types import SimpleNamespace

    from molaudit.notebook.analytic_view import _rgroups_view

    view = SimpleNamespace(on_rows=None)  # the extra only stores its widgets on the view
    ctx = ViewContext(TOLUENES, activity_units="nM")
    widgets = _rgroups_view(view, _result(TOLUENES_DEC), ctx)
    rows, columns = view.axis_picker
    assert rows.value == "R1" and columns.value == "R2"
    assert "rows R1, columns R2" in view.rgroups_body.value
    columns.value = "R3"
    assert "rows R1, columns R3" in view.rgroups_body.value
    rows.value = "R3"  # the same position on both axes: the columns move away from it
    assert columns.value != "R3" and f"rows R3, columns {columns.value}" in widgets[1].value
    columns.value = ""
    assert "mean pActivity</th>" in view.rgroups_body.value


def test_pair_card_shows_both_sides_censoring_and_pactivity(mini):
    ctx = ViewContext.of(mini)
    # rows 2 (acetic acid, >10000 nM: censored) and 4 (phenol, 200 nM)
    card = pair_card(ctx, (2, 4), title="Δ <b>", arrow=True, card_id="c-1")
    assert card.startswith("<div class='ma-card' id='c-1'><h5>Δ &lt;b&gt;</h5>")
    assert card.count("<img") == 2 and "<div class='ma-arrow'>→</div>" in card
    assert "<div class='ma-cens'>&gt;10,000 nM (censored)</div>" in card
    assert "pActivity 6.7" in card  # 9 - log10(200) = 6.70
    # the MMP and cliff views both draw their pairs with this card
    from molaudit.notebook.views import cliffs, mmp

    rec = {"row_1": 2, "row_2": 4, "_sim": 0.8, "_dp": 1.0}
    for text in (cliffs.pair_card(rec, 1, ctx), mmp._pair_card({**rec, "delta": 1.0}, ctx)):
        assert "class='ma-cens'" in text and text.count("<img") == 2
