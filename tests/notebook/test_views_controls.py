"""Parameter controls built from declarations, validation in the widget, the stale marker."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
import pytest

from molaudit.analytics import REGISTRY, AnalyticResult, register
from molaudit.analytics.params import Param, ParameterError
from molaudit.notebook.analytic_view import AnalyticView, stale_text
from molaudit.notebook.views.controls import ParamControls, declared_params

DECLARED = (
    Param("method", "choice", "butina", "clustering algorithm", choices=("butina", "leader")),
    Param(
        "cutoff", "float", 0.35, "Tanimoto distance cutoff", low=0, high=1, label="Distance cutoff"
    ),
    Param("k", "int", 5, "neighbours per molecule", low=1, label="Neighbours"),
    Param("weight", "float", 500.0, "upper MW bound", low=0, high=2000, unit="Da", label="Max MW"),
    Param("strict", "bool", False, "refuse ambiguous input"),
    Param("core", "smiles", None, "core to decompose around", optional=True),
    Param("pattern", "smarts", None, "substructure filter", optional=True),
    Param("rows", "rows", None, "molecules to compare", optional=True),
)


def _controls(**kw):
    return ParamControls("clusters", DECLARED, **kw)


def test_each_declared_type_gets_its_control():
    c = _controls()
    assert isinstance(c.controls["method"], widgets.Dropdown)
    assert [v for _, v in c.controls["method"].options] == ["butina", "leader"]
    # bounded float: a slider with a text box; the text box holds the value
    assert isinstance(c.controls["cutoff"], widgets.FloatText)
    sliders = [w for w in _walk(c) if isinstance(w, widgets.FloatSlider)]
    assert {(s.min, s.max) for s in sliders} == {(0.0, 1.0), (0.0, 2000.0)}
    assert isinstance(c.controls["k"], widgets.IntText)  # half-bounded: no slider
    assert isinstance(c.controls["strict"], widgets.Checkbox)
    assert isinstance(c.controls["core"], widgets.Text)
    assert "rows" not in c.controls  # selection-driven, no control
    # human labels with units; code names and help in tooltips only
    sliders_by_max = {s.max: s for s in sliders}
    assert sliders_by_max[2000.0].description == "Max MW (Da)"
    assert sliders_by_max[1.0].description == "Distance cutoff"
    assert sliders_by_max[1.0].tooltip.startswith("cutoff: a float in [0, 1]")
    assert "Tanimoto distance cutoff" in sliders_by_max[1.0].tooltip


def test_slider_and_text_box_stay_in_step():
    c = _controls()
    slider = next(w for w in _walk(c) if isinstance(w, widgets.FloatSlider) and w.max == 1.0)
    slider.value = 0.5
    assert c.controls["cutoff"].value == 0.5
    c.controls["cutoff"].value = 0.25
    assert slider.value == 0.25


def test_values_are_validated_with_the_declaration():
    assert _controls(rows=lambda: []).values() == {}  # no selection: the default applies
    c = _controls(rows=lambda: [3, 1])
    assert c.values() == {"rows": [3, 1]}  # only what differs from the defaults
    c.controls["cutoff"].value = 0.5
    c.controls["method"].value = "leader"
    assert c.values() == {"rows": [3, 1], "cutoff": 0.5, "method": "leader"}
    c.controls["cutoff"].value = 1.5  # typed into the text box, beyond the slider
    with pytest.raises(
        ParameterError,
        match=r"The 'cutoff' parameter of clusters must be a float in \[0, 1\]; got 1.5",
    ):
        c.values()
    assert "must be a float in [0, 1]; got 1.5" in c.error.value
    c.controls["cutoff"].value = 0.4
    c.values()
    assert c.error.value == ""


def test_smiles_and_smarts_fields_validate_and_draw():
    c = _controls()
    c.controls["core"].value = "c1ccncc1"
    assert "data:image/svg+xml;base64," in c.previews["core"].value
    c.controls["core"].value = "c1ccnc"  # unclosed ring
    assert "not a valid SMILES" in c.previews["core"].value
    c.controls["pattern"].value = "[#6]=[#8]"
    assert "<img" in c.previews["pattern"].value
    c.controls["pattern"].value = "[#6"
    assert "not a valid SMARTS" in c.previews["pattern"].value
    c.controls["pattern"].value = "<b>x</b>"
    assert "<b>x</b>" not in c.previews["pattern"].value


def test_undeclared_analytics_fall_back_to_the_signature():
    class Spec:
        name = "chemical_space"
        params = None

        @staticmethod
        def func(data, method="pca", seed=0, perplexity=30.0, exact=False, n_jobs=None, top=None):
            return None

    declared = {p.name: p for p in declared_params(Spec)}
    assert declared["method"].type == "choice" and "umap" in declared["method"].choices
    assert declared["seed"].type == "int" and declared["perplexity"].type == "float"
    assert declared["exact"].type == "bool" and declared["top"].type == "any"
    c = ParamControls("chemical_space", tuple(declared.values()))
    assert "n_jobs" not in c.controls  # the batch sets it
    c.controls["top"].value = "25"
    assert c.values() == {"top": 25}


def test_stale_text_names_what_the_result_was_computed_with():
    assert (
        stale_text({"cutoff": 0.35, "method": "butina"}, {"cutoff": 0.5, "method": "butina"})
        == "result for cutoff 0.35; parameters changed — Run to update"
    )
    assert stale_text({"cutoff": 0.35}, {"cutoff": 0.5}, failed=True).endswith(
        "the last run failed — this result is stale"
    )


@pytest.fixture
def toy_declared():
    @register(
        "_h7_toy",
        kind="expensive",
        description="test: a declared toy",
        params=(Param("cutoff", "float", 0.35, "a cutoff", low=0, high=1),),
        frames={"values": ("row", "value")},
    )
    def toy(data, cutoff: float = 0.35):
        if cutoff > 0.9:
            raise RuntimeError("cutoff too <b>high</b>")
        valid = data.valid
        frame = pd.DataFrame({"row": valid["row"].to_numpy(), "value": cutoff})
        return AnalyticResult("_h7_toy", frames={"values": frame}, params={"cutoff": cutoff})

    yield
    REGISTRY.pop("_h7_toy", None)


def test_changed_or_failed_parameters_mark_the_result_stale(batch, toy_declared):
    view = AnalyticView(batch, "_h7_toy")
    assert view.params.layout.display == "none"  # declared: no keyword text box
    view.run(wait=True)
    assert view.result.params["cutoff"] == 0.35 and view.stale.value == ""
    view.controls.controls["cutoff"].value = 0.5
    assert "result for cutoff 0.35; parameters changed — Run to update" in view.stale.value
    view.run(wait=True, **view.controls.values())
    assert view.result.params["cutoff"] == 0.5 and view.stale.value == ""
    view.controls.controls["cutoff"].value = 0.95
    view.run(wait=True, **view.controls.values())
    assert "failed: RuntimeError: cutoff too &lt;b&gt;high&lt;/b&gt;" in view.status.value
    assert "the last run failed — this result is stale" in view.stale.value
    assert view.result.params["cutoff"] == 0.5  # the old result is still shown, marked
    # an invalid value never runs: the message is the declaration's
    view.controls.controls["cutoff"].value = 1.5
    view.run_button.click()
    assert "must be a float in [0, 1]; got 1.5" in view.status.value


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)
