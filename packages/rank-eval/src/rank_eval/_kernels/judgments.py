"""Label every retrieved document with its judgment, the way trec_eval's form_res_rels does."""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_eval._jit import kernel

#: Retrieved but absent from the qrels (trec_eval's RELVALUE_NONPOOL).
NOT_IN_POOL = -1
#: In the qrels with a negative label: pooled but not judged (trec_eval's RELVALUE_UNJUDGED).
UNJUDGED = -2


@kernel
def label_one_query(run_docs, qrels_docs, qrels_labels):
    """Label of each retrieved doc: its relevance, NOT_IN_POOL or UNJUDGED.

    ``qrels_docs`` is sorted (rank-core keeps judgments in doc order) and shares the run's
    vocabulary, so a binary search per retrieved doc finds its judgment.
    """
    labels = np.empty(run_docs.size, dtype=np.int64)
    for r in range(run_docs.size):
        i = np.searchsorted(qrels_docs, run_docs[r])
        if i < qrels_docs.size and qrels_docs[i] == run_docs[r]:
            labels[r] = qrels_labels[i] if qrels_labels[i] >= 0 else UNJUDGED
        else:
            labels[r] = NOT_IN_POOL
    return labels


@kernel(parallel=True)
def label_runs(run_offsets, run_docs, qrels_offsets, qrels_docs, qrels_labels, qrels_of_query):
    """:func:`label_one_query` for every run query; ``qrels_of_query[q]`` is its qrels query."""
    labels = np.empty(run_docs.size, dtype=np.int64)
    for q in prange(run_offsets.size - 1):
        s, e = run_offsets[q], run_offsets[q + 1]
        j = qrels_of_query[q]
        js, je = qrels_offsets[j], qrels_offsets[j + 1]
        labels[s:e] = label_one_query(run_docs[s:e], qrels_docs[js:je], qrels_labels[js:je])
    return labels
