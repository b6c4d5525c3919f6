"""Histogram regression trees grown leaf-wise on gradients and hessians (one boosting round).

Features are binned (``binning.py``): ``codes[f, r]`` is row ``r``'s bin of feature ``f``, the
value bins ``0 .. n_bins[f] - 1`` then the missing bin ``n_bins[f]``. A histogram holds the
(gradient, hessian) sums of every bin of every feature, feature ``f`` at rows
``bin_start[f] .. bin_start[f] + n_bins[f]``.

A tree of ``L`` leaves has ``L - 1`` internal nodes. Node ``j`` sends a row left when its bin
for ``feature[j]`` is ``<= split_bin[j]`` (a missing value goes left iff ``missing_left[j]``);
``left[j]`` / ``right[j]`` are internal nodes when >= 0 and leaf ``~child`` when < 0. Splitting
leaf ``l`` keeps ``l`` for the left child and numbers the right child next (LightGBM's order).

The split of a leaf with sums ``G``, ``H`` maximises
``G_L^2 / (H_L + l2) + G_R^2 / (H_R + l2) - G^2 / (H + l2)`` over used features and thresholds;
both sides must keep ``min_data_in_leaf`` rows and ``min_sum_hessian`` hessian, where, as in
LightGBM, a side's rows are estimated from its hessian (``floor(h_bin * rows / H + 0.5)`` summed
over its bins, LightGBM's ``RoundInt``). A leaf is split only when that gain exceeds ``min_gain``, the tree has fewer than
``num_leaves`` leaves and the leaf is shallower than ``max_depth`` (<= 0: unlimited). The leaf
with the largest gain is split first; ties go to the lowest leaf, then the lowest feature. A
leaf's value is ``-G / (H + l2)``.

Only the smaller child of a split is scanned; the larger one's histogram is its parent's minus the
smaller's.

A histogram is built only for the features that can split (at least two occupied bins), in two
layouts chosen once per training set (``histogram_layout``). Dense features are scanned column by
column from ``codes``. A sparse feature, whose most frequent bin holds at least ``_SPARSE_SHARE`` of
the rows (the zeros of a sparse LETOR column), is kept as row-wise entries of its other bins only;
its most frequent bin is then the leaf's totals minus the other bins (LightGBM's sparse bins and
most-frequent-bin fix, in the same spirit): the work is proportional to those entries, not to rows
x features.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_learn._jit import kernel

#: features per block of a histogram scan: interleaving a few features' updates keeps two
#: updates of one bin apart (a sparse feature hits the same bin row after row).
_FEATURE_BLOCK = 8
#: histogram updates (rows x features) from which a scan runs in parallel over feature blocks:
#: below, a parallel region's start and join (and a busy machine's descheduled thread) cost
#: more than the scan.
_PARALLEL_HISTOGRAM_UPDATES = 1 << 21
#: histogram bins from which split finding runs in parallel over features.
_PARALLEL_SPLIT_BINS = 16384
#: share of the rows in a feature's most frequent bin from which the feature is stored sparsely.
_SPARSE_SHARE = 0.7


@kernel(parallel=True)
def histogram_layout(codes, bin_start):
    """The features whose histograms are built, and how: ``(dense, sparse, default_bin, indptr,
    entries)``. ``dense`` and ``sparse`` are feature indices (features with a single occupied bin
    can never split and are in neither); ``default_bin[f]`` is sparse feature ``f``'s most frequent
    bin as a histogram row; row ``r``'s sparse entries, the histogram rows of its other bins, are
    ``entries[indptr[r] : indptr[r + 1]]``."""
    n_features, n_rows = codes.shape
    splittable = np.zeros(n_features, dtype=np.bool_)
    is_sparse = np.zeros(n_features, dtype=np.bool_)
    default_bin = np.full(n_features, -1, dtype=np.int64)
    for f in prange(n_features):
        counts = np.zeros(bin_start[f + 1] - bin_start[f], dtype=np.int64)
        for r in range(n_rows):
            counts[codes[f, r]] += 1
        most = int(np.argmax(counts))
        splittable[f] = np.count_nonzero(counts) >= 2
        if splittable[f] and counts[most] >= _SPARSE_SHARE * n_rows:
            is_sparse[f] = True
            default_bin[f] = bin_start[f] + most
    dense = np.flatnonzero(splittable & ~is_sparse)
    sparse = np.flatnonzero(is_sparse)
    row_entries = np.zeros(n_rows, dtype=np.int64)
    for r in prange(n_rows):
        for f in sparse:
            if bin_start[f] + codes[f, r] != default_bin[f]:
                row_entries[r] += 1
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(row_entries)
    entries = np.empty(indptr[n_rows], dtype=np.int32)
    for r in prange(n_rows):
        k = indptr[r]
        for f in sparse:
            b = bin_start[f] + codes[f, r]
            if b != default_bin[f]:
                entries[k] = b
                k += 1
    return dense, sparse, default_bin, indptr, entries


def histogram_inputs(codes, bin_start, layout, used):
    """What ``grow_tree`` reads to build histograms: the ``used`` dense features' codes as
    consecutive rows (a copy unless they are all of ``codes``) and their histogram rows
    ``start .. stop - 1``; the sparse features' histogram rows and most frequent bins, and the
    sparse entries. Scanning consecutive code rows is about twice as fast as gathering them."""
    dense, sparse, default_bin, indptr, entries = layout
    dense = dense[used[dense]]
    dense_codes = codes if dense.size == codes.shape[0] else np.ascontiguousarray(codes[dense])
    return (dense_codes, bin_start[dense], bin_start[dense + 1], bin_start[sparse],
            bin_start[sparse + 1], default_bin[sparse], indptr, entries)


@kernel
def _accumulate_dense(hist, dense_codes, dense_start, dense_stop, rows, grad, hess, first, stop):
    """Zero the bins of dense features ``first .. stop - 1`` and add the rows' sums into them;
    ``grad`` and ``hess`` are already in ``rows`` order."""
    for j in range(first, stop):
        hist[dense_start[j] : dense_stop[j]] = 0.0
    for i in range(rows.size):
        r = rows[i]
        for j in range(first, stop):
            b = dense_start[j] + dense_codes[j, r]
            hist[b, 0] += grad[i]
            hist[b, 1] += hess[i]


@kernel
def _accumulate_sparse(hist, sparse_start, sparse_stop, sparse_default, indptr, entries, rows, grad,
                       hess):
    """The sparse features' bins: the rows' entries, then each most frequent bin as the rows'
    totals minus the feature's other bins."""
    if sparse_start.size == 0:
        return  # all dense (an MSLR-like set): no pass over the rows for totals nobody reads
    for j in range(sparse_start.size):
        hist[sparse_start[j] : sparse_stop[j]] = 0.0
    total_grad = 0.0
    total_hess = 0.0
    for i in range(rows.size):
        r = rows[i]
        g = grad[i]
        h = hess[i]
        total_grad += g
        total_hess += h
        for k in range(indptr[r], indptr[r + 1]):
            b = entries[k]
            hist[b, 0] += g
            hist[b, 1] += h
    for j in range(sparse_start.size):
        other_grad = 0.0
        other_hess = 0.0
        for b in range(sparse_start[j], sparse_stop[j]):
            other_grad += hist[b, 0]
            other_hess += hist[b, 1]
        hist[sparse_default[j], 0] = total_grad - other_grad
        hist[sparse_default[j], 1] = total_hess - other_hess


@kernel(parallel=True)
def _build_histogram(hist, inputs, rows, grad, hess):
    """``hist`` = the sums over ``rows`` of every bin of the features in ``inputs``
    (``histogram_inputs``): the dense ones by blocks of features, the sparse ones as one more block
    (blocks in parallel when large). Each bin is summed by one thread in row order, so the sums do
    not depend on the thread count."""
    (dense_codes, dense_start, dense_stop, sparse_start, sparse_stop, sparse_default, indptr,
     entries) = inputs
    ordered_grad = grad[rows]
    ordered_hess = hess[rows]
    n_dense = dense_start.size
    n_blocks = (n_dense + _FEATURE_BLOCK - 1) // _FEATURE_BLOCK
    if rows.size * n_dense >= _PARALLEL_HISTOGRAM_UPDATES:
        for block in prange(n_blocks + 1):
            if block == n_blocks:
                _accumulate_sparse(hist, sparse_start, sparse_stop, sparse_default, indptr,
                                   entries, rows, ordered_grad, ordered_hess)
            else:
                first = block * _FEATURE_BLOCK
                _accumulate_dense(hist, dense_codes, dense_start, dense_stop, rows, ordered_grad,
                                  ordered_hess, first, min(n_dense, first + _FEATURE_BLOCK))
    else:
        for block in range(n_blocks):
            first = block * _FEATURE_BLOCK
            _accumulate_dense(hist, dense_codes, dense_start, dense_stop, rows, ordered_grad,
                              ordered_hess, first, min(n_dense, first + _FEATURE_BLOCK))
        _accumulate_sparse(hist, sparse_start, sparse_stop, sparse_default, indptr, entries,
                           rows, ordered_grad, ordered_hess)


@kernel
def _leaf_score(g, h, l2):
    return g * g / (h + l2)


@kernel
def _feature_split(feature_hist, has_missing, total_grad, total_hess, rows, l2, min_rows, min_hess):
    """Best threshold of one feature: (gain over the parent, bin, missing_left, left g, left h).

    Thresholds are scanned from the highest bin down, missing values left before right, and a
    later candidate must be strictly better: LightGBM's order, so equal gains pick its split."""
    n_value_bins = feature_hist.shape[0] - 1
    parent = _leaf_score(total_grad, total_hess, l2)
    count_factor = rows / total_hess if total_hess > 0.0 else 0.0
    missing_grad = feature_hist[n_value_bins, 0]
    missing_hess = feature_hist[n_value_bins, 1]
    missing_rows = math.floor(missing_hess * count_factor + 0.5)
    best_gain = -np.inf
    best_bin = -1
    best_missing_left = False
    best_grad = 0.0
    best_hess = 0.0
    right_grad = 0.0
    right_hess = 0.0
    right_rows = 0.0
    # with missing values, the highest threshold separates every value from the missing ones
    first = n_value_bins - 1 if has_missing else n_value_bins - 2
    for b in range(first, -1, -1):
        if b < n_value_bins - 1:
            bin_grad = feature_hist[b + 1, 0]
            bin_hess = feature_hist[b + 1, 1]
            if b < first and bin_grad == 0.0 and bin_hess == 0.0:
                # an empty bin: the same sums as the threshold above, so never strictly better
                # (most bins of a small leaf are empty)
                continue
            right_grad += bin_grad
            right_hess += bin_hess
            right_rows += math.floor(bin_hess * count_factor + 0.5)
        for missing_left in (True, False):
            if missing_left and (not has_missing or b == n_value_bins - 1):
                continue  # no missing values to place, or nothing would go right
            rg = right_grad if missing_left else right_grad + missing_grad
            rh = right_hess if missing_left else right_hess + missing_hess
            rc = right_rows if missing_left else right_rows + missing_rows
            lg = total_grad - rg
            lh = total_hess - rh
            if rows - rc < min_rows or rc < min_rows or lh < min_hess or rh < min_hess:
                continue
            gain = _leaf_score(lg, lh, l2) + _leaf_score(rg, rh, l2) - parent
            if gain > best_gain:
                best_gain = gain
                best_bin = b
                best_missing_left = missing_left
                best_grad = lg
                best_hess = lh
    return best_gain, best_bin, best_missing_left, best_grad, best_hess


@kernel
def _split_features(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2, min_rows,
                    min_hess, first, stop, gains, bins, missing_left, left_grad, left_hess):
    """``_feature_split`` of features ``first .. stop - 1`` into the per-feature arrays."""
    for f in range(first, stop):
        if used[f] and bin_start[f + 1] - bin_start[f] > 1:
            gains[f], bins[f], missing_left[f], left_grad[f], left_hess[f] = _feature_split(
                hist[bin_start[f] : bin_start[f + 1]], has_missing[f], total_grad, total_hess, rows,
                l2, min_rows, min_hess,
            )


@kernel(parallel=True)
def _split_features_parallel(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2,
                             min_rows, min_hess, gains, bins, missing_left, left_grad, left_hess):
    n_features = bin_start.size - 1
    n_blocks = (n_features + 7) // 8
    for block in prange(n_blocks):
        _split_features(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2,
                        min_rows, min_hess, block * 8, min(n_features, block * 8 + 8), gains, bins,
                        missing_left, left_grad, left_hess)


@kernel
def _best_split(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2, min_rows, min_hess):
    """The best split over every used feature: (gain, feature, bin, missing_left, left g, left h).

    Features are scanned in parallel only when there are many bins: a parallel region costs more
    than a scan of a few thousand bins."""
    n_features = bin_start.size - 1
    gains = np.full(n_features, -np.inf)
    bins = np.full(n_features, -1, dtype=np.int64)
    missing_left = np.zeros(n_features, dtype=np.bool_)
    left_grad = np.zeros(n_features)
    left_hess = np.zeros(n_features)
    if bin_start[n_features] >= _PARALLEL_SPLIT_BINS:
        _split_features_parallel(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2,
                                 min_rows, min_hess, gains, bins, missing_left, left_grad, left_hess)
    else:
        _split_features(hist, bin_start, has_missing, used, total_grad, total_hess, rows, l2,
                        min_rows, min_hess, 0, n_features, gains, bins, missing_left, left_grad,
                        left_hess)
    best = 0
    for f in range(1, n_features):
        if gains[f] > gains[best]:
            best = f
    return gains[best], best, bins[best], missing_left[best], left_grad[best], left_hess[best]


@kernel
def _goes_left(code, missing_bin, split_bin, missing_left):
    if code == missing_bin:
        return missing_left
    return code <= split_bin


@kernel
def _partition(rows, codes, f, missing_bin, split_bin, missing_left, scratch):
    """Stable in-place partition of ``rows``: the left child's rows first; returns their count."""
    n_left = 0
    n_right = 0
    for i in range(rows.size):
        r = rows[i]
        if _goes_left(codes[f, r], missing_bin, split_bin, missing_left):
            rows[n_left] = r
            n_left += 1
        else:
            scratch[n_right] = r
            n_right += 1
    rows[n_left:] = scratch[:n_right]
    return n_left


@kernel
def grow_tree(codes, bin_start, has_missing, inputs, used, rows, grad, hess, hist, num_leaves,
              max_depth, min_rows, min_hess, l2, min_gain):
    """Grow one tree on ``rows`` (ascending) and return its arrays:
    ``(feature, split_bin, missing_left, left, right, gain, leaf_value)``.

    ``inputs`` comes from ``histogram_inputs`` for the same ``used`` features, which must all be
    in ``histogram_layout``'s lists. ``hist`` is scratch of shape (num_leaves, total bins, 2)."""
    feature = np.full(num_leaves - 1, -1, dtype=np.int32)
    split_bin = np.zeros(num_leaves - 1, dtype=np.int32)
    node_missing_left = np.zeros(num_leaves - 1, dtype=np.bool_)
    left_child = np.zeros(num_leaves - 1, dtype=np.int32)
    right_child = np.zeros(num_leaves - 1, dtype=np.int32)
    node_gain = np.zeros(num_leaves - 1)

    part = rows.copy()
    partition_scratch = np.empty_like(part)
    leaf_start = np.zeros(num_leaves, dtype=np.int64)
    leaf_size = np.zeros(num_leaves, dtype=np.int64)
    leaf_grad = np.zeros(num_leaves)
    leaf_hess = np.zeros(num_leaves)
    leaf_depth = np.zeros(num_leaves, dtype=np.int64)
    leaf_parent = np.full(num_leaves, -1, dtype=np.int64)
    leaf_is_left = np.zeros(num_leaves, dtype=np.bool_)
    best_gain = np.full(num_leaves, -np.inf)
    best_feature = np.zeros(num_leaves, dtype=np.int64)
    best_bin = np.zeros(num_leaves, dtype=np.int64)
    best_missing_left = np.zeros(num_leaves, dtype=np.bool_)
    best_grad = np.zeros(num_leaves)
    best_hess = np.zeros(num_leaves)

    leaf_size[0] = part.size
    for i in range(part.size):
        leaf_grad[0] += grad[part[i]]
        leaf_hess[0] += hess[part[i]]
    _build_histogram(hist[0], inputs, part, grad, hess)
    n_leaves = 1
    for leaf in range(1):
        if leaf_size[leaf] >= 2 * min_rows:
            (best_gain[leaf], best_feature[leaf], best_bin[leaf], best_missing_left[leaf],
             best_grad[leaf], best_hess[leaf]) = _best_split(
                hist[leaf], bin_start, has_missing, used, leaf_grad[leaf], leaf_hess[leaf],
                leaf_size[leaf], l2, min_rows, min_hess)

    for node in range(num_leaves - 1):
        leaf = 0
        for candidate in range(1, n_leaves):
            if best_gain[candidate] > best_gain[leaf]:
                leaf = candidate
        if not best_gain[leaf] > min_gain:
            break
        f = best_feature[leaf]
        new_leaf = n_leaves
        n_leaves += 1
        feature[node] = f
        split_bin[node] = best_bin[leaf]
        node_missing_left[node] = best_missing_left[leaf]
        node_gain[node] = best_gain[leaf]
        left_child[node] = ~leaf
        right_child[node] = ~new_leaf
        parent = leaf_parent[leaf]
        if parent >= 0:
            if leaf_is_left[leaf]:
                left_child[parent] = node
            else:
                right_child[parent] = node

        start = leaf_start[leaf]
        size = leaf_size[leaf]
        n_bins = bin_start[f + 1] - bin_start[f] - 1
        n_left = _partition(part[start : start + size], codes, f, n_bins, best_bin[leaf],
                            best_missing_left[leaf], partition_scratch)
        leaf_size[leaf] = n_left
        leaf_start[new_leaf] = start + n_left
        leaf_size[new_leaf] = size - n_left
        leaf_grad[new_leaf] = leaf_grad[leaf] - best_grad[leaf]
        leaf_hess[new_leaf] = leaf_hess[leaf] - best_hess[leaf]
        leaf_grad[leaf] = best_grad[leaf]
        leaf_hess[leaf] = best_hess[leaf]
        depth = leaf_depth[leaf] + 1
        leaf_depth[leaf] = depth
        leaf_depth[new_leaf] = depth
        leaf_parent[leaf] = node
        leaf_parent[new_leaf] = node
        leaf_is_left[leaf] = True
        leaf_is_left[new_leaf] = False

        # histogram of the smaller child by a scan, the larger one by subtraction from the parent
        if n_left <= size - n_left:
            hist[new_leaf] = hist[leaf]
            _build_histogram(hist[leaf], inputs, part[start : start + n_left], grad, hess)
            hist[new_leaf] -= hist[leaf]
        else:
            _build_histogram(hist[new_leaf], inputs, part[start + n_left : start + size], grad,
                             hess)
            hist[leaf] -= hist[new_leaf]

        for child in (leaf, new_leaf):
            best_gain[child] = -np.inf
            if leaf_size[child] >= 2 * min_rows and (max_depth <= 0 or depth < max_depth):
                (best_gain[child], best_feature[child], best_bin[child], best_missing_left[child],
                 best_grad[child], best_hess[child]) = _best_split(
                    hist[child], bin_start, has_missing, used, leaf_grad[child], leaf_hess[child],
                    leaf_size[child], l2, min_rows, min_hess)

    leaf_value = np.empty(n_leaves)
    for leaf in range(n_leaves):
        leaf_value[leaf] = -leaf_grad[leaf] / (leaf_hess[leaf] + l2)
    n_nodes = n_leaves - 1
    return (feature[:n_nodes].copy(), split_bin[:n_nodes].copy(), node_missing_left[:n_nodes].copy(),
            left_child[:n_nodes].copy(), right_child[:n_nodes].copy(), node_gain[:n_nodes].copy(),
            leaf_value)


@kernel(parallel=True)
def binned_leaves(codes, bin_start, feature, split_bin, missing_left, left, right):
    """The leaf of every row of ``codes`` in one tree (training rows, already binned)."""
    n_rows = codes.shape[1]
    leaves = np.zeros(n_rows, dtype=np.int64)
    if feature.size == 0:
        return leaves
    for r in prange(n_rows):
        node = 0
        while node >= 0:
            f = feature[node]
            missing_bin = bin_start[f + 1] - bin_start[f] - 1
            if _goes_left(codes[f, r], missing_bin, split_bin[node], missing_left[node]):
                node = left[node]
            else:
                node = right[node]
        leaves[r] = ~node
    return leaves


@kernel(parallel=True)
def predict_forest(X, node_offsets, leaf_offsets, feature, threshold, missing_left, left, right,
                   leaf_value, n_trees):
    """Sum of the first ``n_trees`` trees' leaf values for every row of raw features ``X``;
    a row goes left when its value is <= the node's threshold (NaN: ``missing_left``)."""
    n_rows = X.shape[0]
    out = np.zeros(n_rows)
    for r in prange(n_rows):
        total = 0.0
        for t in range(n_trees):
            nodes = node_offsets[t]
            if node_offsets[t + 1] == nodes:
                total += leaf_value[leaf_offsets[t]]
                continue
            node = 0
            while node >= 0:
                value = X[r, feature[nodes + node]]
                if np.isnan(value):
                    go_left = missing_left[nodes + node]
                else:
                    go_left = value <= threshold[nodes + node]
                node = left[nodes + node] if go_left else right[nodes + node]
            total += leaf_value[leaf_offsets[t] + ~node]
        out[r] = total
    return out
