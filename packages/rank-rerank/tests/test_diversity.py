"""MMR and DPP against naive oracles (reference_diversity.py), their properties, and bad input."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_diversity import dpp_reference, mmr_reference, similarity_matrix

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly
from rank_rerank.diversity import dpp, mmr

METRICS = ("cosine", "dot")


class Candidates(NamedTuple):
    scores: np.ndarray
    embeddings: np.ndarray


@st.composite
def candidates(draw: Any, max_n: int = 30, max_dim: int = 12, zero_rows: bool = True) -> Candidates:
    """Continuous random scores and Gaussian embeddings (from a drawn seed), sometimes with a zero row."""
    n = draw(st.integers(0, max_n))
    dim = draw(st.integers(1, max_dim))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scores = rng.normal(size=n)
    embeddings = rng.normal(size=(n, dim))
    if zero_rows and n > 1 and draw(st.booleans()):
        embeddings[rng.integers(n)] = 0.0
    return Candidates(scores, embeddings)


def assert_same_selection(ours: np.ndarray, expected: list[int], margins: list[float], tol: float) -> None:
    """``ours`` equals the oracle's selection, except after a step the oracle decided by less than
    ``tol`` (rounding in another order of operations may flip it): from there on only the prefix
    before that step is compared. On the first step no similarity enters the objectives (MMR) or
    only the exact cosine diagonal (DPP), so a tie there is exact on both sides and must be decided
    by the tie rule."""
    assert ours.dtype == np.int64
    near_ties = [
        step for step, margin in enumerate(margins) if margin < tol and (step > 0 or margin > 0)
    ]
    if near_ties:
        first = near_ties[0]
        assert ours[:first].tolist() == expected[:first]
    else:
        assert ours.tolist() == expected


def top_k_by_relevance(scores: np.ndarray, k: int) -> list[int]:
    """Indices by score descending, ties by index ascending."""
    return np.lexsort((np.arange(len(scores)), -np.asarray(scores)))[:k].tolist()


# ----------------------------------------------------------------------------- MMR vs oracle


@settings(deadline=None, max_examples=150)
@given(
    data=candidates(),
    k=st.integers(0, 35),
    diversity=st.floats(0.0, 1.0),
    metric=st.sampled_from(METRICS),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_mmr_matches_reference(data: Candidates, k: int, diversity: float, metric: str, dtype: Any) -> None:
    embeddings = data.embeddings.astype(dtype)
    ours = mmr(data.scores, embeddings, k, diversity=diversity, similarity=metric)
    expected, margins = mmr_reference(data.scores, similarity_matrix(embeddings, metric), k, diversity)
    assert len(ours) == min(k, len(data.scores))
    assert len(set(ours.tolist())) == len(ours)
    assert_same_selection(ours, expected, margins, tol=1e-6 if dtype == np.float64 else 1e-5)


@settings(deadline=None, max_examples=100)
@given(
    n=st.integers(0, 25),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 30),
    diversity=st.floats(0.0, 1.0),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_mmr_similarity_matrix_matches_reference(
    n: int, seed: int, k: int, diversity: float, dtype: Any
) -> None:
    """Any matrix, not only symmetric ones: sim(i, j) is similarity_matrix[i, j]."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=n)
    similarity = rng.uniform(-1, 1, size=(n, n)).astype(dtype)
    ours = mmr(scores, k=k, diversity=diversity, similarity_matrix=similarity)
    expected, margins = mmr_reference(scores, similarity.astype(np.float64), k, diversity)
    assert_same_selection(ours, expected, margins, tol=1e-9)


@settings(deadline=None, max_examples=100)
@given(
    n=st.integers(1, 25),
    dim=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 30),
    diversity=st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
)
def test_mmr_similarity_matrix_path_equals_embeddings_path(
    n: int, dim: int, seed: int, k: int, diversity: float
) -> None:
    """Small integer vectors: every inner product and objective is exact on both paths, so the
    selections must be identical, ties (many here) included."""
    rng = np.random.default_rng(seed)
    scores = rng.integers(-3, 4, size=n).astype(np.float64)
    embeddings = rng.integers(-2, 3, size=(n, dim)).astype(np.float64)
    from_embeddings = mmr(scores, embeddings, k, diversity=diversity, similarity="dot")
    from_matrix = mmr(scores, k=k, diversity=diversity, similarity_matrix=embeddings @ embeddings.T)
    assert from_embeddings.tolist() == from_matrix.tolist()
    expected, _ = mmr_reference(scores, embeddings @ embeddings.T, k, diversity)
    assert from_embeddings.tolist() == expected


# ----------------------------------------------------------------------------- MMR properties


@settings(deadline=None, max_examples=60)
@given(n=st.integers(0, 30), seed=st.integers(0, 2**32 - 1), k=st.integers(0, 35))
def test_mmr_without_diversity_is_top_k_by_relevance(n: int, seed: int, k: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=n).astype(np.float64)  # many ties: broken by index
    embeddings = rng.normal(size=(n, 5))
    assert mmr(scores, embeddings, k, diversity=0.0).tolist() == top_k_by_relevance(scores, k)


def test_mmr_prefers_a_novel_candidate_to_a_duplicate() -> None:
    scores = [1.0, 0.99, 0.5]
    embeddings = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]  # 1 duplicates 0; 2 is new
    assert mmr(scores, embeddings, 2, diversity=0.5).tolist() == [0, 2]
    assert mmr(scores, embeddings, 2, diversity=0.0).tolist() == [0, 1]


def test_mmr_ties_go_to_higher_relevance_then_lower_index() -> None:
    scores = [0.5, 0.9, 0.9]
    embeddings = np.eye(3)
    # diversity 1: every objective ties at each step (0, then -max similarity = 0)
    assert mmr(scores, embeddings, 3, diversity=1.0).tolist() == [1, 2, 0]
    assert mmr(scores, embeddings, 3, diversity=0.0).tolist() == [1, 2, 0]


def test_mmr_cosine_of_a_zero_vector_is_zero() -> None:
    scores = [1.0, 0.5, 0.9]
    embeddings = [[1.0, 0.0], [0.0, 0.0], [1.0, 0.0]]
    # after 0: the zero vector scores 0.5 * 0.5 - 0.5 * 0, the duplicate 0.5 * 0.9 - 0.5 * 1
    assert mmr(scores, embeddings, 3, diversity=0.5).tolist() == [0, 1, 2]


def test_mmr_rewards_negative_similarity() -> None:
    """The max over the selected set is not clamped at 0: an opposite vector gains."""
    scores = [1.0, 0.5, 0.6]
    embeddings = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]
    # after 0: 1 scores 0.25 + 0.5, 2 scores 0.3 - 0
    assert mmr(scores, embeddings, 2, diversity=0.5).tolist() == [0, 1]


@pytest.mark.parametrize("metric", METRICS)
def test_mmr_float16_is_computed_like_float32(metric: str) -> None:
    rng = np.random.default_rng(3)
    scores = rng.normal(size=40)
    half = rng.normal(size=(40, 16)).astype(np.float16)
    expected = mmr(scores, half.astype(np.float32), 15, diversity=0.6, similarity=metric)
    assert mmr(scores, half, 15, diversity=0.6, similarity=metric).tolist() == expected.tolist()


@pytest.mark.parametrize(("dtype", "scale"), [(np.float64, 2.0**600), (np.float64, 2.0**-600), (np.float32, 2.0**60), (np.float32, 2.0**-60)])
def test_mmr_cosine_ignores_extreme_magnitudes(dtype: Any, scale: float) -> None:
    """Squared norms that overflow or underflow the accumulator still normalise correctly."""
    rng = np.random.default_rng(4)
    scores = rng.normal(size=30)
    embeddings = rng.normal(size=(30, 8))
    expected, margins = mmr_reference(scores, similarity_matrix(embeddings, "cosine"), 12, 0.7)
    ours = mmr(scores, (embeddings * scale).astype(dtype), 12, diversity=0.7)
    assert_same_selection(ours, expected, margins, tol=1e-5)


def test_mmr_dot_products_beyond_float32_use_float64() -> None:
    rng = np.random.default_rng(5)
    scores = rng.normal(size=20)
    big = (rng.normal(size=(20, 8)) * 1e20).astype(np.float32)  # inner products ~1e40
    ours = mmr(scores, big, 10, diversity=0.5, similarity="dot")
    assert ours.tolist() == mmr(scores, big.astype(np.float64), 10, diversity=0.5, similarity="dot").tolist()
    assert ours.tolist() != top_k_by_relevance(scores, 10)  # the similarities did count


@pytest.mark.parametrize("function", [mmr, dpp])
def test_sizes(function: Any) -> None:
    scores = [0.3, 0.2, 0.1]
    embeddings = np.eye(3)
    assert function(scores, embeddings, 0).tolist() == []
    assert sorted(function(scores, embeddings, 10).tolist()) == [0, 1, 2]
    for empty in ([], np.empty((0, 4)), np.empty((0, 0))):
        result = function([], empty, 5)
        assert result.dtype == np.int64 and result.size == 0
    assert mmr([], k=5, similarity_matrix=[]).size == 0
    assert function([1.0], [[2.0]], 1).tolist() == [0]


# ----------------------------------------------------------------------------- DPP vs oracle


@settings(deadline=None, max_examples=150)
@given(
    data=candidates(max_n=20, max_dim=10),
    k=st.integers(0, 25),
    # the oracle forms exp(alpha * score): a tinier alpha rounds every quality to 1.0 there
    alpha=st.one_of(st.just(0.0), st.floats(0.01, 3.0)),
    metric=st.sampled_from(METRICS),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_dpp_matches_reference(data: Candidates, k: int, alpha: float, metric: str, dtype: Any) -> None:
    embeddings = data.embeddings.astype(dtype)
    ours = dpp(data.scores, embeddings, k, alpha=alpha, similarity=metric)
    expected, margins = dpp_reference(
        data.scores, similarity_matrix(embeddings, metric), k, alpha, 1e-10
    )
    assert len(set(ours.tolist())) == len(ours) <= min(k, embeddings.shape[1])
    assert_same_selection(ours, expected, margins, tol=1e-6)


# ----------------------------------------------------------------------------- DPP properties


@settings(deadline=None, max_examples=100)
@given(
    n_distinct=st.integers(1, 10),
    n_copies=st.integers(1, 15),
    dim=st.integers(1, 8),
    seed=st.integers(0, 2**32 - 1),
    alpha=st.floats(0.0, 30.0),
    metric=st.sampled_from(METRICS),
)
def test_dpp_never_selects_a_duplicate(
    n_distinct: int, n_copies: int, dim: int, seed: int, alpha: float, metric: str
) -> None:
    """Copies (scaled, for cosine) of selected vectors are never picked, however relevant."""
    rng = np.random.default_rng(seed)
    origin = np.concatenate([np.arange(n_distinct), rng.integers(0, n_distinct, n_copies)])
    embeddings = rng.normal(size=(n_distinct, dim))[origin]
    if metric == "cosine":
        embeddings *= rng.uniform(0.1, 10.0, size=(len(origin), 1))
    scores = rng.normal(size=len(origin))
    scores[n_distinct:] += 3.0  # the copies are the most relevant
    selected = dpp(scores, embeddings, len(origin), alpha=alpha, similarity=metric)
    assert len(set(origin[selected].tolist())) == len(selected) > 0


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("rank", [1, 3, 6])
def test_dpp_returns_at_most_the_rank(metric: str, rank: int) -> None:
    rng = np.random.default_rng(rank)
    embeddings = rng.normal(size=(40, rank)) @ rng.normal(size=(rank, 16))
    scores = rng.normal(size=40)
    assert len(dpp(scores, embeddings, 10, similarity=metric)) == rank
    assert len(dpp(scores, embeddings, rank - 1, similarity=metric)) == rank - 1


def test_dpp_on_orthogonal_vectors_is_top_k_by_relevance() -> None:
    scores = [0.1, 0.7, 0.7, -2.0, 0.9]
    for alpha in (0.01, 1.0, 1e6):
        assert dpp(scores, np.eye(5), 4, alpha=alpha).tolist() == [4, 1, 2, 0]
    assert dpp(scores, np.eye(5), 4, alpha=0.0).tolist() == [0, 1, 2, 3]  # all tie: index order


def test_dpp_alpha_zero_ignores_relevance() -> None:
    rng = np.random.default_rng(6)
    embeddings = rng.normal(size=(30, 12))
    selections = {
        tuple(dpp(rng.normal(size=30), embeddings, 8, alpha=0.0, similarity=metric).tolist())
        for metric in METRICS
        for _ in range(3)
    }
    assert len(selections) == 2  # one per metric


def test_dpp_large_alpha_is_top_k_by_relevance_without_overflow() -> None:
    """log-space weights: exp(alpha * score) would overflow here, the selection does not."""
    rng = np.random.default_rng(7)
    scores = rng.normal(size=50) * 100
    embeddings = rng.normal(size=(50, 20))
    assert dpp(scores, embeddings, 10, alpha=1e6).tolist() == top_k_by_relevance(scores, 10)


def test_dpp_epsilon_is_relative_to_the_squared_norm() -> None:
    # the second vector's squared distance to the first's span is 1e-8 of its squared norm
    for scale in (1.0, 1e6):
        embeddings = np.array([[1.0, 0.0], [1.0, 1e-4]]) * scale
        assert dpp([1.0, 1.0], embeddings, 2, similarity="dot").tolist() == [1, 0]
        assert dpp([1.0, 1.0], embeddings, 2, similarity="dot", epsilon=1e-6).tolist() == [1]


def test_dpp_never_selects_a_zero_vector() -> None:
    for metric in METRICS:
        assert dpp([5.0, 0.0, 1.0], [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]], 3, similarity=metric).tolist() == [1]


def test_dpp_float16_is_exact() -> None:
    rng = np.random.default_rng(8)
    half = rng.normal(size=(40, 16)).astype(np.float16)
    scores = rng.normal(size=40)
    expected = dpp(scores, half.astype(np.float64), 12)
    assert dpp(scores, half, 12).tolist() == expected.tolist()


@pytest.mark.parametrize("scale", [2.0**600, 2.0**-600])
def test_dpp_cosine_ignores_extreme_magnitudes(scale: float) -> None:
    rng = np.random.default_rng(9)
    scores = rng.normal(size=25)
    embeddings = rng.normal(size=(25, 10))
    expected, margins = dpp_reference(scores, similarity_matrix(embeddings, "cosine"), 8, 1.0, 1e-10)
    assert_same_selection(dpp(scores, embeddings * scale, 8), expected, margins, tol=1e-6)


# ----------------------------------------------------------------------------- bad input

SCORES = [0.3, 0.2, 0.1]
VECTORS = np.eye(3)


@pytest.mark.parametrize("function", [mmr, dpp])
@pytest.mark.parametrize(
    ("kwargs", "error", "builtin", "match"),
    [
        ({"query_scores": [[0.1, 0.2, 0.3]]}, ShapeMismatchError, ValueError, "query_scores must be 1-dimensional"),
        ({"query_scores": [0.1, 0.2]}, ShapeMismatchError, ValueError, "2 query_scores but 3 rows"),
        ({"doc_embeddings": [1.0, 2.0, 3.0]}, ShapeMismatchError, ValueError, "doc_embeddings must be 2-dimensional"),
        ({"doc_embeddings": np.empty((3, 0))}, RankValueError, ValueError, "at least one column"),
        ({"query_scores": [0.1, np.nan, 0.3]}, NonFiniteInputError, ValueError, r"query_scores .* at index 1"),
        ({"doc_embeddings": [[0.0, 1.0], [np.inf, 0.0], [1.0, 1.0]]}, NonFiniteInputError, ValueError, r"doc_embeddings .* at index \(1, 0\)"),
        ({"doc_embeddings": [["a", "b"]] * 3}, RankTypeError, TypeError, "doc_embeddings must hold numbers"),
        ({"doc_embeddings": [[1.0, 2.0], [1.0], [3.0, 4.0]]}, RankTypeError, TypeError, "doc_embeddings could not be read"),
        ({"query_scores": [True, False, True]}, RankTypeError, TypeError, "query_scores must hold numbers"),
        ({"k": -1}, RankValueError, ValueError, "k must be >= 0"),
        ({"k": 2.5}, RankTypeError, TypeError, "k must be a non-negative int"),
        ({"k": True}, RankTypeError, TypeError, "k must be a non-negative int"),
        ({"similarity": "l2"}, RankValueError, ValueError, "similarity must be one of 'dot', 'cosine'"),
        ({"doc_embeddings": [[1e200, 0.0], [0.0, 1.0], [1.0, 0.0]], "similarity": "dot"}, RankValueError, ValueError, "too large for inner products"),
    ],
)
def test_bad_input(function: Any, kwargs: dict[str, Any], error: type, builtin: type, match: str) -> None:
    arguments = {"query_scores": SCORES, "doc_embeddings": VECTORS, "k": 2, **kwargs}
    with raises_exactly(error, builtin, match=match):
        function(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "builtin", "match"),
    [
        ({"diversity": 1.5}, RankValueError, ValueError, r"diversity must be in \[0.0, 1.0\]"),
        ({"diversity": -0.1}, RankValueError, ValueError, "diversity must be in"),
        ({"diversity": np.nan}, NonFiniteInputError, ValueError, "diversity must be finite"),
        ({"diversity": "high"}, RankTypeError, TypeError, "diversity must be a real number"),
        ({"doc_embeddings": None}, RankValueError, ValueError, "exactly one of .* got neither"),
        ({"similarity_matrix": np.eye(3)}, RankValueError, ValueError, "exactly one of .* got both"),
        ({"doc_embeddings": None, "similarity_matrix": np.ones((3, 2))}, ShapeMismatchError, ValueError, r"shape \(3, 3\)"),
        ({"doc_embeddings": None, "similarity_matrix": np.eye(4)}, ShapeMismatchError, ValueError, r"shape \(3, 3\)"),
        ({"doc_embeddings": None, "similarity_matrix": [[0.0, 1.0, np.nan]] * 3}, NonFiniteInputError, ValueError, r"similarity_matrix .* at index \(0, 2\)"),
    ],
)
def test_mmr_bad_input(kwargs: dict[str, Any], error: type, builtin: type, match: str) -> None:
    arguments = {"query_scores": SCORES, "doc_embeddings": VECTORS, "k": 2, **kwargs}
    with raises_exactly(error, builtin, match=match):
        mmr(**arguments)


@pytest.mark.parametrize(
    ("kwargs", "error", "builtin", "match"),
    [
        ({"alpha": -0.5}, RankValueError, ValueError, r"alpha must be in \[0.0, inf\]"),
        ({"alpha": np.inf}, NonFiniteInputError, ValueError, "alpha must be finite"),
        ({"alpha": None}, RankTypeError, TypeError, "alpha must be a real number"),
        ({"alpha": 1e300, "query_scores": [1e10, 0.0, 0.0]}, RankValueError, ValueError, "alpha \\* query_scores must be finite"),
        ({"epsilon": 1.0}, RankValueError, ValueError, r"epsilon must be in \[0.0, 1.0\)"),
        ({"epsilon": -1e-3}, RankValueError, ValueError, "epsilon must be in"),
        ({"doc_embeddings": None}, RankTypeError, TypeError, "doc_embeddings must hold numbers"),
    ],
)
def test_dpp_bad_input(kwargs: dict[str, Any], error: type, builtin: type, match: str) -> None:
    arguments = {"query_scores": SCORES, "doc_embeddings": VECTORS, "k": 2, **kwargs}
    with raises_exactly(error, builtin, match=match):
        dpp(**arguments)
