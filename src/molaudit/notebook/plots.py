"""Plotly figures for the panel and the report (offline: plotly.js is sent by the kernel).

Histograms are binned in numpy so that the browser receives bin counts, not a million values;
scatter plots use WebGL (``Scattergl``) and numpy arrays, which travel as binary buffers. Above
:data:`DENSITY_THRESHOLD` points a scatter shows a density layer (2-D histogram binned here)
with a seeded sample of points on top; selections are then computed in the kernel from the
box/lasso geometry over every point (see :class:`molaudit.notebook.scatter_view.LinkedScatter`).
In the panel each figure is a :class:`~molaudit.notebook.plot_widget.PlotWidget`.
Hover texts come from the data and are HTML-escaped (plotly renders a subset of HTML in them
and decodes entities, so escaped text shows literally).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from molaudit.notebook.labels import label as column_label

__all__ = [
    "DENSITY_THRESHOLD",
    "SAMPLE_POINTS",
    "bar_counts",
    "chemical_space",
    "correlation_heatmap",
    "density_trace",
    "histograms",
    "sample_positions",
    "scatter",
]

_HEIGHT = 320
#: Scatter plots with more points than this draw a density layer plus a sample of points.
DENSITY_THRESHOLD = 30_000
#: Points drawn on top of the density layer (seeded random sample).
SAMPLE_POINTS = 15_000
_DENSITY_BINS = 120


def _widget(fig: go.Figure, widget: bool) -> Any:
    if not widget:
        return fig
    from molaudit.notebook.plot_widget import PlotWidget

    return PlotWidget(fig)


def histograms(
    table: pd.DataFrame,
    columns: Sequence[str],
    *,
    bins: int = 30,
    cols: int = 3,
    widget: bool = True,
    activity_units: str | None = None,
) -> go.Figure:
    """Grid of histograms of numeric columns, binned in numpy (error rows excluded).

    Parameters
    ----------
    table : pandas.DataFrame
        ``Batch.table`` or any frame with the columns.
    columns : sequence of str
        Numeric columns; missing or all-NaN columns are skipped.
    bins : int
        Bins per histogram.
    cols : int
        Histograms per row of the grid.
    widget : bool
        Return a ``PlotWidget`` (for the panel) rather than a ``Figure`` (for the report).
    activity_units : str, optional
        Units of the ``activity`` column, for its title.

    Subplot titles are the human labels with units ("Molecular weight (Da)").
    """
    keep = (table["status"] != "error").to_numpy(dtype=bool) if "status" in table else None
    usable = []
    for c in columns:
        if c in table.columns and pd.api.types.is_numeric_dtype(table[c]):
            values = table[c].to_numpy(dtype=float, na_value=np.nan)
            if keep is not None:
                values = values[keep]
            values = values[np.isfinite(values)]
            if values.size:
                usable.append((c, values))
    n = max(1, len(usable))
    ncols = min(cols, n)
    nrows = math.ceil(n / ncols)
    titles = [html.escape(column_label(c, activity_units=activity_units)) for c, _ in usable]
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=titles or [""],
        horizontal_spacing=0.08,
        vertical_spacing=0.18 if nrows > 1 else 0.1,
    )
    for i, (col, values) in enumerate(usable):
        integer = np.all(values == np.round(values)) and values.max() - values.min() <= bins
        if integer:
            lo, hi = values.min() - 0.5, values.max() + 0.5
            edges = np.arange(lo, hi + 1.0)
        else:
            edges = np.histogram_bin_edges(values, bins=bins)
        counts, edges = np.histogram(values, bins=edges)
        centers = (edges[:-1] + edges[1:]) / 2
        fig.add_trace(
            go.Bar(
                x=centers,
                y=counts,
                width=np.diff(edges),
                name=col,
                marker_color="#4c78a8",
                hovertemplate=f"{titles[i]} %{{x:.4g}}: %{{y:,}} molecules<extra></extra>",
            ),
            row=i // ncols + 1,
            col=i % ncols + 1,
        )
    fig.update_layout(
        height=max(_HEIGHT, 220 * nrows), showlegend=False, bargap=0.02, margin=dict(t=40, b=30)
    )
    return _widget(fig, widget)


def scatter(
    table: pd.DataFrame,
    x: str,
    y: str,
    *,
    color: str | None = None,
    widget: bool = True,
    activity_units: str | None = None,
) -> go.Figure:
    """WebGL scatter of two columns (labelled with units); ``customdata`` holds input rows."""
    sub = table.dropna(subset=[x, y])
    return _scatter(
        sub[x].to_numpy(float),
        sub[y].to_numpy(float),
        sub["row"].to_numpy() if "row" in sub else np.arange(len(sub)),
        sub["id"].astype(str).tolist() if "id" in sub else None,
        sub[color].to_numpy(float) if color else None,
        x_title=column_label(x, activity_units=activity_units),
        y_title=column_label(y, activity_units=activity_units),
        color_title=column_label(color, activity_units=activity_units) if color else None,
        widget=widget,
    )


def chemical_space(
    coordinates: pd.DataFrame,
    table: pd.DataFrame | None = None,
    *,
    color: str | None = None,
    title: str = "",
    x_title: str = "x",
    y_title: str = "y",
    widget: bool = True,
) -> go.Figure:
    """WebGL scatter of a chemical-space embedding.

    Parameters
    ----------
    coordinates : pandas.DataFrame
        Columns ``row``, ``x``, ``y`` (and ``id``), as in the ``coordinates`` frame of the
        ``chemical_space`` analytic.
    table : pandas.DataFrame, optional
        ``Batch.table``, to colour points by one of its numeric columns.
    color : str, optional
        Numeric column of ``table`` to colour by.
    x_title, y_title : str
        Axis titles, e.g. ``labels.pc_label(0, ratio)`` -> "PC1 (7.7 %)".
    """
    rows = coordinates["row"].to_numpy()
    values = None
    if color and table is not None and color in table.columns:
        lookup = pd.Series(
            table[color].to_numpy(dtype=float, na_value=np.nan), index=table["row"].to_numpy()
        )
        values = lookup.reindex(rows).to_numpy(dtype=float)
    ids = (
        coordinates["id"].astype(str).tolist()
        if "id" in coordinates and len(coordinates) <= DENSITY_THRESHOLD
        else None
    )
    return _scatter(
        coordinates["x"].to_numpy(float),
        coordinates["y"].to_numpy(float),
        rows,
        ids,
        values,
        x_title=x_title,
        y_title=y_title,
        color_title=column_label(color) if color else None,
        title=title,
        widget=widget,
    )


def sample_positions(n: int, k: int = SAMPLE_POINTS, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded random sample of ``k`` of ``n`` points (all when n <= k)."""
    if n <= k:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=k, replace=False))


def density_trace(x: np.ndarray, y: np.ndarray, bins: int = _DENSITY_BINS) -> go.Heatmap:
    """A 2-D histogram of every point, binned in numpy (log-scaled colour), as a heatmap."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    counts, xe, ye = np.histogram2d(x[ok], y[ok], bins=bins)
    z = np.log10(counts.T, where=counts.T > 0, out=np.full(counts.T.shape, np.nan))
    return go.Heatmap(
        x=(xe[:-1] + xe[1:]) / 2,
        y=(ye[:-1] + ye[1:]) / 2,
        z=z,
        colorscale="Greys",
        showscale=False,
        opacity=0.55,
        hoverinfo="skip",
        name="density",
    )


def _scatter(
    x: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    ids: list[str] | None,
    color: np.ndarray | None,
    *,
    x_title: str,
    y_title: str,
    color_title: str | None,
    title: str = "",
    widget: bool,
) -> go.Figure:
    n = len(x)
    dense = n > DENSITY_THRESHOLD
    keep = sample_positions(n) if dense else slice(None)
    x_s = np.asarray(x)[keep]
    y_s = np.asarray(y)[keep]
    rows_s = np.asarray(rows)[keep]
    marker: dict = {"size": 4 if dense else (5 if n > 5_000 else 7), "opacity": 0.75}
    if color is not None:
        marker.update(
            color=color_values(np.asarray(color)[keep]),
            colorscale="Viridis",
            showscale=True,
            colorbar={"title": {"text": html.escape(color_title or "")}},
        )
    else:
        marker["color"] = "#4c78a8"
    # IDs only for small plots (hover shows the structure and ID beside the plot anyway)
    text = (
        np.array([html.escape(ids[i]) for i in np.arange(n)[keep]], dtype=object)
        if ids is not None and not dense
        else None
    )
    trace = go.Scattergl(
        x=np.asarray(x_s, dtype=np.float32),
        y=np.asarray(y_s, dtype=np.float32),
        mode="markers",
        marker=marker,
        customdata=_row_array(rows_s),
        text=text,
        hovertemplate=("%{text}<br>" if text is not None else "")
        + "row %{customdata}<extra></extra>",
        selected={"marker": {"color": "#e45756", "opacity": 1.0}},
        unselected={"marker": {"opacity": 0.25}},
        name="molecules",
    )
    fig = go.Figure([density_trace(x, y), trace] if dense else [trace])
    subtitle = (
        f"density of all {n:,} points, {len(rows_s):,} drawn; selections cover every point"
        if dense
        else ""
    )
    heading = " · ".join(b for b in (html.escape(title), subtitle) if b)
    fig.update_layout(
        height=480,
        dragmode="lasso",
        title={"text": heading, "font": {"size": 13}} if heading else None,
        xaxis_title=html.escape(x_title),
        yaxis_title=html.escape(y_title),
        margin=dict(t=40 if heading else 20, b=40),
        showlegend=False,
    )
    return _widget(fig, widget)


def _row_array(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    small = rows.size == 0 or int(rows.max()) < 2**31
    return rows.astype(np.int32) if small else rows


def bar_counts(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    title: str = "",
    widget: bool = True,
) -> go.Figure:
    """Horizontal bars (largest on top); labels are escaped, ``customdata`` is the bar index."""
    labels = [html.escape(str(s)) if str(s) else "(acyclic)" for s in labels]
    index = list(range(len(labels)))
    fig = go.Figure(
        go.Bar(
            x=list(counts),
            y=index,
            orientation="h",
            customdata=index,
            text=labels,
            textposition="none",
            hovertemplate="%{text}: %{x}<extra></extra>",
            marker_color="#72b7b2",
        )
    )
    fig.update_layout(
        height=max(_HEIGHT, 18 * len(labels) + 80),
        title={"text": html.escape(title)} if title else None,
        yaxis={"tickvals": index, "ticktext": labels, "autorange": "reversed"},
        margin=dict(l=10, t=40 if title else 10),
    )
    return _widget(fig, widget)


def correlation_heatmap(matrix: pd.DataFrame, *, title: str = "", widget: bool = True) -> go.Figure:
    """Heatmap of a square correlation frame (index and columns = property names).

    A long-form frame with columns ``a``/``b``/``r`` (or ``x``/``y``/``value``) is pivoted first.
    """
    if (
        not matrix.empty
        and matrix.index.dtype == object
        and set(matrix.index) <= set(matrix.columns)
    ):
        square = matrix
    else:
        square = _square(matrix)
    labels = [html.escape(str(c)) for c in square.columns]
    fig = go.Figure(
        go.Heatmap(
            z=_nan_to_none(square.to_numpy(dtype=float)),
            x=labels,
            y=[html.escape(str(i)) for i in square.index],
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            reversescale=True,
            hovertemplate="%{y} / %{x}: %{z:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        height=max(_HEIGHT, 24 * len(labels) + 120),
        title={"text": html.escape(title)} if title else None,
        margin=dict(t=40 if title else 10),
    )
    return _widget(fig, widget)


def _nan_to_none(values: np.ndarray) -> list:
    """Nested lists with None for NaN/inf: the widget channel sends strict JSON (a constant
    property has an undefined correlation)."""
    return [[float(v) if np.isfinite(v) else None for v in row] for row in np.atleast_2d(values)]


def color_values(values: np.ndarray) -> np.ndarray:
    """A float32 colour array for a marker. numpy arrays travel to the widget as binary
    buffers (NaN allowed there, not in JSON), so this scales to a million points."""
    return np.asarray(values, dtype=np.float32)


def _square(frame: pd.DataFrame) -> pd.DataFrame:
    cols = list(frame.columns)
    first = cols[0] if cols else None
    if first is not None and not pd.api.types.is_numeric_dtype(frame[first]):
        # wide frame with the property names in the first column
        square = frame.set_index(first)
        return square.select_dtypes("number")
    for a, b, v in (("a", "b", "r"), ("x", "y", "value"), ("property_a", "property_b", "r")):
        if {a, b, v} <= set(cols):
            wide = frame.pivot_table(index=a, columns=b, values=v)
            names = sorted(set(wide.index) | set(wide.columns))
            wide = wide.reindex(index=names, columns=names)
            return wide.combine_first(wide.T)
    return frame.select_dtypes("number")
