"""The base of every molaudit anywidget: a key that lets the front end see it initialized.

anywidget 0.11 gives each widget model two seconds, from its creation in the browser, to load
its front-end module; a model that misses the deadline rejects its ``ready`` promise with
"[anywidget] Failed to initialize model." and from then on drops every message the kernel
sends it (figure updates, table pages, the plotly.js bundle). The deadline is missed when the
page's main thread is blocked for seconds, which is what evaluating plotly.js (4.8 MB: 1 to 5 s
on a loaded 2-core machine) or drawing a large WebGL plot does. So molaudit's front ends run
such work only when no anywidget model of the page is still initializing (``static/plot.js``,
``quiet()``); each molaudit model reports that it initialized by adding its :attr:`_ma_key`
to a page-wide set from its module's ``initialize`` hook.
"""

from __future__ import annotations

import uuid

import anywidget
import traitlets as t

__all__ = ["MolauditWidget"]


class MolauditWidget(anywidget.AnyWidget):
    """An anywidget whose front end marks ``_ma_key`` as initialized (see the module doc)."""

    _ma_key = t.Unicode().tag(sync=True)

    @t.default("_ma_key")
    def _new_key(self) -> str:
        return uuid.uuid4().hex
