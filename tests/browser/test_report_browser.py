"""The HTML report opens offline in Chromium: plots draw, structures show, no script runs,
and no control can send data anywhere (no plotly share/cloud button)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
SAMPLE = ROOT / "tests" / "data" / "notebook" / "chembl2047_sample.csv"


def test_report_renders_offline(browser_page, tmp_path):
    import molaudit
    from molaudit.notebook.report import write_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the expected summary warning about the error row
        batch = molaudit.audit(pd.read_csv(SAMPLE), n_jobs=1, cache=False, progress=False)
    path = write_report(batch, tmp_path / "report.html")
    page = browser_page
    requested = []

    def block(route):  # offline: any network request fails (and is recorded)
        requested.append(route.request.url)
        route.abort()

    page.route("http*://**", block)
    page.goto(path.as_uri())
    # plots are static SVG (or plotly, drawn from the inlined library): either way they draw
    page.wait_for_selector("section svg, .js-plotly-plot .main-svg", timeout=30_000)
    assert requested == []
    assert page.locator("section svg, .js-plotly-plot").count() >= 1
    # no share/cloud/edit-in control, and the cloud upload is not even reachable
    assert (
        page.locator("[data-title*='Share'], [data-title*='Cloud'], [data-title*='Edit']").count()
        == 0
    )
    assert "sendChartToCloud" not in path.read_text()
    # structure images are decoded by the browser
    widths = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) >= 20 and min(widths) > 0
    text = page.locator("body").inner_text()
    assert "<img src=x onerror=alert(1)>" in text and "<script>alert('x')</script>" in text
    assert page.evaluate("() => window.__alerts") == []
    assert page.errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
