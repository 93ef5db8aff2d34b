"""Duplicates view: one card per duplicate group, every member drawn with its activity.

Reads the ``dedup`` result: frames ``groups_exact``, ``groups_tautomer``, ``groups_stereo``,
``groups_salt`` (columns ``group``, ``count``, ``rows``, ``activity_min``, ``activity_max``,
``activity_range``, ``activity_std`` ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from molaudit.notebook.views._common import (
    ViewContext,
    esc,
    fmt,
    message_html,
    more_html,
    rows_list,
)

__all__ = ["render"]

LEVELS = (
    ("exact", "Exact duplicates", "same standardized structure (InChIKey)"),
    ("tautomer", "Tautomers", "same structure up to tautomerism"),
    ("stereo", "Stereoisomers", "same constitution, different or missing stereo (R/S, E/Z)"),
    ("salt", "Salt forms", "same parent after removing counter-ions and solvents"),
)
_MEMBERS = 6


def render(result: Any, ctx: ViewContext) -> str:
    """HTML of the duplicate groups, largest activity spread first.

    A group's spread is the pActivity range of its members (log units): a chemist reads a
    duplicate measured at 10 nM and 1 µM as a 2-log disagreement, whatever the raw units.
    """
    out = [message_html(result)]
    any_group = False
    for level, title, meaning in LEVELS:
        groups = result.frames.get(f"groups_{level}")
        if groups is None or groups.empty:
            continue
        any_group = True
        spreads, members = _spreads(groups, ctx)
        # largest spread first, then larger groups; groups without two activities last
        order = np.lexsort(
            (-np.array([len(m) for m in members]), -np.nan_to_num(spreads, nan=-1.0))
        )
        cards = [
            _card(members[i], None if np.isnan(spreads[i]) else float(spreads[i]), ctx)
            for i in order[: ctx.max_cards]
        ]
        out.append(
            f"<h4 title='{esc(level)}'>{esc(title)}: {len(groups):,} group"
            f"{'s' if len(groups) != 1 else ''}</h4><p class='ma-note'>{esc(meaning)}; "
            "largest activity spread first</p>"
            f"<div class='ma-cards'>{''.join(cards)}</div>"
            + more_html(min(len(groups), ctx.max_cards), len(groups), "groups")
        )
    if not any_group:
        out.append("<p>No duplicates at any level (exact, tautomer, stereo, salt form).</p>")
    return "".join(out)


def _spreads(groups: pd.DataFrame, ctx: ViewContext) -> tuple[np.ndarray, list[list[int]]]:
    """Per group: max - min pActivity of its members (NaN below two activities), members."""
    members = [rows_list(v) for v in groups["rows"]] if "rows" in groups else []
    lengths = np.array([len(m) for m in members], dtype=np.int64)
    if not lengths.sum():
        return np.full(len(members), np.nan), members
    flat = np.fromiter((r for m in members for r in m), dtype=np.int64, count=int(lengths.sum()))
    frame = pd.DataFrame(
        {"g": np.repeat(np.arange(len(members)), lengths), "p": ctx.p_activities(flat)}
    )
    stats = frame.groupby("g")["p"].agg(["min", "max", "count"]).reindex(range(len(members)))
    spread = np.array((stats["max"] - stats["min"]).to_numpy(float), copy=True)
    spread[stats["count"].fillna(0).to_numpy() < 2] = np.nan
    return spread, members


def _card(rows: list[int], spread: float | None, ctx: ViewContext) -> str:
    members = []
    for row in rows[:_MEMBERS]:
        note = ctx.censored(row)
        act = ctx.activity_text(row)
        cls = " class='ma-cens'" if note.startswith("censored") else ""
        members.append(
            f"<div class='ma-mol'>{ctx.drawing(row, 140, 105)}<div>{esc(ctx.ident(row))}</div>"
            f"<div{cls} title='activity_note: {esc(note)}'>{esc(act)}</div></div>"
        )
    more = (
        f"<div class='ma-note'>… and {len(rows) - _MEMBERS} more</div>"
        if len(rows) > _MEMBERS
        else ""
    )
    spread_text = (
        f"spread {fmt(spread)} log units"
        if spread is not None
        else "spread: fewer than 2 activities"
    )
    loud = " style='color:#b00020'" if spread is not None and spread >= 1.0 else ""
    return (
        f"<div class='ma-card'><h5>{len(rows)} records · <span{loud} "
        f"title='max − min pActivity of the members'>{esc(spread_text)}</span></h5>"
        f"<div class='ma-mols'>{''.join(members)}{more}</div></div>"
    )
