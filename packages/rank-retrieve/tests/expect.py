"""Shared test assertions (imported by the test modules; pytest runs in importlib mode)."""

from __future__ import annotations

from typing import Any

import numpy as np


def check_ranking(result_positions: Any, result_scores: Any, full_scores: Any, k: int, tol: float) -> None:
    """One result row against an independent full score vector: the right top-``k`` scores (to
    ``tol``: sums taken in another order may differ in the last bits), each document with its own
    score, no repeats, and equal scores ordered by position."""
    full_scores = np.asarray(full_scores, dtype=np.float64)
    positions = result_positions[result_positions >= 0]
    scores = result_scores[: positions.size]
    assert positions.size == min(k, full_scores.size)
    assert np.unique(positions).size == positions.size
    np.testing.assert_allclose(scores, np.sort(full_scores)[::-1][: positions.size], rtol=0, atol=tol)
    np.testing.assert_allclose(scores, full_scores[positions], rtol=0, atol=tol)
    tied = scores[1:] == scores[:-1]
    assert (positions[1:][tied] > positions[:-1][tied]).all()
