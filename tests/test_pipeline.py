"""The per-molecule audit, checked against RDKit computed another way and hand-checked cases."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdFingerprintGenerator, rdMolDescriptors

from molaudit import AuditOptions
from molaudit.errors import ERROR_CODES
from molaudit.molecule.checks import CHECKS, PENALTY, score
from molaudit.molecule.pipeline import audit_record, rdkit_log_capture

OPTS = AuditOptions()


def run(smiles: str | None, options: AuditOptions = OPTS) -> dict:
    with rdkit_log_capture():
        record, fp = audit_record(smiles, "smiles", options)
    record["_fp"] = fp
    return record


@pytest.mark.parametrize(
    ("smiles", "stage", "code", "words"),
    [
        ("xyz", "parse", "parse_error", "syntax error"),
        ("C1CC", "parse", "parse_error", "unclosed ring"),
        ("CN(C)(C)(C)C", "sanitize", "valence_error", "Explicit valence for atom # 1 N"),
        ("c1cccc1", "sanitize", "kekulization_error", "Can't kekulize"),
        ("", "input", "empty_input", "no structure"),
        (None, "input", "empty_input", "no structure"),
        ("C" * 1200, "parse", "too_large", "1200 heavy atoms"),
    ],
)
def test_error_rows_carry_stage_code_and_rdkit_message(smiles, stage, code, words):
    record = run(smiles)
    assert record["status"] == "error"
    assert (record["error_stage"], record["error_code"]) == (stage, code)
    assert words in record["error_message"]
    assert record["error_code"] in ERROR_CODES
    assert record["score"] == 0
    assert record["_fp"] is None


def test_timeout_turns_into_an_error_row():
    record = run("CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O", AuditOptions(timeout=1e-9))
    assert record["error_code"] == "timeout"
    assert "time limit" in record["error_message"]


@pytest.mark.parametrize(
    ("smiles", "code", "detail"),
    [
        ("CC(=O)[O-].[Na+]", "salt", "sodium"),
        ("CCN(CC)CC.Cl", "salt", "hydrogen chloride"),
        ("CC(=O)Nc1ccc(O)cc1.O", "solvent", "water"),
        ("CCCCCCc1ccccc1.CCCCCCCCc1ccccn1", "mixture", "2 components"),
        ("Cl[Pt](N)(N)Cl", "inorganic", "no carbon"),
        ("C[Hg]C", "organometallic", "Hg bonded to C"),
        ("[CH2]CCCO", "radicals", "unpaired"),
        ("[13CH3]c1ccccc1", "isotopes", "13C"),
        ("*c1ccccc1", "dummy_atoms", "1 dummy atom"),
        ("C[N+](C)(C)CCO", "net_charge", "+1"),
        ("C", "trivial_molecule", "1 heavy atom"),
        ("C1CCCCCCCCCCCCC1", "macrocycle", "14-membered"),
        ("CC(F)Cl", "undefined_stereocenter", "1 of 1"),
        ("CC=CC", "undefined_double_bond_stereo", "1 of 1"),
        ("O=C1C(=Cc2ccccc2)SC(=S)N1", "pains_alert", "ene_rhod"),
    ],
)
def test_checks_fire_with_details(smiles, code, detail):
    record = run(smiles)
    # severity -> status (molaudit.molecule.checks.status_for): a critical check is an error
    critical = CHECKS[code].severity == "critical"
    assert record["status"] == "error" if critical else record["status"] != "error"
    assert code in record["checks"].split(";")
    assert detail in record["check_messages"]


def test_clean_drug_has_no_findings_and_full_score():
    record = run("CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O")  # ibuprofen
    assert record["status"] == "ok"
    assert record["checks"] == ""
    assert record["score"] == 100


def test_defined_stereo_is_not_flagged_and_explicit_h_is_fine():
    record = run("C[C@H](N)C(=O)O")
    assert "undefined_stereocenter" not in record["checks"]
    assert "undefined" not in record["check_messages"]


def test_one_defect_counts_once():
    # three undefined centres and two salts still cost one penalty each
    record = run("CC(O)C(O)C(O)CC(=O)[O-].[Na+].[Na+].[Cl-]")
    codes = record["checks"].split(";")
    assert codes.count("undefined_stereocenter") == 1
    assert record["score"] == score(codes)
    expected = 100 - sum(PENALTY[CHECKS[c].severity] for c in set(codes))
    assert record["score"] == expected


def test_standardization_meets_parent_by_inchikey():
    # oracle: InChIKey of the free acid computed directly by RDKit
    benzoic = Chem.MolToInchiKey(Chem.MolFromSmiles("OC(=O)c1ccccc1"))
    record = run("[O-]C(=O)c1ccccc1.[Na+]")
    assert record["std_inchikey"] == benzoic
    assert record["std_steps"].split(";") == ["fragment_parent", "neutralize"]
    assert record["std_changed"] is True
    assert record["inchikey"] != benzoic  # the input structure keeps its salt


def test_mere_recanonicalization_is_not_a_change():
    record = run("OCC")  # non-canonical spelling of ethanol
    assert record["smiles"] == "CCO"
    assert record["std_changed"] is False
    assert record["std_steps"] == ""


def test_properties_match_rdkit_descriptors():
    smiles = "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O"  # ibuprofen
    mol = Chem.MolFromSmiles(smiles)
    record = run(smiles)
    assert record["mw"] == pytest.approx(Descriptors.MolWt(mol))
    assert record["exact_mass"] == pytest.approx(Descriptors.ExactMolWt(mol))
    assert record["clogp"] == pytest.approx(Crippen.MolLogP(mol))
    assert record["tpsa"] == pytest.approx(rdMolDescriptors.CalcTPSA(mol))
    assert record["hbd"] == Lipinski.NumHDonors(mol)
    assert record["hba"] == rdMolDescriptors.CalcNumHBA(mol)
    assert record["rotatable_bonds"] == Descriptors.NumRotatableBonds(mol)
    assert record["heavy_atoms"] == 15
    assert record["rings"] == 1 and record["aromatic_rings"] == 1
    assert record["qed"] == pytest.approx(QED.qed(mol))
    assert record["lipinski_violations"] == 0 and record["veber_pass"] is True
    assert record["murcko_scaffold"] == "c1ccccc1"


def test_fingerprint_equals_rdkit_bitvector():
    smiles = "c1ccc2c(c1)[nH]c1ccccc12"
    record = run(smiles)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    bv = gen.GetFingerprint(Chem.MolFromSmiles(smiles))
    bits = np.unpackbits(record["_fp"])
    assert bits.sum() == bv.GetNumOnBits()
    assert list(np.flatnonzero(bits)) == list(bv.GetOnBits())
    assert DataStructs.TanimotoSimilarity(bv, bv) == 1.0


def test_keys_for_dedup_levels():
    keto, enol = run("CC(=O)C"), run("C=C(O)C")
    assert keto["tautomer_key"] == enol["tautomer_key"] and keto["smiles"] != enol["smiles"]
    r, s = run("C[C@H](N)O"), run("C[C@@H](N)O")
    assert r["stereo_key"] == s["stereo_key"] and r["smiles"] != s["smiles"]
    e, z = run("C/C=C/C"), run("C/C=C\\C")
    assert e["stereo_key"] == z["stereo_key"] and e["smiles"] != z["smiles"]
    # E/Z must survive in the exact key and in InChI's /b layer
    assert e["inchi"] != z["inchi"]


def test_inchi_warning_is_inchis_own_text():
    record = run("[CH3]")
    assert "inchi_warning" in record["checks"]
    assert "unusual valence" in record["check_messages"]


def test_options_validate():
    with pytest.raises(ValueError, match="fp_size must be a multiple of 64"):
        AuditOptions(fp_size=100)
    with pytest.raises(ValueError, match="timeout must be a number"):
        AuditOptions(timeout=-1)
    assert AuditOptions().digest() == AuditOptions().digest()
    assert AuditOptions(alerts=False).digest() != AuditOptions().digest()
