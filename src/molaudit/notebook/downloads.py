"""Browser downloads: export files travel to the browser, which saves them (also in Voila).

The kernel writes the export into a temporary directory, reads the bytes and sends them in one
binary widget message; the front end turns them into a ``Blob`` and clicks a temporary
``<a download>`` link. Saving a copy next to the notebook (the kernel's working directory)
is an option, off by default.
"""

from __future__ import annotations

import html
import mimetypes
import pathlib
import shutil
import tempfile
import threading
from typing import Any

import ipywidgets as widgets
import traitlets as t

from molaudit.notebook._widget_base import MolauditWidget

__all__ = ["EXPORTS", "Downloader", "export_bar"]

_STATIC = pathlib.Path(__file__).parent / "static"
#: (button label, file extension) of the export buttons.
EXPORTS: tuple[tuple[str, str], ...] = (
    ("CSV", ".csv"),
    ("SDF", ".sdf"),
    ("Parquet", ".parquet"),
    ("Excel", ".xlsx"),
    ("HTML report", ".html"),
)
_MIME = {
    ".csv": "text/csv",
    ".sdf": "chemical/x-mdl-sdfile",
    ".parquet": "application/vnd.apache.parquet",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".html": "text/html",
}


class Downloader(MolauditWidget):
    """An invisible widget that makes the browser save the bytes it is sent.

    Attributes
    ----------
    sent : list of (str, int)
        File names and sizes sent so far (for tests and the status line).
    """

    _esm = _STATIC / "download.js"
    downloads = t.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[tuple[str, int]] = []

    def send_file(self, filename: str, data: bytes, mime: str | None = None) -> None:
        """Send ``data`` to the browser as a download named ``filename``."""
        name = pathlib.Path(filename).name
        mime = (
            mime
            or _MIME.get(pathlib.Path(name).suffix.lower())
            or (mimetypes.guess_type(name)[0] or "application/octet-stream")
        )
        self.send({"type": "download", "filename": name, "mime": mime}, buffers=[data])
        self.sent.append((name, len(data)))
        self.downloads += 1

    def __repr__(self) -> str:
        return f"<molaudit Downloader: {len(self.sent)} files sent>"


def export_bar(
    batch: Any,
    *,
    exports: tuple[tuple[str, str], ...] = EXPORTS,
    background: bool = True,
) -> widgets.HBox:
    """File-name box, one button per format, "also save in the kernel's folder", status.

    Clicking a button writes the export into a temporary folder, sends it to the browser
    (which saves it in its downloads) and, when the check box is ticked, copies it to the
    kernel's working directory too.

    Returns
    -------
    ipywidgets.HBox
        Children: name (Text), the buttons, save_copy (Checkbox), status (HTML), downloader.
    """
    name = widgets.Text(value="molaudit_export", description="file", layout={"width": "240px"})
    save_copy = widgets.Checkbox(
        value=False,
        description="also save in the kernel's folder",
        indent=False,
        layout={"width": "auto"},
    )
    status = widgets.HTML()
    downloader = Downloader()

    def run(ext: str) -> None:
        stem = pathlib.Path(name.value.strip() or "molaudit_export").name
        filename = stem if stem.endswith(ext) else stem + ext
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="molaudit-export-"))
        try:
            out = pathlib.Path(batch.export(tmp / filename) or tmp / filename)
            data = out.read_bytes()
            downloader.send_file(filename, data)
            text = f"sent <code>{html.escape(filename)}</code> ({len(data) / 1e6:.2f} MB) to "
            text += "the browser's downloads"
            if save_copy.value:
                target = pathlib.Path(name.value.strip() or stem)
                target = target if str(target).endswith(ext) else target.with_name(filename)
                shutil.copyfile(out, target)
                text += f"; saved <code>{html.escape(str(target.resolve()))}</code>"
            status.value = text
        except Exception as exc:  # shown in the panel, not only in a log
            status.value = (
                "<span style='color:var(--jp-error-color1,#c33)'>export failed: "
                f"{html.escape(type(exc).__name__ + ': ' + str(exc))}</span>"
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def make(label: str, ext: str) -> widgets.Button:
        button = widgets.Button(
            description=label, icon="download", tooltip=f"download {ext} in the browser"
        )

        def click(_b: Any) -> None:
            status.value = f"preparing {html.escape(label)}…"
            if background:
                threading.Thread(target=run, args=(ext,), daemon=True).start()
            else:
                run(ext)

        button.on_click(click)
        return button

    buttons = [make(label, ext) for label, ext in exports]
    bar = widgets.HBox(
        [name, *buttons, save_copy, status, downloader], layout={"flex_flow": "row wrap"}
    )
    bar.add_class("molaudit-export")
    bar.downloader = downloader  # type: ignore[attr-defined]
    bar.status = status  # type: ignore[attr-defined]
    return bar
