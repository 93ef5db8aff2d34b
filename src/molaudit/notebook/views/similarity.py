"""Similarity matrix view: a heatmap of the Tanimoto matrix of the chosen rows.

Reads the ``similarity_matrix`` result: frame ``matrix`` (``row``, ``id``, then one column per
chosen row, named by its input row number).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from molaudit.notebook.views._common import ViewContext, figures_html, fmt, message_html
from molaudit.notebook.views.svgplot import heatmap

__all__ = ["matrix_of", "render"]


def matrix_of(result: Any) -> tuple[np.ndarray, list[str]]:
    """The square matrix and one label per row ('ID (row n)')."""
    frame = result.frames.get("matrix")
    if frame is None or frame.empty:
        return np.zeros((0, 0)), []
    cols = [c for c in frame.columns if c not in ("row", "id")]
    ids = frame["id"].astype(str).tolist() if "id" in frame else [""] * len(frame)
    rows = frame["row"].tolist() if "row" in frame else list(range(len(frame)))
    return frame[cols].to_numpy(float), [f"{i} (row {r})" for i, r in zip(ids, rows, strict=True)]


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: mean similarity and the heatmap (block-averaged above 60 rows)."""
    out = [message_html(result)]
    m, labels = matrix_of(result)
    if not len(m):
        out.append("<p>No matrix: choose rows (select molecules, then Run).</p>")
        return "".join(out)
    off = m[~np.eye(len(m), dtype=bool)] if len(m) > 1 else m.ravel()
    out.append(
        figures_html(
            [
                (fmt(len(m)), "molecules", "n_rows"),
                (
                    fmt(float(np.nanmean(off))) if off.size else "–",
                    "mean Tanimoto",
                    "mean_similarity",
                ),
                (fmt(int((off >= 0.7).sum() // 2)), "pairs ≥ 0.7", None),
            ]
        )
    )
    out.append(heatmap(m, labels=labels, max_cells=30 if ctx.static else 80))
    return "".join(out)
