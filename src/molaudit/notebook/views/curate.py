"""Curate view: decisions counted, contradictory compounds and stereo cliffs drawn.

Reads the ``curate`` result (:func:`molaudit.analytics.curate.curate`): frames ``curated``
(``row``, ``rows``, ``activity`` ... ``decision``, ``reason``), ``decisions`` (``row``,
``action``, ``reason``) and ``stereo_cliffs`` (``stereo_key``, ``rows``, ``std_smiles``,
``activities``, ``spread``). ``render(result, ctx) -> str`` like every view of
:data:`molaudit.notebook.views.VIEWS`; every string from the data is escaped.
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

__all__ = ["render"]

_MEMBERS = 6
_DECISION_HELP = {
    "kept": "measurements agree: one aggregated value",
    "contradictory": "measurements spread more than max_spread",
    "stereo cliff": "a stereoisomer differs by more than max_spread",
    "censored only": "only censored (>, <) values",
    "no activity": "no activity value",
    "error": "error rows (no structure)",
}


def render(result: Any, ctx: ViewContext) -> str:
    """HTML: decision counts, contradictory compounds with their measurements, stereo cliffs."""
    out = [message_html(result)]
    curated = result.frames.get("curated")
    if curated is None or curated.empty:
        out.append("<p>Nothing curated.</p>")
        return "".join(out)
    summary = result.summary or {}
    counts = summary.get("decisions") or curated["decision"].value_counts().to_dict()
    out.append(
        figures_html(
            [(fmt(int(v)), f"{k}: {_DECISION_HELP.get(k, '')}", k) for k, v in counts.items() if v]
        )
    )
    out.append(
        "<p class='ma-note'>level "
        f"{esc(summary.get('level', ''))} · {esc(summary.get('aggregate', ''))} of exact "
        f"pActivities · max spread {esc(fmt(summary.get('max_spread')))} log units · "
        f"{esc(summary.get('units_note', ''))}</p>"
    )
    bad = curated[curated["decision"] == "contradictory"].copy()
    if len(bad):
        bad["_spread"] = bad["activity_max"] - bad["activity_min"]
        bad = bad.sort_values("_spread", ascending=False, kind="stable")
        cards = [_card(rec, ctx) for rec in bad.head(ctx.max_cards).to_dict("records")]
        out.append(
            f"<h4>Contradictory compounds: {len(bad):,}</h4><p class='ma-note'>largest spread "
            f"first; every measurement drawn with its value</p><div class='ma-cards'>"
            f"{''.join(cards)}</div>"
            + more_html(min(len(bad), ctx.max_cards), len(bad), "compounds")
        )
    cliffs = result.frames.get("stereo_cliffs")
    if cliffs is not None and len(cliffs):
        cards = [_cliff(rec, ctx) for rec in cliffs.head(ctx.max_cards).to_dict("records")]
        out.append(
            f"<h4>Stereo cliffs: {len(cliffs):,}</h4><p class='ma-note'>stereoisomers reported, "
            f"not merged</p><div class='ma-cards'>{''.join(cards)}</div>"
            + more_html(min(len(cliffs), ctx.max_cards), len(cliffs), "stereo cliffs")
        )
    decisions = result.frames.get("decisions")
    if decisions is not None and len(decisions):
        table = decisions[decisions["action"] != "kept"].head(50)
        body = "".join(
            f"<tr><td class='num'>{int(r['row'])}</td><td>{esc(r['id'])}</td>"
            f"<td>{esc(r['action'])}</td><td>{esc(r['reason'])}</td></tr>"
            for r in table.to_dict("records")
        )
        n_other = int((decisions["action"] != "kept").sum())
        out.append(
            "<h4>Rows not kept as representatives</h4><div class='ma-scroll'><table class='ma-t'>"
            "<tr><th>row</th><th>id</th><th>action</th><th>reason</th></tr>"
            f"{body}</table></div>" + more_html(len(table), n_other, "rows")
        )
    return "".join(out)


def _card(rec: dict, ctx: ViewContext) -> str:
    rows = rows_list(rec.get("rows"))
    members = []
    for row in rows[:_MEMBERS]:
        note = ctx.censored(row)
        cls = " class='ma-cens'" if note.startswith("censored") else ""
        p = ctx.p_activity(row)
        members.append(
            f"<div class='ma-mol'>{ctx.drawing(row, 130, 100)}<div>{esc(ctx.ident(row))}</div>"
            f"<div{cls}>{esc(ctx.activity_text(row))}</div>"
            f"<div>p {esc(fmt(p))}</div></div>"
        )
    more = (
        f"<div class='ma-note'>… and {len(rows) - _MEMBERS} more</div>"
        if len(rows) > _MEMBERS
        else ""
    )
    return (
        f"<div class='ma-card'><h5>{esc(rec.get('id'))} · {len(rows)} records · "
        f"<span style='color:#b00020'>pActivity {esc(fmt(rec.get('activity_min')))}–"
        f"{esc(fmt(rec.get('activity_max')))}</span></h5>"
        f"<div class='ma-mols'>{''.join(members)}{more}</div></div>"
    )


def _cliff(rec: dict, ctx: ViewContext) -> str:
    from molaudit.notebook.depict import img_tag

    isomers = list(rec.get("std_smiles") or [])
    acts = list(rec.get("activities") or [])
    pics = "".join(
        f"<div class='ma-mol'>{img_tag(str(s), 130, 100, title=str(s))}"
        f"<div>p {esc(fmt(a))}</div></div>"
        for s, a in zip(isomers[:_MEMBERS], acts[:_MEMBERS], strict=False)
    )
    return (
        f"<div class='ma-card'><h5>{len(isomers)} stereoisomers · spread "
        f"{esc(fmt(rec.get('spread')))} log units</h5><div class='ma-mols'>{pics}</div></div>"
    )
