"""R-group analytic: every decomposed row is checked against its own molecule.

The web platform's R-group rows landed on the wrong molecules; here the input is shuffled and
error rows are interleaved, so a list position never equals an input row, and each row of the
decomposition is recombined (``Chem.molzip``) and compared with that row's own structure.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, RDLogger
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.analytics import REGISTRY, AnalyticInput
from molaudit.analytics.rgroups import parse_core, rgroups

DATA = Path(__file__).parents[1] / "data" / "scaffolds" / "moleculeace_1000.csv"
COLUMNS = ("row", "id", "activity", "status", "smiles", "std_smiles", "murcko_scaffold")
# the 2-aminoisoquinoline cyclopropanecarboxamide series of CHEMBL1862_Ki
SERIES_CORE = "O=C(Nc1cc2ccccc2cn1)C1CC1"

RDLogger.DisableLog("rdApp.*")


def make_input(
    smiles: list[str | None], *, activity: list[float] | None = None, seed: int | None = None
) -> AnalyticInput:
    """A table like ``Batch.table``; ``None`` SMILES become error rows; IDs are 'mol-<row>'."""
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
                "murcko_scaffold": (
                    Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(mol)) if ok else None
                ),
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    if seed is not None:
        table = table.iloc[np.random.default_rng(seed).permutation(len(table))]
        table = table.reset_index(drop=True)
    return AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), np.uint8),
        fingerprint_rows=np.zeros(0, np.int64),
        activity_col="activity" if activity is not None else None,
        n_jobs=1,
    )


def canonical(smiles: str) -> str:
    return Chem.MolToSmiles(Chem.MolFromSmiles(smiles))


def recombine(record: pd.Series) -> str:
    """Zip the core and R-groups of one decomposition row back into a molecule.

    RDKit writes two substituents on one core atom as one label with two fragments
    ('F[*:2].F[*:2]' for a gem-difluoro); each extra fragment gets a fresh label and the core
    atom a matching extra attachment point, so that ``Chem.molzip`` can pair them. A group that
    closes a ring between two labels ('C(OC[*:2])[*:1]') appears under both and is zipped once.
    """
    params = Chem.SmilesParserParams()
    params.removeHs = False
    core = Chem.RWMol(Chem.MolFromSmiles(record["Core"], params))
    pieces = []
    fresh = 1000
    for column in record.index:
        if not column.startswith("R") or record[column] == "":
            continue
        fragments = record[column].split(".")
        if fragments[0].count("[*:") > 1 and fragments[0] in pieces:
            continue  # a ring-forming group bridging two labels is listed under both
        pieces.append(fragments[0])
        for extra in fragments[1:]:
            label = int(column[1:])
            dummy = next(a for a in core.GetAtoms() if a.GetAtomMapNum() == label)
            anchor = dummy.GetNeighbors()[0].GetIdx()
            new = Chem.Atom(0)
            new.SetAtomMapNum(fresh)
            core.AddBond(anchor, core.AddAtom(new), Chem.BondType.SINGLE)
            pieces.append(extra.replace(f"[*:{label}]", f"[*:{fresh}]"))
            fresh += 1
    joined = Chem.MolFromSmiles(".".join(pieces), params) if pieces else Chem.Mol()
    mol = Chem.molzip(Chem.CombineMols(core.GetMol(), joined))
    return Chem.MolToSmiles(Chem.RemoveHs(mol))


def flat(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    Chem.RemoveStereochemistry(mol)
    return Chem.MolToSmiles(mol)


def mismatched_rows(decomposition: pd.DataFrame, smiles: list[str | None]) -> list[int]:
    """Rows whose recombined decomposition is not the structure of that input row.

    RDKit's R-group output can drop a stereo centre next to an attachment point, so a row that
    differs from its molecule only in stereo still counts as the right molecule.
    """
    bad = []
    for _, record in decomposition.iterrows():
        own = smiles[int(record["row"])]
        zipped = recombine(record)
        if zipped != canonical(own) and flat(zipped) != flat(own):
            bad.append(int(record["row"]))
    return bad


@pytest.fixture(scope="module")
def chembl1862() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    return frame[frame["source"] == "CHEMBL1862_Ki"].reset_index(drop=True)


@pytest.fixture(scope="module")
def shuffled_series(chembl1862):
    """400 real molecules, an error row after every fourth, in shuffled table order."""
    smiles: list[str | None] = []
    activity: list[float] = []
    # rows 300-699 hold the isoquinoline series and about 120 other molecules
    part = chembl1862.iloc[300:700]
    for i, (smi, nm) in enumerate(zip(part["smiles"], part["exp_mean_nM"], strict=True)):
        smiles.append(smi)
        activity.append(float(nm))
        if i % 4 == 3:
            smiles.append(None)
            activity.append(float("nan"))
    return smiles, activity, make_input(smiles, activity=activity, seed=7)


def test_registered_as_expensive():
    assert REGISTRY["rgroups"].kind == "expensive"
    assert REGISTRY["rgroups"].func is rgroups


def test_user_core_rows_map_to_their_own_molecules(shuffled_series):
    smiles, activity, data = shuffled_series
    assert list(data.table["row"]) != sorted(data.table["row"])  # positions are not rows
    result = rgroups(data, core=SERIES_CORE)
    frame = result["decomposition"]
    core = Chem.MolFromSmiles(SERIES_CORE)
    expected = [
        r
        for r, s in enumerate(smiles)
        if s is not None and Chem.MolFromSmiles(s).HasSubstructMatch(core)
    ]
    assert len(expected) > 40
    assert list(frame["row"]) == expected
    assert mismatched_rows(frame, smiles) == []
    assert list(frame["id"]) == [f"mol-{r}" for r in expected]
    np.testing.assert_allclose(frame["activity"], [activity[r] for r in expected])
    # unmatched = the valid molecules without the core, by input row, with their own SMILES
    unmatched = result["unmatched"]
    others = [r for r, s in enumerate(smiles) if s is not None and r not in set(expected)]
    assert list(unmatched["row"]) == others
    assert set(unmatched["reason"]) == {"no core match"}
    for r, smi in zip(unmatched["row"], unmatched["smiles"], strict=True):
        assert smi == canonical(smiles[r])
    s = result.summary
    assert (s["core_source"], s["core_format"], s["scope"]) == ("user", "smiles", "batch")
    assert s["n_matched"] == len(expected)
    assert s["n_unmatched"] == len(others)
    assert s["n_molecules"] == len([x for x in smiles if x is not None])
    assert s["rgroup_labels"] == ";".join(c for c in frame.columns if c.startswith("R"))


def test_the_row_check_catches_a_shifted_mapping(shuffled_series):
    """The oracle is not vacuous: rows shifted by one (the web platform's bug) are caught."""
    smiles, _, data = shuffled_series
    frame = rgroups(data, core=SERIES_CORE)["decomposition"].copy()
    frame["row"] = np.roll(frame["row"].to_numpy(), 1)
    assert len(mismatched_rows(frame, smiles)) > len(frame) // 2


def test_auto_core_is_the_mcs_of_the_largest_scaffold_family(shuffled_series, chembl1862):
    smiles, _, data = shuffled_series
    result = rgroups(data)
    s = result.summary
    scaffolds = Counter(
        Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(x)))
        for x in smiles
        if x is not None
    )
    scaffolds.pop("", None)
    top_scaffold, top_count = scaffolds.most_common(1)[0]
    assert s["family_scaffold"] == top_scaffold
    assert s["family_size"] == top_count
    assert s["core_source"] == "mcs"
    assert s["scope"] == "family"
    assert s["mcs_timed_out"] is False
    core = Chem.MolFromSmarts(s["core"])
    assert core.GetNumAtoms() >= Chem.MolFromSmiles(top_scaffold).GetNumAtoms()
    frame = result["decomposition"]
    family = [
        r
        for r, x in enumerate(smiles)
        if x is not None
        and Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(x)))
        == top_scaffold
    ]
    assert list(frame["row"]) == family
    assert result["unmatched"].empty
    assert mismatched_rows(frame, smiles) == []
    for r in frame["row"]:
        assert Chem.MolFromSmiles(smiles[r]).HasSubstructMatch(core)


def test_labelled_core_puts_substituents_at_the_labelled_position():
    smiles = ["Cc1ccncc1", "Clc1ccncc1", "c1ccccc1C", None, "Cc1cccnc1", "OC(=O)c1ccncc1"]
    result = rgroups(make_input(smiles, seed=2), core="[*:1]c1ccncc1")
    frame = result["decomposition"].set_index("row")
    assert list(frame.index) == [0, 1, 4, 5]
    assert frame.loc[0, "R1"] == "C[*:1]"
    assert frame.loc[1, "R1"] == "Cl[*:1]"
    assert frame.loc[5, "R1"] == "O=C(O)[*:1]"
    assert frame.loc[4, "R1"] == "[H][*:1]"  # 3-methylpyridine: methyl elsewhere
    assert list(result["unmatched"]["row"]) == [2]
    assert mismatched_rows(result["decomposition"], smiles) == []


def test_smarts_and_unlabelled_cores():
    smiles = ["Cc1ccncc1", "Clc1ccccc1", "CCO", "Brc1ccc(F)cc1"]
    smarts = rgroups(make_input(smiles), core="[#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1")
    assert smarts.summary["core_format"] == "smarts"
    assert list(smarts["decomposition"]["row"]) == [1, 3]
    assert mismatched_rows(smarts["decomposition"], smiles) == []
    star = rgroups(make_input(smiles), core="*c1ccccc1")
    assert star.summary["core_format"] == "smiles"
    assert list(star["decomposition"]["row"]) == [1, 3]
    assert mismatched_rows(star["decomposition"], smiles) == []
    assert parse_core("c1ccccc1")[1] == "smiles"
    assert parse_core("[#7;R]")[1] == "smarts"


def test_invalid_core_raises_value_error():
    data = make_input(["c1ccccc1C"])
    with pytest.raises(ValueError, match="core 'c1ccc' could not be parsed as SMILES or SMARTS"):
        rgroups(data, core="c1ccc")
    with pytest.raises(ValueError, match="core 'C1CC\\(\\[' could not be parsed"):
        rgroups(data, core="C1CC([")
    with pytest.raises(ValueError, match="core must be a non-empty SMILES or SMARTS string"):
        rgroups(data, core="  ")
    with pytest.raises(ValueError, match=r"'core' parameter of rgroups must be a string or None"):
        rgroups(data, core=42)


def test_bad_parameters_raise():
    data = make_input(["c1ccccc1C"])
    with pytest.raises(ValueError, match=r"'timeout' parameter of rgroups .* > 0; got -1"):
        rgroups(data, timeout=-1)
    with pytest.raises(ValueError, match=r"'matching' parameter .* one of 'greedy'.*got 'fast'"):
        rgroups(data, matching="fast")
    with pytest.raises(ValueError, match=r"'decomposition_timeout' parameter .* got 0"):
        rgroups(data, core="c1ccccc1", decomposition_timeout=0)


def test_decomposition_timeout_raises_timeout_error(chembl1862):
    data = make_input(list(chembl1862["smiles"][:300]))
    with pytest.raises(TimeoutError, match=r"exceeded decomposition_timeout=0\.01 s"):
        rgroups(data, core="c1ccccc1", matching="greedy_chunks", decomposition_timeout=0.01)


def test_empty_all_error_and_acyclic_batches_give_messages():
    empty = rgroups(make_input([]))
    # the declared frames, empty (the result contract)
    assert list(empty.frames) == ["decomposition", "unmatched"]
    assert all(len(f) == 0 for f in empty.frames.values())
    assert "empty" in empty.message
    errors = rgroups(make_input([None, None, None]), core="c1ccccc1")
    assert list(errors.frames) == ["decomposition", "unmatched"] and errors["unmatched"].empty
    assert "all 3 rows are errors" in errors.message
    acyclic = rgroups(make_input(["CCO", "CCCN", None]))
    assert "no molecule has a ring scaffold" in acyclic.message
    nothing = rgroups(make_input(["CCO", "c1ccccc1"]), core="c1ccncc1")
    assert nothing["decomposition"].empty
    assert list(nothing["unmatched"]["row"]) == [0, 1]
    assert "no molecule matched" in nothing.message


def test_auto_core_has_a_readable_smiles(shuffled_series):
    _, _, data = shuffled_series
    summary = rgroups(data).summary
    readable = Chem.MolFromSmiles(summary["core_smiles"])
    assert readable is not None
    assert readable.HasSubstructMatch(Chem.MolFromSmarts(summary["core"]))
    assert readable.GetNumAtoms() == Chem.MolFromSmarts(summary["core"]).GetNumAtoms()


def test_auto_core_falls_back_to_the_scaffold(monkeypatch):
    # a single-member family has no MCS to compute; ties go to the smallest scaffold SMILES
    single = rgroups(make_input(["Cc1ccccc1", "CC1CCCCC1", "CCO"], seed=1))
    assert single.summary["family_scaffold"] == "C1CCCCC1"
    assert single.summary["core_source"] == "scaffold"
    assert list(single["decomposition"]["row"]) == [1]

    class Canceled:
        canceled, numAtoms, smartsString = True, 3, "[#6]-[#6]-[#6]"

    from molaudit.analytics import rgroups as rgroups_module

    monkeypatch.setattr(rgroups_module.rdFMCS, "FindMCS", lambda *a, **k: Canceled())
    smiles = ["Cc1ccncc1", "Clc1ccncc1", "Brc1ccncc1", "c1ccccc1C"]
    timed_out = rgroups(make_input(smiles, seed=4), timeout=1)
    s = timed_out.summary
    assert (s["core"], s["core_source"], s["mcs_timed_out"]) == ("c1ccncc1", "scaffold", True)
    assert list(timed_out["decomposition"]["row"]) == [0, 1, 2]
    assert mismatched_rows(timed_out["decomposition"], smiles) == []
