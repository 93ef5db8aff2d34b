"""Molecule table pager at 1M rows: first page, next page, sort, filters (kernel side).

    python benchmarks/bench_notebook_table.py [n_rows]

Rows are real MOSES SMILES (molsets wheel, via benchmarks/_data.py) with synthetic audit
columns (status, mw, ...), because paging cost does not depend on how they were computed.
Targets (issue 6): first page < 1 s, next page < 100 ms, including the page's depictions.
The baseline in the same process is pandas itself: ``df.iloc[a:b].to_dict('records')``.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np
import pandas as pd
from _data import moses_smiles

from molaudit.notebook.depict import depict_svg, svg_data_uri
from molaudit.notebook.table_widget import MoleculeTable


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(n: int = 1_000_000) -> None:
    smiles = np.asarray(moses_smiles(n), dtype=object)
    n = len(smiles)
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "row": np.arange(n),
            "id": [f"MOSES-{i:07d}" for i in range(n)],
            "status": rng.choice(["ok", "warning", "error"], n, p=[0.8, 0.15, 0.05]),
            "score": rng.integers(0, 101, n),
            "smiles": smiles,
            "mw": rng.normal(320, 40, n),
            "clogp": rng.normal(2.5, 1.0, n),
        }
    )
    print(f"{n:,} rows")
    t0 = time.perf_counter()
    widget = MoleculeTable(table)  # default page size
    first = time.perf_counter() - t0
    print(f"first page (model + {widget.page_size} depictions, cold cache): {first * 1000:.0f} ms")
    page = [1]

    def next_page() -> None:
        # a page never seen before: depictions not cached
        page[0] += 1
        widget.page = page[0]

    nxt = timed(next_page, 7)
    size = widget.page_size
    baseline = timed(lambda: table.iloc[5000 : 5000 + size].to_dict("records"), 7)
    print(
        f"next page (uncached depictions): median {nxt * 1000:.1f} ms; "
        f"pandas iloc+to_dict of the same rows: {baseline * 1000:.2f} ms "
        f"(ratio {nxt / baseline:.0f}x)"
    )
    depict_svg.cache_clear()
    sample = smiles[rng.integers(0, n, 200)]
    t0 = time.perf_counter()
    for s in sample:
        svg_data_uri(str(s))
    print(f"depiction: {(time.perf_counter() - t0) / len(sample) * 1000:.2f} ms/molecule")
    t0 = time.perf_counter()
    widget.sort_by = "mw"
    print(f"sort by mw (full column, first time): {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    widget.page = 100
    print(f"page 100 of the sorted view: {(time.perf_counter() - t0) * 1000:.1f} ms")
    t0 = time.perf_counter()
    widget.status_filter = ["warning"]
    print(f"status filter: {(time.perf_counter() - t0) * 1000:.0f} ms -> {widget.n_filtered:,}")
    t0 = time.perf_counter()
    widget.range_filters = {"clogp": [3.0, 4.0]}
    print(f"+ range filter: {(time.perf_counter() - t0) * 1000:.0f} ms -> {widget.n_filtered:,}")
    t0 = time.perf_counter()
    widget.text_filter = "MOSES-00012"
    print(f"+ text filter: {(time.perf_counter() - t0) * 1000:.0f} ms -> {widget.n_filtered:,}")
    widget.text_filter = ""
    widget.status_filter = []
    widget.range_filters = {}
    widget.model.set_filters(rows=range(0, 20_000))
    t0 = time.perf_counter()
    widget.smarts_filter = "c1ccncc1"
    print(
        f"SMARTS filter on 20,000 rows: {(time.perf_counter() - t0):.2f} s -> {widget.n_filtered:,}"
    )
    synced = sum(len(str(v)) for v in (widget.rows, widget.images))
    print(f"state synced to the browser: {synced / 1024:.0f} KiB (one page)")
    bench_panel(table)


class _NoAnalytics:
    def status(self) -> pd.DataFrame:
        return pd.DataFrame(columns=["name", "kind", "state", "message"])


class _StubBatch:
    """Just enough of a Batch for the panel (no analytics): times the panel itself."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.analytics = _NoAnalytics()
        self.selection: list[int] = []
        self.fingerprints = None

    def summary(self) -> dict:
        return {}


def bench_panel(table: pd.DataFrame) -> None:
    from molaudit.notebook.panel import Panel

    t0 = time.perf_counter()
    panel = Panel(_StubBatch(table))
    print(
        f"Panel (overview histograms + 200k-point scatter + table): "
        f"{time.perf_counter() - t0:.2f} s -> {panel!r}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
