"""RankSVM and LinearLambdaRank: kernels against naive oracles, RankSVM against the LinearSVC
reduction, learning on synthetic linear data, determinism, scikit-learn protocol, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference_linear as ref
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core.errors import (
    NonFiniteInputError,
    NotFittedError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.testing import raises_exactly
from rank_learn import linear as linear_module
from rank_learn._kernels.linear import (
    batch_pairwise_hinge,
    batch_pairwise_hinge_serial,
    batch_scores,
    batch_scores_serial,
    lambdarank_epoch,
    lambdarank_epoch_parallel,
    mean_pair_distance,
    pair_positions,
    query_weight_gradient,
    ranksvm_epoch,
)
from rank_learn.linear import LinearLambdaRank, RankSVM, _Groups, _pair_layout, _pair_sampler

# --- helpers -------------------------------------------------------------------------------------


def linear_dataset(n_queries, docs, n_features, seed, noise=0.1):
    """Rows from a hidden linear model, graded labels 0..3 by the quantiles of its noisy score."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * docs, n_features))
    true_w = np.random.default_rng(1234).normal(size=n_features)
    score = X @ true_w + noise * rng.normal(size=X.shape[0])
    y = np.digitize(score, np.quantile(score, [0.5, 0.75, 0.9]))
    qid = np.repeat(np.arange(n_queries), docs)
    return X, y, qid


def pair_differences(X, y, qid):
    rows = np.arange(len(y))
    highs, lows = [], []
    for q in np.unique(qid):
        member = rows[qid == q]
        high, low = np.nonzero(y[member][:, None] > y[member][None, :])
        highs.append(member[high])
        lows.append(member[low])
    return X[np.concatenate(highs)] - X[np.concatenate(lows)]


def pairwise_accuracy(scores, y, qid):
    correct = total = 0
    for q in np.unique(qid):
        s, labels = scores[qid == q], y[qid == q]
        above = labels[:, None] > labels[None, :]
        correct += int(np.sum(above & (s[:, None] > s[None, :])))
        total += int(np.sum(above))
    return correct / total


def cosine(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def close(actual, expected, tol=1e-10):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=0, atol=tol * scale)


@pytest.fixture(scope="module")
def train_test():
    return linear_dataset(60, 20, 8, seed=0), linear_dataset(40, 20, 8, seed=1)


# --- kernels against the oracles ------------------------------------------------------------------


def test_pair_layout_enumerates_every_pair_once():
    rng = np.random.default_rng(3)
    qid = rng.integers(0, 6, size=60) * 7 - 10  # unsorted, non-contiguous, negative ids
    y = rng.integers(0, 4, size=60)
    groups = _Groups(y, qid=qid, group=None, by_label=True)
    pair_offsets, low_start = _pair_layout(groups)
    found = []
    for p in range(int(pair_offsets[-1])):
        high, low = pair_positions(pair_offsets, low_start, p)
        found.append((int(groups.rows[high]), int(groups.rows[low])))
    expected = ref.query_pairs(y, qid)
    assert len(found) == len(set(found)) == len(expected)
    assert set(found) == set(expected)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(st.tuples(st.integers(-6, 6), st.integers(0, 3)), min_size=0, max_size=25),
    st.sampled_from([0.5, 1.0, 0.3]),
)
def test_pairwise_hinge_matches_double_loop(docs, step):
    # scores on a grid so that ties and hinge boundaries (differences of exactly 1) occur
    scores = np.array([s * step for s, _ in docs], dtype=np.float64)
    labels = np.array([label for _, label in docs], dtype=np.int64)
    offsets = np.array([0, len(docs)], dtype=np.int64)
    got = batch_pairwise_hinge(scores, labels, offsets)[0]
    close(got, ref.pairwise_hinge(scores.tolist(), labels.tolist()))


def test_pairwise_hinge_per_query():
    rng = np.random.default_rng(5)
    sizes = [0, 1, 7, 3, 12]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    scores = rng.normal(size=offsets[-1])
    labels = rng.integers(0, 3, size=offsets[-1])
    got = batch_pairwise_hinge(scores, labels, offsets)
    np.testing.assert_array_equal(got, batch_pairwise_hinge_serial(scores, labels, offsets))
    for q in range(len(sizes)):
        part = slice(offsets[q], offsets[q + 1])
        close(got[q], ref.pairwise_hinge(scores[part].tolist(), labels[part].tolist()))


@pytest.mark.parametrize("t_offset", [0.0, 1234.5])
@pytest.mark.parametrize("per_query_weights", [False, True])
def test_ranksvm_epoch_matches_sgd_oracle(per_query_weights, t_offset):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 5))
    y = rng.integers(0, 4, size=40)
    qid = rng.integers(0, 4, size=40)
    groups = _Groups(y, qid=qid, group=None, by_label=True)
    pair_offsets, low_start = _pair_layout(groups)
    n_pairs = int(pair_offsets[-1])
    weight = rng.uniform(0.5, 3.0, size=groups.n_queries) if per_query_weights else np.ones(groups.n_queries)
    position_weight = weight[groups.query_of]
    C = 0.05
    w = np.zeros(5)
    average = np.zeros(5)
    expected_w, expected_t, expected_avg = [0.0] * 5, 0, [0.0] * 5
    t = 0
    for _ in range(3):  # three epochs, each with its own fixed order (some pairs repeated)
        steps = rng.integers(0, n_pairs, size=n_pairs)
        radius = math.sqrt(C * n_pairs)
        t = ranksvm_epoch(X, groups.rows, pair_offsets, low_start, position_weight, steps,
                          C * steps.size, t_offset, radius, 3.0, w, t, average)
        row_pairs, weights = [], []
        for p in steps:
            high, low = pair_positions(pair_offsets, low_start, p)
            row_pairs.append((groups.rows[high], groups.rows[low]))
            weights.append(position_weight[high])
        expected_w, expected_t, expected_avg = ref.pegasos_steps(
            X.tolist(), row_pairs, weights, C * steps.size, t_offset, radius, 3.0, expected_w,
            expected_t, expected_avg,
        )
        assert t == expected_t
        close(w, expected_w)
        close(average, expected_avg)


def test_fitted_ranksvm_objective_is_the_oracle_objective(train_test):
    (X, y, qid), _ = train_test
    model = RankSVM(C=0.1, max_epochs=4, tol=None, random_state=0).fit(X[:200], y[:200], qid=qid[:200])
    expected = ref.ranksvm_objective(model.coef_.tolist(), X[:200].tolist(), y[:200].tolist(),
                                     qid[:200].tolist(), 0.1)
    close(min(model.loss_curve_), expected)  # coef_ is the average of the best epoch


def test_mean_pair_distance_matches_oracle():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(30, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=30)
    qid = rng.integers(0, 3, size=30)
    groups = _Groups(y, qid=qid, group=None, by_label=True)
    pair_offsets, low_start = _pair_layout(groups)
    sample = rng.integers(0, int(pair_offsets[-1]), size=50)
    got = mean_pair_distance(X, groups.rows, pair_offsets, low_start, sample)
    pairs = ref.query_pairs(y.tolist(), qid.tolist())
    # the sampled pairs, as rows, in the enumeration order of the layout
    expected = 0.0
    for p in sample:
        high, low = pair_positions(pair_offsets, low_start, p)
        pair = (int(groups.rows[high]), int(groups.rows[low]))
        assert pair in pairs
        expected += sum((float(X[pair[0], f]) - float(X[pair[1], f])) ** 2 for f in range(4))
    close(got, expected / 50)


@settings(deadline=None, max_examples=80)
@given(
    st.integers(1, 9),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["lambdarank", "lambdarank-raw", "ranknet"]),
    st.integers(1, 6),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.booleans(),
)
def test_query_weight_gradient_matches_double_loop(n, n_features, seed, kind, truncation, sigma, ties):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    if ties and n > 1:
        X[1] = X[0]  # two rows with the same score
    labels = rng.integers(0, 4, size=n).astype(np.float64)
    gains = 2.0**labels - 1.0 if kind != "lambdarank-raw" else labels.copy()
    w = rng.normal(size=n_features) * rng.choice([0.0, 1.0])  # sometimes all scores equal
    weighting = kind != "ranknet"
    normalize = kind == "lambdarank"
    rows = rng.permutation(n + 3)[:n].astype(np.int64)  # rows of a larger X, in any order
    big = np.zeros((n + 3, n_features))
    big[rows] = X
    out = np.empty(n_features)
    query_weight_gradient(big, rows, labels, gains, 0, n, w, sigma, truncation, weighting,
                          normalize, False, np.empty(n), np.empty(n), np.empty(n), out)
    expected = ref.weight_gradient(X.tolist(), labels.tolist(), gains.tolist(), w.tolist(), sigma,
                                   truncation, weighting, normalize)
    close(out, expected)


@pytest.mark.parametrize("batch", [1, 3, 50])
@pytest.mark.parametrize("objective", ["lambdarank", "ranknet"])
def test_lambdarank_epoch_matches_oracle(batch, objective):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(70, 4))
    qid = rng.integers(0, 8, size=70)
    y = rng.integers(0, 3, size=70)
    groups = _Groups(y, qid=qid, group=None, by_label=False)
    labels = groups.labels.astype(np.float64)
    gains = 2.0**labels - 1.0
    order = rng.permutation(groups.n_queries).astype(np.int64)
    weighting = objective == "lambdarank"
    w0 = rng.normal(size=4) * 0.1
    parts = [slice(groups.offsets[q], groups.offsets[q + 1]) for q in range(groups.n_queries)]
    expected = ref.lambdarank_epoch(
        [X[groups.rows[part]].tolist() for part in parts], [labels[part].tolist() for part in parts],
        [gains[part].tolist() for part in parts], order.tolist(), batch, w0.tolist(), 0.1, 0.01,
        1.0, 5, weighting, True,
    )
    results = []
    for epoch in (lambdarank_epoch, lambdarank_epoch_parallel):
        w = w0.copy()
        epoch(X, groups.rows, labels, groups.offsets, gains, order, batch, w, 0.1, 0.01, 1.0, 5,
              weighting, True)
        close(w, expected)
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])  # the same arithmetic, in the same order


def test_scores_match_oracle():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(30, 3))
    w = rng.normal(size=3)
    rows = rng.permutation(30).astype(np.int64)
    close(batch_scores(X, rows, w), X[rows] @ w, tol=1e-12)
    close(batch_scores_serial(X, rows, w), batch_scores(X, rows, w), tol=0)


# --- RankSVM against the classic reduction ---------------------------------------------------------


def test_ranksvm_agrees_with_linearsvc_on_pair_differences(train_test):
    svm = pytest.importorskip("sklearn.svm")
    (X, y, qid), (X_test, y_test, qid_test) = train_test
    C = 0.1
    differences = pair_differences(X, y, qid)
    both = np.vstack([differences, -differences])
    signs = np.r_[np.ones(len(differences)), -np.ones(len(differences))]
    # ||w||^2/2 + C' * sum over both signs = ||w||^2/2 + 2 C' * sum over pairs: C' = C / 2
    reference = svm.LinearSVC(C=C / 2, loss="hinge", fit_intercept=False, tol=1e-6, max_iter=50_000)
    reference.fit(both, signs)
    expected = reference.coef_.ravel()
    model = RankSVM(C=C, max_epochs=60, random_state=0).fit(X, y, qid=qid)
    assert cosine(model.coef_, expected) > 0.99
    for features, labels, groups in ((X, y, qid), (X_test, y_test, qid_test)):
        ours = pairwise_accuracy(model.predict(features), labels, groups)
        theirs = pairwise_accuracy(features @ expected, labels, groups)
        assert abs(ours - theirs) < 0.01
    objective = ref.ranksvm_objective  # both near the same optimum of the same objective
    ours = objective(model.coef_.tolist(), X.tolist(), y.tolist(), qid.tolist(), C)
    theirs = objective(expected.tolist(), X.tolist(), y.tolist(), qid.tolist(), C)
    assert ours <= theirs * 1.01


def test_ranksvm_sampled_pairs_reach_the_same_optimum(train_test):
    (X, y, qid), _ = train_test
    full = RankSVM(C=0.1, max_epochs=40, tol=None, random_state=0).fit(X, y, qid=qid)
    sampled = RankSVM(C=0.1, max_epochs=40, tol=None, pairs=40, random_state=0).fit(X, y, qid=qid)
    every = RankSVM(C=0.1, max_epochs=40, tol=None, pairs=10**6, random_state=0).fit(X, y, qid=qid)
    assert cosine(sampled.coef_, full.coef_) > 0.99
    assert cosine(every.coef_, full.coef_) > 0.999
    assert sampled.loss_curve_[-1] <= full.loss_curve_[-1] * 1.05
    assert sampled.n_pairs_ == full.n_pairs_


def test_pair_sampler_mixes_whole_and_sampled_queries():
    y = np.array([2, 1, 0, 0, 1, 0, 3, 2, 1, 0, 2, 1, 1, 1])  # queries of 5, 1, 13 and 0 pairs
    qid = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3]) * 3
    groups = _Groups(y, qid=qid, group=None, by_label=True)
    pair_offsets, _ = _pair_layout(groups)
    query_pairs = pair_offsets[groups.offsets[1:]] - pair_offsets[groups.offsets[:-1]]
    assert query_pairs.tolist() == [5, 1, 13, 0]
    draw, weight, n_steps = _pair_sampler(pair_offsets, groups, query_pairs, 5, np.random.default_rng(0))
    assert n_steps == 5 + 1 + 5
    first = pair_offsets[groups.offsets[:-1]]
    for _ in range(3):
        steps = draw()
        assert steps.size == n_steps
        in_query = np.searchsorted(pair_offsets[groups.offsets[1:]], steps, side="right")
        assert np.bincount(in_query, minlength=4).tolist() == [5, 1, 5, 0]
        assert sorted(steps[in_query == 0] - first[0]) == [0, 1, 2, 3, 4]  # every pair once
    assert weight[groups.query_of == 2].tolist() == [13 / 5] * 6
    assert weight[groups.query_of != 2].tolist() == [1.0] * 8


# --- learning on synthetic linear data ---------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        RankSVM(C=0.1, random_state=0),
        RankSVM(C=0.1, pairs=20, random_state=0),
        LinearLambdaRank(random_state=0, max_epochs=30),
        LinearLambdaRank(objective="ranknet", learning_rate=0.01, random_state=0, max_epochs=30),
        LinearLambdaRank(batch="full", learning_rate=0.5, random_state=0, max_epochs=60),
    ],
    ids=["ranksvm", "ranksvm-sampled", "lambdarank", "ranknet", "lambdarank-full"],
)
def test_rankers_learn_a_linear_model(model, train_test):
    (X, y, qid), (X_test, y_test, qid_test) = train_test
    model.fit(X, y, qid=qid)
    assert pairwise_accuracy(model.predict(X_test), y_test, qid_test) > 0.9


def test_lambdarank_training_ndcg_increases(train_test):
    (X, y, qid), _ = train_test
    model = LinearLambdaRank(learning_rate=0.01, max_epochs=15, tol=None, random_state=0).fit(X, y, qid=qid)
    assert model.n_iter_ == len(model.ndcg_curve_) == 15
    assert model.ndcg_curve_[-1] > model.ndcg_curve_[0]
    assert max(model.ndcg_curve_) > 0.9
    scores = model.predict(X)
    gains = 2.0**y - 1.0
    mean = np.mean([ref.ndcg_at_k(scores[qid == q].tolist(), gains[qid == q].tolist(), 30)
                    for q in np.unique(qid)])
    assert mean == pytest.approx(model.ndcg_curve_[-1], abs=1e-12)


def test_ranksvm_objective_decreases(train_test):
    (X, y, qid), _ = train_test
    model = RankSVM(C=1.0, max_epochs=20, tol=None, random_state=0).fit(X, y, qid=qid)
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert model.n_iter_ == 20


def test_tolerance_stops_early(train_test):
    (X, y, qid), _ = train_test
    assert RankSVM(C=0.1, max_epochs=500, tol=1e-2, random_state=0).fit(X, y, qid=qid).n_iter_ < 500
    model = LinearLambdaRank(max_epochs=500, tol=0.5, n_iter_no_change=2, random_state=0)
    assert model.fit(X, y, qid=qid).n_iter_ == 3


# --- determinism and grouping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: RankSVM(C=0.1, max_epochs=5, tol=None, random_state=3),
        lambda: RankSVM(C=0.1, max_epochs=5, tol=None, pairs=7, random_state=3),
        lambda: LinearLambdaRank(max_epochs=5, tol=None, random_state=3),
        lambda: LinearLambdaRank(max_epochs=5, tol=None, batch=4, random_state=3),
    ],
    ids=["ranksvm", "ranksvm-sampled", "lambdarank", "lambdarank-batch"],
)
def test_same_seed_same_weights_whatever_the_threads(make, train_test, monkeypatch):
    (X, y, qid), _ = train_test
    one = make().set_params(threads=1).fit(X, y, qid=qid)
    two = make().set_params(threads=2).fit(X, y, qid=qid)
    again = make().fit(X, y, qid=qid)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.coef_, again.coef_)
    other = make().set_params(random_state=4).fit(X, y, qid=qid)
    assert not np.array_equal(one.coef_, other.coef_)
    # the parallel kernels (used on large inputs) give the same bits, with 1 or 2 threads
    monkeypatch.setattr(linear_module, "_PARALLEL_WORK", 0)
    for threads in (1, 2):
        parallel = make().set_params(threads=threads).fit(X, y, qid=qid)
        np.testing.assert_array_equal(parallel.coef_, one.coef_)


@pytest.mark.parametrize("make", [lambda: RankSVM(C=0.1, max_epochs=5, random_state=0),
                                  lambda: LinearLambdaRank(max_epochs=5, random_state=0)])
def test_rows_need_not_be_grouped_by_query(make, train_test):
    (X, y, qid), _ = train_test
    # interleave the queries but keep each query's rows in their order: same groups, same model
    shuffled = qid[np.random.default_rng(0).permutation(len(qid))]
    interleaved = np.empty(len(qid), dtype=np.int64)
    for q in np.unique(qid):
        interleaved[shuffled == q] = np.flatnonzero(qid == q)
    assert not np.array_equal(qid[interleaved], np.sort(qid))
    relabelled = 17 * qid[interleaved] - 10_000  # any increasing integer ids: same query order
    base = make().fit(X, y, qid=qid)
    moved = make().fit(X[interleaved], y[interleaved], qid=relabelled)
    np.testing.assert_array_equal(base.coef_, moved.coef_)


def test_float32_input_is_used_as_float64(train_test):
    (X, y, qid), _ = train_test
    X32 = X.astype(np.float32)
    for make in (lambda: RankSVM(C=0.1, max_epochs=3, random_state=0),
                 lambda: LinearLambdaRank(max_epochs=3, random_state=0)):
        single = make().fit(X32, y, qid=qid)
        double = make().fit(X32.astype(np.float64), y, qid=qid)
        close(single.coef_, double.coef_, tol=1e-9)
        assert single.predict(X32).dtype == np.float64


@pytest.mark.parametrize("make", [RankSVM, LinearLambdaRank])
def test_intercept_centres_training_scores(make, train_test):
    (X, y, qid), _ = train_test
    plain = make(max_epochs=3, random_state=0).fit(X + 5.0, y, qid=qid)
    centred = make(max_epochs=3, random_state=0, fit_intercept=True).fit(X + 5.0, y, qid=qid)
    assert plain.intercept_ == 0.0
    np.testing.assert_array_equal(plain.coef_, centred.coef_)
    assert abs(centred.predict(X + 5.0).mean()) < 1e-9
    np.testing.assert_array_equal(np.argsort(plain.predict(X)), np.argsort(centred.predict(X)))


def test_group_sizes_instead_of_qid(train_test):
    (X, y, qid), _ = train_test
    model = RankSVM(C=0.01, max_epochs=3, random_state=0).fit(X[:50], y[:50], group=[50])
    assert model.n_pairs_ == len(ref.query_pairs(y[:50].tolist(), [0] * 50))
    sizes = np.bincount(qid)
    for make in (lambda: RankSVM(max_epochs=2, random_state=0),
                 lambda: LinearLambdaRank(max_epochs=2, random_state=0, show_progress=True)):
        by_group = make().fit(X, y, group=sizes)
        np.testing.assert_array_equal(by_group.coef_, make().fit(X, y, qid=qid).coef_)


# --- scikit-learn protocol ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [RankSVM(C=0.5, pairs=10, random_state=1),
                                   LinearLambdaRank(objective="ranknet", l2=0.1, batch=8)])
def test_clone_keeps_params(model, train_test):
    base = pytest.importorskip("sklearn.base")
    (X, y, qid), _ = train_test
    model.set_params(max_epochs=2)
    copy = base.clone(model)
    assert copy is not model
    assert copy.get_params() == model.get_params()
    assert "max_epochs=2" in repr(copy)
    copy.fit(X, y, qid=qid)
    assert not hasattr(model, "coef_")
    assert base.clone(copy).get_params() == copy.get_params()


def test_get_and_set_params():
    model = RankSVM()
    assert model.get_params() == {
        "C": 1.0, "fit_intercept": False, "max_epochs": 100, "n_iter_no_change": 5, "pairs": "all",
        "random_state": None, "show_progress": None, "threads": None, "tol": 1e-4,
    }
    assert repr(model) == "RankSVM()"
    assert model.set_params(C=2.0) is model and model.C == 2.0
    with pytest.raises(RankValueError, match="no parameter 'lr'") as info:
        LinearLambdaRank().set_params(lr=0.1)
    assert isinstance(info.value, ValueError)


# --- bad inputs ------------------------------------------------------------------------------------


def raises(error, builtin, call, match=None):
    with raises_exactly(error, builtin, match):
        call()


@pytest.mark.parametrize("make", [RankSVM, LinearLambdaRank])
def test_bad_inputs(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
    qid = np.repeat([0, 1, 2], 4)
    raises(NotFittedError, AttributeError, lambda: make().predict(X), "not fitted")
    raises(NotFittedError, ValueError, lambda: make().predict(X))
    bad = X.copy()
    bad[4, 1] = np.nan
    raises(NonFiniteInputError, ValueError, lambda: make().fit(bad, y, qid=qid), "NaN")
    bad[4, 1] = np.inf
    raises(NonFiniteInputError, ValueError, lambda: make().fit(bad, y, qid=qid))
    fractional = y.astype(float)
    fractional[7] = 1.5
    raises(RankValueError, ValueError, lambda: make().fit(X, fractional, qid=qid), "row 7 is 1.5")
    missing = y.astype(float)
    missing[3] = np.nan
    raises(NonFiniteInputError, ValueError, lambda: make().fit(X, missing, qid=qid), "row 3")
    raises(RankTypeError, TypeError, lambda: make().fit(X, np.array(["a"] * 12), qid=qid))
    raises(ShapeMismatchError, ValueError, lambda: make().fit(X, y, qid=qid[:-1]), "qid")
    raises(ShapeMismatchError, ValueError, lambda: make().fit(X, y[:-1], qid=qid), "y has 11")
    raises(ShapeMismatchError, ValueError, lambda: make().fit(X[0], y, qid=qid), "2-dimensional")
    raises(RankValueError, ValueError, lambda: make().fit(X[:0], y[:0], qid=qid[:0]), "no rows")
    raises(RankValueError, ValueError, lambda: make().fit(X, np.ones(12, int), qid=qid), "no pair")
    raises(RankValueError, ValueError, lambda: make().fit(X, y, qid=np.arange(12)), "no pair")
    raises(RankTypeError, TypeError, lambda: make().fit([["a", "b"]], [0], qid=[0]))
    raises(RankValueError, ValueError, lambda: make().fit(X, y), "qid")
    fitted = make(max_epochs=1, random_state=0).fit(X, y, qid=qid)
    raises(ShapeMismatchError, ValueError, lambda: fitted.predict(X[:, :2]), "2 features")
    raises(NonFiniteInputError, ValueError, lambda: fitted.predict(bad))
    raises(RankValueError, ValueError, lambda: make(max_epochs=0).fit(X, y, qid=qid), "max_epochs")
    raises(RankTypeError, TypeError, lambda: make(max_epochs=2.5).fit(X, y, qid=qid), "max_epochs")
    raises(RankValueError, ValueError, lambda: make(tol=-1.0).fit(X, y, qid=qid), "tol")
    raises(RankTypeError, TypeError, lambda: make(fit_intercept="yes").fit(X, y, qid=qid))
    raises(RankValueError, ValueError, lambda: make(threads=0).fit(X, y, qid=qid), "threads")
    raises(RankTypeError, TypeError, lambda: make(random_state=True).fit(X, y, qid=qid))
    sparse = pytest.importorskip("scipy.sparse")
    raises(RankTypeError, TypeError, lambda: make().fit(sparse.csr_matrix(X), y, qid=qid), "toarray")


def test_bad_parameters():
    X = np.eye(4)
    y = np.array([0, 1, 0, 1])
    raises(RankValueError, ValueError, lambda: RankSVM(C=0.0).fit(X, y, group=[4]), "C")
    raises(RankValueError, ValueError, lambda: RankSVM(pairs="some").fit(X, y, group=[4]), "pairs")
    raises(RankValueError, ValueError, lambda: RankSVM(pairs=0).fit(X, y, group=[4]), "pairs")
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(objective="listnet").fit(X, y, group=[4]))
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(gain="log").fit(X, y, group=[4]))
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(batch="all").fit(X, y, group=[4]), "batch")
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(batch=0).fit(X, y, group=[4]), "batch")
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(learning_rate=0).fit(X, y, group=[4]))
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(l2=-1.0).fit(X, y, group=[4]), "l2")
    raises(RankValueError, ValueError, lambda: LinearLambdaRank(truncation_level=0).fit(X, y, group=[4]))
    raises(RankValueError, ValueError, lambda: LinearLambdaRank().fit(X, [0, 1, -1, 0], group=[4]), "row 2")
    raises(RankValueError, ValueError, lambda: LinearLambdaRank().fit(X, [0, 1, 2000, 0], group=[4]), "linear")
    model = LinearLambdaRank(gain="linear", max_epochs=2).fit(X, [0, 1, 2000, 0], group=[4])
    assert np.all(np.isfinite(model.coef_))
