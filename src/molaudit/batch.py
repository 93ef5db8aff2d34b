"""The :class:`Batch`: an audited set of molecules, its cache entry and its analytics."""

from __future__ import annotations

import html
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from molaudit.options import AuditOptions

if TYPE_CHECKING:
    from molaudit.analytics import AnalyticResult
    from molaudit.analytics._manager import Analytics
    from molaudit.run.cache import Store

__all__ = ["Batch"]


#: ``show()`` reads or builds the substructure library in the background up to this many
#: rows (about 30 s of two processes at 100k); larger batches build it on the first search,
#: so that opening the panel of a 1M batch does not start minutes of work nobody asked for.
BACKGROUND_LIBRARY_MAX_ROWS = 200_000


class Batch:
    """An audited batch: one table row per input record, in input order.

    Attributes
    ----------
    table : pandas.DataFrame
        Input columns followed by the audit columns of :data:`molaudit.schema.AUDIT_COLUMNS`.
    key : str
        Content hash of (package and RDKit versions, options, input): the job id.
    fingerprints : numpy.ndarray
        ``uint8 (n_valid, fp_size // 8)`` packed Morgan fingerprints of non-error rows.
    fingerprint_rows : numpy.ndarray
        ``int64 (n_valid,)`` input row of each fingerprint.
    options : AuditOptions
        The options of the audit.
    columns : dict
        The input columns used: ``{'smiles': ..., 'id': ..., 'activity': ...}``.
    source : str
        Where the batch came from.
    notes : list of str
        What was detected or worked around.
    selection : list of int
        Input rows selected in the notebook widgets.
    """

    def __init__(
        self,
        *,
        table: pd.DataFrame,
        fingerprints: np.ndarray,
        fingerprint_rows: np.ndarray,
        key: str,
        options: AuditOptions,
        columns: dict[str, str | None],
        source: str,
        notes: list[str],
        timings: dict[str, float],
        run: dict[str, Any],
        activity_units: str | None = None,
        store: Store | None = None,
        n_jobs: int = -1,
        backend: str = "loky",
        created: float | None = None,
    ) -> None:
        self.table = table
        self.fingerprints = fingerprints
        self.fingerprint_rows = fingerprint_rows
        self.key = key
        self.options = options
        self.columns = columns
        self.source = source
        self.notes = notes
        self.timings = timings
        self.run = run
        self.activity_units = activity_units
        self.store = store
        self.n_jobs = n_jobs
        self.backend = backend
        self.scheduler: Any = None  # the Dask client of a backend='dask' run (never cached)
        self.created = time.time() if created is None else created
        self.selection: list[int] = []
        self._analytics: Analytics | None = None

    def _runtime(self, *, n_jobs: int, backend: str, scheduler: Any = None) -> None:
        self.n_jobs, self.backend, self.scheduler = n_jobs, backend, scheduler

    def _meta(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rows": len(self.table),
            "source": self.source,
            "created": self.created,
            "options": self.options.to_dict(),
            "columns": self.columns,
            "notes": self.notes,
            "timings": self.timings,
            "run": self.run,
            "activity_units": self.activity_units,
        }

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.table)

    def __repr__(self) -> str:
        counts = Counter(self.table["status"])
        return (
            f"<molaudit.Batch {self.key[:12]} rows={len(self.table)} ok={counts.get('ok', 0)} "
            f"warning={counts.get('warning', 0)} error={counts.get('error', 0)}>"
        )

    def _repr_html_(self) -> str:
        s = self.summary()
        status = ", ".join(f"{html.escape(k)}: {v}" for k, v in s["by_status"].items())
        errors = (
            ", ".join(
                f"{html.escape(str(k))}: {v}" for k, v in list(s["by_error_code"].items())[:5]
            )
            or "none"
        )
        checks = (
            ", ".join(f"{html.escape(str(k))}: {v}" for k, v in list(s["by_check"].items())[:8])
            or "none"
        )
        return (
            f"<div><b>molaudit batch</b> <code>{html.escape(self.key[:12])}</code> · "
            f"{s['n_rows']} rows from {html.escape(self.source)}<br>"
            f"status — {status}<br>errors — {errors}<br>checks — {checks}</div>"
        )

    def _ipython_display_(self) -> None:
        from IPython.display import display

        try:
            panel = self.show()
        except Exception:  # no widget front end available: fall back to static HTML
            display({"text/html": self._repr_html_(), "text/plain": repr(self)}, raw=True)
            return
        display(panel)

    def show(self) -> Any:
        """The interactive audit panel (ipywidgets) for this batch."""
        from molaudit.notebook.panel import Panel

        if 0 < len(self.table) <= BACKGROUND_LIBRARY_MAX_ROWS:
            # the table's SMARTS filter will want it: read or build it while the user looks
            self.substructure_library(background=True)
        return Panel(self)

    def summary(self) -> dict[str, Any]:
        """Counts by status, error code and check; timings; cache use; columns; notes.

        Returns
        -------
        dict
            Keys: key, source, n_rows, by_status, by_error_code, by_check, n_duplicate_ids,
            columns, activity_units, timings, cache, notes.
        """
        table = self.table
        by_check: Counter[str] = Counter()
        for text in table["checks"].dropna():
            if text:
                by_check.update(text.split(";"))
        ids = table["id"]
        return {
            "key": self.key,
            "source": self.source,
            "n_rows": len(table),
            "by_status": {s: int((table["status"] == s).sum()) for s in ("ok", "warning", "error")},
            "by_error_code": {
                str(k): int(v) for k, v in table["error_code"].dropna().value_counts().items()
            },
            "by_check": dict(by_check.most_common()),
            "n_duplicate_ids": int(ids.duplicated(keep=False).sum()),
            "columns": dict(self.columns),
            "activity_units": self.activity_units,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "cache": dict(self.run),
            "notes": list(self.notes),
        }

    def export(self, path: str | Path, **kwargs: Any) -> Path:
        """Write the table by suffix: .csv .tsv .parquet .sdf .xlsx .html (report).

        See :func:`molaudit.export.export_table` for options (formula neutralization, ...).
        """
        from molaudit.export import export_batch

        return export_batch(self, Path(path), **kwargs)

    # ------------------------------------------------------------------ analytics
    @property
    def analytics(self) -> Analytics:
        """Run, list and fetch analytics: ``status()``, ``run(name, **params)``."""
        if self._analytics is None:
            from molaudit.analytics._manager import Analytics

            self._analytics = Analytics(self)
            # the substructure libraries are kept in this batch's disk cache
            self._analytics.input().memo("substructure_store", lambda: (self.store, self.key))
        return self._analytics

    def substructure_library(
        self, column: str = "std_smiles", *, background: bool = False, timeout: float = 900.0
    ) -> Any:
        """The batch's substructure library of ``column`` (``std_smiles`` or ``smiles``).

        Read from the batch's disk cache when it is there, else built once (and written
        there); a caller that finds a build running waits for it (at most ``timeout``
        seconds) rather than starting a second. With ``background=True`` the read or build
        starts in a daemon thread and the :class:`~molaudit.analytics.substructure.
        LibraryBuild` is returned at once (failures are logged, never raised).

        Returns
        -------
        SubstructureIndex or LibraryBuild
        """
        from molaudit.analytics.substructure import library_build

        build = library_build(self.analytics.input(), column)
        if background:
            build.start()
            return build
        return build.get(timeout=timeout)

    def dedup(self) -> AnalyticResult:
        """Duplicates at four levels (exact, tautomer, stereo, salt form)."""
        return self.analytics.run("dedup")

    def statistics(self) -> AnalyticResult:
        """Property statistics, correlations, outliers and the batch quality score."""
        return self.analytics.run("statistics")

    def scaffolds(self, **params: Any) -> AnalyticResult:
        """Murcko and generic scaffolds with counts, entropy and member rows."""
        return self.analytics.run("scaffolds", **params)

    def rgroups(self, core: str | None = None, **params: Any) -> AnalyticResult:
        """R-group decomposition around ``core`` (SMILES/SMARTS) or an automatic core."""
        return self.analytics.run("rgroups", core=core, **params)

    def similar(self, query: Any, k: int = 10, threshold: float | None = None) -> AnalyticResult:
        """The ``k`` most similar molecules to ``query`` (SMILES, Mol or input row)."""
        return self.analytics.similar(query, k=k, threshold=threshold)

    def substructure(self, query: str, *, cancel: Any = None) -> AnalyticResult:
        """Input rows whose parent contains ``query`` (SMARTS or SMILES); frame ``matches``.

        Uses a pattern-fingerprint ``SubstructLibrary`` built on first use and kept with the
        batch; ``cancel`` (a ``threading.Event``) stops the search between library slices.
        """
        return self.analytics.run("substructure", query=query, cancel=cancel)

    def nearest_neighbors(self, k: int = 1, **params: Any) -> AnalyticResult:
        """For every molecule its ``k`` most similar others and an isolation score."""
        return self.analytics.run("nearest_neighbors", k=k, **params)

    def similarity_pairs(self, threshold: float = 0.7, **params: Any) -> AnalyticResult:
        """All pairs with Tanimoto similarity >= ``threshold`` (sparse)."""
        return self.analytics.run("similarity_pairs", threshold=threshold, **params)

    def similarity_matrix(self, rows: list[int] | None = None, **params: Any) -> AnalyticResult:
        """Dense similarity matrix of up to 2,000 input rows."""
        return self.analytics.run("similarity_matrix", rows=rows, **params)

    def clusters(
        self, method: str = "butina", cutoff: float = 0.35, **params: Any
    ) -> AnalyticResult:
        """Clusters at a Tanimoto *distance* cutoff (1 - similarity)."""
        return self.analytics.run("clusters", method=method, cutoff=cutoff, **params)

    def chemical_space(self, method: str = "pca", **params: Any) -> AnalyticResult:
        """2-D coordinates by PCA, t-SNE or UMAP."""
        return self.analytics.run("chemical_space", method=method, **params)

    def mmp(self, **params: Any) -> AnalyticResult:
        """Matched molecular pairs (mmpdb-equivalent)."""
        return self.analytics.run("mmp", **params)

    def activity_cliffs(self, definition: str = "moleculeace", **params: Any) -> AnalyticResult:
        """Activity cliffs by the MoleculeACE, SALI or MMP definition."""
        return self.analytics.run("activity_cliffs", definition=definition, **params)

    def lle(self, **params: Any) -> AnalyticResult:
        """Lipophilic ligand efficiency per molecule."""
        return self.analytics.run("lle", **params)

    def curate(self, **params: Any) -> AnalyticResult:
        """One activity per compound, with a decision for every row and a recipe.

        See :func:`molaudit.analytics.curate.curate` (``level``, ``aggregate``,
        ``max_spread``, ``activity_units``). The recipe in ``result.summary['recipe']`` gets
        the batch's SMILES column too, so that it names every input column used.
        """
        result = _curate_lists(self.analytics.run("curate", **params))
        recipe = result.summary.get("recipe")
        if isinstance(recipe, dict):
            recipe.setdefault("columns", {})["smiles"] = self.columns.get("smiles")
        return result

    def split(
        self, method: str = "scaffold", test_fraction: float = 0.2, seed: int = 0, **params: Any
    ) -> Any:
        """Train/test split (scaffold, cluster or random) with ``compare(train, test)`` attached.

        See :func:`molaudit.analytics.split.split`.
        """
        from molaudit.analytics.split import split

        return split(
            self.analytics.input(), method=method, test_fraction=test_fraction, seed=seed, **params
        )


#: List cells of the ``curate`` frames (a cached result comes back with numpy arrays in them).
_CURATE_LIST_COLUMNS = {"curated": ("rows",), "stereo_cliffs": ("rows", "std_smiles", "activities")}


def _curate_lists(result: AnalyticResult) -> AnalyticResult:
    """List cells of a ``curate`` result back to Python lists of Python scalars."""
    for frame, columns in _CURATE_LIST_COLUMNS.items():
        table = result.frames.get(frame)
        if table is None:
            continue
        for col in columns:
            if col in table.columns and len(table):
                table[col] = [
                    [v.item() if hasattr(v, "item") else v for v in cell]
                    if isinstance(cell, list | tuple | np.ndarray)
                    else cell
                    for cell in table[col]
                ]
    return result
