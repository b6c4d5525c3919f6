"""BM25: parity with bm25s and rank_bm25, the naive oracle, search semantics, changes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from expect import check_ranking
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import NotFittedError, RankTypeError, RankValueError, ShapeMismatchError
from rank_retrieve import BM25, Tokenizer
from rank_retrieve.bm25 import METHODS

TOL = 1e-9


# ---------------------------------------------------------------------------------- bm25s parity


@pytest.mark.parametrize("method", METHODS)
def test_matches_bm25s_on_scifact(method, scifact_tokens):
    bm25s = pytest.importorskip("bm25s")
    _, corpus, queries = scifact_tokens
    reference_index = bm25s.BM25(method=method, dtype="float64", backend="numpy")
    reference_index.index(corpus, show_progress=False)
    ours = BM25(method=method, dtype="float64").index(corpus)
    result = ours.search(queries, k=100)
    assert result.scores.shape == (len(queries), 100)
    for row, query in enumerate(queries[::3]):
        full = np.asarray(reference_index.get_scores(query), dtype=np.float64)
        expected = np.lexsort((np.arange(full.size), -full))[:100]  # our documented tie rule
        np.testing.assert_allclose(result.scores[row * 3], full[expected], rtol=0, atol=TOL)
        untied = np.abs(np.diff(np.concatenate([[np.inf], full[expected], [-np.inf]])))
        clear = (untied[:-1] > TOL) & (untied[1:] > TOL)
        assert (result.positions[row * 3][clear] == expected[clear]).all()


def test_matches_bm25s_top_k_selection(scifact_tokens):
    """bm25s's own retrieve (numba backend): same top-100 scores for every query."""
    bm25s = pytest.importorskip("bm25s")
    _, corpus, queries = scifact_tokens
    reference_index = bm25s.BM25(dtype="float64", backend="numba")
    reference_index.index(corpus, show_progress=False)
    _, expected_scores = reference_index.retrieve(queries, k=100, show_progress=False, n_threads=1)
    ours = BM25(dtype="float64").index(corpus).search(queries, k=100)
    np.testing.assert_allclose(ours.scores, expected_scores, rtol=0, atol=TOL)


def test_float32_matches_bm25s_default_dtype(scifact_tokens):
    bm25s = pytest.importorskip("bm25s")
    _, corpus, queries = scifact_tokens
    reference_index = bm25s.BM25(backend="numba")  # bm25s's defaults: lucene, k1 1.5, b 0.75, float32
    reference_index.index(corpus, show_progress=False)
    _, expected_scores = reference_index.retrieve(queries[:200], k=10, show_progress=False, n_threads=1)
    ours = BM25().index(corpus).search(queries[:200], k=10)
    assert ours.scores.dtype == np.float32
    np.testing.assert_allclose(ours.scores, expected_scores, rtol=1e-6, atol=1e-5)


# ---------------------------------------------------------------------------------- rank_bm25 parity


def test_matches_rank_bm25_plus(scifact_tokens):
    rank_bm25 = pytest.importorskip("rank_bm25")
    _, corpus, queries = scifact_tokens
    reference_index = rank_bm25.BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    ours = BM25("bm25+", k1=1.2, b=0.75, delta=1.0, dtype="float64").index(corpus)
    for query in queries[:40]:
        np.testing.assert_allclose(ours.get_scores(query), reference_index.get_scores(query), rtol=1e-12, atol=TOL)


def test_matches_rank_bm25_okapi_where_no_idf_is_floored(scifact_tokens):
    """BM25Okapi is ATIRE's tf part with Robertson's idf; the two disagree only on terms in more
    than half the documents (rank_bm25 floors their negative idf at 0.25 x the mean idf, bm25s at
    0), so the comparison uses queries without such terms."""
    rank_bm25 = pytest.importorskip("rank_bm25")
    _, corpus, queries = scifact_tokens
    reference_index = rank_bm25.BM25Okapi(corpus, k1=1.5, b=0.75)
    ours = BM25("atire", idf_method="robertson", dtype="float64").index(corpus)
    half = len(corpus) / 2
    eligible = [q for q in queries if all(ours.document_frequency(t) < half for t in q)][:40]
    assert len(eligible) == 40
    for query in eligible:
        np.testing.assert_allclose(ours.get_scores(query), reference_index.get_scores(query), rtol=1e-12, atol=TOL)


# ---------------------------------------------------------------------------------- naive oracle

words = st.sampled_from(["ant", "bee", "cat", "dog", "eel", "fox", "gnu"])
corpora = st.lists(st.lists(words, max_size=8), min_size=1, max_size=12).filter(lambda c: any(c))


@settings(deadline=None, max_examples=60)
@given(corpus=corpora, queries=st.lists(st.lists(words, min_size=1, max_size=5), min_size=1, max_size=4),
       method=st.sampled_from(METHODS), idf_method=st.sampled_from((None, *METHODS)),
       k=st.integers(1, 15), k1=st.sampled_from([0.0, 0.9, 1.5]), b=st.sampled_from([0.0, 0.4, 1.0]))
def test_matches_naive_formulas(corpus, queries, method, idf_method, k, k1, b):
    if k1 == 0 and method in ("bm25l", "bm25+"):
        k1 = 0.01  # k1 = 0 is refused there (test_bad_construction)
    index = BM25(method, k1=k1, b=b, delta=0.7, idf_method=idf_method, dtype="float64").index(corpus)
    result = index.search(queries, k=k)
    for row, query in enumerate(queries):
        full = np.array(reference.bm25_scores(corpus, query, method, k1, b, 0.7, idf_method))
        check_ranking(result.positions[row], result.scores[row], full, k, TOL)


def test_repeated_query_tokens_count_each_time():
    corpus = [["cat", "dog"], ["dog", "dog", "eel"], ["cat"]]
    index = BM25(dtype="float64").index(corpus)
    once = index.get_scores(["dog"])
    np.testing.assert_allclose(index.get_scores(["dog", "dog"]), 2 * once, rtol=1e-15)


def test_unknown_tokens_are_dropped():
    corpus = [["cat", "dog"], ["dog", "eel"]]
    index = BM25(dtype="float64").index(corpus)
    np.testing.assert_array_equal(index.get_scores(["dog", "zebra"]), index.get_scores(["dog"]))
    only_unknown = index.search([["zebra"]], k=2)
    assert only_unknown.ids.tolist() == [["0", "1"]] and (only_unknown.scores == 0).all()


# ---------------------------------------------------------------------------------- search semantics


def test_k_above_corpus_returns_the_whole_corpus():
    index = BM25().index([["a", "b"], ["b"], ["c"]], ids=["x", "y", "z"])
    result = index.search([["b"]], k=50)
    assert result.ids.shape == (1, 3)
    assert result.ids[0].tolist() == ["y", "x", "z"]  # z does not match: last, with score 0
    assert result.scores[0, 2] == 0


def test_text_queries_go_through_the_index_tokenizer():
    index = BM25(tokenizer=Tokenizer(stopwords="english")).index(
        ["The cat sat on the mat", "A dog barked", "Cats and dogs"], ids=["d1", "d2", "d3"]
    )
    assert index.search("the CAT", k=1).ids.tolist() == [["d1"]]
    assert index.search(["dog barked", "mat"], k=1).ids[:, 0].tolist() == ["d2", "d1"]


def test_filters_exclude_documents_and_pad(scifact_tokens):
    ids, corpus, queries = scifact_tokens
    index = BM25(dtype="float64").index(corpus, ids=ids)
    unfiltered = index.search(queries[:20], k=len(ids))
    rng = np.random.default_rng(7)
    mask = rng.random(len(ids)) < 0.3
    by_mask = index.search(queries[:20], k=25, filter=mask)
    by_ids = index.search(queries[:20], k=25, filter=np.asarray(ids)[mask].tolist())
    np.testing.assert_array_equal(by_mask.ids, by_ids.ids)
    for row in range(20):
        expected = [p for p in unfiltered.positions[row] if mask[p]][:25]
        assert by_mask.positions[row].tolist() == expected
    allow_lists = [[ids[0], ids[5]], [ids[9]]]
    per_query = index.search(queries[:2], k=3, filter=allow_lists)
    assert set(per_query.ids[0, :2]) == {ids[0], ids[5]} and per_query.ids[0, 2] == ""
    assert per_query.ids[1].tolist() == [ids[9], "", ""]
    assert np.isneginf(per_query.scores[1, 1:]).all() and (per_query.positions[1, 1:] == -1).all()
    assert per_query.to_run(["q0", "q1"]).to_dict()["q1"].keys() == {ids[9]}


def test_results_do_not_depend_on_threads(scifact_tokens):
    _, corpus, queries = scifact_tokens
    index = BM25().index(corpus)
    one = index.search(queries, k=50, threads=1)
    two = index.search(queries, k=50, threads=2)
    np.testing.assert_array_equal(one.positions, two.positions)
    np.testing.assert_array_equal(one.scores, two.scores)


def test_to_run_and_get_scores():
    index = BM25(dtype="float64").index([["a", "b"], ["b", "b"], ["c"]], ids=["x", "y", "z"])
    run = index.search([["b"], ["c"]], k=2).to_run(["q1", "q2"], name="bm25")
    assert run.name == "bm25"
    scores = index.get_scores(["b"])
    assert run.to_dict()["q1"] == pytest.approx({"y": scores[1], "x": scores[0]})


# ---------------------------------------------------------------------------------- changes


@pytest.mark.parametrize("method", ["lucene", "bm25l", "bm25+"])
def test_add_and_delete_equal_a_rebuild(method, scifact_tokens):
    ids, corpus, queries = scifact_tokens
    full = BM25(method, dtype="float64").index(corpus, ids=ids)
    grown = BM25(method, dtype="float64").index(corpus[:2000], ids=ids[:2000])
    grown.add(corpus[2000:4000], ids=ids[2000:4000]).add(corpus[4000:], ids=ids[4000:])
    shrunk = BM25(method, dtype="float64").index(
        [*corpus, ["extra_only_term", "the"], ["of", "another_extra_term"]], ids=[*ids, "extra-1", "extra-2"]
    ).delete(["extra-1", "extra-2"])
    expected = full.search(queries[:100], k=100)
    for changed in (grown, shrunk):
        assert len(changed) == len(ids) and changed.average_length == pytest.approx(full.average_length)
        result = changed.search(queries[:100], k=100)
        np.testing.assert_array_equal(result.ids, expected.ids)
        np.testing.assert_allclose(result.scores, expected.scores, rtol=0, atol=1e-12)
    assert shrunk.document_frequency("extra_only_term") == 0


def test_add_with_text_extends_the_vocabulary():
    index = BM25().index(["apples and pears"], ids=["a"])
    index.add(["kiwis"], ids=["b"])
    assert index.search("kiwis", k=1).ids.tolist() == [["b"]]
    assert index.ids.tolist() == ["a", "b"]


# ---------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "builtin"),
    [
        (lambda: BM25().index([]), RankValueError, ValueError),
        (lambda: BM25().index("just one string"), RankTypeError, TypeError),
        (lambda: BM25().index([["a"], ["b"]], ids=[1, 2]), RankTypeError, TypeError),
        (lambda: BM25().index([["a"], ["b"]], ids=["x", "x"]), RankValueError, ValueError),
        (lambda: BM25().index([["a"], ["b"]], ids=["x"]), ShapeMismatchError, ValueError),
        (lambda: BM25(method="bm99"), RankValueError, ValueError),
        (lambda: BM25(k1=-1), RankValueError, ValueError),
        (lambda: BM25("bm25+", k1=0), RankValueError, ValueError),
        (lambda: BM25(b=1.5), RankValueError, ValueError),
        (lambda: BM25(dtype="int8"), RankValueError, ValueError),
        (lambda: BM25().search(["a"]), NotFittedError, AttributeError),
    ],
)
def test_bad_construction(call, error, builtin):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, builtin)


@pytest.fixture
def small_index() -> BM25:
    return BM25().index([["a", "b"], ["b", "c"]], ids=["x", "y"])


@pytest.mark.parametrize(
    ("call", "error", "builtin", "message"),
    [
        (lambda i: i.search([["a"]], k=0), RankValueError, ValueError, "k must be >= 1"),
        (lambda i: i.search([["a"]], k=-3), RankValueError, ValueError, "k must be >= 1"),
        (lambda i: i.search([["a"]], k=2.5), RankTypeError, TypeError, "k must be a positive int"),
        (lambda i: i.search([[]]), RankValueError, ValueError, "query 0 has no tokens"),
        (lambda i: i.search([""]), RankValueError, ValueError, "query 0 has no tokens"),
        (lambda i: i.search([]), RankValueError, ValueError, "queries is empty"),
        (lambda i: i.search([["a"], ["b", 3]]), RankTypeError, TypeError, r"corpus\[1\]\[1\] is int"),
        (lambda i: i.search([["a", ["b"]]]), RankTypeError, TypeError, r"corpus\[0\]\[1\] is list"),
        (lambda i: i.search([["a"], "b c"]), RankTypeError, TypeError, "same kind"),
        (lambda i: i.search([["a"]], filter=["nope"]), RankValueError, ValueError, "not in the index"),
        (lambda i: i.search([["a"]], filter=np.ones(3, bool)), ShapeMismatchError, ValueError, "3 entries"),
        (lambda i: i.delete(["nope"]), RankValueError, ValueError, "not in the index"),
        (lambda i: i.delete("x"), RankTypeError, TypeError, "single string"),
        (lambda i: i.delete(["x", "y"]), RankValueError, ValueError, "every document"),
        (lambda i: i.add([["d"]], ids=["x"]), RankValueError, ValueError, "already in the index"),
        (lambda i: i.add([["d", 3]], ids=["z"]), RankTypeError, TypeError, "tokens must be str"),
        (lambda i: i.index([["d"], ["e"]], ids=[1, 2]), RankTypeError, TypeError, "strings"),
    ],
)
def test_bad_search_and_changes(small_index, call, error, builtin, message):
    with pytest.raises(error, match=message) as info:
        call(small_index)
    assert isinstance(info.value, builtin)
    # a refused call leaves the index as it was
    assert small_index.ids.tolist() == ["x", "y"]
    assert small_index.vocabulary == ["a", "b", "c"]
    assert small_index.search([["d", "c"]], k=2).ids.tolist() == [["y", "x"]]
