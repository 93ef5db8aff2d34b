"""The panel's plots without a browser: privacy, payload, selection geometry, labels.

Oracles: plotly.js's own button names (grepped from the bundled plotly.min.js), brute-force
point-in-shape tests written out by hand, numpy histograms, and hand-checked labels.
"""

from __future__ import annotations

import gzip
import json
import pathlib
import re

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from molaudit.notebook import plots
from molaudit.notebook.plot_widget import PlotWidget, Selector, encode_figure, plotly_bundle
from molaudit.notebook.plotly_config import FORBIDDEN_BUTTONS, plotly_config

STATIC = pathlib.Path(__file__).parents[2] / "src" / "molaudit" / "notebook" / "static"
PLOTLY_JS = pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _all_widgets(widget) -> list:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _all_widgets(child)
    return out


def test_config_has_no_cloud_or_share_control():
    config = plotly_config(select=True)
    assert config["displaylogo"] is False and config["showSendToCloud"] is False
    assert config["plotlyServerURL"] == ""  # plotly.js 4 defaults to cloud.plotly.com
    (buttons,) = config["modeBarButtons"]  # an allow-list: nothing else is shown
    assert not set(buttons) & set(FORBIDDEN_BUTTONS)
    # the names are real plotly.js buttons (read from the bundled library, not assumed)
    source = PLOTLY_JS.read_text(encoding="utf-8", errors="ignore")
    known = set(re.findall(r'name:"([A-Za-z0-9]+)"', source))
    assert set(buttons) <= known and "sendChartToCloud" in known
    assert {"select2d", "lasso2d"} <= set(buttons)
    assert "select2d" not in plotly_config(select=False)["modeBarButtons"][0]


def test_every_plot_in_the_panel_uses_the_private_config(batch):
    from molaudit.notebook.panel import Panel

    panel = Panel(batch)
    plot_widgets = [w for w in _all_widgets(panel) if isinstance(w, PlotWidget)]
    assert len(plot_widgets) >= 2  # histograms and the property scatter
    for widget in plot_widgets:
        assert widget.config["showSendToCloud"] is False
        assert widget.config["plotlyServerURL"] == ""
        assert not set(widget.config["modeBarButtons"][0]) & set(FORBIDDEN_BUTTONS)
    # no FigureWidget anywhere: its model carries the 4.9 MB plotly bundle each time
    assert not [w for w in _all_widgets(panel) if isinstance(w, go.FigureWidget)]


def test_front_end_code_loads_nothing_from_the_network():
    for path in STATIC.glob("*.js"):
        text = path.read_text()
        assert "https://" not in text and "http://" not in text, path.name
        assert not re.search(r"\bimport\s*\(|\bimport .* from ", text), path.name
    for path in STATIC.glob("*.css"):
        assert "url(" not in path.read_text(), path.name


def test_plotly_js_is_sent_once_gzip_on_request():
    widget = PlotWidget(go.Figure(go.Bar(x=[1, 2], y=[3, 4])))
    sent = []
    widget.send = lambda content, buffers=None: sent.append((content, buffers))
    # what plot.js sends when the page has no plotly.js yet
    widget._handle_custom_msg({"type": "plotly"}, [])
    ((content, buffers),) = sent
    assert content == {"type": "plotly", "encoding": "gzip"}
    assert gzip.decompress(buffers[0]) == PLOTLY_JS.read_bytes()
    assert len(buffers[0]) < 0.4 * PLOTLY_JS.stat().st_size
    assert plotly_bundle() is plotly_bundle()  # compressed once per process
    # the widget's own state does not contain the library
    state = json.dumps(_remove_buffers(widget.get_state())[0])
    assert len(state) < 30_000 and "plotly.js v" not in state


def test_arrays_travel_as_binary_buffers():
    x = np.linspace(0, 1, 50_000)
    fig = go.Figure(go.Scattergl(x=x, y=x**2, customdata=np.arange(50_000)))
    state, paths, buffers = _remove_buffers(PlotWidget(fig).get_state())
    assert ["figure", "data", 0, "x", "buffer"] in paths
    assert sum(len(b) for b in buffers) == 3 * 4 * 50_000  # float32, float32, int32
    assert len(json.dumps(state)) < 20_000
    spec = encode_figure(fig)["data"][0]["x"]
    assert spec["dtype"] == "float32" and spec["shape"] == [50_000]
    decoded = np.frombuffer(bytes(spec["buffer"]), dtype=np.float32)
    assert np.allclose(decoded, x, atol=1e-6)


def test_histograms_are_binned_in_the_kernel_with_labels():
    rng = np.random.default_rng(1)
    table = pd.DataFrame({"mw": rng.normal(350, 60, 100_000), "tpsa": rng.uniform(0, 140, 100_000)})
    fig = plots.histograms(table, ["mw", "tpsa"], widget=False)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == ["Molecular weight (Da)", "TPSA (Å²)"]
    counts = np.asarray(fig.data[0].y)
    expected, _ = np.histogram(table["mw"], bins=30)  # numpy's own binning as the oracle
    assert counts.tolist() == expected.tolist() and len(counts) == 30


def test_large_scatter_draws_density_and_a_sample_and_selects_every_point():
    n = 100_000
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 10, n), rng.uniform(0, 10, n)
    fig = plots._scatter(
        x, y, np.arange(n), None, None, x_title="a", y_title="b", color_title=None, widget=True
    )
    heat, points = fig.data
    assert heat.type == "heatmap" and points.type == "scattergl"
    assert len(points.x) == plots.SAMPLE_POINTS
    # the density layer counts every point (log10 of the bin counts)
    assert np.nansum(10 ** np.asarray(heat.z, dtype=float)) == pytest.approx(n, rel=1e-6)
    _, _, buffers = _remove_buffers(fig.get_state())
    assert sum(len(b) for b in buffers) < 400_000  # not 100k points
    box = Selector("box", xrange=(2.0, 4.0), yrange=(1.0, 3.0))
    inside = box.contains(x, y)
    brute = [(2 <= a <= 4) and (1 <= b <= 3) for a, b in zip(x, y, strict=True)]
    assert inside.tolist() == brute


def test_lasso_selection_is_even_odd_point_in_polygon():
    # an L-shaped polygon; expected memberships worked out by hand
    lasso = Selector("lasso", xs=[0, 4, 4, 2, 2, 0], ys=[0, 0, 2, 2, 4, 4])
    px = np.array([1.0, 3.0, 3.0, 1.0, 5.0])
    py = np.array([1.0, 1.0, 3.0, 3.0, 1.0])
    # (1,1) bottom arm, (3,1) bottom arm, (3,3) the notch (outside), (1,3) left arm, (5,1) out
    assert lasso.contains(px, py).tolist() == [True, True, False, True, False]


def test_selection_message_reaches_the_trace_callback():
    fig = PlotWidget(go.Figure(go.Scattergl(x=[0, 1, 2], y=[0, 1, 2], customdata=[10, 11, 12])))
    got = []
    fig.data[0].on_selection(lambda trace, points, sel: got.append((points.point_inds, sel)))
    fig._handle_custom_msg(
        {"type": "selection", "curves": [0], "range": {"x": [0.5, 2.5], "y": [0.5, 2.5]}},
        [np.array([1, 2], dtype=np.int32).tobytes()],
    )
    ((inds, selector),) = got
    assert inds == [1, 2] and selector.xrange == (0.5, 2.5)
    # a failing callback is reported on the plot, not swallowed
    fig.data[0].on_click(lambda *_: 1 / 0)
    fig._handle_custom_msg({"type": "click", "curve": 0, "index": 0}, [])
    assert fig.error.startswith("click callback failed: ZeroDivisionError")


def test_linked_scatter_selects_all_rows_under_the_density_layer(batch):
    from molaudit.notebook.scatter_view import LinkedScatter

    n = 60_000
    rng = np.random.default_rng(3)
    coords = pd.DataFrame({"row": np.arange(n), "x": rng.normal(size=n), "y": rng.normal(size=n)})
    stub = type("B", (), {"table": batch.table, "selection": [], "activity_units": "nM"})()
    scatter = LinkedScatter(stub, coords, x_title="PC1 (7.7 %)", y_title="PC2 (5.0 %)")
    assert scatter.figure.layout.xaxis.title.text == "PC1 (7.7 %)"
    scatter.figure._handle_custom_msg(
        {"type": "selection", "curves": [1], "range": {"x": [0, 10], "y": [0, 10]}},
        [np.array([0], dtype=np.int32).tobytes()],
    )
    expected = coords.loc[(coords.x >= 0) & (coords.y >= 0), "row"].tolist()
    assert stub.selection == expected and len(expected) > plots.SAMPLE_POINTS / 4


def test_pc_label_and_number_formats():
    from molaudit.notebook.labels import format_number, format_value, label, pc_label

    assert pc_label(0, 0.07709376006058309) == "PC1 (7.7 %)"
    assert format_value([0.07709376006058309, 0.05]) == "0.0771, 0.05"
    assert format_number(12345) == "12,345" and format_number(328.441) == "328.4"
    assert label("activity", activity_units="nM") == "Activity (nM)"
    assert label("mw") == "Molecular weight (Da)" and label("my_column") == "my_column"
