"""LambdaMART: LightGBM's trees and quality on its own example, determinism, persistence, inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rank_core.errors import NotFittedError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly, shared_data_dir
from rank_eval import ndcg_per_query
from rank_learn import LambdaMART


def _synthetic(seed=0, n_queries=30, docs=40, n_features=6):
    rng = np.random.default_rng(seed)
    qid = np.repeat(np.arange(n_queries), docs)
    X = rng.normal(size=(qid.size, n_features))
    relevance = X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=qid.size)
    y = np.digitize(relevance, [0.5, 1.2, 2.0])
    return X, y, qid


def _mean_ndcg(y, scores, qid, k=10):
    return float(ndcg_per_query(y, scores, qid=qid, k=k).mean())


@pytest.fixture(scope="module")
def lightgbm_example():
    data = shared_data_dir("lightgbm_lambdarank", tests_dir=Path(__file__).parent)
    datasets = pytest.importorskip("sklearn.datasets")
    X_train, y_train = datasets.load_svmlight_file(str(data / "rank.train"))
    X_test, y_test = datasets.load_svmlight_file(str(data / "rank.test"), n_features=X_train.shape[1])
    group_train = np.loadtxt(data / "rank.train.query", dtype=np.int64)
    group_test = np.loadtxt(data / "rank.test.query", dtype=np.int64)
    return X_train.toarray(), y_train, group_train, X_test.toarray(), y_test, group_test


def _lightgbm_splits(tree):
    """(gain, feature) of every split of one tree of LightGBM's dump_model()."""
    out = []
    stack = [tree["tree_structure"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            out.append((node["split_gain"], node["split_feature"]))
            stack += [node["left_child"], node["right_child"]]
    return sorted(out)


def test_lightgbm_example_same_trees_and_quality(lightgbm_example):
    """LightGBM's defaults (100 trees, 31 leaves, learning rate 0.1, 20 rows per leaf) on its own
    lambdarank example: the first trees are LightGBM's, split for split, and the test nDCG@1/3/5/10
    is within 0.005 of LightGBM's lambdarank trained here (or better), above LightGBM's own test's
    thresholds (ndcg@1 > 0.5674, ndcg@3 > 0.578)."""
    lightgbm = pytest.importorskip("lightgbm")
    X_train, y_train, group_train, X_test, y_test, group_test = lightgbm_example
    reference = lightgbm.LGBMRanker(n_estimators=100, verbose=-1).fit(X_train, y_train, group=group_train)
    model = LambdaMART().fit(X_train, y_train, group=group_train)

    # the same splits: equal gains, on the same features (but where two features split the rows
    # alike with gains a rounding error apart: the data has near-duplicate columns)
    trees = reference.booster_.dump_model()["tree_info"]
    same_feature = 0
    for t in range(10):
        nodes = slice(model.trees_["node_offsets"][t], model.trees_["node_offsets"][t + 1])
        ours = sorted(zip(model.trees_["gain"][nodes], model.trees_["feature"][nodes], strict=True))
        theirs = _lightgbm_splits(trees[t])
        np.testing.assert_allclose([g for g, _ in ours], [g for g, _ in theirs], rtol=1e-4)
        same_feature += sum(a[1] == b[1] for a, b in zip(ours, theirs, strict=True))
    assert same_feature >= 0.95 * 10 * 30

    ours = model.predict(X_test)
    theirs = reference.predict(X_test)
    for k in (1, 3, 5, 10):
        # LightGBM's ndcg metric: a query without relevant documents counts 1
        mine = ndcg_per_query(y_test, ours, group=group_test, k=k, no_relevant=1.0).mean()
        lgbm = ndcg_per_query(y_test, theirs, group=group_test, k=k, no_relevant=1.0).mean()
        assert mine >= lgbm - 0.005, (k, mine, lgbm)
        if k in (1, 3):
            assert mine > {1: 0.5674, 3: 0.578}[k]


def test_exact_sigmoid_beats_lightgbms_own_thresholds(lightgbm_example):
    X_train, y_train, group_train, X_test, y_test, group_test = lightgbm_example
    scores = LambdaMART(sigmoid="exact").fit(X_train, y_train, group=group_train).predict(X_test)
    assert ndcg_per_query(y_test, scores, group=group_test, k=1, no_relevant=1.0).mean() > 0.5674
    assert ndcg_per_query(y_test, scores, group=group_test, k=3, no_relevant=1.0).mean() > 0.578


@pytest.mark.parametrize("objective", ["lambdarank", "rank_xendcg", "ranknet"])
def test_objectives_learn(objective):
    X, y, qid = _synthetic()
    X_test, y_test, qid_test = _synthetic(seed=1)
    model = LambdaMART(n_estimators=30, num_leaves=7, min_data_in_leaf=5, objective=objective,
                       random_state=0).fit(X, y, qid=qid)
    assert _mean_ndcg(y_test, model.predict(X_test), qid_test) > 0.8
    assert _mean_ndcg(y_test, model.predict(X_test), qid_test) > _mean_ndcg(y_test, X_test[:, 2], qid_test) + 0.2


def test_tree_limits_and_importance():
    X, y, qid = _synthetic()
    model = LambdaMART(n_estimators=5, num_leaves=9, max_depth=2, min_data_in_leaf=5).fit(X, y, qid=qid)
    trees = model.trees_
    for t in range(model.n_trees_):
        n_leaves = trees["leaf_offsets"][t + 1] - trees["leaf_offsets"][t]
        assert n_leaves <= 4  # depth 2
        nodes = slice(trees["node_offsets"][t], trees["node_offsets"][t + 1])
        assert trees["node_offsets"][t + 1] - trees["node_offsets"][t] == n_leaves - 1
        assert np.all(trees["gain"][nodes] > 0)
    assert model.feature_importance("split").sum() == trees["feature"].size
    np.testing.assert_allclose(model.feature_importance("gain").sum(), trees["gain"].sum())
    assert np.argmax(model.feature_importances_) == 0  # the feature the labels come from


def test_queries_in_any_order_give_the_same_model():
    """Rows are grouped by qid with a stable sort: interleaving queries changes nothing (the order
    of rows within a query does matter: it breaks ties in score, as in LightGBM)."""
    X, y, qid = _synthetic()
    interleave = np.argsort(np.tile(np.arange(40), 30), kind="stable")  # row 0 of every query, ...
    a = LambdaMART(n_estimators=10, min_data_in_leaf=5).fit(X, y, group=np.full(30, 40))
    b = LambdaMART(n_estimators=10, min_data_in_leaf=5).fit(X[interleave], y[interleave],
                                                              qid=qid[interleave] * 3 + 1)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def test_deterministic_across_threads_and_seeded_sampling():
    X, y, qid = _synthetic(n_queries=60, docs=80)
    options = {"n_estimators": 8, "subsample": 0.7, "colsample": 0.5, "min_data_in_leaf": 5}
    one = LambdaMART(random_state=5, threads=1, **options).fit(X, y, qid=qid).predict(X)
    two = LambdaMART(random_state=5, threads=2, **options).fit(X, y, qid=qid).predict(X)
    other = LambdaMART(random_state=6, threads=1, **options).fit(X, y, qid=qid).predict(X)
    np.testing.assert_array_equal(one, two)
    assert not np.array_equal(one, other)


def test_missing_values_learn_a_direction():
    X, y, qid = _synthetic()
    X[y == 3, 3] = np.nan  # missingness is the best signal for the top grade
    model = LambdaMART(n_estimators=20, num_leaves=7, min_data_in_leaf=5).fit(X, y, qid=qid)
    scores = model.predict(X)
    assert scores[y == 3].mean() > scores[y == 2].mean()
    splits = model.trees_["feature"] == 3
    assert splits.any()
    # prediction routes NaN the way training did: the model ranks its own training data well
    assert _mean_ndcg(y, scores, qid) > 0.9


def test_early_stopping_and_eval_results():
    X, y, qid = _synthetic()
    X_val, y_val, qid_val = _synthetic(seed=2)
    model = LambdaMART(n_estimators=200, learning_rate=0.5, num_leaves=15, min_data_in_leaf=3,
                       early_stopping_rounds=5, eval_at=5)
    model.fit(X, y, qid=qid, eval_set=[(X_val, y_val, qid_val)])
    curve = model.evals_result_[0]
    assert model.best_iteration_ == int(np.argmax(curve)) + 1
    assert model.n_trees_ == model.best_iteration_ + 5 < 200
    best = model.predict(X_val)
    assert _mean_ndcg(y_val, best, qid_val, k=5) == pytest.approx(curve.max(), abs=1e-12)
    last = model.predict(X_val, num_iteration=model.n_trees_)
    assert _mean_ndcg(y_val, last, qid_val, k=5) == pytest.approx(curve[-1], abs=1e-12)


def test_save_and_load_round_trip(tmp_path):
    X, y, qid = _synthetic()
    X[::7, 2] = np.nan
    model = LambdaMART(n_estimators=10, num_leaves=5, min_data_in_leaf=5, learning_rate=0.3).fit(X, y, qid=qid)
    path = tmp_path / "model.json"
    model.save_model(path)
    loaded = LambdaMART.load_model(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.feature_importance("gain"), model.feature_importance("gain"))
    assert json.loads(path.read_text())["format"] == "rank-learn.LambdaMART"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary left behind
    (tmp_path / "bad.json").write_text("{not json")
    with raises_exactly(RankValueError, ValueError, match="bad.json"):
        LambdaMART.load_model(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with raises_exactly(RankValueError, ValueError, match="not a LambdaMART model"):
        LambdaMART.load_model(tmp_path / "other.json")


def test_sklearn_clone_and_params():
    base = pytest.importorskip("sklearn.base")
    model = LambdaMART(n_estimators=7, colsample=0.5)
    copy = base.clone(model)
    assert copy.get_params() == model.get_params() and copy is not model
    assert copy.set_params(num_leaves=4).num_leaves == 4
    assert "n_estimators=7" in repr(model)
    with raises_exactly(RankValueError, ValueError, match="no parameter 'leaves'"):
        model.set_params(leaves=3)


def test_bad_inputs():
    X, y, qid = _synthetic(n_queries=3, docs=10)
    with raises_exactly(NotFittedError, AttributeError):
        LambdaMART().predict(X)
    with raises_exactly(RankValueError, ValueError, match="row 4"):
        LambdaMART().fit(X, np.where(np.arange(30) == 4, 1.5, y), qid=qid)
    with raises_exactly(RankValueError, ValueError, match="row 0"):
        LambdaMART().fit(X, np.where(np.arange(30) == 0, np.nan, y), qid=qid)
    with raises_exactly(RankValueError, ValueError, match="row 2"):
        LambdaMART().fit(X, np.where(np.arange(30) == 2, -1, y), qid=qid)
    with raises_exactly(RankValueError, ValueError, match="no finite exponential gain"):
        LambdaMART().fit(X, y * 5000, qid=qid)  # no finite exponential gain: an error, not NaN trees
    with raises_exactly(ShapeMismatchError, ValueError):
        LambdaMART().fit(X, y, qid=qid[:-1])
    with raises_exactly(ShapeMismatchError, ValueError):
        LambdaMART().fit(X, y[:-1], qid=qid)
    with raises_exactly(RankValueError, ValueError, match="qid= or group="):
        LambdaMART().fit(X, y)
    with raises_exactly(ShapeMismatchError, ValueError):
        LambdaMART().fit(X[:, 0], y, qid=qid)
    with raises_exactly(RankValueError, ValueError, match="num_leaves"):
        LambdaMART(num_leaves=1).fit(X, y, qid=qid)
    with raises_exactly(RankValueError, ValueError, match="learning_rate"):
        LambdaMART(learning_rate=0).fit(X, y, qid=qid)
    with raises_exactly(RankValueError, ValueError, match="max_bin"):
        LambdaMART(max_bin=300).fit(X, y, qid=qid)
    with raises_exactly(RankTypeError, TypeError, match="n_estimators"):
        LambdaMART(n_estimators=2.5).fit(X, y, qid=qid)
    with raises_exactly(RankValueError, ValueError, match="objective"):
        LambdaMART(objective="pointwise").fit(X, y, qid=qid)
    with raises_exactly(RankValueError, ValueError, match="eval_set"):
        LambdaMART(early_stopping_rounds=3).fit(X, y, qid=qid)
    with raises_exactly(RankTypeError, TypeError, match="eval_set"):
        LambdaMART().fit(X, y, qid=qid, eval_set=[(X, y)])
    model = LambdaMART(n_estimators=2, min_data_in_leaf=2).fit(X, y, qid=qid)
    with raises_exactly(ShapeMismatchError, ValueError, match="fitted on 6"):
        model.predict(X[:, :5])
    with raises_exactly(RankValueError, ValueError, match="importance_type"):
        model.feature_importance("cover")
