"""Scaffolds view: a grid of Murcko scaffold drawings with their counts and mean activity.

Reads the ``scaffolds`` result: frame ``scaffolds`` (``scaffold``, ``kind``, ``n_molecules``,
``fraction``, ``rows``, ``mean_activity``, ``n_activity``) and the entropy figures of the summary.
"""

from __future__ import annotations

from typing import Any

from molaudit.notebook.views._common import (
    ViewContext,
    esc,
    figures_html,
    fmt,
    message_html,
    more_html,
    rows_list,
)
from molaudit.notebook.views._draw import draw

__all__ = ["render", "top_scaffolds"]


def top_scaffolds(result: Any, n: int) -> list[dict]:
    """The ``n`` largest Murcko scaffold families (generic ones when no Murcko rows)."""
    frame = result.frames.get("scaffolds")
    if frame is None or frame.empty:
        return []
    if "kind" in frame and (frame["kind"] == "murcko").any():
        frame = frame[frame["kind"] == "murcko"]
    frame = frame[frame["scaffold"].fillna("").astype(str) != ""]
    return (
        frame.sort_values("n_molecules", ascending=False, kind="stable").head(n).to_dict("records")
    )


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: key figures and one card per scaffold (drawing, molecules, mean pActivity)."""
    s = result.summary or {}
    out = [message_html(result)]
    figures = [
        (fmt(s.get("murcko_n_scaffolds")), "Murcko scaffolds", "murcko_n_scaffolds"),
        (fmt(s.get("murcko_n_singletons")), "singletons", "murcko_n_singletons"),
        (fmt(s.get("murcko_largest_family")), "largest family", "murcko_largest_family"),
        (
            fmt(s.get("murcko_normalized_entropy")),
            "normalized entropy (0–1)",
            "murcko_normalized_entropy",
        ),
        (fmt(s.get("n_acyclic")), "acyclic molecules", "n_acyclic"),
    ]
    out.append(figures_html([f for f in figures if f[0] != "–"]))
    n = 2 * ctx.max_cards
    top = top_scaffolds(result, n)
    if not top:
        out.append("<p>No ring scaffolds in this batch.</p>")
        return "".join(out)
    cards = []
    for rec in top:
        rows = rows_list(rec.get("rows"))
        ps = [p for p in (ctx.p_activity(r) for r in rows) if p is not None]
        mean_p = sum(ps) / len(ps) if ps else None
        smi = str(rec["scaffold"])
        cards.append(
            f"<div class='ma-card ma-mol'>{draw(smi, 150, 110, title=smi)}"
            f"<div><b>{fmt(int(rec['n_molecules']))}</b> molecules"
            f" ({esc(fmt(100 * float(rec.get('fraction', 0) or 0)))} %)</div>"
            f"<div title='mean pActivity of {len(ps)} with activity'>mean pActivity "
            f"{esc(fmt(mean_p))}</div></div>"
        )
    frame = result.frames.get("scaffolds")
    total = int((frame["kind"] == "murcko").sum()) if "kind" in frame else len(frame)
    out.append(
        "<h4>Largest scaffold families</h4>"
        f"<div class='ma-cards'>{''.join(cards)}</div>" + more_html(len(top), total, "scaffolds")
    )
    return "".join(out)
