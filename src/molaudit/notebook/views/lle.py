"""LLE view: pActivity against cLogP with iso-LLE lines, censored values drawn open.

Reads the ``lle`` result: frame ``lle`` (``row``, ``id``, ``activity``, ``p_activity``,
``clogp``, ``lle``, ``heavy_atoms``, ``le``). On this plot LLE = pActivity − cLogP is constant
along each dashed diagonal, so the distance above a line is the efficiency gain a chemist reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from molaudit.notebook.views._common import (
    ViewContext,
    esc,
    figures_html,
    fmt,
    message_html,
)
from molaudit.notebook.views.svgplot import scatter

__all__ = ["ISO_LLE", "render"]

#: LLE values of the reference lines.
ISO_LLE = (2, 3, 4, 5, 6, 7)


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: key figures, the plot, and the most efficient molecules drawn."""
    frame = result.frames.get("lle")
    out = [message_html(result)]
    if frame is None or frame.empty or not frame["lle"].notna().any():
        out.append("<p>No LLE: the batch needs an activity column.</p>")
        return "".join(out)
    frame = frame[frame["lle"].notna()]
    censored = np.array([ctx.censored(int(r)).startswith("censored") for r in frame["row"]])
    lle = frame["lle"].to_numpy(float)
    exact = lle[~censored]
    out.append(
        figures_html(
            [
                (fmt(len(frame)), "molecules with LLE", "n_molecules"),
                (
                    fmt(float(np.median(exact))) if exact.size else "–",
                    "median LLE (exact values)",
                    "lle_median",
                ),
                (fmt(int((exact >= 5).sum())), "LLE ≥ 5", "n_lle_ge_5"),
                (
                    fmt(int(censored.sum())),
                    "censored activities (open circles, not in the median)",
                    "activity_note",
                ),
            ]
        )
    )
    x = frame["clogp"].to_numpy(float)
    y = frame["p_activity"].to_numpy(float)
    finite = np.isfinite(x)
    xlo, xhi = (float(x[finite].min()) - 1, float(x[finite].max()) + 1) if finite.any() else (0, 5)
    lines = [
        (xlo, xlo + v, xhi, xhi + v, f"LLE {v}" if i == 0 else str(v))
        for i, v in enumerate(ISO_LLE)
    ]
    tips = [
        f"{ctx.ident(int(r))}: LLE {fmt(v)}" + (" (censored)" if cen else "")
        for r, p, c, v, cen in zip(frame["row"], y, x, lle, censored, strict=True)
    ]
    out.append(
        scatter(
            x,
            y,
            x_title="cLogP (Crippen)",
            y_title="pActivity (molar)",
            tips=tips,
            hollow=censored.tolist(),
            lines=lines,
        )
    )
    best = frame.assign(_c=censored).sort_values("lle", ascending=False, kind="stable")
    best = best[~best["_c"]].head(min(ctx.max_cards, 8))
    mols = "".join(
        f"<div class='ma-mol'>{ctx.drawing(int(r), 140, 105)}<div>{esc(ctx.ident(int(r)))}</div>"
        f"<div title='lle'>LLE {esc(fmt(v))}</div></div>"
        for r, v in zip(best["row"], best["lle"], strict=True)
    )
    out.append(f"<h4>Most efficient</h4><div class='ma-mols'>{mols}</div>")
    return "".join(out)
