"""Standardization with RDKit's rdMolStandardize, recording which steps changed the structure.

Steps, in order:

``cleanup``
    Remove explicit H; break the bonds of alkali and alkaline-earth metals to O, N, S and
    halogens into ions (``CC(=O)O[Na]`` -> ``CC(=O)[O-].[Na+]``, as ChEMBL does for Li/Na/K);
    RDKit's default normalizations; then molaudit's two conventions: sulfoxides and sulfinyl
    groups as ``S=O`` (RDKit's normalizer charge-separates them, which adds 6 A^2 of TPSA,
    lowers QED and trips Brenk's charged-atom alert) and acyclic imidic acids as amides
    (``C(O)=N`` -> ``C(=O)N``, ChEMBL's "bad amide tautomer" rules); reionize. Other metals are
    **not** disconnected: cisplatin stays cisplatin (RDKit's Cleanup would leave ammonia).
``fragment_parent``
    The parent fragments chosen by the rules of :mod:`molaudit.molecule.fragments` (listed
    counterions and solvents removed when another fragment remains; metal complexes and
    mixtures kept whole). When the rule is not a plain strip, a ``parent:<reason>`` step
    follows (``parent:repeated``, ``parent:all_listed``, ``parent:metal``, ``parent:mixture``)
    even when nothing was removed, so the choice is always on record.
``neutralize``
    RDKit's Uncharger (not for metal complexes, whose charges balance the metal). Aromatic
    carbanions (cyclopentadienide) are neutralized on the Kekulé form, as
    ``rdMolStandardize.ChargeParent`` does, instead of leaving an unparsable ``c1cccc1``.
``tautomer``
    With ``AuditOptions.canonical_tautomer``: RDKit's canonical tautomer.

A step "changed" the structure when the canonical SMILES differs before and after it (canonical
forms, never raw strings). Isotope labels are kept in the parent (a deuterated drug is another
compound: deutetrabenazine is not tetrabenazine); ChEMBL's parent drops them. ``std_smiles`` always
parses: if a step ever produced SMILES RDKit cannot read back, the step is undone and
``<step>_undone`` is recorded.
"""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem
from rdkit.Chem import rdqueries
from rdkit.Chem.MolStandardize import rdMolStandardize

from molaudit.molecule.fragments import ParentChoice, choose_parent

__all__ = ["STEPS", "parent_choice", "standardize"]

STEPS = ("cleanup", "fragment_parent", "neutralize", "tautomer")

#: molaudit's conventions, applied after RDKit's default normalizations.
_CONVENTIONS = "\n".join(
    [
        "//\tName\tSMIRKS",
        "Sulfoxide/sulfinyl -S+(O-)- to S=O\t[S+1;X3:1]-[O-1;X1:2]>>[S+0:1]=[O+0:2]",
        "Imidic acid to amide 1 (ChEMBL)\t[C:1]([OH1;D1:2])=;!@[NH1:3]>>[C:1](=[OH0:2])-[NH2:3]",
        "Imidic acid to amide 2 (ChEMBL)\t[C:1]([OH1;D1:2])=;!@[NH0:3]>>[C:1](=[OH0:2])-[NH1:3]",
    ]
)

# Li/Na/K (ChEMBL) plus Rb, Cs and the alkaline-earth metals, bonded to O/N/S/halogen: ionic
# bonds drawn as covalent. Transition-metal bonds are left alone.
_IONIC_METAL_BOND = Chem.MolFromSmarts("[Li,Na,K,Rb,Cs,Mg,Ca,Sr,Ba;+0]-[#7,#8,#16,F,Cl,Br,I;+0]")

_HYDROGEN = rdqueries.AtomNumEqualsQueryAtom(1)
_CHARGED = rdqueries.FormalChargeEqualsQueryAtom(0, negate=True)


@lru_cache(maxsize=1)
def _tools() -> tuple:
    return (
        rdMolStandardize.Normalizer(),
        rdMolStandardize.NormalizerFromData(_CONVENTIONS, rdMolStandardize.CleanupParameters()),
        rdMolStandardize.Reionizer(),
        rdMolStandardize.Uncharger(canonicalOrder=True),
        rdMolStandardize.TautomerEnumerator(),
    )


def _disconnect_ionic_metals(mol: Chem.Mol) -> Chem.Mol:
    if not mol.HasSubstructMatch(_IONIC_METAL_BOND):
        return mol
    rw = Chem.RWMol(mol)
    for metal, partner in mol.GetSubstructMatches(_IONIC_METAL_BOND):
        if rw.GetBondBetweenAtoms(metal, partner) is None:
            continue
        rw.RemoveBond(metal, partner)
        m_atom, p_atom = rw.GetAtomWithIdx(metal), rw.GetAtomWithIdx(partner)
        m_atom.SetFormalCharge(m_atom.GetFormalCharge() + 1)
        p_atom.SetFormalCharge(p_atom.GetFormalCharge() - 1)
        m_atom.SetNoImplicit(True)
    out = rw.GetMol()
    Chem.SanitizeMol(out)
    return out


def _cleanup(mol: Chem.Mol) -> Chem.Mol:
    """RDKit's Cleanup without its metal disconnection, plus molaudit's conventions.

    The in-place forms are used on purpose: they give exactly what ``CleanupInPlace`` gives
    (the copying ``Normalizer.normalize`` leaves some mesoionic structures untouched). Records
    of several fragments are reionized after the parent is chosen (see :func:`standardize`),
    so a strong-acid counterion cannot take a proton from the drug before it is removed.
    """
    normalizer, conventions, reionizer, _u, _t = _tools()
    if _has_h_atoms(mol):
        work = Chem.RWMol(Chem.RemoveHs(mol))
    else:
        # RemoveHs with no H atom to remove is a copy re-sanitized; ``mol`` is sanitized
        # already and sanitization is idempotent, so the copy alone is the same molecule
        work = Chem.RWMol(mol)
    disconnected = _disconnect_ionic_metals(work)
    if disconnected is not work:
        work = Chem.RWMol(disconnected)
    normalizer.normalizeInPlace(work)
    conventions.normalizeInPlace(work)
    if len(Chem.GetMolFrags(work)) == 1 and _may_reionize(work):
        reionizer.reionizeInPlace(work)
    return Chem.Mol(work)


def _has_h_atoms(mol: Chem.Mol) -> bool:
    """True when the graph holds hydrogen atoms (not implicit H counts)."""
    # every atom heavy (atomic number > 1): no H atom, and no need to look at each atom
    if mol.GetNumAtoms() == mol.GetNumHeavyAtoms():
        return False
    return len(mol.GetAtomsMatchingQuery(_HYDROGEN)) > 0


def _has_charges(mol: Chem.Mol) -> bool:
    # evaluated in C++ over the atoms; only charged atoms get a Python wrapper
    return len(mol.GetAtomsMatchingQuery(_CHARGED)) > 0


def _may_reionize(mol: Chem.Mol) -> bool:
    """False when RDKit's Reionizer provably leaves the one-fragment ``mol`` unchanged.

    The Reionizer (1) sets the charge of isolated Li/Na/K/Mg/Ca/Cl atoms (its charge
    corrections match only atoms with no connection at all, X0, which in one fragment of two
    or more atoms do not exist) and (2) moves a proton from an ionized acid, an atom with a
    negative charge, to a stronger protonated one. With no charged atom and more than one
    atom, neither can happen. ``tests/molecule/test_fast_paths.py`` checks this against the
    Reionizer itself on the fixtures.
    """
    return mol.GetNumAtoms() <= 1 or _has_charges(mol)


def _parses(smiles: str) -> bool:
    return Chem.MolFromSmiles(smiles) is not None


def _uncharge(mol: Chem.Mol) -> tuple[Chem.Mol, str]:
    """Uncharged molecule and its SMILES, which parses (else the SMILES of a failed attempt)."""
    uncharger = _tools()[3]
    out = uncharger.uncharge(mol)
    smiles = Chem.MolToSmiles(out)
    if _parses(smiles):
        return out, smiles
    # aromatic carbanions: neutralize the Kekulé form (what ChargeParent's pipeline amounts to)
    kek = Chem.Mol(mol)
    Chem.Kekulize(kek, clearAromaticFlags=True)
    out = uncharger.uncharge(kek)
    Chem.SanitizeMol(out)
    return out, Chem.MolToSmiles(out)


def parent_choice(mol: Chem.Mol) -> tuple[ParentChoice, tuple[Chem.Mol, ...]]:
    """The parent rule applied to ``mol``'s fragments, and the fragments themselves."""
    frags = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=False)
    return choose_parent([Chem.MolToSmiles(f) for f in frags]), frags


def standardize(
    mol: Chem.Mol, input_smiles: str, *, canonical_tautomer: bool = False
) -> tuple[Chem.Mol, str, list[str]]:
    """Standardize ``mol`` to its parent.

    Parameters
    ----------
    mol : rdkit.Chem.Mol
        Sanitized input molecule (not modified).
    input_smiles : str
        Canonical SMILES of ``mol`` (saves recomputing it).
    canonical_tautomer : bool
        Also canonicalize the tautomer.

    Returns
    -------
    tuple
        ``(parent_mol, parent_smiles, changed_steps)``; ``parent_smiles`` parses with RDKit.
        When no step changed anything, ``parent_mol`` is ``mol`` itself (not a copy): copy it
        before modifying it.
    """
    changed: list[str] = []
    previous = input_smiles
    work = _cleanup(mol)
    current = Chem.MolToSmiles(work)
    if current != previous:
        changed.append("cleanup")
    previous = current
    metal = False
    if "." in current:
        choice, frags = parent_choice(work)
        metal = choice.reason == "metal"
        if len(choice.keep) < len(frags):
            parent = frags[choice.keep[0]]
            for index in choice.keep[1:]:
                parent = Chem.CombineMols(parent, frags[index])
            work = Chem.RWMol(parent)
            Chem.SanitizeMol(work)
            if len(choice.keep) == 1:
                _tools()[2].reionizeInPlace(work)
            work = Chem.Mol(work)
            current = Chem.MolToSmiles(work)
            if current != previous:
                changed.append("fragment_parent")
            previous = current
        if choice.reason not in {"single", "stripped"}:
            changed.append(f"parent:{choice.reason}")
    if not metal and _has_charges(work):
        candidate, smiles = _uncharge(work)
        if smiles != previous and _parses(smiles):
            work, current = candidate, smiles
            changed.append("neutralize")
            previous = current
        elif smiles != previous:
            changed.append("neutralize_undone")
    if canonical_tautomer:
        candidate = _tools()[4].Canonicalize(work)
        smiles = Chem.MolToSmiles(candidate)
        if smiles != previous and _parses(smiles):
            work, current = candidate, smiles
            changed.append("tautomer")
        elif smiles != previous:
            changed.append("tautomer_undone")
    # never hand out SMILES that do not read back (the input's own SMILES parsed already)
    if current != input_smiles and "cleanup" in changed and not _parses(current):
        work, current = Chem.Mol(mol), input_smiles
        changed.append("standardize_undone")
    if not changed and current == input_smiles:
        # nothing changed: the parent is ``mol`` itself, not the cleaned copy. The copy has the
        # same atoms in the same order (the in-place normalizer and reionizer keep indices; an
        # H atom removed would have changed the SMILES), so it is the same molecule, and
        # ``mol`` needs no second sanitization
        return mol, input_smiles, changed
    # later steps need ring perception on the final molecule
    Chem.SanitizeMol(work)
    return work, current, changed
