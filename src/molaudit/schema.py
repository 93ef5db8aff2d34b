"""Names and meaning of the columns molaudit adds to ``Batch.table``.

The input columns come first, under their own names (a clash with a name below is renamed
``<name>_input``). Missing values are ``NA``/``NaN``; error rows have no properties.
"""

from __future__ import annotations

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
    "tautomer_key": "tautomer-insensitive key of the input structure (HetAtomTautomerv2 hash)",
    "stereo_key": "canonical SMILES of the input structure with all stereo (R/S and E/Z) removed",
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
    "lipinski_violations": "number of Lipinski rule-of-five violations (MW, cLogP, HBD, HBA)",
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
