"""What a warm panel costs to show: bytes over the widget channel and seconds to build.

A synthetic *warm* batch: the bundled CHEMBL231 set is audited once (cached), then its table
and fingerprints are repeated to N rows (rows and IDs renumbered). That stands for a warm
100k / 1M audit whose analytics are cached; a real 100k MOSES audit takes minutes on two
cores. Bytes are measured in the kernel: every comm message a widget opens or sends (JSON
text plus binary buffers), plus plotly.js (sent once per page, gzip-compressed, when the
first plot asks). Seconds are the kernel time from ``Panel(batch)`` to the last opening
message (the browser then draws one page and the Overview plots).

With ``--browser`` it also measures, in JupyterLab + headless Chromium (Playwright,
``/usr/bin/chromium``), the seconds from running a ``molaudit.Panel(batch)`` cell to every
Overview plot drawn, and the websocket bytes of that display (a warm page: plotly.js already
loaded by an earlier panel; add its gzip size once per page).

Run:  python benchmarks/bench_panel_payload.py [--sizes 100000 1000000] [--browser]
"""

from __future__ import annotations

import argparse
import copy
import json
import time
import warnings

import numpy as np
import pandas as pd


class _Recorder:
    """Stands in for ``comm.create_comm``: counts the bytes each comm would send."""

    def __init__(self) -> None:
        self.json_bytes = 0
        self.buffer_bytes = 0
        self.messages = 0

    def add(self, data, buffers) -> None:
        self.messages += 1
        self.json_bytes += len(json.dumps(data, default=str, allow_nan=False))
        self.buffer_bytes += sum(memoryview(b).nbytes for b in (buffers or []))

    def create_comm(self, **kwargs):
        rec = self
        rec.add(kwargs.get("data"), kwargs.get("buffers"))

        class _Comm:
            comm_id = f"c{rec.messages}"
            kernel = None

            def send(self, data=None, metadata=None, buffers=None):
                rec.add(data, buffers)

            def on_msg(self, callback):
                pass

            def on_close(self, callback):
                pass

            def close(self, *args, **kwargs):
                pass

        return _Comm()


def warm_batch(n: int):
    """The bundled set audited (cached), tiled to ``n`` rows."""
    import molaudit
    from molaudit.demo import demo_data_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = molaudit.audit(demo_data_path(), n_jobs=1, progress=False, activity_units="nM")
    table = base.table
    reps = int(np.ceil(n / len(table)))
    big = pd.concat([table] * reps, ignore_index=True).iloc[:n].copy()
    big["row"] = np.arange(n, dtype=np.int64)
    big["id"] = [f"M{i:07d}" for i in range(n)]
    fp_reps = int(np.ceil(n / max(len(base.fingerprint_rows), 1)))
    batch = copy.copy(base)
    batch.table = big
    valid = big.loc[big["status"] != "error", "row"].to_numpy()
    batch.fingerprints = np.tile(base.fingerprints, (fp_reps, 1))[: len(valid)]
    batch.fingerprint_rows = valid
    batch.selection = []
    batch._analytics = None
    return batch


def measure(batch) -> dict:
    import comm
    import ipywidgets

    from molaudit.notebook import plot_widget
    from molaudit.notebook.panel import Panel

    rec = _Recorder()
    saved = comm.create_comm
    comm.create_comm = rec.create_comm
    ipywidgets.widgets.widget.comm.create_comm = rec.create_comm
    try:
        t0 = time.perf_counter()
        panel = Panel(batch)
        state = panel.get_manager_state() if hasattr(panel, "get_manager_state") else None
        seconds = time.perf_counter() - t0
    finally:
        comm.create_comm = saved
        ipywidgets.widgets.widget.comm.create_comm = saved
    del state
    bundle = len(plot_widget.plotly_bundle())
    total = rec.json_bytes + rec.buffer_bytes + bundle
    return {
        "rows": len(batch.table),
        "widgets_opened": rec.messages,
        "json_MB": rec.json_bytes / 1e6,
        "buffers_MB": rec.buffer_bytes / 1e6,
        "plotly_js_gz_MB": bundle / 1e6,
        "total_MB": total / 1e6,
        "kernel_seconds": seconds,
        "tabs": len(panel.tabs.titles),
    }


def browser_seconds(sizes: list[int], workdir: str | None = None) -> list[tuple[int, float, float]]:
    """(rows, seconds until visible, websocket MB) per size, in JupyterLab + Chromium."""
    import os
    import secrets
    import signal
    import subprocess
    import sys
    import tempfile
    import urllib.request
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    root = Path(workdir or tempfile.mkdtemp(prefix="molaudit-bench-"))
    here = str(Path(__file__).parent)
    cells = [
        f"import sys; sys.path.insert(0, {here!r})\n"
        "from bench_panel_payload import warm_batch\nimport molaudit\n"
        f"batches = {{n: warm_batch(n) for n in {sizes!r}}}\nmolaudit.Panel(warm_batch(2000))",
        *[f"molaudit.Panel(batches[{n}])" for n in sizes],
    ]
    book = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": c,
            }
            for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (root / "bench.ipynb").write_text(json.dumps(book))
    config = root / "config" / "labconfig"
    config.mkdir(parents=True, exist_ok=True)
    (config / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    token = secrets.token_hex(8)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.ip=127.0.0.1",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={root}",
        ],
        stdout=open(root / "server.log", "w"),  # noqa: SIM115 (closed with the process)
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(root / "config")},
    )
    out = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(180):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=os.environ.get("MOLAUDIT_CHROMIUM", "/usr/bin/chromium"),
                headless=True,
                args=["--no-sandbox", "--use-gl=swiftshader"],
            )
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            frames: list[int] = []
            page.on("websocket", lambda ws: ws.on("framereceived", lambda p: frames.append(len(p))))
            page.goto(f"{base}/lab/tree/bench.ipynb?reset&token={token}")
            page.wait_for_function(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " return w && w.sessionContext && w.sessionContext.session"
                " && w.sessionContext.session.kernel; }",
                timeout=120_000,
            )

            def run(i: int) -> None:
                page.evaluate(
                    "i => { const nb = window.jupyterapp.shell.currentWidget.content;"
                    " nb.activeCellIndex = i;"
                    " window.jupyterapp.commands.execute('notebook:run-cell'); }",
                    i,
                )

            def drawn(k: int) -> None:
                page.wait_for_function(
                    "k => { const p = [...document.querySelectorAll('.molaudit-panel')];"
                    " if (p.length < k) return false;"
                    " const plots = [...p[k - 1].querySelectorAll('.js-plotly-plot')];"
                    " return plots.length >= 2 && plots.every(gd => (gd._fullData||[]).length); }",
                    arg=k,
                    timeout=600_000,
                )

            run(0)
            drawn(1)
            for i, n in enumerate(sizes, start=1):
                before, t0 = sum(frames), time.time()
                run(i)
                drawn(i + 1)
                out.append((n, time.time() - t0, (sum(frames) - before) / 1e6))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--browser", action="store_true", help="also time it in Chromium")
    args = parser.parse_args()
    import os

    print(f"load: {os.getloadavg()}")
    measure(warm_batch(2_000))  # a warm kernel: imports done, plotly.js compressed once
    for n in args.sizes:
        batch = warm_batch(n)
        out = measure(batch)
        print(
            f"{out['rows']:>9,} rows: {out['total_MB']:.2f} MB over the widget channel "
            f"(JSON {out['json_MB']:.2f} + buffers {out['buffers_MB']:.2f} + plotly.js gz "
            f"{out['plotly_js_gz_MB']:.2f} once per page), {out['widgets_opened']} comm "
            f"messages, {out['tabs']} tabs, built in {out['kernel_seconds']:.2f} s (kernel)"
        )

    if args.browser:
        for n, seconds, mb in browser_seconds(args.sizes):
            print(
                f"{n:>9,} rows in JupyterLab: visible {seconds:.2f} s after running the cell, "
                f"{mb:.2f} MB over the websocket (+ plotly.js once per page)"
            )


if __name__ == "__main__":
    main()
