"""nDCG of scored rows grouped by query (learning-to-rank evaluation): rows of query ``q`` are
``offsets[q]:offsets[q + 1]``; each query's rows are ranked by score descending, ties in row
order (a stable sort), and scored with the same gains and discounts as ``extra_measures``."""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_eval._jit import kernel
from rank_eval._kernels.extra_measures import _discounted, _grades


@kernel(parallel=True)
def ndcg_by_query(labels, scores, offsets, k, exponential, no_relevant):
    """nDCG@k per query (``k`` 0: the whole list); ``no_relevant`` for a query without gain."""
    n_queries = offsets.size - 1
    out = np.empty(n_queries)
    for q in prange(n_queries):
        start, stop = offsets[q], offsets[q + 1]
        depth = stop - start if k == 0 else k
        query_labels = labels[start:stop]
        ranked = query_labels[np.argsort(-scores[start:stop], kind="mergesort")]
        ideal_dcg = _discounted(_grades(np.sort(query_labels)[::-1], exponential), depth)
        if ideal_dcg > 0.0:
            out[q] = _discounted(_grades(ranked, exponential), depth) / ideal_dcg
        else:
            out[q] = no_relevant
    return out
