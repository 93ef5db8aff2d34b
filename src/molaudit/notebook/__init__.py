"""molaudit in Jupyter: the panel, the paged molecule table, plots, magics and the HTML report.

Submodules are imported on first use so that ``import molaudit`` stays light outside notebooks.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "MoleculeTable",
    "Panel",
    "TableModel",
    "jupyter_data_path",
    "load_ipython_extension",
    "write_report",
]

_LAZY = {
    "MoleculeTable": "table_widget",
    "Panel": "panel",
    "TableModel": "table",
    "load_ipython_extension": "magics",
    "write_report": "report",
}


def jupyter_data_path() -> str:
    """The folder to add to ``JUPYTER_PATH`` for molaudit's Voila template (``molaudit``).

    The template is Voila's lab template with nothing fetched from outside the machine::

        JUPYTER_PATH=$(python -c "import molaudit.notebook as n; print(n.jupyter_data_path())") \\
            voila --template=molaudit notebook.ipynb
    """
    from pathlib import Path

    return str(Path(__file__).parent / "jupyter")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
