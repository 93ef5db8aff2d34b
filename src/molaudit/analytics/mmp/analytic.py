"""Matched molecular pairs: mmpdb 3.1 ``fragment`` + ``index`` semantics, in a process pool.

Which structure is paired
-------------------------
mmpdb works on the input SMILES (salts stripped by RDKit's ``SaltRemover``; what is left must be
one fragment). molaudit does the same by default on ``table["smiles"]``, the canonical form of the
input structure, so the pairs equal mmpdb's on the same input (``structure="input"``).
``structure="parent"`` pairs the standardized parents (``std_smiles``: largest fragment,
neutralized) instead, so that a hydrochloride and a free base, or a carboxylate and its acid,
share their pairs; salt stripping is then a no-op.

Pipeline
--------
1. Workers fragment chunks of SMILES (:func:`molaudit.analytics.mmp.fragment.fragment_chunk`),
   keeping only fragmentations the index would keep (variable part size/ratio limits), in two
   passes: first every combination is reduced to a stereo-free key of its constant
   (:mod:`molaudit.analytics.mmp.keys`), then only combinations whose constant can pair (key
   shared by two molecules, or '*' -> H form possibly another molecule) are written as SMILES.
2. The parent streams the chunk results into columnar arrays (interned constant/variable
   strings, int32/int8 columns), so memory grows with the number of fragmentations, not with
   Python objects per fragmentation.
3. Hydrogen-replacement entries are added the way mmpdb does (a 1-cut constant whose
   '*' -> H form is another input molecule), then pairs are formed per constant with mmpdb's
   rules (different records; not the same variable at the same attachment order; not two
   chirality up-enumerations) and canonical transforms (``A>>B`` with ``[*:n]`` labels,
   mmpdb's ``cansmirks``).

One deliberate difference: two records of the same structure (same normalized SMILES) are never
a pair. mmpdb pairs them when a symmetric molecule decomposes two ways onto one constant (e.g.
4-Cl-C6H4-C(=O)NH-C6H4-4-Cl entered twice gives ``*C(=O)Nc1ccc(*)cc1>>*NC(=O)c1ccc(*)cc1``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from molaudit.analytics._base import AnalyticInput, AnalyticResult, register
from molaudit.analytics.mmp.index import MMPIndex, build_index, find_pairs, pair_table
from molaudit.analytics.mmp.settings import DEFAULT_CUT_SMARTS, FragmentSettings
from molaudit.analytics.params import Param, activity_units_param, n_jobs_param
from molaudit.analytics.units import to_p_activity

__all__ = ["MMP_PAIR_COLUMNS", "MMPIndex", "build_index", "find_pairs", "mmp", "pair_table"]

_ACTIVITY_PAIR_COLUMNS = ("activity_1", "activity_2", "p_activity_1", "p_activity_2", "delta")
#: Columns of the ``pairs`` frame (activity columns NaN when the batch has no activity).
MMP_PAIR_COLUMNS = (
    "row_1", "row_2", "id_1", "id_2", "smiles_1", "smiles_2", "constant", "variable_1",
    "variable_2", "transform", "n_cuts", "n_constants", "tanimoto", *_ACTIVITY_PAIR_COLUMNS,
)  # fmt: skip
MMP_TRANSFORM_COLUMNS = (
    "transform", "n_pairs", "n_with_activity", "mean_delta", "median_delta", "std_delta",
    "n_up", "n_down",
)  # fmt: skip
MMP_SKIPPED_COLUMNS = ("row", "id", "reason")


# --------------------------------------------------------------------------- the analytic


def _tanimoto_rows(data: AnalyticInput, rows_1: np.ndarray, rows_2: np.ndarray) -> np.ndarray:
    fps = np.ascontiguousarray(data.fingerprints, dtype=np.uint8)
    out = np.full(len(rows_1), np.nan)
    if fps.size == 0 or len(rows_1) == 0:
        return out
    where = np.full(int(max(data.table["row"].max(), data.fingerprint_rows.max())) + 1, -1)
    where[np.asarray(data.fingerprint_rows, dtype=np.int64)] = np.arange(len(fps))
    a = where[rows_1]
    b = where[rows_2]
    ok = (a >= 0) & (b >= 0)
    counts = np.bitwise_count(fps).sum(axis=1, dtype=np.int64)
    idx = np.flatnonzero(ok)
    for start in range(0, idx.size, 100_000):
        sel = idx[start : start + 100_000]
        common = np.bitwise_count(fps[a[sel]] & fps[b[sel]]).sum(axis=1, dtype=np.int64)
        union = counts[a[sel]] + counts[b[sel]] - common
        with np.errstate(invalid="ignore", divide="ignore"):
            out[sel] = np.where(union > 0, common / np.maximum(union, 1), 0.0)
    return out


@register(
    "mmp",
    kind="expensive",
    description="matched molecular pairs (mmpdb 3.1 fragment+index semantics) and transforms",
    params=(
        Param(
            "structure",
            "choice",
            "input",
            "Pair the input structures (as mmpdb) or the standardized parents.",
            choices=("input", "parent"),
            label="Structures paired",
        ),
        Param(
            "cut_smarts",
            "smarts",
            DEFAULT_CUT_SMARTS,
            "Two-atom SMARTS of the bonds to cut (mmpdb's default).",
            label="Cut SMARTS",
        ),
        Param(
            "max_cuts",
            "choice",
            3,
            "Bonds cut at once.",
            choices=(1, 2, 3),
            label="Maximum cuts",
        ),
        Param(
            "max_variable_heavies",
            "int",
            10,
            "Largest variable part (None: no limit).",
            low=0,
            optional=True,
            label="Max variable heavy atoms",
        ),
        Param(
            "min_variable_heavies",
            "int",
            None,
            "Smallest variable part (None: no limit).",
            low=0,
            optional=True,
            label="Min variable heavy atoms",
        ),
        Param(
            "max_variable_ratio",
            "float",
            None,
            "Largest variable heavies / molecule heavies (None: no limit).",
            low=0,
            high=1,
            optional=True,
            label="Max variable ratio",
        ),
        Param(
            "min_variable_ratio",
            "float",
            None,
            "Smallest variable heavies / molecule heavies (None: no limit).",
            low=0,
            high=1,
            optional=True,
            label="Min variable ratio",
        ),
        Param(
            "max_heavies",
            "int",
            100,
            "Molecules above this many heavy atoms are skipped.",
            low=0,
            optional=True,
            label="Max heavy atoms",
        ),
        Param(
            "max_rotatable_bonds",
            "int",
            10,
            "Molecules above this many rotatable bonds are skipped.",
            low=0,
            optional=True,
            label="Max rotatable bonds",
        ),
        Param(
            "strip_salts",
            "bool",
            True,
            "Strip salts first (RDKit SaltRemover).",
            label="Strip salts",
        ),
        Param(
            "smallest_transformation_only",
            "bool",
            False,
            "Drop transforms reducible to a smaller one.",
            label="Smallest transforms only",
        ),
        Param(
            "all_constants",
            "bool",
            False,
            "One row per (pair, constant) like mmpdb's CSV.",
            label="All constants",
        ),
        activity_units_param(),
        n_jobs_param(),
    ),
    frames={
        "pairs": MMP_PAIR_COLUMNS,
        "transforms": MMP_TRANSFORM_COLUMNS,
        "skipped": MMP_SKIPPED_COLUMNS,
    },
)
def mmp(
    data: AnalyticInput,
    *,
    structure: str = "input",
    cut_smarts: str = DEFAULT_CUT_SMARTS,
    max_cuts: int = 3,
    max_variable_heavies: int | None = 10,
    min_variable_heavies: int | None = None,
    max_variable_ratio: float | None = None,
    min_variable_ratio: float | None = None,
    max_heavies: int | None = 100,
    max_rotatable_bonds: int | None = 10,
    strip_salts: bool = True,
    smallest_transformation_only: bool = False,
    all_constants: bool = False,
    activity_units: str | None = None,
    n_jobs: int | None = None,
) -> AnalyticResult:
    """Matched molecular pairs and per-transform activity statistics.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    structure : {'input', 'parent'}
        Pair the input structures (``smiles``, salts stripped as mmpdb does; the default, equal
        to mmpdb on the same input) or the standardized parents (``std_smiles``).
    cut_smarts : str
        Two-atom SMARTS of the bonds to cut (mmpdb's default).
    max_cuts : int
        1, 2 or 3 bonds cut at once.
    max_variable_heavies, min_variable_heavies : int or None
        Heavy-atom limits of the variable part (mmpdb index: max 10, no min).
    max_variable_ratio, min_variable_ratio : float or None
        Limits of variable heavies / molecule heavies (mmpdb index: none).
    max_heavies, max_rotatable_bonds : int or None
        Molecules above these are skipped with the reason (mmpdb: 100 and 10).
    strip_salts : bool
        Strip salts with RDKit's default SaltRemover first (mmpdb's default).
    smallest_transformation_only : bool
        Drop transforms reducible to a smaller one (mmpdb's option).
    all_constants : bool
        One row per (pair, constant) like mmpdb's CSV instead of one row per compound pair.
    activity_units : str, optional
        Units of the activity column (see :data:`molaudit.analytics.units.UNITS`); inferred
        with a note when not given. ``delta`` is always in pActivity (molar).
    n_jobs : int, optional
        Worker processes (default: the batch's ``n_jobs``).

    Returns
    -------
    AnalyticResult
        Frames:

        ``pairs``
            ``row_1, row_2, id_1, id_2, smiles_1, smiles_2, constant, variable_1,
            variable_2, transform, n_cuts, n_constants, tanimoto`` and, with activity,
            ``activity_1, activity_2`` (raw), ``p_activity_1, p_activity_2`` and ``delta``
            (= p_activity_2 - p_activity_1: positive when the transform raises potency).
        ``transforms``
            ``transform, n_pairs`` and, with activity, ``n_with_activity, mean_delta,
            median_delta, std_delta, n_up, n_down`` (delta > 0 / < 0).
        ``skipped``
            ``row, id, reason``: rows not fragmented (error rows, salts left as several
            fragments, too many heavy atoms or rotatable bonds, no structure).
    """
    settings = FragmentSettings(
        cut_smarts=cut_smarts,
        max_cuts=max_cuts,
        max_heavies=max_heavies,
        max_rotatable_bonds=max_rotatable_bonds,
        strip_salts=strip_salts,
        min_variable_heavies=min_variable_heavies,
        max_variable_heavies=max_variable_heavies,
        min_variable_ratio=min_variable_ratio,
        max_variable_ratio=max_variable_ratio,
    )
    params = {
        "structure": structure,
        "cut_smarts": cut_smarts,
        "max_cuts": max_cuts,
        "max_variable_heavies": max_variable_heavies,
        "min_variable_heavies": min_variable_heavies,
        "max_variable_ratio": max_variable_ratio,
        "min_variable_ratio": min_variable_ratio,
        "max_heavies": max_heavies,
        "max_rotatable_bonds": max_rotatable_bonds,
        "strip_salts": strip_salts,
        "smallest_transformation_only": smallest_transformation_only,
        "all_constants": all_constants,
        "activity_units": activity_units,
    }
    table = data.table
    empty = _empty_frames(True)
    if len(table) == 0:
        return AnalyticResult("mmp", empty, {"n_pairs": 0}, params, "empty batch: no molecules")
    column = "smiles" if structure == "input" else "std_smiles"
    ok = (table["status"] != "error").to_numpy() & table[column].notna().to_numpy()
    ok &= table[column].astype("str").str.len().to_numpy() > 0
    rows_all = table["row"].to_numpy(dtype=np.int64)
    ids_all = table["id"].astype("str").to_numpy()
    valid_pos = np.flatnonzero(ok)
    skipped_rows = [
        (int(rows_all[i]), str(ids_all[i]), "error row: structure could not be parsed")
        for i in np.flatnonzero(~ok)
    ]
    if valid_pos.size == 0:
        empty["skipped"] = _skipped_frame(skipped_rows)
        return AnalyticResult(
            "mmp", empty, {"n_pairs": 0}, params, "no valid molecules: every row is an error"
        )
    smiles = table[column].astype("str").to_numpy()[valid_pos].tolist()
    workers = data.n_jobs if n_jobs is None else n_jobs
    index = build_index(
        smiles,
        settings,
        n_jobs=workers,
        backend=data.backend,
        scheduler=data.scheduler,
        progress=data.progress,
        cancelled=data.cancelled,
    )
    pairs_raw = pair_table(index, settings, smallest_transformation_only, all_constants)
    checks = table["checks"].fillna("").astype(str).to_numpy() if "checks" in table else None
    for rec, reason in index.skipped:
        pos = valid_pos[rec]
        why = _kept_whole(checks[pos]) if checks is not None else ""
        skipped_rows.append((int(rows_all[pos]), str(ids_all[pos]), reason + why))

    pos1 = valid_pos[pairs_raw["rec_1"].to_numpy(dtype=np.int64)]
    pos2 = valid_pos[pairs_raw["rec_2"].to_numpy(dtype=np.int64)]
    smiles_col = table[column].astype("str").to_numpy()
    pairs = pd.DataFrame(
        {
            "row_1": rows_all[pos1],
            "row_2": rows_all[pos2],
            "id_1": ids_all[pos1],
            "id_2": ids_all[pos2],
            "smiles_1": smiles_col[pos1],
            "smiles_2": smiles_col[pos2],
            "constant": pairs_raw["constant"].to_numpy(),
            "variable_1": pairs_raw["variable_1"].to_numpy(),
            "variable_2": pairs_raw["variable_2"].to_numpy(),
            "transform": pairs_raw["transform"].to_numpy(),
            "n_cuts": pairs_raw["n_cuts"].to_numpy(dtype=np.int64),
            "n_constants": pairs_raw["n_constants"].to_numpy(dtype=np.int64),
        }
    )
    pairs["tanimoto"] = _tanimoto_rows(data, pairs["row_1"].to_numpy(), pairs["row_2"].to_numpy())
    summary = {
        "n_molecules": int(valid_pos.size),
        "n_fragmented": int(index.n_records),
        "n_skipped": len(skipped_rows),
        "n_pairs": len(pairs),
        "n_compounds_in_pairs": len(np.union1d(pairs["row_1"], pairs["row_2"])),
        "structure": column,
    }
    message = None
    if data.has_activity:
        act = table["activity"].to_numpy(dtype=np.float64)
        try:
            scale = to_p_activity(act, activity_units or data.activity_units)
        except ValueError as err:
            if activity_units is not None:
                raise
            scale = None
            message = f"activity not used: {err}"
        if scale is not None:
            pairs["activity_1"] = act[pos1]
            pairs["activity_2"] = act[pos2]
            pairs["p_activity_1"] = scale.p_activity[pos1]
            pairs["p_activity_2"] = scale.p_activity[pos2]
            pairs["delta"] = pairs["p_activity_2"] - pairs["p_activity_1"]
            summary["activity_units"] = scale.units
            summary["units_note"] = scale.note
            if scale.inferred:
                message = scale.note
    for column in _ACTIVITY_PAIR_COLUMNS:  # the declared columns, NaN without activity
        if column not in pairs.columns:
            pairs[column] = np.nan
    transforms = _transform_stats(pairs, True)
    summary["n_transforms"] = len(transforms)
    frames = {"pairs": pairs, "transforms": transforms, "skipped": _skipped_frame(skipped_rows)}
    if len(pairs) == 0 and message is None:
        message = "no matched pairs found"
    return AnalyticResult("mmp", frames, summary, params, message)


def _transform_stats(pairs: pd.DataFrame, with_activity: bool) -> pd.DataFrame:
    if len(pairs) == 0:
        return _empty_frames(with_activity)["transforms"]
    g = pairs.groupby("transform", sort=False)
    out = g.size().rename("n_pairs").to_frame()
    if with_activity:
        d = g["delta"]
        out["n_with_activity"] = d.count()
        out["mean_delta"] = d.mean()
        out["median_delta"] = d.median()
        out["std_delta"] = d.std()
        out["n_up"] = g["delta"].agg(lambda s: int((s > 0).sum()))
        out["n_down"] = g["delta"].agg(lambda s: int((s < 0).sum()))
    out = out.reset_index().sort_values(["n_pairs", "transform"], ascending=[False, True])
    return out.reset_index(drop=True)


def _kept_whole(checks: str) -> str:
    """Why a record has no single parent to fragment: the audit kept it whole on purpose."""
    codes = set(checks.split(";"))
    if "organometallic" in codes:
        return " (a metal complex: the audit keeps it whole, so there is no single parent)"
    if "mixture" in codes:
        return (
            " (a mixture of different components: the audit keeps it whole, so there is no "
            "single parent; the components are named in check_messages)"
        )
    return ""


def _skipped_frame(rows: list[tuple[int, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "row": np.asarray([r[0] for r in rows], dtype=np.int64),
            "id": pd.Series([r[1] for r in rows], dtype="str"),
            "reason": pd.Series([r[2] for r in rows], dtype="str"),
        }
    )
    return frame.sort_values("row", ignore_index=True)


def _empty_frames(with_activity: bool) -> dict[str, pd.DataFrame]:
    pair_cols = {
        "row_1": "int64",
        "row_2": "int64",
        "id_1": "str",
        "id_2": "str",
        "smiles_1": "str",
        "smiles_2": "str",
        "constant": "str",
        "variable_1": "str",
        "variable_2": "str",
        "transform": "str",
        "n_cuts": "int64",
        "n_constants": "int64",
        "tanimoto": "float64",
    }
    trans_cols = {"transform": "str", "n_pairs": "int64"}
    if with_activity:
        for c in ("activity_1", "activity_2", "p_activity_1", "p_activity_2", "delta"):
            pair_cols[c] = "float64"
        trans_cols.update(
            {
                "n_with_activity": "int64",
                "mean_delta": "float64",
                "median_delta": "float64",
                "std_delta": "float64",
                "n_up": "int64",
                "n_down": "int64",
            }
        )
    return {
        "pairs": pd.DataFrame({c: pd.Series(dtype=t) for c, t in pair_cols.items()}),
        "transforms": pd.DataFrame({c: pd.Series(dtype=t) for c, t in trans_cols.items()}),
        "skipped": _skipped_frame([]),
    }
