"""nDCG of scored rows grouped by query: the learning-to-rank view of evaluation.

Models score rows of a feature matrix; queries are given by a query id per row (LETOR's ``qid``)
or by group sizes (LightGBM's ``group``). The gains and discounts are the ones of
:func:`rank_eval.evaluate`'s ``nDCG@k`` (``gain="linear"``, trec_eval's ``ndcg_cut``) and
``nDCG(gain=exp)@k`` (``gain="exponential"``, Burges et al.), so the toolkit has one nDCG.

Conventions (the field's tools differ here):

- ties in score are ranked in row order (LightGBM's stable sort; trec_eval breaks them by document
  id, which rows do not have);
- a query without any positive label has no ideal DCG: its nDCG is ``no_relevant``, 0.0 by
  default (trec_eval, XGBoost's ``ndcg-``), 1.0 for LightGBM's and XGBoost's ``ndcg``;
- negative labels have no gain (trec_eval's -1).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_choice, check_k
from rank_eval._kernels.scored import ndcg_by_query

__all__ = ["group_offsets", "ndcg_per_query"]


def group_offsets(
    n_rows: int, *, qid: ArrayLike | None = None, group: ArrayLike | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows grouped by query: ``(order, offsets)``, where ``order`` lists the rows query by query
    (stable: rows keep their order within a query) and query ``q`` owns
    ``order[offsets[q]:offsets[q + 1]]``.

    ``qid``: one query id per row, in any order (queries in ascending id order); ``group``: query
    sizes of consecutive rows (LightGBM's ``group``). Exactly one of them."""
    if (qid is None) == (group is None):
        raise RankValueError("give exactly one of qid= (a query id per row) or group= (query sizes)")
    if qid is not None:
        ids = np.asarray(qid)
        if ids.ndim != 1 or ids.shape[0] != n_rows:
            raise ShapeMismatchError(f"qid must have one id per row ({n_rows}), got shape {ids.shape}")
        order = np.argsort(ids, kind="stable")
        ordered = ids[order]
        starts = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        offsets = np.concatenate(([0], starts, [n_rows])) if n_rows else np.zeros(1)
        return order.astype(np.int64), offsets.astype(np.int64)
    sizes = np.asarray(group)
    if sizes.ndim != 1 or (sizes.size and not np.issubdtype(sizes.dtype, np.number)):
        raise RankValueError(f"group must be a 1-D sequence of query sizes, got shape {sizes.shape}")
    if sizes.size and (np.any(sizes != np.round(sizes)) or np.any(sizes < 1)):
        raise RankValueError("group sizes must be positive integers")
    offsets = np.concatenate(([0], np.cumsum(sizes.astype(np.int64))))
    if offsets[-1] != n_rows:
        raise ShapeMismatchError(f"group sizes sum to {offsets[-1]}, but there are {n_rows} rows")
    return np.arange(n_rows, dtype=np.int64), offsets


def ndcg_per_query(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    qid: ArrayLike | None = None,
    group: ArrayLike | None = None,
    k: int | None = 10,
    gain: Literal["exponential", "linear"] = "exponential",
    no_relevant: float = 0.0,
) -> NDArray[np.float64]:
    """nDCG@k of every query (ascending query id, or group order), ``k=None`` for the whole list.

    ``y_true``: relevance grades per row (usually integers; fractional grades are gains too);
    ``y_score``: the model's scores per row.
    See the module docstring for ties and queries without relevant rows."""
    labels = as_array(y_true, name="y_true", dtype=np.float64, ndim=1)
    scores = as_array(y_score, name="y_score", dtype=np.float64, ndim=1)
    if labels.shape != scores.shape:
        raise ShapeMismatchError(f"y_true has {labels.size} rows but y_score has {scores.size}")
    check_choice(gain, name="gain", choices=("exponential", "linear"))
    depth = 0 if k is None else check_k(k)
    order, offsets = group_offsets(labels.size, qid=qid, group=group)
    return ndcg_by_query(
        labels[order], scores[order], offsets, depth, gain == "exponential", float(no_relevant)
    )
