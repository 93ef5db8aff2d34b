"""The HTML report and HTML escaping of data strings everywhere they meet HTML."""

from __future__ import annotations

import base64
import re
from pathlib import Path

from molaudit.notebook import plots
from molaudit.notebook.analytic_view import summary_html
from molaudit.notebook.depict import depict_svg, img_tag, svg_data_uri
from molaudit.notebook.report import render_report, write_report

XSS = ("<img src=x onerror=alert(1)>", "<script>alert('x')</script>")


def test_report_is_self_contained_and_escapes_ids(batch, tmp_path):
    path = write_report(batch, tmp_path / "sub" / "report.html")
    text = Path(path).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    for raw in XSS:
        assert raw not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text
    # offline: no script or stylesheet is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=[\"']?https?:", text)
    assert "Plotly.newPlot" in text  # plotly.js inlined, plots drawn
    # every molecule listed (64 < max_rows), each with an inline structure
    assert text.count("data:image/svg+xml;base64,") == 64
    assert "bad-valence" in text and "valence_error" in text


def test_report_size_is_bounded_by_max_rows(batch):
    small = render_report(batch, max_rows=5, plots=False)
    assert small.count("data:image/svg+xml;base64,") == 5
    assert "showing 5 of 64 molecules" in small
    # errors first: the one error row is among the 5
    assert "bad-valence" in small


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


def test_front_end_never_uses_innerhtml():
    static = Path(plots.__file__).parent / "static"
    for js in static.glob("*.js"):
        source = js.read_text()
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, js.name
        assert "http://" not in source and "https://" not in source, js.name
