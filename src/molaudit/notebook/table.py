"""Kernel-side pager for molecule tables: filtering, sorting, paging and selection.

The browser only ever holds one page; everything else happens here, in numpy, so a
million-row table pages as fast as a thousand-row one. The model is plain Python (no widget
code) so that it is tested without a browser; :mod:`molaudit.notebook.table_widget` syncs it
to the front end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TableModel", "json_safe"]

#: Columns searched by the text filter when present (IDs and structures).
_TEXT_COLUMNS = ("id", "smiles", "std_smiles", "error_code", "checks", "name")
#: Columns tried, in order, for substructure search and depictions.
_STRUCTURE_COLUMNS = ("smiles", "std_smiles", "SMILES", "smiles_input")
#: From this many rows to test, a SMARTS filter builds and uses a SubstructLibrary.
LIBRARY_MIN_ROWS = 2_000


class TableModel:
    """Filter, sort, page and select the rows of a DataFrame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to show (not copied; do not mutate it while the model lives).
    page_size : int
        Rows per page (1-1000).
    columns : sequence of str, optional
        Columns shown (all by default). Filters and sorting may use any column.
    row_col : str
        Column holding the input row number that selections refer to; when absent the
        position in ``frame`` is used.
    structure_col : str, optional
        Column with SMILES used for substructure filters and depictions; auto-detected.
    fallback_col : str, optional
        Column drawn where ``structure_col`` is empty (error rows have no parsed SMILES: draw
        the input as given). Default ``smiles_input`` when present.
    library : callable, optional
        ``library(structure_col)`` gives a ready substructure library of that column (a
        :class:`~molaudit.analytics.substructure.SubstructureIndex` whose rows are
        ``frame[row_col]``) or None; e.g. ``batch.substructure_library`` when ``frame`` is
        ``batch.table``, so that the SMARTS filter uses the batch's library instead of
        building its own. Without it (or when it gives None or refuses the column with a
        ``ValueError``) the model builds one.

    Notes
    -----
    Filters combine with AND. A sort order over the *whole* column is computed once per
    (column, direction) and cached, so changing a filter afterwards costs one boolean mask.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        page_size: int = 50,
        columns: Sequence[str] | None = None,
        row_col: str = "row",
        structure_col: str | None = None,
        fallback_col: str | None = None,
        library: Callable[[str], Any] | None = None,
    ) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise ValueError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
        self._df = frame
        self._n = len(frame)
        if row_col in frame.columns:
            self._rows = np.asarray(frame[row_col].to_numpy(), dtype=np.int64)
        else:
            self._rows = np.arange(self._n, dtype=np.int64)
        self.columns = list(columns) if columns is not None else [str(c) for c in frame.columns]
        for col in self.columns:
            self._check_column("columns", col)
        if structure_col is not None and structure_col not in frame.columns:
            self._check_column("structure_col", structure_col)
        #: columns drawn as structures: the first SMILES column of an audit table, else up to
        #: two SMILES-like columns (both sides of a pair)
        self.structure_cols = (
            [structure_col] if structure_col is not None else _structure_columns(frame)
        )
        structure_col = self.structure_cols[0] if self.structure_cols else None
        if fallback_col is None and structure_col == "smiles" and "smiles_input" in frame:
            fallback_col = "smiles_input"
        if fallback_col is not None:
            self._check_column("fallback_col", fallback_col)
        self.fallback_col = fallback_col
        self.structure_col = structure_col
        self._page_size = _check_page_size(page_size)
        self._page = 0
        # filters
        self._status: tuple[str, ...] | None = None
        self._ranges: dict[str, tuple[float | None, float | None]] = {}
        self._text = ""
        self._smarts = ""
        self._row_filter: np.ndarray | None = None
        # sorting
        self._sort_by: str | None = None
        self._ascending = True
        self._sort_cache: dict[tuple[str, bool], np.ndarray] = {}
        # substructure results: SMARTS -> int8 per position (-1 unknown, 0 no, 1 yes)
        self._smarts_cache: dict[str, np.ndarray] = {}
        self._substructure_index: Any = None  # built by the first large SMARTS search
        self._library = library
        self._row_positions: np.ndarray | None = None  # library row -> frame position
        self._selection: set[int] = set()
        self._view: np.ndarray | None = None
        self.on_selection: list[Callable[[list[int]], None]] = []

    # ------------------------------------------------------------------ properties
    @property
    def frame(self) -> pd.DataFrame:
        """The full table."""
        return self._df

    @property
    def n_total(self) -> int:
        """Rows in the table."""
        return self._n

    @property
    def n_filtered(self) -> int:
        """Rows passing the filters."""
        return len(self.view)

    @property
    def page_size(self) -> int:
        return self._page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        first = self._page * self._page_size
        self._page_size = _check_page_size(value)
        self._page = first // self._page_size
        self._clamp_page()

    @property
    def n_pages(self) -> int:
        """Pages in the filtered view (at least 1, so an empty view still has a page 0)."""
        return max(1, math.ceil(self.n_filtered / self._page_size))

    @property
    def page(self) -> int:
        """Current page number (0-based)."""
        return self._page

    @page.setter
    def page(self, value: int) -> None:
        if not isinstance(value, int | np.integer) or isinstance(value, bool):
            raise ValueError(f"page must be an integer, got {value!r}")
        self._page = int(value)
        self._clamp_page()

    @property
    def sort_by(self) -> str | None:
        return self._sort_by

    @property
    def ascending(self) -> bool:
        return self._ascending

    @property
    def filters(self) -> dict[str, Any]:
        """The active filters as plain data."""
        return {
            "status": list(self._status) if self._status is not None else None,
            "ranges": {k: list(v) for k, v in self._ranges.items()},
            "text": self._text,
            "smarts": self._smarts,
            "rows": None if self._row_filter is None else self._row_filter.tolist(),
        }

    @property
    def view(self) -> np.ndarray:
        """Positions (into :attr:`frame`) of the filtered rows in display order."""
        if self._view is None:
            self._view = self._compute_view()
        return self._view

    @property
    def view_rows(self) -> np.ndarray:
        """Input row numbers of the filtered rows in display order."""
        return self._rows[self.view]

    @property
    def smarts(self) -> str:
        """The active SMARTS filter ('' when none)."""
        return self._smarts

    def set_columns(self, columns: Sequence[str]) -> None:
        """Change the shown columns (any columns of :attr:`frame`, in this order)."""
        columns = [str(c) for c in columns]
        for col in columns:
            self._check_column("columns", col)
        self.columns = columns

    def page_display(self, page: int | None = None) -> list[dict[str, list[str]]]:
        """Per row of the page: ``{column: [text, flag, tooltip]}`` for cells shown otherwise
        than their raw value.

        - ``smiles`` of an error row (empty: nothing parsed): the input text, flag ``input``;
        - ``activity`` with a note: censored values as ``> 10``/``< 5`` (flag ``censored``),
          missing ones as ``not a number`` (flag ``invalid``), the note in the tooltip.

        Returns
        -------
        list of dict
            One dict per row of the page (empty when nothing is overridden).
        """
        positions = self.page_positions(page)
        out: list[dict[str, list[str]]] = [{} for _ in positions]
        df = self._df
        if "smiles" in self.columns and self.fallback_col is not None:
            shown = df["smiles"].iloc[positions].tolist()
            raw = df[self.fallback_col].iloc[positions].tolist()
            for rec, value, given in zip(out, shown, raw, strict=True):
                if not (isinstance(value, str) and value) and isinstance(given, str) and given:
                    rec["smiles"] = [given, "input", "the input as given (it did not parse)"]
        if "activity" in self.columns and "activity_note" in df.columns:
            notes = df["activity_note"].iloc[positions].tolist()
            values = df["activity"].iloc[positions].tolist()
            for rec, note, value in zip(out, notes, values, strict=True):
                note = note if isinstance(note, str) else ""
                if not note:
                    continue
                number = json_safe(value)
                if note.startswith("censored") and number is not None:
                    qualifier = note[len("censored") :].strip()
                    text = f"{qualifier} {number:g}".strip()
                    rec["activity"] = [text, "censored", f"censored value ({note})"]
                elif number is None:
                    text = "missing" if note == "missing" else "not a number"
                    rec["activity"] = [text, "invalid", note]
        return out

    # ------------------------------------------------------------------ filters / sort
    def set_filters(
        self,
        *,
        status: Iterable[str] | type[...] | None = ...,
        ranges: dict[str, Sequence[float | None]] | type[...] | None = ...,
        text: str | type[...] | None = ...,
        smarts: str | type[...] | None = ...,
        rows: Iterable[int] | type[...] | None = ...,
    ) -> None:
        """Change some filters (arguments left out keep their value; None clears one).

        Parameters
        ----------
        status : iterable of str or None
            Keep rows whose ``status`` is one of these.
        ranges : dict of str to (low, high) or None
            Keep rows with ``low <= value <= high`` for each numeric column (either bound may
            be None). NaN values never pass a range filter.
        text : str or None
            Case-insensitive substring searched in the ID, SMILES, error code and check columns.
        smarts : str or None
            SMARTS pattern; keep rows whose structure contains it (RDKit, run in the kernel).
        rows : iterable of int or None
            Keep only these input rows (a plot selection, a scaffold, a duplicate group).

        Raises
        ------
        ValueError
            For an unknown column, a non-numeric range column, bounds that are not numbers,
            or a SMARTS that RDKit cannot parse.
        """
        if status is not ...:
            if status is None:
                self._status = None
            else:
                self._check_column("status", "status")
                if isinstance(status, str):
                    status = [status]
                self._status = tuple(str(s) for s in status)
        if ranges is not ...:
            self._ranges = {} if ranges is None else self._check_ranges(ranges)
        if text is not ...:
            self._text = "" if text is None else str(text).strip()
        if smarts is not ...:
            smarts = "" if smarts is None else str(smarts).strip()
            if smarts:
                _compile_smarts(smarts)
                if self.structure_col is None:
                    raise ValueError("smarts filter needs a SMILES column; this table has none")
            self._smarts = smarts
        if rows is not ...:
            self._row_filter = (
                None if rows is None else np.unique(np.fromiter(rows, dtype=np.int64))
            )
        self._page = 0
        self._invalidate()

    def clear_filters(self) -> None:
        """Remove every filter."""
        self.set_filters(status=None, ranges=None, text=None, smarts=None, rows=None)

    def sort(self, column: str | None, ascending: bool = True) -> None:
        """Sort the view by ``column`` (None restores input order); missing values go last."""
        if column is not None:
            self._check_column("sort column", column)
        self._sort_by = column
        self._ascending = bool(ascending)
        self._page = 0
        self._invalidate()

    # ------------------------------------------------------------------ paging
    def page_positions(self, page: int | None = None) -> np.ndarray:
        """Positions (into :attr:`frame`) of the rows on ``page`` (default: current page)."""
        page = self._page if page is None else page
        start = page * self._page_size
        return self.view[start : start + self._page_size]

    def page_frame(self, page: int | None = None) -> pd.DataFrame:
        """The rows of one page, shown columns only.

        Returns
        -------
        pandas.DataFrame
            The :attr:`columns` of the page's rows, in display order, with the original index.
        """
        return self._df.iloc[self.page_positions(page)][self.columns]

    def page_records(self, page: int | None = None) -> list[dict[str, Any]]:
        """The page as JSON-safe dicts (NaN/NA -> None, numpy scalars -> Python)."""
        frame = self.page_frame(page)
        out: list[dict[str, Any]] = [{} for _ in range(len(frame))]
        for col in self.columns:
            values = frame[col].tolist()
            for rec, value in zip(out, values, strict=True):
                rec[col] = json_safe(value)
        return out

    def page_rows(self, page: int | None = None) -> list[int]:
        """Input row numbers on one page."""
        return self._rows[self.page_positions(page)].tolist()

    def page_structures(self, page: int | None = None, column: str | None = None) -> list[str]:
        """SMILES of the page's rows in ``column`` (default: the structure column); '' where
        missing or when the table has none."""
        column = column or self.structure_col
        positions = self.page_positions(page)
        if column is None:
            return [""] * len(positions)
        values = self._df[column].iloc[positions].tolist()
        out = [v if isinstance(v, str) else "" for v in values]
        if column == self.structure_col and self.fallback_col is not None and "" in out:
            raw = self._df[self.fallback_col].iloc[positions].tolist()
            out = [v or (r if isinstance(r, str) else "") for v, r in zip(out, raw, strict=True)]
        return out

    def next_page(self) -> None:
        self.page = self._page + 1

    def previous_page(self) -> None:
        self.page = self._page - 1

    # ------------------------------------------------------------------ selection
    @property
    def selection(self) -> list[int]:
        """Selected input rows, ascending."""
        return sorted(self._selection)

    def select(self, rows: Iterable[int], mode: str = "replace") -> None:
        """Change the selection.

        Parameters
        ----------
        rows : iterable of int
            Input row numbers (rows not in the table are ignored).
        mode : {'replace', 'add', 'remove', 'toggle'}
        """
        if mode not in ("replace", "add", "remove", "toggle"):
            raise ValueError(f"mode must be 'replace', 'add', 'remove' or 'toggle', got {mode!r}")
        wanted = {int(r) for r in rows}
        known = set(self._rows[np.isin(self._rows, np.fromiter(wanted, np.int64))].tolist())
        if mode == "replace":
            self._selection = known
        elif mode == "add":
            self._selection |= known
        elif mode == "remove":
            self._selection -= known
        else:
            self._selection ^= known
        self._notify()

    def select_filtered(self) -> None:
        """Select every row that passes the filters."""
        self._selection = set(self.view_rows.tolist())
        self._notify()

    def clear_selection(self) -> None:
        self._selection = set()
        self._notify()

    # ------------------------------------------------------------------ internals
    def _notify(self) -> None:
        rows = self.selection
        for callback in list(self.on_selection):
            callback(rows)

    def _check_column(self, what: str, column: str) -> None:
        if column not in self._df.columns:
            known = ", ".join(map(str, list(self._df.columns)[:30]))
            raise ValueError(f"{what}: column {column!r} not found; columns are: {known}")

    def _check_ranges(self, ranges: dict) -> dict[str, tuple[float | None, float | None]]:
        if not isinstance(ranges, dict):
            raise ValueError(f"ranges must be a dict column -> (low, high), got {ranges!r}")
        out: dict[str, tuple[float | None, float | None]] = {}
        for col, bounds in ranges.items():
            self._check_column("ranges", col)
            if not (
                pd.api.types.is_numeric_dtype(self._df[col])
                or pd.api.types.is_bool_dtype(self._df[col])
            ):
                raise ValueError(f"ranges: column {col!r} is not numeric")
            try:
                low, high = bounds
            except (TypeError, ValueError):
                raise ValueError(f"ranges[{col!r}] must be (low, high), got {bounds!r}") from None
            for b in (low, high):
                if b is not None and not isinstance(b, int | float | np.number):
                    raise ValueError(f"ranges[{col!r}] bounds must be numbers or None, got {b!r}")
            out[col] = (
                None if low is None else float(low),
                None if high is None else float(high),
            )
        return out

    def _invalidate(self) -> None:
        self._view = None
        self._clamp_page()

    def _clamp_page(self) -> None:
        self._page = min(max(self._page, 0), self.n_pages - 1)

    def _mask(self) -> np.ndarray | None:
        """Boolean mask of rows passing the filters (None = no filter)."""
        mask: np.ndarray | None = None

        def both(m: np.ndarray) -> None:
            nonlocal mask
            mask = m if mask is None else (mask & m)

        if self._status is not None:
            both(self._df["status"].isin(self._status).to_numpy(dtype=bool))
        for col, (low, high) in self._ranges.items():
            values = self._df[col].to_numpy(dtype=float, na_value=np.nan)
            m = ~np.isnan(values)
            if low is not None:
                m &= values >= low
            if high is not None:
                m &= values <= high
            both(m)
        if self._row_filter is not None:
            both(np.isin(self._rows, self._row_filter))
        if self._text:
            both(self._text_mask(self._text))
        if self._smarts:
            both(self._smarts_mask(self._smarts, mask))
        return mask

    def _text_mask(self, text: str) -> np.ndarray:
        cols = [c for c in _TEXT_COLUMNS if c in self._df.columns]
        if not cols:
            cols = [c for c in self._df.columns if not pd.api.types.is_numeric_dtype(self._df[c])]
        m = np.zeros(self._n, dtype=bool)
        for col in cols:
            series = self._df[col]
            if not (pd.api.types.is_string_dtype(series) or series.dtype == object):
                series = series.astype("str")
            m |= series.str.contains(text, case=False, regex=False, na=False).to_numpy(bool)
        return m

    def _smarts_known(self, smarts: str) -> np.ndarray:
        known = self._smarts_cache.get(smarts)
        if known is None:
            known = np.full(self._n, -1, dtype=np.int8)
            self._smarts_cache[smarts] = known
        return known

    def smarts_todo(self, smarts: str) -> np.ndarray:
        """Positions a SMARTS filter would still have to test (rows passing the other filters
        that were not matched against this pattern yet)."""
        _compile_smarts(smarts)
        saved, self._smarts = self._smarts, ""
        try:
            candidates = self._mask()
        finally:
            self._smarts = saved
        known = self._smarts_known(smarts)
        todo = known < 0 if candidates is None else (known < 0) & candidates
        return np.flatnonzero(todo)

    def match_smarts(self, smarts: str, positions: np.ndarray) -> None:
        """Test ``positions`` against ``smarts`` and remember the answers (lets a caller do a
        large search in chunks, with progress, before setting the filter).

        From a quarter of the table on (and :data:`LIBRARY_MIN_ROWS` positions, without a
        ``library`` from the caller), or once a library is at hand, the answer comes from a
        pattern-fingerprint substructure library of
        the structure column (:class:`molaudit.analytics.substructure.SubstructureIndex`):
        the caller's (the batch's, kept in its disk cache), else one built on first use and
        kept with the model. The same rows as the per-row loop; the whole column is answered
        at once.
        """
        from rdkit import Chem, RDLogger

        query = _compile_smarts(smarts)
        known = self._smarts_known(smarts)
        positions = np.asarray(positions, dtype=np.int64)
        positions = positions[known[positions] < 0]
        if not len(positions):
            return
        # a library costs minutes to build at 1M (~430 us a molecule) and a loop ~50 us a
        # molecule: a search over a small part of a large table loops, unless one is at hand
        # (a caller's library is taken for any table, once the search covers a quarter of it)
        least = self._n // 4 if self._library is not None else max(LIBRARY_MIN_ROWS, self._n // 4)
        if self._substructure_index is not None or len(positions) >= least:
            known[:] = self._library_mask(query)
            return
        smiles = self._df[self.structure_col]
        RDLogger.DisableLog("rdApp.*")
        try:
            for pos in positions:
                value = smiles.iat[pos]
                mol = Chem.MolFromSmiles(value) if isinstance(value, str) and value else None
                known[pos] = 1 if mol is not None and mol.HasSubstructMatch(query) else 0
        finally:
            RDLogger.EnableLog("rdApp.*")

    def _library_mask(self, query: Any) -> np.ndarray:
        """0/1 per position: does the structure contain ``query`` (via the library)."""
        if self._substructure_index is None:
            self._substructure_index, self._row_positions = self._get_library()
        mask = np.zeros(self._n, dtype=np.int8)
        hits = self._substructure_index.search(query)
        mask[hits if self._row_positions is None else self._row_positions[hits]] = 1
        return mask

    def _get_library(self) -> tuple[Any, np.ndarray | None]:
        """The library of the structure column (the caller's, else built here) and, when its
        rows are not positions, a lookup from row to frame position."""
        from molaudit.analytics.substructure import SubstructureIndex

        index = None
        if self._library is not None:
            try:
                index = self._library(self.structure_col)
            except ValueError:  # a column that library does not index (ParameterError)
                index = None
        if index is None:
            values = self._df[self.structure_col].to_numpy(dtype=object)
            smiles = [v if isinstance(v, str) else None for v in values]
            own = SubstructureIndex(
                smiles, np.arange(self._n), n_jobs=2 if self._n >= 20_000 else 1
            )
            return own, None
        if np.array_equal(self._rows, np.arange(self._n)):
            return index, None
        lookup = np.full(int(self._rows.max(initial=-1)) + 1, -1, dtype=np.int64)
        lookup[self._rows] = np.arange(self._n)
        positions = lookup[np.clip(index.rows, 0, len(lookup) - 1)]
        if np.any((index.rows >= len(lookup)) | (positions < 0)):
            raise ValueError("the substructure library holds rows this table does not have")
        # search() answers rows; this maps them to positions in one lookup per search
        by_row = np.full(int(index.rows.max(initial=-1)) + 1, -1, dtype=np.int64)
        by_row[index.rows] = positions
        return index, by_row

    def _smarts_mask(self, smarts: str, candidates: np.ndarray | None) -> np.ndarray:
        known = self._smarts_known(smarts)
        todo = known < 0 if candidates is None else (known < 0) & candidates
        self.match_smarts(smarts, np.flatnonzero(todo))
        return known == 1

    def _compute_view(self) -> np.ndarray:
        mask = self._mask()
        if self._sort_by is None:
            return np.flatnonzero(mask) if mask is not None else np.arange(self._n)
        order = self._sort_order(self._sort_by, self._ascending)
        return order if mask is None else order[mask[order]]

    def _sort_order(self, column: str, ascending: bool) -> np.ndarray:
        key = (column, ascending)
        if key not in self._sort_cache:
            self._sort_cache[key] = _sort_order(self._df[column], ascending)
        return self._sort_cache[key]

    def __repr__(self) -> str:
        return (
            f"<TableModel {self.n_filtered}/{self.n_total} rows, page {self._page + 1}/"
            f"{self.n_pages}, {len(self._selection)} selected>"
        )


def _structure_columns(frame: pd.DataFrame) -> list[str]:
    for name in _STRUCTURE_COLUMNS:
        if name in frame.columns:
            return [name]
    found = [
        str(c)
        for c in frame.columns
        if ("smiles" in str(c).lower() or "scaffold" in str(c).lower())
        and not pd.api.types.is_numeric_dtype(frame[c])
    ]
    return found[:2]


def _sort_order(series: pd.Series, ascending: bool) -> np.ndarray:
    """Stable argsort of a column with missing values last in both directions."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        # numpy sorts NaN last; negating keeps NaN last for the descending order
        return np.argsort(values if ascending else -values, kind="stable")
    codes, _ = pd.factorize(series.astype("str").where(series.notna()), sort=True)
    codes = codes.astype(np.int64)
    missing = codes < 0
    key = codes if ascending else -codes
    key[missing] = np.iinfo(np.int64).max
    return np.argsort(key, kind="stable")


def _check_page_size(value: int) -> int:
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or not 1 <= value <= 1000:
        raise ValueError(f"page_size must be an integer from 1 to 1000, got {value!r}")
    return int(value)


_SMARTS_CACHE: dict[str, Any] = {}


def _compile_smarts(smarts: str) -> Any:
    from rdkit import Chem, RDLogger

    if smarts not in _SMARTS_CACHE:
        RDLogger.DisableLog("rdApp.*")
        try:
            query = Chem.MolFromSmarts(smarts)
        finally:
            RDLogger.EnableLog("rdApp.*")
        if query is None:
            raise ValueError(f"smarts must be a valid SMARTS pattern, got {smarts!r}")
        _SMARTS_CACHE[smarts] = query
    return _SMARTS_CACHE[smarts]


def json_safe(value: Any) -> Any:
    """A JSON-serialisable version of one cell (NaN/NA/NaT -> None, numpy -> Python)."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bool | int | str):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
