"""ANNIndex (faiss HNSW): recall against DenseIndex, filters, padding, ties, errors, missing extra."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from rank_core import (
    NonFiniteInputError,
    OptionalDependencyError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.testing import raises_exactly
from rank_retrieve.ann import ANNIndex
from rank_retrieve.dense import DenseIndex

METRICS = ("cosine", "dot", "l2")
N_DOCS, DIM = 5_000, 64


@pytest.fixture(scope="module")
def vectors() -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    rng = np.random.default_rng(0)
    docs = rng.standard_normal((N_DOCS, DIM)).astype(np.float32)
    queries = rng.standard_normal((200, DIM)).astype(np.float32)
    return docs, queries


@pytest.fixture(scope="module")
def indexes(
    vectors: tuple[NDArray[np.float32], NDArray[np.float32]],
) -> dict[str, tuple[ANNIndex, DenseIndex]]:
    pytest.importorskip("faiss")
    docs, _ = vectors
    ids = [f"d{i}" for i in range(N_DOCS)]
    return {
        metric: (
            ANNIndex(docs, ids, metric=metric, ef_search=128),
            DenseIndex(docs, ids, metric=metric),
        )
        for metric in METRICS
    }


# ----------------------------------------------------------------------------- quality


@pytest.mark.parametrize("metric", METRICS)
def test_recall_at_10_against_exact_search(
    indexes: dict[str, tuple[ANNIndex, DenseIndex]], vectors: Any, metric: str
) -> None:
    ann, exact = indexes[metric]
    recall = ann.recall_at_k(exact, vectors[1], k=10)
    assert recall >= 0.95, f"{metric} recall@10 = {recall:.3f}"


@pytest.mark.parametrize("metric", METRICS)
def test_scores_follow_the_dense_convention(
    indexes: dict[str, tuple[ANNIndex, DenseIndex]], vectors: Any, metric: str
) -> None:
    ann, exact = indexes[metric]
    found = ann.search(vectors[1][:20], 10)
    assert found.scores.dtype == np.float32
    assert found.ids.shape == (20, 10)
    assert (np.diff(found.scores, axis=1) <= 0).all()
    truth = exact.search(vectors[1][:20], len(exact))
    for row in range(20):  # each returned doc carries the score exact search gives it
        exact_scores = dict(
            zip(truth.positions[row].tolist(), truth.scores[row].tolist(), strict=True)
        )
        expected = [exact_scores[p] for p in found.positions[row].tolist()]
        np.testing.assert_allclose(found.scores[row], expected, rtol=1e-4, atol=1e-4)
    if metric == "l2":
        assert (found.scores <= 0).all()


def test_a_single_query_vector_gives_one_row(indexes: Any, vectors: Any) -> None:
    ann, _ = indexes["cosine"]
    one = ann.search(vectors[1][3], 5)
    np.testing.assert_array_equal(one.positions, ann.search(vectors[1][3:4], 5).positions)
    assert one.ids.shape == (1, 5)


def test_ties_are_broken_by_position() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    docs = rng.standard_normal((200, 8)).astype(np.float32)
    docs[[10, 50, 120, 199]] = docs[3]  # five copies of one vector
    result = ANNIndex(docs, metric="dot", threads=1).search(docs[3], 5)
    assert result.positions.tolist() == [[3, 10, 50, 120, 199]]


def test_k_above_the_index_size_returns_every_document() -> None:
    pytest.importorskip("faiss")
    docs = np.random.default_rng(2).standard_normal((30, 4)).astype(np.float32)
    result = ANNIndex(docs, metric="l2").search(docs[:3], 100)
    assert result.ids.shape == (3, 30)
    assert (np.sort(result.positions, axis=1) == np.arange(30)).all()


# ----------------------------------------------------------------------------- filters


def filter_forms(
    rng: np.random.Generator, n_queries: int, n_docs: int, fraction: float
) -> list[tuple[Any, NDArray[np.bool_]]]:
    """Each accepted filter form allowing about ``fraction`` of the docs, with its (n_queries, n_docs) mask."""
    ids = np.array([str(i) for i in range(n_docs)])
    shared = rng.random(n_docs) < fraction
    per_query = rng.random((n_queries, n_docs)) < fraction
    shared_rows = np.broadcast_to(shared, (n_queries, n_docs))
    return [
        (shared, shared_rows),
        (ids[shared].tolist(), shared_rows),
        (per_query, per_query),
        ([ids[row].tolist() for row in per_query], per_query),
    ]


@pytest.mark.parametrize("fraction", [0.5, 0.01])
@pytest.mark.parametrize("cutoff", [0, 10_000])  # 0: always the filtered graph search
def test_a_filter_never_returns_excluded_ids(vectors: Any, fraction: float, cutoff: int) -> None:
    pytest.importorskip("faiss")
    docs, queries = vectors
    ann = ANNIndex(docs[:2_000], metric="cosine", flat_search_cutoff=cutoff)
    queries = queries[:15]
    for filter, allowed in filter_forms(np.random.default_rng(3), len(queries), 2_000, fraction):
        result = ann.search(queries, 10, filter=filter)
        for row in range(len(queries)):
            returned = result.positions[row][result.positions[row] >= 0]
            assert allowed[row][returned].all()
            assert returned.size == min(10, allowed[row].sum()) or cutoff == 0


@pytest.mark.parametrize("metric", METRICS)
def test_a_selective_filter_is_searched_exactly(
    indexes: dict[str, tuple[ANNIndex, DenseIndex]], vectors: Any, metric: str
) -> None:
    ann, exact = indexes[metric]
    queries = vectors[1][:10]
    allowed = [f"d{i}" for i in range(0, N_DOCS, 50)]  # 100 docs, under flat_search_cutoff
    per_query = [allowed[row::3] for row in range(10)]
    for filter in (allowed, per_query):
        found, truth = (
            ann.search(queries, 10, filter=filter),
            exact.search(queries, 10, filter=filter),
        )
        np.testing.assert_array_equal(found.ids, truth.ids)
        np.testing.assert_allclose(found.scores, truth.scores, rtol=1e-5, atol=1e-5)


def test_rows_are_padded_when_the_filter_allows_fewer_than_k(indexes: Any, vectors: Any) -> None:
    ann, exact = indexes["l2"]
    queries = vectors[1][:4]
    filter = [["d7", "d4000", "d12"], [], ["d1"], ["d2", "d3"]]
    result = ann.search(queries, 5, filter=filter)
    assert result.ids.shape == (4, 5)
    assert (result.positions >= 0).sum(axis=1).tolist() == [3, 0, 1, 2]
    assert (result.ids[result.positions < 0] == "").all()
    assert np.isneginf(result.scores[result.positions < 0]).all()
    np.testing.assert_array_equal(result.ids, exact.search(queries, 5, filter=filter).ids)


def test_graph_search_with_a_tiny_filter_returns_only_allowed_ids_padded(vectors: Any) -> None:
    pytest.importorskip("faiss")
    docs, queries = vectors
    ann = ANNIndex(docs[:2_000], metric="dot", flat_search_cutoff=0)
    result = ann.search(queries[:5], 10, filter=["3", "7", "1999"])
    assert result.ids.shape == (5, 10)
    assert set(result.ids.ravel().tolist()) <= {"3", "7", "1999", ""}
    assert (result.positions[:, 3:] == -1).all()


# ----------------------------------------------------------------------------- options


def test_threads_and_ef_search(vectors: Any) -> None:
    faiss = pytest.importorskip("faiss")
    docs, queries = vectors
    before = faiss.omp_get_max_threads()
    ann = ANNIndex(docs[:1_000], threads=1, ef_search=16, show_progress=False)
    assert faiss.omp_get_max_threads() == before
    assert ann.ef_search == 16
    ann.ef_search = 64
    single = ann.search(queries[:20], 10, threads=1, batch_size=3)
    assert faiss.omp_get_max_threads() == before
    np.testing.assert_array_equal(single.positions, ann.search(queries[:20], 10).positions)
    assert (
        repr(ann) == "ANNIndex(n_docs=1000, dim=64, metric='cosine', method='hnsw', ef_search=64)"
    )
    assert (len(ann), ann.dim, ann.metric) == (1_000, 64, "cosine")
    assert ann.ids[:2].tolist() == ["0", "1"]


def test_results_convert_to_a_run(indexes: Any, vectors: Any) -> None:
    ann, _ = indexes["cosine"]
    run = ann.search(vectors[1][:2], 3).to_run(["q1", "q2"])
    assert set(run.to_dict()) == {"q1", "q2"}


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("options", "error", "builtin"),
    [
        ({"method": "ivf"}, RankValueError, ValueError),
        ({"metric": "cos"}, RankValueError, ValueError),
        ({"m": 1}, RankValueError, ValueError),
        ({"ef_construction": 0}, RankValueError, ValueError),
        ({"ef_search": 0}, RankValueError, ValueError),
        ({"ef_search": 1.5}, RankTypeError, TypeError),
        ({"threads": 0}, RankValueError, ValueError),
        ({"flat_search_cutoff": -1}, RankValueError, ValueError),
    ],
)
def test_bad_options(
    options: dict[str, Any], error: type[Exception], builtin: type[Exception]
) -> None:
    pytest.importorskip("faiss")
    with raises_exactly(error, builtin):
        ANNIndex(np.eye(4), **options)


def test_bad_embeddings_and_queries() -> None:
    pytest.importorskip("faiss")
    with raises_exactly(NonFiniteInputError, ValueError, match=r"\(1, 2\)"):
        ANNIndex(np.array([[1.0, 0, 0], [0, 1.0, np.nan]]))
    with raises_exactly(RankValueError, ValueError, match="all zeros"):
        ANNIndex(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with raises_exactly(RankValueError, ValueError, match="distinct"):
        ANNIndex(np.eye(2), ["a", "a"])
    ann = ANNIndex(np.eye(3), ["a", "b", "c"])
    with raises_exactly(ShapeMismatchError, ValueError, match="dimension 2 .* dimension 3"):
        ann.search(np.ones(2))
    with raises_exactly(NonFiniteInputError, ValueError):
        ann.search([np.inf, 0.0, 0.0])
    with raises_exactly(RankValueError, ValueError):
        ann.search(np.ones(3), k=0)
    with raises_exactly(RankValueError, ValueError, match="'z'"):
        ann.search(np.ones(3), filter=["z"])


def test_bad_recall_arguments() -> None:
    pytest.importorskip("faiss")
    ann = ANNIndex(np.eye(3))
    with raises_exactly(RankTypeError, TypeError, match="DenseIndex"):
        ann.recall_at_k(ann, np.eye(3))  # type: ignore[arg-type]
    with raises_exactly(RankValueError, ValueError, match="metric"):
        ann.recall_at_k(DenseIndex(np.eye(3), metric="dot"), np.eye(3))


# ----------------------------------------------------------------------------- without the extra


def test_building_without_faiss_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)  # makes `import faiss` fail
    with raises_exactly(OptionalDependencyError, ImportError) as info:
        ANNIndex(np.eye(3))
    assert 'pip install "rank-retrieve[ann]"' in str(info.value)


def test_the_package_imports_without_faiss() -> None:
    code = (
        "import sys; sys.modules['faiss'] = None\n"
        "import rank_retrieve, rank_retrieve.ann, rank_retrieve.dense\n"
        "assert sys.modules['faiss'] is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
