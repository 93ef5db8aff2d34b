"""mmpdb 3.1 fragmentation settings: the cut SMARTS and every size limit, validated once."""

from __future__ import annotations

from dataclasses import dataclass

from rdkit import Chem

__all__ = ["DEFAULT_CUT_SMARTS", "ROTATABLE_SMARTS", "FragmentSettings"]

#: mmpdb 3.1 default cut SMARTS (alias ``default``).
DEFAULT_CUT_SMARTS = "[#6+0;!$(*=,#[!#6])]!@!=!#[!#0;!#1;!$([CH2]);!$([CH3][CH2])]"
#: mmpdb 3.1 rotatable-bond SMARTS used by the ``max_rotatable_bonds`` filter.
ROTATABLE_SMARTS = "[!$([NH]!@C(=O))&!D1&!$(*#*)]-&!@[!$([NH]!@C(=O))&!D1&!$(*#*)]"


@dataclass(frozen=True)
class FragmentSettings:
    """Fragmentation settings (mmpdb ``fragment`` options plus the index's variable-size limits).

    The variable-size limits belong to ``mmpdb index``; they are applied here, before any SMILES
    is written, because a fragmentation the index would drop need not be built at all.

    Parameters
    ----------
    cut_smarts : str
        Two-atom SMARTS of the bonds to cut.
    max_cuts : int
        Largest number of bonds cut at once (1, 2 or 3).
    max_heavies : int or None
        Skip molecules with more heavy atoms (after salt stripping).
    max_rotatable_bonds : int or None
        Skip molecules with more matches of ``rotatable_smarts``.
    rotatable_smarts : str
        Two-atom SMARTS counted by the rotatable-bond filter.
    strip_salts : bool
        Remove counter-ions with RDKit's default ``SaltRemover`` first (mmpdb's default);
        a molecule that still has several fragments is skipped ("multiple fragments").
    min_variable_heavies, max_variable_heavies : int or None
        Heavy-atom limits of the variable part.
    min_variable_ratio, max_variable_ratio : float or None
        Limits of variable heavies / molecule heavies (mmpdb counts the molecule's heavy atoms
        before salt stripping).
    min_heavies_per_const_frag, min_heavies_total_const_frag : int
        Smallest constant pieces allowed (mmpdb ``fragment`` options, 0 by default).
    max_up_enumerations : int
        Chirality up-enumerations allowed per fragmentation before the molecule is skipped.
    """

    cut_smarts: str = DEFAULT_CUT_SMARTS
    max_cuts: int = 3
    max_heavies: int | None = 100
    max_rotatable_bonds: int | None = 10
    rotatable_smarts: str = ROTATABLE_SMARTS
    strip_salts: bool = True
    min_variable_heavies: int | None = None
    max_variable_heavies: int | None = 10
    min_variable_ratio: float | None = None
    max_variable_ratio: float | None = None
    min_heavies_per_const_frag: int = 0
    min_heavies_total_const_frag: int = 0
    max_up_enumerations: int = 1000

    def __post_init__(self) -> None:
        if self.max_cuts not in (1, 2, 3):
            raise ValueError(f"max_cuts must be 1, 2 or 3, got {self.max_cuts!r}")
        for name in ("cut_smarts", "rotatable_smarts"):
            patt = Chem.MolFromSmarts(getattr(self, name))
            if patt is None or patt.GetNumAtoms() != 2 or patt.GetNumBonds() != 1:
                raise ValueError(
                    f"{name} must be a SMARTS of two atoms joined by one bond, "
                    f"got {getattr(self, name)!r}"
                )
        for name in (
            "max_heavies",
            "max_rotatable_bonds",
            "min_variable_heavies",
            "max_variable_heavies",
        ):
            value = getattr(self, name)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                raise ValueError(f"{name} must be an integer >= 0 or None, got {value!r}")
        for name in ("min_variable_ratio", "max_variable_ratio"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int | float) or value < 0):
                raise ValueError(f"{name} must be a number >= 0 or None, got {value!r}")
        for name in (
            "min_heavies_per_const_frag",
            "min_heavies_total_const_frag",
            "max_up_enumerations",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0, got {value!r}")

    def allow_variable(self, variable_heavies: int, molecule_heavies: int) -> bool:
        """mmpdb index's fragment filter: may a variable part of this size be indexed?"""
        if self.min_variable_heavies is not None and variable_heavies < self.min_variable_heavies:
            return False
        if self.max_variable_heavies is not None and variable_heavies > self.max_variable_heavies:
            return False
        if molecule_heavies > 0:
            ratio = variable_heavies / molecule_heavies
            if self.min_variable_ratio is not None and ratio < self.min_variable_ratio:
                return False
            if self.max_variable_ratio is not None and ratio > self.max_variable_ratio:
                return False
        return True
