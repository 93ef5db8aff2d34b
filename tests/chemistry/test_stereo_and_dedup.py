"""Stereo checks without noise, the series rule, and cumulative dedup levels."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import rdMolHash

import molaudit
from molaudit import AuditOptions
from molaudit.analytics.dedup import LEVELS
from molaudit.molecule.checks import CHECKS, stereo_checks


def _audit(smiles, **kw) -> molaudit.Batch:
    return molaudit.audit(smiles, n_jobs=1, cache=False, progress=False, **kw)


def _stereo(smiles: str) -> dict[str, str]:
    fired: dict[str, str] = {}
    stereo_checks(Chem.MolFromSmiles(smiles), fired)
    return fired


@pytest.mark.parametrize(
    ("smiles", "why"),
    [
        ("CC12CC3CC(C)(C1)CC(N)(C3)C2", "memantine: achiral, one stereoisomer"),
        ("NC12CC3CC(CC(O)(C3)C1)C2", "1,3-disubstituted adamantane: mirror plane"),
        ("OC12CCC(O)(CC1)CC2", "bicyclo[2.2.2]octane-1,4-diol: bridgeheads fixed, achiral"),
        ("CCN=[N+]=[N-]", "azide N=N has no E/Z"),
        ("CCOC(=O)C=[N+]=[N-]", "diazo C=N has no E/Z (linear C=N=N)"),
        ("CC(=N)N", "amidine C=N: tautomeric, E/Z not a property of the compound"),
        ("CN=C(NC#N)NCCSCc1nc[nH]c1C", "cimetidine guanidine C=N"),
        ("CC=N", "C=NH imine: fast N inversion/tautomerism"),
        ("CCCCC(CC)COC(=O)CC(C(=O)OCC(CC)CCCC)S(=O)(=O)O.CCN(CC)CC(=O)Nc1c(C)cccc1C",
         "lidocaine docusate: the docusate's undefined centre is the counterion's"),
    ],
)
def test_no_stereo_flag_where_there_is_no_stereo(smiles, why):
    assert _stereo(smiles) == {}, why


@pytest.mark.parametrize(
    ("smiles", "code", "count", "why"),
    [
        ("CC1(C)C2CCC1(C)C(=O)C2", "undefined_stereocenter", "2 of 2", "camphor is chiral"),
        ("CC1CCC(C)CC1", "undefined_stereocenter", "2 of 2", "cis/trans ring isomers"),
        ("CC(N)C12CC3CC(CC(C3)C1)C2", "undefined_stereocenter", "1 of 1", "rimantadine CH(N)"),
        ("CC=NO", "undefined_double_bond_stereo", "1 of 1", "oxime E/Z isomers are stable"),
        ("CC=CC", "undefined_double_bond_stereo", "1 of 1", "2-butene"),
    ],
)
def test_real_undefined_stereo_is_flagged_as_information(smiles, code, count, why):
    fired = _stereo(smiles)
    assert count in fired[code], why
    assert CHECKS[code].severity == "info"


def test_series_rule_warns_only_where_the_scaffold_defines_stereo(quiet):
    smiles = [
        "C[C@H](N)c1ccccc1",  # 0 benzene scaffold, defined
        "CC(N)c1ccccc1",  # 1 same scaffold, undefined: the series lost it -> warning
        "CC(O)C1CCNCC1",  # 2 piperidine scaffold, nobody defines stereo -> information
        "CC(N)CCO",  # 3 acyclic (empty scaffold): never grouped -> information
    ]
    series = _audit(smiles).table
    assert list(series["status"]) == ["ok", "warning", "ok", "ok"]
    assert "stereo_undefined_in_series" in series.loc[1, "checks"]
    assert "define stereo" in series.loc[1, "check_messages"]
    assert series.loc[1, "score"] == 100 - 2 - 10  # info + warning, each once
    info = _audit(smiles, options=AuditOptions(undefined_stereo="info")).table
    assert set(info["status"]) == {"ok"}
    warn = _audit(smiles, options=AuditOptions(undefined_stereo="warning")).table
    assert list(warn["status"]) == ["ok", "warning", "warning", "warning"]
    with pytest.raises(ValueError, match="undefined_stereo must be 'series', 'info' or"):
        AuditOptions(undefined_stereo="loud")


NICOTINE_S_HCL = "CN1CCC[C@H]1c1cccnc1.Cl"
NICOTINE_R = "CN1CCC[C@@H]1c1cccnc1"


def test_nicotine_salt_and_enantiomer_meet_at_the_salt_level_only(quiet):
    rows = _audit([NICOTINE_S_HCL, NICOTINE_R, "CN1CCC[C@H]1c1cccnc1"]).dedup()["rows"]
    assert rows.loc[0, "salt_group"] == rows.loc[1, "salt_group"] == 0
    for level in ("exact", "stereo", "tautomer"):  # the HCl keeps them apart below salt
        assert rows.loc[0, f"{level}_group"] != rows.loc[1, f"{level}_group"]
    # (S) and (R) free bases meet from the stereo level on, not as exact structures
    assert rows.loc[1, "exact_group"] != rows.loc[2, "exact_group"]
    assert rows.loc[1, "stereo_group"] == rows.loc[2, "stereo_group"]


def test_salt_key_matches_an_independent_computation(quiet):
    # oracle: HetAtomTautomerv2 hash of the stereo-free free base, computed with RDKit directly
    base = Chem.MolFromSmiles("CN1CCCC1c1cccnc1")
    expected = rdMolHash.MolHash(base, rdMolHash.HashFunction.HetAtomTautomerv2)
    table = _audit([NICOTINE_S_HCL, NICOTINE_R]).table
    assert list(table["salt_key"]) == [expected, expected]


def test_levels_are_cumulative(quiet):
    smiles = [
        NICOTINE_S_HCL, NICOTINE_R, "CN1CCC[C@H]1c1cccnc1", "CC(=O)C", "C=C(C)O",
        "O=c1cccc[nH]1", "Oc1ccccn1", "[O-]C(=O)c1ccccc1.[Na+]", "OC(=O)c1ccccc1",
        "C/C=C/C(=O)O", "C/C=C\\C(=O)O", "CC=CC(=O)O", "C[C@H](N)C(=O)O", "C[C@@H](N)C(=O)O",
        "N[C@@H](C)C(=O)[O-].[Na+]", "OCC", "CCO", "CCO.O",
    ]  # fmt: skip
    table = _audit(smiles).table
    assert list(LEVELS) == ["exact", "stereo", "tautomer", "salt"]
    columns = list(LEVELS.values())
    for finer, coarser in itertools.pairwise(columns):
        # each key of a level determines the key of the next: groups only ever merge
        per_key = table.groupby(finer)[coarser].nunique()
        assert (per_key == 1).all(), (finer, coarser)
    groups = table.groupby("salt_key")["row"].apply(list)
    assert [0, 1, 2] in groups.tolist() and [7, 8] in groups.tolist()
    assert [9, 10, 11] in groups.tolist() and [12, 13, 14] in groups.tolist()
    assert pd.Series(table["salt_key"]).nunique() < pd.Series(table["smiles"]).nunique()
