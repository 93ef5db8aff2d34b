"""QED from the audit's own descriptors equals RDKit's ``QED.qed`` (the independent oracle)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdkit import Chem, RDLogger
from rdkit.Chem import QED

from molaudit.demo import demo_data_path
from molaudit.molecule.alert_screen import pattern_words
from molaudit.molecule.properties import properties, qed_from_properties, qed_properties

DATA = Path(__file__).parent / "data"


def _fixture_smiles() -> list[str]:
    """Every distinct SMILES of the committed ChEMBL/MoleculeACE fixtures and the demo set."""
    paths = [
        DATA / "alerts" / "alert_hits.csv",
        DATA / "scaffolds" / "moleculeace_1000.csv",
        DATA / "cliffs" / "CHEMBL2047_EC50.csv",
        DATA / "cliffs" / "CHEMBL2835_Ki.csv",
        DATA / "mmp" / "chembl1871_ki_400.csv",
        demo_data_path(),
    ]
    seen: dict[str, None] = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                seen.setdefault(row["smiles"], None)
    return list(seen)


# 2,200 molecules take ~20 s: that run is marked slow; 300 of them always run
@pytest.mark.parametrize("n", [300, pytest.param(2200, marks=pytest.mark.slow)])
def test_qed_equals_rdkit_qed_on_real_molecules(n: int) -> None:
    RDLogger.DisableLog("rdApp.*")
    smiles = _fixture_smiles()[:n]
    checked = with_alerts = 0
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        expected = QED.properties(mol)  # RDKit's own eight QED inputs (oracle)
        words = pattern_words(mol)
        got = properties(mol, words)
        ours = qed_properties(
            mol, words, mw=got["mw"], clogp=got["clogp"], tpsa=got["tpsa"], hbd=got["hbd"]
        )
        # the eight QED inputs are the same numbers, so the score is the same to the last bit
        assert ours == expected, s
        assert got["qed"] == pytest.approx(QED.qed(mol, qedProperties=expected), abs=1e-12), s
        checked += 1
        with_alerts += expected.ALERTS > 0
    assert checked >= 0.99 * n
    assert with_alerts >= n // 5  # the alert count is exercised, not only its zero case


@pytest.mark.parametrize(
    "smiles",
    [
        "[2H]C([2H])([2H])Oc1ccccc1",  # deuterium atoms stay in the graph after RemoveHs
        "[H]C([H])([H])C(=O)O",  # explicit H atoms: QED works on the H-free graph
        "[H][C@@](F)(Cl)c1ccccc1",  # explicit H that carries stereo
        "CC(=O)[O-].[Na+]",  # '[Na]' alert and a charged acceptor '[O-;X1]'
        "O=[N+]([O-])c1ccc(I)cc1",  # nitro and iodine alerts
        "c1ccc2c(c1)ccc1ccccc12",  # polycyclic aromatic alert, 3 aromatic rings
        "C1CCCCC1",  # no aromatic ring: AROM = 0
    ],
)
def test_qed_on_hand_picked_cases(smiles: str) -> None:
    params = Chem.SmilesParserParams()
    params.removeHs = False  # keep the explicit H atoms of the first cases in the graph
    mol = Chem.MolFromSmiles(smiles, params)
    if "H]" in smiles:
        assert any(a.GetAtomicNum() == 1 for a in mol.GetAtoms())
    assert properties(mol)["qed"] == pytest.approx(QED.qed(mol), abs=1e-12)


def test_qed_properties_field_by_field() -> None:
    # ibuprofen: 2 acceptors (the two O of the acid; the OH O matches [OH1;X2;v2], C=O matches
    # [OH0;X1;v2]), 1 aromatic ring, no QED alert
    mol = Chem.MolFromSmiles("CC(C)Cc1ccc(cc1)C(C)C(=O)O")
    expected = QED.properties(mol)
    got = qed_properties(
        mol,
        pattern_words(mol),
        mw=expected.MW,
        clogp=expected.ALOGP,
        tpsa=expected.PSA,
        hbd=expected.HBD,
    )
    assert got == expected
    assert (got.HBA, got.AROM, got.ALERTS) == (2, 1, 0)
    assert qed_from_properties(got) == QED.qed(mol)
