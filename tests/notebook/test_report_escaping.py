"""The HTML report: self-contained, escaped, structured, small, and cheap on huge molecules."""

from __future__ import annotations

import base64
import re
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

from molaudit.notebook import plots
from molaudit.notebook.analytic_view import summary_html
from molaudit.notebook.depict import depict_svg, img_tag, svg_data_uri
from molaudit.notebook.report import render_report, write_report

XSS = ("<img src=x onerror=alert(1)>", "<script>alert('x')</script>")


def _section(text: str, anchor: str) -> str:
    return text.split(f"<section id='{anchor}'>")[1].split("</section>")[0]


def test_report_is_self_contained_and_escapes_ids(batch, tmp_path):
    path = write_report(batch, tmp_path / "sub" / "report.html")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for raw in XSS:
        assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    # offline and private: no script at all, nothing fetched, no cloud/share control
    assert "<script" not in text
    assert "https://" not in text.replace("http://www.w3.org", "")
    assert not re.search(r"<link[^>]+href=", text)
    for control in ("sendDataToCloud", "Edit in Chart Studio", "plotly-logomark"):
        assert control not in text
    # every molecule listed (64 < max_rows); the error row has a placeholder, not a drawing
    molecules = _section(text, "molecules")
    assert molecules.count("<tr class=") == 64
    assert molecules.count("data:image/svg+xml;base64,") == 63
    assert "not drawn: valence_error" in molecules


def test_error_rows_show_input_stage_code_and_message(batch):
    text = render_report(batch)
    problems = _section(text, "problems")
    err = batch.table[batch.table["status"] == "error"].iloc[0]
    assert "bad-valence" in problems and "valence_error" in problems
    assert str(err["error_stage"]) in problems
    # RDKit's message and the input as typed, both escaped
    import html

    assert html.escape(str(err["error_message"])[:60]) in problems
    assert html.escape(str(err["smiles_input"])) in problems


def test_table_of_contents_links_every_section(batch):
    text = render_report(batch)
    anchors = re.findall(r"<nav class='toc'>(.*?)</nav>", text)[0]
    targets = re.findall(r"href='#([^']+)'", anchors)
    sections = re.findall(r"<section id='([^']+)'>", text)
    assert targets == sections
    assert {"summary", "problems", "properties", "molecules"} <= set(sections)
    # the cheap analytics ran with the audit: their views are in, not frame dumps
    assert "a-dedup" in sections and "a-lle" in sections
    assert "<table border=" not in text and "dataframe" not in text


def test_report_uses_labels_and_units(batch):
    text = render_report(batch)
    for label in ("Molecular weight (Da)", "TPSA (Å²)", "pActivity (molar)"):
        assert label in text
    # code names only in tooltips (title attributes), never as visible text
    visible = re.sub(r"title=(\"[^\"]*\"|'[^']*')", "", text)
    assert "quality_drug_likeness" in text and "quality_drug_likeness" not in visible


def test_report_size_is_bounded_by_max_rows(batch):
    small = render_report(batch, max_rows=5, plots=False)
    molecules = _section(small, "molecules")
    assert molecules.count("<tr class=") == 5
    assert "showing 5 of 64 molecules" in small
    # errors first: the one error row is among the 5
    assert "bad-valence" in molecules


def test_a_5000_atom_chain_costs_no_more_than_a_small_molecule(tmp_path):
    import molaudit

    small = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC"]
    frames = {
        # refused by the audit (too_large): a placeholder, never parsed for drawing
        "refused": pd.DataFrame({"smiles": [*small, "C" * 5000]}),
        # audited (status ok) but above the drawing limit of 150 heavy atoms
        "audited": pd.DataFrame({"smiles": [*small, "C" * 400]}),
        "baseline": pd.DataFrame({"smiles": [*small, "CCCC"]}),
    }
    seconds = {}
    for name, frame in frames.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = molaudit.audit(frame, smiles_col="smiles", n_jobs=1, cache=False, progress=False)
        if name == "audited":  # really audited, not refused: the drawing limit is what skips it
            assert b.table["status"].iloc[4] != "error" and b.table["heavy_atoms"].iloc[4] == 400
        render_report(b)  # warm: imports, cheap analytics
        t0 = time.perf_counter()
        text = render_report(b)
        seconds[name] = time.perf_counter() - t0
        with warnings.catch_warnings():
            # export.py's pandas 3 deprecation warning is not this test's subject
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            b.export(tmp_path / f"{name}.csv")
            seconds[f"{name}_csv"] = time.perf_counter() - t0
        if name != "baseline":
            rows = _section(text, "molecules").split("<tr class=")
            row = next(r for r in rows if "row_4" in r)
            assert "<img" not in row and "not drawn" in row, name
            assert ("C" * 300) not in text  # the long input is clipped wherever it is shown
    # the same order as the small batch and as the CSV export (generous for noisy CI)
    for name in ("refused", "audited"):
        assert seconds[name] < 3 * seconds["baseline"] + 0.5, seconds
        assert seconds[name] < 20 * seconds[f"{name}_csv"] + 1.0, seconds


def test_depictions_are_images_not_markup():
    svg = depict_svg("c1ccccc1O")
    assert svg.startswith("<svg") and "<script" not in svg
    uri = svg_data_uri("c1ccccc1O")
    assert base64.b64decode(uri.split(",", 1)[1]).decode() == svg
    assert "unreadable" in depict_svg("this is not [a smiles")
    tag = img_tag("C[N+](C)(C)C", title=XSS[0])
    assert XSS[0] not in tag and 'title="&lt;img src=x onerror=alert(1)&gt;"' in tag
    # a SMILES is data too: as alt text it is escaped
    assert 'alt="C[N+](C)(C)C"' in tag
    assert '"><script>' not in img_tag('"><script>alert(1)</script>')


def test_summary_and_plot_labels_are_escaped():
    text = summary_html({XSS[1]: XSS[0]})
    assert XSS[0] not in text and XSS[1] not in text
    fig = plots.bar_counts([XSS[0], "c1ccccc1"], [3, 1], widget=False)
    assert XSS[0] not in fig.to_json()
    assert "&lt;img src=x onerror=alert(1)&gt;" in fig.data[0].text


def test_summary_html_formats_numbers_and_keeps_code_names_in_tooltips():
    text = summary_html({"quality_drug_likeness": 73.0244, "explained": [0.07709376006058309, 0.5]})
    assert "0.07709376006058309" not in text and "0.0771" in text
    assert "title='quality_drug_likeness'" in text
    assert ">quality_drug_likeness<" not in text


def test_front_end_never_uses_innerhtml():
    static = Path(plots.__file__).parent / "static"
    for js in static.glob("*.js"):
        source = js.read_text()
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, js.name
        assert "http://" not in source and "https://" not in source, js.name


@pytest.mark.slow
def test_demo_report_is_small_and_fits_1200px(tmp_path):
    """The bundled ~1k-molecule set with its analytics: <= 2 MB; no element wider than 1,200 px."""
    import molaudit
    from molaudit.demo import demo_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = molaudit.audit(
            demo_data_path(), n_jobs=2, cache=False, progress=False, activity_units="nM"
        )
    for name, params in (
        ("scaffolds", {}),
        ("activity_cliffs", {}),
        ("similarity_pairs", {}),
        ("clusters", {}),
        ("similarity_matrix", {"rows": list(range(50))}),
    ):
        b.analytics.run(name, **params)
    path = write_report(b, tmp_path / "demo.html")
    size = path.stat().st_size
    assert size <= 2_000_000, size
    text = path.read_text(encoding="utf-8")
    assert "<script" not in text and "sendDataToCloud" not in text
    for anchor in ("a-scaffolds", "a-activity_cliffs", "a-similarity_matrix", "a-clusters"):
        assert f"<section id='{anchor}'>" in text
    chromium = Path("/usr/bin/chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    if not chromium.exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(path.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 1200
            wider = page.evaluate(
                "() => [...document.querySelectorAll('body *')]"
                ".filter(e => e.getBoundingClientRect().right > 1200.5).length"
            )
            assert wider == 0
            broken = page.evaluate("[...document.images].filter(i => !i.naturalWidth).length")
            assert broken == 0
        finally:
            browser.close()
