"""Build tests/data/alerts/alert_hits.csv: real molecules that hit PAINS/Brenk alerts.

Scans MOSES (first N SMILES) and all 30 MoleculeACE sets with RDKit's own
``FilterCatalog.GetMatches`` (PAINS + Brenk) and the screened matcher of molaudit, reports any
disagreement (there must be none), and keeps up to two molecules per alert entry hit, plus 200
molecules that hit nothing. The expected alerts in the fixture are RDKit's, not molaudit's.

Usage (from the repo root; downloads the data wheels with pip into benchmarks' cache):
    python tests/data/alerts/make_fixture.py --moses 100000
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from rdkit import Chem, RDLogger

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _data import moleculeace_sets, moses_smiles  # noqa: E402

from molaudit.molecule.properties import _catalog, alerts  # noqa: E402


def reference(mol: Chem.Mol) -> tuple[list[str], list[str]]:
    pains: set[str] = set()
    brenk: set[str] = set()
    for entry in _catalog().GetMatches(mol):
        is_pains = entry.GetProp("FilterSet").startswith("PAINS")
        (pains if is_pains else brenk).add(entry.GetDescription())
    return sorted(pains), sorted(brenk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--moses", type=int, default=100_000)
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    smiles = list(moses_smiles(args.moses))
    for frame in moleculeace_sets().values():
        smiles.extend(frame["smiles"])
    kept: dict[str, list[str]] = {}
    rows: list[tuple[str, str, str]] = []
    clean = 0
    n = differ = 0
    t_ref = t_new = 0.0
    for smi in smiles:
        mol = Chem.MolFromSmiles(smi)
        if mol is None:
            continue
        n += 1
        t0 = time.perf_counter()
        ref = reference(mol)
        t1 = time.perf_counter()
        new = alerts(mol)
        t_new += time.perf_counter() - t1
        t_ref += t1 - t0
        if new != ref:
            differ += 1
            print("DIFFERENT", smi, ref, new)
        names = ref[0] + ref[1]
        if not names and clean < 200:
            clean += 1
            rows.append((smi, "", ""))
        elif any(len(kept.setdefault(a, [])) < 2 for a in names):
            for a in names:
                kept.setdefault(a, []).append(smi)
            rows.append((smi, ";".join(ref[0]), ";".join(ref[1])))
    print(
        f"{n} molecules, {differ} differ; FilterCatalog {t_ref / n * 1e3:.3f} ms/mol, "
        f"screened {t_new / n * 1e3:.3f} ms/mol; {len(kept)} alert entries hit"
    )
    out = Path(__file__).with_name("alert_hits.csv")
    with out.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["smiles", "pains", "brenk"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {out}")


if __name__ == "__main__":
    main()
