"""Ranked results shared by every reranker of this package: best first, ties by input position."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core import ShapeMismatchError
from rank_core.validation import as_id_array

__all__ = ["RerankResult", "check_ids", "ranked", "top_positions"]


class RerankResult(NamedTuple):
    """Reranked candidates, best first: their ids (their positions when no ids were given), their
    scores and their positions in the input."""

    ids: NDArray[Any]
    scores: NDArray[np.floating[Any]]
    indices: NDArray[np.int64]


def top_positions(scores: NDArray[np.floating[Any]], k: int | None) -> NDArray[np.int64]:
    """Positions of the ``k`` highest scores (all for ``None``), best first, equal scores in
    position order: a partition to the k-th largest score, then a stable sort of the chosen few."""
    n = scores.size
    if k is None or k >= n:
        return np.argsort(-scores, kind="stable")
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    threshold = np.partition(scores, n - k)[n - k]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: k - above.size]
    chosen = np.concatenate([above, tied])
    return chosen[np.argsort(-scores[chosen], kind="stable")]


def check_ids(ids: Any, n: int) -> NDArray[np.str_] | None:
    """``ids`` as a string array of ``n`` labels (``None`` passes through)."""
    if ids is None:
        return None
    labels = as_id_array(ids, name="ids")
    if labels.size != n:
        raise ShapeMismatchError(f"ids has {labels.size} entries, expected one per candidate ({n})")
    return labels


def ranked(scores: NDArray[np.floating[Any]], ids: Any, top_k: int | None) -> RerankResult:
    """The ``top_k`` scores, best first (ties keep input order), labelled with ``ids``."""
    labels = check_ids(ids, scores.size)
    order = top_positions(scores, top_k)
    return RerankResult(order.copy() if labels is None else labels[order], scores[order], order)
