"""compare(reference, other): similarities against RDKit's BulkTanimotoSimilarity, overlap,
property shift and scaffolds on hand-checked molecules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fp_input import make_input
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from scipy.stats import ks_2samp

import molaudit
from molaudit.analytics.compare import compare_inputs, nearest_reference
from molaudit.analytics.similarity.index import FingerprintIndex
from molaudit.options import AuditOptions

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"


@pytest.fixture(scope="module")
def sets() -> tuple[list[str], list[str]]:
    smiles = pd.read_csv(DATA)["smiles"].tolist()
    reference = smiles[0:1200:2]  # 600 molecules
    # 250 others and 30 molecules of the reference again (similarity 1, exact ties by row)
    other = smiles[1:500:2] + reference[:30]
    return reference, other


def test_nearest_equals_rdkit_bulk_tanimoto(sets, search_kernel: str) -> None:
    ref_smiles, other_smiles = sets
    ref = make_input(ref_smiles, error_every=13)
    other = make_input(other_smiles, error_every=17)
    res = compare_inputs(ref, other)
    nearest = res["nearest"]
    assert nearest["row"].tolist() == other.fingerprint_rows.tolist()  # every valid row
    # the oracle: RDKit bit vectors and BulkTanimotoSimilarity, maximum taken in Python
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    ref_bv = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in ref_smiles]
    best, best_row = [], []
    for s in other_smiles:
        sims = np.array(DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(
            Chem.MolFromSmiles(s)), ref_bv))  # fmt: skip
        top = sims.max()
        best.append(top)
        best_row.append(int(ref.fingerprint_rows[np.flatnonzero(sims == top)].min()))
    assert nearest["similarity"].tolist() == best  # bit-identical, not approximately
    assert nearest["ref_row"].tolist() == best_row  # ties: lowest reference row
    ids = dict(zip(ref.table["row"], ref.table["id"], strict=True))
    assert nearest["ref_id"].tolist() == [ids[r] for r in best_row]
    n = len(best)
    within9 = sum(b >= 0.9 for b in best)
    assert res.summary["within_0.9"] == {"count": within9, "fraction": within9 / n}
    assert within9 >= 30  # the 30 repeated molecules at least
    assert res.summary["histogram"]["counts"] == np.histogram(best, 20, (0, 1))[0].tolist()
    assert res.summary["sentence"].startswith(f"{within9 / n:.1%} of other ({within9} of {n})")


def test_top1_kernel_against_brute_force_with_ties(search_kernel: str) -> None:
    rng = np.random.default_rng(7)
    # few bits per fingerprint: many exact ties; one empty fingerprint on each side
    bits = rng.random((400, 256)) < 0.04
    bits[5] = False
    queries = rng.random((150, 256)) < 0.04
    queries[0] = False
    packed, qpacked = np.packbits(bits, axis=1), np.packbits(queries, axis=1)
    rows = rng.permutation(1000)[:400]  # input rows not in fingerprint order
    got_rows, got_sims = nearest_reference(FingerprintIndex(packed, rows), qpacked, n_jobs=2)
    a = bits.sum(1)
    for i, q in enumerate(queries):
        c = (bits & q).sum(1)
        d = a + q.sum() - c
        sims = np.where(d > 0, c / np.where(d > 0, d, 1), 0.0)  # RDKit: 0 for two empty
        top = sims.max()
        assert got_sims[i] == top
        assert got_rows[i] == rows[sims == top].min()


@pytest.fixture(scope="module")
def pair() -> tuple[molaudit.Batch, molaudit.Batch]:
    reference = [
        "c1ccc2ccccc2c1CN",  # row 0: naphthylmethylamine
        "CC(=O)Nc1ccc(O)cc1",  # row 1: paracetamol
        "C1CCNCC1",  # row 2: piperidine scaffold
    ]
    other = [
        "NCc1cccc2ccccc12.Cl",  # row 0: the HCl salt of reference row 0 (shared at salt level)
        "CC(=O)Nc1ccc(O)cc1",  # row 1: paracetamol again (shared at every level)
        "c1ccc(-c2ccncc2)cc1",  # row 2: 4-phenylpyridine, a new scaffold
    ]
    opts = {"n_jobs": 1, "cache": False, "progress": False}
    return molaudit.audit(reference, **opts), molaudit.audit(other, **opts)


def test_overlap_scaffolds_and_shift_by_hand(pair) -> None:
    ref, other = pair
    res = molaudit.compare(ref, other, n_jobs=1)
    overlap = res["overlap"]
    by_level = {lvl: part for lvl, part in overlap.groupby("level")}
    # exact: only paracetamol; salt: paracetamol and the amine (its HCl salt stripped)
    assert by_level["exact"]["rows"].tolist() == [[1]]
    assert by_level["exact"]["ref_rows"].tolist() == [[1]]
    salt = by_level["salt"].sort_values("key")
    assert sorted(map(tuple, salt["rows"])) == [(0,), (1,)]
    assert res.summary["overlap"]["salt"]["shared_compounds"] == 2
    assert res.summary["overlap"]["exact"]["shared_compounds"] == 1
    scaffolds = res["scaffolds"]
    new = scaffolds[scaffolds["status"] == "new"]
    lost = scaffolds[scaffolds["status"] == "lost"]
    assert new["scaffold"].tolist() == ["c1ccc(-c2ccncc2)cc1"]  # phenylpyridine, row 2
    assert new["rows"].tolist() == [[2]]
    assert lost["scaffold"].tolist() == ["C1CCNCC1"] and lost["batch"].tolist() == ["reference"]
    nearest = res["nearest"]
    assert nearest.loc[nearest["row"] == 1, "similarity"].item() == 1.0
    assert nearest.loc[nearest["row"] == 1, "ref_row"].item() == 1
    # property shift: KS computed here straight from the two tables
    shift = res["property_shift"].set_index("property")
    ks = ks_2samp(ref.table["mw"], other.table["mw"])
    assert shift.loc["mw", "ks_statistic"] == pytest.approx(ks.statistic)
    assert shift.loc["mw", "p_value"] == pytest.approx(ks.pvalue)
    assert shift.loc["mw", "reference_median"] == pytest.approx(np.median(ref.table["mw"]))
    assert shift.loc["mw", "other_median"] == pytest.approx(np.median(other.table["mw"]))


def test_compare_accepts_raw_inputs_and_refuses_other_fingerprints() -> None:
    res = molaudit.compare(["CCO", "CCN"], ["CCO"], n_jobs=1, cache=False)
    assert res["nearest"]["similarity"].tolist() == [1.0]
    assert res.summary["within_0.9"]["count"] == 1
    small = molaudit.audit(["CCO"], options=AuditOptions(fp_size=1024), n_jobs=1, cache=False,
                           progress=False)  # fmt: skip
    big = molaudit.audit(["CCO"], n_jobs=1, cache=False, progress=False)
    with pytest.raises(ValueError, match="different fingerprints"):
        molaudit.compare(big, small)


def test_empty_other_gives_empty_frames() -> None:
    ref = make_input(["CCO", "CCN"])
    empty = make_input([])
    res = compare_inputs(ref, empty)
    assert res["nearest"].empty and res.message == "other has no valid molecule: nothing to compare"
    assert res.summary["within_0.7"] == {"count": 0, "fraction": 0.0}


def test_compare_view_plots_are_private(pair) -> None:
    ref, other = pair
    view = molaudit.compare(ref, other, n_jobs=1).show()
    assert set(view.plots) == {"similarity", "overlap", "property_shift"}
    for plot in view.plots.values():
        cfg = plot.config
        assert cfg["displaylogo"] is False and cfg["showLink"] is False
        assert cfg["showSendToCloud"] is False and cfg["showEditInChartStudio"] is False
        assert "sendDataToCloud" in cfg["modeBarButtonsToRemove"]
    # the histogram is binned in the kernel: 20 bars whose counts add up to the 3 molecules
    bars = view.plots["similarity"].fig.data[0]
    assert len(bars.y) == 20 and sum(bars.y) == 3
