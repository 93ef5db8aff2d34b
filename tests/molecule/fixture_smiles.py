"""The fixture SMILES the fast-path and feature-screen tests share (~1,600 distinct)."""

from __future__ import annotations

import csv
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _column(path: Path, column: str, delimiter: str = ",") -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [row[column] for row in csv.DictReader(lines, delimiter=delimiter) if row[column]]


def fixture_smiles() -> list[str]:
    """Salts, metals, charges, stereo, isotopes and drugs: the hand-checked structures and
    their parents, the ChEMBL multi-fragment drugs, the alert hits and 1,000 MoleculeACE."""
    chem = TESTS / "chemistry" / "data"
    return (
        _column(chem / "tricky_structures.tsv", "smiles", "\t")
        + _column(chem / "tricky_structures.tsv", "expected_parent", "\t")
        + _column(chem / "chembl_drugs_multifragment.tsv", "smiles", "\t")
        + _column(TESTS / "data" / "alerts" / "alert_hits.csv", "smiles")
        + _column(TESTS / "data" / "scaffolds" / "moleculeace_1000.csv", "smiles")
    )
