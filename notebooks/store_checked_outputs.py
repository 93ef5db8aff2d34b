"""Execute the notebooks and keep only the outputs of ``# NBVAL_CHECK_OUTPUT`` cells.

    python notebooks/store_checked_outputs.py [NOTEBOOK ...]

Notebooks are stored without outputs (no widget state, no plots: file size must not depend on
the data) except the small deterministic text outputs that nbval compares. Run this after a
change that legitimately changes one of those outputs, and review the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent
MARK = "# NBVAL_CHECK_OUTPUT"


def store(path: Path) -> None:
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    count = 0
    for cell in book.cells:
        if cell.cell_type != "code":
            continue
        keep = cell.source.lstrip().startswith(MARK)
        # nbval skips ("unrun reference cell") outputs of cells without an execution count
        count += keep
        # text only: stream output and the plain-text form of a result
        cell.outputs = [
            o for o in cell.outputs if keep and o.get("output_type") in ("stream", "execute_result")
        ]
        for out in cell.outputs:
            if out.get("output_type") == "execute_result":
                out["execution_count"] = count
                out["data"] = {k: v for k, v in out["data"].items() if k == "text/plain"}
        cell.execution_count = count if keep else None
        cell.metadata.pop("execution", None)
    book.metadata.pop("widgets", None)
    nbformat.write(book, path)
    print(f"{path.name}: stored")


if __name__ == "__main__":
    targets = [Path(p) for p in sys.argv[1:]] or sorted(HERE.glob("[0-9][0-9]_*.ipynb"))
    for target in targets:
        store(target)
