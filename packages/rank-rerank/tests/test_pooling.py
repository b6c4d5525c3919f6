"""Token pooling against naive oracles (reference_pooling.py), its conventions, quality, and bad input."""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_pooling import POOLERS, kmeans_pool, target_count, unit

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly
from rank_rerank import pooling
from rank_rerank.pooling import KMEANS_MAX_ITERATIONS, PooledTokens, pool_tokens, pool_tokens_batch

METHODS = ("ward", "kmeans", "sequential")
MAX_THREADS = min(2, numba.config.NUMBA_NUM_THREADS)


def gaussian_document(seed: int, n_tokens: int, dim: int, dtype: Any = np.float64) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n_tokens, dim)).astype(dtype)


def clustered_document(seed: int, n_clusters: int, size: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """``n_clusters * size`` shuffled tokens, ``size`` tightly around each of ``n_clusters``
    orthonormal directions (``n_clusters <= dim``); returns (tokens, the true cluster means)."""
    rng = np.random.default_rng(seed)
    centres = np.linalg.qr(rng.standard_normal((dim, n_clusters)))[0].T  # orthonormal directions
    tokens = np.repeat(centres, size, axis=0) + 0.01 * rng.standard_normal((n_clusters * size, dim))
    order = rng.permutation(len(tokens))
    labels = np.repeat(np.arange(n_clusters), size)
    means = np.array([tokens[labels == c].mean(axis=0) for c in range(n_clusters)])
    return tokens[order], means


def maxsim(query: np.ndarray, doc: np.ndarray) -> float:
    return float((query @ doc.T).max(axis=1).sum())


def same_rows_any_order(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """Every row of ``a`` matches a distinct row of ``b`` (same shapes)."""
    if a.shape != b.shape:
        return False
    unused = list(range(len(b)))
    for row in a:
        match = next((j for j in unused if np.allclose(row, b[j], rtol=0, atol=tol)), None)
        if match is None:
            return False
        unused.remove(match)
    return True


documents = st.builds(
    gaussian_document,
    seed=st.integers(0, 2**32 - 1),
    n_tokens=st.integers(1, 40),
    dim=st.integers(2, 12),  # in one dimension all directions tie (see test_duplicate_tokens)
)
pool_factors = st.integers(1, 5)
protected_counts = st.integers(0, 3)


# ----------------------------------------------------------------------------------- oracles


@pytest.mark.parametrize("method", METHODS)
@settings(deadline=None, max_examples=60)
@given(tokens=documents, pool_factor=pool_factors, protected=protected_counts)
def test_each_method_equals_its_naive_reference(
    method: str, tokens: np.ndarray, pool_factor: int, protected: int
) -> None:
    ours = pool_tokens(tokens, pool_factor, method=method, protected_tokens=protected)
    expected = POOLERS[method](tokens, pool_factor, protected)
    assert KMEANS_MAX_ITERATIONS == 20  # the reference's default
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
@settings(deadline=None, max_examples=25)
@given(tokens=documents, pool_factor=pool_factors, protected=protected_counts)
def test_float32_input_pools_to_float32_close_to_the_reference(
    method: str, tokens: np.ndarray, pool_factor: int, protected: int
) -> None:
    tokens32 = tokens.astype(np.float32)
    ours = pool_tokens(tokens32, pool_factor, method=method, protected_tokens=protected)
    assert ours.dtype == np.float32
    expected = POOLERS[method](tokens32, pool_factor, protected)
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-5)


@settings(deadline=None, max_examples=30)
@given(tokens=documents, pool_factor=st.integers(2, 5), max_iterations=st.integers(0, 2))
def test_kmeans_stops_after_max_iterations_like_the_reference(
    tokens: np.ndarray, pool_factor: int, max_iterations: int
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pooling, "KMEANS_MAX_ITERATIONS", max_iterations)
        ours = pool_tokens(tokens, pool_factor, method="kmeans")
    np.testing.assert_allclose(ours, kmeans_pool(tokens, pool_factor, 0, max_iterations), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_output_count_follows_the_floor_convention(method: str) -> None:
    for n_tokens in range(1, 30):
        for pool_factor in (1, 2, 3, 7):
            for protected in (0, 1, 2):
                tokens = gaussian_document(n_tokens, n_tokens, 6)
                pooled = pool_tokens(tokens, pool_factor, method=method, protected_tokens=protected)
                kept = min(n_tokens, protected)
                assert len(pooled) == kept + target_count(n_tokens - kept, pool_factor)


# --------------------------------------------------------------------------------- conventions


@pytest.mark.parametrize("method", METHODS)
def test_protected_tokens_are_copied_exactly_at_the_front(method: str) -> None:
    tokens = gaussian_document(1, 25, 8, np.float32)
    pooled = pool_tokens(tokens, 3, method=method, protected_tokens=2)
    np.testing.assert_array_equal(pooled[:2], tokens[:2])
    np.testing.assert_allclose(pooled[2:], pool_tokens(tokens[2:], 3, method=method), rtol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_all_tokens_protected_returns_a_copy(method: str) -> None:
    tokens = gaussian_document(2, 3, 4)
    pooled = pool_tokens(tokens, 2, method=method, protected_tokens=5)
    np.testing.assert_array_equal(pooled, tokens)
    assert not np.shares_memory(pooled, tokens)


@pytest.mark.parametrize("method", METHODS)
def test_pool_factor_one_and_single_tokens_are_returned_unchanged(method: str) -> None:
    tokens = gaussian_document(3, 9, 5)
    copy = pool_tokens(tokens, 1, method=method)
    np.testing.assert_array_equal(copy, tokens)
    assert not np.shares_memory(copy, tokens)
    np.testing.assert_array_equal(pool_tokens(tokens[:1], 4, method=method), tokens[:1])


@pytest.mark.parametrize("method", METHODS)
def test_a_document_shorter_than_the_pool_factor_becomes_its_mean(method: str) -> None:
    tokens = gaussian_document(4, 3, 5)
    np.testing.assert_allclose(pool_tokens(tokens, 4, method=method), tokens.mean(axis=0, keepdims=True))


@pytest.mark.parametrize("method", METHODS)
def test_float16_and_integer_inputs(method: str) -> None:
    tokens = gaussian_document(5, 12, 6, np.float16)
    pooled = pool_tokens(tokens, 2, method=method)
    assert pooled.dtype == np.float32
    np.testing.assert_array_equal(pooled, pool_tokens(tokens.astype(np.float32), 2, method=method))
    integers = np.arange(24).reshape(8, 3) % 5
    pooled = pool_tokens(integers, 2, method=method)
    assert pooled.dtype == np.float32  # integers are read as float32, as everywhere in the package
    np.testing.assert_array_equal(pooled, pool_tokens(integers.astype(np.float32), 2, method=method))


@pytest.mark.parametrize("method", METHODS)
def test_non_contiguous_input_and_nested_lists(method: str) -> None:
    wide = gaussian_document(6, 10, 12)
    strided = wide[:, ::2]
    np.testing.assert_array_equal(
        pool_tokens(strided, 3, method=method), pool_tokens(np.ascontiguousarray(strided), 3, method=method)
    )
    np.testing.assert_array_equal(pool_tokens(strided.tolist(), 3, method=method), pool_tokens(strided, 3, method=method))


def test_pooled_vectors_are_means_in_first_token_order_not_renormalised() -> None:
    # two directions, interleaved: a a b a b b -> clusters {0,1,3} and {2,4,5}
    a, b = np.array([1.0, 0.0]), np.array([0.0, 2.0])
    tokens = np.array([a, 1.1 * a, b, 0.9 * a, 0.5 * b, b])
    expected = np.array([(a + 1.1 * a + 0.9 * a) / 3, (b + 0.5 * b + b) / 3])
    for method in ("ward", "kmeans"):
        np.testing.assert_allclose(pool_tokens(tokens, 3, method=method), expected)


def test_duplicate_tokens() -> None:
    """kmeans always returns the target count (empty clusters refilled); ward follows fcluster,
    which merges tied clusters, so identical tokens may pool to fewer vectors."""
    tokens = np.tile(np.array([[0.6, 0.8, 0.0]]), (8, 1))
    kmeans = pool_tokens(tokens, 2, method="kmeans")
    assert kmeans.shape == (4, 3)
    np.testing.assert_allclose(kmeans, np.broadcast_to(tokens[0], kmeans.shape))
    ward = pool_tokens(tokens, 2, method="ward")
    assert 1 <= len(ward) <= 4
    np.testing.assert_allclose(ward, np.broadcast_to(tokens[0], ward.shape))
    two_values = np.array([[1.0, 0.0]] * 5 + [[0.0, 1.0]] * 5)
    assert pool_tokens(two_values, 3, method="kmeans").shape == (3, 2)


@pytest.mark.parametrize("method", METHODS)
def test_zero_vectors_give_finite_results(method: str) -> None:
    tokens = gaussian_document(7, 10, 4)
    tokens[[2, 5, 6]] = 0.0
    pooled = pool_tokens(tokens, 2, method=method)
    assert np.isfinite(pooled).all()
    np.testing.assert_allclose(pooled, POOLERS[method](tokens, 2, 0), atol=1e-12)


# ---------------------------------------------------------------------------------- quality


@pytest.mark.parametrize("method", ["ward", "kmeans"])
@settings(deadline=None, max_examples=30)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_clusters=st.integers(1, 12),
    size=st.integers(2, 5),
    dim=st.integers(12, 32),
)
def test_separated_clusters_are_recovered_and_maxsim_is_kept(
    method: str, seed: int, n_clusters: int, size: int, dim: int
) -> None:
    tokens, means = clustered_document(seed, n_clusters, size, dim)
    pooled = pool_tokens(tokens, size, method=method)
    assert same_rows_any_order(pooled, means, tol=1e-9)
    queries = unit(np.random.default_rng(seed + 1).standard_normal((5, 4, dim)).reshape(-1, dim)).reshape(5, 4, dim)
    for query in queries:
        original = maxsim(query, tokens)
        assert abs(maxsim(query, pooled) - original) <= 0.05 * len(query)


def test_sequential_pools_runs_of_consecutive_tokens() -> None:
    tokens = gaussian_document(8, 18, 16)
    np.testing.assert_allclose(pool_tokens(tokens, 3, method="sequential"), tokens.reshape(6, 3, 16).mean(axis=1))
    uneven = pool_tokens(tokens[:8], 3, method="sequential")  # 8 tokens, 2 runs: [0, 4) and [4, 8)
    np.testing.assert_allclose(uneven, tokens[:8].reshape(2, 4, 16).mean(axis=1))


# ------------------------------------------------------------------------------------- batch


@st.composite
def batches(draw: Any) -> list[np.ndarray]:
    dim = draw(st.integers(1, 10))
    sizes = draw(st.lists(st.integers(1, 30), min_size=0, max_size=8))
    seed = draw(st.integers(0, 2**32 - 1))
    return [gaussian_document(seed + i, n, dim) for i, n in enumerate(sizes)]


@pytest.mark.parametrize("method", METHODS)
@settings(deadline=None, max_examples=30)
@given(docs=batches(), pool_factor=pool_factors, protected=protected_counts)
def test_batch_equals_per_document_calls_in_every_input_form_and_thread_count(
    method: str, docs: list[np.ndarray], pool_factor: int, protected: int
) -> None:
    options = {"method": method, "protected_tokens": protected}
    result = pool_tokens_batch(docs, pool_factor, **options)
    assert isinstance(result, PooledTokens)
    assert result.offsets.dtype == np.int64 and result.offsets[0] == 0
    assert len(result.offsets) == len(docs) + 1
    for doc, pooled in zip(docs, result.split(), strict=True):
        np.testing.assert_array_equal(pooled, pool_tokens(doc, pool_factor, **options))
    if not docs:
        return
    lengths = [len(doc) for doc in docs]
    flat = np.concatenate(docs)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    for threads in range(1, MAX_THREADS + 1):
        again = pool_tokens_batch(flat, pool_factor, offsets=offsets, threads=threads, **options)
        np.testing.assert_array_equal(again.tokens, result.tokens)
        np.testing.assert_array_equal(again.offsets, result.offsets)


@pytest.mark.parametrize("method", METHODS)
def test_batch_runs_in_chunks_with_a_progress_bar(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [gaussian_document(i, 5 + i % 7, 4, np.float32) for i in range(11)]
    expected = pool_tokens_batch(docs, 2, method=method, show_progress=False)
    monkeypatch.setattr(pooling, "_CHUNK_DOCS", 3)
    for threads in range(1, MAX_THREADS + 1):
        chunked = pool_tokens_batch(docs, 2, method=method, show_progress=True, threads=threads)
        np.testing.assert_array_equal(chunked.tokens, expected.tokens)
        np.testing.assert_array_equal(chunked.offsets, expected.offsets)


def test_batch_mixed_dtypes_and_three_dimensional_input() -> None:
    docs32 = [gaussian_document(i, 6, 4, np.float32) for i in range(3)]
    assert pool_tokens_batch(docs32, 2, method="kmeans").tokens.dtype == np.float32
    mixed = [docs32[0], docs32[1].astype(np.float64), docs32[2].astype(np.float16)]
    assert pool_tokens_batch(mixed, 2, method="kmeans").tokens.dtype == np.float64
    stacked = np.stack(docs32)
    np.testing.assert_array_equal(
        pool_tokens_batch(stacked, 2, method="sequential").tokens, pool_tokens_batch(docs32, 2, method="sequential").tokens
    )


def test_empty_batches() -> None:
    for method in METHODS:
        empty = pool_tokens_batch([], 2, method=method)
        assert empty.tokens.shape == (0, 0) and empty.offsets.tolist() == [0]
        assert empty.split() == []
        flat = pool_tokens_batch(np.zeros((0, 5), np.float32), 2, method=method, offsets=[0])
        assert flat.tokens.shape == (0, 5) and flat.tokens.dtype == np.float32 and flat.offsets.tolist() == [0]


# --------------------------------------------------------------------------------- bad input


def test_bad_pool_factor() -> None:
    tokens = gaussian_document(0, 4, 3)
    for bad in (2.0, True, "2", None):
        with raises_exactly(RankTypeError, TypeError, match="pool_factor must be an int, got"):
            pool_tokens(tokens, bad)
    for bad in (0, -2):
        with raises_exactly(RankValueError, ValueError, match="pool_factor must be >= 1"):
            pool_tokens_batch([tokens], bad)


def test_bad_method_and_protected_tokens() -> None:
    tokens = gaussian_document(0, 4, 3)
    with raises_exactly(RankValueError, ValueError, match="method must be one of 'ward', 'kmeans', 'sequential'"):
        pool_tokens(tokens, method="average")
    with raises_exactly(RankValueError, ValueError, match="protected_tokens must be >= 0"):
        pool_tokens(tokens, protected_tokens=-1)
    with raises_exactly(RankTypeError, TypeError, match="protected_tokens must be a non-negative int"):
        pool_tokens_batch([tokens], protected_tokens=1.5)


def test_bad_threads() -> None:
    with raises_exactly(RankValueError, ValueError, match="threads must be between 1"):
        pool_tokens_batch([gaussian_document(0, 4, 3)], threads=0)
    with raises_exactly(RankTypeError, TypeError, match="threads must be an int or None"):
        pool_tokens_batch([gaussian_document(0, 4, 3)], threads="2")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_name_the_argument_and_position(bad: float) -> None:
    tokens = gaussian_document(0, 5, 3)
    tokens[3, 1] = bad
    with raises_exactly(NonFiniteInputError, ValueError, match=r"tokens must not contain NaN or infinity; found .* at index \(3, 1\)"):
        pool_tokens(tokens)
    docs = [gaussian_document(1, 4, 3), tokens]
    with raises_exactly(NonFiniteInputError, ValueError, match=r"docs\[1\] holds .* at token 3, component 1"):
        pool_tokens_batch(docs)
    flat = np.concatenate(docs).astype(np.float16)
    with raises_exactly(NonFiniteInputError, ValueError, match=r"docs\[1\] holds .* at token 3, component 1"):
        pool_tokens_batch(flat, offsets=[0, 4, 9], method="sequential")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_non_finite_position_is_found(dtype: Any) -> None:
    tokens = gaussian_document(0, 6, 33, dtype)
    for bad in (np.nan, np.inf, -np.inf):
        for row, column in ((0, 0), (5, 32), (4, 17)):
            values = tokens.copy()
            values[row, column] = bad
            doc, token = divmod(row, 3)
            where = rf"docs\[{doc}\] holds .* at token {token}, component {column};"
            with raises_exactly(NonFiniteInputError, ValueError, match=where):
                pool_tokens_batch(values, offsets=[0, 3, 6], method="sequential")
            with raises_exactly(NonFiniteInputError, ValueError, match=where):
                pool_tokens_batch([values[:3], values[3:]], method="kmeans")


def test_empty_documents_are_rejected_by_index() -> None:
    with raises_exactly(RankValueError, ValueError, match=r"tokens has no tokens \(shape \(0, 3\)\)"):
        pool_tokens(np.zeros((0, 3)))
    with raises_exactly(RankValueError, ValueError, match=r"docs\[1\] has no tokens"):
        pool_tokens_batch([np.ones((2, 3)), np.zeros((0, 3))])
    with raises_exactly(RankValueError, ValueError, match=r"docs\[1\] has no tokens"):
        pool_tokens_batch(np.ones((4, 3)), offsets=[0, 2, 2, 4])


def test_bad_offsets() -> None:
    flat = np.ones((6, 3))
    with raises_exactly(ShapeMismatchError, ValueError, match=r"offsets must start at 0 .* got first=1"):
        pool_tokens_batch(flat, offsets=[1, 3, 6])
    with raises_exactly(ShapeMismatchError, ValueError, match=r"non-decreasing; offsets\[2\]=3 < offsets\[1\]=4"):
        pool_tokens_batch(flat, offsets=[0, 4, 3, 6])
    with raises_exactly(ShapeMismatchError, ValueError, match=r"end at the number of token rows \(6\); got first=0, last=5"):
        pool_tokens_batch(flat, offsets=[0, 2, 5])
    with raises_exactly(ShapeMismatchError, ValueError, match="length=0"):
        pool_tokens_batch(flat, offsets=[])
    with raises_exactly(ShapeMismatchError, ValueError, match="offsets must be 1-dimensional"):
        pool_tokens_batch(flat, offsets=[[0, 6]])
    with raises_exactly(RankValueError, ValueError, match="offsets must hold integers"):
        pool_tokens_batch(flat, offsets=[0, 2.5, 6])


def test_bad_shapes() -> None:
    with raises_exactly(ShapeMismatchError, ValueError, match="tokens must be 2-dimensional"):
        pool_tokens(np.ones(5))
    with raises_exactly(ShapeMismatchError, ValueError, match="at least one column"):
        pool_tokens(np.ones((4, 0)))
    with raises_exactly(ShapeMismatchError, ValueError, match="at least one column"):
        pool_tokens_batch([np.ones((4, 0))])
    with raises_exactly(ShapeMismatchError, ValueError, match=r"docs\[2\] has dimension 4, but docs\[0\] has 3"):
        pool_tokens_batch([np.ones((2, 3)), np.ones((5, 3)), np.ones((2, 4))])
    with raises_exactly(ShapeMismatchError, ValueError, match="with offsets"):
        pool_tokens_batch(np.ones((6, 3)))
    with raises_exactly(ShapeMismatchError, ValueError, match=r"docs\[0\] must be 2-dimensional"):
        pool_tokens_batch([np.ones(3)])
    with raises_exactly(ShapeMismatchError, ValueError, match="docs must be 2-dimensional"):
        pool_tokens_batch([np.ones((2, 3))], offsets=[0, 2])


def test_bad_types() -> None:
    with raises_exactly(RankTypeError, TypeError, match="docs must be a list of"):
        pool_tokens_batch(42)
    with raises_exactly(RankTypeError, TypeError, match="tokens must hold numbers"):
        pool_tokens(np.array([["a", "b"]]))
    with raises_exactly(RankTypeError, TypeError, match="could not be read as an array"):
        pool_tokens([[1.0, 2.0], [3.0]])
