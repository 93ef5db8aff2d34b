"""parallel_map: the ordered map analytics use on the batch's backend."""

from __future__ import annotations

import pytest

from molaudit.run.parallel import parallel_map

# every test here may start a worker pool: each one has its own bound
pytestmark = pytest.mark.timeout(180)

CHUNKS = [list(range(n)) for n in (5, 1, 3, 0, 7)]


@pytest.mark.parametrize(
    ("backend", "n_jobs"), [("loky", 2), ("threading", 2), ("sequential", 2), ("loky", 1)]
)
def test_joblib_backends_keep_chunk_order(backend: str, n_jobs: int) -> None:
    assert parallel_map(sum, CHUNKS, n_jobs=n_jobs, backend=backend) == [10, 0, 3, 0, 21]


def test_no_chunks_is_an_empty_list() -> None:
    assert parallel_map(sum, [], n_jobs=2, backend="loky") == []


def test_dask_without_a_client_warns_and_runs_locally() -> None:
    distributed = pytest.importorskip("distributed")  # the [dask] extra, installed by [dev]
    with pytest.raises(ValueError, match=r"[Nn]o .*client"):
        distributed.get_client()  # precondition: no cluster left running by another test
    with pytest.warns(RuntimeWarning, match="no Dask client is running"):
        assert parallel_map(len, CHUNKS, n_jobs=2, backend="dask") == [5, 1, 3, 0, 7]
