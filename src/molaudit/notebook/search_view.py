"""The Similarity tab: a query box (SMILES or input row) -> the most similar molecules, drawn."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np

from molaudit.analytics.similarity.index import row_lookup
from molaudit.notebook.depict import img_tag
from molaudit.notebook.table_widget import MoleculeTable

__all__ = ["SimilaritySearch"]


class SimilaritySearch(widgets.VBox):
    """Search ``batch.similar(query, k=...)`` from a text box.

    Parameters
    ----------
    batch : molaudit.Batch
    on_rows : callable, optional
        ``on_rows(rows, label)`` when hits are selected in the result table.
    """

    def __init__(self, batch: Any, *, on_rows: Callable[..., None] | None = None) -> None:
        self.batch = batch
        self.on_rows = on_rows
        self.query = widgets.Text(
            placeholder="query SMILES, or an input row number (Enter)",
            continuous_update=False,
            layout=widgets.Layout(width="420px"),
        )
        self.k = widgets.BoundedIntText(
            value=10, min=1, max=1000, description="k", layout=widgets.Layout(width="140px")
        )
        self.button = widgets.Button(description="Search", icon="search", button_style="primary")
        self.message = widgets.HTML()
        self.output = widgets.VBox()
        self.table: MoleculeTable | None = None
        self.button.on_click(lambda _b: self.search())
        self.query.observe(lambda _c: self.search(), names="value")
        help_text = widgets.HTML(
            "<p class='ma-note'>The k molecules of the batch most similar to a query "
            "(Tanimoto similarity of Morgan fingerprints, radius 2). Select hits to show them "
            "in the Molecules tab.</p>"
        )
        super().__init__(
            [help_text, widgets.HBox([self.query, self.k, self.button]), self.message, self.output]
        )

    def search(self) -> None:
        """Run the query in the box; errors show in the tab."""
        text = self.query.value.strip()
        if not text:
            self.message.value = "<em>type a SMILES or an input row number</em>"
            return
        query: Any = int(text) if text.isdigit() else text
        try:
            result = self.batch.similar(query, k=int(self.k.value))
        except Exception as exc:  # bad SMILES, unknown row: say so in the tab
            self.message.value = (
                "<span style='color:var(--jp-error-color1,#c33)'>"
                f"{html.escape(type(exc).__name__ + ': ' + str(exc))}"
                "</span>"
            )
            return
        hits = next(iter(result.frames.values()), None)
        note = f" — {html.escape(result.message)}" if result.message else ""
        if hits is None or hits.empty:
            self.message.value = f"no hits{note}"
            self.output.children = []
            return
        smiles = text if isinstance(query, str) else self._row_smiles(query)
        self.message.value = (
            f"<div style='display:flex;gap:10px;align-items:center'>{img_tag(smiles, 160, 110)}"
            f"<span>query · {len(hits)} hits{note}</span></div>"
        )
        self.table = MoleculeTable(
            hits, page_size=20, activity_units=getattr(self.batch, "activity_units", None)
        )
        if self.on_rows is not None:
            self.table.on_select(lambda rows: self.on_rows(rows, f"similar to {text}"))
        self.output.children = [self.table]

    def _row_smiles(self, row: int) -> str:
        """The input SMILES of a row query, looked up in O(1) (no index of the whole table)."""
        value = row_lookup(self.batch.analytics.input(), np.array([row]), "smiles")[0]
        return value if isinstance(value, str) else ""

    def __repr__(self) -> str:
        return "<molaudit SimilaritySearch>"
