"""nDCG of scored rows grouped by query (``ndcg_per_query``, ``group_offsets``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rank_eval
from rank_core import Qrels, Run
from rank_core.errors import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly


def _rows(seed, n_queries=8):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=n_queries)
    qid = rng.permutation(np.repeat(np.arange(n_queries) * 3, sizes))
    y = rng.integers(0, 4, size=qid.size)
    y[qid == 0] = 0  # a query without relevant rows
    scores = rng.normal(size=qid.size)  # distinct: no tie-breaking question
    return y, scores, qid


@pytest.mark.parametrize("k", [1, 5, 10, None])
@pytest.mark.parametrize("gain", ["linear", "exponential"])
def test_equals_evaluate_on_the_same_run(k, gain):
    """The same numbers as evaluate()'s nDCG@k (trec_eval's ndcg_cut) / nDCG(dcg='exp-log2')."""
    y, scores, qid = _rows(k or 0)
    docs = [f"d{i}" for i in range(qid.size)]
    qrels = Qrels.from_dict({str(q): {} for q in np.unique(qid)} | {
        str(q): {docs[i]: int(y[i]) for i in np.flatnonzero(qid == q)} for q in np.unique(qid)})
    run = Run.from_dict({str(q): {docs[i]: float(scores[i]) for i in np.flatnonzero(qid == q)}
                         for q in np.unique(qid)})
    measure = ("nDCG" if gain == "linear" else "nDCG(dcg='exp-log2')") + ("" if k is None else f"@{k}")
    per_query = rank_eval.evaluate(qrels, run, [measure], per_query=True)[measure]
    got = rank_eval.ndcg_per_query(y, scores, qid=qid, k=k, gain=gain)
    want = [per_query[str(q)] for q in np.unique(qid)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_equals_sklearn_linear_ndcg():
    metrics = pytest.importorskip("sklearn.metrics")
    y, scores, qid = _rows(3)
    got = rank_eval.ndcg_per_query(y, scores, qid=qid, k=5, gain="linear")  # sklearn: 0 without relevant
    for value, q in zip(got, np.unique(qid), strict=True):
        rows = qid == q
        if rows.sum() > 1:  # sklearn needs two documents
            want = metrics.ndcg_score([y[rows]], [scores[rows]], k=5)
            assert value == pytest.approx(want, abs=1e-12)


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(-2, 2)), min_size=1, max_size=30),
       st.one_of(st.none(), st.integers(1, 8)))
def test_ties_rank_in_row_order(rows, k):
    y = np.array([label for label, _ in rows])
    scores = np.array([float(score) for _, score in rows])
    got = rank_eval.ndcg_per_query(y, scores, group=[len(rows)], k=k, no_relevant=-1.0)[0]
    order = sorted(range(len(rows)), key=lambda i: (-scores[i], i))
    depth = len(rows) if k is None else k
    dcg = sum((2.0 ** y[i] - 1) / math.log2(2 + r) for r, i in enumerate(order[:depth]))
    ideal = sum((2.0**g - 1) / math.log2(2 + r) for r, g in enumerate(sorted(y, reverse=True)[:depth]))
    assert got == pytest.approx(dcg / ideal if ideal > 0 else -1.0, abs=1e-12)


def test_group_offsets():
    order, offsets = rank_eval.group_offsets(5, qid=[7, 2, 7, 2, 9])
    np.testing.assert_array_equal(order, [1, 3, 0, 2, 4])
    np.testing.assert_array_equal(offsets, [0, 2, 4, 5])
    order, offsets = rank_eval.group_offsets(5, group=[2, 3])
    np.testing.assert_array_equal(order, np.arange(5))
    np.testing.assert_array_equal(offsets, [0, 2, 5])
    order, offsets = rank_eval.group_offsets(0, qid=[])
    assert order.size == 0 and offsets.tolist() == [0]


def test_bad_inputs():
    with raises_exactly(RankValueError, ValueError, match="exactly one"):
        rank_eval.group_offsets(2)
    with raises_exactly(ShapeMismatchError, ValueError, match="sum to 3"):
        rank_eval.group_offsets(2, group=[1, 2])
    with raises_exactly(RankValueError, ValueError, match="positive integers"):
        rank_eval.group_offsets(2, group=[0, 2])
    with raises_exactly(ShapeMismatchError, ValueError):
        rank_eval.group_offsets(2, qid=[1])
    with raises_exactly(ShapeMismatchError, ValueError):
        rank_eval.ndcg_per_query([1, 0], [0.5], group=[2])
    with raises_exactly(RankTypeError, TypeError):
        rank_eval.ndcg_per_query(["a", "b"], [0.5, 1.0], group=[2])
    with raises_exactly(RankValueError, ValueError):
        rank_eval.ndcg_per_query([1, 0], [0.5, 1.0], group=[2], gain="log")
