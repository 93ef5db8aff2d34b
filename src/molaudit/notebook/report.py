"""A self-contained HTML report of a batch: opens offline, no CDN, every data string escaped.

plotly.js is embedded once (about 4.6 MB) so that the plots work without a network; structures
are inline SVG data URIs. The molecule table lists at most ``max_rows`` rows (errors first), so
the file size stays bounded whatever the batch size.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from molaudit.notebook.depict import img_tag

__all__ = ["render_report", "write_report"]

_TABLE_COLUMNS = (
    "row",
    "id",
    "status",
    "score",
    "error_code",
    "checks",
    "activity",
    "smiles",
    "mw",
    "clogp",
    "tpsa",
    "qed",
)
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222}
h1{margin-bottom:0}.sub{color:#666;margin-top:4px}
.kfs{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.kf{border:1px solid #ddd;border-radius:6px;padding:6px 12px}
.kf b{display:block;font-size:18px}.kf span{color:#666;font-size:12px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;vertical-align:middle}
th{background:#f6f6f6}.num{text-align:right}
tr.error td{color:#842029}.note{color:#666;font-size:12px}
section{margin-top:28px}
"""


def render_report(batch: Any, *, max_rows: int = 500, plots: bool = True) -> str:
    """The report as one HTML string.

    Parameters
    ----------
    batch : molaudit.Batch
        The audited batch.
    max_rows : int
        Molecules listed with structures (error and warning rows first).
    plots : bool
        Include plotly histograms (embeds plotly.js once).
    """
    table = batch.table
    summary = _summary(batch)
    title = f"molaudit report — {len(table):,} molecules"
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p class='sub'>source {html.escape(str(getattr(batch, 'source', '') or 'in memory'))}"
        f" · generated {_dt.datetime.now(_dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
        f" · batch key {html.escape(str(getattr(batch, 'key', '') or '')[:16])}</p>",
    ]
    counts = table["status"].value_counts().to_dict() if "status" in table else {}
    figures = {"molecules": len(table)}
    figures.update({s: int(counts.get(s, 0)) for s in ("ok", "warning", "error")})
    out.append(_key_figures(figures))
    out.append("<section><h2>Errors and checks</h2><div style='display:flex;gap:40px'>")
    out.append(_counts("error code", summary.get("by_error_code") or _top(table, "error_code")))
    out.append(_counts("check", summary.get("by_check") or _top(table, "checks", ";")))
    out.append("</div></section>")
    if plots:
        out.append(_plots(table))
    out.append(_molecules(table, max_rows, dict(getattr(batch, "columns", None) or {})))
    out.append(_analytics(batch))
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
def _summary(batch: Any) -> dict:
    try:
        return dict(batch.summary())
    except Exception:
        return {}


def _top(table: pd.DataFrame, column: str, split: str | None = None) -> dict:
    if column not in table.columns:
        return {}
    values = table[column].dropna().astype(str)
    values = values[values != ""]
    if split:
        values = values.str.split(split).explode()
    return values.value_counts().head(15).to_dict()


def _key_figures(figures: dict[str, Any]) -> str:
    cells = "".join(
        f"<div class='kf'><b>{html.escape(_fmt(v))}</b><span>{html.escape(str(k))}</span></div>"
        for k, v in figures.items()
    )
    return f"<div class='kfs'>{cells}</div>"


def _counts(label: str, counts: Any) -> str:
    if isinstance(counts, pd.Series):
        counts = counts.to_dict()
    if not counts:
        return f"<div><h3>{html.escape(label)}</h3><p class='note'>none</p></div>"
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td class='num'>{html.escape(_fmt(v))}</td></tr>"
        for k, v in sorted(counts.items(), key=lambda kv: -float(kv[1] or 0))[:15]
    )
    return (
        f"<div><h3>{html.escape(label)}</h3><table><tr><th>{html.escape(label)}</th>"
        f"<th>rows</th></tr>{rows}</table></div>"
    )


def _plots(table: pd.DataFrame) -> str:
    from molaudit.notebook.plots import histograms

    cols = [c for c in ("mw", "clogp", "tpsa", "qed", "score", "heavy_atoms") if c in table]
    if not cols or not len(table):
        return ""
    fig = histograms(table, cols, widget=False)
    # include_plotlyjs=True inlines plotly.js: the report must open offline (no CDN)
    body = fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    return f"<section><h2>Properties</h2>{body}</section>"


def _input_smiles(columns: dict, shown: pd.DataFrame) -> list[str]:
    name = columns.get("smiles")
    for candidate in (f"{name}_input" if name else None, name):
        if candidate and candidate in shown.columns and candidate != "smiles":
            return [v if isinstance(v, str) else "" for v in shown[candidate].tolist()]
    return [""] * len(shown)


def _molecules(table: pd.DataFrame, max_rows: int, batch_columns: dict) -> str:
    if "status" in table.columns:
        rank = table["status"].map({"error": 0, "warning": 1, "ok": 2}).fillna(3)
        shown = table.assign(_rank=rank.to_numpy()).sort_values(
            ["_rank", "row"] if "row" in table else ["_rank"], kind="stable"
        )
    else:
        shown = table
    shown = shown.head(max_rows)
    cols = [c for c in _TABLE_COLUMNS if c in shown.columns]
    head = "<tr><th>structure</th>" + "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = []
    records = shown[cols].to_dict("records")
    smiles = shown["smiles"].tolist() if "smiles" in shown else [""] * len(shown)
    given = _input_smiles(batch_columns, shown)
    # error rows have no parsed SMILES: draw the input as given (parsed without sanitizing)
    smiles = [s if isinstance(s, str) and s else g for s, g in zip(smiles, given, strict=True)]
    for rec, smi in zip(records, smiles, strict=True):
        status = html.escape(str(rec.get("status", "")), quote=True)
        cells = "".join(
            f"<td{' class=num' if isinstance(v, int | float) else ''}>{html.escape(_fmt(v))}</td>"
            for v in rec.values()
        )
        pic = img_tag(smi if isinstance(smi, str) else "", 150, 100)
        body.append(f"<tr class='{status}'><td>{pic}</td>{cells}</tr>")
    note = (
        f"<p class='note'>showing {len(shown):,} of {len(table):,} molecules (errors and "
        "warnings first); the full table is in the CSV/Parquet export.</p>"
        if len(shown) < len(table)
        else ""
    )
    return f"<section><h2>Molecules</h2>{note}<table>{head}</tr>{''.join(body)}</table></section>"


def _analytics(batch: Any) -> str:
    """Results of the analytics that are already computed (never starts an expensive one)."""
    try:
        status = batch.analytics.status()
    except Exception:
        return ""
    out = []
    for rec in status.to_dict("records"):
        name = str(rec.get("name"))
        if rec.get("state") not in ("cached", "done") and rec.get("kind") != "cheap":
            continue
        try:
            # get() reads memory/disk only: a report never starts an expensive analytic
            getter = getattr(batch.analytics, "get", None)
            result = getter(name) if getter is not None else None
            if result is None and rec.get("kind") == "cheap":
                result = batch.analytics.run(name)
            if result is None:
                continue
        except Exception as exc:
            out.append(
                f"<section><h2>{html.escape(name)}</h2><p class='note'>failed: "
                f"{html.escape(str(exc))}</p></section>"
            )
            continue
        parts = [f"<section><h2>{html.escape(name)}</h2>"]
        if result.message:
            parts.append(f"<p class='note'>{html.escape(result.message)}</p>")
        if result.summary:
            parts.append(_key_figures({k: _short(v) for k, v in result.summary.items()}))
        for frame_name, frame in result.frames.items():
            parts.append(f"<h3>{html.escape(frame_name)} ({len(frame):,} rows)</h3>")
            # pandas escapes cell contents with escape=True (the default; stated for reviewers)
            parts.append(
                frame.head(30).to_html(escape=True, index=False, max_cols=25, border=0, na_rep="")
            )
        parts.append("</section>")
        out.append("".join(parts))
    return "\n".join(out)


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if isinstance(value, dict | list) else _fmt(value)
    return text if len(text) <= 120 else text[:119] + "…"


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    return str(value)
