"""One tab of the panel per analytic: parameter controls, a Run button, progress, the view.

The controls are generated from the analytic's declared parameters
(:mod:`molaudit.notebook.views.controls`); the result is drawn by the analytic's view
(:mod:`molaudit.notebook.views`: cards, drawings, plots) with the result's tables below for
drill-down. A result whose parameters no longer match the controls, or that survived a failed
run, is marked stale. Expensive analytics run in a background thread; progress and errors show
in the tab itself.
"""

from __future__ import annotations

import ast
import html
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from molaudit.notebook.table_widget import MoleculeTable
from molaudit.notebook.views import ViewContext, render_html
from molaudit.notebook.views._common import rows_list
from molaudit.notebook.views.controls import ParamControls, declared_params

__all__ = [
    "AnalyticView",
    "group_options",
    "parse_params",
    "rows_of_frame",
    "stale_text",
    "summary_html",
    "with_structures",
]

RowsCallback = Callable[..., None]
#: Columns holding one input row; columns holding a list of input rows.
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

    Uses the ``row`` column, ``row_a``/``row_b`` and ``row_1``/``row_2`` pairs, and ``rows``/
    ``members`` cells (lists of ints, or the older ``';'``-joined text).
    """
    sub = frame if positions is None else frame.iloc[positions]
    out: set[int] = set()
    for col in _ROW_COLUMNS:
        if col in sub.columns:
            out.update(int(v) for v in sub[col].dropna().tolist())
    for col in _ROWS_COLUMNS:
        if col in sub.columns:
            for cell in sub[col].tolist():
                out.update(rows_list(cell))
    return sorted(out)


def summary_html(summary: dict[str, Any], limit: int = 40) -> str:
    """Key figures of a summary dict as escaped HTML: human labels, code names as tooltips."""
    from molaudit.notebook.labels import format_value, summary_label

    if not summary:
        return ""
    cells = []
    for key, value in list(summary.items())[:limit]:
        text = format_value(value)
        text = text if len(text) <= 160 else text[:159] + "…"
        cells.append(
            f"<div class='ma-kf' title='{html.escape(str(key), quote=True)}'>"
            f"<div class='ma-kf-v'>{html.escape(text)}</div>"
            f"<div class='ma-kf-k'>{html.escape(summary_label(str(key)))}</div></div>"
        )
    return (
        "<style>.ma-kfs{display:flex;flex-wrap:wrap;gap:8px}.ma-kf{border:1px solid "
        "var(--jp-border-color2,#ddd);border-radius:6px;padding:4px 10px;max-width:420px}"
        ".ma-kf-v{font-size:15px;font-weight:600;overflow-wrap:anywhere}.ma-kf-k{color:"
        "var(--jp-ui-font-color2,#666);font-size:11px}</style>"
        f"<div class='ma-kfs'>{''.join(cells)}</div>"
    )


def stale_text(shown: dict[str, Any], wanted: dict[str, Any], *, failed: bool = False) -> str:
    """The stale-result banner: what the shown result was computed with, and why it is stale.

    Only the parameters that differ are named: "result for cutoff 0.35; parameters changed —
    Run to update".
    """
    changed = [k for k in wanted if k in shown and shown[k] != wanted[k]]
    changed += [k for k in wanted if k not in shown]
    what = ", ".join(f"{k.replace('_', ' ')} {_short(shown.get(k, 'default'))}" for k in changed)
    head = f"result for {what}" if what else "result shown"
    if failed:
        return f"{head}; the last run failed — this result is stale"
    return f"{head}; parameters changed — Run to update"


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


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

    Attributes
    ----------
    controls : ParamControls
        The generated parameter controls.
    params : ipywidgets.Text
        Extra keyword text (``key=value, ...``), offered only for analytics whose parameters are
        not declared; it overrides the controls.
    stale : ipywidgets.HTML
        The stale-result banner (empty while the shown result matches the controls).
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
        self.spec = _spec(name)
        declared = declared_params(self.spec) if self.spec is not None else ()
        self.controls = ParamControls(
            name,
            declared,
            rows=lambda: list(getattr(batch, "selection", None) or []),
            on_change=self._mark_stale,
        )
        undeclared = self.spec is None or getattr(self.spec, "params", None) is None
        self.params = widgets.Text(
            placeholder="more parameters: key=value, ...",
            layout=widgets.Layout(width="360px", display="" if undeclared else "none"),
            tooltip="keyword arguments passed to the analytic (Python literals)",
        )
        self.run_button = widgets.Button(
            description="Run again" if state in ("cached", "done") else "Run",
            button_style="primary",
            icon="play",
        )
        self.run_button.on_click(lambda _b: self.run(**self._params_or_error()))
        self.status = widgets.HTML(_state_html(state, message))
        self.stale = widgets.HTML()
        self.output = widgets.VBox()
        head = widgets.HTML(
            f"<b>{html.escape(_title(name))}</b> — {html.escape(description)}"
            if description
            else ""
        )
        head.tooltip = name
        super().__init__(
            [
                head,
                self.controls,
                widgets.HBox([self.params, self.run_button, self.status]),
                self.stale,
                self.output,
            ]
        )
        self.add_class("molaudit-analytic")
        if state == "unavailable":
            self.run_button.disabled = True
        elif kind == "cheap" or state in ("cached", "done"):
            # cached results come straight from the disk cache; cheap ones are quick to compute
            self.run(wait=True)

    # ------------------------------------------------------------------ parameters
    def _params_or_error(self) -> dict[str, Any]:
        try:
            params = self.controls.values()
        except ValueError as exc:  # ParameterError: the controls show the message
            self.status.value = _error_html(str(exc))
            self._mark_stale(failed=True)
            return {"__invalid__": True}
        try:
            params.update(parse_params(self.params.value))
        except ValueError as exc:
            self.status.value = _error_html(str(exc))
            self._mark_stale(failed=True)
            return {"__invalid__": True}
        return params

    def _wanted(self) -> dict[str, Any]:
        """Full parameters the controls ask for now (defaults filled), {} when invalid."""
        defaults = {p.name: p.default for p in self.controls.declared}
        try:
            raw = self.controls.raw()
            raw.update(parse_params(self.params.value))
        except ValueError:
            return {}
        return {**defaults, **raw}

    def _mark_stale(self, failed: bool = False) -> None:
        if self.result is None:
            self.stale.value = ""
            return
        shown = dict(self.result.params or {})
        wanted = {k: v for k, v in self._wanted().items() if k != "rows" or k in shown}
        differs = any(k in shown and shown[k] != v for k, v in wanted.items())
        if failed or differs:
            self.stale.value = (
                "<div class='ma-stale' style='background:#fff3cd;color:#664d03;padding:3px 8px;"
                f"border-radius:4px'>⚠ {html.escape(stale_text(shown, wanted, failed=failed))}"
                "</div>"
            )
            self.output.add_class("ma-stale-result")
        else:
            self.stale.value = ""
            self.output.remove_class("ma-stale-result")

    # ------------------------------------------------------------------ running
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
                self._mark_stale(failed=True)
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
        """Show an AnalyticResult: its view, interactive extras, then its tables."""
        self.result = result
        ctx = ViewContext.of(self.batch)
        parts: list[widgets.Widget] = []
        interactive = _INTERACTIVE.get(self.name)
        extras: list[widgets.Widget] = []
        if interactive is not None:
            try:
                extras = interactive(self, result, ctx)
            except Exception as exc:  # an extra must never hide the static view
                extras = [widgets.HTML(_error_html(f"plot failed: {exc}"))]
        body = (
            None
            if (self.name == "chemical_space" and extras)
            else render_html(self.name, result, ctx)
        )
        if self.name in _OWN_BODY and extras:
            body = ""  # the extra shows the view itself (it re-renders it on a control)
        if body is None:
            if result.message:
                parts.append(widgets.HTML(f"<p><em>{html.escape(result.message)}</em></p>"))
            if result.summary:
                parts.append(widgets.HTML(summary_html(result.summary)))
        parts.extend(extras)
        if body:
            parts.append(widgets.HTML(body))
        table = getattr(self.batch, "table", None)
        frames = {
            k: (with_structures(v, table) if table is not None and "smiles" in table else v)
            for k, v in result.frames.items()
            if isinstance(v, pd.DataFrame)
        }
        if frames:
            tables = self._frames_view(frames)
            if body is not None:  # the view is the answer; the tables are the drill-down
                box = widgets.Accordion([tables], titles=("Result tables",), selected_index=None)
                parts.append(box)
            else:
                parts.append(tables)
        self.output.children = parts
        self.controls.set_values(
            {k: v for k, v in (result.params or {}).items() if k in self.controls.controls}
        )
        self._mark_stale()

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

    def __repr__(self) -> str:
        return f"<molaudit AnalyticView {self.name}>"


def _spec(name: str) -> Any:
    try:
        from molaudit.analytics import REGISTRY
    except ImportError:
        return None
    return REGISTRY.get(name)


def _title(name: str) -> str:
    return name.strip("_").replace("_", " ").capitalize()


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


def _state_html(state: str, message: str) -> str:
    colour = {"cached": "#2a7", "failed": "#c33", "unavailable": "#999"}.get(state, "#555")
    text = state + (f": {message}" if message else "")
    return f"<span style='color:{colour}'>{html.escape(text)}</span>"


def _error_html(text: str) -> str:
    return (
        "<div class='ma-error' style='color:#842029;background:#f8d7da;padding:2px 8px;"
        f"border-radius:4px'>{html.escape(text)}</div>"
    )


# ---------------------------------------------------------------------- interactive extras
def _chemical_space_view(view: AnalyticView, result: Any, ctx: ViewContext) -> list[widgets.Widget]:
    from molaudit.notebook.scatter_view import LinkedScatter
    from molaudit.notebook.views.chemspace import axis_titles

    coords = result.frames.get("coordinates")
    if coords is None or coords.empty:
        return []
    method = str(result.params.get("method", "")) if result.params else ""
    x_title, y_title = axis_titles(result)
    scatter = LinkedScatter(
        view.batch,
        coords,
        on_rows=view.on_rows,
        label=f"chemical space{' ' + method if method else ''}",
        x_title=x_title,
        y_title=y_title,
    )
    view.figure = scatter.figure
    view.scatter = scatter
    return [scatter]


def _cliffs_view(view: AnalyticView, result: Any, ctx: ViewContext) -> list[widgets.Widget]:
    """The SALI landscape as a plotly widget: clicking a point shows that pair's card."""
    import plotly.graph_objects as go

    from molaudit.notebook.plot_widget import PlotWidget
    from molaudit.notebook.views._common import CSS
    from molaudit.notebook.views.cliffs import pair_card, ranked_pairs

    pairs = ranked_pairs(result)
    if pairs.empty:
        return []
    tips = [
        html.escape(f"#{i + 1} {ctx.ident(int(a))} / {ctx.ident(int(b))}")
        for i, (a, b) in enumerate(zip(pairs["row_1"], pairs["row_2"], strict=True))
    ]
    figure = go.Figure(
        go.Scattergl(
            x=pairs["_sim"].to_numpy(float),
            y=pairs["_dp"].to_numpy(float),
            mode="markers",
            text=tips,
            hovertemplate="%{text}<br>similarity %{x:.3f}<br>|Δ pActivity| %{y:.2f}<extra></extra>",
            marker={"size": 8, "color": "#4c78a8"},
        ),
        layout={
            "height": 340,
            "width": 560,
            "margin": {"l": 60, "r": 10, "t": 30, "b": 50},
            "title": {"text": "SALI landscape (click a point: its pair)", "font": {"size": 13}},
            "xaxis": {"title": {"text": "Tanimoto similarity"}},
            "yaxis": {"title": {"text": "|Δ pActivity| (log units)"}},
        },
    )
    # H6's PlotWidget: plotly.js sent once per page, private mode bar, clicks as messages
    fig = PlotWidget(figure, select=False)
    card = widgets.HTML(
        f"<style>{CSS}</style><div class='ma-v'><p class='ma-note'>click a point in the "
        "landscape to see that pair</p></div>"
    )

    def click(_trace: Any, points: Any, _state: Any) -> None:
        if not points.point_inds:
            return
        i = int(points.point_inds[0])
        rec = pairs.iloc[i].to_dict()
        card.value = f"<style>{CSS}</style><div class='ma-v'>{pair_card(rec, i + 1, ctx)}</div>"
        if view.on_rows is not None:
            view.on_rows([int(rec["row_1"]), int(rec["row_2"])], f"cliff #{i + 1}", switch=False)

    fig.data[0].on_click(click)
    view.figure = fig
    view.pair_view = card
    view.pairs = pairs
    return [widgets.HBox([fig, card])]


def _rgroups_view(view: AnalyticView, result: Any, ctx: ViewContext) -> list[widgets.Widget]:
    """The R-group view with an axis picker: which R position on the rows, which on the columns."""
    from molaudit.notebook.views.rgroups import r_positions

    dec = result.frames.get("decomposition")
    labels = r_positions(dec) if dec is not None and not dec.empty else []
    body = widgets.HTML(render_html("rgroups", result, ctx) or "")
    if len(labels) < 2:
        return [body]
    rows = widgets.Dropdown(
        options=labels, value=labels[0], description="rows", layout=widgets.Layout(width="180px")
    )
    columns = widgets.Dropdown(
        options=[*((c, c) for c in labels), ("none", "")],
        value=labels[1],
        description="columns",
        layout=widgets.Layout(width="200px"),
    )

    def redraw(_change: Any = None) -> None:
        if rows.value == columns.value:  # swap instead of refusing: the other axis moves
            others = [c for c in labels if c != rows.value]
            columns.value = others[0]
            return
        body.value = (
            render_html("rgroups", result, ctx, rows=rows.value, columns=columns.value) or ""
        )

    rows.observe(redraw, names="value")
    columns.observe(redraw, names="value")
    view.axis_picker = (rows, columns)
    view.rgroups_body = body
    hint = widgets.HTML(
        "<small>SAR matrix axes: the R position on the rows and on the columns</small>"
    )
    return [widgets.HBox([rows, columns, hint]), body]


def _statistics_view(view: AnalyticView, result: Any, ctx: ViewContext) -> list[widgets.Widget]:
    from molaudit.notebook.plots import correlation_heatmap

    out: list[widgets.Widget] = []
    for name in ("pearson", "spearman"):
        frame = result.frames.get(name)
        if frame is not None and not frame.empty:
            out.append(correlation_heatmap(frame, title=f"{name.capitalize()} correlation"))
    return out


def group_options(name: str, result: Any, ctx: ViewContext, limit: int = 200) -> list[tuple]:
    """(label, rows) of the groups a view draws as cards: duplicate groups, scaffold families."""
    out: list[tuple[str, tuple[int, ...]]] = []
    if name == "dedup":
        for level in ("exact", "tautomer", "stereo", "salt"):
            frame = result.frames.get(f"groups_{level}")
            if frame is None or frame.empty:
                continue
            for rec in frame.head(limit).to_dict("records"):
                rows = tuple(rows_list(rec.get("rows")))
                first = ctx.ident(rows[0]) if rows else ""
                out.append((f"{level}: {first} and {len(rows) - 1} more", rows))
    elif name == "scaffolds":
        from molaudit.notebook.views.scaffolds import top_scaffolds

        for rec in top_scaffolds(result, limit):
            rows = tuple(rows_list(rec.get("rows")))
            smi = str(rec["scaffold"])
            out.append((f"{len(rows)} molecules: {smi[:60]}", rows))
    return out


def _group_picker(view: AnalyticView, result: Any, ctx: ViewContext) -> list[widgets.Widget]:
    """A drop-down of the drawn groups: picking one shows its molecules in the table."""
    options = group_options(view.name, result, ctx)
    if not options or view.on_rows is None:
        return []
    picker = widgets.Dropdown(
        options=[("show the molecules of a group…", ()), *options],
        value=(),
        layout=widgets.Layout(width="480px"),
    )

    def pick(change: Any) -> None:
        rows = list(change["new"] or ())
        if rows and view.on_rows is not None:
            label = next(text for text, value in options if value == change["new"])
            view.on_rows(rows, f"{_title(view.name)}: {label}")

    picker.observe(pick, names="value")
    view.group_picker = picker
    return [picker]


#: Views whose interactive extra draws the view itself (the static body is not added again).
_OWN_BODY = frozenset({"rgroups"})

_INTERACTIVE: dict[str, Callable[[AnalyticView, Any, ViewContext], list[widgets.Widget]]] = {
    "chemical_space": _chemical_space_view,
    "activity_cliffs": _cliffs_view,
    "statistics": _statistics_view,
    "rgroups": _rgroups_view,
    "dedup": _group_picker,
    "scaffolds": _group_picker,
}
