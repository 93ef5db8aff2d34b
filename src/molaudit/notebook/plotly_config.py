"""The one plotly configuration used by every molaudit plot (panel and HTML report).

Private by construction: plotly.js 4 shows a "Share chart" button by default that uploads the
figure to ``https://cloud.plotly.com`` (``showSendToCloud`` defaults to true and
``plotlyServerURL`` to the cloud). Here the mode bar is an explicit allow-list of local
actions, the cloud URL is empty and the logo is off, so no control can send data anywhere.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "FORBIDDEN_BUTTONS",
    "MODEBAR_BUTTONS",
    "SELECT_BUTTONS",
    "plotly_config",
]

#: Local, harmless mode-bar buttons (zoom, pan, reset, save a PNG in the browser).
MODEBAR_BUTTONS: tuple[str, ...] = (
    "zoom2d",
    "pan2d",
    "zoomIn2d",
    "zoomOut2d",
    "resetScale2d",
    "toImage",
)
#: Added for plots whose points can be selected (scatter, bars).
SELECT_BUTTONS: tuple[str, ...] = ("select2d", "lasso2d")
#: Buttons that send data off the machine or export the raw data: never shown.
FORBIDDEN_BUTTONS: tuple[str, ...] = ("sendChartToCloud", "downloadJson", "editInChartStudio")

_BASE: dict[str, Any] = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "sendData": False,
    "plotlyServerURL": "",
    "linkText": "",
    "displayModeBar": "hover",
    "responsive": True,
    "scrollZoom": False,
}


def plotly_config(*, select: bool = False, filename: str = "molaudit-plot") -> dict[str, Any]:
    """A fresh plotly.js ``config`` dict.

    Parameters
    ----------
    select : bool
        Offer the box and lasso selection buttons.
    filename : str
        Name of the PNG the camera button saves (in the browser).

    Returns
    -------
    dict
        ``displaylogo`` False, ``showSendToCloud`` False, ``plotlyServerURL`` '' and
        ``modeBarButtons`` an explicit allow-list (:data:`MODEBAR_BUTTONS`, plus
        :data:`SELECT_BUTTONS` when ``select``).
    """
    config = copy.deepcopy(_BASE)
    buttons = [*MODEBAR_BUTTONS[:2], *(SELECT_BUTTONS if select else ()), *MODEBAR_BUTTONS[2:]]
    config["modeBarButtons"] = [buttons]
    config["toImageButtonOptions"] = {"format": "png", "filename": filename, "scale": 2}
    return config
