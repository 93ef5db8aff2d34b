"""What every analytic view shares: the batch lookup, number formatting, labels, card CSS.

A view renders one :class:`~molaudit.analytics.AnalyticResult` as chemistry-shaped HTML (cards,
drawings, small static SVG plots) that the panel shows in a tab and the HTML report embeds as is.
Every string from the data goes through :func:`esc`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from molaudit.notebook.views._draw import draw

__all__ = [
    "CSS",
    "ViewContext",
    "esc",
    "fmt",
    "heavy_atoms",
    "label",
    "pair_card",
    "rows_list",
]

#: Fallback labels (with units) until/unless :mod:`molaudit.notebook.labels` provides them.
_LABELS = {
    "mw": "MW (Da)",
    "exact_mass": "Exact mass (Da)",
    "clogp": "cLogP",
    "tpsa": "TPSA (Å²)",
    "hbd": "H-bond donors",
    "hba": "H-bond acceptors",
    "rotatable_bonds": "Rotatable bonds",
    "heavy_atoms": "Heavy atoms",
    "rings": "Rings",
    "aromatic_rings": "Aromatic rings",
    "fsp3": "Fsp3",
    "formal_charge": "Formal charge",
    "qed": "QED",
    "score": "Quality score",
    "p_activity": "pActivity",
    "lle": "LLE",
    "le": "LE (kcal/mol per heavy atom)",
    "lipinski_violations": "Lipinski violations",
}


def label(name: str, units: str | None = None) -> str:
    """Human label of a column with its unit (plain text, not escaped)."""
    try:  # the panel's shared labels (H6), when present
        from molaudit.notebook.labels import label as shared_label
    except ImportError:
        shared_label = None
    if shared_label is not None:
        text = shared_label(name, activity_units=units)
        if text and text != name:
            return text
    if name == "activity":
        return f"Activity ({units})" if units else "Activity"
    return _LABELS.get(name, name.replace("_", " ").capitalize())


def esc(value: Any) -> str:
    """HTML-escaped text of any value (quotes too, so it is safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, digits: int = 3) -> str:
    """A number as a chemist reads it: ``3 sig. figures``, thousands separated, '–' for missing."""
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return "–"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if x.is_integer() and abs(x) < 1e15:
            return f"{int(x):,}"
        if abs(x) >= 1e5 or abs(x) < 1e-3:
            return f"{x:.{digits - 1}e}"
        text = f"{x:,.{max(digits - 1 - math.floor(math.log10(abs(x))), 0)}f}"
        return text.replace("-", "−")
    if value is pd.NA or value is pd.NaT:
        return "–"
    return str(value)


def rows_list(value: Any) -> list[int]:
    """Input rows of one ``rows`` cell: a list/array of ints, or the older ``'1;4;9'`` text."""
    if value is None:
        return []
    if isinstance(value, str):
        return [int(p) for p in value.split(";") if p.strip().lstrip("-").isdigit()]
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, Iterable):
        return [int(v) for v in value]
    return [int(value)]


def ids_list(value: Any) -> list[str]:
    """IDs of one ``ids`` cell: a list, or the older ``';'``-joined text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return value.split(";")
    return [str(v) for v in value]


@dataclass
class ViewContext:
    """The batch as the views read it: per input row its structure, ID, activity and refusal.

    Parameters
    ----------
    table : pandas.DataFrame
        ``Batch.table`` (columns ``row``, ``id``, ``smiles``, ``status``, ``error_code``,
        ``heavy_atoms``, ``activity``, ``activity_note`` are used when present).
    activity_units : str, optional
        Units of the activity column.
    static : bool
        True for the HTML report (no widgets, anchors instead of callbacks).
    max_cards : int
        Cards/drawings each view shows at most (the rest is counted, not drawn).
    """

    table: pd.DataFrame
    activity_units: str | None = None
    static: bool = False
    max_cards: int = 12
    _cols: dict[str, pd.Series] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, batch: Any, **kwargs: Any) -> ViewContext:
        """Context of a :class:`molaudit.Batch` (or anything with ``table``)."""
        units = kwargs.pop("activity_units", None) or getattr(batch, "activity_units", None)
        return cls(batch.table, activity_units=units, **kwargs)

    def _col(self, name: str) -> pd.Series:
        if name not in self._cols:
            table = self.table
            index = table["row"].to_numpy() if "row" in table else np.arange(len(table))
            values = table[name].to_numpy() if name in table else np.full(len(table), None)
            series = pd.Series(values, index=index)
            self._cols[name] = series[~series.index.duplicated()]
        return self._cols[name]

    def get(self, name: str, row: int, default: Any = None) -> Any:
        """Value of column ``name`` for input row ``row`` (``default`` when absent/missing)."""
        value = self._col(name).get(int(row), default)
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return default
        return value

    def smiles(self, row: int) -> str:
        smi = self.get("smiles", row, "")
        return smi if isinstance(smi, str) else ""

    def ident(self, row: int) -> str:
        return str(self.get("id", row, f"row {row}"))

    def refused(self, row: int) -> str | None:
        """Why the audit gave this row no structure (its error code), else None."""
        if self.get("status", row) == "error":
            return str(self.get("error_code", row, "error"))
        return None

    def censored(self, row: int) -> str:
        """The row's activity note ('censored >', 'not a number', ...) or ''."""
        note = self.get("activity_note", row, "")
        return str(note) if note else ""

    def drawing(self, row: int, width: int = 150, height: int = 110, **kwargs: Any) -> str:
        """The row's structure, or a placeholder for refused and over-sized rows."""
        return draw(
            self.smiles(row),
            width,
            height,
            refused=self.refused(row),
            heavy_atoms=_float(self.get("heavy_atoms", row)),
            title=kwargs.pop("title", None) or f"{self.ident(row)} (row {row})",
            **kwargs,
        )

    def _p_series(self) -> pd.Series:
        """pActivity (molar) per input row, computed once from the activity and its units."""
        if "_p" not in self._cols:
            from molaudit.analytics.units import to_p_activity

            values = (
                self.table["activity"].to_numpy(dtype=float, na_value=np.nan)
                if "activity" in self.table
                else np.full(len(self.table), np.nan)
            )
            try:
                scale = to_p_activity(values, self.activity_units)
                p = scale.p_activity
                self.activity_units = self.activity_units or scale.units
            except ValueError:  # units unknown and not inferable: no pActivity anywhere
                p = np.full(len(self.table), np.nan)
            index = self.table["row"].to_numpy() if "row" in self.table else np.arange(len(p))
            series = pd.Series(p, index=index)
            self._cols["_p"] = series[~series.index.duplicated()]
        return self._cols["_p"]

    def p_activity(self, row: int) -> float | None:
        """pActivity (molar) of a row, from the activity and its units (inferred when unknown)."""
        value = self._p_series().get(int(row))
        return None if value is None or value != value else float(value)

    def p_activities(self, rows: np.ndarray) -> np.ndarray:
        """pActivity of many rows at once (NaN where missing)."""
        return self._p_series().reindex(np.asarray(rows, dtype=np.int64)).to_numpy(float)

    def activity_text(self, row: int, value: float | None = None) -> str:
        """Activity of a row with its units and a censoring mark (``>10 nM (censored)``)."""
        value = self.get("activity", row) if value is None else value
        note = self.censored(row)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"no activity ({note})" if note else "no activity"
        qual = note.split()[-1] if note.startswith("censored") else ""
        units = f" {self.activity_units}" if self.activity_units else ""
        flag = " (censored)" if qual else ""
        return f"{qual}{fmt(float(value))}{units}{flag}"


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def heavy_atoms(ctx: ViewContext, row: int) -> float | None:
    """The audited heavy-atom count of a row (None when unknown): drawings skip huge ones."""
    value = ctx.get("heavy_atoms", row)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def pair_card(
    ctx: ViewContext,
    rows: tuple[int, int],
    *,
    title: str,
    highlights: tuple[Iterable[int], Iterable[int]] = ((), ()),
    smiles: tuple[Any, Any] = (None, None),
    p_values: tuple[Any, Any] | None = None,
    size: tuple[int, int] = (170, 125),
    arrow: bool = False,
    card_id: str | None = None,
    title_tip: str | None = None,
) -> str:
    """Two molecules side by side (a cliff pair, a matched pair), as one escaped card.

    Each side shows the drawing (``highlights`` atoms highlighted, refused rows as
    placeholders), the compound id, the activity with its units (censored values marked) and
    the pActivity (``p_values``, or the row's own from its activity and units).

    Parameters
    ----------
    ctx : ViewContext
    rows : (int, int)
        Input rows of the two molecules.
    title : str
        Card heading (plain text, escaped here).
    highlights : pair of iterables of int
        Atom indices to highlight in each drawing.
    smiles : pair of str or None
        Structures to draw; None draws the row's own SMILES.
    p_values : pair of float or None, optional
        pActivity to show; None uses :meth:`ViewContext.p_activity`.
    size : (int, int)
        Drawing width and height in pixels.
    arrow : bool
        Put an arrow between the two (a transform: left becomes right).
    card_id, title_tip : str, optional
        The card's ``id`` (anchor target) and the heading's tooltip.
    """
    mols = []
    for k, row in enumerate(rows):
        row = int(row)
        smi = smiles[k] if isinstance(smiles[k], str) and smiles[k] else ctx.smiles(row)
        p = ctx.p_activity(row) if p_values is None else p_values[k]
        cens = ctx.censored(row)
        cls = " class='ma-cens'" if cens.startswith("censored") else ""
        picture = draw(
            smi,
            size[0],
            size[1],
            highlight=highlights[k],
            refused=ctx.refused(row),
            heavy_atoms=heavy_atoms(ctx, row),
            title=f"{ctx.ident(row)} (row {row})",
        )
        mols.append(
            f"<div class='ma-mol'>{picture}<div>{esc(ctx.ident(row))}</div>"
            f"<div{cls}>{esc(ctx.activity_text(row))}</div>"
            f"<div>pActivity {esc(fmt(p))}</div></div>"
        )
    between = "<div class='ma-arrow'>→</div>" if arrow else ""
    ident = f" id='{esc(card_id)}'" if card_id else ""
    tip = f" title='{esc(title_tip)}'" if title_tip else ""
    return (
        f"<div class='ma-card'{ident}><h5{tip}>{esc(title)}</h5>"
        f"<div class='ma-mols'>{mols[0]}{between}{mols[1]}</div></div>"
    )


def message_html(result: Any) -> str:
    """The result's message (why empty/partial), escaped; '' when none."""
    return f"<p class='ma-note'>{esc(result.message)}</p>" if result.message else ""


def figures_html(items: list[tuple[str, str, str | None]]) -> str:
    """Key figures: (value text, label, tooltip code name) triples, escaped."""
    cells = "".join(
        f"<div class='ma-kf'{f' title={chr(34)}{esc(tip)}{chr(34)}' if tip else ''}>"
        f"<b>{esc(v)}</b><span>{esc(k)}</span></div>"
        for v, k, tip in items
    )
    return f"<div class='ma-kfs'>{cells}</div>"


def more_html(shown: int, total: int, what: str) -> str:
    """'showing 12 of 340 …' note, '' when everything is shown."""
    if total <= shown:
        return ""
    return f"<p class='ma-note'>showing {shown:,} of {total:,} {esc(what)}</p>"


def colour(value: float | None, low: float, high: float) -> str:
    """A light sequential colour (white-yellow-green-blue) for ``value`` in [low, high]."""
    if value is None or value != value:
        return "#eeeeee"
    t = 0.5 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    stops = [(255, 255, 204), (161, 218, 180), (65, 182, 196), (44, 127, 184)]
    pos = t * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    f = pos - i
    rgb = [round(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f) for k in range(3)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


#: Styles of every view (scoped by the ``ma-v`` class; JupyterLab theme variables when present).
CSS = """
.ma-v{font-family:var(--jp-ui-font-family,system-ui,sans-serif);color:var(--jp-ui-font-color1,#222);
max-width:1180px;box-sizing:border-box}
.ma-v *{box-sizing:border-box}
.ma-v h4{margin:10px 0 4px}.ma-note{color:var(--jp-ui-font-color2,#666);font-size:12px;margin:4px 0}
.ma-kfs{display:flex;flex-wrap:wrap;gap:8px;margin:6px 0}
.ma-kf{border:1px solid var(--jp-border-color2,#ddd);border-radius:6px;padding:4px 10px}
.ma-kf b{display:block;font-size:15px}
.ma-kf span{color:var(--jp-ui-font-color2,#666);font-size:11px}
.ma-cards{display:flex;flex-wrap:wrap;gap:8px}
.ma-card{border:1px solid var(--jp-border-color2,#ddd);border-radius:6px;padding:6px;
background:var(--jp-layout-color1,#fff);max-width:100%}
.ma-card h5{margin:0 0 4px;font-size:13px}
.ma-mols{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-start}
.ma-mol{text-align:center;font-size:11px;max-width:160px;overflow-wrap:anywhere}
.ma-v img,.ma-plot{background:#fff;border-radius:4px}
.ma-nodraw{display:flex;align-items:center;justify-content:center;text-align:center;
background:#f3f3f3;color:#777;font-size:11px;border-radius:4px;padding:4px}
.ma-cens{color:#b35900;font-weight:600}
table.ma-t{border-collapse:collapse;font-size:12px;max-width:100%}
table.ma-t th,table.ma-t td{border-bottom:1px solid var(--jp-border-color2,#eee);padding:3px 6px;
text-align:left;vertical-align:middle;color:var(--jp-ui-font-color1,#222)}
table.ma-t td.num{text-align:right;font-variant-numeric:tabular-nums}
table.ma-t th{background:var(--jp-layout-color2,#f6f6f6)}
.ma-scroll{max-width:100%;overflow-x:auto}
.ma-arrow{font-size:20px;padding:0 4px;align-self:center}
.ma-plot{max-width:100%;height:auto}
"""
