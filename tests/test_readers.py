"""Input coercion and the row contract on real bad inputs."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest
from rdkit import Chem

import molaudit
from molaudit.errors import ColumnNotFoundError
from molaudit.ingest.columns import parse_activity
from molaudit.ingest.readers import read_input

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

BAD = Path(__file__).parent / "data" / "bad"


def audit(data, **kw):
    kw.setdefault("n_jobs", 1)
    kw.setdefault("progress", False)
    kw.setdefault("cache", False)
    return molaudit.audit(data, **kw)


def test_missing_column_raises_with_hint():
    frame = pd.DataFrame({"smiles": ["CCO"], "name": ["x"]})
    with pytest.raises(
        ColumnNotFoundError, match="column 'smile' not found; did you mean 'smiles'"
    ):
        read_input(frame, smiles_col="smile")
    with pytest.raises(
        ColumnNotFoundError, match="ID column 'nmae' not found; did you mean 'name'"
    ):
        read_input(frame, id_col="nmae")


def test_no_smiles_column_raises():
    with pytest.raises(ColumnNotFoundError, match="no SMILES column found"):
        read_input(pd.DataFrame({"a": ["hello world", "foo bar"], "b": [1, 2]}))


def test_detection_rules_and_notes():
    frame = pd.DataFrame(
        {"Compound_ID": ["a", "b"], "Canonical_SMILES": ["CCO", "CCN"], "pIC50": ["5.1", "6"]}
    )
    table = read_input(frame)
    assert (table.smiles_col, table.id_col, table.activity_col) == (
        "Canonical_SMILES",
        "Compound_ID",
        "pIC50",
    )
    assert any("detected" in n for n in table.notes)


def test_smiles_column_detected_from_content():
    table = read_input(
        pd.DataFrame({"label": ["x", "y", "z"], "structure_text": ["CCO", "c1ccccc1", "CC(=O)O"]})
    )
    assert table.smiles_col == "structure_text"


@pytest.mark.parametrize("bad", ["n/a", ">10", "<5", "", "inf", "abc"])
def test_activity_is_never_silently_zero(bad):
    values, notes = parse_activity(pd.Series(["5.5", bad], dtype=object))
    assert values[0] == 5.5 and notes[0] == ""
    assert values[1] != 0 or bad in (">10", "<5")
    assert notes[1] != ""
    if bad in (">10", "<5"):
        assert notes[1].startswith("censored")


def test_negative_and_numeric_activity_kept():
    values, notes = parse_activity(pd.Series([-3.2, 1.0, float("nan")]))
    assert list(values[:2]) == [-3.2, 1.0] and notes[2] == "missing"


def test_unparsable_csv_every_row_back_in_order(quiet):
    batch = audit(BAD / "unparsable.csv")
    table = batch.table
    raw = pd.read_csv(BAD / "unparsable.csv", dtype=str, keep_default_na=False)
    assert len(table) == len(raw)
    assert table["row"].tolist() == list(range(len(raw)))
    assert table["id"].tolist() == raw["name"].tolist()
    codes = dict(zip(table["id"], table["error_code"], strict=True))
    assert codes["unclosed ring"] == "parse_error"
    assert codes["pentavalent N"] == "valence_error"
    assert codes["bad aromatic"] == "kekulization_error"
    assert codes["empty smiles"] == "empty_input"
    errors = table[table.status == "error"]
    assert errors[["error_stage", "error_code", "error_message"]].notna().all().all()
    notes = dict(zip(table["id"], table["activity_note"], strict=True))
    assert notes["pentavalent N"] == "censored >" and notes["garbage"].startswith("not a number")
    assert batch.columns["activity"] == "pIC50"


def test_empty_file_and_header_only():
    with pytest.raises(ValueError, match="is empty"):
        audit(BAD / "empty.csv")
    batch = audit(BAD / "header_only.csv")
    assert len(batch.table) == 0 and batch.summary()["n_rows"] == 0


def test_salts_and_metals_smi(quiet):
    batch = audit(BAD / "salts_metals.smi")
    table = batch.table.set_index("id")
    assert len(table) == 10
    assert "sodium" in table.loc["sodium acetate", "check_messages"].lower()
    assert table.loc["sodium acetate", "std_smiles"] == "CC(=O)O"
    assert "organometallic" in table.loc["methylplatinum", "checks"]
    assert "radicals" in table.loc["methyl radical", "checks"]
    assert "dummy_atoms" in table.loc["polymer-ish", "checks"]


def test_huge_molecule_is_an_error_not_a_crash(quiet):
    table = audit(BAD / "huge.csv").table
    assert table["error_code"].tolist()[0] == "too_large"
    assert table["status"].tolist()[1] == "ok"


def test_duplicate_ids_are_kept_and_counted():
    batch = audit(BAD / "duplicate_ids.csv")
    assert batch.table["id"].tolist() == ["A1", "A1", "A2", "A1"]
    assert batch.summary()["n_duplicate_ids"] == 3


def test_latin1_falls_back_with_a_note():
    batch = audit(BAD / "latin1.csv")
    assert batch.table["id"].tolist() == ["café", "naïve"]
    assert any("not valid UTF-8" in n for n in batch.notes)


def test_bom_crlf_and_quoting_kept_byte_identical():
    assert audit(BAD / "bom_crlf.csv").table["id"].tolist() == ["éthanol", "with,comma"]
    table = audit(BAD / "quoting.csv").table
    assert table["id"].tolist() == ["=1+1", "+cmd", "-minus", "@at"]
    assert table["note"].tolist()[0] == 'multi\nline "quoted"'


def test_broken_sdf_records_all_come_back(quiet):
    table = audit(BAD / "broken.sdf").table
    assert table["id"].tolist() == [
        "ethanol",
        "broken record",
        "pentavalent",
        "methane no final dollar",
    ]
    assert table["status"].tolist() == ["ok", "error", "error", "warning"]
    assert table["error_code"].tolist()[1:3] == ["parse_error", "valence_error"]
    assert table["activity"].tolist() == [6.5, 5.0, 7.1, 4.2]


def test_gzip_and_truncated_gzip(tmp_path):
    src = BAD / "duplicate_ids.csv"
    gz = tmp_path / "ids.csv.gz"
    with open(src, "rb") as fin, gzip.open(gz, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    assert len(audit(gz).table) == 4
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gz.read_bytes()[:-12])
    with pytest.raises(ValueError, match="not a readable gzip file"):
        audit(cut)


def test_series_list_and_mols(quiet):
    series = pd.Series(["CCO", "CCN"], index=["e", "a"], name="smi")
    assert audit(series).table["id"].tolist() == ["e", "a"]
    mols = [Chem.MolFromSmiles("CCO"), None, Chem.MolFromSmiles("c1ccccc1")]
    mols[0].SetProp("_Name", "ethanol")
    table = audit(mols).table
    assert table["status"].tolist() == ["ok", "error", "ok"]
    assert table["smiles"].tolist()[2] == "c1ccccc1"


def test_bad_types_and_paths():
    with pytest.raises(TypeError, match="must be a DataFrame"):
        audit(42)
    with pytest.raises(FileNotFoundError, match="no such file"):
        audit("does_not_exist.csv")
    with pytest.raises(TypeError, match="SMILES strings or RDKit Mol"):
        audit(["CCO", 3])


def test_xlsx_roundtrip(tmp_path, quiet):
    pytest.importorskip("openpyxl")  # the [excel] extra; installed by [dev]
    frame = pd.DataFrame({"smiles": ["CCO", "xyz"], "id": ["=A", "007"]})
    batch = audit(frame, id_col="id")
    path = batch.export(tmp_path / "out.xlsx")
    # the export keeps the input header ('smiles', 'id'); the audit's clashing columns are
    # written 'molaudit_smiles', 'molaudit_id' (molaudit.schema)
    back = audit(path, smiles_col="smiles", id_col="id")
    assert back.table["id"].tolist() == ["=A", "007"]
    assert "molaudit_id" in back.table.columns
    assert back.table["status"].tolist() == ["ok", "error"]


def test_a_dataframe_column_of_mols_is_detected_or_named(quiet):
    from rdkit import Chem

    mols = [Chem.MolFromSmiles(s) for s in ("CCO", "c1ccccc1O", "CC(=O)O")]
    frame = pd.DataFrame({"ROMol": mols, "name": ["ethanol", "phenol", "acetic acid"]})
    detected = audit(frame, n_jobs=1, cache=False, progress=False, analytics=False)
    named = audit(frame.rename(columns={"ROMol": "mol"}), mol_col="mol", n_jobs=1,
                  cache=False, progress=False, analytics=False)  # fmt: skip
    for batch in (detected, named):
        table = batch.table
        assert table["status"].tolist() == ["ok", "ok", "ok"]  # never str(Mol) -> parse_error
        # oracle: RDKit's own canonical SMILES of each Mol
        assert table["smiles"].tolist() == [Chem.MolToSmiles(m) for m in mols]
        assert table["id"].tolist() == ["ethanol", "phenol", "acetic acid"]
    assert "RDKit Mol column 'ROMol' (detected)" in detected.notes


def test_mol_properties_are_kept_as_columns_for_a_list_of_mols(quiet):
    from rdkit import Chem

    mols = []
    for smiles, name, pki, extra in (("CCO", "m1", "5.5", "x"), ("CCN", "m2", "6.25", None)):
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", name)
        mol.SetProp("pKi", pki)
        if extra:
            mol.SetProp("vendor", extra)
        mols.append(mol)
    table = audit(mols, n_jobs=1, cache=False, progress=False, analytics=False).table
    # like RDKit's PandasTools: _Name plus every property, as text; absent -> missing
    assert table["_Name"].tolist() == ["m1", "m2"]
    assert table["pKi"].tolist() == ["5.5", "6.25"]
    assert table["vendor"].iloc[0] == "x" and pd.isna(table["vendor"].iloc[1])
    assert table["id"].tolist() == ["m1", "m2"]
    assert table["activity"].tolist() == [5.5, 6.25]  # the pKi property, detected


def test_empty_structures_are_errors_in_every_format(tmp_path, quiet):
    # a 0-atom SD record and an empty SMILES are the same thing: no structure
    sdf = tmp_path / "empty.sdf"
    sdf.write_text(
        "empty\n  hand-written\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n"
        "ethanol\n     RDKit          2D\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\n"
        "    0.0000    0.0000    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    1.2990    0.7500    0.0000 C   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "    2.5981   -0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\n"
        "  1  2  1  0\n  2  3  1  0\nM  END\n$$$$\n"
    )
    csv_path = tmp_path / "empty.csv"
    csv_path.write_text("smiles,id\n,blank\nCCO,ethanol\n")
    from rdkit import Chem

    for data in (sdf, csv_path, [Chem.Mol(), Chem.MolFromSmiles("CCO")], ["", "CCO"]):
        table = audit(data, n_jobs=1, cache=False, progress=False, analytics=False).table
        assert table["error_code"].tolist()[0] == "empty_input", data
        assert table["status"].tolist() == ["error", "ok"], data


def test_whitespace_inside_a_smiles_is_an_error_naming_it(quiet):
    table = audit(
        pd.DataFrame({"smiles": ["CC\tO", "CC O", " CCO ", "C[C@H](F)Cl |&1:1|"]}),
        n_jobs=1, cache=False, progress=False, analytics=False,
    ).table  # fmt: skip
    assert table["error_code"].tolist()[:2] == ["whitespace_in_smiles"] * 2
    assert "a tab at position 2" in table["error_message"].iloc[0]
    assert "would read only 'CC'" in table["error_message"].iloc[0]  # never silently ethane
    assert "a space at position 2" in table["error_message"].iloc[1]
    assert table["status"].iloc[2] == "ok"  # padding around the field is not inside it
    assert table["status"].iloc[3] != "error"  # a CXSMILES extension is not whitespace inside


def test_severity_and_status_agree_and_query_features_are_flagged(quiet):
    from molaudit.molecule.checks import CHECKS

    table = audit(
        pd.DataFrame({"smiles": ["[#6]~[#7]", "*c1ccccc1", "CCO", "CC(F)Cl"]}),
        n_jobs=1, cache=False, progress=False, analytics=False,
    ).table  # fmt: skip
    assert "query_features" in table["checks"].iloc[0].split(";")  # '~' is a SMARTS any-bond
    for checks, status in zip(table["checks"], table["status"], strict=True):
        severities = {CHECKS[c].severity for c in checks.split(";") if c}
        want = "error" if "critical" in severities else (
            "warning" if "warning" in severities else "ok")  # fmt: skip
        assert status == want, (checks, status)
    assert table["error_code"].tolist()[:2] == ["critical_check", "critical_check"]
    assert table["status"].iloc[2] == "ok"


def test_non_finite_activities_get_a_note_and_statistics_stay_quiet(quiet):
    import warnings

    frame = pd.DataFrame({
        "smiles": ["CCO", "CCN", "CCC", "CCCl", "CCBr", "CCI"],
        "pIC50": ["1e400", "-1e999", "inf", "nan", "5.0", "6.0"],
    })  # fmt: skip
    batch = audit(frame, activity_col="pIC50", n_jobs=1, cache=False, progress=False,
                  analytics=False)  # fmt: skip
    table = batch.table
    assert table["activity"].isna().tolist() == [True, True, True, True, False, False]
    assert "beyond the float range" in table["activity_note"].iloc[0]
    assert "beyond the float range" in table["activity_note"].iloc[1]
    assert table["activity_note"].iloc[2] == "infinite"
    assert table["activity_note"].iloc[3] == "missing"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        batch.analytics.run("statistics")
