"""Pairwise ranking objectives: gradients and hessians of the scores, one query at a time.

Rows are grouped by query: query ``q`` owns rows ``offsets[q]:offsets[q + 1]``. ``labels`` are
the relevance grades (float64) and ``gains`` each row's gain (``2^label - 1``, ``label`` or a
table's), increasing with the label.

LambdaRank follows LightGBM's ``LambdarankNDCG`` exactly, in float64 and with the exact logistic
(LightGBM reads the sigmoid from a 2^20-entry table and stores lambdas as float32):

- documents are ordered by score descending, ties kept in row order (a stable sort);
- every pair of different labels with at least one member in the first ``truncation`` positions
  contributes, with ``delta = s_high - s_low``, ``p = 1 / (1 + exp(sigma * delta))`` and
  ``w = |gain_high - gain_low| * |1/log2(2 + r_high) - 1/log2(2 + r_low)| / maxDCG@truncation``,
  divided by ``0.01 + |delta|`` when ``normalize`` and the scores are not all equal;
- the logistic ``p`` is computed, or read from LightGBM's table (then with its float32 0.01);
  ``grad_high -= sigma * p * w``, ``grad_low += sigma * p * w``, both hessians ``+= sigma^2 p (1-p) w``;
- with ``normalize``, the query's gradients and hessians are scaled by ``log2(1 + L) / L`` where
  ``L`` is the sum of ``2 sigma p w`` over its pairs.

RankNet (``weighting=False``) drops ``w``'s delta-nDCG factor (every pair weighs 1) and the
normalisations, over all pairs of different labels.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_learn._jit import kernel


@kernel
def max_dcg(gains, k):
    """DCG@k of the ideal ordering of rows with these ``gains`` (discount ``1 / log2(2 + position)``)."""
    ordered = np.sort(gains)[::-1]
    total = 0.0
    for i in range(min(k, ordered.size)):
        total += ordered[i] / math.log2(2.0 + i)
    return total


#: LightGBM's sigmoid table: 2^20 entries of 1 / (1 + exp(sigma x)) over x in [-25/sigma, 25/sigma).
SIGMOID_TABLE_SIZE = 1 << 20
SIGMOID_TABLE_LIMIT = 25.0
#: float32(0.01), LightGBM's score-distance smoothing constant.
LIGHTGBM_SMOOTHING = 0.009999999776482582


@kernel
def table_sigmoid(sigma, delta):
    """The entry of LightGBM's logistic table that it reads for ``delta``, computed as LightGBM
    computes the entry (the same value bit for bit, without the 8 MB table's cache misses)."""
    low = -SIGMOID_TABLE_LIMIT / sigma
    factor = SIGMOID_TABLE_SIZE / (-2.0 * low)
    if delta <= low:
        index = 0
    elif delta >= -low:
        index = SIGMOID_TABLE_SIZE - 1
    else:
        index = int((delta - low) * factor)
    return 1.0 / (1.0 + math.exp((index / factor + low) * sigma))


@kernel
def _score_order(scores):
    """Positions sorted by score descending, ties in row order (LightGBM's stable sort)."""
    return np.argsort(-scores, kind="mergesort")


@kernel
def query_lambdas(scores, labels, gains, sigma, truncation, weighting, normalize, use_table, grad, hess):
    """One query's gradients and hessians, written into ``grad`` and ``hess`` (same length)."""
    n = scores.size
    grad[:] = 0.0
    hess[:] = 0.0
    if n < 2:
        return
    inverse_max_dcg = 1.0
    if weighting:
        best = max_dcg(gains, truncation)
        if best <= 0.0:
            return  # no relevant document: no pair can change the query's nDCG
        inverse_max_dcg = 1.0 / best
    order = _score_order(scores)
    discount = np.empty(n if weighting else 0)
    for i in range(discount.size):
        discount[i] = 1.0 / math.log2(2.0 + i)
    spread = scores[order[0]] != scores[order[n - 1]]
    # LightGBM adds 0.01 as a float32; the table mode reproduces LightGBM
    smoothing = LIGHTGBM_SMOOTHING if use_table else 0.01
    top = min(n - 1, truncation) if weighting else n - 1
    pair_total = 0.0
    for i in range(top):
        doc_i = order[i]
        for j in range(i + 1, n):
            doc_j = order[j]
            if labels[doc_i] == labels[doc_j]:
                continue
            if labels[doc_i] > labels[doc_j]:
                high, low, high_rank, low_rank = doc_i, doc_j, i, j
            else:
                high, low, high_rank, low_rank = doc_j, doc_i, j, i
            delta = scores[high] - scores[low]
            weight = 1.0
            if weighting:
                discount_gap = abs(discount[high_rank] - discount[low_rank])
                weight = (gains[high] - gains[low]) * discount_gap * inverse_max_dcg
                if normalize and spread:
                    weight /= smoothing + abs(delta)
            p = table_sigmoid(sigma, delta) if use_table else 1.0 / (1.0 + math.exp(sigma * delta))
            step = sigma * p * weight
            curvature = sigma * sigma * p * (1.0 - p) * weight
            grad[high] -= step
            grad[low] += step
            hess[high] += curvature
            hess[low] += curvature
            pair_total += 2.0 * step
    if weighting and normalize and pair_total > 0.0:
        factor = math.log2(1.0 + pair_total) / pair_total
        for i in range(n):
            grad[i] *= factor
            hess[i] *= factor


@kernel(parallel=True)
def batch_lambdas(scores, labels, offsets, gains, sigma, truncation, weighting, normalize, use_table):
    """Every query's gradients and hessians (``prange`` over queries, each writes its own rows)."""
    grad = np.zeros(scores.size)
    hess = np.zeros(scores.size)
    for q in prange(offsets.size - 1):
        start, stop = offsets[q], offsets[q + 1]
        query_lambdas(
            scores[start:stop], labels[start:stop], gains[start:stop], sigma, truncation, weighting,
            normalize, use_table, grad[start:stop], hess[start:stop],
        )
    return grad, hess


@kernel
def _softmax(values):
    shifted = np.exp(values - values.max())
    return shifted / shifted.sum()


@kernel(parallel=True)
def batch_xendcg(scores, labels, offsets, noise):
    """XE-NDCG (Bruch et al. 2019, LightGBM's ``rank_xendcg``): cross-entropy between the softmax
    of the scores and the target distribution ``(2^label - noise) / sum``, with ``noise`` uniform
    in [0, 1) per row; LightGBM's third-order gradient approximation and diagonal hessian."""
    grad = np.zeros(scores.size)
    hess = np.zeros(scores.size)
    for q in prange(offsets.size - 1):
        start, stop = offsets[q], offsets[q + 1]
        if stop - start < 2:
            continue
        rho = _softmax(scores[start:stop])
        target = np.empty(stop - start)
        for i in range(stop - start):
            target[i] = 2.0 ** labels[start + i] - noise[start + i]
        target /= max(target.sum(), 1e-15)
        first = rho - target
        terms = first / (1.0 - rho)
        second = rho * (terms.sum() - terms)
        terms = second / (1.0 - rho)
        third = rho * (terms.sum() - terms)
        grad[start:stop] = first + second + third
        hess[start:stop] = rho * (1.0 - rho)
    return grad, hess
