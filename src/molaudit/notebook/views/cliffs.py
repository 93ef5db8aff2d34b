"""Activity cliffs view: the SALI landscape and the cliff pairs side by side.

Reads the ``activity_cliffs`` result for any definition: frame ``pairs`` with ``row_1``,
``row_2`` and a similarity (``tanimoto`` for MoleculeACE and mmp, ``similarity`` for SALI), a
pActivity difference (``delta_p``, or ``delta`` for the mmp definition) and, for mmp, the
``constant`` of the pair. The landscape plots similarity against |Δ pActivity|; each numbered
point links to its card (an anchor in the static report, a click callback in the panel).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from molaudit.notebook.views._common import (
    ViewContext,
    fmt,
    heavy_atoms,
    message_html,
    more_html,
)
from molaudit.notebook.views._common import pair_card as shared_pair_card
from molaudit.notebook.views._draw import changed_atoms, mcs_difference
from molaudit.notebook.views.svgplot import scatter

__all__ = ["landscape", "pair_card", "ranked_pairs", "render"]

#: Seconds the MCS of one pair may take (the highlight is skipped beyond).
MCS_TIMEOUT = 1


def ranked_pairs(result: Any) -> pd.DataFrame:
    """The cliff pairs with ``_sim`` and ``_dp`` (= |Δ pActivity|), largest cliff first."""
    pairs = result.frames.get("pairs")
    if pairs is None or pairs.empty or "row_1" not in pairs:
        return pd.DataFrame(columns=["row_1", "row_2", "_sim", "_dp"])
    sim = next((c for c in ("tanimoto", "similarity") if c in pairs), None)
    dp = next((c for c in ("delta_p", "delta") if c in pairs), None)
    out = pairs.assign(
        _sim=pairs[sim].astype(float) if sim else np.nan,
        _dp=pairs[dp].astype(float).abs() if dp else np.nan,
    )
    key = "sali" if "sali" in out else "_dp"
    return out.sort_values(key, ascending=False, na_position="last", kind="stable").reset_index(
        drop=True
    )


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: the landscape (points numbered as the cards) and the top pair cards."""
    pairs = ranked_pairs(result)
    out = [message_html(result)]
    if pairs.empty:
        out.append("<p>No activity cliffs with these parameters.</p>")
        return "".join(out)
    out.append(landscape(pairs, ctx, result))
    n = min(len(pairs), ctx.max_cards)
    cards = [pair_card(rec, i + 1, ctx) for i, rec in enumerate(pairs.head(n).to_dict("records"))]
    out.append(
        f"<h4>Cliff pairs: {len(pairs):,}</h4><p class='ma-note'>largest |Δ pActivity| first; "
        "the atoms outside the common part (MCS, or the matched-pair constant) are highlighted"
        f"</p><div class='ma-cards'>{''.join(cards)}</div>" + more_html(n, len(pairs), "pairs")
    )
    return "".join(out)


def landscape(pairs: pd.DataFrame, ctx: ViewContext, result: Any = None) -> str:
    """SVG of similarity vs |Δ pActivity|, top ``ctx.max_cards`` points numbered and linked."""
    n = min(len(pairs), ctx.max_cards)
    tips = [
        f"{ctx.ident(int(a))} / {ctx.ident(int(b))}: similarity {fmt(s)}, |Δ pActivity| {fmt(d)}"
        for a, b, s, d in zip(
            pairs["row_1"], pairs["row_2"], pairs["_sim"], pairs["_dp"], strict=True
        )
    ]
    labels = [f"#{i + 1}" if i < n else "" for i in range(len(pairs))]
    links = [f"#ma-cliff-{i + 1}" if i < n else "" for i in range(len(pairs))]
    definition = (result.params or {}).get("definition", "") if result is not None else ""
    sim_name = "Tanimoto similarity (Morgan)" if definition != "sali" else "Similarity"
    return (
        "<h4>SALI landscape</h4><p class='ma-note'>each point a pair of molecules; top right: "
        "similar structures, very different activity (cliffs). Click a numbered point for its "
        "card.</p>"
        + scatter(
            pairs["_sim"].to_numpy(float),
            pairs["_dp"].to_numpy(float),
            x_title=sim_name,
            y_title="|Δ pActivity| (log units)",
            tips=tips,
            labels=labels,
            links=links,
        )
    )


def pair_card(rec: dict, number: int, ctx: ViewContext) -> str:
    """One cliff pair, side by side, the differing atoms highlighted."""
    r1, r2 = int(rec["row_1"]), int(rec["row_2"])
    s1, s2 = ctx.smiles(r1), ctx.smiles(r2)
    h1: list[int] = []
    h2: list[int] = []
    constant = rec.get("constant")
    drawable = not (ctx.refused(r1) or ctx.refused(r2)) and _small(ctx, r1) and _small(ctx, r2)
    if drawable and isinstance(constant, str) and constant:
        h1, h2 = changed_atoms(s1, constant), changed_atoms(s2, constant)
    elif drawable and s1 and s2:
        h1, h2 = mcs_difference(s1, s2, MCS_TIMEOUT)
    facts = [f"similarity {fmt(rec.get('_sim'))}", f"|Δ pActivity| {fmt(rec.get('_dp'))}"]
    if rec.get("fold_change") is not None and rec.get("fold_change") == rec.get("fold_change"):
        facts.append(f"{fmt(float(rec['fold_change']))}-fold")
    if rec.get("sali") is not None:
        facts.append(f"SALI {fmt(rec.get('sali'))}")
    return shared_pair_card(
        ctx,
        (r1, r2),
        title=f"#{number} · " + " · ".join(facts),
        highlights=(h1, h2),
        smiles=(s1, s2),
        card_id=f"ma-cliff-{number}",
    )


def _small(ctx: ViewContext, row: int) -> bool:
    heavy = heavy_atoms(ctx, row)
    return heavy is None or heavy <= 80  # MCS of two big molecules costs seconds
