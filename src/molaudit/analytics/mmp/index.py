"""Matched-molecular-pair index: mmpdb 3.1 ``index`` semantics over streamed fragmentations.

Two passes. Pass 1: workers key every indexable cut combination by its constant without writing
SMILES (:mod:`.mmp_keys`). Pass 2: they build only the combinations whose key another record
shares, or whose 1-cut constant may be another record with '*' -> H. The parent streams the
results into columnar arrays (interned constant/variable strings, int32/int8 columns), so memory
grows with the number of fragmentations, not with Python objects per fragmentation.
Hydrogen-replacement entries are added the way mmpdb does (a 1-cut constant whose '*' -> H form is
another input molecule), pairs are formed per constant with mmpdb's rules (different records; not
the same variable at the same attachment order; not two chirality up-enumerations) and written as
canonical transforms (``A>>B`` with ``[*:n]`` labels, mmpdb's ``cansmirks``).

One deliberate difference: two records of the same structure (same normalized SMILES) are never
a pair. mmpdb pairs them when a symmetric molecule decomposes two ways onto one constant (e.g.
4-Cl-C6H4-C(=O)NH-C6H4-4-Cl entered twice gives ``*C(=O)Nc1ccc(*)cc1>>*NC(=O)c1ccc(*)cc1``).
"""

from __future__ import annotations

import itertools
import math
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, partial
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from molaudit.analytics.mmp.fragment import (
    FragmentSettings,
    complete_chunk,
    fragment_chunk,
    replace_wildcard_with_h,
)
from molaudit.errors import WaitTimeoutError
from molaudit.run.parallel import parallel_map
from molaudit.run.waits import stall_timeout

__all__ = ["MMPIndex", "build_index", "cansmirks", "find_pairs", "pair_table"]

_HYDROGEN = "[*][H]"
_LABEL_CODE = {"N": 0, "C": 1, "V": 2}


# --------------------------------------------------------------------------- cansmirks


def _symm_perms(p: tuple, cls: str) -> list[tuple]:
    if cls in ("11",):
        return [(p[0], p[1]), (p[1], p[0])]
    if cls in ("12", "123"):
        return [tuple(p)]
    if cls == "111":
        return [tuple(q) for q in itertools.permutations(p)]
    if cls == "112":
        return [(p[0], p[1], p[2]), (p[1], p[0], p[2])]
    if cls == "121":
        return [(p[0], p[1], p[2]), (p[2], p[1], p[0])]
    if cls == "122":
        return [(p[0], p[1], p[2]), (p[0], p[2], p[1])]
    raise ValueError(cls)


def _invert(order: str) -> str:
    values = [int(c) for c in order]
    return "".join(str(i) for i in sorted(range(len(values)), key=lambda i: values[i]))


@lru_cache(maxsize=8192)
def _smirks_order(sym1: str, order1: str, const_sym: str, sym2: str, order2: str):
    """Canonical wildcard labels of a multi-cut transform (mmpdb's ``_get_smirks_order``)."""
    n = len(sym1)
    poss = [(tuple(range(n)),)]
    poss = [(*p, q) for p in poss for q in _symm_perms(p[-1], sym1)]
    inv = [int(c) for c in _invert(order1)]
    poss = [(*p, tuple(p[-1][o] for o in inv)) for p in poss]
    poss = [(*p, q) for p in poss for q in _symm_perms(p[-1], const_sym)]
    o2 = [int(c) for c in order2]
    poss = [(*p, tuple(p[-1][o] for o in o2)) for p in poss]
    poss = [(*p, q) for p in poss for q in _symm_perms(p[-1], sym2)]
    best = min((p[5], p[3]) for p in poss)
    return "".join(map(str, best[0])), "".join(map(str, best[1]))


_WILDCARD = re.compile(r"\[\*\]|\*")


def _relabel(smiles: str, order: str | None = None) -> str:
    if order is None:
        labels = iter(range(1, smiles.count("*") + 1))
    else:
        labels = iter(int(c) + 1 for c in order)
    return _WILDCARD.sub(lambda _m: f"[*:{next(labels)}]", smiles)


def cansmirks(
    n_cuts: int,
    smiles1: str,
    sym1: str,
    order1: str,
    constant: str,
    const_sym: str,
    smiles2: str,
    sym2: str,
    order2: str,
) -> tuple[str, str, str]:
    """Labelled (variable_1, variable_2, constant) of a pair, canonical as in mmpdb."""
    if n_cuts == 1:
        return _relabel(smiles1), _relabel(smiles2), _relabel(constant)
    new_order, const_order = _smirks_order(sym1, order1, const_sym, sym2, order2)
    return _relabel(smiles1), _relabel(smiles2, new_order), _relabel(constant, const_order)


# --------------------------------------------------------------------------- index


class MMPIndex:
    """Columnar fragment index built from streamed worker results.

    One entry per (molecule, indexable fragmentation): int arrays hold the interned constant
    key, the molecule's position, the interned variable and attachment order, the
    up-enumeration label and the variable's heavy atoms. Strings are stored once.
    """

    def __init__(self) -> None:
        self.const_ids: dict[tuple[str, str, int], int] = {}
        self.var_ids: dict[tuple[str, str], int] = {}
        self.order_ids: dict[str, int] = {}
        self.e_const = array("i")
        self.e_rec = array("i")
        self.e_var = array("i")
        self.e_order = array("b")
        self.e_label = array("b")
        self.e_vheavy = array("h")
        self.norm_to_recs: dict[str, list[int]] = {}
        self.formula_keys: set[tuple] = set()
        self.h_source: dict[int, tuple[str, tuple]] = {}
        self.h_extra: list[tuple[int, str, tuple]] = []
        self.skipped: list[tuple[int, str]] = []
        self.normalized: dict[int, str] = {}
        self.n_records = 0
        # deferred combinations (record, combination code, constant key, '*'->H formula of a
        # 1-cut constant or -1); code 0 marks a combination already built, counted for sharing
        self.d_rec = array("i")
        self.d_code = array("q")
        self.d_hash = array("q")
        self.d_form = array("q")
        # records fragmented without constant keys (rare ring-perception cases): their
        # constants are unknown to the keys, so every deferred combination is then built
        self.n_keyless = 0
        self.h_keys = array("q")
        # where each record's pass-1 entries lie in the e_* arrays, to drop pass-2 repeats
        self.span: dict[int, tuple[int, int]] = {}
        self._names: tuple[dict, dict, dict] | None = None

    def needed_deferred(self) -> dict[int, list[int]]:
        """Deferred combinations that can pair: key shared by two records, or H-formula hit."""
        if not self.d_rec:
            return {}
        d_rec = np.frombuffer(self.d_rec, dtype=np.int32)
        d_hash = np.frombuffer(self.d_hash, dtype=np.int64)
        codes = np.frombuffer(self.d_code, dtype=np.int64)
        if self.n_keyless:
            keep = codes != 0
        else:
            # distinct records per key: sort by (key, record), keep the first of each run
            order = np.lexsort((d_rec, d_hash))
            h, r = d_hash[order], d_rec[order]
            first = np.ones(h.size, dtype=bool)
            first[1:] = (h[1:] != h[:-1]) | (r[1:] != r[:-1])
            uniq, counts = np.unique(h[first], return_counts=True)
            keep = np.isin(d_hash, uniq[counts >= 2])
            hkeys = np.frombuffer(self.h_keys, dtype=np.int64)
            keep |= np.isin(np.frombuffer(self.d_form, dtype=np.int64), hkeys)
            keep &= codes != 0
        out: dict[int, list[int]] = {}
        for rec, code in zip(d_rec[keep].tolist(), codes[keep].tolist(), strict=True):
            out.setdefault(rec, []).append(code)
        return out

    def add(self, record) -> None:
        """Add one worker record (see :data:`mmp_fragment.FragmentedRecord`)."""
        idx, reason, normalized, _num_heavies, formula, frags = record[:6]
        if reason:
            self.skipped.append((idx, reason))
            return
        self.n_records += 1
        self.normalized[idx] = normalized
        self.norm_to_recs.setdefault(normalized, []).append(idx)
        self.formula_keys.add(formula)
        if len(record) > 7:
            self.h_keys.append(record[7])
        if len(record) > 6 and record[6] is not None:
            for code, key, form in record[6]:
                self.d_rec.append(idx)
                self.d_code.append(code)
                self.d_hash.append(key)
                self.d_form.append(form)
        elif frags:
            self.n_keyless += 1
        start = len(self.e_const)
        self.add_frags(idx, frags)
        self.span[idx] = (start, len(self.e_const))

    def add_frags(self, idx: int, frags, again: bool = False) -> None:
        """Index fragmentations of record ``idx`` (``again``: skip ones pass 1 already has)."""
        const_ids, var_ids, order_ids = self.const_ids, self.var_ids, self.order_ids
        seen = self._pass1_keys(idx) if again else None
        for f in frags:
            n_cuts, label, v_h, v_sym, v_smi, order, _c_h, c_sym, c_smi, h_src, h_key = f
            if seen is not None:
                # the worker drops repeats of (order, variable, constant) within one call
                if (order, v_smi, c_smi) in seen:
                    continue
                seen.add((order, v_smi, c_smi))
            ckey = (c_smi, c_sym, n_cuts)
            cid = const_ids.get(ckey)
            if cid is None:
                cid = const_ids[ckey] = len(const_ids)
            vkey = (v_smi, v_sym)
            vid = var_ids.get(vkey)
            if vid is None:
                vid = var_ids[vkey] = len(var_ids)
            oid = order_ids.get(order)
            if oid is None:
                oid = order_ids[order] = len(order_ids)
            self.e_const.append(cid)
            self.e_rec.append(idx)
            self.e_var.append(vid)
            self.e_order.append(oid)
            self.e_label.append(_LABEL_CODE[label])
            self.e_vheavy.append(v_h)
            if n_cuts == 1 and h_key is not None:
                old = self.h_source.get(cid)
                if old is None:
                    self.h_source[cid] = (h_src, h_key)
                elif old[0] != h_src:
                    self.h_extra.append((cid, h_src, h_key))

    def _pass1_keys(self, idx: int) -> set[tuple[str, str, str]]:
        start, end = self.span.get(idx, (0, 0))
        if start == end:
            return set()
        if self._names is None:
            # pass-1 entries only use ids that exist when pass 2 starts
            self._names = (
                {cid: key[0] for key, cid in self.const_ids.items()},
                {vid: key[0] for key, vid in self.var_ids.items()},
                {oid: key for key, oid in self.order_ids.items()},
            )
        consts, vars_, orders = self._names
        return {
            (orders[self.e_order[k]], vars_[self.e_var[k]], consts[self.e_const[k]])
            for k in range(start, end)
        }

    def add_hydrogen_entries(self) -> int:
        """mmpdb's hydrogen pairs: a 1-cut constant whose '*' -> H form is an input molecule."""
        hvid = self.var_ids.setdefault((_HYDROGEN, "1"), len(self.var_ids))
        oid = self.order_ids.setdefault("0", len(self.order_ids))
        added = 0
        candidates = [(cid, src, key) for cid, (src, key) in self.h_source.items()]
        candidates.extend(self.h_extra)
        done: set[tuple[int, int]] = set()
        for cid, src, key in candidates:
            if key not in self.formula_keys:
                continue
            for rec in self.norm_to_recs.get(replace_wildcard_with_h(src), ()):
                if (cid, rec) in done:
                    continue
                done.add((cid, rec))
                self.e_const.append(cid)
                self.e_rec.append(rec)
                self.e_var.append(hvid)
                self.e_order.append(oid)
                self.e_label.append(0)
                self.e_vheavy.append(0)
                added += 1
        return added

    def pairs(self) -> pd.DataFrame:
        """Every (pair, constant) mmpdb would write, as positions and interned ids.

        Returns
        -------
        pandas.DataFrame
            Columns ``rec_1, rec_2, const, var_1, var_2, order_1, order_2`` (ints), oriented
            as mmpdb orients them (the smaller (variable, attachment order) first).
        """
        const = np.frombuffer(self.e_const, dtype=np.int32)
        if const.size == 0:
            return _empty_raw()
        order = np.argsort(const, kind="stable")
        c = const[order]
        rec = np.frombuffer(self.e_rec, dtype=np.int32)[order]
        var = np.frombuffer(self.e_var, dtype=np.int32)[order]
        ordr = np.frombuffer(self.e_order, dtype=np.int8)[order].astype(np.int32)
        lab = np.frombuffer(self.e_label, dtype=np.int8)[order]
        bounds = np.flatnonzero(np.diff(c)) + 1
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [c.size]))
        sizes = ends - starts
        multi = sizes >= 2
        ii_parts = []
        jj_parts = []
        two = starts[multi & (sizes == 2)]
        if two.size:
            ii_parts.append(two)
            jj_parts.append(two + 1)
        for s, n in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
            a, b = np.triu_indices(int(n), k=1)
            ii_parts.append(a + s)
            jj_parts.append(b + s)
        if not ii_parts:
            return _empty_raw()
        ii = np.concatenate(ii_parts)
        jj = np.concatenate(jj_parts)
        keep = rec[ii] != rec[jj]
        # mmpdb pairs a compound with its own duplicate (same structure, another ID) when a
        # symmetric molecule decomposes two ways onto one constant; that is not a pair
        norm = self._norm_ids()
        keep &= norm[rec[ii]] != norm[rec[jj]]
        keep &= ~((var[ii] == var[jj]) & (ordr[ii] == ordr[jj]))
        keep &= ~((lab[ii] != 0) & (lab[jj] != 0))
        ii, jj = ii[keep], jj[keep]
        # mmpdb orients each pair by (variable SMILES, attachment order) of the two sides
        var_rank = self._var_rank()
        order_strs = {v: k for k, v in self.order_ids.items()}
        order_rank = np.empty(len(order_strs), dtype=np.int32)
        for rank, oid in enumerate(sorted(order_strs, key=lambda o: order_strs[o])):
            order_rank[oid] = rank
        ki = var_rank[var[ii]].astype(np.int64) * 64 + order_rank[ordr[ii]]
        kj = var_rank[var[jj]].astype(np.int64) * 64 + order_rank[ordr[jj]]
        swap = ki > kj
        first = np.where(swap, jj, ii)
        second = np.where(swap, ii, jj)
        return pd.DataFrame(
            {
                "rec_1": rec[first],
                "rec_2": rec[second],
                "const": c[first],
                "var_1": var[first],
                "var_2": var[second],
                "order_1": ordr[first],
                "order_2": ordr[second],
            }
        )

    def _norm_ids(self) -> np.ndarray:
        size = max(self.normalized, default=-1) + 1
        out = np.full(size, -1, dtype=np.int64)
        for k, recs in enumerate(self.norm_to_recs.values()):
            out[recs] = k
        return out

    def _var_rank(self) -> np.ndarray:
        names = sorted(self.var_ids, key=lambda k: k[0])
        rank = np.empty(len(self.var_ids), dtype=np.int64)
        for r, key in enumerate(names):
            rank[self.var_ids[key]] = r
        return rank


def _empty_raw() -> pd.DataFrame:
    cols = ["rec_1", "rec_2", "const", "var_1", "var_2", "order_1", "order_2"]
    return pd.DataFrame({c: np.zeros(0, dtype=np.int32) for c in cols})


# --------------------------------------------------------------------------- driver


def _chunks(items: list[tuple[int, str]], size: int) -> Iterable[list[tuple[int, str]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_index(
    smiles: Sequence[str],
    settings: FragmentSettings | None = None,
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    chunk_size: int | None = None,
    scheduler: Any = None,
    progress: Callable[[int, int], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> MMPIndex:
    """Fragment ``smiles`` (in a process pool when ``n_jobs != 1``) and index the result.

    Parameters
    ----------
    smiles : sequence of str
        Structures; positions in this sequence are the record numbers of the index.
    settings : FragmentSettings, optional
        Fragmentation settings (mmpdb defaults).
    n_jobs : int
        joblib convention; 1 runs in this process.
    backend : str
        joblib backend, or ``'dask'`` (chunks go to ``scheduler``, see
        :func:`molaudit.run.parallel.parallel_map`).
    chunk_size : int, optional
        Molecules per task (default: about 8 tasks per worker, 20 to 500 molecules each).
    scheduler : distributed.Client, optional
        The Dask client for ``backend='dask'``.
    progress : callable, optional
        ``progress(done, total)``: molecules fragmented (first pass) of all.
    cancelled : callable, optional
        Polled after every chunk of the first pass; True stops the work and raises
        :class:`~molaudit.analytics.AnalyticCancelled`.
    """
    from molaudit.analytics._base import AnalyticCancelled

    settings = settings or FragmentSettings()
    items = [(i, s) for i, s in enumerate(smiles)]
    index = MMPIndex()
    workers = _effective_jobs(n_jobs)
    serial = workers == 1 or len(items) < 64 or backend == "sequential"
    size = chunk_size or max(20, min(500, math.ceil(len(items) / (workers * 8))))
    # pass 1: constant keys of every combination (built only where keys cannot decide)
    done_items = 0
    if serial:
        results: Iterable[Any] = (
            fragment_chunk(chunk, settings, True) for chunk in _chunks(items, size)
        )
    else:
        pass1 = partial(fragment_chunk, settings=settings, defer=True)
        results = _map(pass1, _chunks(items, size), workers, backend, scheduler)
    for chunk_result in results:
        for rec in chunk_result:
            index.add(rec)
        done_items = min(len(items), done_items + max(len(chunk_result), 1))
        if progress is not None:
            progress(done_items, len(items))
        if cancelled is not None and cancelled():
            close = getattr(results, "close", None)
            if close is not None:
                close()  # stops a joblib generator: the remaining chunks are not started
            raise AnalyticCancelled("mmp fragmentation was cancelled")
    if progress is not None:
        progress(len(items), len(items))
    # pass 2: the deferred combinations whose constant can pair
    needed = index.needed_deferred()
    todo = [(rec, items[rec][1], codes) for rec, codes in sorted(needed.items())]
    if todo:
        if serial or len(todo) < 64:
            done = complete_chunk(todo, settings)
        else:
            size2 = max(10, min(500, math.ceil(len(todo) / (workers * 8))))
            pass2 = partial(complete_chunk, settings=settings)
            done = itertools.chain.from_iterable(
                _map(pass2, _chunks(todo, size2), workers, backend, scheduler)
            )
        for rec, frags in done:
            index.add_frags(rec, frags, again=True)
    index.add_hydrogen_entries()
    return index


def _map(
    fn: Callable[[Any], Any], chunks: Iterable[Any], workers: int, backend: str, scheduler: Any
) -> Iterable[Any]:
    """Results of ``fn`` per chunk, in any order: a joblib pool, or the batch's Dask client."""
    if backend == "dask":
        return parallel_map(fn, list(chunks), n_jobs=workers, backend="dask", scheduler=scheduler)
    timeout = stall_timeout()
    results = Parallel(
        n_jobs=workers, backend=backend, return_as="generator_unordered", timeout=timeout
    )(delayed(fn)(chunk) for chunk in chunks)
    return _bounded(results, timeout)


def _bounded(results: Iterable[Any], timeout: float) -> Iterator[Any]:
    """The pool's results; a chunk past the stall bound stops the analytic with a clear error."""
    try:
        yield from results
    except TimeoutError as exc:
        raise WaitTimeoutError(
            f"matched-pair fragmentation stopped: a chunk took longer than {timeout:.0f} s "
            "(MOLAUDIT_STALL_TIMEOUT)"
        ) from exc


def _effective_jobs(n_jobs: int | None) -> int:
    # the one n_jobs rule (molaudit.analytics.params.check_n_jobs); None runs in process
    from molaudit.analytics.params import effective_n_jobs

    return 1 if n_jobs is None else effective_n_jobs(n_jobs)


def _transforms(index: MMPIndex, raw: pd.DataFrame) -> pd.DataFrame:
    """Attach strings and canonical transforms to raw (pair, constant) rows."""
    consts = [None] * len(index.const_ids)
    for key, cid in index.const_ids.items():
        consts[cid] = key
    vars_ = [None] * len(index.var_ids)
    for key, vid in index.var_ids.items():
        vars_[vid] = key
    orders = [None] * len(index.order_ids)
    for key, oid in index.order_ids.items():
        orders[oid] = key
    cache: dict[tuple, tuple[str, str, str]] = {}
    # a labelled string depends only on (string, label order): relabel each once
    var_label: dict[tuple, str] = {}
    const_label: dict[tuple, str] = {}
    lhs, rhs, const_lab = [], [], []
    c_col = raw["const"].to_numpy()
    v1_col = raw["var_1"].to_numpy()
    v2_col = raw["var_2"].to_numpy()
    for c, v1, v2, o1, o2 in zip(
        c_col.tolist(),
        v1_col.tolist(),
        v2_col.tolist(),
        raw["order_1"].to_numpy().tolist(),
        raw["order_2"].to_numpy().tolist(),
        strict=True,
    ):
        key = (c, v1, v2, o1, o2)
        got = cache.get(key)
        if got is None:
            c_smi, c_sym, k = consts[c]
            if k == 1:
                new_order = const_order = None
            else:
                sym1 = vars_[v1][1]
                sym2 = vars_[v2][1]
                new_order, const_order = _smirks_order(sym1, orders[o1], c_sym, sym2, orders[o2])
            left = var_label.get((v1, None))
            if left is None:
                left = var_label[v1, None] = _relabel(vars_[v1][0])
            right = var_label.get((v2, new_order))
            if right is None:
                right = var_label[v2, new_order] = _relabel(vars_[v2][0], new_order)
            const = const_label.get((c, const_order))
            if const is None:
                const = const_label[c, const_order] = _relabel(c_smi, const_order)
            got = (left, right, const)
            if len(cache) < 1_000_000:
                cache[key] = got
        lhs.append(got[0])
        rhs.append(got[1])
        const_lab.append(got[2])
    var_heavy = np.fromiter((_heavies(v[0]) for v in vars_), dtype=np.int64, count=len(vars_))
    const_cuts = np.fromiter((k[2] for k in consts), dtype=np.int64, count=len(consts))
    n_cuts = const_cuts[c_col]
    vh = var_heavy[v1_col] + var_heavy[v2_col]
    out = pd.DataFrame(
        {
            "rec_1": raw["rec_1"].to_numpy(),
            "rec_2": raw["rec_2"].to_numpy(),
            "constant": const_lab,
            "variable_1": lhs,
            "variable_2": rhs,
            "n_cuts": np.asarray(n_cuts, dtype=np.int64),
            "_vh": np.asarray(vh, dtype=np.int64),
        }
    )
    out["transform"] = out["variable_1"] + ">>" + out["variable_2"]
    return out


@lru_cache(maxsize=100_000)
def _heavies(smiles: str) -> int:
    from molaudit.analytics.mmp.fragment import num_heavies_from_smiles

    return num_heavies_from_smiles(smiles)


def find_pairs(
    smiles: Sequence[str],
    settings: FragmentSettings | None = None,
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    smallest_transformation_only: bool = False,
    all_constants: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matched molecular pairs of ``smiles`` with mmpdb 3.1's fragment + index semantics.

    Identical to the pairs of ``mmpdb fragment`` + ``mmpdb index`` with default settings,
    except that two records of one structure are never paired with each other.

    Parameters
    ----------
    smiles : sequence of str
        Structures (positions are the record numbers used in the result).
    settings : FragmentSettings, optional
        Cut SMARTS, number of cuts, molecule filters, variable-size and ratio limits.
    n_jobs, backend : int, str
        Process pool for the fragmentation.
    smallest_transformation_only : bool
        Drop transforms that can be reduced to a smaller one (mmpdb's
        ``--smallest-transformation-only``).
    all_constants : bool
        Keep one row per (pair, constant) as mmpdb writes them, instead of one row per
        compound pair (the pair's smallest transform: fewest changed heavy atoms, then fewest
        cuts).

    Returns
    -------
    (pairs, skipped) : tuple of pandas.DataFrame
        ``pairs`` columns: ``rec_1, rec_2`` (positions in ``smiles``), ``constant``,
        ``variable_1``, ``variable_2``, ``transform`` (``A>>B`` with ``[*:n]`` labels),
        ``n_cuts``, ``n_constants`` (how many constants relate the two compounds).
        ``skipped`` columns: ``rec`` and ``reason``.
    """
    settings = settings or FragmentSettings()
    index = build_index(smiles, settings, n_jobs=n_jobs, backend=backend)
    skipped = pd.DataFrame(
        {
            "rec": np.asarray([r for r, _ in index.skipped], dtype=np.int64),
            "reason": pd.Series([m for _, m in index.skipped], dtype="str"),
        }
    ).sort_values("rec", ignore_index=True)
    return pair_table(index, settings, smallest_transformation_only, all_constants), skipped


def pair_table(
    index: MMPIndex,
    settings: FragmentSettings,
    smallest_transformation_only: bool = False,
    all_constants: bool = False,
) -> pd.DataFrame:
    """Pairs of a built index (see :func:`find_pairs` for the columns)."""
    raw = index.pairs()
    cols = [
        "rec_1",
        "rec_2",
        "constant",
        "variable_1",
        "variable_2",
        "transform",
        "n_cuts",
        "n_constants",
    ]
    if raw.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c[0] in "rn" else "str") for c in cols})
    table = _transforms(index, raw)
    if smallest_transformation_only:
        reducer = _Reducer(settings)
        keep = np.fromiter(
            (not reducer.reducible(t) for t in table["transform"]), dtype=bool, count=len(table)
        )
        table = table[keep]
    lo = np.minimum(table["rec_1"].to_numpy(), table["rec_2"].to_numpy())
    hi = np.maximum(table["rec_1"].to_numpy(), table["rec_2"].to_numpy())
    table = table.assign(_lo=lo, _hi=hi)
    counts = table.groupby(["_lo", "_hi"], sort=False)["n_cuts"].transform("size")
    table = table.assign(n_constants=counts.to_numpy())
    table = table.sort_values(["_lo", "_hi", "_vh", "n_cuts", "transform", "constant"])
    if not all_constants:
        table = table.drop_duplicates(["_lo", "_hi"], keep="first")
    return table[cols].reset_index(drop=True)


class _Reducer:
    """mmpdb's ``--smallest-transformation-only`` test: can ``A>>B`` be reduced?

    The two variable parts are fragmented themselves (attachment points masked as Rf/Db/Sg);
    the transform is reducible when they share a 1-cut constant piece containing a former
    attachment atom, or when one side is the other with a hydrogen in place of a group.
    """

    _MASKS = ("Rf", "Db", "Sg")

    def __init__(self, settings: FragmentSettings) -> None:
        from dataclasses import replace

        self.settings = replace(
            settings,
            max_variable_heavies=None,
            min_variable_heavies=None,
            min_variable_ratio=None,
            max_variable_ratio=None,
        )
        self.cache: dict[str, tuple[set[str], set[str], str]] = {}
        from rdkit import Chem

        one_atom = [Chem.CanonSmiles(s) for s in ("*C([Rf])[Db]", "*C([Rf])([Db])[Sg]")]
        self.one_atom = set(one_atom + [s.replace("*", "[*]", 1) for s in one_atom])
        self.artefacts = {"*[Db]", "*[Rf]", "*[Sg]", "[*][Db]", "[*][Rf]", "[*][Sg]"}

    def _pieces(self, variable: str) -> tuple[set[str], set[str], str]:
        from rdkit import Chem

        from molaudit.analytics.mmp.fragment import fragment_smiles

        masked = variable.replace("*:1", "Rf").replace("*:2", "Db").replace("*:3", "Sg")
        got = self.cache.get(masked)
        if got is not None:
            return got
        rec = fragment_smiles(0, masked, self.settings)
        pieces: set[str] = set()
        with_h: set[str] = set()
        for f in rec[5] if not rec[1] else []:
            if f[0] != 1 or not any(m in f[8] for m in self._MASKS):
                continue
            if f[8] in self.artefacts or f[4] in self.artefacts or f[8] in self.one_atom:
                continue
            pieces.add(f[8])
            with_h.add(replace_wildcard_with_h(f[9]))
        mol = Chem.MolFromSmiles(masked)
        canon = Chem.MolToSmiles(mol) if mol is not None else masked
        got = (pieces, with_h, canon)
        self.cache[masked] = got
        return got

    def reducible(self, transform: str) -> bool:
        left, right = transform.split(">>")
        lp, lh, lc = self._pieces(left)
        rp, rh, rc = self._pieces(right)
        return bool(lp & rp) or lc in rh or rc in lh
