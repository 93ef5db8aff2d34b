"""Build ``data/tricky_structures.tsv``, the hand-checked chemistry fixture.

Run from the repository root (needs ``chembl_structure_pipeline``, in the ``dev`` extra)::

    python tests/chemistry/build_fixture.py

For each structure it writes molaudit's parent (``expected_parent``) and chemistry checks
(``expected_checks``) and the ChEMBL structure pipeline's answer (``chembl_parent``:
``get_parent_mol(standardize_mol(mol))``, chembl_structure_pipeline 1.2.4), whether the two agree
(same InChIKey without isotopes) and the justification of the expected value: ChEMBL's answer, or
the reason molaudit differs (``REASONS``, required for every difference). The expected columns
were reviewed row by row when the fixture was made; rebuilding rewrites them from the current
code, so review the diff of the TSV before committing it.
"""

# ruff: noqa: E501 (the structure table keeps one record a line)
from __future__ import annotations

import csv
import sys
from pathlib import Path

PAM = "O=C(O)c1cc2ccccc2c(Cc2c(O)c(C(=O)O)cc3ccccc23)c1O"
STEARIC = "CCCCCCCCCCCCCCCCCC(=O)O"
DOCUSATE = "CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O"
CITRIC = "OC(=O)CC(O)(CC(=O)O)C(=O)O"
ATORVA = "CC(C)c1c(C(=O)Nc2ccccc2)c(-c2ccccc2)c(-c2ccc(F)cc2)n1CC[C@@H](O)C[C@@H](O)CC(=O)[O-]"
ROWS = [
# (name, category, smiles)
("pyrantel pamoate", "salt_large", "CN1CCCN=C1/C=C/c1cccs1." + PAM),
("oxantel pamoate", "salt_large", "CN1CCCN=C1/C=C/c1cccc(O)c1." + PAM),
("cycloguanil pamoate (2:1)", "salt_large", "CC1(C)N=C(N)N=C(N)N1c1ccc(Cl)cc1.CC1(C)N=C(N)N=C(N)N1c1ccc(Cl)cc1." + PAM),
("imipramine pamoate (2:1)", "salt_large", "CN(C)CCCN1c2ccccc2CCc2ccccc21.CN(C)CCCN1c2ccccc2CCc2ccccc21." + PAM),
("hydroxyzine pamoate", "salt_large", "OCCOCCN1CCN(C(c2ccccc2)c2ccc(Cl)cc2)CC1." + PAM),
("propranolol stearate", "salt_large", "CC(C)NCC(O)COc1cccc2ccccc12." + STEARIC),
("amantadine stearate", "salt_large", "NC12CC3CC(CC(C3)C1)C2." + STEARIC),
("lidocaine docusate", "salt_large", "CCN(CC)CC(=O)Nc1c(C)cccc1C." + DOCUSATE),
("docusate sodium", "salt_listed_drug", "CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)[O-].[Na+]"),
("docusate calcium (2:1)", "salt_listed_drug", "CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)[O-].CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)[O-].[Ca+2]"),
("propoxyphene napsylate", "salt_large", "CCC(=O)O[C@](Cc1ccccc1)(c1ccccc1)[C@H](C)CN(C)C.O=S(=O)(O)c1ccc2ccccc2c1"),
("amlodipine besylate", "salt", "CCOC(=O)C1=C(COCCN)NC(C)=C(C(=O)OC)C1c1ccccc1Cl.OS(=O)(=O)c1ccccc1"),
("imatinib mesylate", "salt", "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1.CS(=O)(=O)O"),
("clopidogrel bisulfate", "salt", "COC(=O)[C@H](c1ccccc1Cl)N1CCc2sccc2C1.OS(=O)(=O)O"),
("sumatriptan succinate", "salt", "CNS(=O)(=O)Cc1ccc2[nH]cc(CCN(C)C)c2c1.OC(=O)CCC(=O)O"),
("sildenafil citrate", "salt", "CCCc1nn(C)c2c(=O)[nH]c(-c3cc(S(=O)(=O)N4CCN(C)CC4)ccc3OCC)nc12." + CITRIC),
("tamoxifen citrate", "salt", "CC/C(=C(\\c1ccccc1)c1ccc(OCCN(C)C)cc1)c1ccccc1." + CITRIC),
("quetiapine fumarate (2:1)", "salt", "OCCOCCN1CCN(C2=Nc3ccccc3Sc3ccccc32)CC1.OCCOCCN1CCN(C2=Nc3ccccc3Sc3ccccc32)CC1.O=C(O)/C=C/C(=O)O"),
("metoprolol tartrate (2:1)", "salt", "COCCc1ccc(OCC(O)CNC(C)C)cc1.COCCc1ccc(OCC(O)CNC(C)C)cc1.O=C(O)[C@H](O)[C@@H](O)C(=O)O"),
("benzathine benzylpenicillin", "salt_large", "CC1(C)S[C@@H]2[C@H](NC(=O)Cc3ccccc3)C(=O)N2[C@H]1C(=O)O.CC1(C)S[C@@H]2[C@H](NC(=O)Cc3ccccc3)C(=O)N2[C@H]1C(=O)O.C(CNCc1ccccc1)NCc1ccccc1"),
("fluoxetine camsylate", "salt_large", "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1.CC1(C)C2CCC1(CS(=O)(=O)O)C(=O)C2"),
("choline salicylate", "salt_listed_drug", "C[N+](C)(C)CCO.O=C([O-])c1ccccc1O"),
("choline fenofibrate", "salt", "CC(C)(Oc1ccc(C(=O)c2ccc(Cl)cc2)cc1)C(=O)[O-].C[N+](C)(C)CCO"),
("naproxen sodium", "salt", "COc1ccc2cc([C@H](C)C(=O)[O-])ccc2c1.[Na+]"),
("diclofenac potassium", "salt", "O=C([O-])Cc1ccccc1Nc1c(Cl)cccc1Cl.[K+]"),
("atorvastatin calcium (2:1)", "salt", ATORVA + "." + ATORVA + ".[Ca+2]"),
("rosuvastatin calcium (2:1)", "salt", "CC(C)c1nc(N(C)S(C)(=O)=O)nc(-c2ccc(F)cc2)c1/C=C/[C@@H](O)C[C@@H](O)CC(=O)[O-].CC(C)c1nc(N(C)S(C)(=O)=O)nc(-c2ccc(F)cc2)c1/C=C/[C@@H](O)C[C@@H](O)CC(=O)[O-].[Ca+2]"),
("esomeprazole magnesium (2:1)", "salt", "COc1ccc2[n-]c([S@@](=O)Cc3ncc(C)c(OC)c3C)nc2c1.COc1ccc2[n-]c([S@@](=O)Cc3ncc(C)c(OC)c3C)nc2c1.[Mg+2]"),
("pantoprazole sodium sesquihydrate", "salt_solvate", "COc1ccnc(C[S+]([O-])c2nc3ccc(OC(F)F)cc3[n-]2)c1OC.[Na+].O"),
("levothyroxine sodium", "salt", "N[C@@H](Cc1cc(I)c(Oc2cc(I)c(O)c(I)c2)c(I)c1)C(=O)[O-].[Na+]"),
("metformin hydrochloride", "salt", "CN(C)C(=N)N=C(N)N.Cl"),
("sertraline hydrochloride", "salt", "CN[C@H]1CC[C@@H](c2ccc(Cl)c(Cl)c2)c2ccccc21.Cl"),
("fluoxetine hydrochloride", "salt", "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1.Cl"),
("(S)-nicotine hydrochloride", "salt", "CN1CCC[C@H]1c1cccnc1.Cl"),
("(R)-nicotine", "stereo", "CN1CCC[C@@H]1c1cccnc1"),
("ketorolac tromethamine", "salt", "OC(=O)C1CCn2c1ccc2C(=O)c1ccccc1.NC(CO)(CO)CO"),
("meglumine diatrizoate", "salt", "CC(=O)Nc1c(I)c(NC(C)=O)c(I)c(C(=O)O)c1I.CNC[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO"),
("ibuprofen lysine", "salt", "CC(C)Cc1ccc(C(C)C(=O)O)cc1.NCCCC[C@H](N)C(=O)O"),
("ibuprofen arginine", "salt", "CC(C)Cc1ccc(C(C)C(=O)O)cc1.N=C(N)NCCC[C@H](N)C(=O)O"),
("arginine hydrochloride", "salt_listed_drug", "N=C(N)NCCC[C@H](N)C(=O)O.Cl"),
("sodium acetate", "salt_listed_drug", "CC(=O)[O-].[Na+]"),
("sodium chloride", "inorganic", "[Na+].[Cl-]"),
("potassium gluconate", "salt_listed_drug", "OC[C@@H](O)[C@@H](O)[C@H](O)[C@@H](O)C(=O)[O-].[K+]"),
("disodium edetate", "salt_listed_drug", "O=C([O-])CN(CCN(CC(=O)O)CC(=O)[O-])CC(=O)O.[Na+].[Na+]"),
("magnesium sulfate", "inorganic", "[Mg+2].O=S(=O)([O-])[O-]"),
("sodium benzoate", "salt_listed_drug", "O=C([O-])c1ccccc1.[Na+]"),
("tetrabutylammonium bromide", "salt", "CCCC[N+](CCCC)(CCCC)CCCC.[Br-]"),
("sodium lauryl sulfate", "salt_listed_drug", "CCCCCCCCCCCCOS(=O)(=O)[O-].[Na+]"),
("lithium carbonate", "inorganic", "[Li+].[Li+].O=C([O-])[O-]"),
("dextroamphetamine saccharate", "salt", "C[C@H](N)Cc1ccccc1.O=C(O)[C@@H](O)[C@@H](O)[C@H](O)[C@@H](O)C(=O)O"),
("methenamine hippurate", "salt", "C1N2CN3CN1CN(C2)C3.O=C(O)CNC(=O)c1ccccc1"),
("fosfomycin trometamol", "salt", "C[C@@H]1O[C@@H]1P(=O)(O)O.NC(CO)(CO)CO"),
("cysteamine bitartrate", "salt", "NCCS.O=C(O)C(O)C(O)C(=O)O"),
("choline theophyllinate", "salt", "C[N+](C)(C)CCO.Cn1c(=O)c2[n-]cnc2n(C)c1=O"),
("piperazine citrate (3:2)", "salt_listed_drug", "C1CNCCN1.C1CNCCN1.C1CNCCN1." + CITRIC + "." + CITRIC),
("ethanolamine oleate", "salt_listed_drug", "CCCCCCCC/C=C\\CCCCCCCC(=O)O.NCCO"),
("butamben picrate (2:1)", "salt", "CCCCOC(=O)c1ccc(N)cc1.CCCCOC(=O)c1ccc(N)cc1.O=[N+]([O-])c1cc([N+](=O)[O-])c(O)c([N+](=O)[O-])c1"),
("ranitidine hydrochloride", "salt", "CN/C(=C\\[N+](=O)[O-])NCCSCc1ccc(CN(C)C)o1.Cl"),
("verapamil hydrochloride", "salt", "COc1ccc(CCN(C)CCCC(C#N)(C(C)C)c2ccc(OC)c(OC)c2)cc1OC.Cl"),
("amine hydrobromide", "salt", "CC(N)Cc1ccc(O)cc1.Br"),
("ammonium salt of an acid", "salt", "O=C([O-])c1ccc(Cl)cc1Cl.[NH4+]"),
("diphenhydramine theoclate", "salt", "CN(C)CCOC(c1ccccc1)c1ccccc1.Cn1c(=O)c2[nH]c(Cl)nc2n(C)c1=O"),
("tetrafluoroborate salt", "salt", "C[n+]1ccccc1.F[B-](F)(F)F"),
("hexafluorophosphate salt", "salt", "C[n+]1ccccc1.F[P-](F)(F)(F)(F)F"),
("triflate salt", "salt", "CC[N+](C)(C)C.O=S(=O)([O-])C(F)(F)F"),
("perchlorate salt (charge-separated)", "salt", "Cc1cc(C)[o+]c(C)c1.[O-][Cl+3]([O-])([O-])[O-]"),
("nitrate salt", "salt", "NC(=N)c1ccccc1.O=[N+]([O-])O"),
("trifluoroacetate salt", "salt", "NCCc1c[nH]c2ccccc12.O=C(O)C(F)(F)F"),
("tosylate salt", "salt", "CNC(=O)c1cc(Oc2ccc(NC(=O)Nc3ccc(Cl)c(C(F)(F)F)c3)cc2)ccn1.Cc1ccc(S(=O)(=O)O)cc1"),
("maleate salt", "salt", "CN1CCN(C(=O)OC2c3nccnc3C(=O)N2c2ccc(Cl)cn2)CC1.O=C(O)/C=C\\C(=O)O"),
("oxalate salt", "salt", "CN(C)CC1CCCCC1(O)c1cccc(OC)c1.O=C(O)C(=O)O"),
("phosphate salt", "salt", "CCC(CC)O[C@@H]1C=C(C(=O)OCC)C[C@H](N)[C@H]1NC(C)=O.OP(=O)(O)O"),
("hydrochloride dihydrate", "salt_solvate", "Cc1nccn1CC1CCc2c(c3ccccc3n2C)C1=O.Cl.O.O"),
# solvates
("paracetamol hydrate", "solvate", "CC(=O)Nc1ccc(O)cc1.O"),
("ampicillin trihydrate", "solvate", "CC1(C)S[C@@H]2[C@H](NC(=O)[C@H](N)c3ccccc3)C(=O)N2[C@H]1C(=O)O.O.O.O"),
("caffeine hydrate", "solvate", "Cn1c(=O)c2c(ncn2C)n(C)c1=O.O"),
("ethanol solvate", "solvate", "CC(=O)Oc1ccccc1C(=O)O.CCO"),
("DMSO solvate", "solvate", "O=C(O)c1ccccc1O.CS(C)=O"),
("dichloromethane solvate", "solvate", "Clc1ccc(C2(c3ccccc3)OCCO2)cc1.ClCCl"),
("isopropanol solvate", "solvate", "CC(C)Cc1ccc(C(C)C(=O)O)cc1.CC(C)O"),
("acetone solvate", "solvate", "OC(c1ccccc1)(c1ccccc1)C1CCNCC1.CC(C)=O"),
("ethyl acetate solvate", "solvate", "Oc1ccc(cc1)C(c1ccccc1)c1ccccc1.CCOC(C)=O"),
("methanol solvate", "solvate", "O=C1NC(=O)C(c2ccccc2)(c2ccccc2)N1.CO"),
("DMF solvate", "solvate", "CC(CCc1ccccc1)NC(=O)COC(=O)c1ccc(F)cc1.CN(C)C=O"),
("THF solvate", "solvate", "O=C(Nc1ccccc1)c1ccccc1O.C1CCOC1"),
("acetonitrile solvate", "solvate", "O=C(O)c1cc(O)ccc1O.CC#N"),
("toluene solvate", "solvate", "O=C1c2ccccc2C(=O)N1CCCl.Cc1ccccc1"),
("1,4-dioxane solvate", "solvate", "NS(=O)(=O)c1ccc(N)cc1.C1COCCO1"),
("chloroform solvate", "solvate", "CC12CCC3c4ccc(O)cc4CCC3C1CCC2=O.ClC(Cl)Cl"),
("heavy water solvate", "solvate", "CC(=O)Nc1ccc(O)cc1.[2H]O[2H]"),
("only solvents", "solvate", "O.CCO"),
("DMSO alone", "solvate", "CS(C)=O"),
("water alone", "solvate", "O"),
# metals
("cisplatin", "metal", "N[Pt](N)(Cl)Cl"),
("cisplatin drawn as ions", "metal", "N.N.[Cl-].[Cl-].[Pt+2]"),
("carboplatin", "metal", "N[Pt]1(N)OC(=O)C2(CCC2)C(=O)O1"),
("oxaliplatin", "metal", "O=C1O[Pt]2(OC1=O)N[C@@H]1CCCC[C@H]1N2"),
("gadoterate meglumine", "metal", "[Gd+3].O=C([O-])CN1CCN(CC(=O)[O-])CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1.C[NH2+]C[C@H](O)[C@@H](O)[C@H](O)[C@H](O)CO"),
("gadoterate (Gd-DOTA) drawn as ions", "metal", "[Gd+3].O=C([O-])CN1CCN(CC(=O)O)CCN(CC(=O)[O-])CCN(CC(=O)[O-])CC1"),
("auranofin (Au-P as P+/Au-)", "metal", "CC[P+](CC)(CC)[Au-]S[C@@H]1O[C@H](COC(C)=O)[C@@H](OC(C)=O)[C@H](OC(C)=O)[C@H]1OC(C)=O"),
("triethylphosphine gold chloride (ions)", "metal", "CC[P+](CC)CC.[Au-]Cl"),
("ferrocene drawn as ions", "metal", "[Fe+2].c1cc[cH-]c1.c1cc[cH-]c1"),
("ferrocene neutral Fe with Cp anions", "metal", "[Fe].c1cc[cH-]c1.c1cc[cH-]c1"),
("methylmercury chloride", "metal", "C[Hg]Cl"),
("thimerosal", "metal", "CC[Hg]Sc1ccccc1C(=O)[O-].[Na+]"),
("silver sulfadiazine", "metal_listed", "Nc1ccc(S(=O)(=O)[N-]c2ncccn2)cc1.[Ag+]"),
("zinc pyrithione (ions)", "metal_listed", "[O-][n+]1ccccc1[S-].[O-][n+]1ccccc1[S-].[Zn+2]"),
("bismuth subsalicylate (ions)", "metal_listed", "O=C([O-])c1ccccc1O.[Bi+3].[OH-].[OH-]"),
("sodium ibuprofen drawn covalent", "metal_ionic", "CC(C)Cc1ccc(C(C)C(=O)O[Na])cc1"),
("calcium benzoate drawn covalent", "metal_ionic", "O=C(O[Ca]OC(=O)c1ccccc1)c1ccccc1"),
("potassium phenoxide drawn covalent", "metal_ionic", "[K]Oc1ccc(Cl)cc1"),
("copper(II) complex of glycine", "metal", "NCC(=O)O[Cu]OC(=O)CN"),
("tin organometallic (tributyltin chloride)", "metal", "CCCC[Sn](Cl)(CCCC)CCCC"),
("sodium cyclopentadienide", "carbanion", "[Na+].[cH-]1cccc1"),
("cyclopentadienide", "carbanion", "[cH-]1cccc1"),
# zwitterions and charges
("glycine zwitterion", "zwitterion", "[NH3+]CC(=O)[O-]"),
("betaine", "zwitterion", "C[N+](C)(C)CC(=O)[O-]"),
("cetirizine zwitterion", "zwitterion", "[O-]C(=O)COCC[NH+]1CCN(C(c2ccccc2)c2ccc(Cl)cc2)CC1"),
("levofloxacin", "zwitterion", "C[C@H]1COc2c(N3CCN(C)CC3)c(F)cc3c(=O)c(C(=O)O)cn1c23"),
("L-cysteine hydrochloride", "salt", "N[C@@H](CS)C(=O)O.Cl"),
("monosodium glutamate", "salt_listed_drug", "N[C@@H](CCC(=O)[O-])C(=O)O.[Na+]"),
("ceftaroline-like zwitterion with sulfate", "zwitterion", "CO/N=C(\\C(=O)N[C@@H]1C(=O)N2C(C(=O)[O-])=C(C[n+]3cccc4c3CCC4)CS[C@H]12)c1csc(N)n1.O=S(=O)(O)O"),
("quaternary ammonium chloride", "salt", "C[N+](C)(C)Cc1ccccc1.[Cl-]"),
("protonated amine with chloride", "salt", "C[NH+](C)CCC=C1c2ccccc2CCc2ccccc21.[Cl-]"),
("sulfobetaine", "zwitterion", "C[N+](C)(CCCS(=O)(=O)[O-])CCCCCCCCCCCC"),
# nitro, N-oxide, sulfoxide
("nitrobenzene (charge-separated)", "nitro", "O=[N+]([O-])c1ccccc1"),
("metronidazole", "nitro", "Cc1ncc([N+](=O)[O-])n1CCO"),
("pyridine N-oxide", "noxide", "[O-][n+]1ccccc1"),
("minoxidil", "noxide", "Nc1cc(N2CCCCC2)nc(N)[n+]1[O-]"),
("lauramine oxide", "noxide", "CCCCCCCCCCCC[N+](C)(C)[O-]"),
("chlordiazepoxide", "noxide", "CNC1=Nc2ccc(Cl)cc2C(c2ccccc2)=[N+]([O-])C1"),
("omeprazole (S=O)", "sulfoxide", "COc1ccc2[nH]c(S(=O)Cc3ncc(C)c(OC)c3C)nc2c1"),
("omeprazole (charge-separated)", "sulfoxide", "COc1ccc2[nH]c([S+]([O-])Cc3ncc(C)c(OC)c3C)nc2c1"),
("diethyl sulfoxide charge-separated", "sulfoxide", "CC[S+]([O-])CC"),
("(R)-modafinil", "sulfoxide", "NC(=O)C[S@@](=O)C(c1ccccc1)c1ccccc1"),
("sulindac charge-separated", "sulfoxide", "CC1=C(CC(=O)O)c2cc(F)ccc2/C1=C\\c1ccc([S+](C)[O-])cc1"),
("dimethyl sulfone", "sulfoxide", "CS(C)(=O)=O"),
("tert-butanesulfinamide", "sulfoxide", "CC(C)(C)[S@](N)=O"),
("zidovudine (azide)", "azide", "Cc1cn([C@H]2C[C@H](N=[N+]=[N-])[C@@H](CO)O2)c(=O)[nH]c1=O"),
("butyl azide", "azide", "CCCCN=[N+]=[N-]"),
("diazomethane derivative (ethyl diazoacetate)", "azide", "CCOC(=O)C=[N+]=[N-]"),
# tautomers / imidic acids
("acetimidic acid", "tautomer", "CC(O)=N"),
("N-methylacetimidic acid", "tautomer", "CC(O)=NC"),
("benzimidic acid", "tautomer", "OC(=N)c1ccccc1"),
("2-hydroxypyridine", "tautomer", "Oc1ccccn1"),
("2-pyridone", "tautomer", "O=c1cccc[nH]1"),
("acetone enol", "tautomer", "C=C(C)O"),
("allopurinol", "tautomer", "O=c1[nH]cnc2[nH]ncc12"),
("uracil lactim form", "tautomer", "Oc1ccnc(O)n1"),
# mixtures
("amoxicillin + clavulanic acid", "mixture", "CC1(C)S[C@@H]2[C@H](NC(=O)[C@H](N)c3ccc(O)cc3)C(=O)N2[C@H]1C(=O)O.O=C(O)[C@H]1/C(=C/CO)O[C@@H]2CC(=O)N21"),
("sulfamethoxazole + trimethoprim", "mixture", "Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1.COc1cc(Cc2cnc(N)nc2N)cc(OC)c1OC"),
("paracetamol + caffeine", "mixture", "CC(=O)Nc1ccc(O)cc1.Cn1c(=O)c2c(ncn2C)n(C)c1=O"),
("two drugs + HCl", "mixture", "CN(C)CCCN1c2ccccc2CCc2ccccc21.CC(=O)Nc1ccc(O)cc1.Cl"),
("racemate drawn as two enantiomers", "mixture", "C[C@H](N)Cc1ccccc1.C[C@@H](N)Cc1ccccc1"),
("two alkyl aromatics", "mixture", "CCCCCCc1ccccc1.CCCCCCCCc1ccccn1"),
# isotopes
("deutetrabenazine", "isotope", "[2H]C([2H])([2H])Oc1cc2c(cc1OC([2H])([2H])[2H])C1CC(=O)C(CC(C)C)CN1CC2"),
("13C-methyl toluene", "isotope", "[13CH3]c1ccccc1"),
("iobenguane (123I) sulfate (2:1)", "isotope", "N=C(N)NCc1cccc([123I])c1.N=C(N)NCc1cccc([123I])c1.O=S(=O)(O)O"),
("fludeoxyglucose (18F)", "isotope", "OC[C@H]1OC(O)[C@H]([18F])[C@@H](O)[C@@H]1O"),
("tritiated water alone", "isotope", "[3H]O[3H]"),
("14C-urea", "isotope", "N[14C](N)=O"),
("deuterated chloroform solvate", "isotope", "CC(=O)Nc1ccc(O)cc1.[2H]C(Cl)(Cl)Cl"),
# cages and stereo
("memantine", "cage", "CC12CC3CC(C)(C1)CC(N)(C3)C2"),
("memantine hydrochloride", "cage", "CC12CC3CC(C)(C1)CC(N)(C3)C2.Cl"),
("amantadine", "cage", "NC12CC3CC(CC(C3)C1)C2"),
("rimantadine", "cage", "CC(N)C12CC3CC(CC(C3)C1)C2"),
("3-amino-1-adamantanol", "cage", "NC12CC3CC(CC(O)(C3)C1)C2"),
("1,3-adamantanediol", "cage", "OC12CC3CC(CC(O)(C3)C1)C2"),
("2-adamantanone", "cage", "O=C1C2CC3CC(C2)CC1C3"),
("vildagliptin", "cage", "N#C[C@@H]1CCCN1C(=O)CNC12CC3CC(CC(O)(C3)C1)C2"),
("bicyclo[2.2.2]octane-1,4-diol", "cage", "OC12CCC(O)(CC1)CC2"),
("norbornane", "cage", "C1CC2CCC1C2"),
("DABCO", "cage", "C1CN2CCN1CC2"),
("methenamine", "cage", "C1N2CN3CN1CN(C2)C3"),
("camphor (chiral cage)", "cage", "CC1(C)C2CCC1(C)C(=O)C2"),
("tropine", "cage", "CN1C2CCC1CC(O)C2"),
("1,4-dimethylcyclohexane", "stereo", "CC1CCC(C)CC1"),
("2-butanol", "stereo", "CCC(C)O"),
("3-methylpentane", "stereo", "CCC(C)CC"),
("acetamidine", "stereo", "CC(=N)N"),
("benzamidine", "stereo", "N=C(N)c1ccccc1"),
("cimetidine", "stereo", "CN=C(NC#N)NCCSCc1nc[nH]c1C"),
("pentamidine", "stereo", "N=C(N)c1ccc(OCCCCCOc2ccc(C(=N)N)cc2)cc1"),
("ethanimine (C=NH)", "stereo", "CC=N"),
("acetaldoxime", "stereo", "CC=NO"),
("2-butene undefined", "stereo", "CC=CC"),
("(E)-2-butene", "stereo", "C/C=C/C"),
("benzaldehyde hydrazone", "stereo", "NN=Cc1ccccc1"),
]


#: Why molaudit's expected value differs from ChEMBL's (every difference must have one).
ALL_LISTED = (
    "every fragment is on the counterion list: ChEMBL keeps them all; molaudit keeps the one "
    "organic fragment once the inorganic ions go, so the salt meets its free acid/base at the "
    "salt dedup level"
)
REASONS: dict[str, str] = {
    "arginine hydrochloride": ALL_LISTED,
    "sodium acetate": ALL_LISTED,
    "potassium gluconate": ALL_LISTED,
    "disodium edetate": ALL_LISTED,
    "sodium benzoate": ALL_LISTED,
    "sodium lauryl sulfate": ALL_LISTED,
    "monosodium glutamate": ALL_LISTED,
    "bismuth subsalicylate (ions)": ALL_LISTED,
    "lidocaine docusate": "docusate is not on ChEMBL's list (molaudit addition): ChEMBL keeps "
    "a two-component mixture",
    "perchlorate salt (charge-separated)": "molaudit also lists the charge-separated drawing of "
    "perchlorate; ChEMBL's pattern matches O=Cl(=O)(=O)O only",
    "DMSO solvate": "ChEMBL's standardizer charge-separates DMSO, after which its own solvent "
    "pattern CS(=O)C no longer matches, and it strips the listed salicylate: DMSO becomes the "
    "parent. molaudit removes solvents first",
    "acetonitrile solvate": "acetonitrile is not on ChEMBL's solvent list; ChEMBL strips the "
    "listed gentisic acid and returns acetonitrile. molaudit lists it as a solvent",
    "DMF solvate": "DMF is not on ChEMBL's solvent list (molaudit addition)",
    "THF solvate": "THF is not on ChEMBL's solvent list (molaudit addition)",
    "toluene solvate": "toluene is not on ChEMBL's solvent list (molaudit addition)",
    "1,4-dioxane solvate": "1,4-dioxane is not on ChEMBL's solvent list (molaudit addition)",
    "ferrocene neutral Fe with Cp anions": "ChEMBL's uncharger leaves c1cccc1, which does not "
    "parse; molaudit keeps a metal complex's charges as drawn",
    "sodium cyclopentadienide": "ChEMBL's uncharger leaves c1cccc1, which does not parse; "
    "molaudit neutralizes the Kekule form to cyclopentadiene (as ChargeParent does)",
    "zinc pyrithione (ions)": "same compound, other tautomer/charge form: molaudit's cleanup "
    "recombines the N-oxide/thiolate pair to 1-hydroxypyridine-2-thione; ChEMBL keeps "
    "2-mercaptopyridine N-oxide",
    "calcium benzoate drawn covalent": "Ca-O bonds are ionic: molaudit breaks alkaline-earth "
    "metal bonds to O/N/S/halogen (ChEMBL only Li/Na/K), then strips calcium",
}

#: What the expected checks of a category mean (the justification of the checks column).
CATEGORY_NOTES: dict[str, str] = {
    "salt_large": "counterion larger than the drug: the parent comes from the counterion list, "
    "not from fragment size; salt names the counterion",
    "salt": "listed counterion(s) stripped and named by salt; copies of one ion counted once",
    "salt_listed_drug": "every fragment is listed (see the parent rule in fragments.py)",
    "salt_solvate": "counterion and solvent both stripped and named",
    "solvate": "listed solvent removed and named by solvent (a record of solvents only is kept)",
    "inorganic": "inorganic salt kept whole: nothing else remains",
    "metal": "metal complex or organometallic kept whole (not reduced to a ligand), flagged "
    "organometallic; charges kept as drawn",
    "metal_listed": "Ag, Zn, Bi are listed counterions (ChEMBL salts.smi) and are stripped",
    "metal_ionic": "alkali/alkaline-earth metal bonds to O/N/S/halogen are ionic: broken, then "
    "the metal ion is stripped; organometallic notes the drawn bond",
    "carbanion": "aromatic carbanion neutralized on the Kekule form (cyclopentadiene), as "
    "rdMolStandardize.ChargeParent does; std_smiles parses",
    "zwitterion": "zwitterions neutralized where RDKit's Uncharger can; quaternary ones stay "
    "zwitterions",
    "nitro": "nitro kept charge-separated (the RDKit/InChI convention)",
    "noxide": "N-oxides kept charge-separated (the convention); no zwitterion flag for adjacent "
    "+/- pairs",
    "sulfoxide": "sulfoxides/sulfinamides as S=O (not charge-separated), so TPSA, QED and Brenk "
    "see the group as drawn; a sulfoxide S is a stereocentre",
    "azide": "no E/Z flag on the N=N of an azide or the C=N of a diazo group",
    "tautomer": "acyclic imidic acids normalized to amides (ChEMBL's rule); aromatic lactims are "
    "left to the tautomer key",
    "mixture": "two or more different components, none listed: kept whole, flagged mixture with "
    "the components listed",
    "isotope": "isotopes kept in the parent (a deuterated drug is another compound); ChEMBL's "
    "parent drops them, so agreement is compared without isotopes",
    "cage": "bridgeheads whose configuration the cage fixes are not stereocentres (3D mirror "
    "test); a chiral cage (camphor) and real centres outside the cage stay flagged",
    "stereo": "undefined stereo flagged only on real stereo units; no E/Z on amidines, "
    "guanidines, C=NH; oximes and hydrazones are real E/Z",
}

#: The chemistry checks the fixture pins down exactly (alerts and the rest are tested elsewhere).
CHEM_CHECKS = (
    "salt", "solvent", "mixture", "organometallic", "inorganic", "isotopes",
    "undefined_stereocenter", "undefined_double_bond_stereo", "zwitterion", "net_charge",
)  # fmt: skip

FIXTURE = Path(__file__).parent / "data" / "tricky_structures.tsv"
COLUMNS = (
    "name", "category", "smiles", "expected_parent", "expected_checks", "chembl_parent",
    "chembl_agrees", "justification",
)  # fmt: skip


def chembl_parent(smiles: str) -> str:
    """ChEMBL structure pipeline's parent: ``get_parent_mol(standardize_mol(mol))``."""
    from chembl_structure_pipeline import get_parent_mol, standardize_mol
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles)
    parent, _exclude = get_parent_mol(standardize_mol(mol))
    return Chem.MolToSmiles(parent)


def same_without_isotopes(a: str, b: str) -> bool:
    """Same standard InChIKey once isotope labels are removed (unparsable SMILES: False)."""
    from rdkit import Chem

    if a == b:  # also covers structures InChI cannot take (dative bonds)
        return Chem.MolFromSmiles(a) is not None
    keys = []
    for smiles in (a, b):
        mol = Chem.MolFromSmiles(smiles)
        if mol is None:
            return False
        for atom in mol.GetAtoms():
            atom.SetIsotope(0)
        keys.append(Chem.MolToInchiKey(mol))
    return keys[0] == keys[1] != ""


def main() -> int:
    from rdkit import RDLogger

    from molaudit import AuditOptions
    from molaudit.molecule.pipeline import audit_record, rdkit_log_capture

    RDLogger.DisableLog("rdApp.*")
    rows = []
    for name, category, smiles in ROWS:
        with rdkit_log_capture():
            record, _fp = audit_record(smiles, "smiles", AuditOptions())
        ours = record["std_smiles"]
        theirs = chembl_parent(smiles)
        agrees = same_without_isotopes(ours, theirs)
        if not agrees and name not in REASONS:
            raise SystemExit(f"{name}: differs from ChEMBL ({ours} vs {theirs}); add a reason")
        why = "ChEMBL pipeline gives the same parent" if agrees else REASONS[name]
        checks = [c for c in record["checks"].split(";") if c in CHEM_CHECKS]
        rows.append(
            {
                "name": name,
                "category": category,
                "smiles": smiles,
                "expected_parent": ours,
                "expected_checks": ";".join(checks),
                "chembl_parent": theirs,
                "chembl_agrees": "yes" if agrees else "no",
                "justification": f"parent: {why}. checks: {CATEGORY_NOTES[category]}",
            }
        )
    unused = set(REASONS) - {r["name"] for r in rows if r["chembl_agrees"] == "no"}
    if unused:
        raise SystemExit(f"reasons for structures that agree with ChEMBL: {sorted(unused)}")
    with FIXTURE.open("w", newline="") as fh:
        fh.write(
            "# Hand-checked chemistry fixture; made by: python tests/chemistry/build_fixture.py\n"
            "# chembl_parent: chembl_structure_pipeline 1.2.4 get_parent_mol(standardize_mol(m))\n"
        )
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    n_agree = sum(r["chembl_agrees"] == "yes" for r in rows)
    print(f"{len(rows)} structures, {n_agree} agree with ChEMBL, written to {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
