"""Small static SVG plots for the views and the HTML report: no JavaScript, no plotly.js.

Every text that reaches the SVG (titles, tooltips, tick labels) is escaped. Points carry a
``<title>`` (the browser's tooltip) and optionally a link to an anchor of the page, which is how
the static report links the SALI landscape to its pair cards.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from molaudit.notebook.views._common import colour, esc, fmt

__all__ = ["heatmap", "histogram", "scatter", "strip"]

_W, _H = 560, 360
_M = (54, 16, 20, 44)  # left, right, top, bottom margins
_IDS = itertools.count()


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def _tick_text(t: float) -> str:
    return f"{round(t, 10):g}".replace("-", "−")


def _range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * 0.05 or 0.5
    return lo - pad, hi + pad


def scatter(
    x: Sequence[float],
    y: Sequence[float],
    *,
    x_title: str,
    y_title: str,
    tips: Sequence[str] | None = None,
    links: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    colour_by: Sequence[float] | None = None,
    colour_title: str = "",
    hollow: Sequence[bool] | None = None,
    lines: Sequence[tuple[float, float, float, float, str]] = (),
    width: int = _W,
    height: int = _H,
    max_points: int = 5000,
) -> str:
    """An SVG scatter plot.

    Parameters
    ----------
    x, y : sequence of float
        Coordinates (non-finite points are skipped).
    x_title, y_title : str
        Axis titles (human labels with units).
    tips : sequence of str, optional
        Tooltip of each point.
    links : sequence of str, optional
        ``#anchor`` each point links to.
    labels : sequence of str, optional
        Short text drawn beside each point (card numbers).
    colour_by : sequence of float, optional
        Values mapped to a sequential colour (legend gives the range).
    hollow : sequence of bool, optional
        Points drawn as open circles (censored values).
    lines : sequence of (x0, y0, x1, y1, label)
        Reference lines in data coordinates (iso-LLE lines), clipped to the plot.
    max_points : int
        Above this many points a seeded random sample is drawn (said under the plot).
    """
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.flatnonzero(np.isfinite(xs) & np.isfinite(ys))
    note = ""
    if len(keep) > max_points:
        keep = np.sort(np.random.default_rng(0).choice(keep, max_points, replace=False))
        note = f"a random sample of {max_points:,} of {int(np.isfinite(xs).sum()):,} points"
    x0, x1 = _range(xs[keep])
    y0, y1 = _range(ys[keep])
    left, right, top, bottom = _M
    if colour_by is not None:
        top += 30  # the colour legend sits above the plot, never over points
    pw, ph = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * pw

    def py(v: float) -> float:
        return top + ph - (v - y0) / (y1 - y0) * ph

    out = [
        f"<svg class='ma-plot' xmlns='http://www.w3.org/2000/svg' width='{width}' "
        f"height='{height}' viewBox='0 0 {width} {height}' font-family='sans-serif' "
        "font-size='11'>",
        f"<rect x='{left}' y='{top}' width='{pw}' height='{ph}' fill='none' stroke='#bbb'/>",
    ]
    for t in _ticks(x0, x1):
        out.append(
            f"<line x1='{px(t):.1f}' x2='{px(t):.1f}' y1='{top + ph}' y2='{top + ph + 4}' "
            f"stroke='#888'/><text x='{px(t):.1f}' y='{top + ph + 16}' text-anchor='middle' "
            f"fill='#555'>{esc(_tick_text(t))}</text>"
        )
    for t in _ticks(y0, y1):
        out.append(
            f"<line x1='{left - 4}' x2='{left}' y1='{py(t):.1f}' y2='{py(t):.1f}' "
            f"stroke='#888'/><text x='{left - 6}' y='{py(t) + 4:.1f}' text-anchor='end' "
            f"fill='#555'>{esc(_tick_text(t))}</text>"
        )
    out.append(
        f"<text x='{left + pw / 2}' y='{height - 8}' text-anchor='middle' fill='#333'>"
        f"{esc(x_title)}</text><text transform='translate(14,{top + ph / 2}) rotate(-90)' "
        f"text-anchor='middle' fill='#333'>{esc(y_title)}</text>"
    )
    clip = f"ma-clip-{next(_IDS)}"
    out.append(
        f"<clipPath id='{clip}'><rect x='{left}' y='{top}' width='{pw}' height='{ph}'/></clipPath>"
    )
    for lx0, ly0, lx1, ly1, text in lines:
        out.append(
            f"<line clip-path='url(#{clip})' x1='{px(lx0):.1f}' y1='{py(ly0):.1f}' "
            f"x2='{px(lx1):.1f}' y2='{py(ly1):.1f}' stroke='#999' stroke-dasharray='4 3'/>"
        )
        # the label sits where the line leaves the top or the right edge of the plot
        lx, ly = _exit_point(lx0, ly0, lx1, ly1, x1, y1)
        if x0 <= lx <= x1 and y0 <= ly <= y1:
            out.append(
                f"<text x='{px(lx) - 2:.1f}' y='{py(ly) + 11:.1f}' text-anchor='end' "
                f"fill='#888' font-size='10'>{esc(text)}</text>"
            )
    cvals = np.asarray(colour_by, dtype=float) if colour_by is not None else None
    clo, chi = (
        (float(np.nanmin(cvals)), float(np.nanmax(cvals)))
        if cvals is not None and np.isfinite(cvals).any()
        else (0.0, 1.0)
    )
    for i in keep:
        fill = colour(float(cvals[i]), clo, chi) if cvals is not None else "#4c78a8"
        is_hollow = bool(hollow[i]) if hollow is not None else False
        style = (
            f"fill='none' stroke='{fill if cvals is not None else '#4c78a8'}' stroke-width='1.5'"
            if is_hollow
            else f"fill='{fill}' stroke='#335' stroke-width='0.5'"
        )
        circle = f"<circle cx='{px(xs[i]):.1f}' cy='{py(ys[i]):.1f}' r='4' {style}>"
        circle += f"<title>{esc(tips[i])}</title></circle>" if tips is not None else "</circle>"
        if labels is not None and labels[i]:
            circle += (
                f"<text x='{px(xs[i]) + 6:.1f}' y='{py(ys[i]) - 4:.1f}' fill='#333' "
                f"font-size='10'>{esc(labels[i])}</text>"
            )
        if links is not None and links[i]:
            circle = f"<a href='{esc(links[i])}'>{circle}</a>"
        out.append(circle)
    if cvals is not None:
        out.append(_legend(width - right - 150, 2, clo, chi, colour_title))
    out.append("</svg>")
    svg = "".join(out)
    return svg + (f"<p class='ma-note'>{esc(note)}</p>" if note else "")


def _exit_point(
    ax: float, ay: float, bx: float, by: float, xmax: float, ymax: float
) -> tuple[float, float]:
    if by == ay:
        return xmax, ay
    if bx == ax:
        return ax, ymax
    slope = (by - ay) / (bx - ax)
    x_at_top = ax + (ymax - ay) / slope
    return (x_at_top, ymax) if x_at_top <= xmax else (xmax, ay + slope * (xmax - ax))


def _legend(x: float, y: float, lo: float, hi: float, title: str) -> str:
    cells = "".join(
        f"<rect x='{x + i * 15}' y='{y + 12}' width='15' height='8' "
        f"fill='{colour(lo + (hi - lo) * i / 9, lo, hi)}'/>"
        for i in range(10)
    )
    return (
        f"<g><text x='{x}' y='{y + 9}' font-size='10' fill='#333'>{esc(title)}</text>{cells}"
        f"<text x='{x}' y='{y + 31}' font-size='9' fill='#555'>{esc(fmt(lo))}</text>"
        f"<text x='{x + 150}' y='{y + 31}' font-size='9' fill='#555' text-anchor='end'>"
        f"{esc(fmt(hi))}</text></g>"
    )


def heatmap(
    matrix: np.ndarray,
    *,
    labels: Sequence[str],
    title: str = "Tanimoto similarity",
    max_cells: int = 60,
    size: int = 520,
) -> str:
    """An SVG heatmap of a square matrix in [0, 1]; above ``max_cells`` rows it is block-averaged.

    Each cell's tooltip names the two molecules (or the block's row range) and the value.
    """
    m = np.asarray(matrix, dtype=float)
    n = m.shape[0]
    note = ""
    names = list(labels)
    if n > max_cells:
        edges = np.linspace(0, n, max_cells + 1).astype(int)
        m = np.array(
            [
                [
                    np.nanmean(m[edges[i] : edges[i + 1], edges[j] : edges[j + 1]])
                    for j in range(max_cells)
                ]
                for i in range(max_cells)
            ]
        )
        names = [f"{labels[edges[i]]} … {labels[edges[i + 1] - 1]}" for i in range(max_cells)]
        note = f"{n:,} molecules shown as {max_cells} × {max_cells} blocks (block means)"
    k = m.shape[0]
    cell = size / max(k, 1)
    out = [
        f"<svg class='ma-plot' xmlns='http://www.w3.org/2000/svg' width='{size + 170}' "
        f"height='{size + 10}' viewBox='0 0 {size + 170} {size + 10}' font-family='sans-serif'>"
    ]
    for i in range(k):
        for j in range(k):
            v = m[i, j]
            out.append(
                f"<rect x='{j * cell:.1f}' y='{i * cell:.1f}' width='{cell + 0.3:.1f}' "
                f"height='{cell + 0.3:.1f}' fill='{colour(v, 0.0, 1.0)}'><title>"
                f"{esc(names[i])} / {esc(names[j])}: {v:.2f}</title></rect>"
            )
    out.append(_legend(size + 12, 4, 0.0, 1.0, title))
    out.append("</svg>")
    return "".join(out) + (f"<p class='ma-note'>{esc(note)}</p>" if note else "")


def strip(values: Sequence[float], *, lo: float, hi: float, width: int = 140) -> str:
    """A one-line strip plot of Δ values on a shared axis [lo, hi], zero marked, mean as a bar."""
    vals = np.asarray([v for v in values if v == v], dtype=float)
    h = 18
    span = (hi - lo) or 1.0

    def px(v: float) -> float:
        return 4 + (v - lo) / span * (width - 8)

    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{h}' "
        f"viewBox='0 0 {width} {h}'><line x1='4' x2='{width - 4}' y1='9' y2='9' stroke='#ccc'/>"
    ]
    if lo <= 0 <= hi:
        parts.append(f"<line x1='{px(0):.1f}' x2='{px(0):.1f}' y1='2' y2='16' stroke='#999'/>")
    for v in vals[:200]:
        parts.append(f"<circle cx='{px(v):.1f}' cy='9' r='2.5' fill='#4c78a8' fill-opacity='0.6'/>")
    if len(vals):
        mean = float(vals.mean())
        parts.append(
            f"<line x1='{px(mean):.1f}' x2='{px(mean):.1f}' y1='1' y2='17' stroke='#d62728' "
            "stroke-width='2'/>"
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    values: Sequence[float], *, title: str, bins: int = 30, width: int = 270, height: int = 150
) -> str:
    """A small SVG histogram (binned here, in the kernel); NaN values are counted in the title."""
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    missing = int(arr.size - finite.size)
    head = f"{title}" + (f" ({missing:,} missing)" if missing else "")
    if not finite.size:
        return f"<div class='ma-note'>{esc(head)}: no values</div>"
    counts, edges = np.histogram(finite, bins=bins)
    left, bottom, top = 8, 30, 18
    pw, ph = width - 2 * left, height - top - bottom
    peak = max(int(counts.max()), 1)
    bar_w = pw / len(counts)
    out = [
        f"<svg class='ma-plot' xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}'"
        f" viewBox='0 0 {width} {height}' font-family='sans-serif' font-size='10'>"
        f"<text x='{left}' y='12' font-size='11' fill='#333'>{esc(head)}</text>"
    ]
    for i, c in enumerate(counts):
        h = ph * int(c) / peak
        out.append(
            f"<rect x='{left + i * bar_w:.1f}' y='{top + ph - h:.1f}' "
            f"width='{max(bar_w - 1, 0.5):.1f}' height='{h:.1f}' fill='#4c78a8'>"
            f"<title>{esc(_tick_text(edges[i]))} – "
            f"{esc(_tick_text(edges[i + 1]))}: {int(c):,}</title></rect>"
        )
    out.append(
        f"<line x1='{left}' x2='{left + pw}' y1='{top + ph}' y2='{top + ph}' stroke='#888'/>"
        f"<text x='{left}' y='{top + ph + 13}' fill='#555'>{esc(fmt(float(edges[0])))}</text>"
        f"<text x='{left + pw}' y='{top + ph + 13}' fill='#555' text-anchor='end'>"
        f"{esc(fmt(float(edges[-1])))}</text>"
        f"<text x='{left + pw / 2}' y='{top + ph + 13}' fill='#555' text-anchor='middle'>"
        f"median {esc(fmt(float(np.median(finite))))}</text></svg>"
    )
    return "".join(out)
