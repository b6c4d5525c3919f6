"""Kernels of the linear rankers: RankSVM's Pegasos epochs and linear LambdaRank's SGD epochs.

Layout shared by both models. The public layer sorts the training rows by query with a stable
argsort and hands the kernels ``rows``: position ``k`` of the sorted order is row ``rows[k]`` of
``X`` (``X`` itself is never copied or reordered). Query ``q`` owns positions
``offsets[q]:offsets[q + 1]``. ``labels`` are given per position.

RankSVM's pairs are never materialised. Inside each query, positions are also sorted by label
descending, so the documents a position ``k`` beats (strictly lower label, same query) are the
contiguous positions ``low_start[k]:query_end``. ``pair_offsets`` (length ``n + 1``) is the
running count of those pairs, so global pair ``p`` is ``(k, low_start[k] + p - pair_offsets[k])``
for the ``k`` with ``pair_offsets[k] <= p < pair_offsets[k + 1]`` (a binary search).

Every update loop is serial (each step depends on the previous one), so the fitted weights never
depend on the thread count; ``prange`` is used where each iteration writes only its own slot:
scores, per-query losses, nDCG, and the per-query gradients of one LambdaRank mini-batch, which
are summed afterwards in a fixed order. Each parallel kernel has a ``*_serial`` twin (same
per-item helper, same arithmetic) for inputs too small to pay for a parallel launch; the
public layer picks one from the input's size, never from the thread count.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_learn._jit import kernel
from rank_learn._kernels.lambdarank import query_lambdas

# --- shared ------------------------------------------------------------------------------------


@kernel
def row_score(x, w):
    """``x . w`` accumulated in float64."""
    total = 0.0
    for f in range(w.size):
        total += x[f] * w[f]
    return total


@kernel(parallel=True)
def batch_scores(X, rows, w):
    """``scores[k] = X[rows[k]] . w`` for every position (``prange`` over positions)."""
    scores = np.empty(rows.size)
    for k in prange(rows.size):
        scores[k] = row_score(X[rows[k]], w)
    return scores


@kernel
def batch_scores_serial(X, rows, w):
    """:func:`batch_scores` on one thread, for inputs too small to pay for a parallel launch."""
    scores = np.empty(rows.size)
    for k in range(rows.size):
        scores[k] = row_score(X[rows[k]], w)
    return scores


# --- RankSVM -----------------------------------------------------------------------------------


@kernel
def pair_positions(pair_offsets, low_start, p):
    """Positions ``(high, low)`` of global pair ``p``: binary search in ``pair_offsets``."""
    lo = 0
    hi = pair_offsets.size - 1  # the answer k is in [0, n - 1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pair_offsets[mid] <= p:
            lo = mid
        else:
            hi = mid
    return lo, low_start[lo] + (p - pair_offsets[lo])


@kernel
def ranksvm_epoch(X, rows, pair_offsets, low_start, position_weight, steps, step_scale, t_offset,
                  radius, avg_power, w, t, average):
    """One SGD pass over the global pair indices ``steps``: Pegasos (Shalev-Shwartz et al. 2011)
    with the step offset of Bottou's SGD (scikit-learn's ``learning_rate="optimal"``).

    Minimises ``F(w) = ||w||^2 / 2 + C * sum_pairs max(0, 1 - w . (x_high - x_low))``, which is
    1-strongly convex. Step ``t`` (counted over the whole fit) draws pair ``(h, l)``,
    ``d = x_h - x_l``, and takes the stochastic subgradient step of size ``1 / T``,
    ``T = t + t_offset``:

        w <- (1 - 1/T) w + [w . d < 1] * step_scale * position_weight[h] / T * d

    (``step_scale = C * len(steps)``, so the step's subgradient is an unbiased estimate of F's;
    ``t_offset = 0`` is Pegasos), projects ``w`` onto the ball of radius
    ``radius = sqrt(C * n_pairs)`` that holds the optimum, and updates the polynomial-decay
    average (Shamir & Zhang 2013) ``average <- (1 - rho) average + rho w`` with
    ``rho = (avg_power + 1) / (t + avg_power)``.

    Every step costs one pass over the features, two when the pair violates the margin: the
    iterate is kept as ``w = s v`` (shrinks and projections scale ``s``) and the average as
    ``average = a v + b z`` (its update scales ``a`` and ``b``; a change of ``v`` is offset in
    ``z``), the lazy scaling of Bottou's and Xu's averaged SGD.

    ``w`` (the last iterate) and ``average`` are updated in place; returns the new ``t``.
    """
    n_features = w.size
    v = w
    z = average
    s = 1.0  # w = s v
    a = 0.0  # average = a v + b z
    b = 1.0
    norm2 = 0.0  # ||w||^2
    for f in range(n_features):
        norm2 += v[f] * v[f]
    radius2 = radius * radius
    for step in range(steps.size):
        t += 1
        high, low = pair_positions(pair_offsets, low_start, steps[step])
        x_high = X[rows[high]]
        x_low = X[rows[low]]
        dot = 0.0
        dd = 0.0
        for f in range(n_features):
            # np.float64, not float(): numba's float() keeps a float32 element in float32
            diff = np.float64(x_high[f]) - np.float64(x_low[f])
            dot += v[f] * diff
            dd += diff * diff
        margin = s * dot
        T = t + t_offset
        if T <= 1.0:  # Pegasos' first step forgets the starting point
            for f in range(n_features):
                z[f] = b * z[f] + a * v[f]  # fold the average into z before v is cleared
                v[f] = 0.0
            a = 0.0
            b = 1.0
            norm2 = 0.0
            dot = 0.0
            s = 1.0
        else:
            shrink = 1.0 - 1.0 / T
            s *= shrink
            norm2 *= shrink * shrink
        if margin < 1.0:
            if b == 0.0:  # the average is a v exactly: restart z
                z[:] = 0.0
                b = 1.0
            c = step_scale * position_weight[high] / T / s  # v += c d, so w += s c d
            offset = a * c / b  # keeps a v + b z unchanged
            for f in range(n_features):
                diff = np.float64(x_high[f]) - np.float64(x_low[f])
                v[f] += c * diff
                z[f] -= offset * diff
            norm2 += s * s * c * (2.0 * dot + c * dd)
        if norm2 > radius2:
            s *= radius / math.sqrt(norm2)
            norm2 = radius2
        rho = (avg_power + 1.0) / (t + avg_power)
        a = (1.0 - rho) * a + rho * s
        b = (1.0 - rho) * b
        if s < 1e-6 or abs(a) > 1e100 or (b != 0.0 and b < 1e-100):  # rescale, same values
            for f in range(n_features):
                z[f] = b * z[f] + a * v[f]
                v[f] *= s
            a = 0.0
            b = 1.0
            s = 1.0
    for f in range(n_features):
        z[f] = b * z[f] + a * v[f]
        v[f] *= s
    return t


@kernel
def mean_pair_distance(X, rows, pair_offsets, low_start, sample):
    """Mean of ``||x_high - x_low||^2`` over the global pair indices ``sample``."""
    total = 0.0
    for s in range(sample.size):
        high, low = pair_positions(pair_offsets, low_start, sample[s])
        x_high = X[rows[high]]
        x_low = X[rows[low]]
        for f in range(x_high.size):
            diff = np.float64(x_high[f]) - np.float64(x_low[f])
            total += diff * diff
    return total / max(sample.size, 1)


@kernel
def query_pairwise_hinge(scores, labels):
    """``sum over pairs with labels[i] > labels[j] of max(0, 1 - (scores[i] - scores[j]))``.

    O(n log n): documents are visited by score descending; a Fenwick tree over the label ranks
    holds the count and score sum of the documents already seen whose score exceeds
    ``scores[i] - 1``, the only lower-labelled partners with a non-zero hinge.
    """
    n = scores.size
    if n < 2:
        return 0.0
    by_label = np.argsort(labels, kind="mergesort")
    rank = np.empty(n, dtype=np.int64)
    n_ranks = 0
    for m in range(n):
        if m > 0 and labels[by_label[m]] != labels[by_label[m - 1]]:
            n_ranks += 1
        rank[by_label[m]] = n_ranks
    n_ranks += 1
    if n_ranks < 2:
        return 0.0
    count = np.zeros(n_ranks + 1)
    total = np.zeros(n_ranks + 1)
    order = np.argsort(-scores, kind="mergesort")
    inserted = 0
    loss = 0.0
    for m in range(n):
        i = order[m]
        threshold = scores[i] - 1.0
        while inserted < n and scores[order[inserted]] > threshold:
            j = order[inserted]
            node = rank[j] + 1
            while node <= n_ranks:
                count[node] += 1.0
                total[node] += scores[j]
                node += node & (-node)
            inserted += 1
        node = rank[i]  # prefix over ranks 0 .. rank[i] - 1: strictly lower labels
        below = 0.0
        below_sum = 0.0
        while node > 0:
            below += count[node]
            below_sum += total[node]
            node -= node & (-node)
        loss += below * (1.0 - scores[i]) + below_sum
    return loss


@kernel(parallel=True)
def batch_pairwise_hinge(scores, labels, offsets):
    """Each query's pairwise hinge loss (``prange`` over queries, one slot each)."""
    losses = np.zeros(offsets.size - 1)
    for q in prange(offsets.size - 1):
        start, stop = offsets[q], offsets[q + 1]
        losses[q] = query_pairwise_hinge(scores[start:stop], labels[start:stop])
    return losses


@kernel
def batch_pairwise_hinge_serial(scores, labels, offsets):
    """:func:`batch_pairwise_hinge` on one thread."""
    losses = np.zeros(offsets.size - 1)
    for q in range(offsets.size - 1):
        start, stop = offsets[q], offsets[q + 1]
        losses[q] = query_pairwise_hinge(scores[start:stop], labels[start:stop])
    return losses


# --- linear LambdaRank -------------------------------------------------------------------------


@kernel
def query_weight_gradient(X, rows, labels, gains, start, stop, w, sigma, truncation, weighting,
                          normalize, use_table, scores, grad, hess, out):
    """``out = X_q^T lambdas_q``: the gradient wrt ``w`` of query ``q``'s loss (positions
    ``start:stop``) for the linear scores ``X_q w``, with the lambdas of :func:`query_lambdas`
    (``labels`` and ``gains``: float64 per position; ``use_table``: LightGBM's sigmoid table
    instead of the exact logistic).

    ``scores``, ``grad`` and ``hess`` are scratch of at least ``stop - start`` entries.
    """
    n = stop - start
    n_features = w.size
    for r in range(n):
        scores[r] = row_score(X[rows[start + r]], w)
    query_lambdas(scores[:n], labels[start:stop], gains[start:stop], sigma, truncation, weighting,
                  normalize, use_table, grad[:n], hess[:n])
    out[:] = 0.0
    for r in range(n):
        g = grad[r]
        if g != 0.0:
            x = X[rows[start + r]]
            for f in range(n_features):
                out[f] += g * x[f]


@kernel
def _apply_step(w, total, count, learning_rate, l2):
    inverse = 1.0 / count
    for f in range(w.size):
        w[f] -= learning_rate * (total[f] * inverse + l2 * w[f])


@kernel
def lambdarank_epoch(X, rows, labels, offsets, gains, order, batch, w, learning_rate, l2, sigma,
                     truncation, weighting, normalize):
    """One SGD pass: queries in ``order``, ``batch`` queries per step, serially.

    Each step does ``w -= learning_rate * (mean over its queries of X_q^T lambdas_q + l2 * w)``,
    with the exact logistic in the lambdas.
    """
    n_features = w.size
    longest = 0
    for q in range(offsets.size - 1):
        longest = max(longest, offsets[q + 1] - offsets[q])
    scores = np.empty(longest)
    grad = np.empty(longest)
    hess = np.empty(longest)
    partial = np.empty(n_features)
    total = np.empty(n_features)
    for first in range(0, order.size, batch):
        last = min(first + batch, order.size)
        total[:] = 0.0
        for k in range(first, last):
            q = order[k]
            query_weight_gradient(X, rows, labels, gains, offsets[q], offsets[q + 1], w, sigma,
                                  truncation, weighting, normalize, False, scores, grad, hess,
                                  partial)
            for f in range(n_features):
                total[f] += partial[f]
        _apply_step(w, total, last - first, learning_rate, l2)


@kernel(parallel=True)
def lambdarank_epoch_parallel(X, rows, labels, offsets, gains, order, batch, w, learning_rate,
                              l2, sigma, truncation, weighting, normalize):
    """:func:`lambdarank_epoch` with the queries of a step in ``prange``: each writes its own
    gradient row, and the rows are summed in ``order``, so the result is the serial one."""
    n_features = w.size
    partials = np.empty((min(batch, order.size), n_features))
    total = np.empty(n_features)
    for first in range(0, order.size, batch):
        last = min(first + batch, order.size)
        for k in prange(last - first):
            q = order[first + k]
            length = offsets[q + 1] - offsets[q]
            query_weight_gradient(X, rows, labels, gains, offsets[q], offsets[q + 1], w, sigma,
                                  truncation, weighting, normalize, False, np.empty(length),
                                  np.empty(length), np.empty(length), partials[k])
        total[:] = 0.0
        for k in range(last - first):
            for f in range(n_features):
                total[f] += partials[k, f]
        _apply_step(w, total, last - first, learning_rate, l2)


