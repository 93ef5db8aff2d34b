"""Compare view: ``molaudit.compare(a, b).show()``.

Plots (plotly, shown through :class:`molaudit.notebook.plot_widget.PlotWidget`, plotly.js served
by the kernel, nothing fetched): the nearest-reference similarity histogram (binned in the
kernel: the browser gets 20 counts, not one value per molecule), shared compounds per dedup
level, and the property shifts (KS statistic per property, medians in the hover). Scaffolds new
in ``other`` are drawn. Every string from the data is escaped; the plotly configuration has no
logo, no link and no cloud, share or "edit in" button.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from molaudit.notebook.plotly_config import plotly_config

__all__ = ["PLOTLY_CONFIG", "CompareView", "figures", "summary_html"]

#: Extra safety on top of :func:`plotly_config`'s allow-list of mode-bar buttons.
_REMOVE = ["sendDataToCloud", "sendChartToCloud", "editInChartStudio", "downloadJson",
           "toggleHover", "toggleSpikelines"]  # fmt: skip
_HEIGHT = 300
_SCAFFOLDS = 12


def config() -> dict[str, Any]:
    """The plotly.js config of these plots (a fresh dict)."""
    cfg = plotly_config()
    cfg.update(
        {
            "displaylogo": False,
            "modeBarButtonsToRemove": list(_REMOVE),
            "showLink": False,
            "showSendToCloud": False,
            "showEditInChartStudio": False,
        }
    )
    return cfg


PLOTLY_CONFIG = config()


def figures(result: Any) -> dict[str, go.Figure]:
    """The plots of a comparison: ``similarity``, ``overlap``, ``property_shift``."""
    s = result.summary
    out: dict[str, go.Figure] = {}
    hist = s.get("histogram") or {}
    edges = np.asarray(hist.get("edges") or [], dtype=float)
    counts = np.asarray(hist.get("counts") or [], dtype=float)
    if edges.size > 1:
        centers = (edges[:-1] + edges[1:]) / 2
        fig = go.Figure(
            go.Bar(
                x=centers,
                y=counts,
                width=float(edges[1] - edges[0]) * 0.95,
                marker_color="#4c78a8",
                hovertemplate="similarity %{x:.2f}: %{y} molecules<extra></extra>",
            )
        )
        for t, colour in ((0.7, "#f58518"), (0.9, "#e45756")):
            fig.add_vline(x=t, line_dash="dash", line_color=colour)
        fig.update_layout(
            title="nearest reference similarity of each molecule of other",
            xaxis_title="max Tanimoto to the reference",
            yaxis_title="molecules",
        )
        out["similarity"] = fig
    overlap = s.get("overlap") or {}
    if overlap:
        levels = list(overlap)
        fig = go.Figure(
            go.Bar(
                x=[html.escape(str(k)) for k in levels],
                y=[overlap[k]["shared_compounds"] for k in levels],
                marker_color="#54a24b",
                text=[f"{overlap[k]['fraction_of_other']:.0%}" for k in levels],
                hovertemplate="%{x}: %{y} shared compounds (%{text} of other)<extra></extra>",
            )
        )
        fig.update_layout(title="compounds of other also in the reference", yaxis_title="compounds")
        out["overlap"] = fig
    shift = result.frames.get("property_shift")
    if shift is not None and len(shift):
        names = [html.escape(str(p)) for p in shift["property"]]
        tips = [
            f"reference median {a:.3g}, other median {b:.3g}, p = {p:.2g}"
            for a, b, p in zip(shift["reference_median"], shift["other_median"],
                               shift["p_value"], strict=True)
        ]  # fmt: skip
        fig = go.Figure(
            go.Bar(
                x=names,
                y=shift["ks_statistic"].to_numpy(dtype=float),
                marker_color=["#e45756" if p < 0.01 else "#9d9d9d" for p in shift["p_value"]],
                customdata=tips,
                hovertemplate="%{x}: KS %{y:.3f}<br>%{customdata}<extra></extra>",
            )
        )
        fig.update_layout(
            title="property shift (two-sample KS statistic; red: p < 0.01)",
            yaxis_title="KS statistic",
            yaxis_range=[0, 1],
        )
        out["property_shift"] = fig
    for fig in out.values():
        fig.update_layout(height=_HEIGHT, margin={"l": 50, "r": 10, "t": 40, "b": 40},
                          template="plotly_white")  # fmt: skip
    return out


def summary_html(result: Any) -> str:
    """The sentence, key figures and novel scaffolds drawn (escaped HTML)."""
    from molaudit.notebook.depict import img_tag

    s = result.summary
    parts = [f"<p><b>{html.escape(str(s.get('sentence', '')))}</b></p>"]
    if result.message:
        parts.append(f"<p><em>{html.escape(result.message)}</em></p>")
    parts.append(
        "<p>"
        f"reference: {int(s.get('n_reference', 0)):,} molecules · other: "
        f"{int(s.get('n_other', 0)):,} · median nearest similarity "
        f"{html.escape(_num(s.get('median_similarity')))} · new scaffolds "
        f"{int(s.get('n_new_scaffolds', 0)):,} · lost scaffolds "
        f"{int(s.get('n_lost_scaffolds', 0)):,}"
        "</p>"
    )
    scaffolds = result.frames.get("scaffolds")
    if scaffolds is not None and len(scaffolds):
        new = scaffolds[scaffolds["status"] == "new"].head(_SCAFFOLDS)
        cards = "".join(
            "<div style='text-align:center;max-width:150px;font-size:11px'>"
            f"{img_tag(str(sc), 140, 100, title=str(sc))}<div>{int(n)} molecule"
            f"{'s' if int(n) != 1 else ''}</div></div>"
            for sc, n in zip(new["scaffold"], new["n"], strict=True)
        )
        if cards:
            parts.append(
                "<h4>Scaffolds new in other (most molecules first)</h4>"
                f"<div style='display:flex;flex-wrap:wrap;gap:6px'>{cards}</div>"
            )
    return "".join(parts)


def _num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"


class CompareView(widgets.VBox):
    """The comparison in a notebook: summary, three plots, novel scaffolds.

    Attributes
    ----------
    result : ComparisonResult
    plots : dict of str to PlotWidget
    """

    def __init__(self, result: Any) -> None:
        from molaudit.notebook.plot_widget import PlotWidget

        self.result = result
        self.plots: dict[str, Any] = {}
        for name, fig in figures(result).items():
            plot = PlotWidget(fig, select=False)
            plot.config = config()
            self.plots[name] = plot
        row = widgets.HBox(list(self.plots.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([widgets.HTML(summary_html(result)), row])
        self.add_class("molaudit-compare")

    def __repr__(self) -> str:
        return f"<molaudit CompareView: {self.result.summary.get('sentence', '')}>"
