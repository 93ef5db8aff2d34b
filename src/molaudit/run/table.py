"""Table assembly: the input columns, the row/id/activity columns, then the audit records.

One job: turn an :class:`~molaudit.ingest.readers.InputTable` and the runner's records into
``Batch.table`` (naming rule in :mod:`molaudit.schema`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molaudit.ingest import columns as cols
from molaudit.ingest.readers import InputTable
from molaudit.schema import input_renaming

__all__ = ["build_table", "text_columns_as_str"]


def build_table(table_in: InputTable, records: pd.DataFrame) -> pd.DataFrame:
    """``Batch.table`` before the batch-level checks.

    Returns
    -------
    pandas.DataFrame
        The input columns (renamed ``<name>_input`` on a clash with an audit column), then
        ``row``, ``id``, ``activity``, ``activity_note``, then the columns of ``records``; one
        row per input record, in input order.
    """
    frame = text_columns_as_str(table_in.frame.copy())
    renamed = input_renaming(list(frame.columns))
    frame.columns = [renamed[c] for c in frame.columns]
    n = len(records)
    if table_in.id_col is not None:
        raw = frame[renamed[table_in.id_col]]
        ids = raw.astype("str").fillna("")
        ids = pd.array(ids.to_numpy(), dtype="str")
    else:
        ids = pd.array([f"row_{i}" for i in range(n)], dtype="str")
    if table_in.activity_col is not None:
        values, notes = cols.parse_activity(frame[renamed[table_in.activity_col]])
    else:
        values, notes = np.full(n, np.nan), [""] * n
    head = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "id": ids,
            "activity": values,
            "activity_note": pd.array(notes, dtype="str"),
        }
    )
    return pd.concat([frame, head, records], axis=1)


def text_columns_as_str(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns that hold only text (and missing values) as pandas' ``str`` dtype.

    That is the dtype a cached (Parquet) table comes back with, so a warm batch equals the cold
    one column for column; columns with anything but text in them are left as they are.
    """
    for i in range(frame.shape[1]):  # by position: a DataFrame may repeat a column name
        series = frame.iloc[:, i]
        if series.dtype != object:
            continue
        if all(isinstance(v, str) for v in series.dropna().tolist()):
            frame.isetitem(i, series.astype("str"))
    return frame
