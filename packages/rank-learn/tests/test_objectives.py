"""LambdaRank / RankNet / XE-NDCG gradients against naive oracles and LightGBM's semantics."""

from __future__ import annotations

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core.errors import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly
from rank_learn import lambdarank_gradients, lambdarank_objective, xendcg_gradients


def _queries(rng, n_queries=6, max_docs=40, ties=True):
    sizes = rng.integers(1, max_docs, size=n_queries)
    qid = rng.permutation(np.repeat(np.arange(n_queries) * 7 + 3, sizes))  # unsorted, sparse ids
    n = qid.size
    scores = rng.normal(size=n)
    if ties:
        scores[rng.random(n) < 0.3] = 0.5  # many tied scores
    labels = rng.integers(0, 5, size=n)
    return scores, labels, qid


def _oracle(scores, labels, qid, gains_of, **options):
    grad = np.zeros(scores.size)
    hess = np.zeros(scores.size)
    for q in np.unique(qid):
        rows = np.flatnonzero(qid == q)
        g, h = reference.lambdarank(list(scores[rows]), list(labels[rows]),
                                    [gains_of(y) for y in labels[rows]], **options)
        grad[rows] = g
        hess[rows] = h
    return grad, hess


@pytest.mark.parametrize("truncation", [1, 5, 30, 1000])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_lambdarank_equals_the_pairwise_oracle(truncation, normalize, sigma):
    rng = np.random.default_rng(truncation * 10 + normalize)
    scores, labels, qid = _queries(rng)
    got = lambdarank_gradients(scores, labels, qid=qid, sigma=sigma, truncation_level=truncation,
                               normalize=normalize)
    want = _oracle(scores, labels, qid, lambda y: 2.0**y - 1, sigma=sigma, truncation=truncation,
                   normalize=normalize)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-9, atol=1e-12)


def test_linear_gain_custom_gain_table_and_large_labels():
    rng = np.random.default_rng(1)
    scores, labels, qid = _queries(rng)
    got = lambdarank_gradients(scores, labels, qid=qid, gain="linear")
    want = _oracle(scores, labels, qid, float)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    table = [0.0, 1.0, 3.0, 7.5, 20.0]
    got = lambdarank_gradients(scores, labels, qid=qid, label_gain=table)
    want = _oracle(scores, labels, qid, lambda y: table[y])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    big = labels * 10  # labels >= 31 need no label_gain (LightGBM's limit)
    got = lambdarank_gradients(scores / 1e3, big, qid=qid)
    want = _oracle(scores / 1e3, big, qid, lambda y: 2.0**y - 1)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-300)


def test_ranknet_weighting_none():
    rng = np.random.default_rng(2)
    scores, labels, qid = _queries(rng)
    got = lambdarank_gradients(scores, labels, qid=qid, weighting="none", sigma=0.7)
    want = _oracle(scores, labels, qid, float, weighting=False, sigma=0.7)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_table_sigmoid_is_lightgbms_lookup():
    rng = np.random.default_rng(3)
    scores, labels, qid = _queries(rng)
    scores = scores * 20  # reach the table's clamped ends too
    got = lambdarank_gradients(scores, labels, qid=qid, sigma=1.5, sigmoid="table")
    want = _oracle(scores, labels, qid, lambda y: 2.0**y - 1, sigma=1.5,
                   sigmoid=reference.lightgbm_sigmoid(1.5), smoothing=float(np.float32(0.01)))
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    exact = lambdarank_gradients(scores, labels, qid=qid, sigma=1.5)
    assert not np.array_equal(got[0], exact[0])
    np.testing.assert_allclose(got[0], exact[0], rtol=1e-3, atol=1e-6)


@settings(deadline=None, max_examples=40)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(0, 3)), min_size=0, max_size=25))
def test_one_query_matches_the_oracle_on_any_list(rows):
    scores = np.array([s / 2 for s, _ in rows], dtype=np.float64)
    labels = np.array([y for _, y in rows], dtype=np.int64)
    got = lambdarank_gradients(scores, labels, group=[len(rows)] if rows else [])
    want = reference.lambdarank(list(scores), list(labels), [2.0**y - 1 for y in labels])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-9, atol=1e-12)
    # the gradients of one query sum to zero: every pair pushes both ways
    assert abs(got[0].sum()) < 1e-9


def test_query_layout_does_not_matter():
    rng = np.random.default_rng(4)
    scores, labels, qid = _queries(rng)
    order = np.argsort(qid, kind="stable")
    grouped = lambdarank_gradients(scores[order], labels[order], group=np.unique(qid, return_counts=True)[1])
    by_qid = lambdarank_gradients(scores, labels, qid=qid)
    np.testing.assert_array_equal(grouped[0], by_qid[0][order])


def test_queries_without_relevant_rows_or_single_rows_get_zero():
    grad, hess = lambdarank_gradients([1.0, 2.0, 3.0, 0.5], [0, 0, 0, 2], group=[3, 1])
    assert not grad.any() and not hess.any()


def test_xendcg_against_its_definition():
    rng = np.random.default_rng(5)
    scores, labels, qid = _queries(rng)
    got = xendcg_gradients(scores, labels, qid=qid, random_state=7)
    # the same noise, drawn row by row in query order, then the third-order approximation
    order = np.argsort(qid, kind="stable")
    noise = np.empty(qid.size)
    noise[order] = np.random.default_rng(7).random(qid.size)
    for q in np.unique(qid):
        rows = np.flatnonzero(qid == q)
        if rows.size < 2:
            assert not got[0][rows].any()
            continue
        rho = np.exp(scores[rows] - scores[rows].max())
        rho /= rho.sum()
        target = 2.0 ** labels[rows] - noise[rows]
        target /= target.sum()
        first = rho - target
        second = rho * ((first / (1 - rho)).sum() - first / (1 - rho))
        third = rho * ((second / (1 - rho)).sum() - second / (1 - rho))
        np.testing.assert_allclose(got[0][rows], first + second + third, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got[1][rows], rho * (1 - rho), rtol=1e-9, atol=1e-12)


def test_objective_for_lightgbm_and_xgboost_call_styles():
    rng = np.random.default_rng(6)
    scores, labels, qid = _queries(rng)
    order = np.argsort(qid, kind="stable")
    sizes = np.unique(qid, return_counts=True)[1]
    objective = lambdarank_objective(group=sizes)
    want = lambdarank_gradients(scores[order], labels[order], group=sizes)

    class Dataset:  # LightGBM's and XGBoost's datasets expose get_label()
        def get_label(self):
            return labels[order].astype(np.float32)

    for got in (objective(scores[order], Dataset()), objective(labels[order], scores[order])):
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def test_objective_trains_lightgbm_with_the_query_structure():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(8)
    X = rng.normal(size=(600, 5))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=600), [0.0, 1.0])
    sizes = np.full(20, 30)
    booster = lightgbm.train({"objective": lambdarank_objective(group=sizes), "verbose": -1,
                              "min_data_in_leaf": 5}, lightgbm.Dataset(X, y, group=sizes), 20)
    scores = booster.predict(X)
    assert np.corrcoef(scores, X[:, 0])[0, 1] > 0.8


def test_bad_inputs():
    with raises_exactly(ShapeMismatchError, ValueError):
        lambdarank_gradients([1.0, 2.0], [1, 0, 1], group=[3])
    with raises_exactly(RankValueError, ValueError, match="row 1"):
        lambdarank_gradients([1.0, 2.0], [1, 0.5], group=[2])
    with raises_exactly(RankValueError, ValueError, match="row 0"):
        lambdarank_gradients([1.0, 2.0], [-1, 0], group=[2])
    with raises_exactly(RankTypeError, TypeError):
        lambdarank_gradients([1.0, 2.0], ["a", "b"], group=[2])
    with raises_exactly(ShapeMismatchError, ValueError, match="sum to 3"):
        lambdarank_gradients([1.0, 2.0], [1, 0], group=[3])
    with raises_exactly(ShapeMismatchError, ValueError):
        lambdarank_gradients([1.0, 2.0], [1, 0], qid=[1, 2, 3])
    with raises_exactly(RankValueError, ValueError, match="qid= or group="):
        lambdarank_gradients([1.0, 2.0], [1, 0])
    with raises_exactly(RankValueError, ValueError, match="label_gain"):
        lambdarank_gradients([1.0, 2.0], [3, 0], group=[2], label_gain=[0, 1])
    with raises_exactly(RankValueError, ValueError):
        lambdarank_gradients([1.0, 2.0], [1, 0], group=[2], truncation_level=0)
    with raises_exactly(RankValueError, ValueError):
        lambdarank_gradients([1.0, 2.0], [1, 0], group=[2], sigmoid="fast")
    with raises_exactly(RankValueError, ValueError, match="gain='linear'"):
        lambdarank_gradients([1.0, 2.0], [2000, 0], group=[2])  # 2^2000 - 1 is not a float64
    assert np.isfinite(lambdarank_gradients([1.0, 2.0], [2000, 0], group=[2], gain="linear")[0]).all()
    with raises_exactly(RankValueError, ValueError):
        lambdarank_objective()
