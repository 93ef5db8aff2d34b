"""Scaffold analytics: Bemis-Murcko and generic scaffolds, counts, member rows and entropy.

The Murcko scaffold of each molecule comes from the audit (``table["murcko_scaffold"]``, the
scaffold of the standardized parent); the generic scaffold (every atom carbon, every bond single,
exocyclic atoms stripped again) is computed once per *unique* Murcko scaffold, because the
generic scaffold is a function of the Murcko scaffold alone. At 100k MOSES molecules that is
~25k scaffolds instead of 100k molecules. :func:`generic_of_murcko` writes the all-carbon graph
straight from the Murcko SMILES text and canonicalizes it (~80 us instead of ~550 us through
RDKit's Python ``MakeScaffoldGeneric``), with the same SMILES for every input; inputs it cannot
vouch for take RDKit's own path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.params import Param
from molaudit.run.parallel import parallel_map

__all__ = [
    "generic_of_murcko",
    "generic_scaffold",
    "murcko_scaffold",
    "murcko_scaffolds",
    "scaffold_rows",
    "scaffolds",
    "shannon_entropy",
]

KINDS: tuple[str, ...] = ("murcko", "generic")
_KIND_PARAM = ("both", "murcko", "generic")
# Below this many items the start-up of worker processes costs more than it saves.
_PARALLEL_MIN_ITEMS = 4000
_CHUNK = 2000
# The generic scaffold of one unique Murcko scaffold costs ~80 us on the fast route, so a pool
# pays off only for many more of them: 24.7k (100k MOSES) took 2.0 s in process and 2.6 s on
# two warm workers (plus 2-4 s to start them); chunks stay large so that few are shipped.
_GENERIC_PARALLEL_MIN_ITEMS = 60_000
_GENERIC_CHUNK = 20_000


def murcko_scaffold(smiles: str) -> str | None:
    """Bemis-Murcko scaffold SMILES of a molecule given as SMILES.

    Parameters
    ----------
    smiles : str
        Molecule SMILES (molaudit passes the standardized parent).

    Returns
    -------
    str or None
        Canonical scaffold SMILES, ``''`` for an acyclic molecule, None when ``smiles`` does not
        parse.
    """
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
        if mol is None:
            return None
        if mol.GetRingInfo().NumRings() == 0:
            return ""
        return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(mol))


def generic_scaffold(scaffold_smiles: str) -> str | None:
    """Generic (element- and bond-agnostic) scaffold of a Murcko scaffold or a molecule.

    ``MakeScaffoldGeneric`` followed by ``GetScaffoldForMol`` again, so that exocyclic atoms that
    the Murcko scaffold keeps (``O=C1CCCCC1``) are stripped once they became single-bonded carbons.

    Parameters
    ----------
    scaffold_smiles : str
        SMILES of a Murcko scaffold (or of any molecule; its Murcko scaffold is taken first).

    Returns
    -------
    str or None
        Canonical SMILES of the generic scaffold, ``''`` for an acyclic input, None when the
        SMILES does not parse.
    """
    if scaffold_smiles == "":
        return ""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(scaffold_smiles) if isinstance(scaffold_smiles, str) else None
        if mol is None:
            return None
        if mol.GetRingInfo().NumRings() == 0:
            return ""
        frame = MurckoScaffold.GetScaffoldForMol(mol)
        generic = MurckoScaffold.MakeScaffoldGeneric(frame)
        return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(generic))


def _generic_of_murcko(scaffold_smiles: str) -> str | None:
    """:func:`generic_scaffold` of a SMILES that already is a Murcko scaffold (one step less).

    The reference path (RDKit's ``MakeScaffoldGeneric``, ~0.4 ms); :func:`generic_of_murcko`
    takes it only where its faster route is not provably the same. Where RDKit raises (a
    carbon with five bonds: a skeleton atom with more than four ring or linker neighbours) the
    generic scaffold is the Murcko scaffold itself rather than a failed analytic.
    """
    if scaffold_smiles == "":
        return ""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(scaffold_smiles)
        if mol is None:
            return None
        try:
            generic = MurckoScaffold.MakeScaffoldGeneric(mol)
        except Chem.MolSanitizeException:
            return scaffold_smiles
        return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(generic))


# The all-carbon text is made with three plain substitutions: bracket atoms, then the other
# atom symbols become 'C', then bond symbols go (every bond single). Ring-closure digits,
# branches and '.' stay, so the graph is the Murcko scaffold's.
_BRACKET = re.compile(r"\[[^\]]*\]")
_ORGANIC = re.compile(r"Cl|Br|[BNOSPFIbcnosp*]")
_BOND = re.compile(r"[-=#$:/\\]")
_GENERIC_TEXT = re.compile(r"[C0-9%().]*")
# Atoms with one neighbour, read off the grammar: one with no ring closure that ends a branch,
# a fragment or the string (its neighbour is the atom before it), and the first atom of a
# fragment followed directly by the next atom.
_LAST_TERMINAL = re.compile(r"(?<=[C0-9()])C(?=[).]|$)")
_FIRST_TERMINAL = re.compile(r"(?:^|(?<=\.))C(?=C)")
_EMPTY_BRANCH = re.compile(r"\(\)")
_LOW_DEGREE = Chem.MolFromSmarts("[D0,D1]")


def _generic_text(scaffold_smiles: str) -> str | None:
    """The Murcko SMILES rewritten as its all-carbon, all-single-bond graph (not canonical).

    Atoms with one neighbour (the exocyclic atoms a Murcko scaffold keeps, ``O=`` in
    ``O=C1CCCC1``) are stripped from the text, repeatedly: a generic scaffold has none, and
    removing them one at a time leaves the same rings and linkers (``GetScaffoldForMol`` runs
    anyway if any remain, see :func:`_canonical_generic`).

    None where the rewrite might not be the graph ``MakeScaffoldGeneric`` builds: bracket atoms
    other than ``[nH]`` may carry what it keeps (radicals, atom maps) or be hydrogens (which
    it removes), so those SMILES are parsed and checked first; anything unexpected left in the
    text (a dative bond, a two-letter aromatic symbol) also gives None.
    """
    brackets = _BRACKET.findall(scaffold_smiles)
    if any(b != "[nH]" for b in brackets):
        with rdBase.BlockLogs():
            mol = Chem.MolFromSmiles(scaffold_smiles)
        if mol is None or any(
            a.GetNumRadicalElectrons() or a.GetAtomMapNum() or a.GetAtomicNum() == 1
            for a in mol.GetAtoms()
        ):
            return None
    text = _BRACKET.sub("C", scaffold_smiles) if brackets else scaffold_smiles
    text = _BOND.sub("", _ORGANIC.sub("C", text))
    if not _GENERIC_TEXT.fullmatch(text):
        return None
    while True:
        pruned = _LAST_TERMINAL.sub("", text)
        pruned = _EMPTY_BRANCH.sub("", _FIRST_TERMINAL.sub("", pruned))
        if pruned == text:
            return text
        text = pruned


def _canonical_generic(text: str) -> str | None:
    """Canonical generic scaffold of an all-carbon text from :func:`_generic_text`.

    Parses without the full sanitization (there is nothing aromatic or charged to perceive)
    and skips the second Murcko step when no atom has fewer than two neighbours (the graph
    then is its own scaffold). None where the graph is not a valid all-carbon molecule.
    """
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None
    try:
        mol.UpdatePropertyCache(strict=True)
    except Chem.MolSanitizeException:
        return None
    Chem.GetSymmSSSR(mol)
    if mol.HasSubstructMatch(_LOW_DEGREE):
        mol = MurckoScaffold.GetScaffoldForMol(mol)
    return Chem.MolToSmiles(mol)


def generic_of_murcko(scaffold_smiles: Sequence[str]) -> list[str | None]:
    """Generic scaffolds of Murcko scaffold SMILES, ~4x faster than ``MakeScaffoldGeneric``.

    Equal to ``MolToSmiles(GetScaffoldForMol(MakeScaffoldGeneric(MolFromSmiles(s))))`` for
    every input where that does not raise (tested on the 24.7k Murcko scaffolds of 100k MOSES
    molecules and on hand-made hard cases): the all-carbon graph, exocyclic atoms already
    stripped, is written directly as SMILES text (see :func:`_generic_text`), identical texts
    are parsed once, and every input the fast route cannot vouch for goes through RDKit's own
    path. Where RDKit raises because an exocyclic ``=O`` makes a skeleton atom five-connected
    (``C1CC[S]2(=O)(CC1)CCCC2``), the stripped skeleton is the answer (``C1CCC2(CC1)CCCC2``);
    a skeleton atom with five ring or linker bonds keeps the Murcko scaffold.

    Parameters
    ----------
    scaffold_smiles : sequence of str
        Murcko scaffold SMILES (``''`` for acyclic molecules).

    Returns
    -------
    list of str or None
        Canonical generic scaffold SMILES per input, ``''`` for ``''``, None where the
        scaffold SMILES does not parse.
    """
    texts = [_generic_text(s) if s else None for s in scaffold_smiles]
    done: dict[str, str | None] = {}
    out: list[str | None] = []
    with rdBase.BlockLogs():
        for smi, text in zip(scaffold_smiles, texts, strict=True):
            if not smi:
                out.append("")
                continue
            value = None
            if text is not None:
                if text not in done:
                    done[text] = _canonical_generic(text)
                value = done[text]
            out.append(value if value is not None else _generic_of_murcko(smi))
    return out


def shannon_entropy(counts: Iterable[int] | np.ndarray) -> float:
    """Shannon entropy in bits of a distribution given by its counts.

    Parameters
    ----------
    counts : iterable of int
        Members per category (zeros are ignored).

    Returns
    -------
    float
        ``-sum(p * log2 p)`` with ``p = count / total``; 0.0 for no or one category.
    """
    arr = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts, float)
    arr = arr[arr > 0]
    if arr.size == 0:
        return 0.0
    p = arr / arr.sum()
    return float(max(0.0, -(p * np.log2(p)).sum()))


def _map_chunked(
    func: Callable[[str], str | None],
    items: Sequence[str],
    n_jobs: int,
    backend: str,
    scheduler: Any = None,
) -> list[str | None]:
    """``[func(x) for x in items]``, in chunks on the batch's backend when it is worth it."""
    return _map_batched(partial(_apply, func), items, n_jobs, backend, scheduler)


def _map_batched(
    func: Callable[[Sequence[str]], list[str | None]],
    items: Sequence[str],
    n_jobs: int,
    backend: str,
    scheduler: Any = None,
    *,
    min_items: int = _PARALLEL_MIN_ITEMS,
    chunk: int = _CHUNK,
) -> list[str | None]:
    """``func(items)`` for a ``func`` of a list, in chunks on the batch's backend if worth it."""
    if n_jobs == 1 or len(items) < min_items or backend == "sequential":
        return func(items)
    chunks = [items[i : i + chunk] for i in range(0, len(items), chunk)]
    parts = parallel_map(func, chunks, n_jobs=n_jobs, backend=backend, scheduler=scheduler)
    return [x for part in parts for x in part]


def _apply(func: Callable[[str], str | None], chunk: Sequence[str]) -> list[str | None]:
    return [func(x) for x in chunk]


def murcko_scaffolds(data: AnalyticInput) -> pd.Series:
    """Murcko scaffold SMILES of every non-error row.

    Taken from ``table["murcko_scaffold"]``; rows where it is missing (or a table without the
    column) are computed from ``std_smiles`` (``smiles`` when that is missing too).

    Parameters
    ----------
    data : AnalyticInput
        The batch.

    Returns
    -------
    pandas.Series
        Indexed like ``data.valid``; ``''`` for acyclic molecules, None where no structure parses.
    """
    valid = data.valid
    if "murcko_scaffold" in valid.columns:
        values = valid["murcko_scaffold"].astype(object)
        values = values.where(valid["murcko_scaffold"].notna(), None)
    else:
        values = pd.Series([None] * len(valid), index=valid.index, dtype=object)
    todo = values.isna().to_numpy()
    if todo.any():
        source = _structure_smiles(valid.loc[todo])
        values.loc[todo] = _map_chunked(
            murcko_scaffold, source, data.n_jobs, data.backend, data.scheduler
        )
    return values


def _structure_smiles(frame: pd.DataFrame) -> list[str]:
    """Standardized parent SMILES per row, the input SMILES where the parent is missing."""
    out = pd.Series([""] * len(frame), index=frame.index, dtype=object)
    for col in ("smiles", "std_smiles"):
        if col in frame.columns:
            col_values = frame[col]
            out = out.where(col_values.isna(), col_values.astype(object))
    return [x if isinstance(x, str) else "" for x in out]


def _ids(frame: pd.DataFrame) -> pd.Series:
    if "id" in frame.columns:
        return frame["id"].astype(str)
    return "row_" + frame["row"].astype(str)


def _empty(message: str, params: dict[str, Any]) -> AnalyticResult:
    return empty_result("scaffolds", message, params)


def _group_table(
    keys: np.ndarray,
    rows: np.ndarray,
    ids: np.ndarray,
    activity: np.ndarray | None,
    kind: str,
) -> pd.DataFrame:
    """One row per distinct key, members ordered by input row, largest group first."""
    order = np.lexsort((rows, keys))
    keys, rows, ids = keys[order], rows[order], ids[order]
    uniq, start, counts = np.unique(keys, return_index=True, return_counts=True)
    # member rows are lists of ints (IDs lists of str), never ';'-joined text
    row_list = rows.astype(np.int64).tolist()
    id_list = [str(i) for i in ids]
    joined_rows = [row_list[s : s + c] for s, c in zip(start, counts, strict=True)]
    joined_ids = [id_list[s : s + c] for s, c in zip(start, counts, strict=True)]
    total = int(counts.sum())
    table = pd.DataFrame(
        {
            "scaffold": uniq.astype(str),
            "kind": kind,
            "n_molecules": counts.astype(np.int64),
            "fraction": counts / total,
            "rows": joined_rows,
            "ids": joined_ids,
        }
    )
    if activity is not None:
        act = activity[order]
        # groups are contiguous after the sort, so a grouped reduction by group number works
        group = np.repeat(np.arange(len(uniq)), counts)
        stats = pd.Series(act).groupby(group).agg(["mean", "median", "count"])
        table["mean_activity"] = stats["mean"].to_numpy()
        table["median_activity"] = stats["median"].to_numpy()
        table["n_activity"] = stats["count"].to_numpy().astype(np.int64)
    else:
        table["mean_activity"] = np.nan
        table["median_activity"] = np.nan
        table["n_activity"] = np.zeros(len(table), dtype=np.int64)
    table = table.sort_values(["n_molecules", "scaffold"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)


def _distribution_summary(counts: np.ndarray, prefix: str) -> dict[str, Any]:
    n = len(counts)
    entropy = shannon_entropy(counts)
    return {
        f"{prefix}_n_scaffolds": int(n),
        f"{prefix}_n_singletons": int((counts == 1).sum()),
        f"{prefix}_largest_family": int(counts.max()) if n else 0,
        f"{prefix}_entropy_bits": entropy,
        # evenness; undefined for a single scaffold, where there is nothing to be even about
        f"{prefix}_normalized_entropy": entropy / math.log2(n) if n > 1 else None,
    }


SCAFFOLD_COLUMNS = (
    "scaffold", "kind", "n_molecules", "fraction", "rows", "ids",
    "mean_activity", "median_activity", "n_activity",
)  # fmt: skip


@register(
    "scaffolds",
    kind="expensive",
    description="Murcko and generic scaffolds: counts, member rows, activity, Shannon entropy",
    params=(
        Param(
            "kind",
            "choice",
            "both",
            "Which scaffolds: both kinds, Bemis-Murcko only, or generic only.",
            choices=_KIND_PARAM,
            label="Scaffold kind",
        ),
    ),
    frames_by=(
        "kind",
        {
            "both": {
                "scaffolds": SCAFFOLD_COLUMNS,
                "members": ("row", "id", "murcko_scaffold", "generic_scaffold"),
            },
            "murcko": {
                "scaffolds": SCAFFOLD_COLUMNS,
                "members": ("row", "id", "murcko_scaffold"),
            },
            "generic": {
                "scaffolds": SCAFFOLD_COLUMNS,
                "members": ("row", "id", "generic_scaffold"),
            },
        },
    ),
)
def scaffolds(data: AnalyticInput, *, kind: str = "both") -> AnalyticResult:
    """Group the molecules of a batch by Bemis-Murcko and/or generic scaffold.

    Acyclic molecules are grouped under the empty scaffold ``''``, which counts as one scaffold
    in ``n_scaffolds`` and in the entropy (it is one of the ways a set can be undiverse). Error
    rows are excluded and counted. Nothing is capped: every scaffold is in the table and every
    member row is listed.

    Parameters
    ----------
    data : AnalyticInput
        The batch.
    kind : {'both', 'murcko', 'generic'}
        Which scaffold frames to compute. ``'both'`` (default) stacks both kinds in one
        ``scaffolds`` frame, told apart by its ``kind`` column. ``'murcko'`` skips the generic
        computation (then ``members`` has no ``generic_scaffold`` column, and vice versa).

    Returns
    -------
    AnalyticResult
        ``frames["scaffolds"]``: one row per (kind, scaffold), largest first, columns
        ``scaffold`` (SMILES, ``''`` = acyclic), ``kind`` ('murcko' or 'generic'),
        ``n_molecules``, ``fraction`` (of the molecules with a scaffold), ``rows`` and ``ids``
        (lists of the members' input rows, ints, and IDs, in row order), ``mean_activity``,
        ``median_activity`` and ``n_activity`` (members with a value; NaN and 0 without
        activity).
        ``frames["members"]``: one row per molecule, by input row: ``row``, ``id``,
        ``murcko_scaffold``, ``generic_scaffold`` (the Murcko scaffold itself where the
        skeleton has an atom with more than four ring or linker neighbours, which no carbon
        can have).
        ``summary``: ``n_molecules``, ``n_error_rows``, ``n_acyclic``, ``n_unassigned`` and per
        kind ``<kind>_n_scaffolds``, ``<kind>_n_singletons``, ``<kind>_largest_family``,
        ``<kind>_entropy_bits`` (Shannon entropy of the scaffold distribution in bits) and
        ``<kind>_normalized_entropy`` (entropy / log2(n_scaffolds), None for one scaffold).

    Raises
    ------
    ParameterError
        When ``kind`` is not one of 'both', 'murcko', 'generic'.
    """
    params = {"kind": kind}
    kinds = KINDS if kind == "both" else (kind,)
    table = data.table
    valid = data.valid
    n_error = len(table) - len(valid)
    if len(table) == 0:
        return _empty("the batch is empty: no scaffolds to group", params)
    if len(valid) == 0:
        return _empty(f"all {n_error} rows are errors: no scaffolds to group", params)

    murcko = murcko_scaffolds(data)
    assigned = murcko.notna().to_numpy()
    unassigned_rows = valid.loc[~assigned, "row"].astype(int).tolist()
    members = pd.DataFrame(
        {
            "row": valid["row"].to_numpy(np.int64)[assigned],
            "id": _ids(valid).to_numpy(object)[assigned].astype(str),
        }
    )
    murcko_values = murcko.to_numpy(object)[assigned].astype(str)
    members["murcko_scaffold"] = murcko_values
    if "generic" in kinds:
        unique = sorted(set(murcko_values))
        computed = _map_batched(
            generic_of_murcko,
            unique,
            data.n_jobs,
            data.backend,
            data.scheduler,
            min_items=_GENERIC_PARALLEL_MIN_ITEMS,
            chunk=_GENERIC_CHUNK,
        )
        generic_of = dict(zip(unique, computed, strict=True))
        generic = np.array([generic_of[s] for s in murcko_values], dtype=object)
        broken = np.array([g is None for g in generic], dtype=bool)
        if broken.any():
            # a scaffold SMILES that does not parse back: take the molecule itself instead
            source = _structure_smiles(valid.loc[assigned].loc[broken])
            generic[broken] = [generic_scaffold(s) for s in source]
            still = np.array([g is None for g in generic], dtype=bool)
            generic[still] = ""
        members["generic_scaffold"] = generic.astype(str)
    if "murcko" not in kinds:
        members = members.drop(columns="murcko_scaffold")
    activity = None
    if data.has_activity:
        members["_activity"] = valid["activity"].to_numpy(float)[assigned]
    members = members.sort_values("row", kind="stable").reset_index(drop=True)
    if data.has_activity:
        activity = members.pop("_activity").to_numpy(float)
    rows = members["row"].to_numpy(np.int64)
    ids = members["id"].to_numpy(object)

    frames = []
    summary: dict[str, Any] = {
        "n_molecules": len(members),
        "n_error_rows": n_error,
        "n_unassigned": len(unassigned_rows),
    }
    first = kinds[0]
    summary["n_acyclic"] = int((members[f"{first}_scaffold"] == "").sum())
    for k in kinds:
        keys = members[f"{k}_scaffold"].to_numpy(object).astype(str)
        frame = _group_table(keys, rows, ids, activity, k)
        frames.append(frame)
        summary.update(_distribution_summary(frame["n_molecules"].to_numpy(), k))
    message = None
    if unassigned_rows:
        shown = ", ".join(map(str, unassigned_rows[:5]))
        message = (
            f"{len(unassigned_rows)} non-error rows have no structure that parses and are left "
            f"out (rows {shown}{', ...' if len(unassigned_rows) > 5 else ''})"
        )
    return AnalyticResult(
        "scaffolds",
        frames={"scaffolds": pd.concat(frames, ignore_index=True), "members": members},
        summary=summary,
        params=params,
        message=message,
    )


def scaffold_rows(result: AnalyticResult, scaffold: str, kind: str | None = None) -> list[int]:
    """Input rows of the molecules with a given scaffold (the notebook's scaffold -> table filter).

    Parameters
    ----------
    result : AnalyticResult
        A result of the ``scaffolds`` analytic.
    scaffold : str
        Scaffold SMILES exactly as in ``result["scaffolds"]["scaffold"]`` (``''`` = acyclic).
    kind : {'murcko', 'generic'}, optional
        Which scaffold column to look in. May be left out when the result holds one kind, or
        when the SMILES names the same rows under both kinds.

    Returns
    -------
    list of int
        Sorted input row numbers; empty when no molecule has that scaffold.

    Raises
    ------
    ValueError
        When ``result`` is not a scaffolds result, ``kind`` is invalid or missing from the
        result, or ``kind`` is None and the scaffold names different rows under each kind
        (e.g. 'C1CCCCC1' is cyclohexane's Murcko scaffold and benzene's generic scaffold).
    """
    if not isinstance(result, AnalyticResult) or result.name != "scaffolds":
        raise ValueError(f"result must be a 'scaffolds' AnalyticResult, got {result!r}")
    if "members" not in result.frames:
        return []
    members = result.frames["members"]
    present = [k for k in KINDS if f"{k}_scaffold" in members.columns]
    if kind is not None and kind not in present:
        raise ValueError(
            f"kind must be one of {', '.join(map(repr, present))} for this result, got {kind!r}"
        )
    kinds = [kind] if kind is not None else present
    found = {
        k: sorted(members.loc[members[f"{k}_scaffold"] == scaffold, "row"].astype(int).tolist())
        for k in kinds
    }
    hits = {k: v for k, v in found.items() if v}
    if len(hits) > 1 and len({tuple(v) for v in hits.values()}) > 1:
        raise ValueError(
            f"scaffold {scaffold!r} is both a Murcko and a generic scaffold here; pass "
            "kind='murcko' or kind='generic'"
        )
    return next(iter(hits.values()), [])
