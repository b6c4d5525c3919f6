"""DenseIndex against a naive numpy oracle: every metric, k, filter kind, ties, add/delete, bad input."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly
from rank_retrieve import dense
from rank_retrieve._kernels.dense import offer_scores
from rank_retrieve._kernels.topk import heap_drain
from rank_retrieve.dense import DenseIndex

METRICS = ("cosine", "dot", "l2")
N_DOCS, DIM, N_QUERIES = 40, 8, 7
MAX_THREADS = min(2, numba.config.NUMBA_NUM_THREADS)


# ----------------------------------------------------------------------------- oracle


def naive_search(
    queries: Any, docs: Any, metric: str, k: int, allowed: NDArray[np.bool_] | None = None
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Full float64 score matrix, then per row ``np.lexsort((positions, -scores))`` over the allowed docs.

    ``allowed`` is ``None`` or an ``(n_queries, n_docs)`` mask. Returns ``(positions, scores)``
    of width ``min(k, n_docs)``, padded with -1 and -inf.
    """
    queries = np.atleast_2d(np.asarray(queries, dtype=np.float64))
    docs = np.asarray(docs, dtype=np.float64)
    if metric == "cosine":
        queries = queries / np.linalg.norm(queries, axis=1, keepdims=True)
        docs = docs / np.linalg.norm(docs, axis=1, keepdims=True)
    if metric == "l2":
        scores = -((queries[:, None, :] - docs[None, :, :]) ** 2).sum(axis=2)
    else:
        scores = queries @ docs.T
    width = min(k, docs.shape[0])
    positions = np.full((queries.shape[0], width), -1, dtype=np.int64)
    top_scores = np.full((queries.shape[0], width), -np.inf)
    for row in range(queries.shape[0]):
        candidates = np.arange(docs.shape[0]) if allowed is None else np.flatnonzero(allowed[row])
        order = candidates[np.lexsort((candidates, -scores[row, candidates]))][:width]
        positions[row, : order.size] = order
        top_scores[row, : order.size] = scores[row, order]
    return positions, top_scores


def exact_data(metric: str, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Docs and queries whose every score is exact in float64, with many ties.

    dot and l2: small integers, some rows duplicated. cosine: entries in {-1, 0, 1} with exactly
    four non-zeros per row, so every norm is 2 and normalised entries are +-0.5.
    """
    rng = np.random.default_rng(seed)
    if metric == "cosine":

        def rows(n: int) -> NDArray[np.float64]:
            out = np.zeros((n, DIM))
            for row in out:
                row[rng.choice(DIM, 4, replace=False)] = rng.choice([-1.0, 1.0], 4)
            return out

        docs, queries = rows(N_DOCS), rows(N_QUERIES)
    else:
        docs = rng.integers(-3, 4, size=(N_DOCS, DIM)).astype(np.float64)
        queries = rng.integers(-3, 4, size=(N_QUERIES, DIM)).astype(np.float64)
    docs[N_DOCS // 2 :: 5] = docs[1]  # duplicated rows: equal scores, ranked by position
    return docs, queries


def allowed_rows(
    filter_kind: str, n_queries: int, rng: np.random.Generator
) -> NDArray[np.bool_] | None:
    """The (n_queries, N_DOCS) allow-mask of a filter kind (``None`` for no filter)."""
    if filter_kind == "none":
        return None
    if filter_kind == "shared_most":  # scored on the whole matrix, masked in the top-k
        shared = rng.random(N_DOCS) < 0.8
    elif filter_kind == "shared_few":  # under half: only the allowed rows are scored
        shared = np.zeros(N_DOCS, dtype=np.bool_)
        shared[rng.choice(N_DOCS, 3, replace=False)] = True
    else:
        masks = rng.random((n_queries, N_DOCS)) < 0.5
        masks[0] = False  # a query that allows nothing
        masks[1] = False
        masks[1, [5, 30]] = True  # ... and one that allows two
        return masks
    return np.broadcast_to(shared, (n_queries, N_DOCS))


def as_filter(masks: NDArray[np.bool_] | None, form: str, ids: NDArray[np.str_]) -> Any:
    """The same allow-mask as each accepted ``filter`` form."""
    if masks is None:
        return None
    shared = bool((masks == masks[0]).all())
    if form == "mask":
        return masks[0].copy() if shared else masks.copy()
    if shared:
        return ids[masks[0]].tolist()
    return [ids[row].tolist() for row in masks]


def doc_ids(n: int) -> NDArray[np.str_]:
    return np.array([f"d{i}" for i in range(n)])


def assert_same_result(
    result: Any, positions: NDArray[np.int64], scores: NDArray[np.float64], ids: Any
) -> None:
    np.testing.assert_array_equal(result.positions, positions)
    np.testing.assert_array_equal(result.scores, scores)
    expected_ids = np.where(positions >= 0, np.asarray(ids)[np.maximum(positions, 0)], "")
    np.testing.assert_array_equal(result.ids, expected_ids)


def separated_slots(
    queries: Any, docs: Any, metric: str, width: int, tolerance: float
) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_]]:
    """Reference top ``width`` and, per slot, whether its score is ``tolerance`` away from every other doc's."""
    every_position, every_score = naive_search(queries, docs, metric, len(docs))
    gaps = np.diff(every_score, axis=1)  # <= 0
    clear_above = np.concatenate([np.ones((len(gaps), 1), bool), -gaps > tolerance], axis=1)
    clear_below = np.concatenate([-gaps > tolerance, np.ones((len(gaps), 1), bool)], axis=1)
    separated = (clear_above & clear_below)[:, :width]
    return every_position[:, :width], every_score[:, :width], separated


# ----------------------------------------------------------------------------- exact parity


def use_small_tiles(monkeypatch: pytest.MonkeyPatch, docs_per_tile: int) -> None:
    """Make every search score ``docs_per_tile`` documents per tile (the default fits all here)."""
    monkeypatch.setattr(dense, "TILE_BYTES", 1)
    monkeypatch.setattr(dense, "MIN_TILE_DOCS", docs_per_tile)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 5, N_DOCS, N_DOCS + 7])
@pytest.mark.parametrize("filter_kind", ["none", "shared_most", "shared_few", "per_query"])
@pytest.mark.parametrize("form", ["mask", "ids"])
@pytest.mark.parametrize("docs_per_tile", [None, 7])
def test_float64_equals_the_oracle_exactly(
    metric: str,
    k: int,
    filter_kind: str,
    form: str,
    docs_per_tile: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if docs_per_tile is not None:  # 40 docs in tiles of 7, the last one short
        use_small_tiles(monkeypatch, docs_per_tile)
    docs, queries = exact_data(metric)
    ids = doc_ids(N_DOCS)
    masks = allowed_rows(filter_kind, N_QUERIES, np.random.default_rng(1))
    index = DenseIndex(docs, ids, metric=metric, dtype="float64")
    result = index.search(queries, k, filter=as_filter(masks, form, ids))
    positions, scores = naive_search(queries, docs, metric, k, masks)
    assert result.scores.dtype == np.float64
    assert result.ids.shape == (N_QUERIES, min(k, N_DOCS))
    assert_same_result(result, positions, scores, ids)


@pytest.mark.parametrize("metric", METRICS)
def test_ties_are_broken_by_position(metric: str) -> None:
    docs, queries = exact_data(metric)
    result = DenseIndex(docs, metric=metric, dtype="float64").search(queries, N_DOCS)
    for row_scores, row_positions in zip(result.scores, result.positions, strict=True):
        assert (np.diff(row_scores) <= 0).all()
        tied = np.diff(row_scores) == 0
        assert tied.any()
        assert (np.diff(row_positions)[tied] > 0).all()


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 5, 60])
def test_float32_matches_the_float64_oracle(metric: str, k: int) -> None:
    rng = np.random.default_rng(2)
    docs = rng.standard_normal((60, 16)).astype(np.float32)
    queries = rng.standard_normal((9, 16)).astype(np.float32)
    result = DenseIndex(docs, metric=metric).search(queries, k)
    assert result.scores.dtype == np.float32
    positions, scores, separated = separated_slots(queries, docs, metric, min(k, 60), 1e-5)
    assert separated.mean() > 0.9
    np.testing.assert_array_equal(result.positions[separated], positions[separated])
    np.testing.assert_allclose(result.scores, scores, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_random_float64_matches_the_oracle(metric: str) -> None:
    rng = np.random.default_rng(3)
    docs, queries = rng.standard_normal((500, 32)), rng.standard_normal((20, 32))
    result = DenseIndex(docs, metric=metric, dtype="float64").search(queries, 25)
    positions, scores, separated = separated_slots(queries, docs, metric, 25, 1e-9)
    np.testing.assert_array_equal(result.positions[separated], positions[separated])
    np.testing.assert_allclose(result.scores, scores, rtol=1e-12, atol=1e-12)


@settings(deadline=None, max_examples=60)
@given(
    n_docs=st.integers(1, 30),
    n_queries=st.integers(1, 5),
    dim=st.integers(1, 6),
    k=st.integers(1, 35),
    metric=st.sampled_from(["dot", "l2"]),
    seed=st.integers(0, 2**32 - 1),
    filtered=st.booleans(),
)
def test_small_integer_indexes_equal_the_oracle(
    n_docs: int, n_queries: int, dim: int, k: int, metric: str, seed: int, filtered: bool
) -> None:
    rng = np.random.default_rng(seed)
    docs = rng.integers(-2, 3, size=(n_docs, dim)).astype(np.float64)
    queries = rng.integers(-2, 3, size=(n_queries, dim)).astype(np.float64)
    masks = rng.random((n_queries, n_docs)) < 0.6 if filtered else None
    index = DenseIndex(docs, metric=metric, dtype="float64")
    result = index.search(queries, k, filter=masks)
    positions, scores = naive_search(queries, docs, metric, k, masks)
    assert_same_result(result, positions, scores, index.ids)


@settings(deadline=None, max_examples=100)
@given(
    scores=st.lists(st.integers(-3, 3), min_size=1, max_size=60),
    k=st.integers(1, 70),
    tile=st.integers(1, 25),
    mask_seed=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
)
def test_tiled_top_k_equals_a_full_sort(
    scores: list[int], k: int, tile: int, mask_seed: int | None
) -> None:
    row = np.array(scores, dtype=np.float64)
    mask = (
        np.zeros(0, np.bool_)
        if mask_seed is None
        else np.random.default_rng(mask_seed).random(row.size) < 0.5
    )
    heap_scores, heap_positions, size = np.empty(k), np.empty(k, np.int64), 0
    for offset in range(0, row.size, tile):
        size = offer_scores(
            row[offset : offset + tile], offset, mask, heap_scores, heap_positions, size
        )
    tiled_scores, tiled_positions = np.full(k, -np.inf), np.full(k, -1, np.int64)
    heap_drain(heap_scores, heap_positions, size, tiled_scores, tiled_positions)
    allowed = np.flatnonzero(mask) if mask.size else np.arange(row.size)
    expected = allowed[np.lexsort((allowed, -row[allowed]))][:k]  # score desc, position asc
    assert size == expected.size
    assert tiled_positions[:size].tolist() == expected.tolist()
    assert tiled_scores[:size].tolist() == row[expected].tolist()


# ----------------------------------------------------------------------------- search options


def test_one_query_as_a_vector_gives_one_row() -> None:
    docs, queries = exact_data("dot")
    index = DenseIndex(docs, metric="dot")
    single = index.search(queries[2], 5)
    assert single.ids.shape == (1, 5)
    np.testing.assert_array_equal(single.positions, index.search(queries[2:3], 5).positions)


def test_results_do_not_depend_on_batch_size_tiles_or_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(4)
    docs, queries = rng.standard_normal((3_000, 24)), rng.standard_normal((50, 24))
    index = DenseIndex(docs, metric="l2", dtype="float64")
    reference = index.search(queries, 10, batch_size=50)
    for batch_size, threads in [(1, 1), (7, MAX_THREADS), (None, MAX_THREADS), (None, None)]:
        result = index.search(queries, 10, batch_size=batch_size, threads=threads)
        np.testing.assert_array_equal(result.positions, reference.positions)
        np.testing.assert_allclose(result.scores, reference.scores, rtol=1e-13)
    use_small_tiles(monkeypatch, 333)
    result = index.search(queries, 10, batch_size=16)
    np.testing.assert_array_equal(result.positions, reference.positions)
    np.testing.assert_allclose(result.scores, reference.scores, rtol=1e-13)


def test_a_filter_that_allows_nothing_gives_padding_only() -> None:
    docs, queries = exact_data("dot")
    index = DenseIndex(docs, metric="dot")
    for filter in ([], np.zeros(N_DOCS, dtype=bool), [[] for _ in range(N_QUERIES)]):
        result = index.search(queries, 3, filter=filter)
        assert (result.positions == -1).all()
        assert (result.ids == "").all()
        assert np.isneginf(result.scores).all()


def test_k_above_the_index_size_returns_every_document() -> None:
    docs, queries = exact_data("dot")
    result = DenseIndex(docs, metric="dot").search(queries, 10**6)
    assert result.ids.shape == (N_QUERIES, N_DOCS)
    assert (np.sort(result.positions, axis=1) == np.arange(N_DOCS)).all()


def test_l2_scores_are_negative_squared_distances() -> None:
    rng = np.random.default_rng(5)
    docs = rng.standard_normal((100, 16)).astype(np.float32)
    result = DenseIndex(docs, metric="l2").search(docs[:10], 3)
    np.testing.assert_array_equal(result.positions[:, 0], np.arange(10))  # itself first
    assert (result.scores <= 0).all()
    np.testing.assert_allclose(result.scores[:, 0], 0, atol=1e-4)
    second = ((docs[:10] - docs[result.positions[:, 1]]) ** 2).sum(axis=1)
    np.testing.assert_allclose(result.scores[:, 1], -second, rtol=1e-5)


def test_cosine_ignores_vector_lengths() -> None:
    docs = np.array([[1.0, 0.0], [10.0, 1.0], [0.0, 3.0]])
    result = DenseIndex(docs, ["x", "long", "y"]).search([[5.0, 0.0]], 3)
    assert result.ids.tolist() == [["x", "long", "y"]]
    np.testing.assert_allclose(result.scores, [[1.0, 10 / np.sqrt(101), 0.0]], atol=1e-6)


def test_the_callers_array_is_neither_changed_nor_aliased() -> None:
    docs = np.array([[3.0, 4.0], [1.0, 0.0]], dtype=np.float32)
    kept = docs.copy()
    index = DenseIndex(docs, metric="dot")
    np.testing.assert_array_equal(docs, kept)
    docs[:] = 0
    assert index.search([1.0, 1.0], 1).ids.tolist() == [["0"]]
    cosine_docs = kept.copy()
    DenseIndex(cosine_docs)
    np.testing.assert_array_equal(cosine_docs, kept)


def test_progress_bar_can_be_forced(capsys: pytest.CaptureFixture[str]) -> None:
    docs, queries = exact_data("dot")
    index = DenseIndex(docs, metric="dot")
    index.search(queries, 3, show_progress=False)
    assert "DenseIndex.search" not in capsys.readouterr().err
    index.search(queries, 3, show_progress=True)
    assert "DenseIndex.search" in capsys.readouterr().err


def test_result_converts_to_a_run() -> None:
    docs, queries = exact_data("dot")
    result = DenseIndex(docs, doc_ids(N_DOCS), metric="dot").search(queries[:2], 3)
    run = result.to_run(["q1", "q2"])
    assert set(run.to_dict()) == {"q1", "q2"}
    assert set(run.to_dict()["q1"]) == set(result.ids[0].tolist())


def test_properties_and_repr() -> None:
    docs, _ = exact_data("l2")
    index = DenseIndex(docs, metric="l2", dtype=np.float64)
    assert (len(index), index.dim, index.metric, index.dtype) == (N_DOCS, DIM, "l2", np.float64)
    assert index.ids.tolist() == [str(i) for i in range(N_DOCS)]
    assert not index.ids.flags.writeable
    assert repr(index) == "DenseIndex(n_docs=40, dim=8, metric='l2', dtype='float64')"


# ----------------------------------------------------------------------------- add / delete


@pytest.mark.parametrize("metric", METRICS)
def test_add_and_delete_equal_an_index_built_from_scratch(metric: str) -> None:
    docs, queries = exact_data(metric)
    ids = doc_ids(N_DOCS)
    index = DenseIndex(docs[:20], ids[:20], metric=metric, dtype="float64")
    index.add(docs[20:21], ids[20:21])
    for start in range(21, N_DOCS, 6):  # several appends, so the storage grows more than once
        index.add(docs[start : start + 6], ids[start : start + 6].tolist())
    deleted = ["d3", "d21", "d39", "d0"]
    index.delete(deleted)
    kept = ~np.isin(ids, deleted)
    scratch = DenseIndex(docs[kept], ids[kept], metric=metric, dtype="float64")
    assert len(index) == len(scratch) == N_DOCS - 4
    np.testing.assert_array_equal(index.ids, scratch.ids)
    for k, filter in [(5, None), (N_DOCS, None), (4, ["d1", "d2", "d22", "d30"])]:
        got, expected = (
            index.search(queries, k, filter=filter),
            scratch.search(queries, k, filter=filter),
        )
        for field in ("ids", "scores", "positions"):
            np.testing.assert_array_equal(getattr(got, field), getattr(expected, field))


def test_delete_everything_then_add_again() -> None:
    docs, queries = exact_data("dot")
    index = DenseIndex(docs[:3], ["a", "b", "c"], metric="dot")
    index.delete(np.array(["a", "b", "c"]))
    assert len(index) == 0
    empty = index.search(queries, 5)
    assert empty.ids.shape == empty.scores.shape == empty.positions.shape == (N_QUERIES, 0)
    index.add(docs[3:5], ["x", "y"])
    assert index.search(queries, 5).ids.shape == (N_QUERIES, 2)


def test_a_deleted_id_can_be_added_back() -> None:
    docs, _ = exact_data("dot")
    index = DenseIndex(docs[:3], ["a", "b", "c"], metric="dot")
    index.delete(["b"])
    index.add(docs[1:2], ["b"])
    assert index.ids.tolist() == ["a", "c", "b"]
    index.delete([])
    assert len(index) == 3


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_embeddings_name_row_and_column(bad: float) -> None:
    docs = np.ones((4, 3))
    docs[2, 1] = bad
    with raises_exactly(NonFiniteInputError, ValueError, match=r"\(2, 1\)"):
        DenseIndex(docs)


def test_values_that_overflow_float32_are_refused() -> None:
    docs = np.ones((2, 2))
    docs[1, 0] = 1e39
    with raises_exactly(NonFiniteInputError, ValueError, match=r"\(1, 0\)"):
        DenseIndex(docs)
    DenseIndex(docs, dtype="float64")  # fine in float64


def test_non_finite_queries_are_refused() -> None:
    index = DenseIndex(np.eye(3))
    with raises_exactly(NonFiniteInputError, ValueError, match="queries"):
        index.search([[1.0, np.nan, 0.0]])


def test_scores_that_would_overflow_are_refused() -> None:
    index = DenseIndex(np.full((2, 4), 1e20), metric="dot")
    with raises_exactly(RankValueError, ValueError, match="float32 range"):
        index.search(np.full(4, 1e20))
    DenseIndex(np.full((2, 4), 1e20), metric="dot", dtype="float64").search(np.full(4, 1e20))
    growing = DenseIndex(np.ones((2, 4)), ["a", "b"], metric="l2")
    growing.add(np.full((1, 4), 1e20), ["huge"])
    with raises_exactly(RankValueError, ValueError, match="float32 range"):
        growing.search(np.full(4, 1e19))
    growing.delete(["huge"])
    assert growing.search(np.full(4, 1e10), 1).ids.tolist() == [["a"]]


@pytest.mark.parametrize("shape", [(6,), (2, 3, 4)])
def test_embeddings_must_be_2d(shape: tuple[int, ...]) -> None:
    with raises_exactly(ShapeMismatchError, ValueError, match="2-D"):
        DenseIndex(np.ones(shape))


@pytest.mark.parametrize("shape", [(0, 4), (3, 0)])
def test_empty_embeddings_are_refused(shape: tuple[int, ...]) -> None:
    with raises_exactly(RankValueError, ValueError, match="at least one"):
        DenseIndex(np.ones(shape))


@pytest.mark.parametrize("embeddings", [[["a", "b"]], np.ones((2, 2), dtype=bool), [[1, 2], [3]]])
def test_non_numeric_embeddings_are_refused(embeddings: Any) -> None:
    with raises_exactly(RankTypeError, TypeError):
        DenseIndex(embeddings)


def test_query_dimension_mismatch_names_both_dimensions() -> None:
    index = DenseIndex(np.ones((3, 4)))
    with raises_exactly(ShapeMismatchError, ValueError, match="dimension 5 .* dimension 4"):
        index.search(np.ones((2, 5)))
    with raises_exactly(ShapeMismatchError, ValueError, match="1-D or 2-D"):
        index.search(np.ones((1, 2, 4)))


@pytest.mark.parametrize(
    ("k", "error", "builtin"),
    [
        (0, RankValueError, ValueError),
        (-3, RankValueError, ValueError),
        (2.0, RankTypeError, TypeError),
        (True, RankTypeError, TypeError),
    ],
)
def test_bad_k(k: Any, error: type[Exception], builtin: type[Exception]) -> None:
    with raises_exactly(error, builtin):
        DenseIndex(np.ones((3, 2))).search([1.0, 1.0], k)


@pytest.mark.parametrize(
    ("ids", "error", "builtin"),
    [
        ([1, 2, 3], RankTypeError, TypeError),
        (np.arange(3), RankTypeError, TypeError),
        ("abc", RankTypeError, TypeError),
        (["a", "b", "a"], RankValueError, ValueError),
        (["a", "b"], ShapeMismatchError, ValueError),
    ],
)
def test_bad_ids(ids: Any, error: type[Exception], builtin: type[Exception]) -> None:
    with raises_exactly(error, builtin):
        DenseIndex(np.ones((3, 2)), ids)


def test_zero_vectors_are_refused_for_cosine_only() -> None:
    docs = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    with raises_exactly(RankValueError, ValueError, match="row 1 is all zeros"):
        DenseIndex(docs)
    DenseIndex(docs, metric="dot")
    with raises_exactly(RankValueError, ValueError, match="queries row 0 is all zeros"):
        DenseIndex(docs[[0, 2]]).search([0.0, 0.0])


def test_unknown_id_in_a_filter_is_refused() -> None:
    index = DenseIndex(np.eye(3), ["a", "b", "c"])
    with raises_exactly(RankValueError, ValueError, match="'z'"):
        index.search(np.eye(3)[0], filter=["a", "z"])
    with raises_exactly(ShapeMismatchError, ValueError):
        index.search(np.eye(3)[0], filter=np.ones(4, dtype=bool))


@pytest.mark.parametrize(
    ("options", "error", "builtin"),
    [
        ({"metric": "cos"}, RankValueError, ValueError),
        ({"dtype": "int32"}, RankValueError, ValueError),
        ({"dtype": "float16"}, RankValueError, ValueError),
        ({"dtype": object()}, RankTypeError, TypeError),
    ],
)
def test_bad_index_options(
    options: dict[str, Any], error: type[Exception], builtin: type[Exception]
) -> None:
    with raises_exactly(error, builtin):
        DenseIndex(np.eye(2), **options)


@pytest.mark.parametrize(
    ("options", "error", "builtin"),
    [
        ({"threads": 0}, RankValueError, ValueError),
        ({"threads": 1.5}, RankTypeError, TypeError),
        ({"batch_size": 0}, RankValueError, ValueError),
        ({"batch_size": "8"}, RankTypeError, TypeError),
    ],
)
def test_bad_search_options(
    options: dict[str, Any], error: type[Exception], builtin: type[Exception]
) -> None:
    with raises_exactly(error, builtin):
        DenseIndex(np.eye(2)).search(np.eye(2), **options)


def test_bad_add() -> None:
    index = DenseIndex(np.eye(3), ["a", "b", "c"])
    with raises_exactly(RankTypeError, TypeError, match="needs ids"):
        index.add(np.eye(3)[:1], None)  # type: ignore[arg-type]
    with raises_exactly(RankValueError, ValueError, match="'b' is already in the index"):
        index.add(np.eye(3)[:2], ["x", "b"])
    with raises_exactly(ShapeMismatchError, ValueError, match="dimension 2 .* dimension 3"):
        index.add(np.ones((1, 2)), ["x"])
    with raises_exactly(ShapeMismatchError, ValueError):
        index.add(np.ones(3), ["x"])
    with raises_exactly(RankValueError, ValueError, match="all zeros"):
        index.add(np.zeros((1, 3)), ["x"])
    assert index.ids.tolist() == ["a", "b", "c"]


def test_bad_delete_changes_nothing() -> None:
    index = DenseIndex(np.eye(3), ["a", "b", "c"])
    with raises_exactly(RankValueError, ValueError, match="'z' is not in the index"):
        index.delete(["a", "z"])
    with raises_exactly(RankTypeError, TypeError):
        index.delete("a")
    with raises_exactly(RankTypeError, TypeError):
        index.delete(3)  # type: ignore[arg-type]
    assert index.ids.tolist() == ["a", "b", "c"]
