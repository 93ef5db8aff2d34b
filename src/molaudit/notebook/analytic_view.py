"""One tab of the panel per analytic: parameters, a Run button, progress, and the result.

Any :class:`~molaudit.analytics.AnalyticResult` is shown generically (summary as key figures,
every frame as a paged table); a few analytics get a special view on top (chemical-space
scatter, scaffold bars, correlation heatmap). Expensive analytics run in a background thread;
their progress and errors show in the tab itself.
"""

from __future__ import annotations

import ast
import html
import json
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from molaudit.notebook.depict import img_tag
from molaudit.notebook.table_widget import MoleculeTable

__all__ = ["AnalyticView", "parse_params", "rows_of_frame", "summary_html"]

RowsCallback = Callable[..., None]
#: Columns holding one input row; columns holding ';'-joined input rows.
_ROW_COLUMNS = (
    "row",
    "row_a",
    "row_b",
    "row_1",
    "row_2",
    "query_row",
    "neighbor_row",
    "centroid_row",
    "representative_row",
)
_ROWS_COLUMNS = ("rows", "members", "member_rows")
#: String parameters offered as a drop-down: analytic -> parameter -> module constant.
_CHOICES = {
    "chemical_space": ("method", "METHODS", ("pca", "tsne", "umap")),
    "clusters": ("method", "METHODS", ("butina",)),
    "activity_cliffs": ("definition", "_DEFINITIONS", ("moleculeace", "sali", "mmp")),
}


def parse_params(text: str) -> dict[str, Any]:
    """Parse ``key=value, key=value`` (values are Python literals or bare words).

    Raises
    ------
    ValueError
        When an item is not ``key=value`` or the key is not an identifier.
    """
    params: dict[str, Any] = {}
    text = text.strip()
    if not text:
        return params
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError:
        raise ValueError(
            f"parameters must look like 'cutoff=0.35, method=\"butina\"', got {text!r}"
        ) from None
    if not isinstance(call, ast.Call) or call.args:
        raise ValueError(f"parameters must be key=value pairs, got {text!r}")
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError(f"parameters must be key=value pairs, got {text!r}")
        if isinstance(kw.value, ast.Name):  # bare words: method=butina
            params[kw.arg] = kw.value.id
        else:
            try:
                params[kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                raise ValueError(f"parameter {kw.arg!r} must be a literal value") from None
    return params


def rows_of_frame(frame: pd.DataFrame, positions: list[int] | None = None) -> list[int]:
    """Input rows referred to by (some rows of) a result frame.

    Uses the ``row`` column, ``row_a``/``row_b`` pairs, or ``';'``-joined ``rows``/``members``.
    """
    sub = frame if positions is None else frame.iloc[positions]
    out: set[int] = set()
    for col in _ROW_COLUMNS:
        if col in sub.columns:
            out.update(int(v) for v in sub[col].dropna().tolist())
    for col in _ROWS_COLUMNS:
        if col in sub.columns:
            for text in sub[col].dropna().astype(str):
                out.update(int(p) for p in text.split(";") if p.strip().lstrip("-").isdigit())
    return sorted(out)


def summary_html(summary: dict[str, Any], limit: int = 40) -> str:
    """Key figures of a summary dict as an escaped HTML table."""
    if not summary:
        return ""
    cells = []
    for key, value in list(summary.items())[:limit]:
        if isinstance(value, float):
            text = f"{value:.4g}"
        elif isinstance(value, dict | list):
            text = json.dumps(value, default=str)
            text = text if len(text) <= 160 else text[:159] + "…"
        else:
            text = str(value)
        cells.append(
            f"<div class='ma-kf'><div class='ma-kf-v'>{html.escape(text)}</div>"
            f"<div class='ma-kf-k'>{html.escape(str(key))}</div></div>"
        )
    return (
        "<style>.ma-kfs{display:flex;flex-wrap:wrap;gap:8px}.ma-kf{border:1px solid #ddd;"
        "border-radius:6px;padding:4px 10px;max-width:420px}.ma-kf-v{font-size:15px;"
        "font-weight:600;overflow-wrap:anywhere}.ma-kf-k{color:#666;font-size:11px}</style>"
        f"<div class='ma-kfs'>{''.join(cells)}</div>"
    )


class AnalyticView(widgets.VBox):
    """Tab content for one analytic.

    Parameters
    ----------
    batch : molaudit.Batch
        The batch.
    name : str
        Registered analytic name.
    kind : str
        'cheap' or 'expensive' (expensive ones wait for the Run button unless cached).
    state : str
        State from ``batch.analytics.status()``.
    description : str
        One line shown on top.
    on_rows : callable, optional
        ``on_rows(rows, label)``: show these input rows in the Molecules table.
    """

    def __init__(
        self,
        batch: Any,
        name: str,
        *,
        kind: str = "expensive",
        state: str = "not run",
        description: str = "",
        message: str = "",
        on_rows: RowsCallback | None = None,
    ) -> None:
        self.batch = batch
        self.name = name
        self.kind = kind
        self.on_rows = on_rows
        self.result = None
        self.thread: threading.Thread | None = None
        self.params = widgets.Text(
            placeholder=_defaults_text(name) or "parameters: key=value, ...",
            layout=widgets.Layout(width="420px"),
        )
        self.choice = _choice_dropdown(name)
        self.run_button = widgets.Button(
            description="Run again" if state in ("cached", "done") else "Run",
            button_style="primary",
            icon="play",
        )
        self.run_button.on_click(lambda _b: self.run(**self._params_or_error()))
        self.status = widgets.HTML(_state_html(state, message))
        self.output = widgets.VBox()
        head = widgets.HTML(
            f"<b>{html.escape(name)}</b> — {html.escape(description)}" if description else ""
        )
        controls = [self.params, self.run_button, self.status]
        if self.choice is not None:
            controls.insert(0, self.choice)
        super().__init__([head, widgets.HBox(controls), self.output])
        self.add_class("molaudit-analytic")
        if state == "unavailable":
            self.run_button.disabled = True
        elif kind == "cheap" or state in ("cached", "done"):
            # cached results come straight from the disk cache; cheap ones are quick to compute
            self.run(wait=True)

    def _params_or_error(self) -> dict[str, Any]:
        try:
            params = parse_params(self.params.value)
            if self.choice is not None:
                params.setdefault(_CHOICES[self.name][0], self.choice.value)
            return params
        except ValueError as exc:
            self.status.value = _error_html(str(exc))
            return {"__invalid__": True}

    def run(self, *, wait: bool = False, **params: Any) -> threading.Thread | None:
        """Run the analytic (in a background thread unless ``wait``); results show in the tab."""
        if params.pop("__invalid__", False):
            return None
        if self.thread is not None and self.thread.is_alive():
            self.status.value = _error_html("already running")
            return self.thread
        done = threading.Event()
        started = time.perf_counter()

        def work() -> None:
            try:
                result = self.batch.analytics.run(self.name, **params)
            except Exception as exc:  # shown in the tab: nobody reads the kernel log
                tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
                self.status.value = _error_html(f"{self.name} failed: {tb}")
                return
            finally:
                done.set()
            elapsed = time.perf_counter() - started
            try:
                self.show(result)
                note = f" — {result.message}" if result.message else ""
                self.status.value = (
                    f"<span style='color:#2a7'>done in {elapsed:.1f} s</span>{html.escape(note)}"
                )
                self.run_button.description = "Run again"
            except Exception as exc:
                self.status.value = _error_html(
                    f"showing {self.name} failed: {type(exc).__name__}: {exc}"
                )

        def tick() -> None:
            while not done.wait(0.5):
                self.status.value = (
                    f"<span class='ma-running'>running… {time.perf_counter() - started:.0f} s"
                    "</span>"
                )

        if wait:
            work()
            return None
        self.status.value = "<span class='ma-running'>running…</span>"
        self.thread = threading.Thread(target=work, name=f"molaudit-{self.name}", daemon=True)
        self.thread.start()
        threading.Thread(target=tick, daemon=True).start()
        return self.thread

    # ------------------------------------------------------------------ display
    def show(self, result: Any) -> None:
        """Show an AnalyticResult."""
        self.result = result
        parts: list[widgets.Widget] = []
        if result.message:
            parts.append(widgets.HTML(f"<p><em>{html.escape(result.message)}</em></p>"))
        if result.summary:
            parts.append(widgets.HTML(summary_html(result.summary)))
        special = _SPECIAL.get(self.name)
        if special is not None:
            try:
                parts.extend(special(self, result))
            except Exception as exc:  # a special view must never hide the generic tables
                parts.append(widgets.HTML(_error_html(f"plot failed: {exc}")))
        table = getattr(self.batch, "table", None)
        frames = {
            k: (with_structures(v, table) if table is not None and "smiles" in table else v)
            for k, v in result.frames.items()
            if isinstance(v, pd.DataFrame)
        }
        if frames:
            parts.append(self._frames_view(frames))
        self.output.children = parts

    def _frames_view(self, frames: dict[str, pd.DataFrame]) -> widgets.Widget:
        names = list(frames)
        picker = widgets.Dropdown(
            options=[(f"{k} ({len(v):,} rows)", k) for k, v in frames.items()],
            value=names[0],
            description="table",
        )
        box = widgets.VBox()
        hint = widgets.HTML(
            "<small>select rows to show their molecules in the Molecules tab</small>"
        )

        def show(name: str) -> None:
            frame = frames[name]
            table = MoleculeTable(frame, page_size=20)
            if _has_row_refs(frame):
                table.on_select(
                    lambda sel, frame=frame, table=table: self._frame_selection(frame, table, name)
                )
            box.children = [table]
            self.frame_table = table

        picker.observe(lambda ch: show(ch["new"]), names="value")
        show(names[0])
        return widgets.VBox([widgets.HBox([picker, hint]), box])

    def _frame_selection(self, frame: pd.DataFrame, table: MoleculeTable, name: str) -> None:
        model = table.model
        chosen = set(model.selection)
        if "row" in frame.columns:
            rows = sorted(chosen)
        else:
            positions = [p for p in range(len(frame)) if p in chosen]
            rows = rows_of_frame(frame, positions)
        if self.on_rows is not None:
            self.on_rows(rows, f"{self.name}: {name}")


def _has_row_refs(frame: pd.DataFrame) -> bool:
    return bool(({*_ROW_COLUMNS, *_ROWS_COLUMNS}) & set(frame.columns))


def with_structures(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus the SMILES of the rows it refers to, so that its table draws them.

    A frame with ``row`` gets ``smiles``; one with ``row_1``/``row_2`` (pairs) gets
    ``smiles_1``/``smiles_2``; frames that already carry SMILES are returned unchanged.
    """
    cols = set(frame.columns)
    if any("smiles" in str(c).lower() or "scaffold" in str(c).lower() for c in cols):
        return frame
    lookup = pd.Series(table["smiles"].to_numpy(), index=table["row"].to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    if {"row_1", "row_2"} <= cols:
        return frame.assign(
            smiles_1=lookup.reindex(frame["row_1"].to_numpy()).to_numpy(),
            smiles_2=lookup.reindex(frame["row_2"].to_numpy()).to_numpy(),
        )
    if "row" in cols:
        return frame.assign(smiles=lookup.reindex(frame["row"].to_numpy()).to_numpy())
    return frame


def _defaults_text(name: str) -> str:
    """'key=default, ...' of an analytic's keyword parameters (the Run box's placeholder)."""
    import inspect

    try:
        from molaudit.analytics import REGISTRY

        sig = inspect.signature(REGISTRY[name].func)
    except (KeyError, ImportError, TypeError, ValueError):
        return ""
    items = [
        f"{p.name}={p.default!r}"
        for p in list(sig.parameters.values())[1:]
        if p.default is not inspect.Parameter.empty and len(repr(p.default)) <= 24
    ]
    return ", ".join(items[:6])


def _choice_dropdown(name: str) -> widgets.Dropdown | None:
    if name not in _CHOICES:
        return None
    param, constant, fallback = _CHOICES[name]
    options: Any = fallback
    try:
        import sys

        from molaudit.analytics import REGISTRY

        module = sys.modules[REGISTRY[name].func.__module__]
        options = tuple(getattr(module, constant, fallback))
    except (KeyError, ImportError):
        pass
    return widgets.Dropdown(
        options=list(options),
        value=options[0],
        description=param,
        layout=widgets.Layout(width="220px"),
    )


def _state_html(state: str, message: str) -> str:
    colour = {"cached": "#2a7", "failed": "#c33", "unavailable": "#999"}.get(state, "#555")
    text = state + (f": {message}" if message else "")
    return f"<span style='color:{colour}'>{html.escape(text)}</span>"


def _error_html(text: str) -> str:
    return (
        "<div class='ma-error' style='color:#842029;background:#f8d7da;padding:2px 8px;"
        f"border-radius:4px'>{html.escape(text)}</div>"
    )


# ---------------------------------------------------------------------- special views
def _chemical_space_view(view: AnalyticView, result: Any) -> list[widgets.Widget]:
    from molaudit.notebook.scatter_view import LinkedScatter

    coords = result.frames.get("coordinates")
    if coords is None or coords.empty:
        return []
    method = str(result.params.get("method", "")) if result.params else ""
    scatter = LinkedScatter(
        view.batch,
        coords,
        on_rows=view.on_rows,
        label=f"chemical space{' ' + method if method else ''}",
    )
    view.figure = scatter.figure
    view.scatter = scatter
    return [scatter]


def _scaffold_view(view: AnalyticView, result: Any) -> list[widgets.Widget]:
    from molaudit.notebook.plots import bar_counts

    frame = next(
        (f for f in result.frames.values() if "scaffold" in f.columns and "rows" in f.columns),
        None,
    )
    if frame is None or frame.empty:
        return []
    count = next((c for c in ("n_molecules", "count", "n") if c in frame.columns), None)
    if count is None:
        return []
    if "kind" in frame.columns and (frame["kind"] == "murcko").any():
        frame = frame[frame["kind"] == "murcko"]
    top = frame.sort_values(count, ascending=False, kind="stable").head(25)
    labels = [s if isinstance(s, str) and s else "(acyclic)" for s in top["scaffold"]]
    fig = bar_counts(
        labels, top[count].tolist(), title="top Murcko scaffolds (click a bar: its molecules)"
    )
    pictures = widgets.HTML(
        "<div style='display:flex;flex-wrap:wrap;gap:6px'>"
        + "".join(
            f"<div style='text-align:center'>{img_tag(s, 140, 100, title=s)}"
            f"<div><small>{int(c)} molecules</small></div></div>"
            for s, c in zip(top["scaffold"].head(12), top[count].head(12), strict=False)
            if isinstance(s, str) and s
        )
        + "</div>"
    )

    def click(_trace, points, _state) -> None:
        if not points.point_inds:
            return
        pos = int(points.point_inds[0])
        rows = rows_of_frame(top, [pos])
        if view.on_rows is not None and rows:
            view.on_rows(rows, f"scaffold {labels[pos]}")

    fig.data[0].on_click(click)
    view.figure = fig
    return [pictures, fig]


def _statistics_view(view: AnalyticView, result: Any) -> list[widgets.Widget]:
    from molaudit.notebook.plots import correlation_heatmap

    out: list[widgets.Widget] = []
    for name in ("pearson", "spearman"):
        frame = result.frames.get(name)
        if frame is not None and not frame.empty:
            out.append(correlation_heatmap(frame, title=f"{name} correlation"))
    return out


def _dedup_view(view: AnalyticView, result: Any) -> list[widgets.Widget]:
    table = view.batch.table
    smiles = pd.Series(table["smiles"].to_numpy(), index=table["row"].to_numpy())
    ids = pd.Series(table["id"].astype(str).to_numpy(), index=table["row"].to_numpy())
    blocks = []
    for level in ("exact", "tautomer", "stereo", "salt"):
        groups = result.frames.get(f"groups_{level}")
        if groups is None or groups.empty:
            continue
        top = groups.sort_values("count", ascending=False, kind="stable").head(8)
        cards = []
        for rec in top.to_dict("records"):
            rows = [int(r) for r in str(rec.get("rows", "")).split(";") if r.strip().isdigit()]
            pics = "".join(
                "<div style='text-align:center'>"
                f"{img_tag(str(smiles.get(r, '') or ''), 130, 95)}"
                f"<div><small>{html.escape(ids.get(r, ''))} (row {r})</small></div></div>"
                for r in rows[:6]
            )
            more = f"<small>… and {len(rows) - 6} more</small>" if len(rows) > 6 else ""
            cards.append(
                "<div style='border:1px solid #ddd;border-radius:6px;padding:4px;margin:4px 0'>"
                f"<b>group {html.escape(str(rec.get('group', '')))}</b> · "
                f"{int(rec.get('count', len(rows)))} rows"
                f"<div style='display:flex;flex-wrap:wrap;gap:4px'>{pics}{more}</div></div>"
            )
        blocks.append(f"<h4>{html.escape(level)}: {len(groups)} groups</h4>{''.join(cards)}")
    if not blocks:
        return [widgets.HTML("<p>No duplicates at any level.</p>")]
    return [widgets.HTML("".join(blocks))]


_SPECIAL: dict[str, Callable[[AnalyticView, Any], list[widgets.Widget]]] = {
    "chemical_space": _chemical_space_view,
    "scaffolds": _scaffold_view,
    "statistics": _statistics_view,
    "dedup": _dedup_view,
}
