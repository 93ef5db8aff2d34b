"""A WebGL scatter linked to the batch: structure on hover, box/lasso selection -> Python.

Used for chemical space (coordinates from the analytic) and for any two properties. The
selection lands in ``batch.selection`` and filters the Molecules table. Above
:data:`~molaudit.notebook.plots.DENSITY_THRESHOLD` points the plot draws a density layer and a
sample of points; a box or lasso then selects, in the kernel, *every* point inside it (the
front end sends the geometry), not only the drawn sample.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from molaudit.notebook.depict import img_tag
from molaudit.notebook.labels import describe, format_number
from molaudit.notebook.labels import label as column_label
from molaudit.notebook.plots import DENSITY_THRESHOLD, color_values, sample_positions

__all__ = ["LinkedScatter", "PropertyScatter"]

#: Kept for compatibility: the Overview scatter no longer samples (density layer instead).
MAX_PROPERTY_POINTS = 200_000
_COLOURS = ("activity", "mw", "clogp", "tpsa", "qed", "score", "heavy_atoms")


def _numeric(table: pd.DataFrame, names: Sequence[str]) -> list[str]:
    return [
        c
        for c in names
        if c in table.columns
        and pd.api.types.is_numeric_dtype(table[c])
        and not pd.api.types.is_bool_dtype(table[c])
        and table[c].notna().any()
    ]


def _options(table: pd.DataFrame, names: Sequence[str], units: str | None) -> list[tuple]:
    """Dropdown options (human label, column)."""
    return [(column_label(c, activity_units=units), c) for c in names]


class LinkedScatter(widgets.VBox):
    """Scatter of ``coords`` (columns row, x, y[, id]) with hover structures and selection.

    Parameters
    ----------
    batch : molaudit.Batch
        Its ``table`` gives structures, IDs and colours; ``batch.selection`` receives the
        selected input rows.
    coords : pandas.DataFrame
        One point per row: ``row``, ``x``, ``y`` and optionally ``id``.
    on_rows : callable, optional
        ``on_rows(rows, label, switch=False)`` after each selection (the panel filters its
        table; None = selection cleared).
    label : str
        Names the selection in the table's filter chip.
    x_title, y_title : str
        Axis titles (e.g. "PC1 (7.7 %)", "Molecular weight (Da)").
    """

    def __init__(
        self,
        batch: Any,
        coords: pd.DataFrame,
        *,
        on_rows: Callable[..., None] | None = None,
        label: str = "selection",
        x_title: str = "x",
        y_title: str = "y",
    ) -> None:
        from molaudit.notebook.plots import chemical_space

        self.batch = batch
        self.coords = coords
        self.on_rows = on_rows
        self.label = label
        self._units = getattr(batch, "activity_units", None)
        table = batch.table
        self.color = widgets.Dropdown(
            options=[
                ("(none)", "(none)"),
                *_options(table, _numeric(table, _COLOURS), self._units),
            ],
            value="(none)",
            description="colour",
        )
        self.figure = chemical_space(coords, table, x_title=x_title, y_title=y_title)
        self._x = coords["x"].to_numpy(dtype=float)
        self._y = coords["y"].to_numpy(dtype=float)
        self._rows = coords["row"].to_numpy(dtype=np.int64)
        self._dense = len(coords) > DENSITY_THRESHOLD
        self._drawn = sample_positions(len(coords)) if self._dense else np.arange(len(coords))
        self.structure = widgets.HTML(layout=widgets.Layout(width="230px", min_width="230px"))
        self.selected = widgets.HTML()
        self._table_rows = table["row"].to_numpy(dtype=np.int64)
        self._sorted = bool(np.all(np.diff(self._table_rows) > 0))
        self.color.observe(self._recolour, names="value")
        trace = self.figure.data[-1]  # the points (a density heatmap comes first when dense)
        trace.on_hover(self._hover)
        trace.on_selection(self._select)
        trace.on_deselect(lambda *_: self._apply([]))
        box = widgets.HBox([self.figure, self.structure], layout={"width": "100%"})
        super().__init__([self.color, box, self.selected])
        self.add_class("molaudit-linked-scatter")

    def _recolour(self, change) -> None:
        col = change["new"]
        trace = self.figure.data[-1]
        with self.figure.batch_update():
            if col == "(none)":
                trace.marker.showscale = False
                trace.marker.color = "#4c78a8"
                return
            table = self.batch.table
            values = (
                pd.Series(
                    table[col].to_numpy(dtype=float, na_value=np.nan),
                    index=table["row"].to_numpy(),
                )
                .reindex(self._rows)
                .to_numpy(float)
            )
            trace.marker.color = color_values(values[self._drawn])
            trace.marker.colorscale = "Viridis"
            trace.marker.showscale = True
            trace.marker.colorbar.title.text = html.escape(
                column_label(col, activity_units=self._units)
            )

    def _position(self, row: int) -> int | None:
        """Position of input row ``row`` in ``batch.table`` (no per-row index is built)."""
        rows = self._table_rows
        if self._sorted:
            pos = int(np.searchsorted(rows, row))
            return pos if pos < len(rows) and rows[pos] == row else None
        hits = np.flatnonzero(rows == row)
        return int(hits[0]) if len(hits) else None

    def _hover(self, trace, points, _state) -> None:
        if not points.point_inds:
            return
        row = int(trace.customdata[points.point_inds[0]])
        pos = self._position(row)
        table = self.batch.table
        smi = table["smiles"].iat[pos] if pos is not None else ""
        ident = table["id"].iat[pos] if pos is not None and "id" in table else ""
        self.structure.value = (
            f"{img_tag(smi if isinstance(smi, str) else '', 220, 160)}"
            f"<div>{html.escape(str(ident))} (row {row})</div>"
        )

    def _select(self, trace, points, selector) -> None:
        if self._dense and selector is not None:
            # every point inside the box/lasso, not only the drawn sample
            rows = self._rows[selector.contains(self._x, self._y)].tolist()
        else:
            rows = [int(trace.customdata[i]) for i in points.point_inds]
        self._apply(rows)

    def _apply(self, rows: list[int]) -> None:
        rows = sorted(set(int(r) for r in rows))
        self.batch.selection = rows
        self.selected.value = (
            f"<b>{format_number(len(rows))}</b> selected — in <code>batch.selection</code> and "
            "shown in the Molecules tab"
            if rows
            else ""
        )
        if self.on_rows is not None:
            self.on_rows(rows or None, f"{self.label} ({len(rows)})", switch=False)

    def __repr__(self) -> str:
        return f"<molaudit LinkedScatter: {len(self.coords)} points>"


class PropertyScatter(widgets.VBox):
    """Scatter of any two numeric columns of ``batch.table`` (x/y pickers), linked like above."""

    def __init__(
        self,
        batch: Any,
        *,
        on_rows: Callable[..., None] | None = None,
        x: str = "mw",
        y: str = "clogp",
    ) -> None:
        self.batch = batch
        self.on_rows = on_rows
        table = batch.table
        units = getattr(batch, "activity_units", None)
        skip = {"row", "audit_ms"}
        numeric = _numeric(table, [str(c) for c in table.columns if c not in skip])
        x = x if x in numeric else (numeric[0] if numeric else "")
        y = y if y in numeric else (numeric[1] if len(numeric) > 1 else x)
        options = _options(table, numeric, units)
        self.x = widgets.Dropdown(options=options, value=x or None, description="x")
        self.y = widgets.Dropdown(options=options, value=y or None, description="y")
        self.x.tooltip = describe(x)
        self.body = widgets.VBox()
        self.scatter: LinkedScatter | None = None
        self.x.observe(lambda _c: self._draw(), names="value")
        self.y.observe(lambda _c: self._draw(), names="value")
        super().__init__([widgets.HBox([self.x, self.y]), self.body])
        self.add_class("molaudit-property-scatter")
        self._draw()

    def _draw(self) -> None:
        x, y = self.x.value, self.y.value
        if not x or not y:
            self.body.children = [widgets.HTML("<em>no numeric columns to plot</em>")]
            return
        table = self.batch.table
        units = getattr(self.batch, "activity_units", None)
        xs = table[x].to_numpy(dtype=float, na_value=np.nan)
        ys = table[y].to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(xs) & np.isfinite(ys)
        columns = {"row": table["row"].to_numpy()[ok], "x": xs[ok], "y": ys[ok]}
        if ok.sum() <= DENSITY_THRESHOLD and "id" in table:
            columns["id"] = table["id"].to_numpy()[ok].astype(str)
        coords = pd.DataFrame(columns)
        self.scatter = LinkedScatter(
            self.batch,
            coords,
            on_rows=self.on_rows,
            label=f"{x} vs {y}",
            x_title=column_label(x, activity_units=units),
            y_title=column_label(y, activity_units=units),
        )
        self.scatter.figure.update_layout(dragmode="select")
        self.body.children = [self.scatter]

    def __repr__(self) -> str:
        return f"<molaudit PropertyScatter: {self.x.value} vs {self.y.value}>"
