"""Named counterions and solvents, used to say what the extra fragments of a record are."""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem

# name -> SMILES. Canonicalized once per process; a fragment is recognised when its canonical
# SMILES (charges kept) equals one of these.
COUNTERIONS: dict[str, str] = {
    "sodium": "[Na+]",
    "potassium": "[K+]",
    "lithium": "[Li+]",
    "calcium": "[Ca+2]",
    "magnesium": "[Mg+2]",
    "zinc": "[Zn+2]",
    "ammonium": "[NH4+]",
    "chloride": "[Cl-]",
    "bromide": "[Br-]",
    "iodide": "[I-]",
    "fluoride": "[F-]",
    "hydrogen chloride": "Cl",
    "hydrogen bromide": "Br",
    "hydrogen iodide": "I",
    "hydroxide": "[OH-]",
    "sulfuric acid": "O=S(=O)(O)O",
    "hydrogen sulfate": "O=S(=O)([O-])O",
    "sulfate": "O=S(=O)([O-])[O-]",
    "nitric acid": "O=[N+]([O-])O",
    "nitrate": "O=[N+]([O-])[O-]",
    "phosphoric acid": "O=P(O)(O)O",
    "perchlorate": "[O-][Cl+3]([O-])([O-])[O-]",
    "perchloric acid": "O=Cl(=O)(=O)O",
    "tetrafluoroborate": "F[B-](F)(F)F",
    "hexafluorophosphate": "F[P-](F)(F)(F)(F)F",
    "methanesulfonic acid": "CS(=O)(=O)O",
    "mesylate": "CS(=O)(=O)[O-]",
    "p-toluenesulfonic acid": "Cc1ccc(S(=O)(=O)O)cc1",
    "tosylate": "Cc1ccc(S(=O)(=O)[O-])cc1",
    "benzenesulfonic acid": "O=S(=O)(O)c1ccccc1",
    "trifluoroacetic acid": "O=C(O)C(F)(F)F",
    "trifluoroacetate": "O=C([O-])C(F)(F)F",
    "acetic acid": "CC(=O)O",
    "acetate": "CC(=O)[O-]",
    "formic acid": "O=CO",
    "formate": "O=C[O-]",
    "maleic acid": "O=C(O)/C=C\\C(=O)O",
    "fumaric acid": "O=C(O)/C=C/C(=O)O",
    "oxalic acid": "O=C(O)C(=O)O",
    "succinic acid": "O=C(O)CCC(=O)O",
    "citric acid": "O=C(O)CC(O)(CC(=O)O)C(=O)O",
    "tartaric acid": "O=C(O)C(O)C(O)C(=O)O",
    "L-tartaric acid": "O=C(O)[C@H](O)[C@@H](O)C(=O)O",
    "lactic acid": "CC(O)C(=O)O",
    "benzoic acid": "O=C(O)c1ccccc1",
    "tromethamine": "NC(CO)(CO)CO",
    "meglumine": "CNCC(O)C(O)C(O)C(O)CO",
}

SOLVENTS: dict[str, str] = {
    "water": "O",
    "methanol": "CO",
    "ethanol": "CCO",
    "isopropanol": "CC(C)O",
    "acetone": "CC(C)=O",
    "acetonitrile": "CC#N",
    "dimethyl sulfoxide": "CS(C)=O",
    "N,N-dimethylformamide": "CN(C)C=O",
    "dichloromethane": "ClCCl",
    "chloroform": "ClC(Cl)Cl",
    "diethyl ether": "CCOCC",
    "tetrahydrofuran": "C1CCOC1",
    "ethyl acetate": "CCOC(C)=O",
    "toluene": "Cc1ccccc1",
    "benzene": "c1ccccc1",
    "hexane": "CCCCCC",
    "1,4-dioxane": "C1COCCO1",
    "pyridine": "c1ccncc1",
    "N-methyl-2-pyrrolidone": "CN1CCCC1=O",
}


@lru_cache(maxsize=1)
def _lookup() -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for role, names in (("solvent", SOLVENTS), ("counterion", COUNTERIONS)):
        for name, smiles in names.items():
            mol = Chem.MolFromSmiles(smiles)
            if mol is not None:
                table[Chem.MolToSmiles(mol)] = (role, name)
    return table


def classify_fragment(canonical_smiles: str) -> tuple[str, str]:
    """Role and name of a fragment given its canonical SMILES.

    Returns
    -------
    tuple of str
        ``(role, name)`` with role ``'counterion'``, ``'solvent'`` or ``'component'`` (not a
        known counterion or solvent; then name is the SMILES itself).
    """
    return _lookup().get(canonical_smiles, ("component", canonical_smiles))
