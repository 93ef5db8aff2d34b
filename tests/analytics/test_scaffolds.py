"""Scaffolds analytic: hand-checked molecules, entropy, row mapping, RDKit-per-molecule oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.analytics import REGISTRY, AnalyticInput, AnalyticResult
from molaudit.analytics import scaffolds as scaffolds_module
from molaudit.analytics.scaffolds import (
    generic_scaffold,
    scaffold_rows,
    scaffolds,
    shannon_entropy,
)

DATA = Path(__file__).parents[1] / "data" / "scaffolds" / "moleculeace_1000.csv"
COLUMNS = ("row", "id", "activity", "status", "smiles", "std_smiles", "murcko_scaffold")


def make_input(
    smiles: list[str | None],
    *,
    activity: list[float] | None = None,
    seed: int | None = None,
    murcko: bool = True,
    n_jobs: int = 1,
) -> AnalyticInput:
    """A table like ``Batch.table``: ``None`` SMILES become error rows; rows optionally shuffled.

    Columns are computed here with RDKit directly (the Murcko scaffold as the audit writes it:
    isomeric SMILES of ``GetScaffoldForMol``), independent of the code under test. IDs are
    ``'mol-<row>'`` so that an ID never equals a row number.
    """
    n = len(smiles)
    records = []
    for row, smi in enumerate(smiles):
        mol = Chem.MolFromSmiles(smi) if smi is not None else None
        ok = mol is not None
        records.append(
            {
                "row": row,
                "id": f"mol-{row}",
                "activity": activity[row] if activity is not None else np.nan,
                "status": "ok" if ok else "error",
                "smiles": Chem.MolToSmiles(mol) if ok else None,
                "std_smiles": Chem.MolToSmiles(mol) if ok else None,
                "murcko_scaffold": audit_murcko(smi) if ok else None,
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    if not murcko:
        table = table.drop(columns="murcko_scaffold")
    if seed is not None:
        table = table.iloc[np.random.default_rng(seed).permutation(n)].reset_index(drop=True)
    return AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), np.uint8),
        fingerprint_rows=np.zeros(0, np.int64),
        activity_col="activity" if activity is not None else None,
        n_jobs=n_jobs,
        backend="loky",
    )


def audit_murcko(smiles: str) -> str:
    return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(smiles)))


def rdkit_generic(smiles: str) -> str:
    """Generic scaffold computed directly from the molecule, the way the RDKit docs show it."""
    mol = Chem.MolFromSmiles(smiles)
    frame = MurckoScaffold.GetScaffoldForMol(mol)
    generic = MurckoScaffold.MakeScaffoldGeneric(frame)
    return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(generic))


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_registered_as_expensive():
    spec = REGISTRY["scaffolds"]
    assert spec.kind == "expensive"
    assert spec.func is scaffolds


def test_entropy_of_four_equal_scaffolds_is_two_bits():
    assert shannon_entropy([5, 5, 5, 5]) == pytest.approx(2.0)
    assert shannon_entropy([2, 1, 1]) == pytest.approx(1.5)
    assert shannon_entropy([7]) == 0.0
    # two of each of four ring systems, no acyclic molecule
    smiles = ["c1ccccc1C", "c1ccccc1CC", "C1CCCC1C", "C1CCCC1O"]
    smiles += ["c1ccncc1N", "c1ccncc1Cl", "C1CC1CO", "C1CC1C(=O)O"]
    result = scaffolds(make_input(smiles, seed=3))
    assert result.summary["murcko_n_scaffolds"] == 4
    assert result.summary["murcko_entropy_bits"] == pytest.approx(2.0)
    assert result.summary["murcko_normalized_entropy"] == pytest.approx(1.0)
    # generic: benzene and pyridine merge -> counts 4, 2, 2 -> 1.5 bits of log2(3)
    assert result.summary["generic_n_scaffolds"] == 3
    assert result.summary["generic_entropy_bits"] == pytest.approx(1.5)
    assert result.summary["generic_normalized_entropy"] == pytest.approx(1.5 / math.log2(3))


def test_hand_checked_molecules():
    smiles = [
        "c1ccccc1",  # 0 benzene
        "Cc1ccccc1",  # 1 toluene
        "c1ccncc1",  # 2 pyridine
        "CCCCCC",  # 3 hexane: acyclic
        "C1CCCCC1",  # 4 cyclohexane
        "O=C1CCCCC1",  # 5 cyclohexanone: Murcko keeps the exocyclic O, generic drops it
        "CCO",  # 6 ethanol: acyclic
        None,  # 7 error row
        "c1ccc(cc1)Cc1ccccc1",  # 8 diphenylmethane
    ]
    result = scaffolds(make_input(smiles, seed=11))
    members = result["members"].set_index("row")
    assert list(result["members"]["row"]) == [0, 1, 2, 3, 4, 5, 6, 8]
    assert members.loc[0, "murcko_scaffold"] == members.loc[1, "murcko_scaffold"] == "c1ccccc1"
    assert members.loc[2, "murcko_scaffold"] == "c1ccncc1"
    assert members.loc[5, "murcko_scaffold"] == "O=C1CCCCC1"
    assert members.loc[3, "murcko_scaffold"] == members.loc[6, "murcko_scaffold"] == ""
    for row in (0, 1, 2, 4, 5):
        assert members.loc[row, "generic_scaffold"] == "C1CCCCC1"
    assert members.loc[8, "generic_scaffold"] == "C1CCC(CC2CCCCC2)CC1"
    assert members.loc[3, "generic_scaffold"] == ""
    assert members.loc[0, "id"] == "mol-0"

    table = result["scaffolds"]
    murcko = table[table["kind"] == "murcko"].set_index("scaffold")
    assert murcko.loc["c1ccccc1", "rows"] == [0, 1]
    assert murcko.loc["c1ccccc1", "ids"] == ["mol-0", "mol-1"]
    assert murcko.loc["", "rows"] == [3, 6]
    assert murcko.loc["", "n_molecules"] == 2
    generic = table[table["kind"] == "generic"].set_index("scaffold")
    assert generic.loc["C1CCCCC1", "rows"] == [0, 1, 2, 4, 5]
    assert generic.loc["C1CCCCC1", "fraction"] == pytest.approx(5 / 8)
    assert table.loc[table["kind"] == "murcko", "n_molecules"].sum() == 8

    s = result.summary
    assert s["n_molecules"] == 8
    assert s["n_error_rows"] == 1
    assert s["n_acyclic"] == 2
    assert s["murcko_n_scaffolds"] == 6  # benzene, pyridine, cyclohexane, cyclohexanone, '', Ph2CH2
    assert s["murcko_n_singletons"] == 4
    assert s["generic_n_scaffolds"] == 3

    assert scaffold_rows(result, "c1ccccc1") == [0, 1]
    assert scaffold_rows(result, "", kind="generic") == [3, 6]
    assert scaffold_rows(result, "c1ccncc1", kind="murcko") == [2]
    assert scaffold_rows(result, "C1CCCCC1", kind="generic") == [0, 1, 2, 4, 5]
    assert scaffold_rows(result, "C1CCCCC1", kind="murcko") == [4]
    assert scaffold_rows(result, "c1ccc2ccccc2c1") == []
    with pytest.raises(ValueError, match="both a Murcko and a generic scaffold"):
        scaffold_rows(result, "C1CCCCC1")
    with pytest.raises(ValueError, match="kind must be one of"):
        scaffold_rows(result, "c1ccccc1", kind="bemis")


def test_rows_and_ids_are_input_rows_not_positions(real):
    smiles: list[str | None] = list(real["smiles"].head(200))
    for pos in range(0, 200, 7):
        smiles[pos] = None  # error rows interleaved
    result = scaffolds(make_input(smiles, seed=5))
    members = result["members"]
    ok_rows = [i for i, s in enumerate(smiles) if s is not None]
    assert list(members["row"]) == ok_rows
    assert list(members["id"]) == [f"mol-{r}" for r in ok_rows]
    for r, scaffold in zip(members["row"], members["murcko_scaffold"], strict=True):
        assert scaffold == audit_murcko(smiles[r])
    for _, group in result["scaffolds"].iterrows():
        rows = group["rows"]
        assert all(type(r) is int for r in rows)  # row references are lists of ints
        column = f"{group['kind']}_scaffold"
        assert set(members.loc[members["row"].isin(rows), column]) == {group["scaffold"]}
        assert group["ids"] == [f"mol-{r}" for r in rows]
        assert rows == sorted(rows)


def test_generic_matches_rdkit_per_molecule_on_1000_real_molecules(real):
    smiles = list(real["smiles"])
    nm = real["exp_mean_nM"].to_numpy(float)
    result = scaffolds(make_input(smiles, activity=list(nm)))
    members = result["members"]
    assert len(members) == 1000
    expected_generic = [rdkit_generic(s) for s in smiles]
    assert list(members["generic_scaffold"]) == expected_generic
    expected_murcko = [audit_murcko(s) for s in smiles]
    assert list(members["murcko_scaffold"]) == expected_murcko

    # the scaffold table against a brute-force grouping: every scaffold, every row, no cap
    oracle = pd.DataFrame({"row": range(1000), "generic": expected_generic, "act": nm})
    groups = oracle.groupby("generic")
    table = result["scaffolds"]
    generic = table[table["kind"] == "generic"].set_index("scaffold")
    assert len(generic) == groups.ngroups > 50
    for scaffold, group in groups:
        assert generic.loc[scaffold, "rows"] == group["row"].tolist()
        assert generic.loc[scaffold, "mean_activity"] == pytest.approx(group["act"].mean())
        assert generic.loc[scaffold, "median_activity"] == pytest.approx(group["act"].median())
    counts = oracle["generic"].value_counts().to_numpy()
    p = counts / counts.sum()
    assert result.summary["generic_entropy_bits"] == pytest.approx(-(p * np.log2(p)).sum())
    assert result.summary["generic_n_singletons"] == int((counts == 1).sum())
    murcko = table[table["kind"] == "murcko"]
    assert len(murcko) == len(set(expected_murcko))
    assert list(murcko["n_molecules"]) == sorted(murcko["n_molecules"], reverse=True)


def test_generic_scaffold_public_helper():
    assert generic_scaffold("c1ccncc1") == "C1CCCCC1"
    assert generic_scaffold("CCO") == ""
    assert generic_scaffold("") == ""
    assert generic_scaffold("not a smiles") is None
    assert generic_scaffold("O=C1CCCCC1CCc1ccccc1") == "C1CCC(CCC2CCCCC2)CC1"


def test_missing_murcko_is_computed_from_std_smiles(real):
    smiles = list(real["smiles"].head(120))
    full = scaffolds(make_input(smiles, seed=1))
    no_column = scaffolds(make_input(smiles, seed=1, murcko=False))
    partial_input = make_input(smiles, seed=1)
    table = partial_input.table.copy()
    table.loc[table.index[::3], "murcko_scaffold"] = None
    partial = scaffolds(
        AnalyticInput(table, partial_input.fingerprints, partial_input.fingerprint_rows, n_jobs=1)
    )
    for other in (no_column, partial):
        pd.testing.assert_frame_equal(other["members"], full["members"])
        pd.testing.assert_frame_equal(other["scaffolds"], full["scaffolds"])


def test_kind_murcko_or_generic_only():
    smiles = ["Cc1ccccc1", "c1ccncc1", "CCC"]
    murcko = scaffolds(make_input(smiles), kind="murcko")
    assert set(murcko["scaffolds"]["kind"]) == {"murcko"}
    assert "generic_scaffold" not in murcko["members"].columns
    assert "generic_n_scaffolds" not in murcko.summary
    generic = scaffolds(make_input(smiles), kind="generic")
    assert set(generic["scaffolds"]["kind"]) == {"generic"}
    assert list(generic["members"].columns) == ["row", "id", "generic_scaffold"]
    assert scaffold_rows(generic, "C1CCCCC1") == [0, 1]
    assert generic.summary["n_acyclic"] == 1


def test_no_activity_means_empty_activity_columns():
    # the declared columns are always there (the result contract); without activity they are
    # NaN, and no member has a value
    result = scaffolds(make_input(["Cc1ccccc1", "CCc1ccccc1"]))
    table = result["scaffolds"]
    assert table["mean_activity"].isna().all() and (table["n_activity"] == 0).all()


def test_bad_kind_raises():
    with pytest.raises(
        ValueError, match=r"'kind' .* of scaffolds must be one of 'both', 'murcko', 'generic'"
    ):
        scaffolds(make_input(["c1ccccc1"]), kind="bemis-murcko")
    with pytest.raises(ValueError, match="must be a 'scaffolds' AnalyticResult"):
        scaffold_rows(AnalyticResult("dedup"), "c1ccccc1")


def test_empty_and_all_error_batches_give_messages():
    empty = scaffolds(make_input([]))
    # the declared frames, empty (the result contract)
    assert list(empty.frames) == ["scaffolds", "members"]
    assert all(len(f) == 0 for f in empty.frames.values())
    assert "empty" in empty.message
    errors = scaffolds(make_input([None, None]))
    assert list(errors.frames) == ["scaffolds", "members"] and errors["scaffolds"].empty
    assert "all 2 rows are errors" in errors.message
    assert scaffold_rows(errors, "c1ccccc1") == []


def test_unparsable_non_error_row_is_reported_not_dropped_silently():
    data = make_input(["Cc1ccccc1", "CCc1ccccc1"], murcko=False)
    table = data.table.copy()
    table.loc[1, ["smiles", "std_smiles"]] = "C1CC"  # unclosed ring: does not parse
    result = scaffolds(AnalyticInput(table, data.fingerprints, data.fingerprint_rows, n_jobs=1))
    assert result.summary["n_unassigned"] == 1
    assert "rows 1" in result.message
    assert list(result["members"]["row"]) == [0]


def test_parallel_path_gives_identical_results(real, monkeypatch):
    monkeypatch.setattr(scaffolds_module, "_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds_module, "_CHUNK", 150)
    monkeypatch.setattr(scaffolds_module, "_GENERIC_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds_module, "_GENERIC_CHUNK", 150)
    smiles = list(real["smiles"].head(600))
    serial = scaffolds(make_input(smiles, murcko=False, n_jobs=1))
    parallel = scaffolds(make_input(smiles, murcko=False, n_jobs=2))
    pd.testing.assert_frame_equal(serial["members"], parallel["members"])
    pd.testing.assert_frame_equal(serial["scaffolds"], parallel["scaffolds"])


def test_through_the_engine(real):
    import molaudit

    frame = real.head(60)[["smiles", "exp_mean_nM"]].copy()
    smiles = list(frame["smiles"])
    smiles[5] = "not a smiles"
    frame["smiles"] = smiles
    frame["name"] = [f"cpd{i}" for i in range(len(frame))]
    with pytest.warns(Warning, match="1 of 60 records failed"):
        batch = molaudit.audit(
            frame,
            id_col="name",
            activity_col="exp_mean_nM",
            n_jobs=1,
            cache=False,
            progress=False,
        )
    result = batch.scaffolds()
    members = result["members"]
    assert 5 not in set(members["row"])
    assert len(members) == 59
    for row, ident, generic in members[["row", "id", "generic_scaffold"]].itertuples(index=False):
        assert ident == f"cpd{row}"
        std = batch.table.set_index("row").loc[row, "std_smiles"]
        assert generic == rdkit_generic(std)
    assert result.summary["n_error_rows"] == 1
    assert "mean_activity" in result["scaffolds"].columns
    top = result["scaffolds"].iloc[0]
    assert scaffold_rows(result, top["scaffold"], kind=top["kind"]) == top["rows"]
    decomposition = batch.rgroups(core="c1ccccc1")["decomposition"]
    table = batch.table.set_index("row")
    for row, ident in decomposition[["row", "id"]].itertuples(index=False):
        assert ident == f"cpd{row}"
        assert Chem.MolFromSmiles(table.loc[row, "std_smiles"]).HasSubstructMatch(
            Chem.MolFromSmiles("c1ccccc1")
        )
