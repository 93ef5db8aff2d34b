"""The analytics result contract (issue 15): declarations, empty results, row lists, manager.

Every registered analytic declares its parameters and frames; every result (full, empty or
refused) carries exactly the declared frames and columns; row references are lists of ints
that survive the Parquet cache; analytics using others go through the manager; the manager is
thread-safe and passes progress and cancel to long analytics.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pandas as pd
import pytest

import molaudit
from molaudit.analytics import REGISTRY, AnalyticCancelled, AnalyticInput, ParameterError
from molaudit.analytics._base import MORE_COLUMNS, empty_frames, frame_problems
from molaudit.analytics._manager import decode_result, encode_result

# Calls that cover every declared frame set (frames_by variants included); the maps run on
# the same 12 molecules (UMAP/t-SNE parameters kept tiny).
#: Values for required parameters (a new analytic with one must be added here).
REQUIRED = {"similar": {"query": "CCO", "k": 3}, "substructure": {"query": "c1ccccc1"}}
CALLS: list[tuple[str, dict]] = [
    (name, REQUIRED.get(name, {})) for name in sorted(REGISTRY) if name != "chemical_space"
] + [
    ("activity_cliffs", {"definition": "sali", "threshold": 0.3}),
    ("activity_cliffs", {"definition": "mmp", "min_delta": 0.1}),
    ("scaffolds", {"kind": "murcko"}),
    ("scaffolds", {"kind": "generic"}),
    ("lle", {"le": False}),
    ("chemical_space", {}),
    ("chemical_space", {"method": "tsne", "perplexity": 2.0, "n_iter": 250}),
    ("chemical_space", {"method": "umap", "n_neighbors": 4, "n_epochs": 20}),
]

# Twelve hand-picked molecules with two duplicate pairs (rows 0/1 ethanol written two ways,
# rows 2/3 phenol), a benzene series sharing a scaffold (rows 4-7, matched pairs by one
# substituent) and an unparsable row 11, activity in pIC50.
SMILES = [
    "CCO", "OCC", "Oc1ccccc1", "c1ccccc1O", "Cc1ccccc1", "Clc1ccccc1", "Brc1ccccc1",
    "Nc1ccccc1", "c1ccncc1", "C1CCCCC1", "CC(=O)Nc1ccc(O)cc1", "not a smiles",
]  # fmt: skip
PIC50 = [5.0, 5.2, 6.0, 6.4, 7.0, 5.0, 8.1, 6.6, 4.0, 4.5, 7.7, 5.5]


#: Frames that describe every input row or the batch, so are not empty on an all-error batch.
PER_ROW_FRAMES = {
    "dedup": ("rows",),
    "statistics": (
        "properties",
        "pearson",
        "spearman",
        "status",
        "error_codes",
        "checks",
        "quality",
    ),
    "mmp": ("skipped",),
    "curate": ("curated", "decisions"),
}


def _audit(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return molaudit.audit(data, n_jobs=1, progress=False, **{"cache": False, **kw})


@pytest.fixture(scope="module")
def batch() -> molaudit.Batch:
    frame = pd.DataFrame(
        {"smiles": SMILES, "id": [f"m{i}" for i in range(len(SMILES))], "pIC50": PIC50}
    )
    return _audit(frame, activity_units="pX")


@pytest.fixture(scope="module")
def error_batch() -> molaudit.Batch:
    # every row an error, but an activity column: no analytic may refuse to answer or raise
    frame = pd.DataFrame({"smiles": ["xyz", "C1CC", "c1cc"], "pIC50": [5.0, 6.0, 7.0]})
    return _audit(frame, activity_units="pX")


def test_every_registered_analytic_declares_params_and_frames():
    for name, spec in REGISTRY.items():
        assert spec.params is not None, f"{name} has no params= declaration"
        assert spec.frames or spec.frames_by, f"{name} declares no frames"
        for p in spec.params:
            assert p.help, f"{name}.{p.name} has no help"
            assert p.display_label, f"{name}.{p.name} has no label"
            if p.type == "choice":
                assert p.choices and (p.default in p.choices or p.optional)
            if not p.required and p.default is not None:
                assert p.check(name, p.default) == p.default, f"{name}.{p.name} default invalid"
        for frames in [spec.frames, *(spec.frames_by[1].values() if spec.frames_by else [])]:
            for frame, cols in frames.items():
                assert len(set(cols)) == len(cols), f"{name}.{frame} repeats a column"
                assert cols.count(MORE_COLUMNS) <= 1


def test_calls_cover_every_frames_variant():
    for name, spec in REGISTRY.items():
        if any(p.required for p in spec.params or ()):
            assert name in REQUIRED, f"give {name}'s required parameters in REQUIRED"
    covered = {(n, tuple(sorted(REGISTRY[n].frames_for(kw).items()))) for n, kw in CALLS}
    for name, spec in REGISTRY.items():
        variants = spec.frames_by[1].values() if spec.frames_by else [spec.frames]
        for frames in variants:
            assert (name, tuple(sorted(frames.items()))) in covered, (name, frames)


@pytest.mark.parametrize(("name", "params"), CALLS, ids=[f"{n}-{p}" for n, p in CALLS])
def test_real_results_match_their_declaration(batch, name, params):
    result = batch.analytics.run(name, **params)
    assert frame_problems(REGISTRY[name], result) == []


@pytest.mark.parametrize(("name", "params"), CALLS, ids=[f"{n}-{p}" for n, p in CALLS])
def test_all_error_batch_gives_declared_empty_frames_and_a_message(error_batch, name, params):
    result = error_batch.analytics.run(name, **params)
    assert frame_problems(REGISTRY[name], result) == []
    # frames that describe every input row (or the batch as a whole) keep their rows; every
    # other frame is empty and the message says why
    for frame, rows in result.frames.items():
        if frame not in PER_ROW_FRAMES.get(name, ()):
            assert len(rows) == 0, f"{name}.{frame}"
    if name != "curate":  # curate's decisions frame gives the reason per row
        assert result.message, f"{name} gives no reason for an empty result"


def test_activity_cliffs_on_all_errors_does_not_raise(error_batch):
    # issue 15: this raised IndexError
    result = error_batch.activity_cliffs()
    assert list(result.frames) == ["molecules", "pairs"] and result["pairs"].empty
    assert "no valid molecule has an activity value" in result.message


def test_refused_results_have_declared_frames():
    no_activity = _audit(["CCO", "CCN", "c1ccccc1"])
    for name in ("lle", "activity_cliffs"):
        result = no_activity.analytics.run(name)
        assert "activity" in result.message
        assert frame_problems(REGISTRY[name], result) == []
        assert list(result.frames) == list(empty_frames(name))


def test_row_references_are_int_lists_and_survive_parquet_and_the_warm_cache(batch, cache_dir):
    groups = batch.dedup()["groups_exact"].set_index("representative_id")
    # ethanol written twice (rows 0, 1) and phenol twice (rows 2, 3), by construction
    assert groups.loc["m0", "rows"] == [0, 1] and groups.loc["m2", "rows"] == [2, 3]
    assert groups.loc["m0", "ids"] == ["m0", "m1"]
    scaffolds = batch.scaffolds()["scaffolds"]
    benzene = scaffolds[(scaffolds["kind"] == "murcko") & (scaffolds["scaffold"] == "c1ccccc1")]
    # rows 2-7 and 10 are benzene rings with substituents only
    assert benzene["rows"].iloc[0] == [2, 3, 4, 5, 6, 7, 10]
    for frame in (batch.dedup()["groups_exact"], scaffolds):
        for cell in frame["rows"]:
            assert isinstance(cell, list) and all(type(r) is int for r in cell)
    back = decode_result(encode_result(batch.scaffolds()))
    assert back["scaffolds"]["rows"].tolist() == scaffolds["rows"].tolist()
    assert back["scaffolds"]["ids"].tolist() == scaffolds["ids"].tolist()

    frame = pd.DataFrame({"smiles": SMILES, "id": [f"m{i}" for i in range(len(SMILES))]})
    cold = _audit(frame, cache=True, cache_dir=cache_dir)
    cold_groups = cold.dedup()["groups_exact"]
    cold_scaffolds = cold.scaffolds()["scaffolds"]
    warm = _audit(frame, cache=True, cache_dir=cache_dir)
    assert warm.run["from_batch_cache"]
    warm_groups = warm.dedup()["groups_exact"]  # read back from the analytics cache
    assert warm.analytics.status().set_index("name").loc["dedup", "state"] == "cached"
    assert warm_groups["rows"].tolist() == cold_groups["rows"].tolist() == [[0, 1], [2, 3]]
    assert all(type(r) is int for cell in warm_groups["rows"] for r in cell)
    warm_scaffolds = warm.scaffolds()["scaffolds"]
    assert warm_scaffolds["rows"].tolist() == cold_scaffolds["rows"].tolist()


def test_from_smiles_equals_the_audit():
    smiles = SMILES[:11]
    data = AnalyticInput.from_smiles(smiles, ids=[f"m{i}" for i in range(11)])
    batch = _audit(pd.DataFrame({"smiles": smiles, "id": [f"m{i}" for i in range(11)]}))
    for name in ("dedup", "scaffolds"):
        direct = REGISTRY[name].func(data)
        audited = batch.analytics.run(name)
        assert list(direct.frames) == list(audited.frames)
        for frame in direct.frames:
            pd.testing.assert_frame_equal(
                direct[frame], audited[frame], check_dtype=False, obj=f"{name}.{frame}"
            )


def test_from_table_runs_analytics_on_an_exported_table(batch):
    data = AnalyticInput.from_table(batch.table, activity_units="pX")
    # fingerprints recomputed from std_smiles equal the audit's (Morgan r=2, 2048 bits)
    assert np.array_equal(data.fingerprint_rows, batch.fingerprint_rows)
    assert np.array_equal(data.fingerprints, batch.fingerprints)
    pd.testing.assert_frame_equal(
        REGISTRY["clusters"].func(data)["assignments"], batch.clusters()["assignments"]
    )


def test_cliffs_get_mmp_through_the_manager(batch):
    batch.analytics.run("activity_cliffs", definition="mmp", min_delta=0.1)
    status = batch.analytics.status().set_index("name")
    assert status.loc["mmp", "state"] in ("done", "cached")
    cached = batch.analytics.get("mmp")  # the default-parameter mmp result, now in memory
    assert cached is not None and len(cached["pairs"]) > 0
    assert batch.mmp() is cached


def test_similar_is_registered_and_keeps_its_index(batch):
    by_name = batch.analytics.run("similar", query="OCC", k=2)
    assert batch.similar("OCC", k=2) is by_name  # same cache entry
    # rows 0 and 1 are ethanol: similarity 1 to the query
    assert by_name["hits"]["row"].tolist() == [0, 1]
    index = batch.analytics._memo["similarity_index"]
    batch.similar("c1ccccc1", k=1)
    assert batch.analytics._memo["similarity_index"] is index


def test_numpy_scalars_are_accepted_and_share_the_cache_key(batch):
    plain = batch.analytics.run("clusters", cutoff=0.4, seed=1)
    numpy_args = batch.analytics.run("clusters", cutoff=np.float64(0.4), seed=np.int64(1))
    assert numpy_args is plain
    assert batch.nearest_neighbors(k=np.int32(2))["neighbors"]["rank"].max() == 2


def test_one_exception_type_naming_analytic_parameter_and_value(batch):
    cases = [
        ("clusters", {"cutoff": 1.5}, r"The 'cutoff' parameter of clusters must be a float in "
         r"\[0, 1\); got 1\.5\."),
        ("scaffolds", {"kind": "x"}, r"'kind' parameter of scaffolds must be one of 'both'"),
        ("nearest_neighbors", {"k": 0}, r"'k' parameter of nearest_neighbors must be an integer"
         r" >= 1; got 0\."),
        ("mmp", {"strip_salts": 1}, r"'strip_salts' parameter of mmp must be True or False"),
        ("similar", {}, r"'query' parameter of similar is required"),
        ("statistics", {"nope": 1}, r"statistics got unknown parameter\(s\) 'nope'"),
        ("similarity_matrix", {"rows": "0,1"}, r"'rows' .* a list of input row numbers"),
    ]  # fmt: skip
    for name, params, message in cases:
        with pytest.raises(ParameterError, match=message):
            batch.analytics.run(name, **params)
    with pytest.raises(ParameterError, match="unknown analytic 'scafolds'"):
        batch.analytics.run("scafolds")


def test_manager_is_thread_safe_with_two_threads():
    batch = _audit(SMILES)
    names = ["clusters", "scaffolds", "nearest_neighbors", "similarity_pairs", "dedup"]
    reference = _audit(SMILES)
    serial = {n: reference.analytics.run(n) for n in names}
    errors: list[BaseException] = []
    results: dict[tuple[int, str], object] = {}

    def work(worker: int) -> None:
        try:
            for name in names if worker == 0 else reversed(names):
                results[worker, name] = batch.analytics.run(name)
                batch.analytics.status()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    for name in names:
        for worker in (0, 1):
            for frame, expected in serial[name].frames.items():
                got = results[worker, name].frames[frame]
                pd.testing.assert_frame_equal(got, expected, obj=f"{name}.{frame}")
    states = batch.analytics.status().set_index("name")["state"]
    assert all(states[n] == "done" for n in names)


def test_progress_is_reported_and_cancel_stops_without_caching(batch):
    calls: list[tuple[int, int]] = []
    batch.analytics.run("nearest_neighbors", k=3, progress=lambda d, t: calls.append((d, t)))
    n = len(batch.fingerprint_rows)
    assert calls and calls[-1] == (n, n)

    stop = threading.Event()
    stop.set()
    with pytest.raises(AnalyticCancelled, match="cancelled"):
        batch.analytics.run("nearest_neighbors", k=4, cancel=stop)
    assert batch.analytics.status().set_index("name").loc["nearest_neighbors", "state"] == (
        "cancelled"
    )
    assert batch.analytics.get("nearest_neighbors", k=4) is None  # nothing cached
    with pytest.raises(AnalyticCancelled, match="mmp fragmentation was cancelled"):
        batch.analytics.run("mmp", max_cuts=1, cancel=stop)

    steps: list[int] = []
    batch.analytics.run(
        "chemical_space", method="tsne", perplexity=2.0, n_iter=260,
        progress=lambda d, t: steps.append(d),
    )  # fmt: skip
    assert steps[0] == 1 and steps[-1] == 262  # graph, affinities, 260 iterations
