"""The original bindings' names (LambdaRankParams, LambdaRankTrainer, ndcg_at_k) and GroupKFold."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference

from rank_core.errors import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly
from rank_eval import ndcg_per_query
from rank_learn import (
    GroupKFold,
    LambdaRankParams,
    LambdaRankTrainer,
    lambdarank_gradients,
    ndcg_at_k,
)


def test_ndcg_at_k_of_a_ranked_list():
    assert ndcg_at_k([3, 2, 1]) == pytest.approx(1.0)
    relevance = [1, 3, 0, 2]
    for k in (None, 1, 2, 10):
        for exponential in (True, False):
            want = reference.ndcg(relevance, [4, 3, 2, 1], k, exponential)
            assert ndcg_at_k(relevance, k, exponential) == pytest.approx(want, abs=1e-15)
    # fractional grades, as the original accepted
    assert ndcg_at_k([2.5, 3.0], exponential_gain=False) == pytest.approx(
        (2.5 + 3 / math.log2(3)) / (3 + 2.5 / math.log2(3)))
    assert ndcg_at_k([0, 0]) == 0.0 and ndcg_at_k([]) == 0.0 and ndcg_at_k([1], 0) == 0.0


def test_trainer_gradients():
    scores = [0.5, 0.8, 0.3, 0.1, 0.7]
    relevance = [3, 1, 2, 2, 0]
    for k in (None, 2):
        got = LambdaRankTrainer(LambdaRankParams(sigma=2.0)).compute_gradients(scores, relevance, k=k)
        want, _ = reference.lambdarank(scores, relevance, [2.0**y - 1 for y in relevance], sigma=2.0,
                                       truncation=5 if k is None else k, normalize=False)
        np.testing.assert_allclose(got, want, rtol=1e-12)
    got = LambdaRankTrainer().compute_gradients(scores, relevance)
    assert got[0] < 0 < got[4]  # the best document is pushed up (gradient of the loss)
    fractional = LambdaRankTrainer().compute_gradients([0.1, 0.9], [2.5, 1.0])
    assert fractional[0] < 0 < fractional[1]


def test_compat_names_agree_with_the_primary_api():
    """The original's names are thin wrappers: the same numbers as lambdarank_gradients and
    rank_eval.ndcg_per_query on the same input."""
    rng = np.random.default_rng(0)
    scores = rng.normal(size=12)
    relevance = rng.integers(0, 4, size=12)
    for k in (None, 3):
        got = LambdaRankTrainer(LambdaRankParams(sigma=1.5)).compute_gradients(scores, relevance, k=k)
        primary, _ = lambdarank_gradients(scores, relevance, group=[12], sigma=1.5,
                                          truncation_level=12 if k is None else k, normalize=False)
        np.testing.assert_array_equal(got, primary)
        ranked = relevance[np.argsort(-scores, kind="stable")]
        assert ndcg_at_k(ranked, k) == ndcg_per_query(relevance, scores, group=[12], k=k)[0]


def test_compat_bad_inputs():
    with raises_exactly(ShapeMismatchError, ValueError):
        LambdaRankTrainer().compute_gradients([1.0, 2.0], [1, 0, 2])
    with raises_exactly(RankValueError, ValueError):
        LambdaRankParams(sigma=0.0)
    with raises_exactly(RankValueError, ValueError):
        ndcg_at_k([1, -2])
    with raises_exactly(RankTypeError, TypeError):
        LambdaRankParams(sigma="1")


def test_group_kfold_keeps_queries_whole_and_balances_rows():
    rng = np.random.default_rng(0)
    qid = rng.permutation(np.repeat(np.arange(23) * 5, rng.integers(1, 30, size=23)))
    X = np.zeros((qid.size, 2))
    folds = list(GroupKFold(4).split(X, groups=qid))
    assert len(folds) == 4 == GroupKFold(4).get_n_splits()
    tested = np.concatenate([test for _, test in folds])
    np.testing.assert_array_equal(np.sort(tested), np.arange(qid.size))
    sizes = np.unique(qid, return_counts=True)[1]
    for train, test in folds:
        assert not set(qid[train]) & set(qid[test])
        np.testing.assert_array_equal(np.union1d(train, test), np.arange(qid.size))
    rows = [test.size for _, test in folds]
    assert max(rows) - min(rows) <= sizes.max()
    shuffled = list(GroupKFold(4, shuffle=True, random_state=1).split(X, groups=qid))
    again = list(GroupKFold(4, shuffle=True, random_state=1).split(X, groups=qid))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(shuffled, again, strict=True))


def test_group_kfold_works_as_sklearn_cv():
    model_selection = pytest.importorskip("sklearn.model_selection")
    qid = np.repeat(np.arange(10), 5)
    splits = list(model_selection.check_cv(GroupKFold(5)).split(np.zeros((50, 1)), groups=qid))
    assert len(splits) == 5


def test_group_kfold_bad_inputs():
    with raises_exactly(RankValueError, ValueError):
        GroupKFold(1)
    with raises_exactly(RankTypeError, TypeError):
        GroupKFold(2.0)
    with raises_exactly(RankValueError, ValueError, match="groups="):
        next(GroupKFold(2).split(np.zeros((4, 1))))
    with raises_exactly(ShapeMismatchError, ValueError):
        next(GroupKFold(2).split(np.zeros((4, 1)), groups=[1, 2]))
    with raises_exactly(RankValueError, ValueError, match="3 queries"):
        next(GroupKFold(4).split(np.zeros((3, 1)), groups=[1, 2, 3]))
