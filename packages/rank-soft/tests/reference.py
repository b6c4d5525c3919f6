"""Naive oracles: the paper's definitions in plain Python (sort, then pool-adjacent-violators on
lists of indices, blocks re-summed from scratch on every merge), no NumPy, no shared code."""

from __future__ import annotations

import math


def _logsumexp(values: list[float]) -> float:
    top = max(values)
    return top + math.log(math.fsum(math.exp(v - top) for v in values))


def _block_value(s: list[float], w: list[float], block: list[int], kl: bool) -> float:
    if kl:
        return _logsumexp([s[i] for i in block]) - _logsumexp([w[i] for i in block])
    return math.fsum(s[i] - w[i] for i in block) / len(block)


def isotonic_decreasing(s: list[float], w: list[float], kl: bool) -> list[float]:
    """argmin over v_1 >= ... >= v_n of 1/2 ||v - (s - w)||^2 ("l2") or
    <exp(s - v), 1> + <exp(w), v> ("kl"), by PAV."""
    blocks: list[list[int]] = []
    for i in range(len(s)):
        blocks.append([i])
        while len(blocks) > 1 and _block_value(s, w, blocks[-2], kl) <= _block_value(
            s, w, blocks[-1], kl
        ):
            last = blocks.pop()
            blocks[-1].extend(last)
    solution = [0.0] * len(s)
    for block in blocks:
        value = _block_value(s, w, block, kl)
        for i in block:
            solution[i] = value
    return solution


def _descending_order(values: list[float]) -> list[int]:
    return sorted(range(len(values)), key=lambda i: -values[i])


def soft_rank(x: list[float], eps: float, regularization: str, direction: str) -> list[float]:
    """P_Q(+-x / eps, rho), or exp(P_E(+-x / eps, log rho)); rho = (n, ..., 1)."""
    n = len(x)
    sign = 1.0 if direction == "ascending" else -1.0
    z = [sign * v / eps for v in x]
    order = _descending_order(z)
    s = [z[i] for i in order]
    kl = regularization == "kl"
    w = [math.log(n - i) if kl else float(n - i) for i in range(n)]
    dual = isotonic_decreasing(s, w, kl)
    out = [0.0] * n
    for position, i in enumerate(order):
        primal = s[position] - dual[position]
        out[i] = math.exp(primal) if kl else primal
    return out


def soft_sort(x: list[float], eps: float, regularization: str, direction: str) -> list[float]:
    """sign * P(rho / eps, sort_desc(sign * x)) with sign = -1 for ascending."""
    n = len(x)
    sign = -1.0 if direction == "ascending" else 1.0
    values = sorted((sign * v for v in x), reverse=True)
    y = [(n - i) / eps for i in range(n)]
    dual = isotonic_decreasing(y, values, regularization == "kl")
    return [sign * (y[i] - dual[i]) for i in range(n)]


def average_ranks(x: list[float], direction: str) -> list[float]:
    """Hard ranks (1 = smallest for ascending), ties sharing the mean of their positions."""
    order = sorted(range(len(x)), key=lambda i: x[i] if direction == "ascending" else -x[i])
    ranks = [0.0] * len(x)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and x[order[end + 1]] == x[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def capped_simplex_projection(x: list[float], k: int, eps: float) -> list[float]:
    """argmin_{0 <= m <= 1, sum m = k} ||m - x / eps||^2 by bisection on the shift tau in
    m = clip(x / eps - tau, 0, 1): an independent route to the soft top-k mask."""
    z = [v / eps for v in x]
    low, high = min(z) - 1.0, max(z)
    for _ in range(200):
        tau = (low + high) / 2
        total = math.fsum(min(1.0, max(0.0, v - tau)) for v in z)
        if total > k:
            low = tau
        else:
            high = tau
    tau = (low + high) / 2
    return [min(1.0, max(0.0, v - tau)) for v in z]


def ndcg(scores: list[float], relevance: list[float], k: int | None, gain: str) -> float:
    """Hard nDCG(@k) in soft_ndcg's documented convention (its eps = 0 limit): every document
    discounted at its average descending rank, ``gain(rel) / log2(1 + rank)``; with ``k``, each
    weighted by the hard top-k mask (1 inside, 0 outside, a tie group straddling the cutoff
    sharing the slots left); over the ideal DCG@k of the sorted gains; 0 when that is 0. Labels
    below 0 gain 0."""
    n = len(scores)
    labels = [max(float(r), 0.0) for r in relevance]  # negative labels gain 0, as in trec_eval
    gains = [2.0**r - 1.0 if gain == "exponential" else r for r in labels]
    ranks = average_ranks(scores, "descending")
    cutoff = n if k is None else min(k, n)
    dcg_terms = []
    for i in range(n):
        above = sum(1 for v in scores if v > scores[i])
        tied = sum(1 for v in scores if v == scores[i])
        weight = min(1.0, max(0.0, (cutoff - above) / tied))
        dcg_terms.append(weight * gains[i] / math.log2(1.0 + ranks[i]))
    best = sorted(gains, reverse=True)[:cutoff]
    ideal = math.fsum(g / math.log2(position + 2.0) for position, g in enumerate(best))
    return math.fsum(dcg_terms) / ideal if ideal > 0 else 0.0
