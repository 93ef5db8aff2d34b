"""The molaudit panel: ``batch.show()``, ``display(batch)`` and ``molaudit.Panel()``.

An ipywidgets app: an input form when there is no batch yet, then tabs (Overview, Molecules,
Duplicates, Statistics, one tab per other analytic) and export buttons. Only standard widget
messages are used, so JupyterLab, Notebook 7, VS Code and Voila all render it.

Tabs are built lazily: each tab starts as an empty slot and builds its content the first time
it is shown (or when code asks for it: ``panel.table``, ``panel.views['mmp']``), so a panel
over a large batch with many cached analytics opens as fast as its Overview.
"""

from __future__ import annotations

import contextlib
import html
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from molaudit.notebook.analytic_view import AnalyticView
from molaudit.notebook.downloads import EXPORTS, export_bar
from molaudit.notebook.labels import format_value, summary_label
from molaudit.notebook.labels import label as column_label
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
_EXPORTS = EXPORTS
#: Error rows listed on the Overview.
_ERROR_ROWS = 10


class _LazyViews(Mapping):
    """``panel.views``: name -> AnalyticView, each built on first access (or tab show)."""

    def __init__(self, panel: Panel, names: list[str]) -> None:
        self._panel = panel
        self._names = list(names)
        self._built: dict[str, AnalyticView] = {}

    def __getitem__(self, name: str) -> AnalyticView:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._built:
            self._panel._build_tab(self._panel._tab_of[name])
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def built(self) -> dict[str, AnalyticView]:
        """The views built so far."""
        return dict(self._built)


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
        The Molecules tab's table (built on first access).
    views : mapping of str to AnalyticView
        One per analytic tab, each built when its tab is first shown or first accessed.
    tabs : ipywidgets.Tab
    slots : list of ipywidgets.VBox
        One per tab: the container a tab's content is built into.
    """

    def __init__(self, batch: Any = None, *, page_size: int = 25) -> None:
        self.batch = None
        self._table: MoleculeTable | None = None
        self.views: Mapping[str, AnalyticView] = {}
        self.page_size = page_size
        self.header = widgets.HTML("<b>molaudit</b>")
        self.tabs = widgets.Tab()
        self.export_bar = widgets.HBox()
        self.slots: list[widgets.VBox] = []
        self._builders: list[Callable[[], list[widgets.Widget]] | None] = []
        self._tab_of: dict[str, int] = {}
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
        self._table = None
        self._search_widget = None
        self._search_index: int | None = None
        self.header.value = _header_html(batch)
        builders: list[Callable[[], list[widgets.Widget]]] = [
            lambda: [self._overview()],
            lambda: [self._molecules()],
        ]
        titles = ["Overview", "Molecules"]
        status = _analytics_status(batch)
        names = [n for n in _ORDER if n in status.index] + sorted(
            n for n in status.index if n not in _ORDER
        )
        self._unavailable = []
        view_names = []
        self._tab_of = {}
        for name in names:
            row = status.loc[name]
            if row["state"] == "unavailable":
                self._unavailable.append((name, str(row.get("message", "") or "")))
                continue
            view_names.append(name)
            self._tab_of[name] = len(builders)
            builders.append(lambda name=name, row=row: [self._analytic(name, row)])
            titles.append(_TAB_TITLES.get(name, name.strip("_").replace("_", " ").capitalize()))
        self.views = _LazyViews(self, view_names)
        if hasattr(batch, "similar") and getattr(batch, "fingerprints", None) is not None:
            pos = titles.index("Neighbours") if "Neighbours" in titles else len(titles)
            builders.insert(pos, lambda: [self._search()])
            titles.insert(pos, "Similarity")
            self._search_index = pos
            self._tab_of = {n: (i + 1 if i >= pos else i) for n, i in self._tab_of.items()}
        self._builders = list(builders)
        self.slots = [widgets.VBox(layout={"min_height": "40px"}) for _ in builders]
        for slot in self.slots:
            slot.add_class("molaudit-slot")
        self.tabs = widgets.Tab(children=self.slots)
        self.tabs.titles = tuple(titles)
        self.tabs.observe(self._on_tab, names="selected_index")
        self._build_tab(0)
        self.export_bar = export_bar(batch)
        parts: list[widgets.Widget] = [self.header]
        if self.form is not None:
            self.form.layout.display = "none"
            parts.append(self.form)
        self.children = [*parts, self.tabs, self.export_bar]

    def _on_tab(self, change: dict) -> None:
        index = change.get("new")
        if isinstance(index, int) and 0 <= index < len(self._builders):
            self._build_tab(index)

    def _build_tab(self, index: int) -> None:
        """Build tab ``index``'s content into its slot (once)."""
        builder = self._builders[index]
        if builder is None:
            return
        self._builders[index] = None
        try:
            content = builder()
        except Exception as exc:  # a broken tab says why instead of breaking the panel
            content = [
                widgets.HTML(
                    "<div class='ma-error'>this tab could not be built: "
                    f"{html.escape(type(exc).__name__ + ': ' + str(exc))}</div>"
                )
            ]
        self.slots[index].children = content

    @property
    def table(self) -> MoleculeTable | None:
        """The Molecules tab's table (building that tab if needed)."""
        if self._table is None and self.batch is not None and len(self._builders) > 1:
            self._build_tab(1)
        return self._table

    def _molecules(self) -> MoleculeTable:
        batch = self.batch
        table = batch.table
        self._table = MoleculeTable(
            TableModel(
                table,
                page_size=self.page_size,
                columns=default_columns(table),
                fallback_col=_input_smiles_column(batch),
                library=getattr(batch, "substructure_library", None),
            ),
            on_select=self._selected,
            activity_units=getattr(batch, "activity_units", None),
        )
        return self._table

    def _analytic(self, name: str, row: pd.Series) -> AnalyticView:
        view = AnalyticView(
            self.batch,
            name,
            kind=str(row.get("kind", "expensive")),
            state=str(row["state"]),
            description=str(row.get("description", "") or ""),
            message=str(row.get("message", "") or ""),
            on_rows=self.show_rows,
        )
        self.views._built[name] = view  # type: ignore[attr-defined]
        return view

    def _search(self) -> widgets.Widget:
        from molaudit.notebook.search_view import SimilaritySearch

        self._search_widget = SimilaritySearch(self.batch, on_rows=self.show_rows)
        return self._search_widget

    @property
    def search(self) -> Any:
        """The Similarity tab's search widget (building that tab if needed), or None."""
        if self._search_widget is None and getattr(self, "_search_index", None) is not None:
            self._build_tab(self._search_index)
        return self._search_widget

    def _overview(self) -> widgets.VBox:
        batch = self.batch
        summary = _safe_summary(batch)
        table = batch.table
        units = getattr(batch, "activity_units", None)
        counts = _status_counts(table)
        figures: dict[str, Any] = {"rows": len(table)}
        stats = _cheap_result(batch, "statistics")
        if stats is not None:
            figures.update({k: v for k, v in stats.summary.items() if str(k).startswith("quality")})
        status_cells = "".join(
            f"<div class='ma-kf ma-kf-{s}'><div class='ma-kf-v'>{counts.get(s, 0):,}</div>"
            f"<div class='ma-kf-k'>{s}</div></div>"
            for s in ("ok", "warning", "error")
        )
        codes = _top(table, "error_code")
        checks = _top(table, "checks", split=";")
        alerts = {
            **{f"PAINS: {k}": v for k, v in _top(table, "pains_alerts", split=";").items()},
            **{f"Brenk: {k}": v for k, v in _top(table, "brenk_alerts", split=";").items()},
        }
        html_parts = (
            _OVERVIEW_CSS
            + _key_figures(figures)
            + "<div class='ma-kfs'>"
            + status_cells
            + "</div>"
            + _activity_note(table, units)
            + "<div class='ma-cols'>"
            + _counts_table("Top error codes", codes)
            + _counts_table("Top checks", checks, described=_check_descriptions())
            + _counts_table("Top structural alerts", alerts)
            + "</div>"
            + _error_rows(table, _input_smiles_column(batch))
            + _run_notes(summary)
            + _unavailable_html(getattr(self, "_unavailable", []))
        )
        children: list[widgets.Widget] = [widgets.HTML(html_parts)]
        cols = [c for c in _HIST_COLUMNS if c in table.columns]
        if cols and len(table):
            from molaudit.notebook.plots import histograms

            self.histograms = histograms(table, cols, activity_units=units)
            children.append(self.histograms)
        if len(table):
            from molaudit.notebook.scatter_view import PropertyScatter

            self.property_scatter = PropertyScatter(batch, on_rows=self.show_rows)
            children += [
                widgets.HTML("<h4>Any two properties (box- or lasso-select points)</h4>"),
                self.property_scatter,
            ]
        box = widgets.VBox(children)
        box.add_class("molaudit-overview")
        return box

    # ------------------------------------------------------------------ linking
    def show_rows(self, rows: list[int] | None, label: str = "", *, switch: bool = True) -> None:
        """Filter the Molecules tab to these input rows (None shows all).

        ``switch`` also brings the Molecules tab to the front (plots keep their tab so that
        the user can go on selecting).
        """
        table = self.table
        if table is None:
            return
        table.filter_rows(rows, label=label)
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
        counts = _status_counts(table)
        tabs = ", ".join(self.tabs.titles)
        return (
            f"<molaudit Panel: {len(table)} rows (ok {counts.get('ok', 0)}, "
            f"warning {counts.get('warning', 0)}, error {counts.get('error', 0)}); tabs: {tabs}>"
        )


_OVERVIEW_CSS = (
    "<style>.molaudit-panel .ma-kfs{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}"
    ".molaudit-panel .ma-kf{border:1px solid var(--jp-border-color2,#ddd);border-radius:6px;"
    "padding:4px 10px;max-width:420px;background:var(--jp-layout-color1,#fff)}"
    ".molaudit-panel .ma-kf-v{font-size:15px;font-weight:600;color:var(--jp-ui-font-color0,#111)}"
    ".molaudit-panel .ma-kf-k{color:var(--jp-ui-font-color2,#666);font-size:11px}"
    ".molaudit-panel .ma-kf-error .ma-kf-v{color:var(--jp-error-color1,#c33)}"
    ".molaudit-panel .ma-kf-warning .ma-kf-v{color:var(--jp-warn-color1,#b26b00)}"
    ".molaudit-panel .ma-cols{display:flex;gap:24px;flex-wrap:wrap}"
    ".molaudit-panel table.ma-small td,.molaudit-panel table.ma-small th{padding:1px 8px;"
    "text-align:left;border-bottom:1px solid var(--jp-border-color3,#eee)}"
    ".molaudit-panel .ma-note{color:var(--jp-ui-font-color2,#666);font-size:12px}"
    ".molaudit-panel .ma-flag{color:var(--jp-warn-color1,#b26b00);font-weight:600}"
    ".molaudit-panel .widget-tab>.lm-TabBar .lm-TabBar-content{flex-wrap:wrap}"
    ".molaudit-panel .widget-tab>.lm-TabBar .lm-TabBar-tab{flex:0 0 auto!important;"
    "min-width:fit-content!important;max-width:none!important}"
    ".molaudit-panel .widget-tab>.lm-TabBar{overflow:visible;min-height:fit-content}"
    "body[data-jp-theme-light='false'] .molaudit-panel img{filter:invert(0.92) hue-rotate(180deg)}"
    "</style>"
)


def _status_counts(table: pd.DataFrame) -> Counter:
    if "status" not in table.columns:
        return Counter()
    return Counter({str(k): int(v) for k, v in table["status"].value_counts().items()})


def _key_figures(figures: dict[str, Any]) -> str:
    cells = []
    for key, value in figures.items():
        text = format_value(value)
        if isinstance(value, float) and key.startswith("quality") and 0 <= value <= 1:
            text = f"{100 * value:.1f} %"
        cells.append(
            f"<div class='ma-kf' title='{html.escape(str(key), quote=True)}'>"
            f"<div class='ma-kf-v'>{html.escape(text)}</div>"
            f"<div class='ma-kf-k'>{html.escape(summary_label(str(key)))}</div></div>"
        )
    return f"<div class='ma-kfs'>{''.join(cells)}</div>"


def _activity_note(table: pd.DataFrame, units: str | None) -> str:
    """How many activities were censored or not numbers (they are flagged in the table)."""
    if "activity" not in table.columns or table["activity"].isna().all():
        if "activity_note" not in table.columns:
            return ""
    notes = table["activity_note"].fillna("").astype(str) if "activity_note" in table else None
    if notes is None:
        return ""
    censored = int(notes.str.startswith("censored").sum())
    other = int(((notes != "") & ~notes.str.startswith("censored")).sum())
    n_values = int(table["activity"].notna().sum()) if "activity" in table else 0
    if not (censored or other or n_values):
        return ""
    label = column_label("activity", activity_units=units)
    bits = [f"{html.escape(label)}: {n_values:,} numeric values"]
    if censored:
        bits.append(
            f"<span class='ma-flag'>{censored:,} censored</span> (e.g. '&gt; 10': the number "
            "kept, flagged '&gt;'/'&lt;' in the table)"
        )
    if other:
        bits.append(f"<span class='ma-flag'>{other:,} not a number</span> (left empty)")
    return f"<p class='ma-note'>{' · '.join(bits)}</p>"


def _error_rows(table: pd.DataFrame, input_col: str | None) -> str:
    """The first error rows: input text, stage, code and RDKit's message."""
    if "status" not in table.columns:
        return ""
    where = np.flatnonzero((table["status"] == "error").to_numpy(dtype=bool))
    if not len(where):
        return ""
    n_errors = len(where)
    errors = table.iloc[where[:_ERROR_ROWS]]
    cols = [c for c in ("row", "id") if c in errors.columns]
    text_col = input_col or ("smiles_input" if "smiles_input" in errors.columns else None)
    head = "".join(f"<th>{html.escape(column_label(c))}</th>" for c in cols)
    head += "<th>Input</th><th>Stage</th><th>Error</th><th>Message</th>"
    body = []
    for rec in errors.head(_ERROR_ROWS).to_dict("records"):
        cells = "".join(f"<td>{html.escape(format_value(rec.get(c)))}</td>" for c in cols)
        for c in (text_col, "error_stage", "error_code", "error_message"):
            value = rec.get(c) if c else None
            value = "" if value is None or (isinstance(value, float) and value != value) else value
            cells += (
                f"<td><code>{html.escape(str(value))}</code></td>"
                if c == text_col
                else (f"<td>{html.escape(str(value))}</td>")
            )
        body.append(f"<tr class='ma-error-row'>{cells}</tr>")
    more = (
        f"<p class='ma-note'>… {n_errors - _ERROR_ROWS:,} more: tick 'error' in the "
        "Molecules tab</p>"
        if n_errors > _ERROR_ROWS
        else ""
    )
    return (
        f"<h4>Error rows ({n_errors:,})</h4><table class='ma-small ma-errors'>"
        f"<tr>{head}</tr>{''.join(body)}</table>{more}"
    )


def _unavailable_html(unavailable: list[tuple[str, str]]) -> str:
    if not unavailable:
        return ""
    items = "".join(
        f"<li><b>{html.escape(_TAB_TITLES.get(n, n))}</b>: {html.escape(m)}</li>"
        for n, m in unavailable
    )
    return f"<h4>Not available here</h4><ul>{items}</ul>"


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
    """What the Overview needs of ``batch.summary()``, from the batch's attributes (the full
    summary scans every row: 15 s at a million rows)."""
    out: dict[str, Any] = {}
    for key, attr in (("timings", "timings"), ("cache", "run"), ("notes", "notes")):
        value = getattr(batch, attr, None)
        if value is not None:
            out[key] = value
    return out


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
        f"<div class='ma-note' style='margin-top:8px'>{head}"
        f"{f'<ul style=margin:2px>{items}</ul>' if items else ''}</div>"
    )


def _top(table: pd.DataFrame, column: str, split: str | None = None, n: int = 10) -> dict:
    """The ``n`` most frequent values (or ``split``-separated parts) of a text column.

    Counts the distinct strings first (a million rows hold few distinct alert lists), then
    splits only those.
    """
    if column not in table.columns:
        return {}
    counts = table[column].value_counts(dropna=True)
    if not split:
        return {str(k): int(v) for k, v in counts.items() if str(k)}
    acc: Counter[str] = Counter()
    for text, count in counts.items():
        for part in str(text).split(split):
            if part:
                acc[part] += int(count)
    return dict(acc.most_common(n))


def _check_descriptions() -> dict[str, str]:
    try:
        from molaudit.molecule.checks import CHECKS
    except Exception:  # the panel still shows the codes
        return {}
    return {code: check.description for code, check in CHECKS.items()}


def _counts_table(
    title: str, counts: Any, n: int = 10, described: dict[str, str] | None = None
) -> str:
    """Counts as a small table; with ``described``, the description is shown and the code
    is the tooltip (and a grey suffix)."""
    if isinstance(counts, pd.Series):
        counts = counts.to_dict()
    if not counts:
        return f"<div><h4>{html.escape(title)}</h4><p class='ma-note'>none</p></div>"
    items = sorted(counts.items(), key=lambda kv: -float(kv[1] or 0))[:n]
    described = described or {}

    def name(key: Any) -> str:
        code = str(key)
        text = described.get(code)
        if not text:
            return html.escape(code)
        short = text if len(text) <= 70 else text[:69] + "…"
        return (
            f"<span title='{html.escape(code + ': ' + text, quote=True)}'>"
            f"{html.escape(short[:1].upper() + short[1:])}</span> "
            f"<span class='ma-note'>{html.escape(code)}</span>"
        )

    rows = "".join(
        f"<tr><td>{name(k)}</td><td style='text-align:right'>"
        f"{html.escape(format_value(v))}</td></tr>"
        for k, v in items
    )
    return f"<div><h4>{html.escape(title)}</h4><table class='ma-small'>{rows}</table></div>"


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
    units = getattr(batch, "activity_units", None)
    if cols.get("activity") and units:
        bits.append(f"activity units: {html.escape(str(units))}")
    key = getattr(batch, "key", None)
    if key:
        bits.append(f"<span class='ma-note'>key {html.escape(str(key)[:12])}</span>")
    return " · ".join(bits)
