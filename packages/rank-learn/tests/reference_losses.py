"""Naive oracles for the neural ranking losses: one list at a time, plain Python floats (float64),
loops written from the formulas (the papers, as allRank reads them), no torch.

Each function takes the *real* items of one list (scores and labels as Python sequences, in their
list order) and returns the list's loss, or None when the list does not count (the losses give it
0 and leave it out of the mean). :func:`reduce` applies a reduction to such per-list values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "approx_ndcg",
    "hard_ndcg",
    "lambdaloss",
    "listmle",
    "listmle_order",
    "listnet",
    "neural_ndcg",
    "neuralsort",
    "ranknet",
    "reduce",
    "sinkhorn",
]


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    """log(1 + exp(x)), without overflow."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    return top + math.log(sum(math.exp(v - top) for v in values))


def _by_score(scores: Sequence[float]) -> list[int]:
    """Item indices by score descending, ties by index."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def _gain(label: float, gain: str = "exponential") -> float:
    return 2.0**label - 1.0 if gain == "exponential" else float(label)


def _ideal_dcg(labels: Sequence[float], k: int | None, gain: str = "exponential") -> float:
    gains = sorted((_gain(y, gain) for y in labels), reverse=True)
    cut = len(gains) if k is None else min(k, len(gains))
    return sum(gains[r] / math.log2(r + 2) for r in range(cut))


def reduce(values: Sequence[float | None], reduction: str) -> float | list[float]:
    """``none``: 0 for the lists that do not count; ``sum``; ``mean`` over the counted lists."""
    if reduction == "none":
        return [0.0 if v is None else v for v in values]
    counted = [v for v in values if v is not None]
    if reduction == "sum":
        return sum(counted)
    return sum(counted) / len(counted) if counted else 0.0


def ranknet(
    scores: Sequence[float], labels: Sequence[float], sigma: float = 1.0, weighted: bool = False
) -> float | None:
    n = len(scores)
    ranks = [0] * n
    for position, item in enumerate(_by_score(scores), start=1):
        ranks[item] = position
    ideal = _ideal_dcg(labels, None)
    total, count = 0.0, 0
    for i in range(n):
        for j in range(n):
            if labels[i] > labels[j]:
                weight = 1.0
                if weighted:
                    gap = abs(_gain(labels[i]) - _gain(labels[j])) / ideal
                    weight = gap * abs(1 / math.log2(1 + ranks[i]) - 1 / math.log2(1 + ranks[j]))
                total += weight * _softplus(-sigma * (scores[i] - scores[j]))
                count += 1
    return total / count if count else None


def listnet(
    scores: Sequence[float], labels: Sequence[float], temperature: float = 1.0
) -> float | None:
    if len(scores) < 2:
        return None
    label_norm = _logsumexp(labels)
    score_norm = _logsumexp([s / temperature for s in scores])
    return -sum(
        math.exp(y - label_norm) * (s / temperature - score_norm)
        for s, y in zip(scores, labels, strict=True)
    )


def listmle_order(
    scores: Sequence[float],
    labels: Sequence[float],
    ties: str = "score",
    shuffle: Sequence[int] | None = None,
) -> list[int]:
    """Items by label descending; equal labels by score descending then index (``"score"``), by
    index (``"index"``), or by their position in ``shuffle`` (a permutation, ``"random"``)."""
    n = len(scores)
    if ties == "score":
        tie_key = [(-scores[i], i) for i in range(n)]
    elif ties == "index":
        tie_key = [(i,) for i in range(n)]
    else:
        assert shuffle is not None
        tie_key = [(list(shuffle).index(i),) for i in range(n)]
    return sorted(range(n), key=lambda i: (-labels[i], *tie_key[i]))


def listmle(
    scores: Sequence[float], labels: Sequence[float], order: Sequence[int] | None = None
) -> float | None:
    """Plackett-Luce negative log-likelihood of ``order`` (default: :func:`listmle_order`)."""
    if len(scores) < 2:
        return None
    order = listmle_order(scores, labels) if order is None else order
    ordered = [scores[i] for i in order]
    return sum(_logsumexp(ordered[r:]) - ordered[r] for r in range(len(ordered)))


def _scheme_weight(
    scheme: str, r: int, c: int, gains: Sequence[float], labels: Sequence[float], mu: float
) -> float:
    """Weight between 1-based ranks r and c; ``gains`` normalised by IDCG, in rank order."""
    inv_d = lambda x: 1.0 / math.log2(1 + x)  # noqa: E731
    gap = abs(gains[r - 1] - gains[c - 1])
    if scheme == "ndcgLoss1_scheme":
        return gains[r - 1] * inv_d(r)
    if scheme == "rankNet_scheme":
        return 1.0
    if scheme == "rankNetWeightedByGTDiff_scheme":
        return abs(labels[r - 1] - labels[c - 1])
    if scheme == "rankNetWeightedByGTDiffPowed_scheme":
        return abs(labels[r - 1] ** 2 - labels[c - 1] ** 2)
    lambda_rank = abs(inv_d(r) - inv_d(c)) * gap
    distance = abs(r - c)
    loss2 = abs(inv_d(distance) - inv_d(distance + 1)) * gap if distance else 0.0
    if scheme == "lambdaRank_scheme":
        return lambda_rank
    if scheme == "ndcgLoss2_scheme":
        return loss2
    assert scheme == "ndcgLoss2PP_scheme"
    return mu * loss2 + lambda_rank


def lambdaloss(
    scores: Sequence[float],
    labels: Sequence[float],
    scheme: str = "ndcgLoss2PP_scheme",
    k: int | None = None,
    sigma: float = 1.0,
    mu: float = 10.0,
) -> float | None:
    n = len(scores)
    ideal = _ideal_dcg(labels, k)
    if n < 2 or ideal <= 0:
        return None
    order = _by_score(scores)
    s = [scores[i] for i in order]
    y = [labels[i] for i in order]
    gains = [_gain(v) / ideal for v in y]
    cut = n if k is None else min(k, n)
    total = 0.0
    for r in range(1, cut + 1):
        for c in range(1, cut + 1):
            if scheme != "ndcgLoss1_scheme" and not y[r - 1] > y[c - 1]:
                continue
            weight = _scheme_weight(scheme, r, c, gains, y, mu)
            total += weight * _softplus(-sigma * (s[r - 1] - s[c - 1])) / math.log(2.0)
    return total


def approx_ndcg(
    scores: Sequence[float], labels: Sequence[float], alpha: float = 10.0
) -> float | None:
    n = len(scores)
    ideal = _ideal_dcg(labels, None)
    if n < 2 or ideal <= 0:
        return None
    dcg = 0.0
    for i in range(n):
        rank = 1.0 + sum(_sigmoid(alpha * (scores[j] - scores[i])) for j in range(n) if j != i)
        dcg += _gain(labels[i]) / math.log2(1.0 + rank)
    return 1.0 - dcg / ideal


def neuralsort(scores: Sequence[float], temperature: float) -> list[list[float]]:
    """Grover et al.'s relaxed sorting matrix: row r (1-based) is the softmax over items i of
    ``((n + 1 - 2r) s_i - sum_j |s_i - s_j|) / temperature``."""
    n = len(scores)
    spread = [sum(abs(a - b) for b in scores) for a in scores]
    rows = []
    for r in range(1, n + 1):
        logits = [((n + 1 - 2 * r) * scores[i] - spread[i]) / temperature for i in range(n)]
        norm = _logsumexp(logits)
        rows.append([math.exp(v - norm) for v in logits])
    return rows


def sinkhorn(matrix: list[list[float]], max_iter: int, tol: float) -> list[list[float]]:
    """Normalise the columns then the rows, until every row and column sum is within tol of 1."""
    n = len(matrix)
    m = [row[:] for row in matrix]
    for _ in range(max_iter):
        columns = [sum(m[r][c] for r in range(n)) for c in range(n)]
        m = [[m[r][c] / columns[c] for c in range(n)] for r in range(n)]
        rows = [sum(m[r]) for r in range(n)]
        m = [[m[r][c] / rows[r] for c in range(n)] for r in range(n)]
        row_error = max(abs(sum(m[r]) - 1.0) for r in range(n))
        column_error = max(abs(sum(m[r][c] for r in range(n)) - 1.0) for c in range(n))
        if row_error < tol and column_error < tol:
            break
    return m


def neural_ndcg(
    scores: Sequence[float],
    labels: Sequence[float],
    temperature: float = 1.0,
    k: int | None = None,
    gain: str = "exponential",
    max_iter: int = 50,
    tol: float = 1e-6,
) -> float | None:
    n = len(scores)
    ideal = _ideal_dcg(labels, k, gain)
    if n < 2 or ideal <= 0:
        return None
    p = sinkhorn(neuralsort(scores, temperature), max_iter, tol)
    gains = [_gain(y, gain) for y in labels]
    cut = n if k is None else min(k, n)
    dcg = sum(sum(p[r][i] * gains[i] for i in range(n)) / math.log2(r + 2) for r in range(cut))
    return 1.0 - dcg / ideal


def hard_ndcg(
    scores: Sequence[float],
    labels: Sequence[float],
    k: int | None = None,
    gain: str = "exponential",
) -> float:
    """nDCG@k of the ranking by score (ties by index)."""
    order = _by_score(scores)
    cut = len(order) if k is None else min(k, len(order))
    dcg = sum(_gain(labels[order[r]], gain) / math.log2(r + 2) for r in range(cut))
    return dcg / _ideal_dcg(labels, k, gain)
