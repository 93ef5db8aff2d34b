"""Per-step cost of the per-molecule audit on MOSES (molsets wheel, MIT), in one process.

Wraps each step function of :mod:`molaudit.molecule.pipeline` (parse, checks, standardize,
alerts, QED, InChI, round trip, properties, fingerprint) in a timer, audits N molecules with
:func:`~molaudit.molecule.pipeline.audit_record`, and prints the cost of each step per molecule.
The work done inline in ``_audit`` (canonical SMILES, dedup keys, Murcko scaffold) is timed as a
bare RDKit replica on the same molecules; what is left is the audit's own Python. Then the same
molecules are audited without timers, beside the bare fused RDKit loop of ``bench_audit.py``
(medians of interleaved repeats, ratio in the same process).

Usage: python benchmarks/profile_audit.py [--n 1500] [--repeats 3]

To compare with an earlier version, run it with that version first on the path, e.g.
``git archive <commit> src | tar -x -C /tmp/before`` and ``PYTHONPATH=/tmp/before/src``.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from _data import moses_smiles
from bench_audit import bare_rdkit_loop
from rdkit import Chem
from rdkit.Chem import rdMolHash
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.molecule import pipeline
from molaudit.molecule import properties as props_module
from molaudit.molecule.pipeline import audit_record, rdkit_log_capture
from molaudit.molecule.properties import prepare_alerts
from molaudit.options import AuditOptions

warnings.simplefilter("ignore")

# (module, attribute, step): the functions whose time is a step's cost
TIMED: list[tuple[Any, str, str]] = [
    (pipeline, "_parse", "parse"),
    (pipeline, "fragment_checks", "checks"),
    (pipeline, "_atom_checks", "checks"),
    (pipeline, "stereo_checks", "checks"),
    (pipeline, "_parent_checks", "checks"),
    (pipeline, "_roundtrip", "round trip"),
    (pipeline, "standardize", "standardize"),
    (pipeline, "_inchi", "InChI"),
    (pipeline, "alerts", "alerts (PAINS/Brenk)"),
    (pipeline, "pattern_words", "pattern fingerprint (alert screens)"),
    (pipeline, "screen_words", "pattern fingerprint (alert screens)"),
    (pipeline, "properties", "properties"),
    (pipeline, "options_fingerprint", "fingerprint"),
    # QED inside properties (either RDKit's QED module or molaudit's own formula)
    (props_module, "qed_from_properties", "QED"),
    (props_module, "qed_properties", "QED"),
]

_spent: dict[str, float] = defaultdict(float)


def _timed(fn: Callable, step: str) -> Callable:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _spent[step] += time.perf_counter() - t0

    return wrapper


class _TimedQED:
    """Stands in for ``rdkit.Chem.QED`` inside properties.py, timing ``properties`` and ``qed``."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.properties = _timed(module.properties, "QED")
        self.qed = _timed(module.qed, "QED")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


def _audit_all(smiles: list[str], options: AuditOptions) -> float:
    t0 = time.perf_counter()
    with rdkit_log_capture():
        for s in smiles:
            audit_record(s, "smiles", options)
    return time.perf_counter() - t0


def _inline_replica(smiles: list[str]) -> float:
    """The RDKit calls ``_audit`` makes inline (SMILES, keys, scaffold), bare."""
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    t0 = time.perf_counter()
    for mol in mols:
        Chem.MolToSmiles(mol)
        mol.GetNumHeavyAtoms()
        rdMolHash.MolHash(Chem.Mol(mol), rdMolHash.HashFunction.HetAtomTautomerv2)
        flat = Chem.Mol(mol)
        Chem.RemoveStereochemistry(flat)
        Chem.MolToSmiles(flat)
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
        if scaffold.GetNumAtoms():
            Chem.MolToSmiles(scaffold, isomericSmiles=False)
    return time.perf_counter() - t0


def step_table(smiles: list[str], options: AuditOptions) -> None:
    saved = []
    for module, name, step in TIMED:
        if hasattr(module, name):
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, _timed(getattr(module, name), step))
    if hasattr(props_module, "QED"):
        saved.append((props_module, "QED", props_module.QED))
        props_module.QED = _TimedQED(props_module.QED)
    _spent.clear()
    try:
        total = _audit_all(smiles, options)
    finally:
        for module, name, original in saved:
            setattr(module, name, original)
    rows = dict(_spent)
    rows["properties"] = rows.get("properties", 0.0) - rows.get("QED", 0.0)
    rows["properties (w/o QED)"] = rows.pop("properties")
    inline = _inline_replica(smiles)
    rows["SMILES, keys, Murcko (bare replica)"] = inline
    rows["own Python (the rest)"] = total - sum(rows.values())
    n = len(smiles)
    print(f"audit_record with step timers, {n} molecules: {1e3 * total / n:.2f} ms/mol")
    width = max(map(len, rows))
    for step, seconds in rows.items():
        print(f"  {step:<{width}}  {1e3 * seconds / n:6.3f} ms/mol  {100 * seconds / total:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    smiles = moses_smiles(args.n)
    options = AuditOptions()
    prepare_alerts()
    _audit_all(smiles[:50], options)  # warm
    print(f"molaudit from {os.path.dirname(pipeline.__file__)}")
    print(f"load average: {os.getloadavg()}")
    step_table(smiles, options)
    bare, ours = [], []
    for _ in range(args.repeats):
        bare.append(bare_rdkit_loop(smiles))
        ours.append(_audit_all(smiles, options) / len(smiles))
    b, o = statistics.median(bare), statistics.median(ours)
    print(
        f"no timers, median of {args.repeats} interleaved: audit_record {1e3 * o:.2f} ms/mol, "
        f"bare fused RDKit loop {1e3 * b:.2f} ms/mol, ratio {b / o:.2f}x (target >= 1.9)"
    )
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
