"""batch.split(): groups never straddle train and test; leakage = compare(train, test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

import molaudit


@pytest.fixture(scope="module")
def batch(small_real: pd.DataFrame, tmp_path_factory) -> molaudit.Batch:
    # 120 real ChEMBL molecules, plus the first 10 again as HCl salts (same parents)
    extra = small_real.head(10).assign(smiles=lambda f: f["smiles"] + ".Cl")
    frame = pd.concat([small_real, extra], ignore_index=True)
    return molaudit.audit(frame, n_jobs=1, cache_dir=tmp_path_factory.mktemp("c"), progress=False)


def _sets(result) -> pd.Series:
    a = result["assignment"]
    return pd.Series(a["set"].to_numpy(), index=a["row"].to_numpy())


@pytest.mark.parametrize("method", ["random", "scaffold", "cluster"])
def test_groups_never_straddle(batch: molaudit.Batch, method: str) -> None:
    res = batch.split(method=method, test_fraction=0.25, seed=3)
    sets = _sets(res)
    assert set(sets) <= {"train", "test"} and len(sets) == 130
    assert res.summary["n_test"] >= 0.25 * 130  # filled up to at least the fraction
    assert res.train == sorted(res.train) and set(res.train).isdisjoint(res.test)
    table = batch.table.set_index("row")
    # salt forms of one compound are on one side (rows k and 120 + k share a parent)
    for k in range(10):
        assert table.loc[k, "std_smiles"] == table.loc[120 + k, "std_smiles"]
        assert sets[k] == sets[120 + k]
    if method == "scaffold":
        # the oracle: RDKit's Murcko scaffold of each parent, computed here
        scaf = {r: MurckoScaffold.MurckoScaffoldSmiles(s) for r, s in table["std_smiles"].items()}
        train = {scaf[r] for r in res.train}
        test = {scaf[r] for r in res.test}
        assert not train & test
    # same seed, same split
    again = batch.split(method=method, test_fraction=0.25, seed=3)
    assert again.test == res.test


def test_random_split_depends_on_seed(batch: molaudit.Batch) -> None:
    a = batch.split(method="random", seed=0)
    b = batch.split(method="random", seed=1)
    assert a.test != b.test


def test_leakage_report_is_compare_of_train_and_test(batch: molaudit.Batch) -> None:
    res = batch.split(method="random", test_fraction=0.3, seed=0)
    leak = res.leakage
    nearest = leak["nearest"]
    assert nearest["row"].tolist() == res.test
    assert set(nearest["ref_row"]) <= set(res.train)
    # the oracle: RDKit fingerprints of the standardized parents, BulkTanimotoSimilarity
    table = batch.table.set_index("row")
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=2048)

    def bv(r):
        return gen.GetFingerprint(Chem.MolFromSmiles(table.loc[r, "std_smiles"]))

    train_bv = [bv(r) for r in res.train]
    expected = [max(DataStructs.BulkTanimotoSimilarity(bv(r), train_bv)) for r in res.test]
    assert nearest["similarity"].tolist() == expected
    n9 = int(np.sum(np.asarray(expected) >= 0.9))
    assert res.summary["leakage"]["within_0.9"]["count"] == n9
    assert res.summary["leakage"]["shared_compounds"] == 0  # salt forms kept together


def test_bad_split_parameters(batch: molaudit.Batch) -> None:
    with pytest.raises(ValueError, match="method"):
        batch.split(method="perimeter")
    with pytest.raises(ValueError, match="test_fraction"):
        batch.split(test_fraction=1.0)
