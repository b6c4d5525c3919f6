"""Naive oracles for diversity reranking, written from the definitions with no shared code.

- MMR: the textbook loop over an explicit n x n similarity matrix; every step recomputes every
  remaining candidate's objective against the whole selected set.
- DPP: the greedy that, every step, evaluates ``log det L[Y + {i}]`` with ``np.linalg.slogdet``
  for every remaining ``i`` (no incremental Cholesky).

Each returns ``(selection, margins)``: ``margins[t]`` is how far the best objective at step ``t``
was ahead of the second best (``inf`` with a single candidate), so a test can tell a step decided
by rounding (a tiny positive margin) from one decided by the tie rule (margin 0, equal values).
"""

from __future__ import annotations

import math

import numpy as np


def similarity_matrix(embeddings: np.ndarray, metric: str) -> np.ndarray:
    """Full float64 similarity matrix; for cosine a zero vector has similarity 0 with everything
    and a nonzero one similarity exactly 1 with itself."""
    x = np.asarray(embeddings, dtype=np.float64)
    if metric == "dot":
        return x @ x.T
    norms = np.linalg.norm(x, axis=1)
    unit = np.zeros_like(x)
    nonzero = norms > 0
    unit[nonzero] = x[nonzero] / norms[nonzero, None]
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, nonzero.astype(np.float64))
    return similarity


def _margin(values: list[float]) -> float:
    ordered = sorted(values, reverse=True)
    return ordered[0] - ordered[1] if len(ordered) > 1 else math.inf


def mmr_reference(
    scores: np.ndarray, similarity: np.ndarray, k: int, diversity: float
) -> tuple[list[int], list[float]]:
    """Maximal Marginal Relevance; ties: higher score, then lower index."""
    n = len(scores)
    selected: list[int] = []
    margins: list[float] = []
    for _ in range(min(k, n)):
        ranked = []
        for i in range(n):
            if i in selected:
                continue
            penalty = max(similarity[i, j] for j in selected) if selected else 0.0
            objective = (1 - diversity) * scores[i] - diversity * penalty
            ranked.append((objective, scores[i], -i))
        ranked.sort(reverse=True)
        margins.append(_margin([entry[0] for entry in ranked]))
        selected.append(-ranked[0][2])
    return selected, margins


def dpp_reference(
    scores: np.ndarray,
    similarity: np.ndarray,
    k: int,
    alpha: float,
    epsilon: float,
) -> tuple[list[int], list[float]]:
    """Greedy MAP for ``L = diag(q) S diag(q)``, ``q = exp(alpha * scores)``; ties: lower index.

    A candidate is eligible when ``det S[Y + {i}] / det S[Y]`` (its squared distance to the span
    of the selected vectors) exceeds ``epsilon * S[i, i]``; the greedy stops when none is.
    """
    n = len(scores)
    quality = np.exp(alpha * np.asarray(scores, dtype=np.float64))
    kernel = quality[:, None] * similarity * quality[None, :]
    selected: list[int] = []
    margins: list[float] = []
    for _ in range(min(k, n)):
        base = np.linalg.slogdet(similarity[np.ix_(selected, selected)])[1] if selected else 0.0
        ranked = []
        for i in range(n):
            if i in selected:
                continue
            trial = [*selected, i]
            sign, log_volume = np.linalg.slogdet(similarity[np.ix_(trial, trial)])
            if sign <= 0 or math.exp(log_volume - base) <= epsilon * similarity[i, i]:
                continue
            ranked.append((np.linalg.slogdet(kernel[np.ix_(trial, trial)])[1], -i))
        if not ranked:
            break
        ranked.sort(reverse=True)
        margins.append(_margin([entry[0] for entry in ranked]))
        selected.append(-ranked[0][1])
    return selected, margins
