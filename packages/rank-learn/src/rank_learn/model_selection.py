"""Cross-validation that keeps every query's rows in one fold."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankTypeError, RankValueError, ShapeMismatchError

__all__ = ["GroupKFold"]


class GroupKFold:
    """K folds of whole queries, balanced by rows.

    Queries are dealt largest first to the fold with the fewest rows so far (ties: the lowest
    fold), so folds differ by at most one query's rows; ``shuffle=True`` deals queries of equal
    size in a random order drawn from ``random_state``. Usable as scikit-learn's ``cv=`` (it has
    ``split(X, y, groups)`` and ``get_n_splits``), with ``groups`` the query id of every row.

    >>> for train, test in GroupKFold(5).split(X, groups=qid):
    ...     model.fit(X[train], y[train], qid=qid[train])
    """

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state: int | None = None) -> None:
        if isinstance(n_splits, bool) or not isinstance(n_splits, (int, np.integer)):
            raise RankTypeError(f"n_splits must be an integer, got {type(n_splits).__name__}")
        if n_splits < 2:
            raise RankValueError(f"n_splits must be >= 2, got {n_splits}")
        self.n_splits = int(n_splits)
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def split(self, X: ArrayLike, y: ArrayLike | None = None, groups: ArrayLike | None = None
              ) -> Iterator[tuple[NDArray[np.int64], NDArray[np.int64]]]:
        """``(train rows, test rows)`` per fold, each ascending."""
        n_rows = len(X)  # type: ignore[arg-type]
        if groups is None:
            raise RankValueError("GroupKFold needs groups= (the query id of every row)")
        qid = np.asarray(groups)
        if qid.ndim != 1 or qid.shape[0] != n_rows:
            raise ShapeMismatchError(f"groups must have one query id per row ({n_rows}), got shape {qid.shape}")
        queries, row_query, sizes = np.unique(qid, return_inverse=True, return_counts=True)
        if queries.size < self.n_splits:
            raise RankValueError(f"{queries.size} queries cannot make {self.n_splits} folds")
        tiebreak = (np.random.default_rng(self.random_state).permutation(queries.size) if self.shuffle
                    else np.arange(queries.size))
        fold_rows = np.zeros(self.n_splits, dtype=np.int64)
        query_fold = np.empty(queries.size, dtype=np.int64)
        for query in np.lexsort((tiebreak, -sizes)):
            fold = int(np.argmin(fold_rows))
            query_fold[query] = fold
            fold_rows[fold] += sizes[query]
        row_fold = query_fold[row_query]
        for fold in range(self.n_splits):
            yield np.flatnonzero(row_fold != fold), np.flatnonzero(row_fold == fold)
