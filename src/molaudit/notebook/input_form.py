"""Input form of ``molaudit.Panel()``: paste SMILES, pick a DataFrame, or upload a file; Run.

The audit runs in a background thread with a throttled progress bar (count, rate, ETA) and a
Cancel button; errors show in the form.
"""

from __future__ import annotations

import html
import os
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd

from molaudit.ingest.cell_text import parse_smiles_block

__all__ = ["InputForm", "ProgressReporter"]

_AUTO = "(auto)"
_NONE = "(none)"


class ProgressReporter:
    """``progress(done, total)`` callback driving an IntProgress + label, at most 10 Hz.

    20,000 unthrottled widget updates cost seconds; this sends one per 0.1 s plus the last.
    """

    def __init__(self, bar: widgets.IntProgress, label: widgets.HTML, interval: float = 0.1):
        self.bar = bar
        self.label = label
        self.interval = interval
        self.started = time.perf_counter()
        self._last = 0.0
        self.updates = 0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        self.updates += 1
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else float("nan")
        self.bar.max = max(total, 1)
        self.bar.value = min(done, total)
        eta_text = f", ETA {eta:.0f} s" if done < total and eta == eta else ""
        self.label.value = f"{done:,} / {total:,} · {rate:,.0f} mol/s{eta_text}"


class InputForm(widgets.VBox):
    """Collect input for an audit and run it.

    Parameters
    ----------
    on_batch : callable
        Called with the new :class:`molaudit.Batch` when an audit finishes.
    namespace : dict, optional
        Where to look for DataFrames (the IPython user namespace by default).
    audit : callable, optional
        The audit to run, called like :func:`molaudit.audit` (default: ``molaudit.audit``, as
        registered in :mod:`molaudit._entry`; the form does not import :mod:`molaudit.api`,
        which would make the import cycle batch -> panel -> form -> api -> batch).
    """

    def __init__(
        self,
        on_batch: Callable[[Any], None],
        namespace: dict[str, Any] | None = None,
        *,
        audit: Callable[..., Any] | None = None,
    ) -> None:
        self.on_batch = on_batch
        self._audit = audit
        self.namespace = namespace if namespace is not None else _user_namespace()
        self.source = widgets.ToggleButtons(
            options=["Paste SMILES", "DataFrame", "File"], value="Paste SMILES"
        )
        self.text = widgets.Textarea(
            placeholder="one 'SMILES [id [activity]]' per line",
            layout=widgets.Layout(width="520px", height="140px"),
        )
        self.frame_picker = widgets.Dropdown(description="variable", options=self._frames())
        self.upload = widgets.FileUpload(
            accept=".csv,.tsv,.smi,.sdf,.parquet,.xlsx", multiple=False
        )
        self.smiles_col = widgets.Dropdown(description="SMILES", options=[_AUTO])
        self.id_col = widgets.Dropdown(description="ID", options=[_AUTO, _NONE])
        self.activity_col = widgets.Dropdown(description="activity", options=[_AUTO, _NONE])
        self.n_jobs = widgets.BoundedIntText(value=-1, min=-1, max=512, description="n_jobs")
        self.cache = widgets.Checkbox(value=True, description="use cache")
        self.run_button = widgets.Button(
            description="Run audit", button_style="primary", icon="play"
        )
        self.cancel_button = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.bar = widgets.IntProgress(value=0, min=0, max=1)
        self.progress_label = widgets.HTML()
        self.message = widgets.HTML()
        self.thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self.source.observe(lambda _c: self._show_source(), names="value")
        self.frame_picker.observe(lambda _c: self._update_columns(), names="value")
        self.upload.observe(lambda _c: self._update_columns(), names="value")
        self.run_button.on_click(lambda _b: self.run())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.source_box = widgets.VBox([self.text])
        super().__init__(
            [
                self.source,
                self.source_box,
                widgets.HBox([self.smiles_col, self.id_col, self.activity_col]),
                widgets.HBox([self.n_jobs, self.cache]),
                widgets.HBox([self.run_button, self.cancel_button, self.bar, self.progress_label]),
                self.message,
            ]
        )

    # ------------------------------------------------------------------ inputs
    def _frames(self) -> list[str]:
        return sorted(
            k
            for k, v in self.namespace.items()
            if not k.startswith("_") and isinstance(v, pd.DataFrame)
        )

    def _show_source(self) -> None:
        choice = self.source.value
        if choice == "DataFrame":
            self.frame_picker.options = self._frames()
            self.source_box.children = [self.frame_picker]
        elif choice == "File":
            self.source_box.children = [self.upload]
        else:
            self.source_box.children = [self.text]
        self._update_columns()

    def _preview(self) -> pd.DataFrame | None:
        choice = self.source.value
        if choice == "DataFrame" and self.frame_picker.value:
            return self.namespace.get(self.frame_picker.value)
        if choice == "File" and self.upload.value:
            item = self.upload.value[0]
            name = str(item["name"]).lower()
            if name.endswith((".csv", ".tsv")):
                import io

                sep = "\t" if name.endswith(".tsv") else ","
                return pd.read_csv(io.BytesIO(bytes(item["content"])), sep=sep, nrows=200)
        return None

    def _update_columns(self) -> None:
        frame = self._preview()
        cols = [str(c) for c in frame.columns] if frame is not None else []
        detected: dict[str, str | None] = {}
        if frame is not None:
            try:
                from molaudit.ingest.columns import detect_activity, detect_id, detect_smiles

                smi = detect_smiles(frame)
                ident = detect_id(frame, {smi} if smi else set())
                act = detect_activity(frame, {c for c in (smi, ident) if c})
                detected = {"smiles": smi, "id": ident, "activity": act}
            except Exception:  # detection is a convenience; the audit detects again
                detected = {}
        self.smiles_col.options = [_AUTO, *cols]
        self.id_col.options = [_AUTO, _NONE, *cols]
        self.activity_col.options = [_AUTO, _NONE, *cols]
        for widget, role in (
            (self.smiles_col, "smiles"),
            (self.id_col, "id"),
            (self.activity_col, "activity"),
        ):
            widget.value = detected.get(role) or _AUTO

    def data(self) -> tuple[Any, dict[str, Any]]:
        """The input and the column keywords for :func:`molaudit.audit`.

        Raises
        ------
        ValueError
            When no input has been given.
        """
        kwargs: dict[str, Any] = {}
        choice = self.source.value
        if choice == "Paste SMILES":
            frame = parse_smiles_block(self.text.value)
            if frame.empty:
                raise ValueError("paste at least one SMILES (one per line)")
            data: Any = frame
            kwargs = {"smiles_col": "smiles"}
            if "id" in frame.columns:
                kwargs["id_col"] = "id"
            if "activity" in frame.columns:
                kwargs["activity_col"] = "activity"
        elif choice == "DataFrame":
            if not self.frame_picker.value:
                raise ValueError("no DataFrame in the notebook namespace; create one first")
            data = self.namespace[self.frame_picker.value]
        else:
            if not self.upload.value:
                raise ValueError("choose a file to upload")
            item = self.upload.value[0]
            suffix = os.path.splitext(str(item["name"]))[1]
            with tempfile.NamedTemporaryFile(
                prefix="molaudit_upload_", suffix=suffix, delete=False
            ) as handle:
                handle.write(bytes(item["content"]))
            data = handle.name
        for widget, key in (
            (self.smiles_col, "smiles_col"),
            (self.id_col, "id_col"),
            (self.activity_col, "activity_col"),
        ):
            if widget.value not in (_AUTO, _NONE):
                kwargs[key] = widget.value
        return data, kwargs

    # ------------------------------------------------------------------ running
    def run(self) -> threading.Thread | None:
        """Start the audit in a background thread (returns it; None when input is missing)."""
        try:
            data, kwargs = self.data()
        except ValueError as exc:
            self.message.value = _error(str(exc))
            return None
        from molaudit._entry import audit_function
        from molaudit.run.runner import AuditCancelled

        audit = self._audit if self._audit is not None else audit_function()

        self._cancel = threading.Event()
        reporter = ProgressReporter(self.bar, self.progress_label)
        self.run_button.disabled = True
        self.cancel_button.disabled = False
        self.message.value = ""

        def work() -> None:
            try:
                batch = audit(
                    data,
                    n_jobs=self.n_jobs.value,
                    cache=self.cache.value,
                    progress=reporter,
                    cancel=self._cancel,
                    **kwargs,
                )
            except (Exception, AuditCancelled) as exc:  # shown in the form
                cancelled = isinstance(exc, AuditCancelled)
                self.message.value = (
                    "<em>cancelled (finished chunks stay in the cache)</em>"
                    if cancelled
                    else _error(f"{type(exc).__name__}: {exc}")
                )
                return
            finally:
                self.run_button.disabled = False
                self.cancel_button.disabled = True
            ns = _user_namespace()
            ns["_molaudit"] = batch
            self.message.value = "done — the batch is <code>_molaudit</code>"
            try:
                self.on_batch(batch)
            except Exception as exc:
                self.message.value = _error(f"showing the batch failed: {exc}")

        self.thread = threading.Thread(target=work, name="molaudit-audit", daemon=True)
        self.thread.start()
        return self.thread

    def cancel(self) -> None:
        """Ask a running audit to stop."""
        if self._cancel is not None:
            self._cancel.set()
            self.progress_label.value += " · cancelling…"

    def __repr__(self) -> str:
        return "<molaudit InputForm>"


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython
    except ImportError:
        return {}
    ip = get_ipython()
    return ip.user_ns if ip is not None else {}


def _error(text: str) -> str:
    return f"<span style='color:#c33'>{html.escape(text)}</span>"
