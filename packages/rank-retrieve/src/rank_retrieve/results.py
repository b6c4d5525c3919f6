"""The one result type every index's ``search`` returns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core import Run, ShapeMismatchError
from rank_core.validation import as_id_array

__all__ = ["PAD_ID", "SearchResult"]

#: The id in the padding slots of a row that has fewer than ``k`` results (a filter allowed fewer
#: documents); its score is ``-inf`` and its position ``-1``.
PAD_ID = ""


class SearchResult(NamedTuple):
    """Top-``k`` documents of a batch of queries, best first.

    Row ``i`` holds query ``i``'s results ranked by score descending, ties broken by the lower
    index position (the order documents were indexed in). Every row has the same width
    ``k' = min(k, documents in the index)``; a row with fewer results (a filter allowed fewer
    documents) is padded with id ``""``, score ``-inf`` and position ``-1``.
    """

    ids: NDArray[np.str_]
    """``(n_queries, k')`` document ids."""
    scores: NDArray[np.floating[Any]]
    """``(n_queries, k')`` scores, in the index's dtype."""
    positions: NDArray[np.int64]
    """``(n_queries, k')`` positions of the documents in the index (``-1`` for padding)."""

    @classmethod
    def from_positions(
        cls, positions: NDArray[np.int64], scores: NDArray[np.floating[Any]], doc_ids: NDArray[np.str_]
    ) -> SearchResult:
        """Wrap a kernel's ``(n_queries, k')`` positions and scores; ``-1`` marks padding."""
        padded = positions < 0
        ids = doc_ids[np.where(padded, 0, positions)] if doc_ids.size else np.full(positions.shape, PAD_ID)
        if padded.any():
            ids = ids.astype(doc_ids.dtype if doc_ids.size else np.str_)
            ids[padded] = PAD_ID
            scores = scores.copy()
            scores[padded] = -np.inf
        return cls(ids=ids, scores=scores, positions=positions)

    def to_run(self, query_ids: Sequence[str] | NDArray[Any] | None = None, *, name: str | None = None) -> Run:
        """A rank-core :class:`~rank_core.Run`: row ``i`` becomes query ``query_ids[i]``.

        ``query_ids`` defaults to ``"0", "1", ...``. Padding slots are dropped. The run orders
        each query's documents its own way (score descending, ties by doc id descending, as
        trec_eval does), which may differ from this result's position tie rule on equal scores.
        """
        n_queries = self.ids.shape[0]
        if query_ids is None:
            qids = np.array([str(i) for i in range(n_queries)])
        else:
            qids = as_id_array(query_ids, name="query_ids")
            if qids.size != n_queries:
                raise ShapeMismatchError(
                    f"query_ids has {qids.size} ids but the result has {n_queries} rows (one per query)"
                )
        keep = self.positions >= 0
        rows = np.broadcast_to(np.arange(n_queries)[:, None], self.ids.shape)[keep]
        return Run.from_arrays(qids[rows], self.ids[keep], self.scores[keep].astype(np.float64), name=name)
