"""Molecules typed into a notebook cell or a text box: one ``SMILES [id [activity]]`` per line."""

from __future__ import annotations

import shlex

import pandas as pd

__all__ = ["parse_smiles_block"]


def parse_smiles_block(text: str) -> pd.DataFrame:
    """Parse ``SMILES [id [activity]]`` lines (blank lines and ``#`` comments skipped).

    Returns
    -------
    pandas.DataFrame
        Column ``smiles``; ``id`` when any line has a second field; ``activity`` (text, parsed
        by the audit) when any line has a third field.
    """
    records: list[list[str]] = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = shlex.split(stripped, posix=True) if '"' in stripped else stripped.split()
        records.append([*parts[:2], " ".join(parts[2:])] if len(parts) > 2 else parts)
    width = max((len(r) for r in records), default=1)
    names = ["smiles", "id", "activity"][:width]
    rows = [r + [""] * (width - len(r)) for r in records]
    frame = pd.DataFrame(rows, columns=names)
    if "id" in frame.columns:
        frame["id"] = frame["id"].where(frame["id"] != "", None)
    return frame
