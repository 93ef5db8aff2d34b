"""The per-molecule audit: parse -> sanitize -> checks -> standardize -> profile.

Runs in worker processes. :func:`audit_record` never raises for bad data: it returns a record
with ``status='error'`` and the stage, code and message of the failure.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from rdkit import Chem, rdBase
from rdkit.Chem import rdinchi, rdMolHash, rdqueries
from rdkit.Chem.Scaffolds import MurckoScaffold

from molaudit.molecule.alert_screen import atoms_matching, screen_words
from molaudit.molecule.checks import CHECKS, fragment_checks, score, status_for, stereo_checks
from molaudit.molecule.fingerprints import options_fingerprint
from molaudit.molecule.properties import alerts, properties
from molaudit.molecule.standardize import standardize
from molaudit.options import AuditOptions
from molaudit.run.limits import allocate_for_test, release_frames  # memory cap

__all__ = ["MoleculeTimeout", "audit_record", "error_record"]

_NONMETALS = frozenset(
    {1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 32, 33, 34, 35, 36, 51, 52, 53, 54, 85, 86}
)


def _bonded_metal_query() -> Chem.Atom:
    """Atoms that are neither a nonmetal nor a dummy and have at least one bond."""
    query = rdqueries.AtomNumEqualsQueryAtom(0, negate=True)
    for z in sorted(_NONMETALS):
        query.ExpandQuery(rdqueries.AtomNumEqualsQueryAtom(z, negate=True))
    query.ExpandQuery(rdqueries.ExplicitDegreeEqualsQueryAtom(0, negate=True))
    return query


# atom queries evaluated in C++ (``Mol.GetAtomsMatchingQuery``); the "Greater" queries of
# rdqueries compare the other way round, so "not equal to 0" is spelled with negate=True
_DUMMY = rdqueries.AtomNumEqualsQueryAtom(0)
_RADICAL = rdqueries.NumRadicalElectronsEqualsQueryAtom(0, negate=True)
_ISOTOPE = rdqueries.IsotopeEqualsQueryAtom(0, negate=True)
_CHARGED = rdqueries.FormalChargeEqualsQueryAtom(0, negate=True)
_BONDED_METAL = _bonded_metal_query()
_CARBON = Chem.MolFromSmarts("[#6]")

# InChI reports these normalizations of perfectly good structures (zwitterions, nitro groups,
# salts); they are not defects, so they do not become findings.
_INCHI_NORMALIZATION_NOTES = frozenset(
    {"Proton(s) added/removed", "Charges were rearranged", "Metal was disconnected"}
)

_PROBLEM_CODES = {
    "AtomValenceException": "valence_error",
    "AtomKekulizeException": "kekulization_error",
    "KekulizeException": "kekulization_error",
}


class MoleculeTimeout(Exception):
    """The molecule ran past its time limit (raised between stages or by SIGALRM)."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds if seconds > 0 else math.inf

    def check(self) -> None:
        if time.perf_counter() > self.end:
            raise MoleculeTimeout


class _LogCollector(logging.Handler):
    """Collects what RDKit logs while one molecule is read."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip()
        # RDKit prefixes its log lines with a timestamp like "[14:34:12] "
        if text.startswith("[") and "] " in text[:12]:
            text = text.split("] ", 1)[1]
        if text:
            self.messages.append(text)


_collector = _LogCollector()


@contextlib.contextmanager
def rdkit_log_capture() -> Iterator[_LogCollector]:
    """Route RDKit's log into a collector for the duration of a chunk, then restore it.

    RDKit's errors carry the reason a record failed ("syntax error while parsing", ...); they
    become the ``error_message`` instead of lines on stderr nobody can tie to a row.
    """
    logger = logging.getLogger("rdkit")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    rdBase.LogToPythonLogger()
    # the standardizer narrates every step at info level: costly and not a finding
    rdBase.DisableLog("rdApp.info")
    logger.handlers = [_collector]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield _collector
    finally:
        logger.handlers, level, logger.propagate = saved[0], saved[1], saved[2]
        logger.setLevel(level)


def error_record(stage: str, code: str, message: str) -> dict[str, Any]:
    """A record for a molecule that could not be audited."""
    return {
        "status": "error",
        "error_stage": stage,
        "error_code": code,
        "error_message": message,
        "score": 0,
        "checks": "",
        "check_messages": "",
    }


def _parse(text: str, kind: str, logs: _LogCollector) -> tuple[Chem.Mol | None, dict | None]:
    """Parse and sanitize; on failure say which stage failed and why, in RDKit's words."""
    if kind == "smiles":
        mol = Chem.MolFromSmiles(text)
    else:
        mol = Chem.MolFromMolBlock(text)
    if mol is not None:
        return mol, None
    # Diagnose: parse again without sanitizing to separate syntax from chemistry problems.
    del logs.messages[:]
    if kind == "smiles":
        raw = Chem.MolFromSmiles(text, sanitize=False)
    else:
        raw = Chem.MolFromMolBlock(text, sanitize=False, removeHs=False)
    if raw is None:
        message = _parse_message(logs.messages) or "RDKit could not parse the record"
        return None, error_record("parse", "parse_error", message)
    problems = Chem.DetectChemistryProblems(raw)
    if problems:
        first = problems[0]
        code = _PROBLEM_CODES.get(first.GetType(), "sanitization_error")
        message = "; ".join(p.Message() for p in problems[:5])
        return None, error_record("sanitize", code, message)
    try:
        Chem.SanitizeMol(raw)
    except Exception as exc:
        return None, error_record("sanitize", "sanitization_error", str(exc) or repr(exc))
    return raw, None


def _inner_whitespace(text: str) -> str | None:
    """Why a stripped SMILES field with whitespace inside is refused, or None when it has none.

    RDKit reads a SMILES up to the first whitespace and takes the rest as a name, so
    ``'CC\tO'`` would silently become ethane. CXSMILES extensions (``'CC |$R;$|'``) are fine.
    """
    for i, ch in enumerate(text):
        if ch.isspace():
            if ch == " " and text[i + 1 : i + 2] == "|":
                return None
            names = {"\t": "a tab", "\n": "a line break", "\r": "a carriage return", " ": "a space"}
            what = names.get(ch, f"whitespace U+{ord(ch):04X}")
            return (
                f"{what} at position {i} inside the SMILES {text[:60]!r}; RDKit would read only "
                f"{text[:i]!r} (split the field, or put the name in its own column)"
            )
    return None


def _query_check(mol: Chem.Mol, fired: dict[str, str]) -> None:
    # indexed access: ``mol.GetAtoms()`` is a Python-level iterator in RDKit's boost build,
    # several times slower than fetching each atom by index
    atoms = sum(map(Chem.Atom.HasQuery, map(mol.GetAtomWithIdx, range(mol.GetNumAtoms()))))
    bonds = sum(map(Chem.Bond.HasQuery, map(mol.GetBondWithIdx, range(mol.GetNumBonds()))))
    if atoms or bonds:
        parts = [f"{atoms} query atom(s)"] if atoms else []
        parts += [f"{bonds} query bond(s) (e.g. ~ any-bond)"] if bonds else []
        fired["query_features"] = ", ".join(parts) + ": a search pattern, not a molecule"


def _parse_message(lines: list[str]) -> str:
    """RDKit's parser complaint, without its prefixes, keeping the caret line under the SMILES."""
    kept = []
    for line in lines:
        line = line.removeprefix("SMILES Parse Error: ")
        if line.startswith("Failed parsing SMILES"):
            continue
        kept.append(line)
    return "\n".join(kept)


def _atom_checks(mol: Chem.Mol, fired: dict[str, str]) -> None:
    # each query runs over the atoms in C++ and wraps only the atoms it matches, instead of
    # a Python wrapper for every atom
    dummies = len(mol.GetAtomsMatchingQuery(_DUMMY))
    radicals = [f"{a.GetSymbol()}{a.GetIdx()}" for a in atoms_matching(mol, _RADICAL)]
    isotopes = [f"{a.GetIsotope()}{a.GetSymbol()}" for a in atoms_matching(mol, _ISOTOPE)]
    polymers = [
        sg.GetProp("TYPE")
        for sg in Chem.GetMolSubstanceGroups(mol)
        if sg.HasProp("TYPE") and sg.GetProp("TYPE") in {"SRU", "COP", "MON", "MER", "CRO", "GRA"}
    ]
    if dummies or polymers:
        parts = [f"{dummies} dummy atom(s)"] if dummies else []
        parts += [f"polymer S-group {p}" for p in polymers]
        fired["dummy_atoms"] = ", ".join(parts)
    if radicals:
        fired["radicals"] = "unpaired electrons on " + ", ".join(radicals[:10])
    if isotopes:
        fired["isotopes"] = ", ".join(sorted(set(isotopes)))
    bonded_metals = sorted(
        {
            f"{atom.GetSymbol()} bonded to "
            + ", ".join(sorted({n.GetSymbol() for n in atom.GetNeighbors()}))
            for atom in atoms_matching(mol, _BONDED_METAL)
        }
    )
    if bonded_metals:
        fired["organometallic"] = "; ".join(bonded_metals)


def _parent_checks(parent: Chem.Mol, options: AuditOptions, fired: dict[str, str]) -> None:
    heavy = parent.GetNumHeavyAtoms()
    if heavy < options.trivial_heavy_atoms:
        fired["trivial_molecule"] = f"{heavy} heavy atom(s)"
    if heavy and not parent.HasSubstructMatch(_CARBON):
        fired["inorganic"] = "no carbon atom"
    charged = atoms_matching(parent, _CHARGED)
    charges = [a.GetFormalCharge() for a in charged]
    net = sum(charges)
    if net:
        fired["net_charge"] = f"net charge {net:+d}"
    elif (
        charges
        and not _only_adjacent_charge_pairs(charged)
        and len(Chem.GetMolFrags(parent)) == 1  # a salt kept whole (NaCl) is no zwitterion
    ):
        fired["zwitterion"] = f"{len(charges)} charged atoms, net 0"
    ring_sizes = [len(r) for r in parent.GetRingInfo().AtomRings()]
    if ring_sizes and max(ring_sizes) >= options.macrocycle_size:
        fired["macrocycle"] = f"{max(ring_sizes)}-membered ring"


def _only_adjacent_charge_pairs(charged: Sequence[Chem.Atom]) -> bool:
    """True when every charged atom has an oppositely charged neighbour (nitro, N-oxide, ...)."""
    for atom in charged:
        charge = atom.GetFormalCharge()
        if charge and not any(n.GetFormalCharge() * charge < 0 for n in atom.GetNeighbors()):
            return False
    return True


def _inchi(mol: Chem.Mol, fired: dict[str, str]) -> tuple[str, str]:
    inchi, retcode, message, _log, _aux = rdinchi.MolToInchi(mol)
    if not inchi:
        fired["inchi_failed"] = message or f"InChI return code {retcode}"
        return "", ""
    if retcode == 1 and message:
        # undefined stereo is the stereo checks' call (they know cages and labile C=N)
        notes = [
            m.strip()
            for m in message.split(";")
            if m.strip()
            and m.strip() not in _INCHI_NORMALIZATION_NOTES
            and "undefined stereo" not in m.lower()
        ]
        if notes:
            fired["inchi_warning"] = "; ".join(notes)
    return inchi, rdinchi.InchiToInchiKey(inchi)


def _roundtrip(smiles: str, fired: dict[str, str]) -> None:
    again = Chem.MolFromSmiles(smiles)
    if again is None:
        fired["smiles_roundtrip"] = "canonical SMILES does not parse"
    elif Chem.MolToSmiles(again) != smiles:
        fired["smiles_roundtrip"] = "canonical SMILES changes when parsed again"


def audit_record(
    text: str | None, kind: str, options: AuditOptions
) -> tuple[dict[str, Any], np.ndarray | None]:
    """Audit one record.

    Parameters
    ----------
    text : str or None
        SMILES or molblock.
    kind : {'smiles', 'molblock'}
        What ``text`` is.
    options : AuditOptions
        Settings.

    Returns
    -------
    tuple
        ``(record, fingerprint)``: a dict with the audit columns of :mod:`molaudit.schema`
        and the packed fingerprint of the standardized parent (None on error rows).
    """
    started = time.perf_counter()
    stage_box = ["parse"]
    try:
        if options._test_allocate_on and text == options._test_allocate_on:  # memory cap
            allocate_for_test(options.max_memory_mb)
        record, fp = _audit(text, kind, options, _Deadline(options.timeout), stage_box)
    except MoleculeTimeout:
        record, fp = (
            error_record(
                stage_box[0],
                "timeout",
                f"exceeded the per-molecule time limit of {options.timeout:g} s "
                f"during stage '{stage_box[0]}'",
            ),
            None,
        )
    except MemoryError as exc:  # memory cap: the RLIMIT_AS of molaudit.run.limits (or the system)
        release_frames(exc)
        cap = f"max_memory_mb={options.max_memory_mb}" if options.max_memory_mb else "no cap"
        record, fp = (
            error_record(
                stage_box[0],
                "memory_exceeded",
                f"ran out of memory during stage '{stage_box[0]}' ({cap}); "
                "the molecule was skipped and the batch went on",
            ),
            None,
        )
    except Exception as exc:  # a bug or an RDKit exception we did not foresee: keep the row
        record, fp = (
            error_record(stage_box[0], "internal_error", f"{type(exc).__name__}: {exc}"),
            None,
        )
    record["audit_ms"] = (time.perf_counter() - started) * 1000.0
    return record, fp


def _audit(
    text: str | None, kind: str, options: AuditOptions, deadline: _Deadline, stage: list[str]
) -> tuple[dict[str, Any], np.ndarray | None]:
    if text is None or not str(text).strip():
        return error_record("input", "empty_input", "no structure given"), None
    text = str(text).strip() if kind == "smiles" else str(text)
    if kind == "smiles":
        inner = _inner_whitespace(text)
        if inner is not None:
            return error_record("input", "whitespace_in_smiles", inner), None
    if options.max_structure_chars and len(text) > options.max_structure_chars:
        return (
            error_record(
                "parse",
                "too_large",
                f"{len(text)} characters > max_structure_chars={options.max_structure_chars}; "
                "not parsed",
            ),
            None,
        )
    logs = _collector
    del logs.messages[:]
    mol, failure = _parse(text, kind, logs)
    if failure is not None:
        return failure, None
    if mol.GetNumAtoms() == 0:  # a molblock with no atom is no structure, as an empty SMILES
        return error_record("input", "empty_input", "the record has 0 atoms"), None
    deadline.check()
    heavy = mol.GetNumHeavyAtoms()
    if options.max_heavy_atoms and heavy > options.max_heavy_atoms:
        return (
            error_record(
                "parse",
                "too_large",
                f"{heavy} heavy atoms > max_heavy_atoms={options.max_heavy_atoms}",
            ),
            None,
        )
    fired: dict[str, str] = {}
    _query_check(mol, fired)
    read_warnings = [m for m in logs.messages if m]
    if read_warnings:
        fired["rdkit_warning"] = "; ".join(dict.fromkeys(read_warnings))[:500]

    stage[0] = "checks"
    smiles = Chem.MolToSmiles(mol)
    # one fragment (no '.' in the canonical SMILES): no salt, solvent, mixture or complex
    n_fragments = fragment_checks(mol, fired) if "." in smiles else 1  # parent rules
    _atom_checks(mol, fired)
    stereo_checks(mol, fired)
    _roundtrip(smiles, fired)
    deadline.check()

    stage[0] = "standardize"
    if options.standardize:
        try:
            parent, std_smiles, steps = standardize(
                mol, smiles, canonical_tautomer=options.canonical_tautomer
            )
        except (MoleculeTimeout, MemoryError):  # memory cap
            raise
        except Exception as exc:
            return error_record("standardize", "standardization_error", str(exc) or repr(exc)), None
    else:
        parent, std_smiles, steps = mol, smiles, []
    deadline.check()

    stage[0] = "profile"
    try:
        _parent_checks(parent, options, fired)
        inchi, inchikey = _inchi(mol, fired)
        if parent is mol or std_smiles == smiles:
            std_inchikey = inchikey
        else:
            std_inchi, _, _, _, _ = rdinchi.MolToInchi(parent)
            std_inchikey = rdinchi.InchiToInchiKey(std_inchi) if std_inchi else ""
        deadline.check()
        # cumulative dedup keys: exact (smiles) < stereo < tautomer (of the stereo-free input)
        # < salt (tautomer key of the stereo-free parent); see molaudit.analytics.dedup
        flat = Chem.Mol(mol)
        Chem.RemoveStereochemistry(flat)
        stereo_key = Chem.MolToSmiles(flat)
        # MolHash hashes a copy of its argument, and ``flat`` is not used after it anyway
        tautomer_key = rdMolHash.MolHash(flat, rdMolHash.HashFunction.HetAtomTautomerv2)
        if parent is mol or std_smiles == smiles:
            salt_key = tautomer_key
        else:
            flat_parent = Chem.Mol(parent)
            Chem.RemoveStereochemistry(flat_parent)
            salt_key = rdMolHash.MolHash(flat_parent, rdMolHash.HashFunction.HetAtomTautomerv2)
        scaffold = MurckoScaffold.GetScaffoldForMol(parent)
        # stereo-free, as RDKit's MurckoScaffoldSmiles: E/Z and R/S variants share a scaffold
        murcko = Chem.MolToSmiles(scaffold, isomericSmiles=False) if scaffold.GetNumAtoms() else ""
        # one pattern fingerprint screens QED and PAINS/Brenk. The feature bits are read from
        # the SMILES when it is the parent's own and the molecule has no query atom or bond
        # (``std_smiles`` of a changed parent was written before the final sanitization)
        plain = parent is mol and "query_features" not in fired
        words = screen_words(parent, smiles if plain else None)
        props = properties(parent, words)
        deadline.check()
        pains, brenk = alerts(parent, words) if options.alerts else ([], [])
        if pains:
            fired["pains_alert"] = ", ".join(pains)
        if brenk:
            fired["brenk_alert"] = ", ".join(brenk)
        fp = options_fingerprint(parent, options)
    except (MoleculeTimeout, MemoryError):  # memory cap
        raise
    except Exception as exc:
        return error_record("profile", "profile_error", f"{type(exc).__name__}: {exc}"), None

    codes = [c for c in CHECKS if c in fired]  # severity order
    status = status_for(codes)
    critical = [c for c in codes if CHECKS[c].severity == "critical"]
    record: dict[str, Any] = {
        "status": status,
        "error_stage": "checks" if status == "error" else None,
        "error_code": "critical_check" if status == "error" else None,
        "error_message": "; ".join(f"{c}: {fired[c]}" for c in critical) or None,
        "score": 0 if status == "error" else score(codes),
        "checks": ";".join(codes),
        "check_messages": " | ".join(f"{c}: {fired[c]}" for c in codes),
        "n_fragments": n_fragments,
        "smiles": smiles,
        "std_smiles": std_smiles,
        "std_changed": bool(steps),
        "std_steps": ";".join(steps),
        "inchi": inchi,
        "inchikey": inchikey,
        "std_inchikey": std_inchikey,
        "tautomer_key": tautomer_key,
        "stereo_key": stereo_key,
        "salt_key": salt_key,
        "murcko_scaffold": murcko,
        **props,
        "pains_alerts": ";".join(pains),
        "brenk_alerts": ";".join(brenk),
    }
    return record, fp
