"""Naive pure-Python oracles for the linear rankers: plain loops over rows and pairs, no numba.

Written from the definitions in the docstrings of ``rank_learn.linear`` and
``rank_learn._kernels``, independently of the kernels' implementation tricks (implicit pair
indexing, Fenwick trees, the scaled Pegasos iterate).
"""

from __future__ import annotations

import math


def query_pairs(labels, qid):
    """All ``(high, low)`` row pairs of the same query with ``labels[high] > labels[low]``."""
    n = len(labels)
    return [(i, j) for i in range(n) for j in range(n) if qid[i] == qid[j] and labels[i] > labels[j]]


def pairwise_hinge(scores, labels):
    """One query's ``sum over labels[i] > labels[j] of max(0, 1 - (scores[i] - scores[j]))``."""
    total = 0.0
    for i in range(len(scores)):
        for j in range(len(scores)):
            if labels[i] > labels[j]:
                total += max(0.0, 1.0 - (scores[i] - scores[j]))
    return total


def ranksvm_objective(w, X, labels, qid, C):
    """``||w||^2 / 2 + C * sum over pairs of the hinge`` with plain loops."""
    scores = [sum(float(x[f]) * w[f] for f in range(len(w))) for x in X]
    hinge = 0.0
    for high, low in query_pairs(labels, qid):
        hinge += max(0.0, 1.0 - (scores[high] - scores[low]))
    return 0.5 * sum(v * v for v in w) + C * hinge


def pegasos_steps(X, steps, weights, step_scale, t_offset, radius, avg_power, w, t, average):
    """Projected SGD with steps ``1 / (t + t_offset)`` on ``F(w) = ||w||^2/2 + C sum hinge`` over
    the ``(high, low)`` row pairs ``steps`` (``weights[s]`` the step's weight), from iterate ``w``
    after ``t`` steps, with the running polynomial-decay average. Returns ``(w, t, average)``."""
    w = [float(v) for v in w]
    average = [float(v) for v in average]
    n_features = len(w)
    for (high, low), weight in zip(steps, weights, strict=True):
        t += 1
        d = [float(X[high][f]) - float(X[low][f]) for f in range(n_features)]
        margin = sum(w[f] * d[f] for f in range(n_features))
        # the stochastic gradient of F at w: w - step_scale * weight * [margin < 1] * d
        gradient = [w[f] - (step_scale * weight * d[f] if margin < 1.0 else 0.0) for f in range(n_features)]
        w = [w[f] - gradient[f] / (t + t_offset) for f in range(n_features)]
        norm = math.sqrt(sum(v * v for v in w))
        if norm > radius:
            w = [v * radius / norm for v in w]
        rho = (avg_power + 1.0) / (t + avg_power)
        average = [average[f] + rho * (w[f] - average[f]) for f in range(n_features)]
    return w, t, average


def lambdas(scores, labels, gains, sigma, truncation, weighting, normalize):
    """LightGBM's LambdarankNDCG gradients of one query (RankNet when not ``weighting``), from
    its definition: every pair of rows with different labels, at least one of them in the top
    ``truncation`` positions of the score order (LambdaRank only). ``gains``: each row's gain."""
    n = len(scores)
    grad = [0.0] * n
    if n < 2:
        return grad
    order = sorted(range(n), key=lambda i: -scores[i])  # stable: ties keep row order
    rank = [0] * n
    for position, row in enumerate(order):
        rank[row] = position
    inverse_max_dcg = 1.0
    if weighting:
        ideal = sorted(gains, reverse=True)
        best = sum(ideal[i] / math.log2(2.0 + i) for i in range(min(truncation, n)))
        if best <= 0.0:
            return grad
        inverse_max_dcg = 1.0 / best
    spread = max(scores) != min(scores)
    total = 0.0
    for i in range(n):
        for j in range(n):
            if labels[i] <= labels[j]:
                continue
            if weighting and min(rank[i], rank[j]) >= truncation:
                continue
            delta = scores[i] - scores[j]
            weight = 1.0
            if weighting:
                discount = abs(1.0 / math.log2(2.0 + rank[i]) - 1.0 / math.log2(2.0 + rank[j]))
                weight = (gains[i] - gains[j]) * discount * inverse_max_dcg
                if normalize and spread:
                    weight /= 0.01 + abs(delta)
            step = sigma * weight / (1.0 + math.exp(sigma * delta))
            grad[i] -= step
            grad[j] += step
            total += 2.0 * step
    if weighting and normalize and total > 0.0:
        grad = [g * math.log2(1.0 + total) / total for g in grad]
    return grad


def weight_gradient(X_query, labels, gains, w, sigma, truncation, weighting, normalize):
    """``X_q^T lambdas_q`` for the linear scores ``X_q w``, with plain loops."""
    n_features = len(w)
    scores = [sum(float(x[f]) * w[f] for f in range(n_features)) for x in X_query]
    grad = lambdas(scores, labels, gains, sigma, truncation, weighting, normalize)
    return [sum(grad[r] * float(X_query[r][f]) for r in range(len(X_query))) for f in range(n_features)]


def lambdarank_epoch(X_by_query, labels_by_query, gains_by_query, order, batch, w, learning_rate,
                     l2, sigma, truncation, weighting, normalize):
    """One mini-batch SGD pass: queries in ``order``, ``batch`` per step,
    ``w -= learning_rate * (mean of the batch's X_q^T lambdas_q + l2 * w)``."""
    w = [float(v) for v in w]
    for first in range(0, len(order), batch):
        chosen = order[first:first + batch]
        total = [0.0] * len(w)
        for q in chosen:
            partial = weight_gradient(X_by_query[q], labels_by_query[q], gains_by_query[q], w,
                                      sigma, truncation, weighting, normalize)
            total = [a + b for a, b in zip(total, partial, strict=True)]
        w = [w[f] - learning_rate * (total[f] / len(chosen) + l2 * w[f]) for f in range(len(w))]
    return w


def ndcg_at_k(scores, gains, k):
    """nDCG@k from each row's gain, ties in row order, 1.0 for a query without a relevant row."""
    ideal = sorted(gains, reverse=True)
    best = sum(ideal[i] / math.log2(2.0 + i) for i in range(min(k, len(gains))))
    if best <= 0.0:
        return 1.0
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return sum(gains[order[i]] / math.log2(2.0 + i) for i in range(min(k, len(gains)))) / best


def pairwise_accuracy(scores, labels, qid):
    """Fraction of the pairs ``labels[i] > labels[j]`` (same query) with ``scores[i] > scores[j]``."""
    pairs = query_pairs(labels, qid)
    return sum(scores[i] > scores[j] for i, j in pairs) / len(pairs)
