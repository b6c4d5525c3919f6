"""Dense rescoring, Matryoshka refinement and Run reranking against naive oracles."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import rank_rerank
from rank_core import NonFiniteInputError, RankTypeError, RankValueError, Run, ShapeMismatchError
from rank_core.testing import raises_exactly


@settings(deadline=None, max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 12),
    dim=st.integers(1, 9),
    dtype=st.sampled_from([np.float16, np.float32, np.float64]),
    kind=st.sampled_from(["dot", "cosine"]),
)
def test_scores_equal_reference_for_every_shape(seed: int, n: int, dim: int, dtype: Any, kind: str) -> None:
    rng = np.random.default_rng(seed)
    queries = rng.standard_normal((3, dim)).astype(dtype)
    candidates = rng.standard_normal((n, dim)).astype(dtype)
    candidates[0] = 0.0  # a zero vector: cosine 0
    score = getattr(rank_rerank, kind)
    expected = np.array([[ref.similarity(q, c, kind) for c in candidates] for q in queries])
    tol = 1e-12 if dtype == np.float64 else 1e-5 * dim * (1 + np.abs(expected).max())
    matrix = score(queries, candidates)
    assert matrix.shape == (3, n)
    np.testing.assert_allclose(matrix, expected, rtol=0, atol=tol)
    np.testing.assert_allclose(score(queries[1], candidates), expected[1], rtol=0, atol=tol)
    single = score(queries[2], candidates[-1])
    assert isinstance(single, float) and abs(single - expected[2, -1]) <= tol
    np.testing.assert_allclose(
        rank_rerank.norm(candidates), [np.linalg.norm(c.astype(np.float64)) for c in candidates], rtol=1e-6
    )


def test_rerank_dense_orders_ties_by_position() -> None:
    candidates = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    result = rank_rerank.rerank_dense([1.0, 0.0], candidates, ids=["w", "x", "y", "z"])
    assert result.ids.tolist() == ["x", "z", "w", "y"]  # cosine: x and z tie at 1, w and y at 0
    assert result.scores.tolist() == [1.0, 1.0, 0.0, 0.0]
    by_dot = rank_rerank.rerank_dense([1.0, 0.0], candidates, top_k=1, similarity="dot")
    assert by_dot.indices.tolist() == [3] and by_dot.ids.tolist() == [3]


# ------------------------------------------------------------------------------------- Matryoshka


@settings(deadline=None, max_examples=40)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    head=st.integers(1, 7),
    refine=st.integers(1, 45),
    top_k=st.one_of(st.none(), st.integers(0, 45)),
    kind=st.sampled_from(["dot", "cosine"]),
)
def test_matryoshka_refines_the_head_shortlist(
    seed: int, n: int, head: int, refine: int, top_k: int | None, kind: str
) -> None:
    rng = np.random.default_rng(seed)
    query = rng.standard_normal(8)
    candidates = rng.standard_normal((n, 8))
    result = rank_rerank.matryoshka_rerank(query, candidates, head_dims=head, refine_top=refine, top_k=top_k, similarity=kind)
    head_scores = np.array([ref.similarity(query[:head], c[:head], kind) for c in candidates])
    full_scores = np.array([ref.similarity(query, c, kind) for c in candidates])
    # the shortlist: the refine_top best head scores, ties to the earlier position
    shortlist = sorted(range(n), key=lambda i: (-head_scores[i], i))[:refine]
    expected = sorted(shortlist, key=lambda i: (-full_scores[i], i))[:top_k]
    assert result.indices.tolist() == expected
    np.testing.assert_allclose(result.scores, full_scores[expected], atol=1e-12)
    if refine >= n:  # everything refined: exactly the full-dimension ranking
        full = rank_rerank.rerank_dense(query, candidates, top_k=top_k, similarity=kind)
        assert result.indices.tolist() == full.indices.tolist()


def test_matryoshka_ids_and_errors() -> None:
    candidates = np.eye(4)
    result = rank_rerank.matryoshka_rerank(np.ones(4), candidates, ids=list("abcd"), head_dims=2, refine_top=2)
    assert result.ids.tolist() == ["a", "b"]
    with raises_exactly(RankValueError, ValueError, match="head_dims must be below"):
        rank_rerank.matryoshka_rerank(np.ones(4), candidates, head_dims=4)
    with raises_exactly(RankValueError, ValueError, match="refine_top must be >= 1"):
        rank_rerank.matryoshka_rerank(np.ones(4), candidates, head_dims=2, refine_top=0)
    with raises_exactly(ShapeMismatchError, ValueError, match="one query"):
        rank_rerank.matryoshka_rerank(np.ones((1, 4)), candidates, head_dims=2)
    with raises_exactly(ShapeMismatchError, ValueError, match="one per candidate"):
        rank_rerank.matryoshka_rerank(np.ones(4), candidates, ids=["a"], head_dims=2)


# ------------------------------------------------------------------------------------------ runs


def test_rerank_run_rescores_every_row_with_maxsim_or_vectors() -> None:
    rng = np.random.default_rng(1)
    run = Run.from_dict({"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"c": 5.0, "d": 4.0}, "q3": {}})
    tokens = {d: rng.standard_normal((n, 4)) for d, n in zip("abcd", (3, 1, 5, 2), strict=True)}
    query_tokens = {"q1": rng.standard_normal((2, 4)), "q2": rng.standard_normal((3, 4))}
    reranked = rank_rerank.rerank_run(run, query_tokens, tokens)
    expected = {
        q: {d: ref.maxsim(query_tokens[q], tokens[d]) for d in run[q].doc_ids} for q in ("q1", "q2")
    }
    got = reranked.to_dict()
    assert set(got) == {"q1", "q2"}
    for q in expected:
        assert got[q] == pytest.approx(expected[q], abs=1e-12)
        assert reranked[q].doc_ids.tolist() == sorted(expected[q], key=lambda d: -expected[q][d])
    vectors = {d: rng.standard_normal(4) for d in "abcd"}
    query_vectors = {"q1": rng.standard_normal(4), "q2": rng.standard_normal(4)}
    cosine_run = rank_rerank.rerank_run(run, query_vectors, vectors, similarity="cosine", k=1, name="dense")
    assert cosine_run.name == "dense" and cosine_run.n_rows == 2
    for q in ("q1", "q2"):
        best = max(run[q].doc_ids, key=lambda d: ref.similarity(query_vectors[q], vectors[d], "cosine"))
        assert cosine_run[q].doc_ids.tolist() == [best]


def test_rerank_run_errors() -> None:
    run = Run.from_dict({"q1": {"a": 1.0, "b": 0.5}})
    tokens = {"a": np.ones((2, 3)), "b": np.ones((1, 3))}
    with raises_exactly(RankValueError, ValueError, match="no embedding for query 'q1'"):
        rank_rerank.rerank_run(run, {}, tokens)
    with raises_exactly(RankValueError, ValueError, match="no embedding for document 'b' of query 'q1'"):
        rank_rerank.rerank_run(run, {"q1": np.ones((2, 3))}, {"a": np.ones((2, 3))})
    with raises_exactly(ShapeMismatchError, ValueError, match="both must be token matrices"):
        rank_rerank.rerank_run(run, {"q1": np.ones((2, 3))}, {"a": np.ones((2, 3)), "b": np.ones(3)})
    with raises_exactly(RankTypeError, TypeError, match="rank_core.Run"):
        rank_rerank.rerank_run({"q1": {"a": 1.0}}, {}, {})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "error", "builtin", "match"),
    [
        (lambda: rank_rerank.dot([1.0, 2.0], [[1.0, 2.0, 3.0]]), ShapeMismatchError, ValueError, "dimension 2, candidates have 3"),
        (lambda: rank_rerank.cosine([1.0, np.nan], [1.0, 2.0]), NonFiniteInputError, ValueError, "query must be finite"),
        (lambda: rank_rerank.cosine([1.0, 1.0], [[1.0, 2.0], [np.inf, 0.0]]), NonFiniteInputError, ValueError, r"candidates .* at index \(1, 0\)"),
        (lambda: rank_rerank.dot(np.ones((2, 2, 2)), [1.0, 2.0]), ShapeMismatchError, ValueError, "one vector"),
        (lambda: rank_rerank.dot(["a"], ["b"]), RankTypeError, TypeError, "must hold numbers"),
        (lambda: rank_rerank.norm([np.nan]), NonFiniteInputError, ValueError, "vectors must be finite"),
        (lambda: rank_rerank.dot(np.full(2, 3e38, np.float32), np.full(2, 3e38, np.float32)), NonFiniteInputError, ValueError, "overflowed"),
        (lambda: rank_rerank.rerank_dense(np.ones((2, 2)), np.ones((2, 2))), ShapeMismatchError, ValueError, "one query"),
    ],
)
def test_dense_bad_inputs(call: Any, error: type[Exception], builtin: type[Exception], match: str) -> None:
    with raises_exactly(error, builtin, match=match):
        call()
