"""Names and meaning of the columns molaudit adds to ``Batch.table``, and the naming rule.

``Batch.table`` (in memory): the input columns come first, under their own names; an input
column whose name is one of :data:`AUDIT_COLUMNS` is renamed ``<name>_input`` (then
``<name>_input_2``, ...) so that analytics always find the audit's ``smiles``/``id``/``status``.

Exported files (``Batch.export`` to CSV/TSV/Parquet/SDF/XLSX, :func:`export_names`): the input
header is written unchanged (``smiles`` stays ``smiles``, ``id`` stays ``id``), followed by the
audit columns; an audit column whose name is also an input column's, compared ignoring case
(``SMILES`` and ``smiles`` clash), gets the prefix :data:`AUDIT_PREFIX` (``molaudit_smiles``,
``molaudit_id``). One rule, on the audit side only,
so a file's own header survives the round trip and no name appears twice.

Missing values are ``NA``/``NaN``. Error rows have no properties, except rows that are errors
because a ``critical`` check fired (``error_code='critical_check'``): they keep the identifiers
and properties that were computed.
"""

from __future__ import annotations

import re

#: Column name -> description, in table order.
AUDIT_COLUMNS: dict[str, str] = {
    "row": "input row number (0-based record number, also for SDF); every analytic refers to rows",
    "id": "identifier from the ID column, or 'row_<n>' when the input has none",
    "activity": "activity parsed to float from the activity column (NaN when absent/unparsable)",
    "activity_note": "why the activity is NaN or censored ('' when the value parsed cleanly)",
    "status": "'ok', 'warning' or 'error'",
    "error_stage": "stage that failed on error rows: input, parse, sanitize, standardize, profile, "
    "worker",
    "error_code": "error code from molaudit.errors.ERROR_CODES",
    "error_message": "human-readable reason, RDKit's own text where RDKit gave one",
    "score": "0-100 structure quality score; each distinct check counted once (0 on error rows)",
    "checks": "';'-joined codes of the checks that fired (see molaudit.molecule.checks.CHECKS)",
    "check_messages": "' | '-joined 'code: detail' for each fired check",
    "n_fragments": "number of disconnected fragments in the input structure",
    "smiles": "canonical isomeric SMILES of the input structure as parsed (exact dedup key)",
    "std_smiles": "canonical SMILES of the standardized parent (salt-form dedup key)",
    "std_changed": "True when standardization changed the structure (canonical forms compared)",
    "std_steps": "';'-joined standardization steps that changed the structure",
    "inchi": "standard InChI of the input structure",
    "inchikey": "standard InChIKey of the input structure",
    "std_inchikey": "standard InChIKey of the standardized parent",
    "tautomer_key": "tautomer-insensitive key of the stereo-free input structure "
    "(HetAtomTautomerv2 hash; tautomer dedup key)",
    "stereo_key": "canonical SMILES of the input structure with all stereo (R/S and E/Z) removed",
    "salt_key": "tautomer-insensitive key of the stereo-free standardized parent (salt-form "
    "dedup key: (S)-nicotine HCl meets (R)-nicotine)",
    "murcko_scaffold": "stereo-free Bemis-Murcko scaffold SMILES of the parent ('' if acyclic)",
    "mw": "average molecular weight of the parent",
    "exact_mass": "monoisotopic mass of the parent",
    "clogp": "Crippen logP of the parent",
    "tpsa": "topological polar surface area of the parent",
    "hbd": "H-bond donors (rdMolDescriptors.CalcNumHBD)",
    "hba": "H-bond acceptors (rdMolDescriptors.CalcNumHBA)",
    "rotatable_bonds": "rotatable bonds (RDKit default definition)",
    "heavy_atoms": "heavy atoms of the parent",
    "rings": "rings (SSSR) of the parent",
    "aromatic_rings": "aromatic rings of the parent",
    "fsp3": "fraction of sp3 carbons",
    "formal_charge": "net formal charge of the parent",
    "qed": "quantitative estimate of drug-likeness (Bickerton 2012)",
    "lipinski_violations": "number of Lipinski rule-of-five violations (MW, cLogP, HBD, HBA; "
    "donors/acceptors are RDKit's CalcNumHBD/CalcNumHBA, not Lipinski's NH+OH / N+O counts)",
    "veber_pass": "True when rotatable bonds <= 10 and TPSA <= 140",
    "pains_alerts": "';'-joined names of PAINS alerts matched by the parent",
    "brenk_alerts": "';'-joined names of Brenk alerts matched by the parent",
    "audit_ms": "wall time of this molecule's audit in milliseconds",
}

#: Numeric property columns (the ones statistics describe).
PROPERTY_COLUMNS: tuple[str, ...] = (
    "mw",
    "exact_mass",
    "clogp",
    "tpsa",
    "hbd",
    "hba",
    "rotatable_bonds",
    "heavy_atoms",
    "rings",
    "aromatic_rings",
    "fsp3",
    "formal_charge",
    "qed",
    "lipinski_violations",
    "score",
)

STATUSES: tuple[str, ...] = ("ok", "warning", "error")


#: Prefix an audit column gets in an exported file when an input column has its name.
AUDIT_PREFIX = "molaudit_"

_RENAMED = re.compile(r"^(?P<name>.+)_input(?:_\d+)?$")


def input_renaming(names: list[str]) -> dict[str, str]:
    """Input column -> its name in ``Batch.table``: ``<name>_input`` (``_input_2``...) on a
    clash with an audit column."""
    taken = set(names) | set(AUDIT_COLUMNS)
    out: dict[str, str] = {}
    for name in names:
        if name not in AUDIT_COLUMNS:
            out[name] = name
            continue
        candidate, k = f"{name}_input", 2
        while candidate in taken:
            candidate, k = f"{name}_input_{k}", k + 1
        taken.add(candidate)
        out[name] = candidate
    return out


def export_names(columns: list[str]) -> dict[str, str]:
    """Table column -> its name in an exported file (the rule in this module's docstring).

    The input columns are those before the audit's ``row`` column; their original names are
    recovered from the ``<name>_input`` renaming (checked by renaming them again; when that
    does not give the same names back, the table names are kept).

    Returns
    -------
    dict
        Only the columns whose name changes.
    """
    columns = [str(c) for c in columns]
    if "row" not in columns:
        return {}
    split = columns.index("row")
    inputs, audit = columns[:split], columns[split:]
    originals = []
    for name in inputs:
        match = _RENAMED.match(name)
        original = match.group("name") if match else name
        originals.append(original if original in AUDIT_COLUMNS else name)
    if list(input_renaming(originals).values()) != inputs or len(set(originals)) < len(inputs):
        originals = inputs
    out = {t: o for t, o in zip(inputs, originals, strict=True) if t != o}
    # case-insensitive: an input 'SMILES' and the audit's 'smiles' are one name to a reader
    taken = {o.casefold() for o in originals}
    for name in audit:
        if name.casefold() in taken:
            new, k = f"{AUDIT_PREFIX}{name}", 2
            while new.casefold() in taken:
                new, k = f"{AUDIT_PREFIX}{name}_{k}", k + 1
            out[name] = new
            taken.add(new.casefold())
        else:
            taken.add(name.casefold())
    return out
