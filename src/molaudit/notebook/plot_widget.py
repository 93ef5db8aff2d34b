"""A small anywidget that shows a plotly figure, with plotly.js sent once per page.

Why not ``plotly.graph_objects.FigureWidget``: in plotly 6+ it is an anywidget whose ``_esm``
is the whole 4.9 MB ``widgetbundle.js``, so every figure widget carries its own copy of
plotly.js in its opening comm message (four plots = 20 MB), each copy is imported separately,
and a model that is displayed while its bundle is still loading fails with "[anywidget] Failed
to initialize model" (the empty plots of issue 12). Here:

- the front-end module (``static/plot.js``) is a few kB;
- plotly.js is requested by the first plot of a page with a custom message and answered once,
  gzip-compressed (1.5 MB instead of 4.8 MB), as a binary buffer; the browser decompresses it
  (``DecompressionStream``) and keeps it in a module-level promise that every later plot on
  the page (any kernel) shares. Nothing is fetched from a CDN or any URL;
- evaluating plotly.js and drawing are long main-thread work (1-5 s for plotly.js on a loaded
  2-core machine): they wait until no anywidget model of the page is inside anywidget's 2-s
  initialization window, because a model that misses it ("[anywidget] Failed to initialize
  model.") drops every later kernel message: the empty plots and dead re-displayed panels of
  issue 12 (see :mod:`molaudit.notebook._widget_base`);
- numeric arrays of the figure travel as binary buffers (float32/int32), never as JSON;
- selections, clicks and hovers come back as custom messages (one per gesture), so the first
  box selection reaches Python even before any trait sync happened.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import math
import pathlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import traitlets as t

from molaudit.notebook._widget_base import MolauditWidget
from molaudit.notebook.plotly_config import plotly_config

__all__ = ["PlotWidget", "Points", "Selector", "encode_figure", "plotly_bundle"]

_STATIC = pathlib.Path(__file__).parent / "static"
_BUNDLE_LOCK = threading.Lock()
_BUNDLE: bytes | None = None
#: statistics of what this process sent (read by the payload benchmark)
SENT: dict[str, int] = {"bundles": 0, "bundle_bytes": 0}


def plotly_bundle() -> bytes:
    """plotly.js (the copy shipped in the ``plotly`` package), gzip-compressed, cached."""
    global _BUNDLE
    with _BUNDLE_LOCK:
        if _BUNDLE is None:
            import plotly

            path = pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
            _BUNDLE = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        return _BUNDLE


def _array(values: np.ndarray) -> Any:
    """A numpy array as a binary-buffer spec (numeric) or a JSON list (anything else)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    if arr.dtype.kind in "iu":
        small = arr.size == 0 or (int(arr.min()) >= -(2**31) and int(arr.max()) < 2**31)
        arr = arr.astype(np.int32 if small else np.float64)
    elif arr.dtype.kind == "f":
        arr = arr.astype(np.float32 if arr.size > 1000 else np.float64)
    else:
        return [_plain(v) for v in arr.tolist()]
    arr = np.ascontiguousarray(arr)
    return {
        "__ndarray__": True,
        "dtype": arr.dtype.name,
        "shape": list(arr.shape),
        "buffer": memoryview(arr.tobytes()),
    }


def _from_bdata(spec: dict) -> np.ndarray:
    """plotly.py's ``{'dtype': 'f8', 'bdata': base64, 'shape': '3, 4'}`` as a numpy array."""
    arr = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
    shape = spec.get("shape")
    if shape:
        arr = arr.reshape([int(v) for v in str(shape).split(",")])
    return arr


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        return _array(_from_bdata(value))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _array(value)
    return value


def encode_figure(fig: go.Figure) -> dict[str, Any]:
    """``{'data': [...], 'layout': {...}}`` with numeric arrays as binary buffers.

    Each array becomes ``{'__ndarray__': True, 'dtype', 'shape', 'buffer'}``; ipywidgets moves
    the ``buffer`` memoryviews out of the JSON into binary websocket frames.
    """
    spec = fig.to_plotly_json()
    return {"data": _plain(spec.get("data", [])), "layout": _plain(spec.get("layout", {}))}


@dataclass
class Points:
    """The points of one trace touched by a gesture (as plotly's ``Points``)."""

    point_inds: list[int]
    trace_index: int = 0
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)


@dataclass
class Selector:
    """A box (``type='box'``, ``xrange``/``yrange``) or lasso (``xs``/``ys``) selection."""

    type: str = "box"
    xrange: tuple[float, float] | None = None
    yrange: tuple[float, float] | None = None
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Boolean mask of the points ``(x, y)`` inside the box or the lasso polygon."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.type == "box" and self.xrange and self.yrange:
            (x0, x1), (y0, y1) = sorted(self.xrange), sorted(self.yrange)
            return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        if len(self.xs) >= 3:
            return _in_polygon(x, y, np.asarray(self.xs, float), np.asarray(self.ys, float))
        return np.zeros(len(x), dtype=bool)


def _in_polygon(x: np.ndarray, y: np.ndarray, px: np.ndarray, py: np.ndarray) -> np.ndarray:
    """Even-odd ray casting, vectorised over the points (loop over the polygon's edges)."""
    inside = np.zeros(len(x), dtype=bool)
    j = len(px) - 1
    for i in range(len(px)):
        xi, yi, xj, yj = px[i], py[i], px[j], py[j]
        crosses = (yi > y) != (yj > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = (xj - xi) * (y - yi) / (yj - yi) + xi
        inside ^= crosses & (x < at)
        j = i
    return inside


Callback = Callable[[Any, Points, Any], None]


class TraceHandle:
    """One trace of a :class:`PlotWidget`: attribute access goes to the plotly trace, and
    ``on_click``/``on_hover``/``on_selection``/``on_deselect`` register callbacks called as
    ``callback(trace, points, state)`` like ``FigureWidget``'s."""

    def __init__(self, widget: PlotWidget, index: int) -> None:
        object.__setattr__(self, "_widget", widget)
        object.__setattr__(self, "_index", index)

    @property
    def _trace(self) -> Any:
        return self._widget._fig.data[self._index]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trace, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._trace, name, value)
        self._widget._changed()

    def _on(self, kind: str, callback: Callback) -> None:
        self._widget._callbacks.setdefault((kind, self._index), []).append(callback)

    def on_click(self, callback: Callback) -> None:
        self._on("click", callback)

    def on_hover(self, callback: Callback) -> None:
        self._on("hover", callback)

    def on_selection(self, callback: Callback) -> None:
        self._on("selection", callback)

    def on_deselect(self, callback: Callback) -> None:
        self._on("deselect", callback)


class PlotWidget(MolauditWidget):
    """A plotly figure in the notebook (see the module docstring for why not FigureWidget).

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure; kept as :attr:`fig` (``to_html``/``write_image`` work on it).
    select : bool, optional
        Offer box/lasso selection in the mode bar (default: when a trace is a scatter or bar).

    Attributes
    ----------
    data : tuple of TraceHandle
        ``widget.data[0].on_selection(cb)`` etc., as with ``FigureWidget``.
    last_error : str
        The last error a callback raised (shown in the plot too).
    """

    _esm = _STATIC / "plot.js"
    _css = _STATIC / "plot.css"

    figure = t.Dict().tag(sync=True)
    config = t.Dict().tag(sync=True)
    error = t.Unicode("").tag(sync=True)

    def __init__(self, fig: go.Figure | None = None, *, select: bool | None = None, **kwargs):
        # kept, not copied (a copy re-validates every array: ~1 s at a million points)
        self._fig = fig if isinstance(fig, go.Figure) else go.Figure(fig)
        if select is None:
            select = any(
                getattr(tr, "type", "") in ("scattergl", "scatter", "bar") for tr in self._fig.data
            )
        self._callbacks: dict[tuple[str, int], list[Callback]] = {}
        self._hold = 0
        self._dirty = False
        super().__init__(
            figure=encode_figure(self._fig), config=plotly_config(select=bool(select)), **kwargs
        )
        self.on_msg(self._on_front_end_msg)

    # ------------------------------------------------------------------ figure API
    @property
    def fig(self) -> go.Figure:
        """The underlying ``plotly.graph_objects.Figure``."""
        return self._fig

    @property
    def data(self) -> tuple[TraceHandle, ...]:
        return tuple(TraceHandle(self, i) for i in range(len(self._fig.data)))

    @property
    def layout(self) -> Any:
        return self._fig.layout

    def update_layout(self, *args: Any, **kwargs: Any) -> PlotWidget:
        self._fig.update_layout(*args, **kwargs)
        self._changed()
        return self

    def update_traces(self, *args: Any, **kwargs: Any) -> PlotWidget:
        self._fig.update_traces(*args, **kwargs)
        self._changed()
        return self

    def add_trace(self, trace: Any, **kwargs: Any) -> PlotWidget:
        self._fig.add_trace(trace, **kwargs)
        self._changed()
        return self

    @contextlib.contextmanager
    def batch_update(self) -> Iterator[PlotWidget]:
        """Change traces and layout (also nested: ``trace.marker.color = ...``), then send the
        figure once."""
        self._hold += 1
        self._dirty = True
        try:
            yield self
        finally:
            self._hold -= 1
            if self._hold == 0 and self._dirty:
                self.push()

    def push(self) -> None:
        """Send the (changed) figure to the front end."""
        self._dirty = False
        self.figure = encode_figure(self._fig)

    def _changed(self) -> None:
        self._dirty = True
        if self._hold == 0:
            self.push()

    def to_html(self, **kwargs: Any) -> str:
        return self._fig.to_html(**kwargs)

    # ------------------------------------------------------------------ messages
    def _on_front_end_msg(self, _widget: Any, content: dict, buffers: list) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "plotly":
            bundle = plotly_bundle()
            SENT["bundles"] += 1
            SENT["bundle_bytes"] += len(bundle)
            self.send({"type": "plotly", "encoding": "gzip"}, buffers=[bundle])
            return
        if kind not in ("selection", "click", "hover", "deselect"):
            return
        selector = _selector(content) if kind == "selection" else None
        per_trace: dict[int, list[int]] = {}
        for k, curve in enumerate(content.get("curves") or []):
            inds = np.frombuffer(bytes(buffers[k]), dtype=np.int32) if k < len(buffers) else []
            per_trace[int(curve)] = [int(i) for i in inds]
        if kind in ("click", "hover"):
            per_trace = {int(content.get("curve", 0)): [int(content.get("index", 0))]}
        targets = (
            per_trace.keys()
            if kind != "deselect" and kind != "selection"
            else range(len(self._fig.data))
        )
        for index in targets:
            callbacks = self._callbacks.get((kind, index), [])
            if not callbacks:
                continue
            points = Points(per_trace.get(index, []), index)
            for callback in list(callbacks):
                try:
                    callback(TraceHandle(self, index), points, selector)
                except Exception as exc:  # shown on the plot: a notebook user sees no log
                    self.error = f"{kind} callback failed: {type(exc).__name__}: {exc}"

    def __repr__(self) -> str:
        kinds = ", ".join(sorted({str(getattr(tr, "type", "?")) for tr in self._fig.data}))
        return f"<molaudit PlotWidget: {len(self._fig.data)} traces ({kinds})>"


def _selector(content: dict) -> Selector:
    lasso = content.get("lasso") or {}
    if lasso:
        xs = next((v for k, v in lasso.items() if k.startswith("x")), [])
        ys = next((v for k, v in lasso.items() if k.startswith("y")), [])
        return Selector("lasso", xs=[float(v) for v in xs], ys=[float(v) for v in ys])
    rng = content.get("range") or {}
    xr = next((v for k, v in rng.items() if k.startswith("x")), None)
    yr = next((v for k, v in rng.items() if k.startswith("y")), None)
    return Selector(
        "box",
        xrange=(float(xr[0]), float(xr[1])) if xr else None,
        yrange=(float(yr[0]), float(yr[1])) if yr else None,
    )
