"""Batch search over an inverted index: chunks of queries through the compiled postings kernel."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import threads as numba_threads
from rank_core.progress import progress_bar
from rank_retrieve._kernels.postings import search_postings
from rank_retrieve.results import SearchResult

#: Queries per kernel call: the progress bar's step, and a bound on per-call scratch memory.
SEARCH_CHUNK = 4096
#: ``show_progress=None`` shows a bar from this many queries on.
SEARCH_PROGRESS_THRESHOLD = 20_000


def search_inverted_index(
    postings: tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.floating[Any]]],
    doc_ids: NDArray[np.str_],
    query_terms: NDArray[np.int32],
    query_weights: NDArray[np.floating[Any]],
    query_offsets: NDArray[np.int64],
    baselines: NDArray[np.float64],
    k: int,
    masks: tuple[NDArray[np.bool_], NDArray[np.bool_]],
    *,
    threads: int | None,
    show_progress: bool | None,
    description: str,
) -> SearchResult:
    """Top ``k`` of every query over ``postings = (indptr, docs, values)``; ``masks`` come from
    :func:`~rank_retrieve._checks.filter_masks`. Scores are in ``values``' dtype."""
    indptr, postings_docs, postings_values = postings
    allowed, row_allowed = masks
    n_queries = query_offsets.size - 1
    out_scores = np.full((n_queries, k), -np.inf, dtype=postings_values.dtype)
    out_positions = np.full((n_queries, k), -1, dtype=np.int64)
    counts = np.zeros(n_queries, dtype=np.int64)
    # in the scores' dtype, so the kernels' inner loops never mix precisions
    weights = query_weights.astype(postings_values.dtype, copy=False)
    baselines = baselines.astype(postings_values.dtype, copy=False)
    with numba_threads(threads) as n_threads, progress_bar(
        show_progress, total=n_queries, size=n_queries, threshold=SEARCH_PROGRESS_THRESHOLD,
        desc=description, unit="query",
    ) as bar:
        for start in range(0, n_queries, SEARCH_CHUNK):
            stop = min(n_queries, start + SEARCH_CHUNK)
            span = slice(query_offsets[start], query_offsets[stop])
            search_postings(
                indptr, postings_docs, postings_values, doc_ids.size,
                query_terms[span], weights[span], query_offsets[start : stop + 1] - query_offsets[start],
                baselines[start:stop], k, allowed, row_allowed[start:stop] if row_allowed.shape[0] else row_allowed,
                max(1, min(n_threads, stop - start)),
                out_scores[start:stop], out_positions[start:stop], counts[start:stop],
            )
            bar.update(stop - start)
    return SearchResult.from_positions(out_positions, out_scores, doc_ids)
