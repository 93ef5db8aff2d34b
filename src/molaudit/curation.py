"""Public entry points of curation and comparison: :func:`curate`, :func:`compare`, splits.

>>> import molaudit
>>> result = molaudit.curate("assay.csv", recipe="recipe.json")  # doctest: +SKIP
>>> molaudit.compare(train_batch, test_batch).summary["sentence"]  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from molaudit.analytics._base import AnalyticResult
from molaudit.analytics.compare import ComparisonResult, compare_inputs
from molaudit.analytics.split import SplitResult
from molaudit.batch import Batch
from molaudit.options import AuditOptions

__all__ = [
    "batch_curate",
    "batch_split",
    "compare",
    "compare_rows",
    "curate",
    "curated_table",
    "load_recipe",
]

#: Curation parameters a recipe carries.
RECIPE_PARAMS = ("level", "aggregate", "max_spread", "activity_units")


def batch_curate(batch: Batch, **params: Any) -> AnalyticResult:
    """``batch.curate(**params)``: run (or read from the cache) the ``curate`` analytic."""
    return batch.curate(**params)


def batch_split(
    batch: Batch,
    method: str = "scaffold",
    test_fraction: float = 0.2,
    seed: int = 0,
    **params: Any,
) -> SplitResult:
    """``batch.split(...)``: train/test rows with ``compare(train, test)`` as ``.leakage``."""
    return batch.split(method, test_fraction, seed, **params)


def load_recipe(recipe: dict | str | os.PathLike) -> dict[str, Any]:
    """A curation recipe from a dict, a JSON text or a JSON file; checked.

    Raises
    ------
    ValueError
        Not a molaudit curation recipe, or a recipe without one of its fields.
    """
    if isinstance(recipe, dict):
        data = dict(recipe)
    else:
        text = str(recipe)
        path = Path(text)
        if not text.lstrip().startswith("{"):
            if not path.is_file():
                raise ValueError(f"recipe file {text!r} does not exist")
            text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"recipe is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("molaudit_recipe") != "curate":
        raise ValueError(
            "not a molaudit curation recipe (expected a JSON object with "
            '"molaudit_recipe": "curate", as in result.summary[\'recipe\'])'
        )
    missing = [k for k in (*RECIPE_PARAMS, "options") if k not in data]
    if missing:
        raise ValueError(f"the recipe lacks {', '.join(missing)}")
    return data


def curate(
    data: Any,
    *,
    recipe: dict | str | os.PathLike | None = None,
    n_jobs: int = -1,
    cache: bool = True,
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    **params: Any,
) -> AnalyticResult:
    """Curate a data set to one activity per compound; replay a recipe exactly.

    Parameters
    ----------
    data : Batch or anything :func:`molaudit.audit` accepts
        The data set. Anything that is not a batch is audited first, with the recipe's
        columns, activity units and audit options when a recipe is given.
    recipe : dict, JSON text or path, optional
        ``result.summary['recipe']`` of an earlier curation (also what ``molaudit curate``
        writes to ``OUT.recipe.json``): level, aggregate, max_spread, activity units, columns
        and audit options are taken from it, so another machine reproduces the same table.
    n_jobs, cache, cache_dir, progress
        Passed to :func:`molaudit.audit` when ``data`` is not a batch.
    **params
        Curation parameters (``level``, ``aggregate``, ``max_spread``, ``activity_units``);
        with a recipe, they must not contradict it.

    Returns
    -------
    AnalyticResult
        The ``curate`` result (frames ``curated``, ``decisions``, ``stereo_cliffs``; see
        :func:`molaudit.analytics.curate.curate`).

    Raises
    ------
    ValueError
        A bad recipe, parameters contradicting it, or a batch audited with other options than
        the recipe's.
    """
    from molaudit.api import audit

    audit_kwargs: dict[str, Any] = {}
    if recipe is not None:
        rec = load_recipe(recipe)
        for key in RECIPE_PARAMS:
            if key in params and params[key] != rec[key]:
                raise ValueError(
                    f"{key}={params[key]!r} contradicts the recipe ({key}={rec[key]!r}); leave "
                    "it out or edit the recipe"
                )
            params[key] = rec[key]
        options = AuditOptions.from_dict(rec["options"])
        digest = rec.get("options_digest")
        if digest is not None and digest != options.digest():
            warnings.warn(
                "the recipe's audit options do not match its options digest (made by another "
                "molaudit version?); the options in the recipe are used",
                stacklevel=2,
            )
        columns = rec.get("columns") or {}
        audit_kwargs = {
            "smiles_col": columns.get("smiles"),
            "id_col": columns.get("id"),
            "activity_col": columns.get("activity"),
            "options": options,
            "activity_units": rec.get("activity_units"),
        }
        if isinstance(data, Batch) and data.options.digest() != options.digest():
            raise ValueError(
                "this batch was audited with other options than the recipe's; pass the input "
                "data instead of the batch so that it is audited with the recipe's options"
            )
    if isinstance(data, Batch):
        batch = data
    else:
        batch = audit(
            data, n_jobs=n_jobs, cache=cache, cache_dir=cache_dir, progress=progress, **audit_kwargs
        )
    return batch_curate(batch, **params)


def _as_batch(data: Any, audit_kwargs: dict[str, Any]) -> Batch:
    if isinstance(data, Batch):
        return data
    from molaudit.api import audit

    return audit(data, **audit_kwargs)


def compare(
    reference: Any,
    other: Any,
    *,
    n_jobs: int = -1,
    cache: bool = True,
    progress: bool = False,
    options: AuditOptions | None = None,
    **audit_kwargs: Any,
) -> ComparisonResult:
    """Compare batch ``other`` with batch ``reference``.

    Parameters
    ----------
    reference, other : Batch or anything :func:`molaudit.audit` accepts
        The two sets (a training set and a test set, last week's and this week's upload).
        Inputs that are not batches are audited with ``options`` and ``audit_kwargs``.
    n_jobs : int
        Threads for the similarity search and workers for the audits.
    cache, progress, options, **audit_kwargs
        Passed to :func:`molaudit.audit` for inputs that are not batches.

    Returns
    -------
    ComparisonResult
        Frames ``nearest``, ``overlap``, ``property_shift``, ``scaffolds`` and a summary
        whose ``sentence`` says how much of ``other`` is within 0.9 / 0.7 Tanimoto of
        ``reference`` (see :func:`molaudit.analytics.compare.compare_inputs`);
        ``result.show()`` draws it in a notebook.
    """
    kwargs = {"n_jobs": n_jobs, "cache": cache, "progress": progress, "options": options,
              **audit_kwargs}  # fmt: skip
    ref = _as_batch(reference, kwargs)
    oth = _as_batch(other, kwargs)
    if ref.options.fp_size != oth.options.fp_size or ref.options.fp_radius != oth.options.fp_radius:
        raise ValueError(
            "the two batches were audited with different fingerprints (fp_radius/fp_size "
            f"{ref.options.fp_radius}/{ref.options.fp_size} and {oth.options.fp_radius}/"
            f"{oth.options.fp_size}): audit both with the same AuditOptions"
        )
    return compare_inputs(ref.analytics.input(), oth.analytics.input(), n_jobs=n_jobs)


def compare_rows(
    batch: Batch, reference_rows: Any, other_rows: Any, *, n_jobs: int | None = None
) -> ComparisonResult:
    """Compare two parts of one batch (a given train/test split, two assay dates, ...).

    Parameters
    ----------
    batch : Batch
        The audited batch.
    reference_rows, other_rows : sequence of int
        Input rows of the reference part and of the part compared with it.

    Returns
    -------
    ComparisonResult
        As :func:`compare`; rows in every frame are the batch's input rows.
    """
    from molaudit.analytics.split import subset_input

    data = batch.analytics.input()
    known = set(data.table["row"].tolist())
    for name, rows in (("reference_rows", reference_rows), ("other_rows", other_rows)):
        bad = [r for r in rows if int(r) not in known]
        if bad:
            raise ValueError(f"{name} has rows that are not input rows of the batch: {bad[:5]}")
    return compare_inputs(
        subset_input(data, list(reference_rows)), subset_input(data, list(other_rows)),
        n_jobs=n_jobs,
    )  # fmt: skip


def curated_table(result: AnalyticResult, *, kept_only: bool = True) -> pd.DataFrame:
    """The curated compounds as a plain table for export (``kept`` ones by default).

    Returns
    -------
    pandas.DataFrame
        ``curated`` with ``rows`` written as ';'-joined text (CSV-friendly).
    """
    frame = result.frames["curated"].copy()
    if kept_only:
        frame = frame[frame["decision"] == "kept"].reset_index(drop=True)
    frame["rows"] = [";".join(str(int(r)) for r in rows) for rows in frame["rows"]]
    return frame
