"""Naive oracles for the ranking objectives and nDCG: plain Python, one pair at a time."""

from __future__ import annotations

import math


def ranks_by_score(scores):
    """Position of every row when sorted by score descending, ties in row order."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    ranks = [0] * len(scores)
    for position, row in enumerate(order):
        ranks[row] = position
    return ranks


def ideal_dcg(gains, k):
    ordered = sorted(gains, reverse=True)[:k]
    return sum(g / math.log2(2 + i) for i, g in enumerate(ordered))


def lambdarank(scores, labels, gains, *, sigma=1.0, truncation=30, normalize=True, weighting=True,
               sigmoid=None, smoothing=0.01):
    """Gradients and hessians of one query by a double loop over every ordered pair of rows
    (LightGBM's LambdarankNDCG semantics, float64 throughout). ``gains`` per row; ``sigmoid``
    replaces the logistic ``x -> 1 / (1 + exp(sigma x))`` when given."""
    n = len(scores)
    grad = [0.0] * n
    hess = [0.0] * n
    if n < 2:
        return grad, hess
    best = ideal_dcg(gains, truncation) if weighting else 1.0
    if best <= 0:
        return grad, hess
    ranks = ranks_by_score(scores)
    spread = max(scores) != min(scores)
    total = 0.0
    for high in range(n):
        for low in range(n):
            if not labels[high] > labels[low]:
                continue
            if weighting and min(ranks[high], ranks[low]) >= truncation:
                continue
            delta = scores[high] - scores[low]
            weight = 1.0
            if weighting:
                discount_gap = abs(1 / math.log2(2 + ranks[high]) - 1 / math.log2(2 + ranks[low]))
                weight = (gains[high] - gains[low]) * discount_gap / best
                if normalize and spread:
                    weight /= smoothing + abs(delta)
            p = sigmoid(delta) if sigmoid else 1 / (1 + math.exp(sigma * delta))
            grad[high] -= sigma * p * weight
            grad[low] += sigma * p * weight
            hess[high] += sigma * sigma * p * (1 - p) * weight
            hess[low] += sigma * sigma * p * (1 - p) * weight
            total += 2 * sigma * p * weight
    if weighting and normalize and total > 0:
        factor = math.log2(1 + total) / total
        grad = [g * factor for g in grad]
        hess = [h * factor for h in hess]
    return grad, hess


def lightgbm_sigmoid(sigma):
    """LightGBM's table lookup of the logistic, entry by entry as it builds and reads it."""
    size = 1 << 20
    low = -25.0 / sigma
    factor = size / (-2 * low)

    def value(x):
        if x <= low:
            index = 0
        elif x >= -low:
            index = size - 1
        else:
            index = int((x - low) * factor)
        return 1 / (1 + math.exp((index / factor + low) * sigma))

    return value


def ndcg(labels, scores, k, exponential=True, no_relevant=0.0):
    """nDCG@k of one query, rows ranked by score descending with ties in row order."""
    ranks = ranks_by_score(scores)
    gain = (lambda y: 2.0**y - 1) if exponential else float
    gains = [gain(y) if y > 0 else 0.0 for y in labels]
    depth = len(labels) if k is None else k
    dcg = sum(gains[i] / math.log2(2 + ranks[i]) for i in range(len(labels)) if ranks[i] < depth)
    best = ideal_dcg(gains, depth)
    return dcg / best if best > 0 else no_relevant
