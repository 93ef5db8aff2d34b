"""Run the quickstart in JupyterLab in a real Chromium: the panel renders and responds.

Covers what nbval cannot: tabs switch, the table pages, a plot has points, a box selection
reaches Python (``batch.selection``), an XSS ID shows as text, no JavaScript errors.
Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
pytestmark = pytest.mark.browser

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert('x')</script>"
# console noise that is not ours (JupyterLab asks for optional server endpoints)
_IGNORED = re.compile(r"Failed to load resource|favicon|/api/(lsp|news|kernelspecs)|lab/api/")


def _quickstart_copy(root: Path, n_rows: int = 200) -> str:
    """The quickstart with IDs added (two of them XSS payloads) and a selection probe cell."""
    book = json.loads((ROOT / "notebooks" / "01_quickstart.ipynb").read_text())
    first = next(c for c in book["cells"] if c["cell_type"] == "code")
    src = "".join(first["source"])
    assert "df = pd.read_csv(" in src
    first["source"] = (
        src
        + f"\ndf = df.head({n_rows}).copy()"
        + "\ndf.insert(0, 'compound_id', [f'H1-{i:04d}' for i in range(len(df))])"
        + f"\ndf.loc[0, 'compound_id'] = {XSS_IMG!r}"
        + f"\ndf.loc[1, 'compound_id'] = {XSS_SCRIPT!r}"
    )
    book["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": "print('SELECTION', len(batch.selection), batch.selection[:5])",
        }
    )
    (root / "quickstart.ipynb").write_text(json.dumps(book))
    return "quickstart.ipynb"


def _wait_idle(page, timeout: float = 240) -> None:
    """Wait until every cell ran: a prompt shows [*] while queued/running ("Idle" lies)."""
    deadline = time.time() + timeout
    started = False
    while time.time() < deadline:
        prompts = page.eval_on_selector_all(
            ".jp-CodeCell .jp-InputArea-prompt", "els => els.map(e => e.textContent.trim())"
        )
        busy = any("*" in p for p in prompts)
        numbered = sum(bool(re.search(r"\[\d+\]", p)) for p in prompts)
        started = started or busy or numbered
        if started and not busy and numbered == len(prompts):
            return
        time.sleep(1)
    raise AssertionError(f"cells still running after {timeout} s: {prompts}")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_quickstart_in_jupyterlab(lab, browser_page):
    base, token, root = lab
    page = browser_page
    name = _quickstart_copy(root)
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel; }",
        timeout=60_000,
    )
    # not awaiting the promise: it resolves only when every cell has run
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    _wait_idle(page)
    _shot(page, "01_after_run_all")

    errors_in_outputs = page.eval_on_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
        " .jp-RenderedText[data-mime-type='application/vnd.jupyter.error']",
        "els => els.map(e => e.textContent)",
    )
    assert not [e for e in errors_in_outputs if re.search("Traceback|Error|Warning", e)], (
        errors_in_outputs
    )

    # the panel renders (the magic's and batch.show()'s)
    panels = page.locator(".molaudit-panel")
    panels.first.wait_for(timeout=60_000)
    assert panels.count() >= 2
    panel = panels.last
    panel.scroll_into_view_if_needed()

    # a plot has points: the property scatter (WebGL) and histograms
    n_points = page.evaluate(
        """() => Math.max(0, ...[...document.querySelectorAll('.molaudit-panel .js-plotly-plot')]
              .map(gd => (gd._fullData || []).filter(t => t.type === 'scattergl')
              .map(t => (t.x || []).length)).flat())"""
    )
    assert n_points >= 150, n_points

    # tabs switch: Molecules shows a page of rows with structures
    panel.locator(".lm-TabBar-tab", has_text="Molecules").first.click()
    table = panel.locator(".molaudit-table").first
    table.wait_for(state="visible", timeout=30_000)
    rows = table.locator("tbody tr")
    assert rows.count() == 25
    assert table.locator("td.ma-img img").count() == 25
    info = table.locator(".ma-info")
    assert info.inner_text().startswith("page 1 / 8")
    # an XSS ID is plain text in a cell; no element was injected, no script ran
    cells = table.locator("tbody td").all_inner_texts()
    assert XSS_IMG in cells and XSS_SCRIPT in cells
    assert page.locator("img[src='x']").count() == 0
    _shot(page, "02_molecules_tab")

    # the table pages (kernel round trip; the page label updates locally at once)
    table.locator(".ma-next").click()
    page.wait_for_function(
        "el => el.querySelector('tbody tr') && el.querySelector('tbody tr').dataset.row === '25'",
        arg=table.element_handle(),
        timeout=15_000,
    )
    assert info.inner_text().startswith("page 2 / 8")
    # sorting by a header click is done in the kernel too: wait for ascending mw values
    headers = table.locator("thead th").all_inner_texts()
    mw_col = headers.index("mw")
    table.locator("th[data-col='mw']").click()
    page.wait_for_function(
        """([el, col]) => {
             const v = [...el.querySelectorAll('tbody tr')].map(
               tr => parseFloat(tr.children[col].textContent));
             return v.length === 25 && v.every((x, i) => i === 0 || v[i - 1] <= x)
               && el.querySelector('tbody tr').dataset.row !== '25';
           }""",
        arg=[table.element_handle(), mw_col],
        timeout=15_000,
    )
    assert info.inner_text().startswith("page 1 / 8")
    _shot(page, "03_sorted_page")

    # box-select points in the Overview scatter -> batch.selection in Python
    panel.locator(".lm-TabBar-tab", has_text="Overview").first.click()
    panel.locator(".lm-TabBar-tab", has_text="Overview").first.scroll_into_view_if_needed()
    _shot(page, "00_overview")
    plot = panel.locator(".molaudit-property-scatter .js-plotly-plot").first
    plot.scroll_into_view_if_needed()
    drag = plot.locator(".nsewdrag").first
    box = drag.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5, steps=12)
    page.mouse.up()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.molaudit-panel')].pop()"
        ".querySelector('.ma-chip') !== null",
        timeout=20_000,
    )
    chip = panel.locator(".ma-chip").first.inner_text()
    assert "mw vs clogp" in chip
    _shot(page, "04_selection")

    # run the probe cell: the selection is in Python
    page.evaluate(
        """() => { const nb = window.jupyterapp.shell.currentWidget.content;
                   nb.activeCellIndex = nb.widgets.length - 1;
                   window.jupyterapp.commands.execute('notebook:run-cell'); }"""
    )
    probe = page.locator(".jp-Cell").last.locator(".jp-OutputArea-output")
    probe.wait_for(timeout=30_000)
    text = probe.inner_text()
    match = re.search(r"SELECTION (\d+)", text)
    assert match and int(match.group(1)) > 0, text
    selected = int(match.group(1))
    assert f"({selected})" in chip

    # an expensive analytic runs from its tab in the background and draws its plot
    panel.locator(".lm-TabBar-tab", has_text="Chemical space").first.click()
    tab = panel.locator(".molaudit-analytic:visible").first
    tab.locator("button", has_text="Run").first.click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('.molaudit-analytic .js-plotly-plot')]
              .some(gd => gd.offsetParent !== null && (gd._fullData || [])
              .some(t => t.type === 'scattergl' && (t.x || []).length >= 150))""",
        timeout=90_000,
    )
    assert "done in" in tab.inner_text()
    _shot(page, "05_chemical_space")

    # a pair table draws both structures (MMP)
    panel.locator(".lm-TabBar-tab", has_text="MMP").first.click()
    tab = panel.locator(".molaudit-analytic:visible").first
    tab.locator("button", has_text="Run").first.click()
    pair_table = tab.locator(".molaudit-table").first
    pair_table.wait_for(state="visible", timeout=90_000)
    headers = pair_table.locator("thead th").all_inner_texts()
    assert "smiles_1" in headers and "smiles_2" in headers
    assert pair_table.locator("tbody tr").first.locator("td.ma-img img").count() == 2
    _shot(page, "06_mmp_pairs")

    assert page.evaluate("() => window.__alerts") == []
    ours = [e for e in page.errors if not _IGNORED.search(e)]
    assert not ours, ours
