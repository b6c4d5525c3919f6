"""MaxSim against the naive oracle on random ragged inputs, every layout, alignments, batches, errors."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import rank_rerank
from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly

# the module, not the function ``rank_rerank.maxsim`` that shadows it as a package attribute
maxsim_module = importlib.import_module("rank_rerank.maxsim")

DTYPES = (np.float16, np.float32, np.float64)


@st.composite
def ragged_problem(draw: Any) -> dict[str, Any]:
    """A query and ragged documents (1 token upwards), values of both signs, a storage dtype."""
    dim = draw(st.integers(1, 9))
    n_query = draw(st.integers(1, 6))
    lengths = draw(st.lists(st.integers(1, 12), min_size=1, max_size=8))
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.01, 1.0, 30.0]))
    query = (rng.standard_normal((n_query, dim)) * scale).astype(dtype)
    docs = [(rng.standard_normal((n, dim)) * scale).astype(dtype) for n in lengths]
    return {"query": query, "docs": docs, "dtype": dtype}


def flat_layout(docs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    return np.concatenate(docs), offsets


def padded_layout(docs: list[np.ndarray], fill: float = 0.0, shuffle_slots: bool = False, seed: int = 0):
    """Docs padded to the longest with ``fill`` vectors; with ``shuffle_slots`` the real tokens sit at
    scattered slots (a mask that is not a prefix), in their order."""
    rng = np.random.default_rng(seed)
    width = max(len(d) for d in docs) + 2
    padded = np.full((len(docs), width, docs[0].shape[1]), fill, dtype=docs[0].dtype)
    mask = np.zeros((len(docs), width), dtype=bool)
    for i, doc in enumerate(docs):
        slots = np.sort(rng.choice(width, len(doc), replace=False)) if shuffle_slots else np.arange(len(doc))
        padded[i, slots] = doc
        mask[i, slots] = True
    return padded, mask


@settings(deadline=None, max_examples=60)
@given(problem=ragged_problem(), kind=st.sampled_from(["dot", "cosine"]), weighted=st.booleans())
def test_equals_reference_in_every_layout(problem: dict[str, Any], kind: str, weighted: bool) -> None:
    query, docs, dtype = problem["query"], problem["docs"], problem["dtype"]
    weights = np.linspace(0.5, 2.0, len(query)) if weighted else None
    expected = np.array([ref.maxsim(query, d, kind, weights) for d in docs])
    scores = rank_rerank.maxsim(query, docs, similarity=kind, query_weights=weights)
    assert scores.dtype == (np.float64 if dtype == np.float64 else np.float32)
    np.testing.assert_allclose(scores, expected, rtol=0, atol=ref.tolerance(query, docs, dtype, weights))
    flat, offsets = flat_layout(docs)
    np.testing.assert_array_equal(
        rank_rerank.maxsim(query, flat, offsets=offsets, similarity=kind, query_weights=weights), scores
    )
    padded, mask = padded_layout(docs, shuffle_slots=True)
    np.testing.assert_array_equal(
        rank_rerank.maxsim(query, padded, mask=mask, similarity=kind, query_weights=weights), scores
    )
    # alone, a document is a smaller BLAS product (even a matrix-vector one): equal up to rounding
    single = rank_rerank.maxsim(query, docs[0], similarity=kind, query_weights=weights)
    assert isinstance(single, float)
    assert abs(single - expected[0]) <= ref.tolerance(query, docs, dtype, weights)


def test_padding_never_wins_against_negative_similarities() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    docs = [np.array([[-1.0, -2.0]], dtype=np.float32), np.array([[-3.0, -1.0], [-0.5, -4.0]], dtype=np.float32)]
    padded, mask = padded_layout(docs, fill=0.0)
    expected = [ref.maxsim(query, d) for d in docs]
    assert expected == [-3.0, -1.5]
    np.testing.assert_array_equal(rank_rerank.maxsim(query, padded, mask=mask), expected)
    # without the mask the zero padding would score 0 per query token: that is what the mask prevents
    assert rank_rerank.maxsim(query, padded).tolist() == [0.0, 0.0]


@settings(deadline=None, max_examples=25)
@given(problem=ragged_problem(), kind=st.sampled_from(["dot", "cosine"]))
def test_chunk_boundaries_do_not_change_scores(problem: dict[str, Any], kind: str, monkeypatch_module: Any) -> None:
    query, docs = problem["query"], problem["docs"]
    whole = rank_rerank.maxsim(query, docs, similarity=kind)
    with monkeypatch_module.context() as patch:  # one or two documents per BLAS product
        patch.setattr(maxsim_module, "CHUNK_BYTES", 1)
        patch.setattr(maxsim_module, "MIN_CHUNK_TOKENS", 1)
        chunked = rank_rerank.maxsim(query, docs, similarity=kind)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=ref.tolerance(query, docs, problem["dtype"]))


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_long_documents_and_many_tokens_match_the_reference() -> None:
    rng = np.random.default_rng(7)
    query = rng.standard_normal((32, 128)).astype(np.float32)
    docs = [rng.standard_normal((n, 128)).astype(np.float32) for n in (1, 9000, 3, 700, 20000, 2)]
    expected = [float((query.astype(np.float64) @ d.astype(np.float64).T).max(axis=1).sum()) for d in docs]
    np.testing.assert_allclose(rank_rerank.maxsim(query, docs), expected, rtol=1e-5)


def test_query_mask_drops_tokens_and_one_token_inputs() -> None:
    rng = np.random.default_rng(3)
    query = rng.standard_normal((5, 4))
    docs = [rng.standard_normal((1, 4)), rng.standard_normal((6, 4))]
    keep = np.array([True, False, True, True, False])
    np.testing.assert_allclose(
        rank_rerank.maxsim(query, docs, query_mask=keep), [ref.maxsim(query[keep], d) for d in docs], atol=1e-12
    )
    one = query[:1]
    np.testing.assert_allclose(rank_rerank.maxsim(one, docs), [ref.maxsim(one, d) for d in docs], atol=1e-12)


def test_zero_vectors_have_cosine_zero() -> None:
    query = np.array([[0.0, 0.0], [1.0, 0.0]])
    doc = np.array([[0.0, 0.0], [-1.0, 0.0]])
    assert rank_rerank.maxsim(query, doc, similarity="cosine") == 0.0 + 0.0
    assert rank_rerank.maxsim(query, doc, similarity="cosine") == ref.maxsim(query, doc, "cosine")


@pytest.mark.parametrize("threads", [1, 2])
def test_thread_count_does_not_change_results(threads: int) -> None:
    rng = np.random.default_rng(11)
    query = rng.standard_normal((8, 16)).astype(np.float32)
    docs = [rng.standard_normal((n, 16)).astype(np.float32) for n in rng.integers(1, 50, 300)]
    np.testing.assert_array_equal(rank_rerank.maxsim(query, docs, threads=threads), rank_rerank.maxsim(query, docs))


# ------------------------------------------------------------------------------ alignments, highlight


@settings(deadline=None, max_examples=40)
@given(problem=ragged_problem(), kind=st.sampled_from(["dot", "cosine"]))
def test_alignments_match_the_first_maximum(problem: dict[str, Any], kind: str) -> None:
    query, docs, dtype = problem["query"], problem["docs"], problem["dtype"]
    alignment = rank_rerank.maxsim_alignments(query, docs, similarity=kind)
    np.testing.assert_array_equal(alignment.scores, rank_rerank.maxsim(query, docs, similarity=kind))
    tol = ref.tolerance(query, docs, dtype)
    for d, doc in enumerate(docs):
        for i, (position, best) in enumerate(ref.token_matches(query, doc, kind)):
            matched = int(alignment.token_indices[d, i])
            assert abs(float(alignment.similarities[d, i]) - best) <= tol
            # the matched token reaches the maximum; an earlier one only on a rounding-level tie
            assert abs(ref.similarity(query[i], doc[matched], kind) - best) <= tol
            if matched != position:
                assert abs(ref.similarity(query[i], doc[position], kind) - best) <= tol


def test_alignments_report_padded_positions() -> None:
    rng = np.random.default_rng(5)
    query = rng.standard_normal((3, 4))
    docs = [rng.standard_normal((n, 4)) for n in (2, 5, 1)]
    padded, mask = padded_layout(docs, shuffle_slots=True, seed=9)
    stored = rank_rerank.maxsim_alignments(query, docs)
    from_padded = rank_rerank.maxsim_alignments(query, padded, mask=mask)
    for d in range(len(docs)):
        slots = np.flatnonzero(mask[d])
        np.testing.assert_array_equal(from_padded.token_indices[d], slots[stored.token_indices[d]])
    np.testing.assert_array_equal(from_padded.similarities, stored.similarities)


def test_highlight_lists_matched_tokens_above_threshold() -> None:
    rng = np.random.default_rng(2)
    query = rng.standard_normal((6, 5))
    doc = rng.standard_normal((12, 5))
    for threshold in (-10.0, 0.0, 1.0, 3.0):
        expected = sorted({pos for pos, best in ref.token_matches(query, doc) if best >= threshold})
        assert rank_rerank.highlight(query, doc, threshold).tolist() == expected


# ------------------------------------------------------------------------------------------ batches


def test_batch_all_pairs_and_candidates_equal_single_queries() -> None:
    rng = np.random.default_rng(4)
    queries = [rng.standard_normal((n, 6)).astype(np.float32) for n in (1, 4, 9)]
    docs = [rng.standard_normal((n, 6)).astype(np.float32) for n in rng.integers(1, 30, 40)]
    full = rank_rerank.maxsim_batch(queries, docs)
    assert full.shape == (3, 40)
    for q, query in enumerate(queries):  # one wider BLAS product: equal up to its rounding
        np.testing.assert_allclose(full[q], rank_rerank.maxsim(query, docs), rtol=1e-6)
    picks = np.array([[0, 39, 7], [7, 7, 1], [12, 0, 3]])
    np.testing.assert_allclose(
        rank_rerank.maxsim_batch(queries, docs, candidates=picks), np.take_along_axis(full, picks, axis=1), rtol=1e-6
    )
    ragged = rank_rerank.maxsim_batch(queries, docs, candidates=[np.array([5]), np.arange(40), np.array([], int)])
    assert [len(r) for r in ragged] == [1, 40, 0]
    np.testing.assert_allclose(ragged[0], full[0, [5]], rtol=1e-6)
    np.testing.assert_allclose(ragged[1], full[1], rtol=1e-6)
    flat_queries, query_offsets = flat_layout(queries)
    np.testing.assert_array_equal(rank_rerank.maxsim_batch(flat_queries, docs, query_offsets=query_offsets), full)
    padded_queries, query_mask = padded_layout(queries)
    np.testing.assert_array_equal(rank_rerank.maxsim_batch(padded_queries, docs, query_mask=query_mask), full)
    # one 2-D query: the original bindings' maxsim_batch(query_tokens, doc_tokens_list)
    np.testing.assert_array_equal(rank_rerank.maxsim_batch(queries[1], docs), rank_rerank.maxsim(queries[1], docs))


def test_batch_splits_wide_query_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(8)
    queries = [rng.standard_normal((n, 3)) for n in (2, 3, 4, 1, 5)]
    docs = [rng.standard_normal((n, 3)) for n in (3, 1, 4)]
    whole = rank_rerank.maxsim_batch(queries, docs)
    monkeypatch.setattr(maxsim_module, "MAX_QUERY_COLUMNS", 4)
    np.testing.assert_array_equal(rank_rerank.maxsim_batch(queries, docs), whole)
    weights = [np.full(len(q), 2.0) for q in queries]
    np.testing.assert_allclose(rank_rerank.maxsim_batch(queries, docs, query_weights=weights), 2 * whole, atol=1e-12)


# --------------------------------------------------------------------------------------- rerank


def test_rerank_sorts_best_first_with_ties_in_input_order() -> None:
    rng = np.random.default_rng(6)
    query = rng.standard_normal((3, 4))
    a, b = rng.standard_normal((2, 4)), rng.standard_normal((5, 4))
    docs = [a, b, a.copy(), b.copy()]
    scores = rank_rerank.maxsim(query, docs)
    result = rank_rerank.rerank(query, docs, ids=["a1", "b1", "a2", "b2"])
    best, worst = ("a", "b") if scores[0] > scores[1] else ("b", "a")
    assert result.ids.tolist() == [f"{best}1", f"{best}2", f"{worst}1", f"{worst}2"]
    np.testing.assert_array_equal(result.scores, scores[result.indices])
    top = rank_rerank.rerank(query, docs, top_k=1)
    assert top.indices.tolist() == [result.indices[0]] and top.ids.tolist() == top.indices.tolist()
    assert rank_rerank.rerank(query, docs, top_k=0).indices.size == 0
    assert rank_rerank.rerank(query, docs, top_k=99).indices.size == 4


# ------------------------------------------------------------------------------------- bad inputs


GOOD_QUERY = np.ones((2, 3), dtype=np.float32)
GOOD_DOCS = [np.ones((2, 3), dtype=np.float32), np.ones((1, 3), dtype=np.float32)]


@pytest.mark.parametrize(
    ("call", "error", "builtin", "match"),
    [
        (lambda: rank_rerank.maxsim(GOOD_QUERY, [np.ones((2, 4))]), ShapeMismatchError, ValueError, "dimension 4, expected 3"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, [np.ones((2, 3)), np.ones((2, 4))]), ShapeMismatchError, ValueError, r"docs\[1\] has dimension 4"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, [np.ones((2, 3)), np.ones((0, 3))]), RankValueError, ValueError, r"docs\[1\] has no tokens"),
        (lambda: rank_rerank.maxsim(np.ones((0, 3)), GOOD_DOCS), RankValueError, ValueError, "query has no tokens"),
        (lambda: rank_rerank.maxsim(np.ones(3), GOOD_DOCS), ShapeMismatchError, ValueError, "2-dimensional"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((3, 3)), offsets=[0, 2]), ShapeMismatchError, ValueError, "end at the number of token rows"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((3, 3)), offsets=[1, 3]), ShapeMismatchError, ValueError, "start at 0"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((3, 3)), offsets=[0, 2, 1, 3]), ShapeMismatchError, ValueError, "non-decreasing"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((3, 3)), offsets=[0, 2, 2, 3]), RankValueError, ValueError, r"docs\[1\] has no tokens"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((2, 2, 3)), mask=np.ones((2, 3), bool)), ShapeMismatchError, ValueError, "mask must have shape"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((2, 2, 3)), mask=np.array([[1, 1], [0, 0]], bool)), RankValueError, ValueError, r"docs\[1\] has no tokens"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones((2, 2, 3)), mask=np.full((2, 2), 0.5)), RankTypeError, TypeError, "mask must be boolean"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, mask=np.ones((2, 2), bool)), RankValueError, ValueError, "padded 3-D"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, np.ones(5)), ShapeMismatchError, ValueError, "got an array of shape"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, "text"), RankTypeError, TypeError, "must be a list"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, [["a", "b", "c"]]), RankTypeError, TypeError, "must hold numbers"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, similarity="l2"), RankValueError, ValueError, "similarity must be one of"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, query_weights=[1.0]), ShapeMismatchError, ValueError, "one per query token"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, query_weights=[1.0, np.nan]), NonFiniteInputError, ValueError, "query_weights"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, query_mask=[False, False]), RankValueError, ValueError, "drops every query token"),
        (lambda: rank_rerank.maxsim(GOOD_QUERY, GOOD_DOCS, query_mask=[1, 0]), ShapeMismatchError, ValueError, "boolean array"),
        (lambda: rank_rerank.maxsim(np.array([[1.0, np.nan, 0.0]]), GOOD_DOCS), NonFiniteInputError, ValueError, "query must not contain"),
        (lambda: rank_rerank.maxsim_batch([GOOD_QUERY], GOOD_DOCS, candidates=[[0, 2]]), RankValueError, ValueError, r"candidates\[0\]\[1\] = 2"),
        (lambda: rank_rerank.maxsim_batch([GOOD_QUERY], GOOD_DOCS, candidates=[[0], [1]]), ShapeMismatchError, ValueError, "one per query"),
        (lambda: rank_rerank.maxsim_batch([GOOD_QUERY], GOOD_DOCS, candidates=5), RankTypeError, TypeError, "candidates must be"),
        (lambda: rank_rerank.maxsim_batch(GOOD_QUERY, GOOD_DOCS, candidates=[[0]]), RankValueError, ValueError, "batch of queries"),
        (lambda: rank_rerank.maxsim_batch([GOOD_QUERY], GOOD_DOCS, query_weights=[]), ShapeMismatchError, ValueError, "one per query"),
        (lambda: rank_rerank.maxsim_batch([np.ones((2, 4))], GOOD_DOCS), ShapeMismatchError, ValueError, "expected 4"),
        (lambda: rank_rerank.rerank(GOOD_QUERY, GOOD_DOCS, ids=["a"]), ShapeMismatchError, ValueError, "one per candidate"),
        (lambda: rank_rerank.rerank(GOOD_QUERY, GOOD_DOCS, top_k=-1), RankValueError, ValueError, "top_k must be >= 0"),
        (lambda: rank_rerank.highlight(GOOD_QUERY, GOOD_DOCS, 0.5), ShapeMismatchError, ValueError, "one document"),
        (lambda: rank_rerank.highlight(GOOD_QUERY, GOOD_DOCS[0], np.nan), NonFiniteInputError, ValueError, "threshold"),
    ],
)
def test_bad_inputs_raise_clear_errors(call: Any, error: type[Exception], builtin: type[Exception], match: str) -> None:
    with raises_exactly(error, builtin, match=match):
        call()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layout", ["list", "flat", "padded", "float16"])
def test_non_finite_document_values_are_located(bad: float, layout: str) -> None:
    docs = [np.ones((2, 3)), np.ones((4, 3)), np.ones((1, 3))]
    docs[1][2, 1] = bad
    if layout == "float16":
        docs = [d.astype(np.float16) for d in docs]
    kwargs: dict[str, Any] = {}
    given_docs: Any = docs
    if layout == "flat":
        given_docs, kwargs["offsets"] = flat_layout(docs)
    elif layout == "padded":
        given_docs, kwargs["mask"] = padded_layout(docs)
    with raises_exactly(NonFiniteInputError, ValueError, match=r"docs\[1\] holds .* at token 2, component 1"):
        rank_rerank.maxsim(GOOD_QUERY, given_docs, **kwargs)
    with raises_exactly(NonFiniteInputError, ValueError, match=r"docs\[1\]"):
        rank_rerank.maxsim_batch([GOOD_QUERY, GOOD_QUERY], given_docs, candidates=[[0], [2, 1]], **kwargs)


def test_float32_overflow_is_an_error_not_a_silent_infinity() -> None:
    big = np.full((1, 4), 3e19, dtype=np.float32)
    with raises_exactly(NonFiniteInputError, ValueError, match="overflowed"):
        rank_rerank.maxsim(big, [big])
    assert np.isfinite(rank_rerank.maxsim(big.astype(np.float64), [big.astype(np.float64)]))
