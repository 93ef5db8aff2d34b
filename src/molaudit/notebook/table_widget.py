"""The molecule table widget: one page of rows plus their depictions in the browser.

A thin anywidget over :class:`~molaudit.notebook.table.TableModel`: the front end sends
page/sort/filter/selection changes as typed traits, the kernel answers with the next page.
Notebook size does not depend on the number of rows because only one page is ever synced.
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Sequence

import pandas as pd
import traitlets as t

from molaudit.notebook._widget_base import MolauditWidget
from molaudit.notebook.depict import alert_atoms, drawing_size, smarts_atoms, svg_data_uri
from molaudit.notebook.labels import describe
from molaudit.notebook.labels import label as column_label
from molaudit.notebook.table import TableModel

__all__ = ["MoleculeTable"]

_STATIC = pathlib.Path(__file__).parent / "static"
#: Substructure searches over more rows than this run in a background thread with progress.
SYNC_SMARTS_LIMIT = 20_000
SMARTS_CHUNK = 5_000


class MoleculeTable(MolauditWidget):
    """Paged, sortable, filterable table of molecules with structures drawn per page.

    Parameters
    ----------
    frame : pandas.DataFrame or TableModel
        The table (``Batch.table`` or any result frame) or a ready model.
    page_size : int
        Rows per page (25 by default: drawing a new structure costs ~1-2 ms, so a page of 25
        new structures answers in ~50 ms).
    columns : sequence of str, optional
        Columns to show; by default the most useful audit columns present in ``frame``.
    depict : bool
        Draw the structure of each row of the page.
    on_select : callable, optional
        Called with the selected input rows whenever the selection changes.
    activity_units : str, optional
        Units of the ``activity`` column (its header says "Activity (nM)").

    Notes
    -----
    Headers show human labels with units; the code name is the tooltip. Drawings are sized
    to the molecule (heavy atoms), enlarge on hover, and highlight the atoms matched by the
    SMARTS filter (blue) and by the structural alerts a row carries (orange). Error rows show
    the input text in the SMILES column; censored activities show as ``> 10`` (flagged).
    """

    _esm = _STATIC / "table.js"
    _css = _STATIC / "table.css"

    columns = t.List(t.Unicode()).tag(sync=True)
    all_columns = t.List(t.Unicode()).tag(sync=True)
    column_labels = t.Dict(value_trait=t.Unicode()).tag(sync=True)
    column_tips = t.Dict(value_trait=t.Unicode()).tag(sync=True)
    cell_display = t.List(t.Dict()).tag(sync=True)
    image_sizes = t.List(t.List(t.Int())).tag(sync=True)
    numeric_columns = t.List(t.Unicode()).tag(sync=True)
    rows = t.List(t.Dict()).tag(sync=True)
    row_ids = t.List(t.Int()).tag(sync=True)
    image_columns = t.List(t.Unicode()).tag(sync=True)
    images = t.List(t.List(t.Unicode())).tag(sync=True)
    page = t.Int(0).tag(sync=True)
    page_size = t.Int(25).tag(sync=True)
    n_pages = t.Int(1).tag(sync=True)
    n_total = t.Int(0).tag(sync=True)
    n_filtered = t.Int(0).tag(sync=True)
    sort_by = t.Unicode("").tag(sync=True)
    sort_ascending = t.Bool(True).tag(sync=True)
    statuses = t.List(t.Unicode()).tag(sync=True)
    status_filter = t.List(t.Unicode()).tag(sync=True)
    text_filter = t.Unicode("").tag(sync=True)
    smarts_filter = t.Unicode("").tag(sync=True)
    range_filters = t.Dict(value_trait=t.List()).tag(sync=True)
    row_filter_label = t.Unicode("").tag(sync=True)
    clear_row_filter = t.Int(0).tag(sync=True)
    selected = t.List(t.Int()).tag(sync=True)
    depict = t.Bool(True).tag(sync=True)
    error = t.Unicode("").tag(sync=True)
    notice = t.Unicode("").tag(sync=True)
    busy = t.Bool(False).tag(sync=True)

    def __init__(
        self,
        frame: pd.DataFrame | TableModel,
        *,
        page_size: int = 25,
        columns: Sequence[str] | None = None,
        depict: bool = True,
        on_select: Callable[[list[int]], None] | None = None,
        activity_units: str | None = None,
        **kwargs,
    ) -> None:
        if isinstance(frame, TableModel):
            model = frame
        else:
            if columns is None:
                columns = default_columns(frame)
            model = TableModel(frame, page_size=page_size, columns=columns)
        self.model = model
        df = model.frame
        statuses = []
        if "status" in df.columns:
            statuses = [s for s in ("ok", "warning", "error") if s in set(df["status"].unique())]
        numeric = [
            c
            for c in df.columns
            if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        ]
        names = [str(c) for c in df.columns]
        super().__init__(
            columns=list(model.columns),
            all_columns=names,
            column_labels={c: column_label(c, activity_units=activity_units) for c in names},
            column_tips={c: describe(c) for c in names},
            numeric_columns=[str(c) for c in numeric],
            statuses=statuses,
            page_size=model.page_size,
            n_total=model.n_total,
            depict=bool(depict and model.structure_cols),
            image_columns=list(model.structure_cols) if depict else [],
            **kwargs,
        )
        self._callbacks: list[Callable[[list[int]], None]] = []
        if on_select is not None:
            self._callbacks.append(on_select)
        self._syncing = False
        self._search_generation = 0
        self.search_thread: threading.Thread | None = None
        self.observe(self._on_page, names=["page", "page_size"])
        self.observe(self._on_sort, names=["sort_by", "sort_ascending"])
        self.observe(
            self._on_filter,
            names=["status_filter", "text_filter", "smarts_filter", "range_filters"],
        )
        self.observe(self._on_clear_rows, names=["clear_row_filter"])
        self.observe(self._on_selected, names=["selected"])
        self.observe(self._on_columns, names=["columns"])
        self.refresh()

    # ------------------------------------------------------------------ public API
    def on_select(self, callback: Callable[[list[int]], None]) -> None:
        """Call ``callback(rows)`` with the selected input rows whenever they change."""
        self._callbacks.append(callback)

    def filter_rows(self, rows: Sequence[int] | None, label: str = "") -> None:
        """Show only these input rows (None shows all); ``label`` says where they came from."""
        self.model.set_filters(rows=rows)
        self.row_filter_label = (label or f"{len(rows)} rows") if rows is not None else ""
        self.refresh()

    def refresh(self) -> None:
        """Send the current page to the front end."""
        model = self.model
        self._syncing = True
        try:
            with self.hold_sync():
                self.n_filtered = model.n_filtered
                self.n_pages = model.n_pages
                self.page = model.page
                self.cell_display = model.page_display()
                self.rows = model.page_records()
                self.row_ids = model.page_rows()
                sizes = self._page_sizes()
                self.image_sizes = [list(wh) for wh in sizes]
                columns = (
                    [self._page_images(c, sizes) for c in self.image_columns] if self.depict else []
                )
                # per row: one data URI per image column
                self.images = [list(x) for x in zip(*columns, strict=True)] if columns else []
                self.selected = model.selection
        finally:
            self._syncing = False

    def _page_sizes(self) -> list[tuple[int, int]]:
        """Drawing size per row of the page, from its heavy-atom count (or SMILES length)."""
        model = self.model
        positions = model.page_positions()
        df = model.frame
        if "heavy_atoms" in df.columns:
            counts = df["heavy_atoms"].iloc[positions].tolist()
        else:
            counts = [None] * len(positions)
        smiles = model.page_structures()
        out = []
        for n, smi in zip(counts, smiles, strict=True):
            try:
                n = int(n)
            except (TypeError, ValueError):
                n = sum(ch.isalpha() and ch.isupper() for ch in smi) if smi else None
            out.append(drawing_size(n))
        return out

    def _page_images(self, column: str, sizes: list[tuple[int, int]]) -> list[str]:
        model = self.model
        smiles = model.page_structures(column=column)
        positions = model.page_positions()
        df = model.frame
        main = column == model.structure_col
        pains = (
            df["pains_alerts"].iloc[positions].tolist()
            if main and "pains_alerts" in df.columns
            else [""] * len(smiles)
        )
        brenk = (
            df["brenk_alerts"].iloc[positions].tolist()
            if main and "brenk_alerts" in df.columns
            else [""] * len(smiles)
        )
        smarts = model.smarts if main else ""
        out = []
        for smi, (w, h), p, b in zip(smiles, sizes, pains, brenk, strict=True):
            if not smi:
                out.append("")
                continue
            hl = smarts_atoms(smi, smarts) if smarts else ()
            p = p if isinstance(p, str) else ""
            b = b if isinstance(b, str) else ""
            flagged = alert_atoms(smi, p, b) if (p or b) else ()
            out.append(svg_data_uri(smi, w, h, hl, flagged))
        return out

    def _on_columns(self, change) -> None:
        if self._syncing:
            return
        self._guard(lambda: self.model.set_columns(change["new"]))

    # ------------------------------------------------------------------ trait handlers
    def _guard(self, action: Callable[[], None]) -> None:
        if self._syncing:
            return
        try:
            action()
            self.error = ""
        except ValueError as exc:
            # shown in the widget: users of a notebook do not see the kernel log
            self.error = str(exc)
        self.refresh()

    def _on_page(self, change) -> None:
        def act() -> None:
            if change["name"] == "page_size":
                self.model.page_size = int(change["new"])
            else:
                self.model.page = int(change["new"])

        self._guard(act)

    def _on_sort(self, _change) -> None:
        self._guard(lambda: self.model.sort(self.sort_by or None, self.sort_ascending))

    def _on_filter(self, change) -> None:
        if change["name"] == "smarts_filter" and not self._syncing:
            smarts = change["new"].strip()
            if smarts and self._search_in_background(smarts):
                return

        self._guard(self._apply_filters)

    def _search_in_background(self, smarts: str) -> bool:
        """Large substructure searches run in a thread with progress in the widget.

        Returns False when the search is small enough to run at once (or the SMARTS is bad,
        which the normal path reports).
        """
        try:
            todo = self.model.smarts_todo(smarts)
        except ValueError:
            return False
        if len(todo) <= SYNC_SMARTS_LIMIT:
            return False
        self._search_generation += 1
        generation = self._search_generation
        self.busy = True

        def work() -> None:
            done = 0
            try:
                for start in range(0, len(todo), SMARTS_CHUNK):
                    if generation != self._search_generation:
                        return  # a newer search replaced this one
                    chunk = todo[start : start + SMARTS_CHUNK]
                    self.model.match_smarts(smarts, chunk)
                    done += len(chunk)
                    self.notice = f"substructure search: {done:,} / {len(todo):,} rows"
                if generation == self._search_generation:
                    self.notice = ""
                    self._guard(lambda: self._apply_filters())
            except Exception as exc:  # shown in the widget, not a log
                self.error = f"substructure search failed: {type(exc).__name__}: {exc}"
            finally:
                if generation == self._search_generation:
                    self.busy = False

        self.search_thread = threading.Thread(target=work, name="molaudit-smarts", daemon=True)
        self.search_thread.start()
        return True

    def _apply_filters(self) -> None:
        ranges = {
            k: (v[0] if len(v) > 0 else None, v[1] if len(v) > 1 else None)
            for k, v in self.range_filters.items()
        }
        self.model.set_filters(
            status=list(self.status_filter) or None,
            text=self.text_filter,
            smarts=self.smarts_filter,
            ranges=ranges,
        )

    def _on_clear_rows(self, _change) -> None:
        self.filter_rows(None)

    def _on_selected(self, change) -> None:
        if self._syncing:
            return
        self.model.select(change["new"])
        rows = self.model.selection
        for callback in list(self._callbacks):
            try:
                callback(rows)
            except Exception as exc:  # a user callback must not break the widget
                self.error = f"selection callback failed: {type(exc).__name__}: {exc}"

    def __repr__(self) -> str:
        return (
            f"<molaudit MoleculeTable: {self.n_filtered} of {self.n_total} rows, "
            f"page {self.page + 1}/{self.n_pages}>"
        )


_DEFAULT_COLUMNS = (
    "row",
    "id",
    "status",
    "score",
    "error_code",
    "error_message",
    "check_messages",
    "activity",
    "smiles",
    "mw",
    "clogp",
    "tpsa",
    "hbd",
    "hba",
    "qed",
)


def default_columns(frame: pd.DataFrame) -> list[str]:
    """Audit columns worth a first look (all columns for frames that are not audit tables)."""
    if "status" not in frame.columns:
        return [str(c) for c in frame.columns]
    cols = [c for c in _DEFAULT_COLUMNS if c in frame.columns]
    if "activity" in cols and frame["activity"].isna().all():
        if "activity_note" not in frame.columns or (frame["activity_note"].fillna("") == "").all():
            cols.remove("activity")
    for col in ("error_code", "error_message"):
        if col in cols and frame[col].isna().all():
            cols.remove(col)
    if "check_messages" not in cols and "checks" in frame.columns:
        cols.insert(cols.index("activity") if "activity" in cols else len(cols), "checks")
    return cols
