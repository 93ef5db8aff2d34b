"""One chemistry-shaped view per analytic, shared by the panel and the HTML report.

``VIEWS`` maps an analytic name to ``render(result, ctx) -> str`` (escaped HTML: cards,
drawings, static SVG plots). :func:`render_html` wraps a view with its CSS and turns a failing
view into a visible message, so a view bug never hides a result.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from molaudit.notebook.views import (
    chemspace,
    cliffs,
    curate,
    duplicates,
    lle,
    mmp,
    rgroups,
    scaffolds,
    similarity,
)
from molaudit.notebook.views._common import CSS, ViewContext

__all__ = ["CSS", "VIEWS", "ViewContext", "render_html"]

View = Callable[..., str]  # (result, ctx, **options) -> HTML

VIEWS: dict[str, View] = {
    "dedup": duplicates.render,
    "mmp": mmp.render,
    "activity_cliffs": cliffs.render,
    "rgroups": rgroups.render,
    "scaffolds": scaffolds.render,
    "similarity_matrix": similarity.render,
    "lle": lle.render,
    "chemical_space": chemspace.render,
    "curate": curate.render,
}


def render_html(
    name: str, result: Any, ctx: ViewContext, *, css: bool = True, **options: Any
) -> str | None:
    """The view of ``result`` as HTML, or None when ``name`` has no dedicated view.

    Parameters
    ----------
    name : str
        Registered analytic name.
    result : AnalyticResult
    ctx : ViewContext
    css : bool
        Include the views' ``<style>`` (the report includes it once for the page instead).
    **options
        Passed to the view (the R-group view's ``rows``/``columns`` axis choice).
    """
    view = VIEWS.get(name)
    if view is None:
        return None
    try:
        body = view(result, ctx, **options)
    except Exception as exc:  # shown where the view would be: a bug must not hide the result
        body = (
            "<div class='ma-error' style='color:#842029;background:#f8d7da;padding:2px 8px'>"
            f"the {html.escape(name)} view failed: {html.escape(type(exc).__name__)}: "
            f"{html.escape(str(exc))}</div>"
        )
    style = f"<style>{CSS}</style>" if css else ""
    return f"{style}<div class='ma-v'>{body}</div>"
