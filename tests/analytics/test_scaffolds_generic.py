"""The fast generic scaffold (``generic_of_murcko``) against RDKit's own ``MakeScaffoldGeneric``.

The oracle is the plain RDKit chain, written out here: parse the Murcko SMILES,
``MakeScaffoldGeneric``, ``GetScaffoldForMol`` again, ``MolToSmiles``. Each hard case says what
it could break in a rewrite that builds the all-carbon graph as SMILES text.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, rdBase
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.analytics import AnalyticInput
from molaudit.analytics import scaffolds as scaffolds_module
from molaudit.analytics.scaffolds import generic_of_murcko, scaffolds

DATA = Path(__file__).parents[1] / "data" / "scaffolds" / "moleculeace_1000.csv"


def rdkit_generic_of(scaffold: str) -> str | None:
    """RDKit's generic scaffold of a SMILES (None: it does not parse)."""
    if scaffold == "":
        return ""
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(scaffold)
        if mol is None:
            return None
        generic = MurckoScaffold.MakeScaffoldGeneric(mol)
        return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(generic))


def murcko_of(smiles: str) -> str:
    return Chem.MolToSmiles(MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(smiles)))


HARD_CASES = {
    # MakeScaffoldGeneric keeps radicals: [N+] with three bonds has one, the generic is [CH]
    "C[N+]1CCCC1": "charged atom that carries a radical",
    "[CH]1CCCCC1": "radical carbon, kept by RDKit",
    "[C]1CCCCC1": "carbene-like carbon, two radical electrons",
    "C1CC[N]CC1": "aminyl radical",
    "[O-][n+]1ccccc1": "charges without radicals",
    "[NH2+]1CCCC1": "explicit H on a charged ring atom",
    "[cH-]1cccc1": "aromatic carbanion",
    # atom maps survive MakeScaffoldGeneric
    "[CH2:1]1CCCCC1": "atom map number",
    # hydrogens as atoms are removed, isotope labels reset
    "[2H]C1CCCCC1": "deuterium atom",
    "[2H]c1ccccc1": "aromatic C-D",
    "[H][C@]12CCCC[C@@]1([H])CCCC2": "explicit [H] atoms with stereo",
    "[13C]1CCCCC1": "isotope on a ring atom",
    "[13cH]1ccccc1": "isotope on an aromatic atom",
    # stereo marks must not leak into the generic SMILES
    "c1ccc2c(c1)[C@H]1CC[C@@H]2C1": "tetrahedral stereo on ring atoms",
    "C(=C/c1ccccc1)\\c1ccccc1": "E double-bond linker",
    "O=C(/C=C/c1ccccc1)c1ccccc1": "enone linker with E stereo and an exocyclic O",
    # exocyclic multiple bonds: the atoms go once the bonds are single (stripped from the text)
    "O=C1CCCC1": "ring ketone at the start of the SMILES",
    "C1CC(=O)C(=C2CC2)C1": "exocyclic atoms in branches, one of them a ring",
    "C=C1CCC(=C)C1=O": "three exocyclic atoms, one at the end",
    "O=S(=O)(c1ccccc1)c1ccccc1.O=C1CCCC1": "stripping in two fragments",
    "O=C(C1CC1)C1CC1": "carbonyl linker, O first",
    "O=C1CC(=O)C1=C1CCCC1": "ring assembly joined by an exocyclic double bond",
    "O=C=C1CCCC1": "exocyclic ketene: two atoms to strip",
    "O=C1CCCC1=C=O": "chain of two exocyclic atoms at the end of the SMILES",
    "C=C=C1CCCC1": "exocyclic allene",
    "C1CCCC1=[N+]=[N-]": "exocyclic diazo",
    "N#CC1CCCC1": "nitrile on a ring (not a Murcko scaffold: the chain goes)",
    "O=S(=O)(c1ccccc1)c1ccccc1": "sulfone linker",
    "O=P1(c2ccccc2)CCCC1": "phosphine oxide in a ring, one aryl",
    "O=C1C=CC(=O)C=C1": "quinone",
    "S=C1NC=CN1": "thione",
    # the graph itself
    "C1CC1.C1CCC1": "two ring fragments",
    "C1CC1.CC": "a ring and an acyclic fragment",
    "c1ccccc1.c1ccncc1": "benzene and pyridine in one SMILES",
    "*1CCCC1": "dummy atom",
    "C%10CCCCC%10": "two-digit ring closure",
    "C1CC=1": "bond symbol on a ring closure",
    "C12C3C4C1C5C2C3C45": "cage (cubane)",
    "c1cc2ccc3cccc4ccc(c1)c2c34": "pyrene",
    "C1CCCCCCCCCCCCCCCCCCC1": "macrocycle",
    "c1ccc2c(c1)-c1ccccc1-2": "biphenylene, explicit single bonds",
    "C1CCC2(CC1)OCCO2": "spiro ketal",
    "B1OCCO1": "boron",
    "[Si]1CCCCC1": "silicon with no H (a radical silicon in RDKit)",
    "[SiH2]1CCCCC1": "silane ring",
    "c1cc[se]c1": "two-letter aromatic bracket atom",
    "c1cc[te]c1": "tellurophene",
    "[Cu]1OCCO1": "metal in a ring",
    "C1CC[I+]CC1": "iodonium",
    "c1cc[nH]c1": "pyrrole, the one bracket atom taken without a check",
    "O=c1[nH]c(=O)c2ccccc2[nH]1": "quinazolinedione",
    "C1=CC=CC=C1": "Kekule benzene",
    "Cc1ccccc1": "not a Murcko scaffold: the methyl goes",
    "C1CC1->C": "dative bond",
    "": "acyclic molecule",
    "not a smiles(": "does not parse: None",
}


@pytest.mark.parametrize("scaffold", list(HARD_CASES), ids=list(HARD_CASES.values()))
def test_hard_cases_equal_rdkit(scaffold):
    assert generic_of_murcko([scaffold]) == [rdkit_generic_of(scaffold)]


def test_hard_cases_together_equal_rdkit():
    """In one call (texts shared between inputs are parsed once): still every answer RDKit's."""
    cases = list(HARD_CASES) * 2
    assert generic_of_murcko(cases) == [rdkit_generic_of(s) for s in cases]


def test_hand_checked_generic_scaffolds():
    # benzene and pyridine share the all-carbon text: both are cyclohexane
    assert generic_of_murcko(["c1ccccc1", "c1ccncc1"]) == ["C1CCCCC1", "C1CCCCC1"]
    # the ketone O of a Murcko scaffold is stripped once it is a single-bonded carbon
    assert generic_of_murcko(["O=C1CCCCC1"]) == ["C1CCCCC1"]
    # a linker keeps its length: two carbons between the rings
    assert generic_of_murcko(["O=C(Nc1ccccc1)c1ccncc1"]) == ["C1CCC(CCC2CCCCC2)CC1"]
    # RDKit keeps radicals: the [N+] of the N-methylpyrrolidinium ring (no H) is one
    assert generic_of_murcko(["C[N+]1CCCC1"]) == ["[CH]1CCCC1"]


def test_murcko_scaffolds_of_1000_real_molecules_equal_rdkit():
    scaffolds_ = sorted({murcko_of(s) for s in pd.read_csv(DATA)["smiles"]})
    assert len(scaffolds_) > 400
    assert generic_of_murcko(scaffolds_) == [rdkit_generic_of(s) for s in scaffolds_]


def test_five_connected_atoms_do_not_fail_the_analytic():
    """RDKit raises on both (a carbon cannot have five bonds); the analytic answers.

    The spiro S(=O) has four ring bonds and an exocyclic O: the generic scaffold is the
    spiro[4.5]decane skeleton once the O is gone. The P has five ring bonds: no all-carbon
    form exists, so the generic scaffold is the Murcko scaffold itself.
    """
    spiro_oxide = "C1CC[S]2(=O)(CC1)CCCC2"
    cage = "[P]123(CC1)CC2CC3"
    for smiles in (spiro_oxide, cage):
        with pytest.raises(Chem.AtomValenceException, match="greater than permitted"):
            rdkit_generic_of(smiles)
    assert generic_of_murcko([spiro_oxide, cage]) == ["C1CCC2(CC1)CCCC2", cage]
    smiles = [spiro_oxide, cage, "c1ccccc1CC", "CCO"]
    table = pd.DataFrame(
        {
            "row": [0, 1, 2, 3],
            "id": ["a", "b", "c", "d"],
            "status": "ok",
            "smiles": smiles,
            "std_smiles": smiles,
            "murcko_scaffold": [murcko_of(s) for s in smiles],
        }
    )
    data = AnalyticInput(
        table=table,
        fingerprints=np.zeros((0, 256), np.uint8),
        fingerprint_rows=np.zeros(0, np.int64),
        n_jobs=1,
    )
    members = scaffolds(data)["members"]
    expected = ["C1CCC2(CC1)CCCC2", murcko_of(cage), "C1CCCCC1", ""]
    assert list(members["generic_scaffold"]) == expected


def test_pool_path_equals_in_process_path(monkeypatch):
    """Chunks of unique scaffolds on two workers give the in-process answer, in order."""
    monkeypatch.setattr(scaffolds_module, "_GENERIC_PARALLEL_MIN_ITEMS", 10)
    monkeypatch.setattr(scaffolds_module, "_GENERIC_CHUNK", 97)
    real = pd.read_csv(DATA)
    smiles = list(real["smiles"].head(500))
    table = pd.DataFrame(
        {
            "row": np.arange(len(smiles)),
            "id": [f"m{i}" for i in range(len(smiles))],
            "status": "ok",
            "smiles": smiles,
            "std_smiles": smiles,
            "murcko_scaffold": [murcko_of(s) for s in smiles],
        }
    )

    def run(n_jobs: int):
        return scaffolds(
            AnalyticInput(
                table=table,
                fingerprints=np.zeros((0, 256), np.uint8),
                fingerprint_rows=np.zeros(0, np.int64),
                n_jobs=n_jobs,
                backend="loky",
            )
        )

    serial, pooled = run(1), run(2)
    pd.testing.assert_frame_equal(serial["members"], pooled["members"])
    pd.testing.assert_frame_equal(serial["scaffolds"], pooled["scaffolds"])
    assert list(serial["members"]["generic_scaffold"]) == [
        rdkit_generic_of(murcko_of(s)) for s in smiles
    ]
