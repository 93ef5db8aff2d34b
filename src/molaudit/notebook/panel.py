"""The molaudit panel: ``batch.show()``, ``display(batch)`` and ``molaudit.Panel()``.

An ipywidgets app: an input form when there is no batch yet, then tabs (Overview, Molecules,
Duplicates, Statistics, one tab per other analytic) and export buttons. Only standard widget
messages are used, so JupyterLab, Notebook 7, VS Code and Voila all render it.
"""

from __future__ import annotations

import contextlib
import html
import threading
from collections import Counter
from typing import Any

import ipywidgets as widgets
import pandas as pd

from molaudit.notebook.analytic_view import AnalyticView, summary_html
from molaudit.notebook.table import TableModel
from molaudit.notebook.table_widget import MoleculeTable, default_columns

__all__ = ["Panel"]

_TAB_TITLES = {
    "dedup": "Duplicates",
    "statistics": "Statistics",
    "scaffolds": "Scaffolds",
    "rgroups": "R-groups",
    "chemical_space": "Chemical space",
    "nearest_neighbors": "Neighbours",
    "similarity_pairs": "Similar pairs",
    "similarity_matrix": "Similarity matrix",
    "clusters": "Clusters",
    "mmp": "MMP",
    "activity_cliffs": "Activity cliffs",
    "lle": "LLE",
}
#: Analytic tabs in this order first; others (registered later) follow alphabetically.
_ORDER = tuple(_TAB_TITLES)
_HIST_COLUMNS = ("mw", "clogp", "tpsa", "qed", "score", "heavy_atoms")
_EXPORTS = (
    ("CSV", ".csv"),
    ("SDF", ".sdf"),
    ("Parquet", ".parquet"),
    ("Excel", ".xlsx"),
    ("HTML report", ".html"),
)


class Panel(widgets.VBox):
    """Interactive view of a :class:`molaudit.Batch` (or an input form to make one).

    Parameters
    ----------
    batch : molaudit.Batch, optional
        The audited batch; without one the panel starts with an input form (paste SMILES,
        pick a DataFrame from the notebook, or upload a file) and a Run button.
    page_size : int
        Rows per page of the molecule table.

    Attributes
    ----------
    batch : molaudit.Batch or None
    table : MoleculeTable or None
        The Molecules tab's table.
    views : dict of str to AnalyticView
        One per analytic tab.
    tabs : ipywidgets.Tab
    """

    def __init__(self, batch: Any = None, *, page_size: int = 25) -> None:
        self.batch = None
        self.table: MoleculeTable | None = None
        self.views: dict[str, AnalyticView] = {}
        self.page_size = page_size
        self.header = widgets.HTML("<b>molaudit</b>")
        self.tabs = widgets.Tab()
        self.export_bar = widgets.HBox()
        self.form = None
        super().__init__([self.header])
        self.add_class("molaudit-panel")
        if batch is None:
            from molaudit.notebook.input_form import InputForm

            self.form = InputForm(on_batch=self.set_batch)
            self.children = [self.header, self.form]
        else:
            self.set_batch(batch)

    # ------------------------------------------------------------------ building
    def set_batch(self, batch: Any) -> None:
        """Show ``batch`` (replacing whatever the panel showed)."""
        self.batch = batch
        table = batch.table
        self.header.value = _header_html(batch)
        self.table = MoleculeTable(
            TableModel(
                table,
                page_size=self.page_size,
                columns=default_columns(table),
                fallback_col=_input_smiles_column(batch),
            ),
            on_select=self._selected,
        )
        children: list[widgets.Widget] = [self._overview(), self.table]
        titles = ["Overview", "Molecules"]
        self.views = {}
        status = _analytics_status(batch)
        names = [n for n in _ORDER if n in status.index] + sorted(
            n for n in status.index if n not in _ORDER
        )
        unavailable = []
        for name in names:
            row = status.loc[name]
            if row["state"] == "unavailable":
                unavailable.append((name, str(row.get("message", "") or "")))
                continue
            view = AnalyticView(
                batch,
                name,
                kind=str(row.get("kind", "expensive")),
                state=str(row["state"]),
                description=str(row.get("description", "") or ""),
                message=str(row.get("message", "") or ""),
                on_rows=self.show_rows,
            )
            self.views[name] = view
            children.append(view)
            titles.append(_TAB_TITLES.get(name, name.strip("_").replace("_", " ").capitalize()))
        if hasattr(batch, "similar") and getattr(batch, "fingerprints", None) is not None:
            from molaudit.notebook.search_view import SimilaritySearch

            self.search = SimilaritySearch(batch, on_rows=self.show_rows)
            pos = titles.index("Neighbours") if "Neighbours" in titles else len(titles)
            children.insert(pos, self.search)
            titles.insert(pos, "Similarity")
        if unavailable:
            children[0].children = (
                *children[0].children,
                widgets.HTML(
                    "<h4>Not available here</h4><ul>"
                    + "".join(
                        f"<li><b>{html.escape(n)}</b>: {html.escape(m)}</li>"
                        for n, m in unavailable
                    )
                    + "</ul>"
                ),
            )
        self.tabs = widgets.Tab(children=children)
        self.tabs.titles = tuple(titles)
        self.export_bar = _export_bar(batch)
        parts: list[widgets.Widget] = [self.header]
        if self.form is not None:
            self.form.layout.display = "none"
            parts.append(self.form)
        self.children = [*parts, self.tabs, self.export_bar]

    def _overview(self) -> widgets.VBox:
        batch = self.batch
        summary = _safe_summary(batch)
        table = batch.table
        counts = Counter(table["status"].tolist()) if "status" in table else Counter()
        status_cells = "".join(
            f"<div class='ma-kf'><div class='ma-kf-v'>{counts.get(s, 0):,}</div>"
            f"<div class='ma-kf-k'>{s}</div></div>"
            for s in ("ok", "warning", "error")
        )
        codes = summary.get("by_error_code") or _top(table, "error_code")
        checks = summary.get("by_check") or _top(table, "checks", split=";")
        quality = {k: v for k, v in summary.items() if "quality" in str(k).lower()}
        stats = _cheap_result(batch, "statistics")
        if stats is not None:
            quality.update({k: v for k, v in stats.summary.items() if str(k).startswith("quality")})
        html_parts = (
            summary_html({"rows": len(table), **quality})
            + "<div class='ma-kfs' style='margin-top:6px'>"
            + status_cells
            + "</div>"
            + "<div style='display:flex;gap:24px;flex-wrap:wrap'>"
            + _counts_table("Top error codes", codes)
            + _counts_table("Top checks", checks)
            + "</div>"
            + _run_notes(summary)
        )
        children: list[widgets.Widget] = [widgets.HTML(html_parts)]
        cols = [c for c in _HIST_COLUMNS if c in table.columns]
        if cols and len(table):
            from molaudit.notebook.plots import histograms

            self.histograms = histograms(table, cols)
            children.append(self.histograms)
        if len(table):
            from molaudit.notebook.scatter_view import PropertyScatter

            self.property_scatter = PropertyScatter(batch, on_rows=self.show_rows)
            children += [
                widgets.HTML("<h4>Any two properties (box-select points)</h4>"),
                self.property_scatter,
            ]
        return widgets.VBox(children)

    # ------------------------------------------------------------------ linking
    def show_rows(self, rows: list[int] | None, label: str = "", *, switch: bool = True) -> None:
        """Filter the Molecules tab to these input rows (None shows all).

        ``switch`` also brings the Molecules tab to the front (plots keep their tab so that
        the user can go on selecting).
        """
        if self.table is None:
            return
        self.table.filter_rows(rows, label=label)
        if rows is not None and switch:
            self.tabs.selected_index = 1

    def _selected(self, rows: list[int]) -> None:
        if self.batch is not None:
            # a batch without a settable selection still gets a working table
            with contextlib.suppress(AttributeError):
                self.batch.selection = rows

    def __repr__(self) -> str:
        if self.batch is None:
            return "<molaudit Panel: no batch yet (input form)>"
        table = self.batch.table
        counts = Counter(table["status"].tolist()) if "status" in table else Counter()
        tabs = ", ".join(self.tabs.titles)
        return (
            f"<molaudit Panel: {len(table)} rows (ok {counts.get('ok', 0)}, "
            f"warning {counts.get('warning', 0)}, error {counts.get('error', 0)}); tabs: {tabs}>"
        )


def _analytics_status(batch: Any) -> pd.DataFrame:
    try:
        status = batch.analytics.status()
    except Exception:
        return pd.DataFrame(columns=["kind", "state", "message"])
    if "name" in status.columns:
        status = status.set_index("name")
    if "description" not in status.columns:
        try:
            from molaudit.analytics import REGISTRY

            status["description"] = [
                REGISTRY[n].description if n in REGISTRY else "" for n in status.index
            ]
        except Exception:
            status["description"] = ""
    return status


def _input_smiles_column(batch: Any) -> str | None:
    """Column of ``batch.table`` holding the SMILES as given (drawn for error rows)."""
    name = (getattr(batch, "columns", None) or {}).get("smiles")
    table = batch.table
    for candidate in (f"{name}_input" if name else None, name):
        if candidate and candidate in table.columns and candidate != "smiles":
            return candidate
    return None


def _cheap_result(batch: Any, name: str) -> Any:
    """A cheap analytic's result (already computed after the audit), or None."""
    try:
        getter = getattr(batch.analytics, "get", None)
        result = getter(name) if getter is not None else None
        return result if result is not None else batch.analytics.run(name)
    except Exception:  # not registered / failed: the overview shows what it has
        return None


def _safe_summary(batch: Any) -> dict:
    try:
        return dict(batch.summary())
    except Exception:
        return {}


def _run_notes(summary: dict) -> str:
    """Timings, cache use and the audit's notes as a short escaped footer."""
    bits = []
    timings = summary.get("timings") or {}
    if isinstance(timings, dict) and "total" in timings:
        bits.append(f"audit took {float(timings['total']):.1f} s")
    cache = summary.get("cache") or {}
    if isinstance(cache, dict) and cache:
        bits.append(", ".join(f"{k} {v}" for k, v in cache.items() if not isinstance(v, dict)))
    notes = summary.get("notes") or []
    items = "".join(f"<li>{html.escape(str(n))}</li>" for n in notes)
    head = html.escape(" · ".join(b for b in bits if b))
    return (
        f"<div style='color:#666;font-size:12px;margin-top:8px'>{head}"
        f"{f'<ul style=margin:2px>{items}</ul>' if items else ''}</div>"
    )


def _top(table: pd.DataFrame, column: str, split: str | None = None, n: int = 10) -> dict:
    if column not in table.columns:
        return {}
    values = table[column].dropna().astype(str)
    values = values[values != ""]
    if split:
        values = values.str.split(split).explode()
    return values.value_counts().head(n).to_dict()


def _counts_table(title: str, counts: Any, n: int = 10) -> str:
    if isinstance(counts, pd.Series):
        counts = counts.to_dict()
    if not counts:
        return f"<div><h4>{html.escape(title)}</h4><p><em>none</em></p></div>"
    items = sorted(counts.items(), key=lambda kv: -float(kv[1] or 0))[:n]
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td style='text-align:right'>{html.escape(str(v))}"
        "</td></tr>"
        for k, v in items
    )
    return f"<div><h4>{html.escape(title)}</h4><table>{rows}</table></div>"


def _header_html(batch: Any) -> str:
    table = batch.table
    source = getattr(batch, "source", None)
    cols = getattr(batch, "columns", None) or {}
    bits = [f"<b>molaudit</b> · {len(table):,} molecules"]
    if source:
        bits.append(f"from <code>{html.escape(str(source))}</code>")
    for role in ("smiles", "id", "activity"):
        if cols.get(role):
            bits.append(f"{role}: <code>{html.escape(str(cols[role]))}</code>")
    key = getattr(batch, "key", None)
    if key:
        bits.append(f"<span style='color:#888'>key {html.escape(str(key)[:12])}</span>")
    return " · ".join(bits)


def _export_bar(batch: Any) -> widgets.HBox:
    name = widgets.Text(value="molaudit_export", description="file", layout={"width": "260px"})
    status = widgets.HTML()
    buttons = []

    def make(label: str, ext: str) -> widgets.Button:
        button = widgets.Button(description=label, icon="download", tooltip=f"write {ext}")

        def click(_b) -> None:
            path = name.value.strip() or "molaudit_export"
            if not path.endswith(ext):
                path += ext
            status.value = f"writing {html.escape(path)}…"

            def work() -> None:
                try:
                    out = batch.export(path)
                    status.value = f"wrote <code>{html.escape(str(out or path))}</code>"
                except Exception as exc:  # shown in the panel, not only in a log
                    status.value = (
                        f"<span style='color:#c33'>export failed: "
                        f"{html.escape(type(exc).__name__ + ': ' + str(exc))}</span>"
                    )

            threading.Thread(target=work, daemon=True).start()

        button.on_click(click)
        return button

    for label, ext in _EXPORTS:
        buttons.append(make(label, ext))
    return widgets.HBox([name, *buttons, status], layout={"flex_flow": "row wrap"})
