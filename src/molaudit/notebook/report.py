"""A self-contained HTML report of a batch: the panel's views, static, readable offline.

No JavaScript at all: plots are small SVGs binned in the kernel, structures are SVG data URIs
(``<img>``, so nothing in them can run), every data string is escaped. The page has a table of
contents, fits a 1,200 px window (wide tables scroll inside their box), and stays small: the
molecule list shows at most ``max_rows`` rows (errors and warnings first), every view a bounded
number of cards, and nothing is drawn for rows the audit refused or above
:data:`~molaudit.notebook.views._draw.MAX_DRAW_HEAVY_ATOMS` heavy atoms.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from molaudit.notebook.views import CSS as VIEW_CSS
from molaudit.notebook.views import ViewContext, render_html
from molaudit.notebook.views._common import esc, figures_html, fmt, label
from molaudit.notebook.views.svgplot import histogram

__all__ = ["render_report", "write_report"]

#: Molecule-table columns (code name -> shown when present).
_TABLE_COLUMNS = ("id", "status", "score", "activity", "mw", "clogp", "tpsa", "qed", "checks")
_HIST_COLUMNS = ("mw", "clogp", "tpsa", "qed", "heavy_atoms", "score")
_TITLES = {
    "dedup": "Duplicates",
    "statistics": "Statistics",
    "scaffolds": "Scaffolds",
    "rgroups": "R-groups",
    "chemical_space": "Chemical space",
    "nearest_neighbors": "Nearest neighbours",
    "similarity_pairs": "Similar pairs",
    "similarity_matrix": "Similarity matrix",
    "clusters": "Clusters",
    "mmp": "Matched molecular pairs",
    "activity_cliffs": "Activity cliffs",
    "lle": "Lipophilic ligand efficiency",
}
_ORDER = tuple(_TITLES)
#: Error rows listed with their input and message.
_ERROR_ROWS = 50

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0 auto;padding:16px;
max-width:1200px;color:#222;box-sizing:border-box}
h1{margin-bottom:0}.sub{color:#666;margin-top:4px;overflow-wrap:anywhere}
nav.toc{border:1px solid #ddd;border-radius:6px;padding:6px 14px;margin:12px 0;columns:3;
font-size:13px}nav.toc a{display:block;text-decoration:none;color:#1a5fb4;padding:1px 0}
section{margin-top:28px}img{max-width:100%}
td.input{font-family:monospace;font-size:11px;max-width:360px;overflow-wrap:anywhere}
td.msg{max-width:360px;overflow-wrap:anywhere}
tr.error td{color:#842029}.hists{display:flex;flex-wrap:wrap;gap:12px}
"""


def render_report(
    batch: Any, *, max_rows: int = 100, plots: bool = True, max_cards: int = 12
) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    batch : molaudit.Batch
        The audited batch.
    max_rows : int
        Molecules listed with structures (error and warning rows first).
    plots : bool
        Include the property histograms.
    max_cards : int
        Cards (groups, pairs, scaffolds) each analytic view shows at most.

    Returns
    -------
    str
        A complete HTML document (no script, no external resource).
    """
    table = batch.table
    ctx = ViewContext.of(batch, static=True, max_cards=max_cards)
    title = f"molaudit report — {len(table):,} molecules"
    sections: list[tuple[str, str, str]] = []  # (anchor, title, html)
    sections.append(("summary", "Summary", _summary_section(batch, ctx)))
    sections.append(("problems", "Errors and checks", _problems_section(batch, ctx)))
    if plots:
        sections.append(("properties", "Properties", _histograms(table, ctx)))
    sections.append(("molecules", "Molecules", _molecules(table, max_rows, ctx)))
    for name, result in _computed(batch):
        body = _analytic_html(name, result, ctx)
        sections.append((f"a-{name}", _TITLES.get(name, _title(name)), body))
    toc = "".join(f"<a href='#{esc(a)}'>{esc(t)}</a>" for a, t, _ in sections)
    source = str(getattr(batch, "source", "") or "in memory")
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(title)}</title><style>{_CSS}{VIEW_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p class='sub'>source {esc(source)} · generated "
        f"{_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')} · batch key "
        f"{esc(str(getattr(batch, 'key', '') or '')[:16])}</p>",
        f"<nav class='toc'>{toc}</nav>",
    ]
    for anchor, head, body in sections:
        out.append(
            f"<section id='{esc(anchor)}'><h2>{esc(head)}</h2>"
            f"<div class='ma-v'>{body}</div></section>"
        )
    out.append("</body></html>")
    return "\n".join(out)


def write_report(batch: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8) and return the path.

    Parameters
    ----------
    batch : molaudit.Batch
    path : str or pathlib.Path
        Output file; parent directories are created.
    **kwargs
        Passed to :func:`render_report`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(batch, **kwargs), encoding="utf-8")
    return path


# ---------------------------------------------------------------------- sections
def _title(name: str) -> str:
    return name.strip("_").replace("_", " ").capitalize()


def _summary_section(batch: Any, ctx: ViewContext) -> str:
    table = batch.table
    counts = table["status"].value_counts().to_dict() if "status" in table else {}
    items = [
        (fmt(len(table)), "molecules", "n_rows"),
        (fmt(int(counts.get("ok", 0))), "ok", "status ok"),
        (fmt(int(counts.get("warning", 0))), "with warnings", "status warning"),
        (fmt(int(counts.get("error", 0))), "errors", "status error"),
    ]
    if "activity" in table and table["activity"].notna().any():
        n_act = int(table["activity"].notna().sum())
        items.append(
            (fmt(n_act), f"with activity ({ctx.activity_units or 'units unknown'})", "activity")
        )
        if "activity_note" in table:
            cens = int(
                table["activity_note"].fillna("").astype(str).str.startswith("censored").sum()
            )
            items.append((fmt(cens), "censored activities (< or >)", "activity_note"))
    if "score" in table and table["score"].notna().any():
        items.append((fmt(float(table["score"].mean())), "mean quality score (0–100)", "score"))
    return figures_html(items)


def _problems_section(batch: Any, ctx: ViewContext) -> str:
    table = batch.table
    out = []
    if "status" in table:
        errors = table[table["status"] == "error"]
        if len(errors):
            input_col = _input_column(batch)
            rows = []
            for rec in errors.head(_ERROR_ROWS).to_dict("records"):
                given = rec.get(input_col) if input_col else None
                rows.append(
                    "<tr class='error'>"
                    f"<td class='num'>{esc(fmt(rec.get('row')))}</td>"
                    f"<td>{esc(rec.get('id', ''))}</td>"
                    f"<td class='input'>{esc(_clip(given, 200))}</td>"
                    f"<td>{esc(rec.get('error_stage', '') or '')}</td>"
                    f"<td>{esc(rec.get('error_code', '') or '')}</td>"
                    f"<td class='msg'>{esc(_clip(rec.get('error_message'), 300))}</td></tr>"
                )
            out.append(
                f"<h4>Errors: {len(errors):,} rows</h4><div class='ma-scroll'><table class='ma-t'>"
                "<tr><th>row</th><th>ID</th><th>input</th><th>stage</th><th>code</th>"
                f"<th>message</th></tr>{''.join(rows)}</table></div>"
                + (
                    f"<p class='ma-note'>first {_ERROR_ROWS} of {len(errors):,} error rows</p>"
                    if len(errors) > _ERROR_ROWS
                    else ""
                )
            )
        else:
            out.append("<p>No error rows.</p>")
    checks = _split_counts(table, "checks")
    if checks:
        messages = _first_messages(table)
        rows = "".join(
            f"<tr><td title='{esc(k)}'>{esc(k.replace('_', ' '))}</td><td class='num'>{fmt(v)}</td>"
            f"<td class='msg'>{esc(_clip(messages.get(k, ''), 160))}</td></tr>"
            for k, v in checks.items()
        )
        out.append(
            "<h4>Checks</h4><table class='ma-t'><tr><th>check</th><th>rows</th>"
            f"<th>example message</th></tr>{rows}</table>"
        )
    alerts = {**_split_counts(table, "pains_alerts"), **_split_counts(table, "brenk_alerts")}
    if alerts:
        rows = "".join(
            f"<tr><td>{esc(k)}</td><td class='num'>{fmt(v)}</td></tr>"
            for k, v in sorted(alerts.items(), key=lambda kv: -kv[1])[:20]
        )
        out.append(
            "<h4>Structural alerts (PAINS, Brenk)</h4><table class='ma-t'><tr><th>alert</th>"
            f"<th>rows</th></tr>{rows}</table>"
        )
    return "".join(out)


def _input_column(batch: Any) -> str | None:
    table = batch.table
    name = (getattr(batch, "columns", None) or {}).get("smiles")
    for candidate in ("smiles_input", f"{name}_input" if name else None, name):
        if candidate and candidate in table.columns and candidate != "smiles":
            return candidate
    return None


def _split_counts(table: pd.DataFrame, column: str) -> dict[str, int]:
    if column not in table:
        return {}
    values = table[column].dropna().astype(str)
    values = values[values != ""].str.split(";").explode().str.strip()
    values = values[values != ""]
    return {str(k): int(v) for k, v in values.value_counts().head(20).items()}


def _first_messages(table: pd.DataFrame) -> dict[str, str]:
    """One example ``check_messages`` text per check name."""
    out: dict[str, str] = {}
    if "check_messages" not in table:
        return out
    for text in table["check_messages"].dropna().astype(str).head(5000):
        for part in text.replace(" | ", ";").split(";"):
            name, _, msg = part.partition(":")
            name = name.strip()
            if name and name not in out and msg.strip():
                out[name] = msg.strip()
    return out


def _clip(value: Any, limit: int) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _histograms(table: pd.DataFrame, ctx: ViewContext) -> str:
    cols = [c for c in _HIST_COLUMNS if c in table and pd.api.types.is_numeric_dtype(table[c])]
    if not cols or not len(table):
        return "<p>No properties.</p>"
    valid = table[table["status"] != "error"] if "status" in table else table
    parts = [
        histogram(valid[c].to_numpy(dtype=float, na_value=np.nan), title=label(c)) for c in cols
    ]
    if "activity" in table and table["activity"].notna().any():
        p = [ctx.p_activity(int(r)) for r in valid["row"]]
        parts.append(histogram([np.nan if v is None else v for v in p], title="pActivity (molar)"))
    return f"<div class='hists'>{''.join(parts)}</div>"


def _molecules(table: pd.DataFrame, max_rows: int, ctx: ViewContext) -> str:
    if "status" in table.columns:
        rank = table["status"].map({"error": 0, "warning": 1, "ok": 2}).fillna(3)
        shown = table.assign(_rank=rank.to_numpy()).sort_values(
            ["_rank", "row"] if "row" in table else ["_rank"], kind="stable"
        )
    else:
        shown = table
    shown = shown.head(max_rows)
    cols = [c for c in _TABLE_COLUMNS if c in shown.columns]
    head = "<tr><th>structure</th><th>row</th>" + "".join(
        f"<th title='{esc(c)}'>{esc(label(c, ctx.activity_units) if c != 'id' else 'ID')}</th>"
        for c in cols
    )
    body = []
    for rec in shown.to_dict("records"):
        row = int(rec["row"])
        status = esc(rec.get("status", ""))
        cells = []
        for c in cols:
            v = rec.get(c)
            if c == "activity":
                text = ctx.activity_text(row) if v == v and v is not None else ctx.censored(row)
                cells.append(f"<td class='num'>{esc(text)}</td>")
            elif c == "checks" and rec.get("status") == "error":
                msg = f"{rec.get('error_code', '')}: {_clip(rec.get('error_message'), 160)}"
                cells.append(f"<td class='msg'>{esc(msg)}</td>")
            elif isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
                cells.append(f"<td class='num'>{esc(fmt(v))}</td>")
            else:
                cells.append(
                    f"<td class='msg'>{esc(_clip(str(v or '').replace(';', ', '), 160))}</td>"
                )
        body.append(
            f"<tr class='{status}'><td>{ctx.drawing(row, 150, 105)}</td>"
            f"<td class='num'>{row}</td>{''.join(cells)}</tr>"
        )
    note = (
        f"<p class='ma-note'>showing {len(shown):,} of {len(table):,} molecules (errors and "
        "warnings first); the full table is in the CSV/Parquet export.</p>"
        if len(shown) < len(table)
        else ""
    )
    return (
        f"{note}<div class='ma-scroll'><table class='ma-t'>{head}</tr>{''.join(body)}</table></div>"
    )


def _computed(batch: Any) -> list[tuple[str, Any]]:
    """(name, result) of the analytics already computed (never starts an expensive one)."""
    try:
        status = batch.analytics.status()
    except Exception:
        return []
    records = {str(r["name"]): r for r in status.to_dict("records")}
    names = [n for n in _ORDER if n in records] + sorted(n for n in records if n not in _ORDER)
    out = []
    for name in names:
        rec = records[name]
        if rec.get("state") not in ("cached", "done"):
            continue
        try:
            params = json.loads(rec.get("params") or "{}")
        except (TypeError, ValueError):
            params = {}
        result = None
        for attempt in (params, {}):
            try:
                # get() reads memory/disk only: a report never starts an expensive analytic
                result = batch.analytics.get(name, **attempt)
            except Exception:
                result = None
            if result is not None:
                break
        if result is not None:
            out.append((name, result))
    return out


def _analytic_html(name: str, result: Any, ctx: ViewContext) -> str:
    body = render_html(name, result, ctx, css=False)
    if body is not None:
        return body
    parts = []
    if result.message:
        parts.append(f"<p class='ma-note'>{esc(result.message)}</p>")
    parts.append(_summary_figures(result.summary))
    special = _GENERIC.get(name)
    if special is not None:
        try:
            parts.append(special(result, ctx))
        except Exception as exc:  # never lose the report to one section
            parts.append(f"<p class='ma-note'>could not draw {esc(name)}: {esc(exc)}</p>")
    return "".join(parts)


def _summary_figures(summary: dict[str, Any]) -> str:
    from molaudit.notebook.labels import format_value, summary_label

    items = []
    for key, value in (summary or {}).items():
        if isinstance(value, dict | list) and len(json.dumps(value, default=str)) > 120:
            continue  # long structures belong in the export, not in a key figure
        text = format_value(value)
        if len(text) > 80:
            continue
        items.append((text, summary_label(str(key)), str(key)))
    return figures_html(items[:16])


def _statistics(result: Any, ctx: ViewContext) -> str:
    frame = result.frames.get("properties")
    if frame is None or frame.empty:
        return ""
    cols = [c for c in ("count", "missing", "mean", "median", "std", "min", "max") if c in frame]
    rows = "".join(
        f"<tr><td title='{esc(rec['property'])}'>"
        f"{esc(label(str(rec['property']), ctx.activity_units))}</td>"
        + "".join(f"<td class='num'>{esc(fmt(rec[c]))}</td>" for c in cols)
        + "</tr>"
        for rec in frame.to_dict("records")
    )
    head = "".join(f"<th>{esc('SD' if c == 'std' else c)}</th>" for c in cols)
    return (
        f"<h4>Properties</h4><div class='ma-scroll'><table class='ma-t'><tr><th>property</th>"
        f"{head}</tr>{rows}</table></div>"
    )


def _clusters(result: Any, ctx: ViewContext) -> str:
    frame = result.frames.get("clusters")
    if frame is None or frame.empty or "centroid_row" not in frame:
        return ""
    top = frame.sort_values("size", ascending=False, kind="stable").head(ctx.max_cards)
    cards = "".join(
        f"<div class='ma-card ma-mol'>{ctx.drawing(int(r), 140, 105)}<div>centroid "
        f"{esc(ctx.ident(int(r)))}</div><div><b>{fmt(int(n))}</b> molecules</div></div>"
        for r, n in zip(top["centroid_row"], top["size"], strict=True)
    )
    return f"<h4>Largest clusters (centroids)</h4><div class='ma-cards'>{cards}</div>"


def _pairs(result: Any, ctx: ViewContext) -> str:
    frame = result.frames.get("pairs")
    if frame is None or frame.empty or "row_1" not in frame:
        return ""
    sim = "similarity" if "similarity" in frame else None
    top = frame.sort_values(sim, ascending=False, kind="stable") if sim else frame
    cards = []
    for rec in top.head(min(ctx.max_cards, 8)).to_dict("records"):
        a, b = int(rec["row_1"]), int(rec["row_2"])
        cards.append(
            f"<div class='ma-card'><h5>similarity {esc(fmt(rec.get(sim)))}</h5>"
            "<div class='ma-mols'>"
            f"<div class='ma-mol'>{ctx.drawing(a, 130, 95)}<div>{esc(ctx.ident(a))}</div></div>"
            f"<div class='ma-mol'>{ctx.drawing(b, 130, 95)}<div>{esc(ctx.ident(b))}</div></div>"
            "</div></div>"
        )
    return f"<h4>Most similar pairs</h4><div class='ma-cards'>{''.join(cards)}</div>"


def _isolated(result: Any, ctx: ViewContext) -> str:
    frame = result.frames.get("isolation")
    if frame is None or frame.empty or "max_similarity" not in frame:
        return ""
    top = frame.sort_values("max_similarity", kind="stable").head(min(ctx.max_cards, 8))
    mols = "".join(
        f"<div class='ma-mol'>{ctx.drawing(int(r), 130, 95)}<div>{esc(ctx.ident(int(r)))}</div>"
        f"<div>nearest {esc(fmt(s))}</div></div>"
        for r, s in zip(top["row"], top["max_similarity"], strict=True)
    )
    return f"<h4>Most isolated molecules</h4><div class='ma-mols'>{mols}</div>"


_GENERIC = {
    "statistics": _statistics,
    "clusters": _clusters,
    "similarity_pairs": _pairs,
    "nearest_neighbors": _isolated,
}
