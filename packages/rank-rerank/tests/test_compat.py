"""The original rank-refine bindings' names: their documented examples, formulas and fixed defects."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as ref

import rank_rerank
import rank_rerank.compat as rank_refine
from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly

QUERY = [[1.0, 0.0], [0.0, 1.0]]
DOC = [[0.9, 0.1], [0.1, 0.9]]


def test_vector_functions() -> None:
    assert rank_refine.cosine([1.0, 0.0], [0.707, 0.707]) == pytest.approx(math.sqrt(0.5), abs=1e-3)
    assert rank_refine.dot([1.0, 2.0], [3.0, 4.0]) == 11.0
    assert rank_refine.norm([3.0, 4.0]) == 5.0
    assert rank_refine.cosine([0.0, 0.0], [1.0, 0.0]) == 0.0


def test_maxsim_functions_follow_the_formula() -> None:
    assert rank_refine.maxsim_vecs(QUERY, DOC) == pytest.approx(ref.maxsim(QUERY, DOC), abs=1e-6)
    assert rank_refine.maxsim_vecs(QUERY, DOC) == pytest.approx(1.8, abs=1e-6)
    assert rank_refine.maxsim_cosine_vecs(QUERY, DOC) == pytest.approx(ref.maxsim(QUERY, DOC, "cosine"), abs=1e-6)
    scores = rank_refine.maxsim_batch(QUERY, [DOC, [[1.0, 1.0]]])
    np.testing.assert_allclose(scores, [1.8, 2.0], atol=1e-6)


def test_alignments_are_one_tuple_per_query_token_in_query_order() -> None:
    doc = [[0.1, 0.9], [0.9, 0.1], [0.9, 0.1]]  # tokens 1 and 2 tie for query token 0: the first wins
    alignments = rank_refine.maxsim_alignments_vecs(QUERY, doc)
    assert [(q, d) for q, d, _ in alignments] == [(0, 1), (1, 0)]
    assert [s for _, _, s in alignments] == pytest.approx([0.9, 0.9], abs=1e-6)
    assert sum(s for _, _, s in alignments) == pytest.approx(rank_refine.maxsim_vecs(QUERY, doc), abs=1e-6)
    cosine_alignments = rank_refine.maxsim_alignments_cosine_vecs(QUERY, doc)
    expected = [(q, d, s) for q, (d, s) in enumerate(ref.token_matches(QUERY, doc, "cosine"))]
    assert [(q, d) for q, d, _ in cosine_alignments] == [(q, d) for q, d, _ in expected]


def test_highlight_lists_every_token_reaching_the_threshold_with_some_query_token() -> None:
    rng = np.random.default_rng(0)
    query, doc = rng.standard_normal((4, 3)), rng.standard_normal((9, 3))
    for threshold in (-1.0, 0.0, 0.5, 2.0):
        expected = [j for j in range(9) if any(ref.similarity(q, doc[j], "dot") >= threshold for q in query)]
        assert rank_refine.highlight_matches_vecs(query, doc, threshold) == expected


def test_mmr_matches_the_original_worked_example() -> None:
    # the original bindings' test fixture: doc2 is near doc1, doc3 is far from both
    candidates = [("doc1", 0.95), ("doc2", 0.90), ("doc3", 0.85)]
    similarity = [1.0, 0.9, 0.2, 0.9, 1.0, 0.3, 0.2, 0.3, 1.0]
    picked = rank_refine.mmr(candidates, similarity, 0.5, 2)
    assert [doc_id for doc_id, _ in picked] == ["doc1", "doc3"]
    assert [score for _, score in picked] == [0.95, 0.85]  # the input scores, not the objective
    assert rank_refine.mmr(candidates, similarity, lambda_=1.0, k=3) == candidates  # pure relevance
    assert rank_refine.mmr(candidates, np.reshape(similarity, (3, 3)), 0.5, 2) == picked


def test_mmr_is_the_package_mmr_on_min_max_scores() -> None:
    rng = np.random.default_rng(3)
    scores = rng.uniform(2.0, 9.0, 30)
    embeddings = rng.standard_normal((30, 5))
    candidates = [(f"d{i}", float(s)) for i, s in enumerate(scores)]
    normalised = (scores - scores.min()) / (scores.max() - scores.min())
    for lam in (0.0, 0.3, 1.0):
        expected = rank_rerank.mmr(normalised, embeddings, 7, diversity=1.0 - lam)
        got = rank_refine.mmr_cosine(candidates, embeddings, lambda_=lam, k=7)
        assert [doc_id for doc_id, _ in got] == [f"d{i}" for i in expected]


def test_dpp_matches_the_original_worked_example_and_is_exact_greedy() -> None:
    candidates = [("doc1", 0.95), ("doc2", 0.90), ("doc3", 0.85)]
    embeddings = [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]
    assert [doc_id for doc_id, _ in rank_refine.dpp(candidates, embeddings, 1.0, 2)] == ["doc1", "doc3"]
    # three picks in two dimensions: the third vector lies in the span of the first two
    assert len(rank_refine.dpp(candidates, embeddings, 1.0, 3)) == 2


def test_matryoshka_try_refine_blends_the_tail_cosine() -> None:
    query = [0.1, 0.2, 0.3, 0.4]
    docs = [("doc1", [0.1, 0.2, 0.29, 0.41]), ("doc2", [9.0, -9.0, 0.3, 0.4])]
    refined = rank_refine.matryoshka_try_refine([("doc1", 0.9), ("doc2", 0.8)], query, docs, 2, alpha=0.5)
    tail1 = ref.similarity(query[2:], docs[0][1][2:], "cosine")
    tail2 = ref.similarity(query[2:], docs[1][1][2:], "cosine")
    expected = sorted([("doc1", 0.45 + 0.5 * tail1), ("doc2", 0.4 + 0.5 * tail2)], key=lambda p: -p[1])
    assert [doc_id for doc_id, _ in refined] == [doc_id for doc_id, _ in expected]
    assert [score for _, score in refined] == pytest.approx([score for _, score in expected], abs=1e-12)


def test_pool_tokens_is_the_package_function() -> None:
    assert rank_refine.pool_tokens is rank_rerank.pool_tokens
    pooled = rank_refine.pool_tokens(np.array([[0.9, 0.1], [0.1, 0.9]]), 2)
    np.testing.assert_allclose(pooled, [[0.5, 0.5]])


@pytest.mark.parametrize(
    ("call", "error", "builtin", "match"),
    [
        (lambda: rank_refine.maxsim_vecs([], DOC), ShapeMismatchError, ValueError, "2-dimensional"),
        (lambda: rank_refine.maxsim_vecs(QUERY, [[1.0, 2.0, 3.0]]), ShapeMismatchError, ValueError, "dimension 3"),
        (lambda: rank_refine.maxsim_vecs(QUERY, [[np.nan, 0.0]]), NonFiniteInputError, ValueError, "finite"),
        (lambda: rank_refine.highlight_matches_vecs(QUERY, DOC, math.nan), NonFiniteInputError, ValueError, "threshold"),
        (lambda: rank_refine.mmr([("a", 1.0)], [1.0, 0.0], 0.5, 1), ShapeMismatchError, ValueError, "n \\* n = 1"),
        (lambda: rank_refine.mmr([("a", 1.0)], [1.0], 1.5, 1), RankValueError, ValueError, "lambda_ must be in"),
        (lambda: rank_refine.mmr(["a"], [1.0], 0.5, 1), RankTypeError, TypeError, "\\(id, score\\) pair"),
        (lambda: rank_refine.mmr([("a", math.nan)], [1.0], 0.5, 1), NonFiniteInputError, ValueError, "candidate scores"),
        (lambda: rank_refine.dpp([("a", 1.0)], [[1.0], [2.0]], 1.0, 1), ShapeMismatchError, ValueError, "one row per query score"),
        (lambda: rank_refine.dpp([("a", 1.0)], [[1.0]], -1.0, 1), RankValueError, ValueError, "alpha must be in"),
        (lambda: rank_refine.matryoshka_try_refine([("a", 1.0)], [1.0, 2.0], [("a", [1.0, 2.0])], 2), RankValueError, ValueError, "head_dims must be below"),
        (lambda: rank_refine.matryoshka_try_refine([("a", 1.0)], [1.0, 2.0], [("b", [1.0, 2.0])], 1), RankValueError, ValueError, "no vector for candidate 'a'"),
        (lambda: rank_refine.matryoshka_try_refine([("a", 1.0)], [1.0, 2.0], [("a", [1.0, 2.0, 3.0])], 1), ShapeMismatchError, ValueError, "dimension 3"),
    ],
)
def test_defects_of_the_original_are_errors(call, error, builtin, match) -> None:  # type: ignore[no-untyped-def]
    with raises_exactly(error, builtin, match=match):
        call()
