"""Counterions, solvents and metals: what the fragments of a record are, and which make the parent.

The parent is chosen by rules, never by fragment size (a pamoate, stearate or docusate is larger
than many drugs sold with it). The rules follow the ChEMBL structure pipeline's
``get_fragment_parent_mol`` (chembl_structure_pipeline 1.2.4, MIT):

1. Solvent fragments are removed, unless every fragment is a solvent (then all are kept).
2. Counterion fragments are removed, unless nothing else remains. Then, if one distinct
   listed *organic* fragment is left once the inorganic ions go, it is the parent (sodium
   acetate -> acetic acid, arginine HCl -> arginine; ChEMBL keeps both ions here); otherwise
   all are kept (sodium chloride, piperazine citrate).
3. If the fragments left are copies of one structure (2:1 salts such as atorvastatin calcium),
   one copy is the parent.
4. If a metal of :data:`METALS` is left (metal complexes and organometallics: cisplatin,
   Gd-DOTA drawn as ions, ferrocene), the record is kept whole, without its solvents.
5. Otherwise two or more different components remain: a genuine mixture (a two-drug
   combination), kept whole and flagged.

The counterion/solvent list is ``data/counterions.tsv``: ChEMBL's ``salts.smi`` and
``solvents.smi`` plus molaudit's additions, each row with its source.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rdkit import Chem
from rdkit.Chem.MolStandardize import rdMolStandardize
from rdkit.rdBase import BlockLogs

__all__ = [
    "METALS",
    "ParentChoice",
    "choose_parent",
    "classify_fragment",
    "counterion_table",
    "fragment_key",
]

#: Metals whose presence keeps a record whole (ChEMBL's ``exclude_flag.METAL_LIST``: transition
#: metals, lanthanides, actinides and a few main-group metals; Zn, Ag, Al, the alkali and
#: alkaline-earth metals are not in it and are stripped as counterions when listed).
_METAL_SYMBOLS = (
    "Sc Ti V Cr Mn Fe Co Ni Cu Ga Y Zr Nb Mo Tc Ru Rh Pd Cd In Sn La Hf Ta W Re Os Ir Pt Au Hg "
    "Tl Pb Bi Po Ac Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Th Pa U Np Pu Am Cm Bk Cf Es Fm Md "
    "No Lr Ge Sb"
)
METALS = frozenset(_METAL_SYMBOLS.split(" "))


@lru_cache(maxsize=1)
def _uncharger() -> rdMolStandardize.Uncharger:
    return rdMolStandardize.Uncharger(canonicalOrder=True)


def fragment_key(frag: Chem.Mol) -> str:
    """Matching key of one fragment: element symbol for single atoms, else neutral SMILES.

    Stereo, isotopes and (where RDKit's Uncharger can remove them) charges do not count, so
    ``[Cl-]``, ``Cl`` and ``[37Cl-]`` share the key ``Cl`` and acetate meets acetic acid, as
    ChEMBL's charge- and H-agnostic SMARTS match them.
    """
    heavy = [a for a in frag.GetAtoms() if a.GetAtomicNum() != 1]
    if len(heavy) <= 1:
        atom = heavy[0] if heavy else frag.GetAtomWithIdx(0)
        if atom.GetAtomicNum() == 8 and atom.GetFormalCharge() < 0:
            return "O-"  # hydroxide/oxide, not water
        return atom.GetSymbol()
    plain = Chem.Mol(frag)
    for atom in plain.GetAtoms():
        atom.SetIsotope(0)  # CDCl3 is chloroform; [2H] atoms become implicit H below
    plain = Chem.RemoveHs(plain, sanitize=False)
    plain.UpdatePropertyCache(strict=False)
    neutral = _uncharger().uncharge(plain)
    return Chem.MolToSmiles(neutral, isomericSmiles=False)


#: Display names for exact drawn forms (the key merges ``Cl`` and ``[Cl-]``; the name should
#: not): canonical SMILES -> name. Role and matching still come from the list.
DRAWN_NAMES: dict[str, str] = {
    "[Na+]": "sodium", "[K+]": "potassium", "[Li+]": "lithium", "[Ca+2]": "calcium",
    "[Mg+2]": "magnesium", "[Zn+2]": "zinc", "[NH4+]": "ammonium", "[Cl-]": "chloride",
    "[Br-]": "bromide", "[I-]": "iodide", "[F-]": "fluoride", "Cl": "hydrogen chloride",
    "Br": "hydrogen bromide", "I": "hydrogen iodide", "[OH-]": "hydroxide", "O": "water",
    "CO": "methanol", "CCO": "ethanol", "CC(C)O": "isopropanol", "CC(C)=O": "acetone",
    "CS(C)=O": "dimethyl sulfoxide", "ClCCl": "dichloromethane", "ClC(Cl)Cl": "chloroform",
    "CC(=O)O": "acetic acid", "CC(=O)[O-]": "acetate", "CS(=O)(=O)O": "methanesulfonic acid",
    "CS(=O)(=O)[O-]": "mesylate", "O=C(O)C(F)(F)F": "trifluoroacetic acid",
    "O=C([O-])C(F)(F)F": "trifluoroacetate", "O=S(=O)(O)O": "sulfuric acid",
}  # fmt: skip


@lru_cache(maxsize=1)
def counterion_table() -> dict[str, tuple[str, str]]:
    """Key -> ``(role, name)`` of every listed counterion and solvent (first listing wins)."""
    table: dict[str, tuple[str, str]] = {}
    text = resources.files("molaudit.molecule").joinpath("data/counterions.tsv").read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    with BlockLogs():  # RDKit narrates the lone proton of ChEMBL's list; not a finding
        for row in csv.DictReader(lines, delimiter="\t"):
            mol = Chem.MolFromSmiles(row["smiles"])
            if mol is None:  # pragma: no cover - the shipped list is checked by a test
                continue
            table.setdefault(fragment_key(mol), (row["role"], row["name"].lower()))
    return table


@lru_cache(maxsize=8192)
def _classify_smiles(canonical_smiles: str) -> tuple[str, str, bool]:
    """``(role, name, organic)`` of one fragment."""
    mol = Chem.MolFromSmiles(canonical_smiles, sanitize=False)
    if mol is None:
        return "component", canonical_smiles, "C" in canonical_smiles.upper()
    try:
        mol.UpdatePropertyCache(strict=False)
        Chem.SanitizeMol(mol)
        key = fragment_key(mol)
    except Exception:  # an odd fragment the Uncharger rejects: compare as drawn
        key = canonical_smiles
    # organic: a carbon bonded to H or to carbon (carbonate, cyanide, thiocyanate are not)
    has_carbon = any(
        a.GetAtomicNum() == 6
        and (a.GetTotalNumHs() or any(n.GetAtomicNum() == 6 for n in a.GetNeighbors()))
        for a in mol.GetAtoms()
    )
    listed = counterion_table().get(key)
    if listed is not None:  # listed metal ions (Bi, Zn, Ag, Al, ...) are counterions
        return listed[0], DRAWN_NAMES.get(canonical_smiles, listed[1]), has_carbon
    if any(a.GetSymbol() in METALS for a in mol.GetAtoms()):
        return "metal", canonical_smiles, has_carbon
    return "component", canonical_smiles, has_carbon


def classify_fragment(canonical_smiles: str) -> tuple[str, str]:
    """Role and name of a fragment given its canonical SMILES.

    Returns
    -------
    tuple of str
        ``(role, name)`` with role ``'counterion'``, ``'solvent'``, ``'metal'`` (contains an
        atom of :data:`METALS`) or ``'component'`` (anything else; then name is the SMILES).
    """
    role, name, _carbon = _classify_smiles(canonical_smiles)
    return role, name


@dataclass(frozen=True)
class ParentChoice:
    """Which fragments of a record make its parent, and why.

    Attributes
    ----------
    keep : tuple of int
        Indices (in ``Chem.GetMolFrags`` order) of the fragments that form the parent.
    reason : str
        ``'single'`` (one fragment), ``'stripped'`` (counterions/solvents removed, one
        component left), ``'repeated'`` (stripped, and the copies of one ion counted once),
        ``'all_listed'`` (every fragment is a listed counterion/solvent: kept whole),
        ``'metal'`` (a metal complex: kept whole without its solvents) or ``'mixture'``
        (two or more different components: kept whole without counterions and solvents).
    counterions, solvents, components, metals : list of str
        Names (components and metals by SMILES) of the fragments of each role.
    """

    keep: tuple[int, ...]
    reason: str
    counterions: list[str] = field(default_factory=list)
    solvents: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    metals: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One-line reason for ``std_steps`` (empty for a single fragment)."""
        if self.reason == "single":
            return ""
        removed = self.counterions + self.solvents
        if self.reason in {"stripped", "repeated"}:
            text = "removed " + ", ".join(removed[:6]) if removed else "kept one copy"
            repeated = " (one copy of a repeated ion kept)" if self.reason == "repeated" else ""
            return text + repeated
        if self.reason == "all_listed":
            return "every fragment is a listed counterion/solvent: kept whole"
        if self.reason == "metal":
            return "metal complex kept whole (" + ", ".join(sorted(set(self.metals))[:3]) + ")"
        return f"mixture of {len(set(self.components))} components kept whole"


def choose_parent(fragment_smiles: list[str]) -> ParentChoice:
    """Apply the parent rules of this module to the canonical SMILES of a record's fragments."""
    if len(fragment_smiles) <= 1:
        return ParentChoice(tuple(range(len(fragment_smiles))), "single")
    classes = [_classify_smiles(s) for s in fragment_smiles]
    roles = [c[0] for c in classes]
    names = {r: [c[1] for c in classes if c[0] == r] for r in ("counterion", "solvent")}
    components = [c[1] for c in classes if c[0] == "component"]
    metals = [c[1] for c in classes if c[0] == "metal"]
    info = {
        "counterions": names["counterion"],
        "solvents": names["solvent"],
        "components": components,
        "metals": metals,
    }
    if all(r == "solvent" for r in roles):
        return ParentChoice(tuple(range(len(roles))), "all_listed", **info)
    unsolvated = [i for i, r in enumerate(roles) if r != "solvent"]
    if metals:
        return ParentChoice(tuple(unsolvated), "metal", **info)
    core = [i for i in unsolvated if roles[i] == "component"]
    if not core:
        # every fragment is listed: a listed organic ion is the compound (sodium acetate is
        # acetic acid, arginine HCl is arginine) once the inorganic ions go; several different
        # organic ones (piperazine citrate), or inorganic ones only (NaCl), stay whole
        core = [i for i in unsolvated if classes[i][2]]
        if not core or len(dict.fromkeys(fragment_smiles[i] for i in core)) > 1:
            return ParentChoice(tuple(unsolvated), "all_listed", **info)
    distinct = dict.fromkeys(fragment_smiles[i] for i in core)
    if len(distinct) == 1:
        reason = "repeated" if len(core) > 1 else "stripped"
        return ParentChoice((core[0],), reason, **info)
    return ParentChoice(tuple(core), "mixture", **info)
