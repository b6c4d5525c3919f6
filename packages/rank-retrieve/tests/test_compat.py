"""The original Rust bindings' names (DESIGN.md section 9), checked against naive oracles."""

from __future__ import annotations

import numpy as np
import pytest
import reference

from rank_core import RankTypeError, RankValueError, ShapeMismatchError
from rank_retrieve import (
    Bm25Params,
    DenseRetriever,
    InvertedIndex,
    SparseRetriever,
    SparseVector,
    sparse_dot_product,
)

DOCS = {"d1": ["cat", "sat", "mat"], 7: ["dog", "dog", "cat"], "d3": ["eel"], "d4": ["cat", "cat", "cat", "mat"]}


@pytest.mark.parametrize("params", [None, Bm25Params(k1=0.9, b=0.4)])
def test_inverted_index_is_lucene_bm25(params):
    index = InvertedIndex() if params is None else InvertedIndex(params)
    for doc_id, terms in DOCS.items():
        index.add_document(doc_id, terms)
    used = params or Bm25Params()
    assert (used.k1, used.b) == ((1.2, 0.75) if params is None else (0.9, 0.4))
    for query in (["cat"], ["mat", "dog"], ["eel", "zebra"]):
        scores = reference.bm25_scores(list(DOCS.values()), query, "lucene", used.k1, used.b)
        expected = [(list(DOCS)[p], scores[p]) for p in reference.ranked(scores) if scores[p] > 0][:3]
        got = index.retrieve(query, k=3)
        assert [doc_id for doc_id, _ in got] == [doc_id for doc_id, _ in expected]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in expected], rtol=1e-12)


def test_inverted_index_picks_up_new_documents_and_params():
    index = InvertedIndex()
    index.add_document("a", ["x"])
    assert [d for d, _ in index.retrieve(["y"])] == []
    index.add_document("b", ["y"])
    assert [d for d, _ in index.retrieve(["y"])] == ["b"]
    assert index.retrieve(["y"], params=Bm25Params(k1=2.0))[0][1] != index.retrieve(["y"])[0][1]


def test_dense_retriever_is_cosine_by_default():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(20, 8))
    retriever = DenseRetriever()
    for i, vector in enumerate(vectors):
        retriever.add_document(i, vector)
    query = rng.normal(size=8)
    cosines = vectors @ query / np.linalg.norm(vectors, axis=1) / np.linalg.norm(query)
    expected = np.argsort(-cosines, kind="stable")[:5]
    got = retriever.retrieve(query, k=5)
    assert [doc_id for doc_id, _ in got] == expected.tolist()
    np.testing.assert_allclose([s for _, s in got], cosines[expected], rtol=1e-12)


def test_sparse_vector_retriever_and_dot_product():
    a, b = SparseVector([1, 5, 9], [0.5, 1.0, 2.0]), SparseVector([9, 5, 3], [1.0, 3.0, 7.0])
    assert sparse_dot_product(a, b) == 0.5 * 0 + 1.0 * 3.0 + 2.0 * 1.0
    assert sparse_dot_product(a, SparseVector([], [])) == 0.0
    retriever = SparseRetriever()
    retriever.add_document("a", a)
    retriever.add_document("b", b)
    retriever.add_document("c", SparseVector([4], [1.0]))
    query = SparseVector([5, 3], [2.0, 1.0])
    assert retriever.retrieve(query, k=5) == [("b", 2.0 * 3.0 + 7.0), ("a", 2.0)]


@pytest.mark.parametrize(
    ("call", "error", "builtin"),
    [
        (lambda: SparseVector([1, 1], [1.0, 2.0]), RankValueError, ValueError),
        (lambda: SparseVector([1, 2], [1.0]), ShapeMismatchError, ValueError),
        (lambda: SparseVector([-1], [1.0]), RankValueError, ValueError),
        (lambda: Bm25Params(k1=-1), RankValueError, ValueError),
        (lambda: InvertedIndex().retrieve(["a"]), RankValueError, ValueError),
        (lambda: InvertedIndex().add_document(1.5, ["a"]), RankTypeError, TypeError),
        (lambda: InvertedIndex().add_document("a", "not a list"), RankTypeError, TypeError),
        (lambda: SparseRetriever().add_document("a", {1: 1.0}), RankTypeError, TypeError),
    ],
)
def test_bad_inputs(call, error, builtin):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, builtin)


def test_duplicate_ids_and_dimensions():
    index = InvertedIndex()
    index.add_document("a", ["x"])
    with pytest.raises(RankValueError, match="already added"):
        index.add_document("a", ["y"])
    dense = DenseRetriever()
    dense.add_document("a", [1.0, 0.0])
    with pytest.raises(ShapeMismatchError):
        dense.add_document("b", [1.0, 0.0, 0.0])
