"""Chemical space: PCA against numpy's exact SVD; t-SNE and UMAP contracts and seeds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import rdFingerprintGenerator

from molaudit.analytics import REGISTRY, AnalyticInput
from molaudit.analytics.chemspace import _enable_umap_numba_cache, chemical_space, pca

DATA = Path(__file__).parents[1] / "data" / "similarity" / "moleculeace_4sets.csv.gz"


def make_input(smiles: list[str], size: int = 2048) -> AnalyticInput:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=size)
    bits = [gen.GetFingerprintAsNumPy(Chem.MolFromSmiles(s)).astype(bool) for s in smiles]
    # input rows 3, 5, 7, ...: results must carry these, not positions
    rows = np.arange(len(smiles), dtype=np.int64) * 2 + 3
    return AnalyticInput(
        table=pd.DataFrame(
            {"row": rows, "id": [f"M{r}" for r in rows], "status": "ok", "smiles": smiles}
        ),
        fingerprints=np.packbits(np.array(bits), axis=1),
        fingerprint_rows=rows,
        n_jobs=2,
    )


@pytest.fixture(scope="module")
def smiles() -> list[str]:
    return pd.read_csv(DATA)["smiles"].tolist()


@pytest.fixture(scope="module")
def svd_reference(smiles: list[str]) -> dict:
    # 1024 bits keep numpy's reference SVD quick; the code path is the same as for 2048
    data = make_input(smiles[:800], size=1024)
    X = np.unpackbits(data.fingerprints, axis=1).astype(np.float64)
    Xc = X - X.mean(axis=0)
    u, s, _ = np.linalg.svd(Xc, full_matrices=False)
    return {"data": data, "ratio": s**2 / np.sum(s**2), "scores": u * s}


@pytest.mark.parametrize("solver", ["exact", "randomized"])
def test_pca_variance_matches_numpy_svd(svd_reference: dict, solver: str) -> None:
    result = chemical_space(svd_reference["data"], method="pca", solver=solver, n_components=5)
    var = result["variance"]
    assert list(var.columns) == [
        "component",
        "explained_variance",
        "explained_variance_ratio",
        "cumulative",
    ]
    rtol = 1e-9 if solver == "exact" else 1e-4
    assert np.allclose(var["explained_variance_ratio"], svd_reference["ratio"][:5], rtol=rtol)
    assert np.allclose(var["cumulative"], np.cumsum(svd_reference["ratio"][:5]), rtol=rtol)
    # coordinates are the first two principal component scores, up to sign
    coords = result["coordinates"][["x", "y"]].to_numpy()
    ref = svd_reference["scores"][:, :2]
    for c in range(2):
        assert np.allclose(np.abs(coords[:, c]), np.abs(ref[:, c]), atol=1e-5)
    assert result["coordinates"]["row"].tolist()[:3] == [3, 5, 7]


def test_pca_signs_are_deterministic(svd_reference: dict) -> None:
    packed = svd_reference["data"].fingerprints
    a = pca(packed, 2, solver="randomized", seed=1)[0]
    b = pca(packed, 2, solver="exact")[0]
    assert np.allclose(a, b, atol=1e-4)


def test_tsne_coordinates_and_seed(smiles: list[str]) -> None:
    pytest.importorskip("openTSNE")
    data = make_input(smiles[:300])
    first = chemical_space(data, method="tsne", seed=3, n_iter=250)
    frame = first["coordinates"]
    assert list(frame.columns) == ["row", "id", "x", "y"]
    assert np.array_equal(frame["row"].to_numpy(), data.fingerprint_rows)
    assert np.isfinite(frame[["x", "y"]].to_numpy()).all()
    assert frame["x"].std() > 1.0  # an actual layout, not the 1e-4-scaled start
    assert {"seconds_knn", "seconds_optimize"} <= set(first.summary)
    again = chemical_space(data, method="tsne", seed=3, n_iter=250)["coordinates"]
    pd.testing.assert_frame_equal(frame, again)


def test_umap_coordinates_seed_and_numba_cache(smiles: list[str]) -> None:
    # umap-learn is a core dependency: no importorskip, a missing install must fail
    _enable_umap_numba_cache()
    from umap import layouts

    cached = layouts._nb_optimize_layout_euclidean_single_epoch._cache
    assert type(cached).__name__ != "NullCache"
    data = make_input(smiles[:300])
    first = chemical_space(data, method="umap", seed=0, n_neighbors=10)["coordinates"]
    assert np.isfinite(first[["x", "y"]].to_numpy()).all()
    assert len(first) == 300
    again = chemical_space(data, method="umap", seed=0, n_neighbors=10)["coordinates"]
    pd.testing.assert_frame_equal(first, again)
    spectral = chemical_space(data, method="umap", init="spectral", n_epochs=50)["coordinates"]
    assert np.isfinite(spectral[["x", "y"]].to_numpy()).all()
    with pytest.raises(ValueError, match=r"'init' .* must be one of 'pca', 'spectral'"):
        chemical_space(data, method="umap", init="random")


def test_parameters_and_empty(smiles: list[str]) -> None:
    data = make_input(smiles[:20])
    with pytest.raises(ValueError, match=r"'method' parameter of chemical_space must be one of"):
        chemical_space(data, method="mds")
    with pytest.raises(ValueError, match=r"'seed' parameter .* an integer >= 0 or None; got -1"):
        chemical_space(data, seed=-1)
    with pytest.raises(ValueError, match=r"'solver' parameter of chemical_space must be one of"):
        chemical_space(data, solver="arpack")
    empty = AnalyticInput(
        table=pd.DataFrame({"row": [0], "id": ["a"], "status": ["error"], "smiles": [None]}),
        fingerprints=np.zeros((0, 256), dtype=np.uint8),
        fingerprint_rows=np.zeros(0, dtype=np.int64),
    )
    result = chemical_space(empty)
    assert "error row" in result.message
    assert set(result.frames) == {"coordinates", "variance"}
    tiny = chemical_space(make_input(smiles[:3]), method="tsne")
    assert "at least 5 molecules" in tiny.message
    assert REGISTRY["chemical_space"].kind == "expensive"


def _jaccard_distances(packed: np.ndarray) -> np.ndarray:
    # 1 - Tanimoto from the unpacked bits with numpy: independent of molaudit's kernels
    bits = np.unpackbits(packed, axis=1).astype(np.float64)
    both = bits @ bits.T
    counts = bits.sum(axis=1)
    union = counts[:, None] + counts[None, :] - both
    return 1.0 - np.divide(both, union, out=np.zeros_like(both), where=union > 0)


@pytest.mark.parametrize("gradient", ["fft", "bh"])
def test_tsne_keeps_neighbourhoods(
    smiles: list[str], gradient: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A speed setting that wrecks the map must fail here.

    scikit-learn's trustworthiness (k = 10) on exact Jaccard distances computed with numpy,
    800 real ChEMBL molecules. Measured: molaudit t-SNE 0.985 (FFT path, forced here by
    lowering the size switch used from 10k points on) and 0.986 (Barnes-Hut); scikit-learn's
    own exact-metric t-SNE 0.992 on 1,200 of them (too slow to rerun here: 107 s); stopping
    after early exaggeration 0.963; PCA 0.901.
    """
    pytest.importorskip("openTSNE")
    from sklearn.manifold import trustworthiness

    from molaudit.analytics import chemspace

    if gradient == "fft":
        monkeypatch.setattr(chemspace, "TSNE_FFT_MIN_N", 0)
    data = dataclasses.replace(make_input(smiles[:800]), n_jobs=1)
    dist = _jaccard_distances(data.fingerprints)

    def score(method: str) -> float:
        xy = chemical_space(data, method=method, seed=0)["coordinates"][["x", "y"]].to_numpy()
        return trustworthiness(dist, xy, n_neighbors=10, metric="precomputed")

    ours, flat = score("tsne"), score("pca")
    assert ours >= 0.975, ours
    assert ours >= flat + 0.05, (ours, flat)
