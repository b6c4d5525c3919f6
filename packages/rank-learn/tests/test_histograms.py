"""The histogram layouts of the trees: dense columns, sparse row-wise entries and the most frequent
bin of a sparse feature rebuilt from the leaf's totals, against plain NumPy sums."""

from __future__ import annotations

import numpy as np
import pytest

from rank_core.jit import threads as numba_threads
from rank_learn import LambdaMART
from rank_learn._kernels.trees import (
    _SPARSE_SHARE,
    _build_histogram,
    grow_tree,
    histogram_inputs,
    histogram_layout,
)


def _codes(seed=0, n_rows=3000):
    """Bin codes of six kinds of feature: constant, two-valued, dense, sparse at several shares of
    the most frequent bin (which is not always bin 0), and one exactly at the sparse share."""
    rng = np.random.default_rng(seed)
    n_bins = np.array([1, 2, 30, 12, 40, 5, 9, 3])
    columns = [
        np.zeros(n_rows, dtype=np.int64),  # constant: never split, no histogram
        rng.integers(0, 2, n_rows),
        rng.integers(0, 30, n_rows),
        np.where(rng.random(n_rows) < 0.9, 0, rng.integers(0, 12, n_rows)),
        np.where(rng.random(n_rows) < 0.75, 7, rng.integers(0, 40, n_rows)),
        np.where(rng.random(n_rows) < 0.99, 4, rng.integers(0, 5, n_rows)),
        np.where(rng.random(n_rows) < 0.5, 3, rng.integers(0, 9, n_rows)),
        np.where(np.arange(n_rows) < round(_SPARSE_SHARE * n_rows), 2, np.arange(n_rows) % 2),
    ]
    missing = rng.random(n_rows) < 0.05
    columns[3] = np.where(missing, n_bins[3], columns[3])  # the missing bin of feature 3
    codes = np.stack(columns).astype(np.uint8)
    bin_start = np.concatenate(([0], np.cumsum(n_bins + 1))).astype(np.int64)
    return codes, bin_start


def test_layout_splits_features_by_their_most_frequent_bin():
    codes, bin_start = _codes()
    n_features, n_rows = codes.shape
    dense, sparse, default_bin, indptr, entries = histogram_layout(codes, bin_start)
    expected_dense, expected_sparse, expected_default = [], [], {}
    for f in range(n_features):
        counts = np.bincount(codes[f], minlength=bin_start[f + 1] - bin_start[f])
        if np.count_nonzero(counts) < 2:
            continue
        if counts.max() >= _SPARSE_SHARE * n_rows:
            expected_sparse.append(f)
            expected_default[f] = bin_start[f] + counts.argmax()
        else:
            expected_dense.append(f)
    assert dense.tolist() == expected_dense
    assert sparse.tolist() == expected_sparse
    assert 0 not in dense and 0 not in sparse  # the constant feature
    assert 7 in sparse  # exactly at the share
    for f in expected_sparse:
        assert default_bin[f] == expected_default[f]
    for r in range(0, n_rows, 97):
        row = [bin_start[f] + codes[f, r] for f in expected_sparse
               if bin_start[f] + codes[f, r] != expected_default[f]]
        assert entries[indptr[r] : indptr[r + 1]].tolist() == row


@pytest.mark.parametrize("n_rows", [3000, 40_000])  # a serial scan; one parallel over blocks
def test_histogram_equals_numpy_sums(n_rows):
    codes, bin_start = _codes(seed=1, n_rows=n_rows)
    if n_rows > 3000:  # enough dense features for the parallel scan (rows x features >= 2**21)
        codes = np.concatenate([codes] + [codes[2:3]] * 160)
        bin_start = np.concatenate([bin_start, bin_start[-1] + 31 * np.arange(1, 161)])
    layout = histogram_layout(codes, bin_start)
    used = np.ones(codes.shape[0], dtype=np.bool_)
    inputs = histogram_inputs(codes, bin_start, layout, used)
    rng = np.random.default_rng(2)
    grad = rng.normal(size=n_rows)
    hess = rng.random(n_rows)
    rows = np.sort(rng.choice(n_rows, size=n_rows // 3, replace=False)).astype(np.int64)
    hist = np.full((bin_start[-1], 2), np.nan)
    for threads in (1, 2):
        with numba_threads(threads):
            _build_histogram(hist, inputs, rows, grad, hess)
        for f in np.concatenate(layout[:2]):
            bins = codes[f, rows]
            width = bin_start[f + 1] - bin_start[f]
            expected_grad = np.bincount(bins, weights=grad[rows], minlength=width)
            expected_hess = np.bincount(bins, weights=hess[rows], minlength=width)
            np.testing.assert_allclose(hist[bin_start[f] : bin_start[f + 1], 0], expected_grad, rtol=0, atol=1e-9)
            np.testing.assert_allclose(hist[bin_start[f] : bin_start[f + 1], 1], expected_hess, rtol=0, atol=1e-9)


def test_sparse_layout_grows_the_dense_layouts_tree():
    """The same tree whether the sparse features are scanned as sparse entries or as columns."""
    codes, bin_start = _codes(seed=3)
    n_features, n_rows = codes.shape
    rng = np.random.default_rng(4)
    grad = rng.normal(size=n_rows) + 0.8 * (codes[3] > 6) - 0.5 * (codes[5] != 4)
    hess = 0.1 + rng.random(n_rows)
    has_missing = np.zeros(n_features, dtype=np.bool_)
    has_missing[3] = True
    dense, sparse, default_bin, indptr, entries = histogram_layout(codes, bin_start)
    assert sparse.size >= 3
    used = np.zeros(n_features, dtype=np.bool_)
    used[dense] = used[sparse] = True
    all_dense = np.sort(np.concatenate([dense, sparse]))
    no_sparse = (np.zeros(0, dtype=np.int64), np.zeros(n_rows + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    rows = np.arange(n_rows, dtype=np.int64)
    trees = []
    for layout in ((dense, sparse, default_bin, indptr, entries),
                   (all_dense, no_sparse[0], default_bin, no_sparse[1], no_sparse[2])):
        hist = np.empty((15, bin_start[-1], 2))
        inputs = histogram_inputs(codes, bin_start, layout, used)
        trees.append(grow_tree(codes, bin_start, has_missing, inputs, used, rows, grad, hess, hist,
                               15, 0, 20, 1e-3, 0.0, 0.0))
    sparse_tree, dense_tree = trees
    assert sparse_tree[0].size == 14
    assert set(sparse_tree[0]) & set(sparse.tolist())  # sparse features do split
    for ours, theirs in zip(sparse_tree[:5], dense_tree[:5], strict=True):  # the structure
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(sparse_tree[5], dense_tree[5], rtol=1e-9)  # gains
    np.testing.assert_allclose(sparse_tree[6], dense_tree[6], rtol=1e-9, atol=1e-12)  # leaf values


def test_sparse_features_train_alike_on_one_and_two_threads():
    rng = np.random.default_rng(5)
    n_rows = 24_000
    X = rng.normal(size=(n_rows, 100))
    X[rng.random(X.shape) < 0.85] = 0.0  # mostly sparse columns
    X[:, 90:] = rng.normal(size=(n_rows, 10))  # and a few dense ones
    y = np.digitize(X[:, 0] + X[:, 95] + 0.3 * rng.normal(size=n_rows), [0.5, 1.5])
    qid = np.repeat(np.arange(n_rows // 40), 40)
    models = [LambdaMART(n_estimators=3, threads=threads).fit(X, y, qid=qid) for threads in (1, 2)]
    np.testing.assert_array_equal(models[0].predict(X), models[1].predict(X))
    assert {0, 95} <= set(models[0].trees_["feature"].tolist())
