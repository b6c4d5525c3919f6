"""Naive oracles of the earlier Rust project's fusion functions, from the formulas of its source.

Written from the original's documentation and ``rank-fusion/src/lib.rs`` (not from our code):
dicts and loops, float64. Rankings are lists of ``(id, score)`` pairs (or ``{id: score}`` dicts),
best first; a doc's rank is its 0-based position *as given*. Each oracle returns ``{id: fused
score}``; :func:`ranked` orders them by our tie rule (score descending, ties by doc id
descending: the original's order of tied docs came from a hash map).

Where the original had a defect we fixed, the oracle computes the original's value and a keyword
selects ours:

- ``degenerate``: what min-max normalisation gives a degenerate list (one doc, equal scores):
  ``"raw"`` is the original's (a range below 1e-9 passes the raw scores through), a number ours
  (the value a range of exactly 0 gives; ours is 1.0);
- ``signed_sum``: the original's ``"sum"`` normalisation divides by the signed sum of the
  scores; ours by the sum of their absolute values (the same for non-negative scores).
"""

from __future__ import annotations

import math
from typing import Any

SCORE_RANGE_EPSILON = 1e-9  # the original's threshold for a degenerate range / sd

Ranking = Any  # [(id, score), ...] or {id: score}
Fused = dict[str, float]


def pairs(ranking: Ranking) -> list[tuple[str, float]]:
    return list(ranking.items()) if isinstance(ranking, dict) else [tuple(pair) for pair in ranking]


def ranked(fused: Fused, top_k: int | None = None) -> list[tuple[str, float]]:
    """Best first, ties by doc id descending; the first ``top_k``."""
    out = sorted(fused.items(), key=lambda pair: (pair[1], pair[0]), reverse=True)
    return out if top_k is None else out[:top_k]


def _add(fused: Fused, doc: str, value: float) -> None:
    fused[doc] = fused.get(doc, 0.0) + value


# ----------------------------------------------------------------------------- rank-based


def rrf(lists: list[Ranking], k: float = 60) -> Fused:
    """``sum 1 / (k + rank)``, rank 0-indexed."""
    fused: Fused = {}
    for ranking in lists:
        for rank, (doc, _) in enumerate(pairs(ranking)):
            _add(fused, doc, 1.0 / (k + rank))
    return fused


def isr(lists: list[Ranking], k: float = 1) -> Fused:
    """Inverse square root rank: ``sum 1 / sqrt(k + rank)``, rank 0-indexed."""
    fused: Fused = {}
    for ranking in lists:
        for rank, (doc, _) in enumerate(pairs(ranking)):
            _add(fused, doc, 1.0 / math.sqrt(k + rank))
    return fused


def borda(lists: list[Ranking]) -> Fused:
    """``sum (N - rank)``, N the list's length, rank 0-indexed; a missing doc gets nothing."""
    fused: Fused = {}
    for ranking in lists:
        items = pairs(ranking)
        for rank, (doc, _) in enumerate(items):
            _add(fused, doc, float(len(items) - rank))
    return fused


# ----------------------------------------------------------------------------- normalisations


def min_max(items: list[tuple[str, float]], degenerate: Any = "raw") -> list[tuple[str, float]]:
    """``(s - min) / (max - min)``. The original passes the raw scores through when the range is
    below 1e-9 (``degenerate="raw"``); ours gives ``degenerate`` when it is 0 (equal scores)."""
    if not items:
        return []
    low = min(s for _, s in items)
    high = max(s for _, s in items)
    if degenerate == "raw" and high - low < SCORE_RANGE_EPSILON:
        return list(items)
    if degenerate != "raw" and high == low:
        return [(doc, float(degenerate)) for doc, _ in items]
    return [(doc, (s - low) / (high - low)) for doc, s in items]


def zscores(
    items: list[tuple[str, float]], clip_range: tuple[float, float] = (-3.0, 3.0)
) -> list[tuple[str, float]]:
    """``(s - mean) / sd`` (population sd) clamped to ``clip_range``; 0 when sd <= 1e-9."""
    if not items:
        return []
    n = len(items)
    mean = sum(s for _, s in items) / n
    std = math.sqrt(sum((s - mean) ** 2 for _, s in items) / n)
    low, high = clip_range
    return [
        (doc, min(max((s - mean) / std, low), high) if std > SCORE_RANGE_EPSILON else 0.0)
        for doc, s in items
    ]


def normalize_scores(
    items: list[tuple[str, float]], method: str, *, degenerate: Any = "raw", signed_sum: bool = True
) -> list[tuple[str, float]]:
    """The original's ``normalize_scores``: zscore, minmax, sum, rank (1 - rank / n) or none."""
    if not items:
        return []
    if method == "zscore":
        return zscores(items)
    if method == "minmax":
        return min_max(items, degenerate)
    if method == "sum":
        if not signed_sum:  # ours (``l1``): s / sum(|s|); all-zero scores stay 0
            total = sum(abs(s) for _, s in items)
            return [(doc, s / total if total > 0 else 0.0) for doc, s in items]
        total = sum(s for _, s in items)
        if abs(total) < SCORE_RANGE_EPSILON:
            return list(items)
        return [(doc, s / total) for doc, s in items]
    if method == "rank":
        n = len(items)
        return [(doc, 1.0 - rank / n) for rank, (doc, _) in enumerate(items)]
    if method == "none":
        return list(items)
    raise ValueError(method)


# ----------------------------------------------------------------------------- score-based


def combsum(lists: list[Ranking], *, degenerate: Any = "raw") -> Fused:
    """``sum`` of min-max normalised scores."""
    fused: Fused = {}
    for ranking in lists:
        for doc, s in min_max(pairs(ranking), degenerate):
            _add(fused, doc, s)
    return fused


def combmnz(lists: list[Ranking], *, degenerate: Any = "raw") -> Fused:
    """CombSUM times the number of lists holding the doc."""
    fused = combsum(lists, degenerate=degenerate)
    counts: dict[str, int] = {}
    for ranking in lists:
        for doc, _ in pairs(ranking):
            counts[doc] = counts.get(doc, 0) + 1
    return {doc: value * counts[doc] for doc, value in fused.items()}


def standardized(lists: list[Ranking], clip_range: tuple[float, float] = (-3.0, 3.0)) -> Fused:
    """Sum of clipped z-scores."""
    fused: Fused = {}
    for ranking in lists:
        for doc, z in zscores(pairs(ranking), clip_range):
            _add(fused, doc, z)
    return fused


def dbsf(lists: list[Ranking]) -> Fused:
    """The original's DBSF: z-scores clipped to [-3, 3], summed."""
    return standardized(lists, (-3.0, 3.0))


def weighted(
    a: Ranking,
    b: Ranking,
    weight_a: float,
    weight_b: float,
    normalize: bool = True,
    *,
    degenerate: Any = "raw",
) -> Fused:
    """``sum w / total * (s - off) * norm``: weights scaled to sum 1, min-max when ``normalize``."""
    total = weight_a + weight_b
    fused: Fused = {}
    for ranking, weight in ((a, weight_a), (b, weight_b)):
        items = pairs(ranking)
        if normalize:
            items = min_max(items, degenerate)
        for doc, s in items:
            _add(fused, doc, weight / total * s)
    return fused


def additive_multi_task(
    a: Ranking,
    b: Ranking,
    weights: tuple[float, float] = (1.0, 1.0),
    normalization: str = "zscore",
    *,
    degenerate: Any = "raw",
    signed_sum: bool = True,
) -> Fused:
    """``weights[0] * norm(s_a) + weights[1] * norm(s_b)``; a missing doc adds 0."""
    fused: Fused = {}
    for ranking, weight in ((a, weights[0]), (b, weights[1])):
        normalised = normalize_scores(
            pairs(ranking), normalization.lower(), degenerate=degenerate, signed_sum=signed_sum
        )
        for doc, s in normalised:
            _add(fused, doc, weight * s)
    return fused
