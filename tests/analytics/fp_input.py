"""Build an AnalyticInput from SMILES with RDKit's own fingerprints (shared by the tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molaudit.analytics import AnalyticInput


def make_input(smiles: list[str], error_every: int = 0, n_jobs: int = 2) -> AnalyticInput:
    """Table + fingerprints computed with RDKit directly (an oracle independent of the audit).

    Every ``error_every``-th input row is an error row without a fingerprint, so list
    positions and input rows differ.
    """
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)
    records, fps, fp_rows = [], [], []
    row = 0
    for smi in smiles:
        if error_every and row % error_every == error_every - 1:
            records.append({"row": row, "id": f"M{row}", "status": "error", "smiles": None})
            row += 1
        mol = Chem.MolFromSmiles(smi)
        records.append({"row": row, "id": f"M{row}", "status": "ok", "smiles": smi})
        fps.append(np.packbits(gen.GetFingerprintAsNumPy(mol).astype(bool)))
        fp_rows.append(row)
        row += 1
    return AnalyticInput(
        table=pd.DataFrame(records),
        fingerprints=np.array(fps, dtype=np.uint8).reshape(len(fps), 256),
        fingerprint_rows=np.array(fp_rows, dtype=np.int64),
        n_jobs=n_jobs,
    )
