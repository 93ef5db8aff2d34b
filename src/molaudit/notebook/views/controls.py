"""Parameter controls generated from an analytic's declared parameters.

One :class:`~molaudit.analytics.params.Param` gives one control: ``choice`` a drop-down, a
bounded ``int``/``float`` a slider with a text box, ``bool`` a checkbox, ``smiles``/``smarts`` a
text field that validates with RDKit and draws the structure, ``rows`` nothing (the rows come
from the current selection), anything else a text field. Labels are human (``display_label``
and the unit); the code name and the help line are the tooltip. Values are checked with
:func:`~molaudit.analytics.params.validate_params`, so the panel refuses exactly what the API
refuses, with the same message.

Analytics not declared yet (``spec.params is None``) get controls inferred from the function
signature's defaults.
"""

from __future__ import annotations

import ast
import html
import inspect
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from molaudit.analytics.params import Param, ParameterError, validate_params

__all__ = ["ParamControls", "declared_params"]

#: Parameters the batch sets itself; never offered as controls.
_HIDDEN = frozenset({"n_jobs", "data"})
#: Choices of string parameters of analytics not declared yet (fallback only).
_FALLBACK_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("chemical_space", "method"): ("pca", "tsne", "umap"),
    ("clusters", "method"): ("butina", "leader"),
    ("activity_cliffs", "definition"): ("moleculeace", "sali", "mmp"),
    ("scaffolds", "kind"): ("both", "murcko", "generic"),
    ("rgroups", "matching"): ("greedy", "exhaustive"),
}


def declared_params(spec: Any) -> tuple[Param, ...]:
    """The analytic's declared parameters, or ones inferred from its signature's defaults."""
    if getattr(spec, "params", None) is not None:
        return tuple(spec.params)
    try:
        sig = inspect.signature(spec.func)
    except (TypeError, ValueError):
        return ()
    out = []
    for p in list(sig.parameters.values())[1:]:
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.default is inspect.Parameter.empty:
            continue
        d = p.default
        choices = _FALLBACK_CHOICES.get((spec.name, p.name))
        if p.name == "rows":
            kind = "rows"
        elif choices is not None and d in choices:
            kind = "choice"
        elif isinstance(d, bool):
            kind = "bool"
        elif isinstance(d, int):
            kind = "int"
        elif isinstance(d, float):
            kind = "float"
        elif isinstance(d, str):
            kind = "str"
        else:
            kind = "any"
        out.append(
            Param(
                p.name,
                kind,
                d,
                "",
                choices=choices if kind == "choice" else None,
                optional=d is None,
            )
        )
    return tuple(out)


def _literal(text: str) -> Any:
    text = text.strip()
    if not text:
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word is a string


class ParamControls(widgets.VBox):
    """The controls of one analytic.

    Parameters
    ----------
    name : str
        Analytic name (used in validation messages).
    declared : tuple of Param
        From :func:`declared_params`.
    rows : callable, optional
        Returns the input rows for a ``rows`` parameter (the panel passes the selection).
    on_change : callable, optional
        Called with no argument after any control changes.

    Attributes
    ----------
    controls : dict of str to ipywidgets.Widget
        The value-holding widget of each visible parameter.
    error : ipywidgets.HTML
        The last validation error (empty when none).
    """

    def __init__(
        self,
        name: str,
        declared: tuple[Param, ...],
        *,
        rows: Callable[[], list[int]] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.declared = tuple(p for p in declared if p.name not in _HIDDEN)
        self.rows = rows
        self.on_change = on_change
        self.controls: dict[str, widgets.Widget] = {}
        self.previews: dict[str, widgets.HTML] = {}
        self.error = widgets.HTML()
        items: list[widgets.Widget] = []
        for p in self.declared:
            box = self._control(p)
            if box is not None:
                items.append(box)
        super().__init__(
            [widgets.HBox(items, layout=widgets.Layout(flex_flow="row wrap")), self.error]
        )
        self.add_class("molaudit-params")

    # ------------------------------------------------------------------ building
    def _label(self, p: Param) -> str:
        return p.display_label + (f" ({p.unit})" if p.unit else "")

    def _tip(self, p: Param) -> str:
        text = f"{p.name}: {p.describe()}"
        return text + (f" — {p.help}" if p.help else "")

    def _control(self, p: Param) -> widgets.Widget | None:
        style = {"description_width": "initial"}
        common = {"description": self._label(p), "style": style, "tooltip": self._tip(p)}
        if p.type == "rows":
            note = widgets.HTML(
                f"<small title='{html.escape(self._tip(p), quote=True)}'>"
                f"{html.escape(p.display_label)}: the molecules selected in the table or a plot"
                "</small>"
            )
            return note
        if p.type == "choice":
            options = [(str(c), c) for c in (p.choices or ())]
            if p.optional:
                options.insert(0, ("automatic", None))
            value = p.default if any(v == p.default for _, v in options) else options[0][1]
            w: widgets.Widget = widgets.Dropdown(options=options, value=value, **common)
        elif p.type == "bool":
            w = widgets.Checkbox(value=bool(p.default), indent=False, **common)
        elif (
            p.type in ("int", "float")
            and p.low is not None
            and p.high is not None
            and not p.optional
        ):
            cls = widgets.IntSlider if p.type == "int" else widgets.FloatSlider
            extra = (
                {} if p.type == "int" else {"step": _step(p.low, p.high), "readout_format": ".3g"}
            )
            slider = cls(
                value=p.default,
                min=p.low,
                max=p.high,
                continuous_update=False,
                readout=False,
                **extra,
                **common,
            )
            text_cls = widgets.IntText if p.type == "int" else widgets.FloatText
            text = text_cls(
                value=p.default, layout=widgets.Layout(width="90px"), tooltip=self._tip(p)
            )
            # the text box may hold a value the slider cannot (out of range): validation says so
            text.observe(lambda ch, s=slider: _set_quiet(s, ch["new"]), names="value")
            slider.observe(lambda ch, t=text: setattr(t, "value", ch["new"]), names="value")
            text.observe(lambda _ch: self._changed(), names="value")
            self.controls[p.name] = text
            return widgets.HBox([slider, text])
        elif p.type in ("int", "float") and not p.optional:
            cls = widgets.IntText if p.type == "int" else widgets.FloatText
            w = cls(value=p.default, layout=widgets.Layout(width="260px"), **common)
        else:
            default = (
                ""
                if p.default is None
                else (
                    p.default if isinstance(p.default, str) and p.type != "any" else repr(p.default)
                )
            )
            placeholder = "automatic" if p.optional else ""
            w = widgets.Text(value=default, placeholder=placeholder, **common)
            if p.type in ("smiles", "smarts"):
                preview = widgets.HTML()
                self.previews[p.name] = preview
                w.observe(lambda ch, p=p: self._preview(p, ch["new"]), names="value")
                self.controls[p.name] = w
                w.observe(lambda _ch: self._changed(), names="value")
                self._preview(p, w.value)
                return widgets.VBox([w, preview])
        self.controls[p.name] = w
        w.observe(lambda _ch: self._changed(), names="value")
        return w

    def _preview(self, p: Param, text: str) -> None:
        from molaudit.notebook.views._draw import draw

        out = self.previews[p.name]
        text = (text or "").strip()
        if not text:
            out.value = ""
            return
        from rdkit import Chem, RDLogger

        RDLogger.DisableLog("rdApp.*")
        try:
            mol = Chem.MolFromSmarts(text) if p.type == "smarts" else Chem.MolFromSmiles(text)
        finally:
            RDLogger.EnableLog("rdApp.*")
        if mol is None:
            out.value = (
                f"<span class='ma-error' style='color:#b00020'>not a valid {p.type.upper()}: "
                f"{html.escape(text)}</span>"
            )
            return
        smiles = Chem.MolToSmiles(mol) if p.type == "smiles" else text
        out.value = (
            draw(smiles, 160, 110, title=text) if p.type == "smiles" else _smarts_picture(mol)
        )

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # ------------------------------------------------------------------ values
    def raw(self) -> dict[str, Any]:
        """Every visible parameter's current value (text fields parsed; '' -> None)."""
        out: dict[str, Any] = {}
        for p in self.declared:
            if p.type == "rows":
                # no selection: the analytic's default (its own choice of rows) applies
                chosen = list(self.rows() or []) if self.rows is not None else []
                if chosen:
                    out[p.name] = chosen
                continue
            w = self.controls.get(p.name)
            if w is None:
                continue
            value = w.value
            if isinstance(w, widgets.Text):
                text = value.strip()
                if p.type in ("str", "smiles", "smarts"):
                    value = text or (None if p.optional else "")
                elif p.type in ("int", "float"):
                    value = _number(text, p.type)
                else:
                    value = _literal(text)
            out[p.name] = value
        return out

    def values(self) -> dict[str, Any]:
        """The parameters that differ from their defaults, validated.

        Raises
        ------
        ParameterError
            A value outside its declaration (the message names the parameter); also shown in
            :attr:`error`.
        """
        raw = self.raw()
        try:
            full = validate_params(self.name, self.declared, raw) if self.declared else {}
        except ParameterError as exc:
            self.error.value = (
                "<div class='ma-error' style='color:#842029;background:#f8d7da;padding:2px 8px;"
                f"border-radius:4px'>{html.escape(str(exc))}</div>"
            )
            raise
        self.error.value = ""
        defaults = {p.name: p.default for p in self.declared}
        return {k: v for k, v in full.items() if k in raw and v != defaults.get(k)}

    def set_values(self, params: dict[str, Any]) -> None:
        """Show ``params`` in the controls (unknown names ignored)."""
        for name, value in params.items():
            w = self.controls.get(name)
            if w is None:
                continue
            try:
                if isinstance(w, widgets.Text) and not isinstance(value, str):
                    w.value = "" if value is None else repr(value)
                else:
                    w.value = value
            except Exception:  # a value the control cannot hold: leave the control as it is
                continue


def _number(text: str, kind: str) -> Any:
    if not text:
        return None
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        return text  # validation reports it with the declared message


def _step(low: float, high: float) -> float:
    span = float(high) - float(low)
    return 0.01 if span <= 2 else (0.1 if span <= 20 else 1.0)


def _set_quiet(slider: widgets.Widget, value: Any) -> None:
    if value is not None and slider.min <= value <= slider.max and slider.value != value:
        slider.value = value


def _smarts_picture(query: Any) -> str:
    """A drawing of a SMARTS query (RDKit draws query atoms with their element)."""
    import base64

    from rdkit.Chem.Draw import rdMolDraw2D

    from molaudit.notebook.views._draw import minify_svg

    try:
        query.UpdatePropertyCache(strict=False)
        drawer = rdMolDraw2D.MolDraw2DSVG(160, 110, -1, -1, True)
        drawer.drawOptions().clearBackground = False
        drawer.DrawMolecule(query)
        drawer.FinishDrawing()
        svg = minify_svg(drawer.GetDrawingText())
    except Exception:
        return "<small>valid SMARTS (no drawing)</small>"
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
    return f'<img src="{uri}" width="160" height="110" alt="SMARTS query">'
