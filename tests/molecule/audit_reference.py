"""Audit every fixture structure and keep the table, to prove an optimisation changed nothing.

``python tests/molecule/audit_reference.py write PATH`` audits the inputs below with
:func:`molaudit.molecule.pipeline.audit_record` and pickles one DataFrame (every record column
except the timing ``audit_ms``, plus the packed fingerprint as hex) per option set.
``python tests/molecule/audit_reference.py compare PATH`` audits them again with the current code
and compares every column with :func:`pandas.testing.assert_frame_equal` (exact). The test
``test_audit_reference.py`` does the same comparison when ``MOLAUDIT_AUDIT_REF`` names a table
written before a change.

Inputs: the SMILES of every CSV/SMI/TSV fixture under ``tests/data`` and ``tests/chemistry/data``
(including the 188 hand-checked tricky structures and the deliberately bad inputs), the
molblocks of the SDF fixtures, and, when the benchmark cache has it, the first 2,000 MOSES
SMILES (``benchmarks/_data.py``; set ``MOLAUDIT_REF_MOSES=0`` to skip them).
"""

from __future__ import annotations

import csv
import gzip
import os
import pickle
import sys
from pathlib import Path

import pandas as pd

from molaudit.molecule.pipeline import audit_record, rdkit_log_capture
from molaudit.options import AuditOptions

TESTS = Path(__file__).resolve().parents[1]

#: Option sets compared: the default, and the switches that change the per-molecule path.
OPTION_SETS: dict[str, dict] = {
    "default": {},
    "tautomer": {"canonical_tautomer": True},
    "no_standardize": {"standardize": False},
    "no_alerts": {"alerts": False},
}


def _rows(path: Path) -> list[dict[str, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    delimiter = "\t" if ".tsv" in path.name or ".txt" in path.name else ","
    return list(csv.DictReader(lines, delimiter=delimiter))


def fixture_inputs() -> list[tuple[str, str, str]]:
    """``(source, kind, text)`` of every fixture structure, in a fixed order."""
    out: list[tuple[str, str, str]] = []
    patterns = ("data/*/*.csv", "data/*/*.csv.gz", "data/*/*.txt", "chemistry/data/*.tsv")
    tables = sorted(path for pattern in patterns for path in TESTS.glob(pattern))
    for path in tables:
        for row in _rows(path):
            row = {(k or "").lstrip("\ufeff").strip().lower(): v for k, v in row.items()}
            for column in ("smiles", "expected_parent", "chembl_parent"):
                value = row.get(column)
                if isinstance(value, str) and value:
                    out.append((f"{path.name}:{column}", "smiles", value))
    for path in sorted(TESTS.glob("data/*/*.smi")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                out.append((path.name, "smiles", line.split("\t")[0].split(" ")[0]))
    for path in sorted(TESTS.glob("data/*/*.sdf")):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        for block in text.split("$$$$"):
            block = block.lstrip("\n")
            if block.strip():
                out.append((path.name, "molblock", block))
    return out


def moses_inputs(n: int = 2000) -> list[tuple[str, str, str]]:
    """The first ``n`` MOSES SMILES if the benchmark cache holds them, else nothing."""
    if os.environ.get("MOLAUDIT_REF_MOSES", "1") == "0":
        return []
    sys.path.insert(0, str(TESTS.parent / "benchmarks"))
    try:
        from _data import data_dir, moses_smiles

        if not (data_dir() / "moses").exists():
            return []
        return [("moses", "smiles", s) for s in moses_smiles(n)]
    except Exception:
        return []
    finally:
        sys.path.pop(0)


def audit_table(inputs: list[tuple[str, str, str]], options: AuditOptions) -> pd.DataFrame:
    """One row per input: source, kind, text, every record column but ``audit_ms``, ``fp`` hex."""
    rows = []
    with rdkit_log_capture():
        for source, kind, text in inputs:
            record, fp = audit_record(text, kind, options)
            record.pop("audit_ms", None)
            row = {"source": source, "kind": kind, "text": text, **record}
            row["fp"] = None if fp is None else fp.tobytes().hex()
            rows.append(row)
    return pd.DataFrame(rows)


def tables(with_moses: bool = True) -> dict[str, pd.DataFrame]:
    """Audit tables of every option set (MOSES only with the default options)."""
    fixtures = fixture_inputs()
    moses = moses_inputs() if with_moses else []
    out = {}
    for name, kwargs in OPTION_SETS.items():
        inputs = fixtures + moses if name == "default" else fixtures
        out[name] = audit_table(inputs, AuditOptions(**kwargs))
    return out


def compare(reference: dict[str, pd.DataFrame], current: dict[str, pd.DataFrame]) -> None:
    """Raise AssertionError unless every table, column and value is identical."""
    assert list(reference) == list(current)
    for name in reference:
        ref, cur = reference[name], current[name]
        assert list(ref.columns) == list(cur.columns), name
        pd.testing.assert_frame_equal(ref, cur, check_exact=True, obj=f"audit table {name!r}")


def main(argv: list[str]) -> None:
    action, path = argv
    if action == "write":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            pickle.dump(tables(), handle)
    elif action == "compare":
        with open(path, "rb") as handle:
            reference = pickle.load(handle)
        compare(reference, tables(with_moses=len(reference["default"]) > len(fixture_inputs())))
        print({name: frame.shape for name, frame in reference.items()}, "identical")
    else:
        raise SystemExit("usage: audit_reference.py write|compare PATH")


if __name__ == "__main__":
    main(sys.argv[1:])
