"""Share of clean MOSES molecules with status 'warning' (a README figure; not a test).

    pip download --no-deps molsets==0.3.1 -d /tmp/h2dl
    unzip -o -q /tmp/h2dl/molsets-*.whl -d /tmp/h2dl/molsets
    python tests/chemistry/moses_warning_share.py /tmp/h2dl/molsets/moses/dataset/data/test.csv.gz

A 5,000-molecule sample (seed 0) of the MOSES test set, audited with each
``AuditOptions.undefined_stereo`` mode. "before" emulates the earlier rule, under which every
``FindPotentialStereo`` candidate without a label was a warning.
"""

from __future__ import annotations

import gzip
import random
import sys


def main(path: str) -> int:
    from rdkit import Chem, RDLogger

    import molaudit
    from molaudit import AuditOptions
    from molaudit.molecule.checks import CHECKS, SERIES_CODE

    RDLogger.DisableLog("rdApp.*")
    with gzip.open(path, "rt") as fh:
        smiles = [line.split(",")[0] for line in fh.read().splitlines()[1:]]
    random.seed(0)
    sample = random.sample(smiles, 5000)
    for mode in ("series", "info", "warning"):
        options = AuditOptions(undefined_stereo=mode)
        batch = molaudit.audit(sample, n_jobs=2, cache=False, progress=False, options=options)
        table = batch.table
        share = 100 * (table["status"] == "warning").mean()
        print(f"after, undefined_stereo={mode!r}: {share:.1f}%")
        if mode != "series":
            continue
        before = 0
        for text, checks in zip(table["smiles"], table["checks"], strict=True):
            mol = Chem.MolFromSmiles(text)
            unspecified = Chem.StereoSpecified.Unspecified
            raw = any(i.specified == unspecified for i in Chem.FindPotentialStereo(mol))
            other = any(
                CHECKS[c].severity == "warning" and c != SERIES_CODE for c in checks.split(";") if c
            )
            before += raw or other
        print(f"before (emulated): {100 * before / len(table):.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
