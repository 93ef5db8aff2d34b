"""Matched molecular pairs view: the transform table a chemist draws, then example pairs.

Reads the ``mmp`` result: ``transforms`` (``transform``, ``n_pairs``, ``n_with_activity``,
``mean_delta``, ``median_delta``, ``std_delta``, ``n_up``, ``n_down``) and ``pairs`` (``row_1``,
``row_2``, ``smiles_1``, ``smiles_2``, ``constant``, ``variable_1``, ``variable_2``,
``transform``, ``delta`` = pActivity of 2 minus pActivity of 1).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from molaudit.notebook.views._common import (
    ViewContext,
    esc,
    fmt,
    message_html,
    more_html,
    pair_card,
)
from molaudit.notebook.views._draw import changed_atoms, draw
from molaudit.notebook.views.svgplot import strip

__all__ = ["render"]

_PAIRS_PER_TRANSFORM = 3
_TRANSFORMS_WITH_PAIRS = 4


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: transforms (from/to fragments drawn, n, mean Δ pActivity, Δ strip), then pairs."""
    transforms = result.frames.get("transforms")
    pairs = result.frames.get("pairs")
    out = [message_html(result)]
    if transforms is None or transforms.empty:
        out.append("<p>No matched pairs in this batch.</p>")
        return "".join(out)
    pairs = pairs if pairs is not None else pd.DataFrame(columns=["transform", "delta"])
    deltas = (
        pairs.groupby("transform")["delta"].apply(lambda s: s.dropna().tolist()).to_dict()
        if "delta" in pairs and len(pairs)
        else {}
    )
    ranked = transforms.assign(
        _abs=transforms["mean_delta"].abs().fillna(-1.0) if "mean_delta" in transforms else 0.0
    ).sort_values(["n_pairs", "_abs"], ascending=[False, False], kind="stable")
    shown = ranked.head(2 * ctx.max_cards)
    every = [d for v in deltas.values() for d in v]
    lo, hi = (min([*every, 0.0]), max([*every, 0.0])) if every else (-1.0, 1.0)
    body = []
    for rec in shown.to_dict("records"):
        left, _, right = str(rec["transform"]).partition(">>")
        values = deltas.get(rec["transform"], [])
        mean = rec.get("mean_delta")
        body.append(
            f"<tr><td>{draw(left, 120, 80, title=left)}</td><td class='ma-arrow'>→</td>"
            f"<td>{draw(right, 120, 80, title=right)}</td>"
            f"<td class='num'>{fmt(int(rec.get('n_pairs', 0)))}</td>"
            f"<td class='num'>{esc(fmt(mean))}</td>"
            f"<td class='num'>{esc(fmt(rec.get('std_delta')))}</td>"
            f"<td title='{esc(_strip_tip(values))}'>{strip(values, lo=lo, hi=hi)}</td>"
            f"<td class='num'>{fmt(int(rec.get('n_up', 0)))} / "
            f"{fmt(int(rec.get('n_down', 0)))}</td>"
            "</tr>"
        )
    units = "log units"
    out.append(
        f"<h4>Transforms: {len(transforms):,}</h4><p class='ma-note'>the variable part changes "
        "from left to right, attachment points numbered; Δ pActivity = after − before "
        f"({esc(units)}), dots: pairs, red bar: mean; strip axis {esc(fmt(lo))} to "
        f"{esc(fmt(hi))}</p><div class='ma-scroll'><table class='ma-t'><tr><th>from</th><th></th>"
        "<th>to</th><th title='n_pairs'>pairs</th><th title='mean_delta'>mean Δ pActivity</th>"
        "<th title='std_delta'>SD</th><th>Δ distribution</th><th title='n_up / n_down'>"
        f"up / down</th></tr>{''.join(body)}</table></div>"
        + more_html(len(shown), len(transforms), "transforms")
    )
    out.append(_pairs_html(shown, pairs, ctx))
    return "".join(out)


def _strip_tip(values: list[float]) -> str:
    if not values:
        return "no pair has both activities"
    return "Δ pActivity: " + ", ".join(fmt(v) for v in sorted(values)[:30])


def _pairs_html(shown: pd.DataFrame, pairs: pd.DataFrame, ctx: ViewContext) -> str:
    if pairs.empty or "row_1" not in pairs:
        return ""
    cards = []
    for transform in shown["transform"].head(_TRANSFORMS_WITH_PAIRS):
        sub = pairs[pairs["transform"] == transform]
        if "delta" in sub:
            sub = sub.assign(_abs=sub["delta"].abs()).sort_values(
                "_abs", ascending=False, na_position="last", kind="stable"
            )
        for rec in sub.head(_PAIRS_PER_TRANSFORM).to_dict("records"):
            cards.append(_pair_card(rec, ctx))
    return (
        "<h4>Example pairs</h4><p class='ma-note'>the changed part is highlighted</p>"
        f"<div class='ma-cards'>{''.join(cards)}</div>"
    )


def _pair_card(rec: dict, ctx: ViewContext) -> str:
    rows = (int(rec["row_1"]), int(rec["row_2"]))
    smiles = tuple(
        smi if isinstance(smi, str) and smi else ctx.smiles(row)
        for smi, row in zip((rec.get("smiles_1"), rec.get("smiles_2")), rows, strict=True)
    )
    constant = rec.get("constant")
    highlights = tuple(
        changed_atoms(smi, constant) if isinstance(constant, str) and not ctx.refused(row) else []
        for smi, row in zip(smiles, rows, strict=True)
    )
    return pair_card(
        ctx,
        rows,
        title=f"Δ pActivity {fmt(rec.get('delta'))}",
        title_tip="delta",
        highlights=(highlights[0], highlights[1]),
        smiles=(smiles[0], smiles[1]),
        p_values=(rec.get("p_activity_1"), rec.get("p_activity_2")),
        size=(150, 110),
        arrow=True,
    )
