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


@kernel
def _accumulate_block(hist, codes, bin_start, rows, grad, hess, first, stop):
    """Zero the bins of features ``first .. stop - 1`` and add the rows' sums into them;
    ``grad`` and ``hess`` are already in ``rows`` order."""
    hist[bin_start[first] : bin_start[stop]] = 0.0
    for i in range(rows.size):
        r = rows[i]
        for f in range(first, stop):
            b = bin_start[f] + codes[f, r]
            hist[b, 0] += grad[i]
            hist[b, 1] += hess[i]


@kernel(parallel=True)
def _build_histogram(hist, codes, bin_start, rows, grad, hess):
    """``hist`` = the sums over ``rows`` of every feature and bin, by blocks of features (in
    parallel when large). Each feature's bins are summed by one thread in row order, so the sums
    do not depend on the thread count."""
    ordered_grad = grad[rows]
    ordered_hess = hess[rows]
    n_features = bin_start.size - 1
    n_blocks = (n_features + _FEATURE_BLOCK - 1) // _FEATURE_BLOCK
    if rows.size * n_features >= _PARALLEL_HISTOGRAM_UPDATES:
        for block in prange(n_blocks):
            first = block * _FEATURE_BLOCK
            _accumulate_block(hist, codes, bin_start, rows, ordered_grad, ordered_hess, first,
                              min(n_features, first + _FEATURE_BLOCK))
    else:
        for block in range(n_blocks):
            first = block * _FEATURE_BLOCK
            _accumulate_block(hist, codes, bin_start, rows, ordered_grad, ordered_hess, first,
                              min(n_features, first + _FEATURE_BLOCK))


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
            right_grad += feature_hist[b + 1, 0]
            right_hess += feature_hist[b + 1, 1]
            right_rows += math.floor(feature_hist[b + 1, 1] * count_factor + 0.5)
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
def grow_tree(codes, bin_start, has_missing, used, rows, grad, hess, hist, num_leaves,
              max_depth, min_rows, min_hess, l2, min_gain):
    """Grow one tree on ``rows`` (ascending) and return its arrays:
    ``(feature, split_bin, missing_left, left, right, gain, leaf_value)``.

    ``hist`` is scratch of shape (num_leaves, total bins, 2)."""
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
    _build_histogram(hist[0], codes, bin_start, part, grad, hess)
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
            _build_histogram(hist[leaf], codes, bin_start, part[start : start + n_left], grad, hess)
            hist[new_leaf] -= hist[leaf]
        else:
            _build_histogram(hist[new_leaf], codes, bin_start, part[start + n_left : start + size],
                             grad, hess)
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
