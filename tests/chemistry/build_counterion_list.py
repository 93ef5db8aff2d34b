# ruff: noqa: E501 (a data table, one entry a line)
"""Build ``src/molaudit/molecule/data/counterions.tsv`` from chembl_structure_pipeline 1.2.4.

Run from the repository root with ``chembl_structure_pipeline==1.2.4`` installed (dev extra)::

    python tests/chemistry/build_counterion_list.py
"""

import os
from pathlib import Path

import chembl_structure_pipeline as csp
from rdkit import Chem, RDLogger

RDLogger.DisableLog("rdApp.*")
d = os.path.join(os.path.dirname(csp.__file__), "data")
# ChEMBL SMARTS that are not valid SMILES, re-drawn (same atoms and bonds as ChEMBL's pattern allow)
REDRAWN = {
    "Hexafluorophosphate": "F[P-](F)(F)(F)(F)F",
    "Nitrate": "O=[N+]([O-])O",
    "Perchlorate": "O=Cl(=O)(=O)O",
    "Sulphide": "[S-2]",
    "Orotic acid": "O=C(O)c1cc(=O)[nH]c(=O)[nH]1",
}
rows = []
for fname, role in (("solvents.smi", "solvent"), ("salts.smi", "counterion")):
    with open(os.path.join(d, fname)) as fh:
        lines = fh.read().splitlines()
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        name, smi = line.rstrip("\n").split("\t")[:2]
        if name in REDRAWN:
            smi, src = REDRAWN[name], "chembl-redrawn"
        else:
            src = "chembl"
        if Chem.MolFromSmiles(smi) is None:
            raise SystemExit(f"does not parse: {name} {smi}")
        if name == "Water" and role == "counterion":
            continue  # ChEMBL lists water in both files; it is a solvent here
        rows.append((role, name, smi, src))
EXTRA = [
    # counterions ChEMBL does not list (molaudit additions)
    ("counterion", "Docusate", "CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O"),
    ("counterion", "Perchlorate (charge-separated)", "[O-][Cl+3]([O-])([O-])[O-]"),
    ("counterion", "Nitrate (charge-separated)", "O=[N+]([O-])[O-]"),
    ("counterion", "Tetraphenylborate", "c1ccc([B-](c2ccccc2)(c2ccccc2)c2ccccc2)cc1"),
    ("counterion", "Hippurate", "O=C(O)CNC(=O)c1ccccc1"),
    ("counterion", "Hydrogen sulfite", "O=S(O)O"),
    ("counterion", "Thiosulfate", "O=S(=O)(O)S"),
    ("counterion", "Chlorate", "O=Cl(=O)O"),
    ("counterion", "Tartrate (L)", "O=C(O)[C@H](O)[C@@H](O)C(=O)O"),
    ("counterion", "Trifluoromethanesulfonimide", "O=S(=O)(NS(=O)(=O)C(F)(F)F)C(F)(F)F"),
    ("counterion", "Meglumine", "CNC[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO"),
    ("counterion", "Caesium", "[Cs+]"),
    ("counterion", "Ammonium (charged)", "[NH4+]"),
    ("counterion", "Hydroxide", "[OH-]"),
    ("counterion", "Tetrabutylammonium", "CCCC[N+](CCCC)(CCCC)CCCC"),
    ("counterion", "Tetramethylammonium", "C[N+](C)(C)C"),
    ("counterion", "Cyclohexylamine", "NC1CCCCC1"),
    # solvents ChEMBL does not list
    ("solvent", "Acetonitrile", "CC#N"),
    ("solvent", "N,N-Dimethylformamide", "CN(C)C=O"),
    ("solvent", "N,N-Dimethylacetamide", "CN(C)C(C)=O"),
    ("solvent", "Diethyl ether", "CCOCC"),
    ("solvent", "tert-Butyl methyl ether", "COC(C)(C)C"),
    ("solvent", "Tetrahydrofuran", "C1CCOC1"),
    ("solvent", "1,4-Dioxane", "C1COCCO1"),
    ("solvent", "Toluene", "Cc1ccccc1"),
    ("solvent", "Benzene", "c1ccccc1"),
    ("solvent", "Hexane", "CCCCCC"),
    ("solvent", "Heptane", "CCCCCCC"),
    ("solvent", "Pyridine", "c1ccncc1"),
    ("solvent", "N-Methyl-2-pyrrolidone", "CN1CCCC1=O"),
    ("solvent", "1-Propanol", "CCCO"),
    ("solvent", "1-Butanol", "CCCCO"),
    ("solvent", "2-Butanone", "CCC(C)=O"),
    ("solvent", "1,2-Dichloroethane", "ClCCCl"),
]
for role, name, smi in EXTRA:
    assert Chem.MolFromSmiles(smi) is not None, smi
    rows.append((role, name, smi, "molaudit"))
out = Path(__file__).parents[2] / "src" / "molaudit" / "molecule" / "data" / "counterions.tsv"
with open(out, "w") as fh:
    fh.write(
        "# Counterions and solvents molaudit strips from a parent (when another fragment remains).\n"
        "# Source 'chembl': chembl_structure_pipeline 1.2.4 (PyPI), files data/salts.smi and\n"
        "# data/solvents.smi, MIT licence, Copyright (c) 2019 Greg Landrum / The ChEMBL group; the\n"
        "# licence text is chembl_structure_pipeline-LICENSE.txt next to this file. Names and SMILES\n"
        "# are ChEMBL's (some names are ChEMBL's own, e.g. 'Ethanediol' is drawn as 2-methoxyethanol).\n"
        "# 'chembl-redrawn': ChEMBL's pattern is not valid SMILES (hypervalent P/N/Cl), redrawn.\n"
        "# 'molaudit': additions (docusate, charge-separated drawings, common process solvents).\n"
        "# Matching: a fragment matches an entry when both give the same key (stereo, isotopes and\n"
        "# charges removed by RDKit's Uncharger; single atoms by element), as ChEMBL's SMARTS match\n"
        "# ignores charges and H counts. Built by: python tests/chemistry/build_counterion_list.py\n"
        "role\tname\tsmiles\tsource\n"
    )
    for r in rows:
        fh.write("\t".join(r) + "\n")
print(len(rows), sum(r[3].startswith("chembl") for r in rows))
