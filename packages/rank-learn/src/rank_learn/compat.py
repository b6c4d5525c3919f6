"""The original Rust bindings' names (DESIGN.md section 9), on this package's kernels.

What changed, on purpose:

- ``compute_gradients`` ranks the documents by their scores to find each pair's positions (the
  original used the input order, which was only right for lists already sorted by score), and
  uses the better document's score minus the worse one's in every pair (the original used the
  first minus the second, flipping the logistic for half the pairs);
- gradients are float64 NumPy arrays, of the loss (negative: the document should move up), as in
  the original and LightGBM;
- ``ndcg_at_k`` is rank-eval's nDCG (one definition in the toolkit).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_in_range, check_k
from rank_eval import ndcg_per_query
from rank_learn._kernels.lambdarank import query_lambdas

__all__ = ["LambdaRankParams", "LambdaRankTrainer", "ndcg_at_k"]


def _relevance(values: ArrayLike) -> NDArray[np.float64]:
    relevance = as_array(values, name="relevance", ndim=1)
    if np.any(relevance < 0):
        raise RankValueError(f"relevance must be >= 0, got {relevance.min()}")
    return relevance


def ndcg_at_k(relevance: ArrayLike, k: int | None = None, exponential_gain: bool = True) -> float:
    """nDCG@k of one list whose ``relevance`` grades are in ranked order (``k=None``: all), with
    gains ``2^rel - 1`` (or ``rel`` when ``exponential_gain=False``); 0.0 without relevant items."""
    grades = _relevance(relevance)
    depth = None if k is None else check_k(k)
    if grades.size == 0 or depth == 0:
        return 0.0
    positions = -np.arange(grades.size, dtype=np.float64)  # ranked order: first scores highest
    return float(ndcg_per_query(grades, positions, group=[grades.size], k=depth,
                                gain="exponential" if exponential_gain else "linear")[0])


@dataclass(frozen=True)
class LambdaRankParams:
    """LambdaRank's parameters: ``sigma``, the logistic's steepness."""

    sigma: float = 1.0

    def __post_init__(self) -> None:
        check_in_range(self.sigma, name="sigma", low=0.0, low_inclusive=False)


class LambdaRankTrainer:
    """LambdaRank gradients of one query's list (the original's trainer)."""

    def __init__(self, params: LambdaRankParams | None = None) -> None:
        self.params = LambdaRankParams() if params is None else params

    def compute_gradients(self, scores: ArrayLike, relevance: ArrayLike, k: int | None = None
                          ) -> NDArray[np.float64]:
        """Per document, the sum over pairs of different relevance of
        ``-sigma |delta nDCG@k| / (1 + exp(sigma (s_better - s_worse)))`` for the better document
        and its negative for the worse one; ``delta nDCG`` uses exponential gains and the
        positions of the documents ranked by ``scores`` (ties: input order). With ``k``, pairs
        count when one of them ranks in the first ``k`` (LightGBM's truncation)."""
        values = as_array(scores, name="scores", ndim=1)
        grades = _relevance(relevance)
        if values.size != grades.size:
            raise ShapeMismatchError(f"scores has {values.size} items but relevance has {grades.size}")
        depth = values.size if k is None else check_k(k)
        grad = np.zeros(values.size)
        hess = np.zeros(values.size)
        if depth > 0:
            query_lambdas(values, grades, np.exp2(grades) - 1.0, self.params.sigma, depth, True, False,
                          False, grad, hess)
        return grad
