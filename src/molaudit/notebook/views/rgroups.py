"""R-group view: the core with its R labels, and a SAR matrix of R-group drawings.

Reads the ``rgroups`` result: ``decomposition`` (``row``, ``id``, ``Core``, ``R1``, ``R2`` ...,
``activity``) and the summary (``core_smiles``, ``core``, ``n_matched``, ``n_unmatched``). The
matrix crosses two R positions (by default the two with the most distinct groups; the panel has
an axis picker); each cell is the mean pActivity of the molecules with that pair, coloured on one
scale, and every axis header is the R group drawn.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from molaudit.notebook.views._common import ViewContext, colour, esc, fmt, message_html
from molaudit.notebook.views._draw import draw

__all__ = ["r_positions", "render", "sar_matrix"]

_MAX_AXIS = 10
_R = re.compile(r"^R\d+$")


def r_positions(decomposition: pd.DataFrame) -> list[str]:
    """The R positions (``R1``, ``R2`` ...) of a decomposition, most distinct groups first."""
    labels = [str(c) for c in decomposition.columns if _R.match(str(c))]
    return sorted(labels, key=lambda c: (-decomposition[c].nunique(), int(c[1:])))


def sar_matrix(
    decomposition: pd.DataFrame,
    ctx: ViewContext,
    *,
    rows: str | None = None,
    columns: str | None = None,
) -> tuple[str | None, str | None, pd.DataFrame]:
    """(row label, column label, matrix of mean pActivity) for two R positions.

    Parameters
    ----------
    decomposition : DataFrame
        ``row`` and one column per R position (``R1``, ``R2`` ...) holding R-group SMILES.
    ctx : ViewContext
    rows, columns : str, optional
        The R positions on the rows and on the columns (the axis picker of the panel). By
        default the two positions with the most distinct groups; ``columns=""`` gives a
        single-column matrix of the ``rows`` position alone.

    Returns
    -------
    tuple
        The matrix is indexed by the R groups (SMILES) of the row position and has one
        column per R group of the column position, each axis limited to its
        :data:`_MAX_AXIS` commonest groups. With one R position (or ``columns=""``) the
        column label is None and the matrix has a single column ``"–"``.

    Raises
    ------
    ValueError
        When ``rows`` or ``columns`` is not an R position of the decomposition, or both are
        the same.
    """
    labels = r_positions(decomposition)
    if not labels:
        return None, None, pd.DataFrame()
    for name, value in (("rows", rows), ("columns", columns)):
        if value and value not in labels:
            raise ValueError(
                f"The {name!r} parameter of sar_matrix must be one of {labels}; got {value!r}."
            )
    if rows and columns and rows == columns:
        raise ValueError(f"rows and columns must be two different R positions; got {rows!r} twice.")
    a = rows or next((c for c in labels if c != columns), None)
    if a is None:  # one position, asked for on the columns: it goes on the rows instead
        a, columns = labels[0], ""
    rest = [c for c in labels if c != a]
    b = columns if columns is not None else (rest[0] if rest else None)
    b = b or None
    p = decomposition["row"].map(lambda r: ctx.p_activity(int(r))).astype(float)
    frame = decomposition.assign(_p=p.to_numpy())
    top_a = frame[a].value_counts().head(_MAX_AXIS).index
    frame = frame[frame[a].isin(top_a)]
    if b is None:
        matrix = frame.groupby(a)["_p"].mean().reindex(top_a).to_frame("–")
        return a, None, matrix
    top_b = frame[b].value_counts().head(_MAX_AXIS).index
    frame = frame[frame[b].isin(top_b)]
    matrix = frame.pivot_table(index=a, columns=b, values="_p", aggfunc="mean", dropna=False)
    return a, b, matrix.reindex(index=[x for x in top_a if x in matrix.index], columns=list(top_b))


def render(
    result: Any, ctx: ViewContext, *, rows: str | None = None, columns: str | None = None
) -> str:
    """HTML: core drawing (R labels), counts, and the SAR matrix.

    ``rows`` and ``columns`` pick the R positions of the matrix axes (see :func:`sar_matrix`).
    """
    dec = result.frames.get("decomposition")
    out = [message_html(result)]
    if dec is None or dec.empty:
        out.append("<p>No molecule matched a core.</p>")
        return "".join(out)
    summary = result.summary or {}
    core = dec["Core"].mode().iloc[0] if "Core" in dec and dec["Core"].notna().any() else None
    core = core if isinstance(core, str) else summary.get("core_smiles")
    source = {"mcs": "the MCS of the largest scaffold family", "given": "the given core"}.get(
        str(summary.get("core_source", "")), str(summary.get("core_source", "") or "")
    )
    out.append(
        "<div class='ma-cards'><div class='ma-card'><h5>Core"
        f"{' (' + esc(source) + ')' if source else ''}</h5>{draw(core, 240, 170, title=core)}"
        "<div class='ma-note' title='n_matched / n_unmatched'>"
        f"{fmt(int(summary.get('n_matched', len(dec))))} molecules matched, "
        f"{fmt(int(summary.get('n_unmatched', 0) or 0))} did not</div></div></div>"
    )
    a, b, matrix = sar_matrix(dec, ctx, rows=rows, columns=columns)
    if a is None or matrix.empty:
        out.append("<p class='ma-note'>the core has no substituent positions</p>")
        return "".join(out)
    values = matrix.to_numpy(float)
    lo, hi = (
        (float(np.nanmin(values)), float(np.nanmax(values)))
        if np.isfinite(values).any()
        else (0.0, 1.0)
    )
    head = "<tr><th>" + esc(a) + (" \\ " + esc(b) if b else "") + "</th>"
    if b:
        head += "".join(f"<th>{draw(c, 90, 65, title=str(c))}</th>" for c in matrix.columns)
    else:
        head += "<th>mean pActivity</th>"
    body = []
    for r_group, rec in matrix.iterrows():
        cells = "".join(
            f"<td class='num' style='background:{colour(v, lo, hi)};color:#222'>{esc(fmt(v))}</td>"
            for v in rec.to_numpy(float)
        )
        body.append(f"<tr><th>{draw(r_group, 90, 65, title=str(r_group))}</th>{cells}</tr>")
    out.append(
        f"<h4>SAR matrix</h4><p class='ma-note'>mean pActivity per R-group combination "
        f"(colour: {esc(fmt(lo))} to {esc(fmt(hi))}; – no molecule); rows {esc(a)}"
        f"{', columns ' + esc(b) if b else ''}, at most {_MAX_AXIS} commonest groups each</p>"
        f"<div class='ma-scroll'><table class='ma-t'>{head}</tr>{''.join(body)}</table></div>"
    )
    return "".join(out)
