"""SparseIndex: exact dot products against a naive oracle, search semantics, changes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from expect import check_ranking
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import NonFiniteInputError, RankTypeError, RankValueError
from rank_retrieve import SparseIndex

tokens = st.sampled_from(["a", "b", "c", "d", "e", 7, 8])
weights = st.floats(0, 4, allow_nan=False).map(lambda w: round(w, 2))
vectors = st.dictionaries(tokens, weights, max_size=5)


def dot(query, document):
    return sum(weight * document.get(token, 0.0) for token, weight in query.items())


@settings(deadline=None, max_examples=80)
@given(documents=st.lists(vectors, min_size=1, max_size=15),
       queries=st.lists(vectors.filter(lambda v: any(w > 0 for w in v.values())), min_size=1, max_size=4),
       k=st.integers(1, 20))
def test_matches_naive_dot_products(documents, queries, k):
    index = SparseIndex(documents, dtype="float64")
    result = index.search(queries, k=k)
    for row, query in enumerate(queries):
        full = [dot(query, document) for document in documents]
        check_ranking(result.positions[row], result.scores[row], full, k, 1e-12)


def test_filter_add_delete():
    documents = [{"a": 1.0}, {"a": 2.0, "b": 1.0}, {"b": 3.0}, {"c": 1.0}]
    index = SparseIndex(documents, ids=["w", "x", "y", "z"])
    assert index.search({"a": 1.0, "b": 1.0}, k=4).ids.tolist() == [["x", "y", "w", "z"]]
    assert index.search({"a": 1.0}, k=3, filter=["w", "z"]).ids.tolist() == [["w", "z", ""]]
    index.add([{"a": 5.0}], ids=["v"]).delete(["x"])
    rebuilt = SparseIndex([{"a": 1.0}, {"b": 3.0}, {"c": 1.0}, {"a": 5.0}], ids=["w", "y", "z", "v"])
    for query in ({"a": 1.0}, {"b": 2.0, "c": 1.0}):
        np.testing.assert_array_equal(index.search(query, k=4).ids, rebuilt.search(query, k=4).ids)
        np.testing.assert_array_equal(index.search(query, k=4).scores, rebuilt.search(query, k=4).scores)


def test_a_refused_add_leaves_the_index_as_it_was():
    index = SparseIndex([{"a": 1.0}, {"b": 2.0}], ids=["x", "y"])
    for vectors, ids in (([{"new": 1.0}], ["x"]), ([{"new": 1.0, "bad": float("nan")}], ["z"])):
        with pytest.raises(RankValueError):
            index.add(vectors, ids)
    assert index.ids.tolist() == ["x", "y"]
    assert index.search({"new": 1.0, "b": 1.0}, k=2).ids.tolist() == [["y", "x"]]


@pytest.mark.parametrize(
    ("call", "error", "builtin", "message"),
    [
        (lambda: SparseIndex([]), RankValueError, ValueError, "empty"),
        (lambda: SparseIndex({"a": 1.0}), RankTypeError, TypeError, "wrap a single one"),
        (lambda: SparseIndex([{"a": float("nan")}]), NonFiniteInputError, ValueError, "finite"),
        (lambda: SparseIndex([{"a": -1.0}]), RankValueError, ValueError, ">= 0"),
        (lambda: SparseIndex([{"a": "1"}]), RankTypeError, TypeError, "must be a number"),
        (lambda: SparseIndex([{"a": 1.0}], ids=[3]), RankTypeError, TypeError, "strings"),
        (lambda: SparseIndex([{"a": 1.0}, {"b": 1.0}], ids=["x", "x"]), RankValueError, ValueError, "distinct"),
        (lambda: SparseIndex([{"a": 1.0}]).search({}, k=1), RankValueError, ValueError, "no positive weight"),
        (lambda: SparseIndex([{"a": 1.0}]).search({"a": 1.0}, k=0), RankValueError, ValueError, "k must be"),
        (lambda: SparseIndex([{"a": 1.0}]).search({"a": np.inf}), NonFiniteInputError, ValueError, "finite"),
    ],
)
def test_bad_inputs(call, error, builtin, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert isinstance(info.value, builtin)
