"""Activity cliffs: the MoleculeACE definition, SALI, and cliffs among matched pairs.

* ``moleculeace`` reproduces van Tilborg et al. (J. Chem. Inf. Model. 2022) exactly: a pair of
  different compounds is a cliff when (a) Tanimoto on Morgan r=2 1024-bit fingerprints >= 0.9,
  OR Tanimoto of the same fingerprints of ``MakeScaffoldGeneric(whole molecule)`` >= 0.9, OR
  ``1 - Levenshtein / max(len)`` >= 0.9 on the SMILES strings as given; AND (b) the potency fold
  change ``max / min`` of the raw values is > 10 (strictly). Their code fills four dense n×n
  matrices in Python; here similar pairs come from the Tanimoto engine
  (:class:`~molaudit.analytics.similarity.index.FingerprintIndex`: popcount-sorted fingerprints,
  count-bound pruning, numba kernels) and a length-windowed Levenshtein (rapidfuzz), so memory
  stays O(n + pairs).
* ``sali``: SALI = |ΔpActivity| / (1 - sim) over pairs with sim >= threshold (Morgan
  fingerprints of the batch). Pairs with sim == 1 have no finite SALI and are reported apart.
* ``mmp``: matched molecular pairs (mmpdb semantics, :mod:`.mmp`) with |ΔpActivity| >= min_delta.
"""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
from rdkit import Chem, RDLogger
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.Scaffolds.MurckoScaffold import GetScaffoldForMol

from molaudit.analytics._base import AnalyticInput, AnalyticResult, empty_result, register
from molaudit.analytics.mmp.analytic import MMP_PAIR_COLUMNS
from molaudit.analytics.params import Param, activity_units_param, n_jobs_param
from molaudit.analytics.similarity.index import FingerprintIndex
from molaudit.analytics.units import ActivityScale, fold_change, to_p_activity

__all__ = ["activity_cliffs", "moleculeace_cliffs", "similar_pairs"]

_DEFINITIONS = ("moleculeace", "sali", "mmp")


# --------------------------------------------------------------------------- similarity search


def _index(packed: np.ndarray) -> FingerprintIndex:
    """The Tanimoto engine's index of ``packed``, zero-padded to whole 64-bit words.

    Padding adds no bits, so similarities do not change (1024 and 2048 bits need none).
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    if packed.ndim == 2 and packed.shape[1] % 8:
        pad = np.zeros((packed.shape[0], 8 - packed.shape[1] % 8), dtype=np.uint8)
        packed = np.concatenate([packed, pad], axis=1)
    return FingerprintIndex(packed)


def _all_pairs(index: FingerprintIndex, threshold: float, n_jobs: int | None):
    # no max_pairs guard here (it was never one): a cliff threshold is >= 0.5 in practice
    return index.pairs(threshold, n_jobs=n_jobs, max_pairs=sys.maxsize)


def similar_pairs(
    packed: np.ndarray, threshold: float, *, block: int = 256, n_jobs: int | None = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All pairs ``i < j`` with Tanimoto >= ``threshold`` on packed bit fingerprints.

    A thin wrapper of the Tanimoto engine
    (:meth:`molaudit.analytics.similarity.index.FingerprintIndex.pairs`: popcount-sorted
    fingerprints, count-bound pruning, numba kernels, no n×n matrix). Tanimoto is
    ``c / (a + b - c)`` in float64, bit-identical to RDKit's ``TanimotoSimilarity`` (0.0 for
    two empty fingerprints).

    Parameters
    ----------
    packed : numpy.ndarray
        ``uint8`` array ``(n, nbytes)``; rows are zero-padded to whole 64-bit words.
    threshold : float
        Smallest similarity kept, in (0, 1].
    block : int
        Query rows per task of the engine.
    n_jobs : int, optional
        Threads (joblib convention; 1 by default).

    Returns
    -------
    (i, j, sim) : tuple of numpy.ndarray
        Row positions in ``packed`` (``i < j``, sorted by ``(i, j)``) and their Tanimoto
        similarity.
    """
    packed = np.asarray(packed, dtype=np.uint8)
    if packed.shape[0] < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    index = _index(packed)
    return index.pairs(threshold, n_jobs=n_jobs, max_pairs=sys.maxsize, block=block)


def _levenshtein_pairs(strings: list[str], threshold: float, n_jobs: int, block: int = 512):
    """Pairs with ``1 - lev/max(len) >= threshold`` via length windows (rapidfuzz cdist)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    n = len(strings)
    lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=n)
    order = np.argsort(lengths, kind="stable")
    ls = lengths[order]
    sorted_strings = [strings[k] for k in order]
    out_i, out_j, out_d = [], [], []
    slack = 1.0 - threshold
    for s in range(0, n, block):
        e = min(n, s + block)
        # partner j (sorted after i) needs len_j - len_i <= d <= slack * len_j
        # => len_j <= len_i / threshold
        top = ls[e - 1]
        hi = int(np.searchsorted(ls, top / threshold + 1e-9, side="right"))
        hi = max(hi, e)
        cutoff = int(np.floor(slack * ls[hi - 1])) + 1
        dist = cdist(
            sorted_strings[s:e],
            sorted_strings[s:hi],
            scorer=Levenshtein.distance,
            score_cutoff=cutoff,
            dtype=np.int32,
            workers=n_jobs,
        )
        ii, jj = np.nonzero(dist <= cutoff)
        keep = jj > ii
        ii, jj = ii[keep], jj[keep]
        d = dist[ii, jj].astype(np.int64)
        ii, jj = ii + s, jj + s
        longest = np.maximum(ls[ii], ls[jj])
        # MoleculeACE's arithmetic: m = d / max(len); similar when 1 - m >= 0.9 (float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            simv = 1.0 - d / np.where(longest > 0, longest, 1)
        ok = simv >= threshold
        out_i.append(order[ii[ok]])
        out_j.append(order[jj[ok]])
        out_d.append(simv[ok])
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    i = np.concatenate(out_i)
    j = np.concatenate(out_j)
    swap = i > j
    return np.where(swap, j, i), np.where(swap, i, j), np.concatenate(out_d)


def _levenshtein_sim(strings: list[str], i: np.ndarray, j: np.ndarray) -> np.ndarray:
    from rapidfuzz.distance import Levenshtein

    out = np.empty(len(i))
    for k, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        sa, sb = strings[a], strings[b]
        longest = max(len(sa), len(sb))
        out[k] = 1.0 - Levenshtein.distance(sa, sb) / longest if longest else 1.0
    return out


# --------------------------------------------------------------------------- MoleculeACE


def _generic_graph(mol: Chem.Mol, has_isotopes: bool = True) -> Chem.Mol | None:
    """``MakeScaffoldGeneric(mol)`` (every heavy atom C, every bond single) built in C++.

    RDKit's version loops over atoms in Python (~10x slower); writing the heavy-atom graph as a
    SMILES of 'C' atoms and '-' bonds and parsing it gives the same graph, hydrogens and rings,
    hence the same Morgan bits. Returns None where MakeScaffoldGeneric raises (an atom with
    more than four heavy neighbours cannot be a neutral carbon).

    Isotope labels are kept: the RDKit that produced MoleculeACE's shipped ``cliff_mol`` flags
    (2021) did not reset them in MakeScaffoldGeneric (today's does), and with them reset five
    radiolabelled compounds ([18F], [123I], [125I]) of the 30 sets get the wrong flag.
    """
    n_atoms = mol.GetNumAtoms()
    if n_atoms == mol.GetNumHeavyAtoms():
        heavy = list(range(n_atoms))
    else:
        heavy = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 1]
    if not heavy:
        return Chem.Mol()
    text = Chem.MolFragmentToSmiles(
        mol,
        atomsToUse=heavy,
        atomSymbols=["C"] * n_atoms,
        bondSymbols=["-"] * mol.GetNumBonds(),
        canonical=False,
        allHsExplicit=False,
        isomericSmiles=False,
    )
    generic = Chem.MolFromSmiles(text)
    if generic is not None and has_isotopes:
        order = mol.GetProp("_smilesAtomOutputOrder").strip("[]").split(",")
        for k, src in enumerate(int(x) for x in order if x):
            iso = mol.GetAtomWithIdx(src).GetIsotope()
            if iso:
                generic.GetAtomWithIdx(k).SetIsotope(iso)
    return generic


_ISOTOPE = re.compile(r"\[\d")


def _moleculeace_fps(mols: list[Chem.Mol], smiles: list[str]) -> tuple[np.ndarray, np.ndarray]:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    skeletons = []
    # an all-carbon graph of a hypervalent atom does not parse; RDKit would log each one
    RDLogger.DisableLog("rdApp.error")
    try:
        for mol, smi in zip(mols, smiles, strict=True):
            skeleton = _generic_graph(mol, _ISOTOPE.search(smi) is not None)
            if skeleton is None:  # MoleculeACE's own fallback when MakeScaffoldGeneric fails
                skeleton = GetScaffoldForMol(mol)
            skeletons.append(skeleton)
    finally:
        RDLogger.EnableLog("rdApp.error")
    whole = np.packbits(np.array([gen.GetFingerprintAsNumPy(m) for m in mols]), axis=1)
    scaf = np.packbits(np.array([gen.GetFingerprintAsNumPy(m) for m in skeletons]), axis=1)
    return whole, scaf


def moleculeace_cliffs(
    smiles: list[str],
    potency: np.ndarray,
    *,
    similarity: float = 0.9,
    potency_fold: float = 10.0,
    p_activity: np.ndarray | None = None,
    is_concentration: bool = True,
    n_jobs: int = 1,
    strings: list[str] | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """MoleculeACE activity cliffs of one set.

    Parameters
    ----------
    smiles : list of str
        SMILES of the compounds (parsed for the fingerprints; also the strings compared by the
        Levenshtein criterion unless ``strings`` is given).
    potency : numpy.ndarray
        Raw potency (MoleculeACE: ``exp_mean [nM]``).
    similarity : float
        Threshold of each similarity criterion (0.9).
    potency_fold : float
        Fold change that must be exceeded (strictly; 10).
    p_activity : numpy.ndarray, optional
        pActivity, used for the fold change when the raw values are not concentrations.
    is_concentration : bool
        Fold change from the raw ratio (True) or from 10**|ΔpActivity| (False).
    n_jobs : int
        Threads for the Levenshtein step.
    strings : list of str, optional
        The SMILES strings as given, for the Levenshtein criterion (same order as ``smiles``).

    Returns
    -------
    (cliff_mol, pairs)
        ``cliff_mol``: int8 array, 1 when the compound is in at least one cliff pair.
        ``pairs``: DataFrame with ``i, j`` (positions), ``tanimoto``, ``scaffold_tanimoto``,
        ``levenshtein_similarity``, ``by_tanimoto``, ``by_scaffold``, ``by_levenshtein``
        (bool) and ``fold_change``, one row per cliff pair.
    """
    n = len(smiles)
    strings = list(smiles) if strings is None else list(strings)
    if len(strings) != n:
        raise ValueError(f"strings must have {n} items like smiles, got {len(strings)}")
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    if any(m is None for m in mols):
        bad = [smiles[k] for k, m in enumerate(mols) if m is None][:3]
        raise ValueError(f"smiles must all parse; these do not: {bad}")
    potency = np.asarray(potency, dtype=np.float64)
    p = np.asarray(p_activity, dtype=np.float64) if p_activity is not None else None
    whole, scaf = _moleculeace_fps(mols, smiles)

    def fc_of(i, j):
        return fold_change(
            potency[i],
            potency[j],
            None if p is None else p[i],
            None if p is None else p[j],
            is_concentration,
        )

    whole_index, scaf_index = _index(whole), _index(scaf)
    cand = []
    for i, j, _s in (
        _all_pairs(whole_index, similarity, n_jobs),
        _all_pairs(scaf_index, similarity, n_jobs),
        _levenshtein_pairs(strings, similarity, n_jobs),
    ):
        keep = fc_of(i, j) > potency_fold
        cand.append(np.stack([i[keep], j[keep]], axis=1))
    both = np.concatenate(cand) if cand else np.zeros((0, 2), dtype=np.int64)
    both = np.unique(both, axis=0) if len(both) else both.reshape(0, 2)
    i, j = both[:, 0].astype(np.int64), both[:, 1].astype(np.int64)
    tani = whole_index.similarity_of(i, j)
    stani = scaf_index.similarity_of(i, j)
    lev = _levenshtein_sim(strings, i, j)
    pairs = pd.DataFrame(
        {
            "i": i,
            "j": j,
            "tanimoto": tani,
            "scaffold_tanimoto": stani,
            "levenshtein_similarity": lev,
            "by_tanimoto": tani >= similarity,
            "by_scaffold": stani >= similarity,
            "by_levenshtein": lev >= similarity,
            "fold_change": fc_of(i, j),
        }
    )
    cliff = np.zeros(n, dtype=np.int8)
    cliff[i] = 1
    cliff[j] = 1
    return cliff, pairs


# --------------------------------------------------------------------------- the analytic


def _activity_scale(data: AnalyticInput, activity_units: str | None) -> ActivityScale:
    return to_p_activity(
        data.table["activity"].to_numpy(dtype=np.float64), activity_units or data.activity_units
    )


MOLECULEACE_FRAMES = {
    "molecules": ("row", "id", "activity", "p_activity", "cliff_mol", "n_cliff_pairs"),
    "pairs": (
        "row_1", "row_2", "id_1", "id_2", "activity_1", "activity_2", "fold_change", "delta_p",
        "tanimoto", "scaffold_tanimoto", "levenshtein_similarity", "by_tanimoto",
        "by_scaffold", "by_levenshtein",
    ),
}  # fmt: skip
SALI_FRAMES = {
    "pairs": (
        "rank", "row_1", "row_2", "id_1", "id_2", "similarity", "p_activity_1",
        "p_activity_2", "delta_p", "sali",
    ),
    "same_fingerprint": (
        "row_1", "row_2", "id_1", "id_2", "p_activity_1", "p_activity_2", "delta_p",
    ),
}  # fmt: skip
MMP_FRAMES = {"pairs": MMP_PAIR_COLUMNS}


@register(
    "activity_cliffs",
    kind="expensive",
    description="activity cliffs: MoleculeACE definition, SALI, or among matched pairs",
    requires=("rapidfuzz",),
    needs_activity=True,
    params=(
        Param(
            "definition",
            "choice",
            "moleculeace",
            "MoleculeACE (van Tilborg 2022), SALI, or cliffs among matched molecular pairs.",
            choices=_DEFINITIONS,
            label="Cliff definition",
        ),
        activity_units_param(),
        Param(
            "similarity",
            "float",
            0.9,
            "MoleculeACE: smallest similarity on each criterion.",
            low=0,
            high=1,
            low_open=True,
            label="Similarity",
        ),
        Param(
            "potency_fold",
            "float",
            10.0,
            "MoleculeACE: fold change a cliff must exceed.",
            low=0,
            label="Potency fold change",
            unit="fold",
        ),
        Param(
            "smiles_column",
            "str",
            None,
            "MoleculeACE: column of SMILES strings for the Levenshtein criterion "
            "(None: the raw input column).",
            optional=True,
            label="SMILES column",
        ),
        Param(
            "threshold",
            "float",
            0.7,
            "SALI: smallest Tanimoto of a pair.",
            low=0,
            high=1,
            low_open=True,
            label="Tanimoto threshold",
        ),
        Param(
            "min_sali",
            "float",
            None,
            "SALI: keep pairs with SALI >= this (None: all).",
            low=0,
            optional=True,
            label="Minimum SALI",
        ),
        Param(
            "top",
            "int",
            None,
            "SALI: keep the top pairs by SALI (None: all).",
            low=1,
            optional=True,
            label="Top pairs",
        ),
        Param(
            "min_delta",
            "float",
            1.0,
            "mmp: smallest |delta pActivity| of a cliff pair.",
            low=0,
            label="Minimum delta",
            unit="log units",
        ),
        n_jobs_param(),
    ),
    frames_by=(
        "definition",
        {"moleculeace": MOLECULEACE_FRAMES, "sali": SALI_FRAMES, "mmp": MMP_FRAMES},
    ),
)
def activity_cliffs(
    data: AnalyticInput,
    *,
    definition: str = "moleculeace",
    activity_units: str | None = None,
    similarity: float = 0.9,
    potency_fold: float = 10.0,
    smiles_column: str | None = None,
    threshold: float = 0.7,
    min_sali: float | None = None,
    top: int | None = None,
    min_delta: float = 1.0,
    n_jobs: int | None = None,
) -> AnalyticResult:
    """Activity cliffs of the batch.

    Parameters
    ----------
    data : AnalyticInput
        The batch (needs an activity column).
    definition : {'moleculeace', 'sali', 'mmp'}
        Which definition (see the module docstring).
    activity_units : str, optional
        Units of the activity column (:data:`molaudit.analytics.units.UNITS`); inferred with a
        loud note when not given. Everything is compared in pActivity (molar), except
        MoleculeACE's fold change on concentrations, which uses the raw ratio as they do.
    similarity, potency_fold : float
        MoleculeACE thresholds (0.9 on each similarity; fold change > 10).
    smiles_column : str, optional
        Column holding the SMILES strings for MoleculeACE's Levenshtein criterion. Default: the
        raw input column (``smiles_input`` when the input column was called ``smiles``), else the
        canonical ``smiles`` (the note says so: Levenshtein then differs from MoleculeACE).
    threshold : float
        SALI: smallest Tanimoto of a pair (batch Morgan fingerprints).
    min_sali : float, optional
        SALI: keep pairs with SALI >= this.
    top : int, optional
        SALI: keep the ``top`` highest SALI pairs.
    min_delta : float
        mmp: smallest |ΔpActivity| of a cliff pair.
    n_jobs : int, optional
        Workers (default: the batch's).

    Returns
    -------
    AnalyticResult
        ``moleculeace`` frames: ``molecules`` (row, id, activity, p_activity, cliff_mol,
        n_cliff_pairs) and ``pairs`` (row_1, row_2, id_1, id_2, activity_1, activity_2,
        fold_change, delta_p, tanimoto, scaffold_tanimoto, levenshtein_similarity,
        by_tanimoto, by_scaffold, by_levenshtein).
        ``sali`` frames: ``pairs`` (rank, row_1, row_2, id_1, id_2, similarity,
        p_activity_1, p_activity_2, delta_p, sali; sorted by SALI, highest first) and
        ``same_fingerprint`` (row_1, row_2, id_1, id_2, p_activity_1, p_activity_2, delta_p:
        pairs with similarity 1, whose SALI is undefined; sorted by row_1, row_2).
        ``mmp`` frames: ``pairs`` (the ``mmp`` analytic's pair columns with activity, filtered
        to |delta| >= min_delta, sorted by |delta|).
    """
    params = {
        "definition": definition,
        "activity_units": activity_units,
        "similarity": similarity,
        "potency_fold": potency_fold,
        "smiles_column": smiles_column,
        "threshold": threshold,
        "min_sali": min_sali,
        "top": top,
        "min_delta": min_delta,
    }
    table = data.table
    if len(table) == 0:
        return empty_result("activity_cliffs", "empty batch: no molecules", params)
    if not data.has_activity:
        return empty_result(
            "activity_cliffs", "no activity column: activity cliffs need one", params
        )
    try:
        scale = _activity_scale(data, activity_units)
    except ValueError as err:
        if activity_units is not None:
            raise
        return empty_result("activity_cliffs", str(err), params)
    if len(_usable(data, scale)) == 0:
        # every row is an error or has no activity: nothing to pair (no IndexError)
        return empty_result(
            "activity_cliffs",
            "no valid molecule has an activity value: no pairs to compare",
            params,
            {"activity_units": scale.units, "units_note": scale.note},
        )
    workers = data.n_jobs if n_jobs is None else n_jobs
    if definition == "moleculeace":
        result = _run_moleculeace(data, scale, similarity, potency_fold, smiles_column, workers)
    elif definition == "sali":
        result = _run_sali(data, scale, threshold, min_sali, top, workers)
    else:
        # mmp's own parameters as given (not the resolved ones), so that the cached result of
        # batch.mmp() with the same settings is reused
        result = _run_mmp(data, activity_units, min_delta, n_jobs)
    frames, summary, message = result
    summary["activity_units"] = scale.units
    summary["units_note"] = scale.note
    if scale.inferred:
        message = scale.note if message is None else f"{scale.note} {message}"
    return AnalyticResult("activity_cliffs", frames, summary, params, message)


def _usable(data: AnalyticInput, scale: ActivityScale) -> np.ndarray:
    table = data.table
    ok = (table["status"] != "error").to_numpy() & table["smiles"].notna().to_numpy()
    return np.flatnonzero(ok & np.isfinite(scale.p_activity))


def _pick_smiles_column(table: pd.DataFrame, smiles_column: str | None) -> tuple[str, str | None]:
    if smiles_column is not None:
        if smiles_column not in table.columns:
            raise ValueError(f"smiles_column must be a column of the table, got {smiles_column!r}")
        return smiles_column, None
    if "smiles_input" in table.columns:
        return "smiles_input", None
    return "smiles", (
        "Levenshtein criterion computed on the canonical 'smiles' (no raw SMILES column "
        "found); MoleculeACE uses the strings as given"
    )


def _run_moleculeace(data, scale, similarity, potency_fold, smiles_column, n_jobs):
    table = data.table
    use = _usable(data, scale)
    col, note = _pick_smiles_column(table, smiles_column)
    strings = table[col].astype("str").to_numpy()[use].tolist()
    raw = table["activity"].to_numpy(dtype=np.float64)[use]
    p = scale.p_activity[use]
    RDLogger.DisableLog("rdApp.*")
    try:
        mols_smiles = table["smiles"].astype("str").to_numpy()[use].tolist()
        cliff, pairs = _moleculeace_on(
            mols_smiles, strings, raw, p, scale, similarity, potency_fold, n_jobs
        )
    finally:
        RDLogger.EnableLog("rdApp.*")
    rows = table["row"].to_numpy(dtype=np.int64)[use]
    ids = table["id"].astype("str").to_numpy()[use]
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    n_pairs = np.bincount(np.concatenate([i, j]), minlength=len(use)) if len(use) else []
    molecules = pd.DataFrame(
        {
            "row": rows,
            "id": ids,
            "activity": raw,
            "p_activity": p,
            "cliff_mol": cliff.astype(np.int64),
            "n_cliff_pairs": np.asarray(n_pairs, dtype=np.int64),
        }
    )
    pair_frame = pd.DataFrame(
        {
            "row_1": rows[i],
            "row_2": rows[j],
            "id_1": ids[i],
            "id_2": ids[j],
            "activity_1": raw[i],
            "activity_2": raw[j],
            "fold_change": pairs["fold_change"].to_numpy(),
            "delta_p": p[j] - p[i],
            "tanimoto": pairs["tanimoto"].to_numpy(),
            "scaffold_tanimoto": pairs["scaffold_tanimoto"].to_numpy(),
            "levenshtein_similarity": pairs["levenshtein_similarity"].to_numpy(),
            "by_tanimoto": pairs["by_tanimoto"].to_numpy(),
            "by_scaffold": pairs["by_scaffold"].to_numpy(),
            "by_levenshtein": pairs["by_levenshtein"].to_numpy(),
        }
    )
    summary = {
        "n_molecules": len(use),
        "n_cliff_molecules": int(cliff.sum()),
        "n_cliff_pairs": len(pair_frame),
        "smiles_column": col,
    }
    return {"molecules": molecules, "pairs": pair_frame}, summary, note


def _moleculeace_on(mols_smiles, strings, raw, p, scale, similarity, potency_fold, n_jobs):
    if len(strings) == 0:
        cols = (
            "i",
            "j",
            "tanimoto",
            "scaffold_tanimoto",
            "levenshtein_similarity",
            "by_tanimoto",
            "by_scaffold",
            "by_levenshtein",
            "fold_change",
        )
        return np.zeros(0, dtype=np.int8), pd.DataFrame({c: [] for c in cols})
    # fingerprints from the parsed structures (atom order does not change Morgan bits), the
    # Levenshtein criterion from the strings as given
    return moleculeace_cliffs(
        mols_smiles,
        raw,
        similarity=similarity,
        potency_fold=potency_fold,
        p_activity=p,
        is_concentration=scale.is_concentration,
        n_jobs=n_jobs,
        strings=strings,
    )


def _run_sali(data, scale, threshold, min_sali, top, n_jobs):
    table = data.table
    fp_rows = np.asarray(data.fingerprint_rows, dtype=np.int64)
    row_to_pos = pd.Series(np.arange(len(table)), index=table["row"].to_numpy())
    pos = row_to_pos.reindex(fp_rows).to_numpy(dtype=np.float64)
    known = np.isfinite(pos)
    safe = np.where(known, pos, 0).astype(np.int64)
    have = known & np.isfinite(scale.p_activity[safe]) if len(pos) else np.zeros(0, bool)
    fps = np.ascontiguousarray(data.fingerprints)[have]
    pos = safe[have]
    i, j, sim = similar_pairs(fps, threshold, n_jobs=n_jobs)
    rows = table["row"].to_numpy(dtype=np.int64)
    ids = table["id"].astype("str").to_numpy()
    pi, pj = pos[i], pos[j]
    p = scale.p_activity
    delta = p[pj] - p[pi]
    same = sim >= 1.0
    with np.errstate(divide="ignore"):
        sali = np.abs(delta[~same]) / (1.0 - sim[~same])
    pairs = pd.DataFrame(
        {
            "row_1": rows[pi[~same]],
            "row_2": rows[pj[~same]],
            "id_1": ids[pi[~same]],
            "id_2": ids[pj[~same]],
            "similarity": sim[~same],
            "p_activity_1": p[pi[~same]],
            "p_activity_2": p[pj[~same]],
            "delta_p": delta[~same],
            "sali": sali,
        }
    )
    n_all = len(pairs)
    pairs = pairs.sort_values(["sali", "row_1", "row_2"], ascending=[False, True, True])
    if min_sali is not None:
        pairs = pairs[pairs["sali"] >= min_sali]
    if top is not None:
        pairs = pairs.head(top)
    pairs = pairs.reset_index(drop=True)
    pairs.insert(0, "rank", np.arange(1, len(pairs) + 1, dtype=np.int64))
    same_frame = pd.DataFrame(
        {
            "row_1": rows[pi[same]],
            "row_2": rows[pj[same]],
            "id_1": ids[pi[same]],
            "id_2": ids[pj[same]],
            "p_activity_1": p[pi[same]],
            "p_activity_2": p[pj[same]],
            "delta_p": delta[same],
        }
    )
    summary = {
        "n_molecules": len(pos),
        "n_pairs_above_threshold": int(n_all + same.sum()),
        "n_pairs": len(pairs),
        "n_same_fingerprint": int(same.sum()),
        "formula": "SALI = |delta pActivity| / (1 - Tanimoto)",
    }
    return {"pairs": pairs, "same_fingerprint": same_frame}, summary, None


def _run_mmp(data, activity_units, min_delta, n_jobs):
    # through the batch's manager (data.run): the mmp result is validated, cached and shared
    res = data.run("mmp", activity_units=activity_units, n_jobs=n_jobs)
    pairs = res.frames["pairs"]
    if len(pairs) == 0 or not pairs["delta"].notna().any():
        return {"pairs": pairs.iloc[:0]}, {"n_pairs": 0}, res.message
    cliffs = pairs[pairs["delta"].abs() >= min_delta]
    cliffs = cliffs.assign(abs_delta=cliffs["delta"].abs())
    cliffs = cliffs.sort_values(["abs_delta", "row_1", "row_2"], ascending=[False, True, True])
    cliffs = cliffs.drop(columns="abs_delta").reset_index(drop=True)
    summary = {"n_matched_pairs": len(pairs), "n_pairs": len(cliffs)}
    return {"pairs": cliffs}, summary, None
