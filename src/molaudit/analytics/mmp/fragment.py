"""Hussain–Rea fragmentation for matched molecular pairs, equivalent to ``mmpdb fragment`` 3.1.

This module reimplements the fragmentation of mmpdb 3.1 (Dalke, Hert, Kramer, J. Chem. Inf.
Model. 2018; BSD-3 licence, F. Hoffmann-La Roche Ltd.) on RDKit primitives, with mmpdb's default
settings: cut acyclic single bonds matching :data:`DEFAULT_CUT_SMARTS`, 1, 2 and 3 cuts, salts
stripped by RDKit's default ``SaltRemover``, molecules with more than 100 heavy atoms or more than
10 rotatable bonds (mmpdb's rotatable SMARTS) skipped with the reason, chirality "up-enumeration"
of atoms that become stereocentres after a cut, canonical attachment orders for symmetric
variable/constant parts. The strings it produces (variable SMILES, constant SMILES, symmetry
classes, attachment orders) are the ones mmpdb writes to its fragment database.

What makes it fast: mmpdb canonicalizes every combination of cut bonds and only afterwards, at
index time, drops the ones whose variable part is too large (``--max-variable-heavies 10``). Here
the cut bonds are bridges of a tree of atom blocks, so the heavy-atom count of every variable part
is known by arithmetic before any RDKit call, and only fragmentations the index would keep are
built. A molecule with 15 cut bonds has 575 cut combinations; typically a few dozen survive.
R-group strings are computed once per molecule and reused by every combination. With
``defer=True`` (what the index uses) no combination is built at first: each is reduced to a
stereo-free key of its constant (:class:`.mmp_keys.BlockKeys`, no SMILES written) and built in
a second pass only if another molecule's constant has the same key or, for a 1-cut constant,
its '*' -> H form may be another molecule (hydrogen-replacement pairs). Most constants belong
to one molecule only, so most canonical SMILES are never written.

Workers receive SMILES strings and return plain tuples (see :func:`fragment_chunk`).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rdkit import Chem, RDLogger

from molaudit.analytics.mmp.keys import (
    BlockKeys,
    atom_props,
    formula_key,
    heavy_flags,
    molecule_hkey,
    no_new_centres,
    single_no_new_centres,
)
from molaudit.analytics.mmp.plan import (
    _all_combinations,
    _encode,
    _fragment_on_atom_pairs,
    _plan_combinations,
    _Tree,
    _up_flagged_edges,
    decode_combo,
)
from molaudit.analytics.mmp.settings import DEFAULT_CUT_SMARTS, ROTATABLE_SMARTS, FragmentSettings
from molaudit.analytics.mmp.stereo import (
    _chiral_enumerate,
    _n_up_enumerations,
    _new_stereocentres,
    _up_candidates,
)

__all__ = [
    "DEFAULT_CUT_SMARTS",
    "ROTATABLE_SMARTS",
    "FragmentSettings",
    "Fragmentation",
    "FragmentedRecord",
    "complete_chunk",
    "decode_combo",
    "fragment_chunk",
    "fragment_smiles",
    "num_heavies_from_smiles",
]

NO_ENUMERATION = "N"
CONSTANT_UP = "C"
VARIABLE_UP = "V"


#: One fragmentation: (num_cuts, enumeration_label, variable_heavies, variable_symmetry_class,
#: variable_smiles, attachment_order, constant_heavies, constant_symmetry_class, constant_smiles,
#: h_source, h_formula). For 1-cut fragmentations ``h_source`` is the constant SMILES whose
#: '*' -> H form is looked up among the molecules (mmpdb's hydrogen-replacement pairs) and
#: ``h_formula`` is (heavies, sum of Z, hydrogens) of that form, so the parent canonicalizes
#: only constants whose formula matches some molecule's; both are ''/None for 2-3 cuts.
Fragmentation = tuple[int, str, int, str, str, str, int, str, str, str, tuple | None]

#: What a worker returns for one molecule: (index, skip_reason, normalized_smiles,
#: num_heavies, formula_key, fragmentations[, deferred, h_key]). ``skip_reason`` is '' when the
#: molecule was fragmented; ``formula_key`` is (heavies, sum of Z, hydrogens) of the normalized
#: molecule. With ``defer=True``, ``deferred`` lists ``(combination code, constant key, H key)``
#: of the combinations not built yet (code 0: built already, listed so its key counts; H key:
#: the :func:`.mmp_keys.molecule_hkey` a molecule needs to be this 1-cut constant with
#: '*' -> H, else -1), or is None when the molecule could not be keyed (everything built), and
#: ``h_key`` is the molecule's own H key; the index asks for the combinations whose constant
#: can pair afterwards (:func:`complete_chunk`).
FragmentedRecord = tuple


# --------------------------------------------------------------------------- helpers

_atom_pat = re.compile(r"(Cl?|Br?|[NOSPFIbcnosp]|\[[^]]*\])")
_atom_and_dot_pat = re.compile(r"(Cl?|Br?|[NOSPFIbcnosp]|\[[^]]*\]|\*|\.)")


def num_heavies_from_smiles(smiles: str) -> int:
    """Heavy atoms in a SMILES as mmpdb counts them (``[H]`` and ``*`` atoms excluded)."""
    n = 0
    for m in _atom_pat.finditer(smiles):
        text = m.group()
        if text == "[H]" or "*" in text:
            continue
        n += 1
    return n


def _component_atom_symbols(smiles: str) -> list[list[tuple[int, str]]]:
    components: list[list[tuple[int, str]]] = []
    component: list[tuple[int, str]] = []
    idx = 0
    for m in _atom_and_dot_pat.finditer(smiles):
        text = m.group()
        if text == ".":
            components.append(component)
            component = []
        else:
            component.append((idx, text))
            idx += 1
    components.append(component)
    return components


def _atom_output_order(mol: Chem.Mol) -> list[int]:
    text = mol.GetProp("_smilesAtomOutputOrder").strip("[]").rstrip(",")
    return [int(x) for x in text.split(",") if x]


def _symmetry_class(*values: object) -> str:
    if len(values) == 2:
        return "11" if values[0] == values[1] else "12"
    a, b, c = values
    if a == b:
        return "111" if b == c else "112"
    if a == c:
        return "121"
    if b == c:
        return "122"
    return "123"


def _init_canonical_order() -> dict[tuple[str, str, str], str]:
    # Many permutations give the same variable-to-constant connection; the canonical one is
    # the lexically smallest (same construction as mmpdb's CANONICAL_ATTACHMENT_ORDER).
    table: dict[tuple[str, str, str], str] = {}

    def connection(sym1: str, sym2: str, perm: str) -> list[str]:
        return sorted(sym1[i] + sym2[int(p)] for i, p in enumerate(perm))

    for groups, perms in (
        (("11", "12"), ("01", "10")),
        (("111", "112", "121", "122", "123"), ("012", "021", "102", "120", "201", "210")),
    ):
        ordered = sorted(perms)
        for s1 in groups:
            for s2 in groups:
                for perm in perms:
                    target = connection(s1, s2, perm)
                    table[s1, s2, perm] = next(
                        p for p in ordered if connection(s1, s2, p) == target
                    )
    return table


CANONICAL_ATTACHMENT_ORDER = _init_canonical_order()


_H_CACHE: dict[str, str] = {}


def replace_wildcard_with_h(smiles: str) -> str:
    """Canonical SMILES of a 1-cut constant with its attachment point replaced by hydrogen."""
    try:
        return _H_CACHE[smiles]
    except KeyError:
        pass
    if smiles.count("[*]") == 1:
        with_h = smiles.replace("[*]", "[H]")
    else:
        with_h = smiles.replace("*", "[H]")
    mol = Chem.MolFromSmiles(with_h)
    out = Chem.MolToSmiles(mol) if mol is not None else ""
    if len(_H_CACHE) > 100_000:
        _H_CACHE.clear()
    _H_CACHE[smiles] = out
    return out


@lru_cache(maxsize=4)
def _patterns(cut_smarts: str, rotatable_smarts: str):
    return Chem.MolFromSmarts(cut_smarts), Chem.MolFromSmarts(rotatable_smarts)


@lru_cache(maxsize=1)
def _salt_remover():
    from rdkit.Chem.SaltRemover import SaltRemover

    return SaltRemover()


# --------------------------------------------------------------------------- cut planning


class _Mol:
    """Per-molecule state shared by all cut combinations."""

    __slots__ = (
        "atom_info",
        "candidates",
        "has_stereo",
        "heavy",
        "mol",
        "num_heavies",
        "plain",
        "rgroup",
        "settings",
        "total_heavies",
    )

    def __init__(
        self,
        mol: Chem.Mol,
        settings: FragmentSettings,
        num_heavies: int,
        smiles: str,
        props,
        plain: bool = False,
    ) -> None:
        self.mol = mol
        self.settings = settings
        self.num_heavies = num_heavies
        self.candidates = _up_candidates(mol, props)
        # the canonical isomeric SMILES shows every stereo tag RDKit kept after parsing
        self.has_stereo = "@" in smiles or "/" in smiles or "\\" in smiles
        # the input SMILES had no '@', '/' or '\\': the molecule has no tags or directions
        self.plain = plain
        self.atom_info = [
            (int(z > 1), z if z > 1 else 0, hs + (z == 1)) for z, _, hs, _, _ in props
        ]
        self.heavy = heavy_flags(mol, props)
        self.total_heavies = sum(self.heavy)
        # (cut atom that stays in the R-group, its partner) -> SMILES of that R-group after
        # mmpdb's stereo clean-up; an R-group is the same string in every cut combination
        self.rgroup: dict[tuple[int, int], str] = {}


def _single_cut(st: _Mol, pair, out, seen, side_heavy=None) -> None:
    mol, settings, num_heavies = st.mol, st.settings, st.num_heavies
    fm, _, _ = _fragment_on_atom_pairs(mol, [pair], st.plain)
    try:
        frag1, frag2 = Chem.GetMolFrags(fm)
    except ValueError:
        return  # RDKit ring-perception corner case (rdkit#4016); mmpdb ignores it too
    n = fm.GetNumAtoms()
    a2 = n - 2
    s1 = Chem.MolFragmentToSmiles(fm, frag1, isomericSmiles=True)
    s2 = Chem.MolFragmentToSmiles(fm, frag2, isomericSmiles=True)
    # mmpdb writes these before its stereo clean-up and multi-cut R-groups after it; a
    # piece with one '*' keeps every stereocentre it had (the new '*' is unlike any other
    # neighbour), so the strings are the same and serve as R-group strings too
    for frag, smi in ((frag1, s1), (frag2, s2)):
        inside = pair[0] if pair[0] in frag else pair[1]
        outside = pair[1] if inside == pair[0] else pair[0]
        st.rgroup[inside, outside] = smi
    if side_heavy is None:
        h1 = num_heavies_from_smiles(s1)
        h2 = num_heavies_from_smiles(s2)
    elif pair[0] in frag1:
        h1, h2 = side_heavy
    else:
        h2, h1 = side_heavy
    allow = settings.allow_variable
    if not (allow(h1, num_heavies) or allow(h2, num_heavies)):
        return
    up1: list[str] = []
    up2: list[str] = []
    candidates = st.candidates
    cand1 = [a for a in candidates if a < a2 and a in frag1] if candidates else []
    if cand1:
        fm.UpdatePropertyCache(strict=False)
        Chem.AssignStereochemistry(fm, cleanIt=True, force=True)
        ranks = Chem.CanonicalRankAtoms(fm, breakTies=False)
        chiral = _new_stereocentres(mol, cand1, ranks)
        if chiral:
            # mmpdb 3.1 uses the new centres of fragment 1 for both fragments; for fragment 2
            # that yields its own SMILES after the stereo clean-up. Reproduced as is.
            for frag_indices, ups in ((frag1, up1), (frag2, up2)):
                found: dict[str, None] = {}
                for assignment in _chiral_enumerate(chiral):
                    for atom_index, tag in assignment:
                        fm.GetAtomWithIdx(atom_index).SetChiralTag(tag)
                    found[Chem.MolFragmentToSmiles(fm, frag_indices, isomericSmiles=True)] = None
                ups.extend(found)
    last_up = None
    for c_h, c_smi, c_up, c_frag, v_h, v_smi, v_up in (
        (h1, s1, up1, frag1, h2, s2, up2),
        (h2, s2, up2, frag2, h1, s1, up1),
    ):
        if c_h < settings.min_heavies_total_const_frag or c_h < settings.min_heavies_per_const_frag:
            continue
        # mmpdb pairs the variable up-enumerations with the last constant up-enumeration
        # seen so far (a loop variable that outlives its loop); keep that pairing
        if c_up:
            last_up = c_up[-1]
        if not allow(v_h, num_heavies):
            continue
        c_key = _h_formula(st.atom_info, c_frag, a2)
        _emit(out, seen, (1, NO_ENUMERATION, v_h, "1", v_smi, "0", c_h, "1", c_smi, c_smi, c_key))
        for u in c_up:
            _emit(out, seen, (1, CONSTANT_UP, v_h, "1", v_smi, "0", c_h, "1", u, u, c_key))
        for v in v_up:
            _emit(out, seen, (1, VARIABLE_UP, v_h, "1", v, "0", c_h, "1", last_up, c_smi, c_key))


def _h_formula(atom_info, frag_indices, first_dummy) -> tuple[int, int, int]:
    heavies = zsum = hsum = 0
    for a in frag_indices:
        if a < first_dummy:
            h, z, nh = atom_info[a]
            heavies += h
            zsum += z
            hsum += nh
    return heavies, zsum, hsum + 1


def _emit(out, seen, frag) -> None:
    key = (frag[5], frag[4], frag[8])
    if key not in seen:
        seen.add(key)
        out.append(frag)


def _multi_cut(st: _Mol, atom_pairs, out, seen) -> None:
    """A 2- or 3-cut fragmentation as mmpdb's ``make_multiple_cuts`` builds it.

    mmpdb writes the whole fragmented molecule as one canonical SMILES (RDKit sorts the
    pieces) and reads the pieces back. Here each piece is written on its own: R-groups come
    from a per-molecule cache (they recur in many combinations) and only the small variable
    piece is canonicalized per combination; the strings are the same, the cost is not.
    """
    mol, settings, num_heavies = st.mol, st.settings, st.num_heavies
    num_cuts = len(atom_pairs)
    fm, other_atom, attached = _fragment_on_atom_pairs(mol, atom_pairs, st.plain)
    n_orig = mol.GetNumAtoms()
    var_piece = None
    rgroups = []  # (atoms incl. dummy, dummy index)
    n_const = 0
    for atom_indices in Chem.GetMolFrags(fm):
        dummies = [a for a in atom_indices if a >= n_orig]
        if len(dummies) == 1:
            n_real = len(atom_indices) - 1
            if n_real < settings.min_heavies_per_const_frag:
                return
            n_const += n_real
            rgroups.append((atom_indices, dummies[0]))
        elif len(dummies) == num_cuts:
            var_piece = atom_indices
        else:
            return  # not cut into a core plus R-groups
    if n_const < settings.min_heavies_total_const_frag or var_piece is None:
        return
    if st.has_stereo:
        fm.UpdatePropertyCache(strict=False)
        Chem.AssignStereochemistry(fm, cleanIt=True, force=True)

    enumerations: list = [(NO_ENUMERATION, None)]
    if not st.has_stereo:
        fm.UpdatePropertyCache(strict=False)
    # whole-molecule ranks: RDKit's CanonicalRankAtomsInFragment(breakTies=False) does not
    # refine by neighbours, so it would call non-equivalent attachment points symmetric
    new_ranks = Chem.CanonicalRankAtoms(fm, breakTies=False)
    if st.candidates:
        new_centres = _new_stereocentres(mol, st.candidates, new_ranks)
        if new_centres:
            new_set = set(new_centres)
            # mmpdb's order: R-groups in GetMolFrags order, atoms ascending within each
            const_new = [a for atoms, _d in rgroups for a in sorted(atoms) if a in new_set]
            var_new = sorted(a for a in var_piece if a in new_set)
            enumerations.extend((CONSTANT_UP, e) for e in _chiral_enumerate(const_new))
            enumerations.extend((VARIABLE_UP, e) for e in _chiral_enumerate(var_new))
            total = 1 + _n_up_enumerations(len(const_new)) + _n_up_enumerations(len(var_new))
            if total > settings.max_up_enumerations + 1:
                raise _UpEnumerationLimit(
                    f"Exceeded up-enumeration limit of {settings.max_up_enumerations}"
                )

    seen_pieces = set()
    cache = st.rgroup
    for label, assignment in enumerations:
        if assignment is not None:
            # tags accumulate over enumerations, as in mmpdb
            for atom_index, tag in assignment:
                fm.GetAtomWithIdx(atom_index).SetChiralTag(tag)
            # as in mmpdb: forget perceived stereo so that writing SMILES perceives it again
            # and drops tags on atoms that are not stereocentres (e.g. two equal '*')
            fm.ClearComputedProps()
        if label == NO_ENUMERATION:
            got = _pieces_fast(fm, rgroups, var_piece, other_atom, attached, n_orig, cache)
        else:
            # up-enumerations: write the whole molecule like mmpdb, since RDKit's stereo
            # re-perception differs between a whole molecule and a fragment of it
            got = _pieces_whole(fm, num_cuts, other_atom)
        if got is None:
            return
        var_smiles, var_connections, const_pieces, rgroup_of_partner = got
        key = (var_smiles, *const_pieces)
        if key in seen_pieces:
            continue
        seen_pieces.add(key)
        if label == NO_ENUMERATION:
            ranks = new_ranks
        else:
            ranks = Chem.CanonicalRankAtoms(fm, breakTies=False)
        var_sym = _symmetry_class(*(ranks[a] for a in var_connections))
        const_sym = _symmetry_class(*const_pieces)
        attachment = "".join(rgroup_of_partner[a] for a in var_connections)
        canonical = CANONICAL_ATTACHMENT_ORDER[var_sym, const_sym, attachment]
        v_h = num_heavies_from_smiles(var_smiles)
        if not settings.allow_variable(v_h, num_heavies):
            continue
        const_smiles = ".".join(const_pieces)
        _emit(
            out,
            seen,
            (
                num_cuts,
                label,
                v_h,
                var_sym,
                var_smiles,
                canonical,
                st.total_heavies - v_h,
                const_sym,
                const_smiles,
                "",
                None,
            ),
        )


def _pieces_fast(fm, rgroups, var_piece, other_atom, attached, n_orig, cache):
    """Variable SMILES, its attachment atoms in output order, sorted R-groups, R-group ids."""
    rg_smiles = []
    for atoms, dummy in rgroups:
        partner = other_atom[dummy]
        inside = attached[dummy]
        outside = attached[partner]
        smi = cache.get((inside, outside))
        if smi is None:
            smi = cache[inside, outside] = Chem.MolFragmentToSmiles(fm, atoms, isomericSmiles=True)
        rg_smiles.append((smi, partner))
    var_smiles = Chem.MolFragmentToSmiles(fm, var_piece, isomericSmiles=True)
    var_connections = [a for a in _atom_output_order(fm) if a >= n_orig]
    # RDKit writes the pieces of a molecule sorted by their SMILES; so does mmpdb's constant
    rg_sorted = sorted(range(len(rg_smiles)), key=lambda i: rg_smiles[i][0])
    const_pieces = [rg_smiles[i][0] for i in rg_sorted]
    rgroup_of_partner = {rg_smiles[i][1]: str(pos) for pos, i in enumerate(rg_sorted)}
    return var_smiles, var_connections, const_pieces, rgroup_of_partner


def _pieces_whole(fm, num_cuts, other_atom):
    """:func:`_pieces_fast` the way mmpdb does it: one SMILES of the whole molecule."""
    smiles = Chem.MolToSmiles(fm)
    pieces = smiles.split(".")
    var_i = next((i for i, p in enumerate(pieces) if p.count("*") == num_cuts), None)
    if var_i is None:
        return None
    order = _atom_output_order(fm)
    symbols = _component_atom_symbols(smiles)
    const_idx = [i for i in range(num_cuts + 1) if i != var_i]
    var_connections = [order[k] for k, sym in symbols[var_i] if "*" in sym]
    rgroup_of_atom = {}
    for rgroup_id, comp in enumerate(const_idx):
        for k, _sym in symbols[comp]:
            rgroup_of_atom[order[k]] = str(rgroup_id)
    rgroup_of_partner = {a: rgroup_of_atom[other_atom[a]] for a in var_connections}
    return pieces[var_i], var_connections, [pieces[i] for i in const_idx], rgroup_of_partner


class _UpEnumerationLimit(Exception):
    pass


def fragment_smiles(
    index: int,
    smiles: str,
    settings: FragmentSettings,
    *,
    defer: bool = False,
    only: list[tuple[int, ...]] | None = None,
) -> FragmentedRecord:
    """Fragment one molecule as ``mmpdb fragment`` does, keeping only indexable fragmentations.

    Parameters
    ----------
    index : int
        Caller's reference, returned unchanged.
    smiles : str
        The structure to fragment.
    settings : FragmentSettings
        Cut and filter settings.

    Returns
    -------
    FragmentedRecord
        ``(index, skip_reason, normalized_smiles, num_heavies, formula_key,
        fragmentations)``; ``skip_reason`` is '' unless the molecule was skipped
        (mmpdb's reasons: 'invalid smiles', 'multiple fragments', "contains '*' atoms",
        'not enough heavy atoms', 'too many heavy atoms', 'too many rotatable bonds',
        'Exceeded up-enumeration limit of N', 'RDKit failure: ...').
    """
    mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return (index, "invalid smiles", "", 0, (), [])
    num_heavies = mol.GetNumHeavyAtoms()
    # RDKit's default salts are whole fragments of at most 13 heavy atoms: a one-fragment
    # molecule larger than that cannot lose anything, so skip the 15 substructure searches
    if settings.strip_salts and ("." in smiles or num_heavies <= 20):
        mol = _salt_remover().StripMol(mol)
    plain = not ("@" in smiles or "/" in smiles or "\\" in smiles)
    if only is not None and plain:
        normalized = ""  # second pass: pass 1 checked the molecule; no stereo to look for
    else:
        normalized = Chem.MolToSmiles(mol)
        if "." in normalized:
            return (index, "multiple fragments", normalized, num_heavies, (), [])
    props = atom_props(mol)
    heavies = 0
    for z, *_rest in props:
        if z == 0:
            return (index, "contains '*' atoms", normalized, num_heavies, (), [])
        if z > 1:
            heavies += 1
    if heavies < 2:
        return (index, "not enough heavy atoms", normalized, num_heavies, (), [])
    if settings.max_heavies is not None and heavies > settings.max_heavies:
        return (index, "too many heavy atoms", normalized, num_heavies, (), [])
    cut_pattern, rot_pattern = _patterns(settings.cut_smarts, settings.rotatable_smarts)
    if settings.max_rotatable_bonds is not None and only is None:
        matches = mol.GetSubstructMatches(
            rot_pattern, uniquify=True, maxMatches=settings.max_rotatable_bonds * 2 + 1
        )
        if len(matches) > settings.max_rotatable_bonds:
            return (index, "too many rotatable bonds", normalized, num_heavies, (), [])
    formula = formula_key(props)
    tail = (molecule_hkey(props),) if defer else ()
    pairs = mol.GetSubstructMatches(cut_pattern, uniquify=True)
    if not pairs:
        return (index, "", normalized, num_heavies, formula, [], [], *tail)
    try:
        frags, deferred = _fragment_mol(
            mol, pairs, settings, num_heavies, normalized, defer, only, props, plain
        )
    except _UpEnumerationLimit as err:
        return (index, str(err), normalized, num_heavies, (), [])
    except (RuntimeError, ValueError) as err:  # RDKit failures; mmpdb skips such records
        return (index, f"RDKit failure: {err}", normalized, num_heavies, (), [])
    return (index, "", normalized, num_heavies, formula, frags, deferred, *tail)


def _fragment_mol(mol, pairs, settings, num_heavies, smiles, defer, only, props, plain):
    st = _Mol(mol, settings, num_heavies, smiles, props, plain)
    out: list[Fragmentation] = []
    seen: set = set()
    if only is not None:  # second pass: the deferred combinations the index needs
        for combo in only:
            if len(combo) == 1:  # side sizes come from the SMILES: no block tree needed
                _single_cut(st, pairs[combo[0]], out, seen)
            else:
                _multi_cut(st, [pairs[c] for c in combo], out, seen)
        return out, []
    tree = _Tree(mol, pairs, st.heavy)
    combos = (
        _plan_combinations(tree, len(pairs), settings, num_heavies)
        if tree.ok
        else _all_combinations(len(pairs), settings.max_cuts)
    )
    can_defer = (
        defer
        and tree.ok
        and settings.min_heavies_per_const_frag == 0
        and settings.min_heavies_total_const_frag == 0
    )
    if not can_defer:
        for combo in combos:
            if len(combo) == 1:
                side = tree.side_heavy[combo[0]] if tree.ok else None
                _single_cut(st, pairs[combo[0]], out, seen, side)
            else:
                _multi_cut(st, [pairs[c] for c in combo], out, seen)
        return out, None
    keys = BlockKeys(mol, pairs, tree, props)
    # Up-enumerated fragmentations (new stereocentres) have constants of the same graph, so
    # the stereo-free keys cover them and they may wait like any other. Only a molecule that
    # could exceed the up-enumeration limit (and so be skipped whole, as mmpdb skips it) has
    # the combinations that can up-enumerate built now.
    if _n_up_enumerations(len(st.candidates)) <= settings.max_up_enumerations:
        flagged: set[int] = set()
    else:
        flagged = _up_flagged_edges(mol, pairs, st.candidates)
    allow = settings.allow_variable
    # (combination code or 0 when built now, constant key, '*'->H key of a 1-cut constant or
    # -1): the index builds a deferred combination only if its key is shared or, for a 1-cut
    # constant, its H key is some molecule's (a possible hydrogen-replacement pair)
    deferred: list[tuple[int, int, int]] = []
    for combo in combos:
        if len(combo) == 1:
            e = combo[0]
            built = e in flagged and not single_no_new_centres(st, pairs[e])
            code = 0 if built else _encode(combo)
            side_heavy = tree.side_heavy[e]
            for s in (0, 1):
                if allow(side_heavy[1 - s], num_heavies):
                    key = keys.constant([keys.side[e][s]])
                    deferred.append((code, key, -1 if built else keys.hkey[e][s]))
            if built:
                _single_cut(st, pairs[e], out, seen, side_heavy)
            continue
        sides = []
        for e in combo:
            other = combo[0] if combo[0] != e else combo[1]
            sides.append(keys.side[e][1 - tree.side_of[e][other]])
        key = keys.constant(sides)
        atom_pairs = [pairs[c] for c in combo]
        if flagged.intersection(combo) and not no_new_centres(st, atom_pairs):
            deferred.append((0, key, -1))
            _multi_cut(st, atom_pairs, out, seen)
        else:
            deferred.append((_encode(combo), key, -1))
    return out, deferred


def fragment_chunk(
    items: list[tuple[int, str]], settings: FragmentSettings, defer: bool = False
) -> list[FragmentedRecord]:
    """Fragment a chunk of ``(index, smiles)`` items (the unit of work of the process pool).

    With ``defer`` the combinations are reduced to constant keys and not built; each record
    then carries ``deferred`` and ``h_key`` (see :data:`FragmentedRecord`), and the caller
    builds only those whose constant can pair (:func:`complete_chunk`).
    """
    RDLogger.DisableLog("rdApp.*")
    try:
        return [fragment_smiles(i, s, settings, defer=defer) for i, s in items]
    finally:
        RDLogger.EnableLog("rdApp.*")


def complete_chunk(
    items: list[tuple[int, str, list[int]]], settings: FragmentSettings
) -> list[tuple[int, list]]:
    """Build the deferred combinations ``(index, smiles, [codes])``: ``[(index, frags)]``."""
    RDLogger.DisableLog("rdApp.*")
    try:
        out = []
        for i, s, codes in items:
            rec = fragment_smiles(i, s, settings, only=[decode_combo(c) for c in codes])
            out.append((i, rec[5] if not rec[1] else []))
        return out
    finally:
        RDLogger.EnableLog("rdApp.*")
