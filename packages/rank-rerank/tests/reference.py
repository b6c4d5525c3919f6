"""Naive oracles for MaxSim and dense scoring: float64 Python loops over the stored values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def unit_or_zero(vector: Any) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    length = math.sqrt(sum(float(x) * float(x) for x in vector))
    return vector / length if length > 0 else np.zeros_like(vector)


def similarity(a: Any, b: Any, kind: str) -> float:
    if kind == "cosine":
        a, b = unit_or_zero(a), unit_or_zero(b)
    return float(sum(float(x) * float(y) for x, y in zip(a, b, strict=True)))


def token_matches(query: Any, doc: Any, kind: str = "dot") -> list[tuple[int, float]]:
    """Per query token: (first doc token reaching the maximum similarity, that similarity)."""
    matches = []
    for q in np.asarray(query, dtype=np.float64):
        sims = [similarity(q, d, kind) for d in np.asarray(doc, dtype=np.float64)]
        best = max(sims)
        matches.append((sims.index(best), best))
    return matches


def maxsim(query: Any, doc: Any, kind: str = "dot", weights: Any = None) -> float:
    matches = token_matches(query, doc, kind)
    weights = [1.0] * len(matches) if weights is None else [float(w) for w in weights]
    return sum(w * best for w, (_, best) in zip(weights, matches, strict=True))


def tolerance(query: Any, docs: list[Any], dtype: Any, weights: Any = None) -> float:
    """Absolute tolerance for a score computed in ``dtype`` instead of float64: rounding of a
    dim-long sum of products, per query token, scaled by the largest possible product."""
    eps = 1e-12 if np.dtype(dtype) == np.float64 else 2e-6
    q = np.asarray(query, dtype=np.float64)
    dim = q.shape[1]
    largest_doc = max(float(np.abs(np.asarray(d, dtype=np.float64)).max()) for d in docs)
    w = np.ones(len(q)) if weights is None else np.abs(np.asarray(weights, dtype=np.float64))
    return eps * dim * (1.0 + float(w @ np.abs(q).max(axis=1)) * max(largest_doc, 1.0))
