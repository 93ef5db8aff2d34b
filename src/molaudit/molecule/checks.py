"""The structure checks: codes, severities, what they mean, and the 0-100 score.

Severity decides the row status (:func:`status_for`): a ``critical`` check makes the row an
``error`` (code ``critical_check``), a ``warning`` check a ``warning``, an ``info`` check leaves
it ``ok``.

Also the fragment checks (salt, solvent, mixture, metal kept in the parent) and the stereo
checks, which run on the parsed input in the worker, and :func:`apply_series_stereo_rule`, the
batch-level rule that turns undefined stereo into a warning when the series defines it.

Stereo rule (``AuditOptions.undefined_stereo``):

``'series'`` (default)
    Undefined stereo is information (``undefined_stereocenter`` /
    ``undefined_double_bond_stereo``, severity ``info``): most screening and generated sets
    are drawn without stereo and that is not a defect. It becomes a warning
    (``stereo_undefined_in_series``) only when another molecule of the batch with the same
    Murcko scaffold (stereo-free, non-empty) has stereo defined: the series was drawn with
    stereo, and this record lost it.
``'info'``
    Always information.
``'warning'``
    Always a warning (every record with undefined stereo gets ``stereo_undefined_in_series``).

What counts as undefined: RDKit's ``FindPotentialStereo`` candidates without a label, in the
fragments that make the parent (a tartrate's or camsylate's stereo is not the drug's), minus

* bridgeheads of a rigid cage whose configuration the cage fixes (memantine, amantadine,
  1,3-disubstituted adamantanes, bicyclo[2.2.2]octanes): the cage is embedded in 3D once, and
  when its mirror image has the same InChI the cage bridgeheads are not flagged;
* C=N double bonds of amidines, guanidines and isoureas (``C(=N)N``/``C(=N)O``, the labile
  tautomeric systems), of C=NH imines, N=N of azides and C=N of diazo groups
  (``N=[N+]=[N-]``, ``C=[N+]=[N-]``), whose E/Z is not a property of the compound.

Ring cis/trans (1,4-disubstituted cyclohexanes) is real stereo and stays flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rdkit import Chem
from rdkit.Chem import AllChem, rdinchi
from rdkit.rdBase import BlockLogs

from molaudit.molecule.standardize import parent_choice

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHECKS",
    "PENALTY",
    "Check",
    "apply_series_stereo_rule",
    "fragment_checks",
    "score",
    "status_for",
    "stereo_checks",
]

Severity = Literal["info", "warning", "critical"]

#: Points a fired check removes from the score of 100. Each check code counts once, however
#: many atoms or fragments triggered it (the web platform counted one defect twice).
PENALTY: dict[str, int] = {"info": 2, "warning": 10, "critical": 40}


@dataclass(frozen=True)
class Check:
    """A check that can fire on a parsed molecule."""

    code: str
    severity: Severity
    description: str


_CHECKS = [
    Check(
        "dummy_atoms", "critical", "dummy atoms (*, R groups) or polymer brackets: not a compound"
    ),
    Check("inchi_failed", "critical", "InChI could not be generated (InChI's message given)"),
    Check(
        "query_features",
        "critical",
        "query atoms or bonds (SMARTS-only features such as [#6]~[#7], atom lists, any-bonds)",
    ),
    Check(
        "mixture",
        "warning",
        "two or more different components that are not listed counterions/solvents: kept whole",
    ),
    Check("solvent", "warning", "solvent fragment(s) present, named"),
    Check("inorganic", "warning", "no carbon atom in the parent"),
    Check(
        "organometallic",
        "warning",
        "a metal atom bonded to other atoms (organometallic or complex), or a metal complex "
        "drawn as ions: kept whole, not reduced to a ligand",
    ),
    Check(
        "stereo_undefined_in_series",
        "warning",
        "undefined stereo while molecules of the same scaffold in the batch define it "
        "(AuditOptions.undefined_stereo)",
    ),
    Check("radicals", "warning", "atoms with unpaired electrons"),
    Check("trivial_molecule", "warning", "parent has fewer heavy atoms than trivial_heavy_atoms"),
    Check("smiles_roundtrip", "warning", "canonical SMILES does not parse back to itself"),
    Check("pains_alert", "warning", "matches a PAINS substructure filter (named)"),
    Check("undefined_stereocenter", "info", "tetrahedral stereocentres without R/S"),
    Check("undefined_double_bond_stereo", "info", "stereogenic double bonds without E/Z"),
    Check("salt", "info", "counterion fragment(s) present, named"),
    Check("isotopes", "info", "isotope labels present"),
    Check("net_charge", "info", "the parent carries a net formal charge"),
    Check("zwitterion", "info", "the parent has separated + and - charges summing to zero"),
    Check("macrocycle", "info", "a ring of macrocycle_size atoms or more"),
    Check("inchi_warning", "info", "InChI generation warned (other than undefined stereo)"),
    Check("brenk_alert", "info", "matches a Brenk unwanted-group filter (named)"),
    Check("rdkit_warning", "info", "RDKit logged a warning while reading the structure"),
]

#: code -> Check, in order of decreasing severity.
CHECKS: dict[str, Check] = {c.code: c for c in _CHECKS}


def score(codes: list[str]) -> int:
    """Quality score 0-100 of a parsed molecule from the distinct check codes that fired.

    ``100 - sum(PENALTY[severity])`` over distinct codes, floored at 0. Error rows score 0.
    """
    total = sum(PENALTY[CHECKS[c].severity] for c in set(codes))
    return max(0, 100 - total)


def status_for(codes: list[str]) -> str:
    """The row status implied by the checks that fired (the severity -> status mapping).

    ========== ==========================================================================
    severity   row status
    ========== ==========================================================================
    critical   ``'error'`` (code ``critical_check``: not one defined compound; the row keeps
               its identifiers and properties but no analytic uses it)
    warning    ``'warning'``
    info       ``'ok'`` (the finding is listed in ``checks``)
    ========== ==========================================================================
    """
    severities = {CHECKS[c].severity for c in codes}
    if "critical" in severities:
        return "error"
    return "warning" if "warning" in severities else "ok"


def fragment_checks(mol: Chem.Mol, fired: dict[str, str]) -> int:
    """``salt``, ``solvent``, ``mixture`` and ionic metal complexes; returns the fragment count."""
    choice, frags = parent_choice(mol)
    if len(frags) <= 1:
        return len(frags)
    if choice.counterions:
        fired["salt"] = ", ".join(choice.counterions)
    if choice.solvents:
        fired["solvent"] = ", ".join(choice.solvents)
    if choice.reason == "mixture":
        names = list(dict.fromkeys(choice.components))
        fired["mixture"] = f"{len(names)} components kept whole: " + ", ".join(names[:5])
    elif choice.reason == "metal" and "organometallic" not in fired:
        metals = list(dict.fromkeys(choice.metals))[:3]
        fired["organometallic"] = "metal complex kept whole: " + ", ".join(metals)
    return len(frags)


# amidine / guanidine / isourea / isothiourea carbon; C=NH imines; azide N=N and diazo C=N
_LABILE_DOUBLE_BONDS = tuple(
    Chem.MolFromSmarts(s)
    for s in ("[CX3](=[NX2])[#7,#8,#16]", "[CX3]=[NX2;H1]", "[#6,#7]=[N+]=[N-]")
)


def _labile_double_bonds(mol: Chem.Mol) -> set[int]:
    bonds: set[int] = set()
    for pattern in _LABILE_DOUBLE_BONDS:
        for match in mol.GetSubstructMatches(pattern):
            bond = mol.GetBondBetweenAtoms(match[0], match[1])
            if bond is not None:
                bonds.add(bond.GetIdx())
    return bonds


def _bridgeheads(mol: Chem.Mol) -> set[int]:
    """Atoms at the ends of a path shared by two rings (bridged systems, not fused ones)."""
    rings = [set(r) for r in mol.GetRingInfo().AtomRings()]
    heads: set[int] = set()
    for i in range(len(rings)):
        for j in range(i + 1, len(rings)):
            shared = rings[i] & rings[j]
            if len(shared) < 3:
                continue
            union = rings[i] | rings[j]
            for atom in shared:
                outside = [
                    n.GetIdx()
                    for n in mol.GetAtomWithIdx(atom).GetNeighbors()
                    if n.GetIdx() in union and n.GetIdx() not in shared
                ]
                if len(outside) >= 2:
                    heads.add(atom)
    return heads


#: Larger molecules skip the 3D cage test (embedding cost); their cage flags stay.
_CAGE_MAX_HEAVY = 80


def _cage_is_achiral(mol: Chem.Mol, heads: Iterable[int]) -> bool:
    """True when the cage's configuration, taken from a 3D embedding, equals its mirror image.

    The other stereo candidates are left unassigned so only the cage is compared; InChI, not
    SMILES, decides equality (RDKit's canonical SMILES does not see cage symmetry).
    """
    heads = set(heads)
    work = Chem.Mol(mol)
    params = AllChem.EmbedParameters()  # plain distance geometry: the cage fixes the shape
    params.randomSeed = 0xC0FFEE
    params.useExpTorsionAnglePrefs = False
    params.useBasicKnowledge = False
    with BlockLogs():
        if AllChem.EmbedMolecule(work, params) != 0:
            return False
    keys = []
    for sign in (1.0, -1.0):
        copy = Chem.Mol(work)
        conf = copy.GetConformer()
        for k in range(copy.GetNumAtoms()):
            p = conf.GetAtomPosition(k)
            conf.SetAtomPosition(k, (sign * p.x, p.y, p.z))
        Chem.AssignStereochemistryFrom3D(copy)
        for atom in copy.GetAtoms():
            if atom.GetIdx() not in heads:
                atom.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
        for bond in copy.GetBonds():
            bond.SetStereo(Chem.BondStereo.STEREONONE)
        copy.RemoveAllConformers()  # else InChI reads every centre from the coordinates
        keys.append(rdinchi.MolToInchi(copy)[0])
    return bool(keys[0]) and keys[0] == keys[1]


def _parent_atoms(mol: Chem.Mol) -> set[int] | None:
    """Atoms of the fragments the parent rules keep; None for a single fragment."""
    atom_sets = Chem.GetMolFrags(mol)
    if len(atom_sets) <= 1:
        return None
    choice, _frags = parent_choice(mol)
    return {a for i in choice.keep for a in atom_sets[i]}


def stereo_checks(mol: Chem.Mol, fired: dict[str, str]) -> None:
    """``undefined_stereocenter`` and ``undefined_double_bond_stereo`` (see module docstring)."""
    centres: list[int] = []
    undefined_centres: list[int] = []
    bonds: list[int] = []
    undefined_bonds: list[int] = []
    parent_atoms = _parent_atoms(mol)
    for info in Chem.FindPotentialStereo(mol):
        unspecified = info.specified == Chem.StereoSpecified.Unspecified
        if parent_atoms is not None:  # counterions' stereo (tartrate, camsylate) is theirs
            atom = (
                info.centeredOn
                if info.type == Chem.StereoType.Atom_Tetrahedral
                else mol.GetBondWithIdx(info.centeredOn).GetBeginAtomIdx()
            )
            if atom not in parent_atoms:
                continue
        if info.type == Chem.StereoType.Atom_Tetrahedral:
            centres.append(info.centeredOn)
            if unspecified:
                undefined_centres.append(info.centeredOn)
        elif info.type == Chem.StereoType.Bond_Double:
            bonds.append(info.centeredOn)
            if unspecified:
                undefined_bonds.append(info.centeredOn)
    if undefined_bonds:
        labile = _labile_double_bonds(mol)
        bonds = [b for b in bonds if b not in labile]
        undefined_bonds = [b for b in undefined_bonds if b not in labile]
    if undefined_centres:
        heads = _bridgeheads(mol) & set(undefined_centres)
        if heads and mol.GetNumHeavyAtoms() <= _CAGE_MAX_HEAVY and _cage_is_achiral(mol, heads):
            centres = [c for c in centres if c not in heads]
            undefined_centres = [c for c in undefined_centres if c not in heads]
    if undefined_centres:
        fired["undefined_stereocenter"] = (
            f"{len(undefined_centres)} of {len(centres)} stereocentre(s) undefined "
            f"(atoms {', '.join(map(str, undefined_centres[:10]))})"
        )
    if undefined_bonds:
        fired["undefined_double_bond_stereo"] = (
            f"{len(undefined_bonds)} of {len(bonds)} stereo double bond(s) undefined "
            f"(bonds {', '.join(map(str, undefined_bonds[:10]))})"
        )


_STEREO_CODES = ("undefined_stereocenter", "undefined_double_bond_stereo")
SERIES_CODE = "stereo_undefined_in_series"


def apply_series_stereo_rule(table: pd.DataFrame, mode: str = "series") -> pd.DataFrame:
    """Add ``stereo_undefined_in_series`` where the rule of ``mode`` says so (in place).

    Parameters
    ----------
    table : pandas.DataFrame
        The batch table (columns ``status``, ``checks``, ``check_messages``, ``score``,
        ``smiles``, ``murcko_scaffold``).
    mode : {'series', 'info', 'warning'}
        ``AuditOptions.undefined_stereo``.

    Returns
    -------
    pandas.DataFrame
        ``table``, with ``checks``, ``check_messages``, ``score`` and ``status`` updated on the
        rows the rule marks.
    """
    if mode == "info" or len(table) == 0 or "checks" not in table.columns:
        return table
    valid = table["status"].astype("str") != "error"
    checks = table["checks"].astype("str")
    undefined = valid & checks.str.contains("|".join(_STEREO_CODES), regex=True)
    if not undefined.any():
        return table
    if mode == "warning":
        marked = undefined
        detail = "undefined stereo (undefined_stereo='warning')"
    else:
        scaffold = table["murcko_scaffold"].astype("str")
        defined = valid & table["smiles"].astype("str").str.contains(r"[@/\\]", regex=True)
        with_stereo = set(scaffold[defined & (scaffold != "")])
        marked = undefined & scaffold.isin(with_stereo) & (scaffold != "")
        detail = "other molecules of this scaffold in the batch define stereo"
    for index in table.index[marked.to_numpy()]:
        codes = [c for c in str(table.at[index, "checks"]).split(";") if c]
        if SERIES_CODE in codes:
            continue
        codes = [c for c in CHECKS if c in {*codes, SERIES_CODE}]
        messages = str(table.at[index, "check_messages"])
        parts = dict(p.split(": ", 1) for p in messages.split(" | ") if ": " in p)
        parts[SERIES_CODE] = detail
        table.at[index, "checks"] = ";".join(codes)
        table.at[index, "check_messages"] = " | ".join(f"{c}: {parts[c]}" for c in codes)
        table.at[index, "score"] = score(codes)
        table.at[index, "status"] = status_for(codes)
    return table
