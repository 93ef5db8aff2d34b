"""Plotly figures for the panel and the report (offline: the widget bundle ships with plotly).

Histograms are binned in numpy so that the browser receives bin counts, not a million values;
scatter plots use WebGL (``Scattergl``) and numpy arrays, which plotly sends as binary.
Hover texts come from the data and are HTML-escaped (plotly renders a subset of HTML in them
and decodes entities, so escaped text shows literally).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "bar_counts",
    "chemical_space",
    "correlation_heatmap",
    "histograms",
    "scatter",
]

_HEIGHT = 320


def _widget(fig: go.Figure, widget: bool) -> go.Figure:
    return go.FigureWidget(fig) if widget else fig


def histograms(
    table: pd.DataFrame,
    columns: Sequence[str],
    *,
    bins: int = 30,
    cols: int = 3,
    widget: bool = True,
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
        Return a ``FigureWidget`` (for the panel) rather than a ``Figure`` (for the report).
    """
    if "status" in table.columns:
        table = table[table["status"] != "error"]
    usable = []
    for c in columns:
        if c in table.columns and pd.api.types.is_numeric_dtype(table[c]):
            values = table[c].to_numpy(dtype=float, na_value=np.nan)
            values = values[np.isfinite(values)]
            if values.size:
                usable.append((c, values))
    n = max(1, len(usable))
    ncols = min(cols, n)
    nrows = math.ceil(n / ncols)
    fig = make_subplots(rows=nrows, cols=ncols, subplot_titles=[c for c, _ in usable] or [""])
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
                hovertemplate=f"{html.escape(col)} %{{x:.3g}}: %{{y}}<extra></extra>",
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
) -> go.Figure:
    """WebGL scatter of two columns; ``customdata`` holds the input row of each point."""
    sub = table.dropna(subset=[x, y])
    return _scatter(
        sub[x].to_numpy(float),
        sub[y].to_numpy(float),
        sub["row"].to_numpy() if "row" in sub else np.arange(len(sub)),
        sub["id"].astype(str).tolist() if "id" in sub else None,
        sub[color].to_numpy(float) if color else None,
        x_title=x,
        y_title=y,
        color_title=color,
        widget=widget,
    )


def chemical_space(
    coordinates: pd.DataFrame,
    table: pd.DataFrame | None = None,
    *,
    color: str | None = None,
    title: str = "",
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
    """
    rows = coordinates["row"].to_numpy()
    values = None
    if color and table is not None and color in table.columns:
        lookup = pd.Series(
            table[color].to_numpy(dtype=float, na_value=np.nan), index=table["row"].to_numpy()
        )
        values = lookup.reindex(rows).to_numpy(dtype=float)
    ids = coordinates["id"].astype(str).tolist() if "id" in coordinates else None
    return _scatter(
        coordinates["x"].to_numpy(float),
        coordinates["y"].to_numpy(float),
        rows,
        ids,
        values,
        x_title="x",
        y_title="y",
        color_title=color,
        title=title,
        widget=widget,
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
    marker: dict = {"size": 4 if n > 20_000 else 6, "opacity": 0.7}
    if color is not None:
        marker.update(
            color=color_values(color),
            colorscale="Viridis",
            showscale=True,
            colorbar={"title": {"text": html.escape(color_title or "")}},
        )
    else:
        marker["color"] = "#4c78a8"
    # an object array, not a list: plotly validates list items one by one (slow at 100k+)
    text = (
        np.array([html.escape(i) for i in ids], dtype=object)
        if ids is not None and n <= 200_000
        else None
    )
    trace = go.Scattergl(
        x=np.asarray(x, dtype=np.float32),
        y=np.asarray(y, dtype=np.float32),
        mode="markers",
        marker=marker,
        customdata=_row_array(rows),
        text=text,
        hovertemplate=("%{text}<br>" if text is not None else "")
        + "row %{customdata}<extra></extra>",
        selected={"marker": {"color": "#e45756", "opacity": 1.0}},
        unselected={"marker": {"opacity": 0.25}},
    )
    fig = go.Figure(trace)
    fig.update_layout(
        height=480,
        dragmode="lasso",
        title={"text": html.escape(title)} if title else None,
        xaxis_title=html.escape(x_title),
        yaxis_title=html.escape(y_title),
        margin=dict(t=40 if title else 20, b=40),
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
