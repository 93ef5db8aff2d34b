"""Matched molecular pairs: mmpdb 3.1 agreement, hand-checked pairs, the analytic's contract."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem

from molaudit.analytics import AnalyticInput
from molaudit.analytics.mmp.analytic import find_pairs, mmp
from molaudit.analytics.mmp.fragment import FragmentSettings, fragment_smiles
from molaudit.molecule.fingerprints import morgan_packed

DATA = Path(__file__).resolve().parents[1] / "data" / "mmp"


def _canon(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def _pair_set(pairs: pd.DataFrame, names: list[str]) -> set[tuple[str, str]]:
    return {
        tuple(sorted((names[a], names[b])))
        for a, b in zip(pairs["rec_1"], pairs["rec_2"], strict=True)
    }


def _make_input(smiles: list[str], activity=None, rows=None, units=None) -> AnalyticInput:
    """An AnalyticInput built with RDKit directly (independent of molaudit's engine)."""
    rows = list(range(len(smiles))) if rows is None else rows
    mols = [Chem.MolFromSmiles(s) if s else None for s in smiles]
    table = pd.DataFrame(
        {
            "row": np.asarray(rows, dtype=np.int64),
            "id": [f"m{r}" for r in rows],
            "activity": np.asarray(
                activity if activity is not None else [np.nan] * len(smiles), dtype=float
            ),
            "status": ["ok" if m is not None else "error" for m in mols],
            "smiles": [Chem.MolToSmiles(m) if m is not None else None for m in mols],
            "std_smiles": [Chem.MolToSmiles(m) if m is not None else None for m in mols],
        }
    )
    valid = [k for k, m in enumerate(mols) if m is not None]
    fps = (
        np.stack([morgan_packed(mols[k]) for k in valid])
        if valid
        else np.zeros((0, 256), dtype=np.uint8)
    )
    return AnalyticInput(
        table=table,
        fingerprints=fps,
        fingerprint_rows=np.asarray([rows[k] for k in valid], dtype=np.int64),
        activity_col="pIC50" if activity is not None else None,
        id_col="id",
        n_jobs=1,
        backend="sequential",
        activity_units=units,
    )


# --------------------------------------------------------------------------- mmpdb agreement


def test_agreement_with_mmpdb() -> None:
    fixture = pd.read_csv(DATA / "chembl1871_ki_400.csv")
    names = fixture["id"].tolist()
    smiles = [_canon(s) for s in fixture["smiles"]]
    with gzip.open(DATA / "mmpdb_index.csv.gz", "rt") as fh:
        ref_rows = list(csv.DictReader(fh))
    reference = {tuple(sorted((r["id_1"], r["id_2"]))) for r in ref_rows}
    pairs, skipped = find_pairs(smiles, all_constants=True)
    ours = _pair_set(pairs, names)
    common = ours & reference
    recall = len(common) / len(reference)
    precision = len(common) / len(ours)
    assert len(reference) == 1447
    assert recall >= 0.99, f"recall {recall:.4f}: missing {sorted(reference - ours)[:5]}"
    assert precision >= 0.99, f"precision {precision:.4f}: extra {sorted(ours - reference)[:5]}"
    # the transforms and labelled constants are mmpdb's strings too
    rows_ours = {
        (names[a], names[b], t, c)
        for a, b, t, c in zip(
            pairs["rec_1"], pairs["rec_2"], pairs["transform"], pairs["constant"], strict=True
        )
    }
    rows_ref = {(r["id_1"], r["id_2"], r["transform"], r["constant"]) for r in ref_rows}
    assert len(rows_ours & rows_ref) / len(rows_ref) >= 0.99
    # mmpdb skips 10 of these molecules for having more than 10 rotatable bonds
    assert set(skipped["reason"]) == {"too many rotatable bonds"}
    assert len(skipped) == 10


def test_parallel_equals_serial() -> None:
    fixture = pd.read_csv(DATA / "chembl1871_ki_400.csv").head(66)  # >= 64: the pool path
    smiles = [_canon(s) for s in fixture["smiles"]]
    serial, _ = find_pairs(smiles, n_jobs=1)
    parallel, _ = find_pairs(smiles, n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert len(serial) > 0


# --------------------------------------------------------------------------- hand-checked pairs


def test_phenylacetic_acid_and_amide_pair() -> None:
    pairs, _ = find_pairs([_canon("OC(=O)Cc1ccccc1"), _canon("NC(=O)Cc1ccccc1")])
    assert len(pairs) == 1
    row = pairs.iloc[0]
    # the smallest change: the terminal group on the CH2 (3 + 3 heavy atoms)
    assert row["transform"] == "[*:1]C(=O)O>>[*:1]C(N)=O"
    assert row["constant"] == "[*:1]Cc1ccccc1"
    assert row["n_cuts"] == 1
    # oriented as mmpdb orients it: by the variable parts' canonical SMILES
    assert (row["rec_1"], row["rec_2"]) == (0, 1)


def test_two_cut_pair_needs_two_cuts() -> None:
    # two large ends (> 10 heavy atoms each) joined by an amide vs a sulfonamide: only the
    # linker differs, so the pair needs both ends as constant, i.e. two cuts
    amide = _canon("O=C(Nc1ccc2cc(Cl)ccc2c1)c1ccc(-c2ccccc2)cc1")
    sulfonamide = _canon("O=S(=O)(Nc1ccc2cc(Cl)ccc2c1)c1ccc(-c2ccccc2)cc1")
    one, _ = find_pairs([amide, sulfonamide], FragmentSettings(max_cuts=1))
    two, _ = find_pairs([amide, sulfonamide], FragmentSettings(max_cuts=2))
    assert len(one) == 0
    assert len(two) == 1
    assert two.iloc[0]["n_cuts"] == 2
    # mmpdb 3.1 writes this pair (run on these two molecules) with the same strings
    assert two.iloc[0]["transform"] == "[*:1]NC([*:2])=O>>[*:1]NS([*:2])(=O)=O"
    assert two.iloc[0]["constant"] == "[*:2]c1ccc(-c2ccccc2)cc1.[*:1]c1ccc2cc(Cl)ccc2c1"


def test_hydrogen_replacement_pair() -> None:
    pairs, _ = find_pairs([_canon("Cc1ccccc1"), _canon("c1ccccc1")])
    assert len(pairs) == 1
    assert pairs.iloc[0]["transform"] == "[*:1]C>>[*:1][H]"
    assert pairs.iloc[0]["constant"] == "[*:1]c1ccccc1"


def test_symmetric_constant_no_spurious_or_missing_pairs() -> None:
    anilide = "O=C(Nc1ccc(Cl)cc1)c1ccc(Cl)cc1"
    same_written_backwards = "Clc1ccc(NC(=O)c2ccc(Cl)cc2)cc1"
    ester = "O=C(Oc1ccc(Cl)cc1)c1ccc(Cl)cc1"
    # one compound entered twice is not a pair (mmpdb 3.1 pairs them through the two ways the
    # symmetric molecule decomposes onto '*Cl.*c1ccc(Cl)cc1')
    pairs, _ = find_pairs([_canon(anilide), _canon(same_written_backwards)])
    assert len(pairs) == 0
    # amide vs ester between two identical ends: one compound pair, through the symmetric
    # 2-cut constant among others (mmpdb writes the same 9 rows for it)
    pairs, _ = find_pairs([_canon(anilide), _canon(ester)], all_constants=True)
    assert {tuple(sorted(p)) for p in zip(pairs["rec_1"], pairs["rec_2"], strict=True)} == {(0, 1)}
    assert len(pairs) == 9
    by_constant = dict(zip(pairs["constant"], pairs["transform"], strict=False))
    assert (
        by_constant["[*:1]c1ccc(Cl)cc1.[*:2]c1ccc(Cl)cc1"] == "[*:1]NC([*:2])=O>>[*:1]OC([*:2])=O"
    )


def test_swapped_ends_across_asymmetric_linker_pair() -> None:
    # Cl and Br swap sides of the amide: different molecules, related through the linker
    # with the opposite attachment order (strings as mmpdb 3.1 writes them)
    a = _canon("O=C(Nc1ccc(Br)cc1)c1ccc(Cl)cc1")
    b = _canon("O=C(Nc1ccc(Cl)cc1)c1ccc(Br)cc1")
    pairs, _ = find_pairs([a, b], all_constants=True)
    assert len(pairs) == 5
    linker = pairs[pairs["constant"] == "[*:1]c1ccc(Br)cc1.[*:2]c1ccc(Cl)cc1"]
    assert linker["transform"].tolist() == ["[*:1]NC([*:2])=O>>[*:2]NC([*:1])=O"]


def test_skip_reasons() -> None:
    s = FragmentSettings()
    assert fragment_smiles(0, "C" * 120, s)[1] == "too many heavy atoms"
    assert fragment_smiles(0, "CCCCCCCCCCCCCCCC(C)O", s)[1] == "too many rotatable bonds"
    assert fragment_smiles(0, "CCO.c1ccccc1", s)[1] == "multiple fragments"
    assert fragment_smiles(0, "C", s)[1] == "not enough heavy atoms"
    assert fragment_smiles(0, "not a smiles", s)[1] == "invalid smiles"
    # a hydrochloride loses its chloride (mmpdb's SaltRemover) and is fragmented
    rec = fragment_smiles(0, "CCNCc1ccccc1.Cl", s)
    assert rec[1] == "" and rec[2] == "CCNCc1ccccc1"
    assert len(rec[5]) > 0


def test_variable_size_limit_and_bad_settings() -> None:
    big = _canon("CCCCCCCCCCCc1ccccc1")  # undecyl: 11 heavy atoms on the ring
    small = _canon("c1ccccc1")
    assert len(find_pairs([big, small])[0]) == 0
    assert len(find_pairs([big, small], FragmentSettings(max_variable_heavies=11))[0]) == 1
    with pytest.raises(ValueError, match="max_cuts must be 1, 2 or 3, got 4"):
        FragmentSettings(max_cuts=4)
    with pytest.raises(ValueError, match="cut_smarts must be a SMARTS of two atoms"):
        FragmentSettings(cut_smarts="[#6]")


# --------------------------------------------------------------------------- the analytic


def test_mmp_analytic_frames_rows_and_activity() -> None:
    smiles = ["Cc1ccccc1", "c1ccccc1", "not-a-smiles", "OC(=O)Cc1ccccc1", "NC(=O)Cc1ccccc1"]
    rows = [10, 11, 12, 13, 14]
    data = _make_input(smiles, activity=[6.0, 5.0, 7.0, 4.0, 6.5], rows=rows, units="pX")
    res = mmp(data)
    pairs = res["pairs"]
    assert {tuple(sorted(p)) for p in zip(pairs["row_1"], pairs["row_2"], strict=True)} >= {
        (10, 11),
        (13, 14),
    }
    tol = pairs.set_index(["row_1", "row_2"]).loc[(10, 11)]
    assert tol["transform"] == "[*:1]C>>[*:1][H]"
    assert tol["id_1"] == "m10" and tol["id_2"] == "m11"
    # delta is p_activity_2 - p_activity_1 on the pX scale given
    assert tol["delta"] == pytest.approx(-1.0)
    assert 0.0 < tol["tanimoto"] < 1.0
    for col in ("row_1", "row_2", "id_1", "id_2", "smiles_1", "smiles_2", "constant"):
        assert col in pairs.columns
    for col in ("variable_1", "variable_2", "transform", "n_cuts", "activity_1", "activity_2"):
        assert col in pairs.columns
    skipped = res["skipped"]
    assert skipped["row"].tolist() == [12]
    assert skipped["id"].tolist() == ["m12"]
    transforms = res["transforms"]
    t = transforms.set_index("transform").loc["[*:1]C>>[*:1][H]"]
    assert t["n_pairs"] == 1 and t["n_down"] == 1 and t["n_up"] == 0
    assert res.summary["activity_units"] == "pX"


def test_mmp_analytic_empty_and_errors() -> None:
    empty = _make_input([])
    res = mmp(empty)
    assert res.message == "empty batch: no molecules"
    assert len(res["pairs"]) == 0
    all_bad = _make_input(["xx", "yy"])
    res = mmp(all_bad)
    assert "every row is an error" in res.message
    assert res["skipped"]["row"].tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"'structure' .* one of 'input', 'parent'; got 'raw'"):
        mmp(_make_input(["CC"]), structure="raw")
    with pytest.raises(ValueError, match=r"'max_cuts' .* of mmp must be one of 1, 2, 3; got 0"):
        mmp(_make_input(["CC"]), max_cuts=0)


def test_mmp_inferred_units_note() -> None:
    data = _make_input(["Cc1ccccc1", "c1ccccc1"], activity=[100.0, 10.0])
    res = mmp(data)
    assert "ACTIVITY UNITS NOT GIVEN" in res.message
    row = res["pairs"].iloc[0]
    # 100 nM -> 7, 10 nM -> 8
    assert sorted([row["p_activity_1"], row["p_activity_2"]]) == pytest.approx([7.0, 8.0])


def test_smallest_transformation_only_drops_reducible() -> None:
    # ethyl vs propyl ester of benzoic acid: '*CC>>*CCC' via the O-C cut is the smallest;
    # '*OCC>>*OCCC' (cut at the carbonyl) reduces to it
    smiles = [_canon("CCOC(=O)c1ccccc1"), _canon("CCCOC(=O)c1ccccc1")]
    every, _ = find_pairs(smiles, all_constants=True)
    smallest, _ = find_pairs(smiles, all_constants=True, smallest_transformation_only=True)
    assert len(smallest) < len(every)
    assert len(smallest) >= 1


def test_metal_complexes_and_mixtures_say_why_they_have_no_parent(quiet):
    # a two-drug combination (aspirin + paracetamol) and ferrocene are kept whole by the audit
    # (flagged mixture / organometallic); matched pairs need one parent, so both are skipped,
    # and the reason says why rather than only "multiple fragments"
    import molaudit

    smiles = [
        "CCOc1ccccc1",
        "CCNc1ccccc1",
        "OC(=O)c1ccccc1OC(C)=O.CC(=O)Nc1ccc(O)cc1",
        "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1",
    ]
    batch = molaudit.audit(smiles, n_jobs=1, cache=False, progress=False, analytics=False)
    skipped = batch.mmp(n_jobs=1)["skipped"].set_index("row")["reason"]
    assert "mixture" in skipped[2] and "no single parent" in skipped[2]
    assert "metal complex" in skipped[3] and "no single parent" in skipped[3]
    assert 0 not in skipped.index and 1 not in skipped.index
