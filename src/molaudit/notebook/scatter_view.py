"""A WebGL scatter linked to the batch: structure on hover, box/lasso selection -> Python.

Used for chemical space (coordinates from the analytic) and for any two properties. The
selection lands in ``batch.selection`` and filters the Molecules table.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from molaudit.notebook.depict import img_tag
from molaudit.notebook.plots import color_values

__all__ = ["LinkedScatter", "PropertyScatter"]

#: The Overview scatter shows at most this many points (a seeded random sample beyond).
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
        Axis titles.
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
        table = batch.table
        self.color = widgets.Dropdown(
            options=["(none)", *_numeric(table, _COLOURS)], value="(none)", description="colour"
        )
        self.figure = chemical_space(coords, table)
        self.figure.update_layout(
            xaxis_title=html.escape(x_title), yaxis_title=html.escape(y_title)
        )
        self.structure = widgets.HTML(layout=widgets.Layout(width="230px"))
        self.selected = widgets.HTML()
        self._smiles = pd.Series(table["smiles"].to_numpy(), index=table["row"].to_numpy())
        self._ids = pd.Series(table["id"].astype(str).to_numpy(), index=table["row"].to_numpy())
        self.color.observe(self._recolour, names="value")
        trace = self.figure.data[0]
        trace.on_hover(self._hover)
        trace.on_selection(self._select)
        trace.on_deselect(lambda *_: self._apply([]))
        super().__init__([self.color, widgets.HBox([self.figure, self.structure]), self.selected])

    def _recolour(self, change) -> None:
        col = change["new"]
        trace = self.figure.data[0]
        if col == "(none)":
            with self.figure.batch_update():
                trace.marker.showscale = False
                trace.marker.color = "#4c78a8"
            return
        table = self.batch.table
        values = (
            pd.Series(
                table[col].to_numpy(dtype=float, na_value=np.nan), index=table["row"].to_numpy()
            )
            .reindex(self.coords["row"].to_numpy())
            .to_numpy(float)
        )
        with self.figure.batch_update():
            trace.marker.color = color_values(values)
            trace.marker.colorscale = "Viridis"
            trace.marker.showscale = True
            trace.marker.colorbar.title.text = html.escape(col)

    def _hover(self, trace, points, _state) -> None:
        if not points.point_inds:
            return
        row = int(trace.customdata[points.point_inds[0]])
        smi = self._smiles.get(row, "")
        self.structure.value = (
            f"{img_tag(smi if isinstance(smi, str) else '', 220, 160)}"
            f"<div>{html.escape(str(self._ids.get(row, '')))} (row {row})</div>"
        )

    def _select(self, trace, points, _selector) -> None:
        self._apply([int(trace.customdata[i]) for i in points.point_inds])

    def _apply(self, rows: list[int]) -> None:
        rows = sorted(set(rows))
        self.batch.selection = rows
        self.selected.value = (
            f"<b>{len(rows)}</b> selected — in <code>batch.selection</code> and shown in the "
            "Molecules tab"
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
        numeric = _numeric(table, [str(c) for c in table.columns if c not in ("row",)])
        x = x if x in numeric else (numeric[0] if numeric else "")
        y = y if y in numeric else (numeric[1] if len(numeric) > 1 else x)
        self.x = widgets.Dropdown(options=numeric, value=x or None, description="x")
        self.y = widgets.Dropdown(options=numeric, value=y or None, description="y")
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
        sub = table.loc[table[x].notna() & table[y].notna()]
        note = ""
        if len(sub) > MAX_PROPERTY_POINTS:
            note = (
                f"<small>showing a random sample of {MAX_PROPERTY_POINTS:,} of "
                f"{len(sub):,} points; selections cover the sample</small>"
            )
            sub = sub.sample(MAX_PROPERTY_POINTS, random_state=0).sort_index()
        coords = pd.DataFrame(
            {
                "row": sub["row"].to_numpy(),
                "id": sub["id"].astype(str).to_numpy(),
                "x": sub[x].to_numpy(dtype=float),
                "y": sub[y].to_numpy(dtype=float),
            }
        )
        self.scatter = LinkedScatter(
            self.batch, coords, on_rows=self.on_rows, label=f"{x} vs {y}", x_title=x, y_title=y
        )
        self.scatter.figure.update_layout(dragmode="select")
        self.body.children = [widgets.HTML(note), self.scatter] if note else [self.scatter]

    def __repr__(self) -> str:
        return f"<molaudit PropertyScatter: {self.x.value} vs {self.y.value}>"
