"""Chemical space view: the 2-D map, axes named as the method names them ("PC1 (11.8 %)").

Reads the ``chemical_space`` result: frame ``coordinates`` (``row``, ``id``, ``x``, ``y``) and the
summary (``method``, ``explained_variance_ratio_xy`` for PCA). The panel shows the linked WebGL
scatter of :mod:`molaudit.notebook.scatter_view` (structure on hover, colour by any property);
the report a static SVG coloured by pActivity (or QED without activity).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from molaudit.notebook.views._common import ViewContext, label, message_html
from molaudit.notebook.views.svgplot import scatter

__all__ = ["axis_titles", "render"]


def axis_titles(result: Any) -> tuple[str, str]:
    """Axis titles: 'PC1 (11.8 %)' for PCA, 't-SNE 1' / 'UMAP 1' otherwise."""
    s = result.summary or {}
    method = str(s.get("method") or (result.params or {}).get("method") or "").lower()
    ratio = s.get("explained_variance_ratio_xy")
    if method == "pca" and isinstance(ratio, list | tuple) and len(ratio) >= 2:
        return f"PC1 ({100 * float(ratio[0]):.1f} %)", f"PC2 ({100 * float(ratio[1]):.1f} %)"
    name = {"pca": "PC", "tsne": "t-SNE ", "umap": "UMAP "}.get(method, "axis ")
    return f"{name}1", f"{name}2"


def render(result: Any, ctx: ViewContext) -> str:
    """Static HTML: the map coloured by pActivity (or QED)."""
    coords = result.frames.get("coordinates")
    out = [message_html(result)]
    if coords is None or coords.empty:
        out.append("<p>No coordinates.</p>")
        return "".join(out)
    rows = coords["row"].astype(int).tolist()
    p = np.array([ctx.p_activity(r) if ctx.p_activity(r) is not None else np.nan for r in rows])
    if np.isfinite(p).any():
        values, title = p, "pActivity"
    else:
        values = np.array([float(ctx.get("qed", r, np.nan)) for r in rows])
        title = label("qed")
    xt, yt = axis_titles(result)
    # static pages carry the ID only (a thousand SMILES tooltips would double the plot's size)
    tips = [
        f"{ctx.ident(r)} (row {r})"
        if ctx.static
        else f"{ctx.ident(r)} (row {r}): {ctx.smiles(r)[:120]}"
        for r in rows
    ]
    out.append(
        scatter(
            coords["x"].to_numpy(float),
            coords["y"].to_numpy(float),
            x_title=xt,
            y_title=yt,
            tips=tips,
            colour_by=values,
            colour_title=title,
        )
    )
    return "".join(out)
