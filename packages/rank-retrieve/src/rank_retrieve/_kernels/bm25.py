"""BM25 scoring: bm25s's idf and term-frequency formulas, precomputed per posting.

The index keeps raw statistics (per-term postings of (doc, tf), doc lengths) next to the
precomputed scores, so adding or deleting documents recomputes every score exactly from the new
N, avgdl and df in one compiled pass (BM25 statistics are corpus-global: any change moves them).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_retrieve._jit import kernel

# method codes (the order of bm25.METHODS)
ROBERTSON, LUCENE, ATIRE, BM25L, BM25PLUS = 0, 1, 2, 3, 4


@kernel
def idf(method, df, n_docs):
    """bm25s's idf per method (robertson floors the log's argument at 1, so idf >= 0)."""
    if method == ROBERTSON:
        inner = (n_docs - df + 0.5) / (df + 0.5)
        return np.log(max(inner, 1.0))
    if method == LUCENE:
        return np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
    if method == ATIRE:
        return np.log(n_docs / df)
    if method == BM25L:
        return np.log((n_docs + 1.0) / (df + 0.5))
    return np.log((n_docs + 1.0) / df)  # BM25PLUS


@kernel
def tf_component(method, tf, doc_length, average_length, k1, b, delta):
    """bm25s's term-frequency component per method (robertson and lucene share it)."""
    norm = 1.0 - b + b * doc_length / average_length
    if method in (ROBERTSON, LUCENE):
        return tf / (k1 * norm + tf)
    if method == ATIRE:
        return (tf * (k1 + 1.0)) / (tf + k1 * norm)
    if method == BM25L:
        c = tf / norm
        return ((k1 + 1.0) * (c + delta)) / (k1 + c + delta)
    return ((k1 + 1.0) * tf) / (k1 * norm + tf) + delta  # BM25PLUS


@kernel(parallel=True)
def score_postings(method, idf_method, indptr, postings_docs, postings_tfs, doc_lengths, k1, b, delta, out_scores):
    """Precompute every posting's score; returns each term's absent-term score (the tf=0 shift).

    For bm25l and bm25+ a term contributes even to documents without it (tf = 0). As in bm25s, a
    posting stores ``idf * (tfc(tf) - tfc(0))`` and the query adds ``idf * tfc(0)`` of each of its
    terms to every document, which gives every document its exact full-formula score.
    """
    n_terms = indptr.size - 1
    n_docs = doc_lengths.size
    total_length = 0.0
    for doc in range(n_docs):
        total_length += doc_lengths[doc]
    average_length = total_length / n_docs if n_docs > 0 else 0.0
    absent_scores = np.zeros(n_terms, dtype=np.float64)
    shifted = method in (BM25L, BM25PLUS)
    for term in prange(n_terms):
        df = indptr[term + 1] - indptr[term]
        if df == 0:
            continue
        term_idf = idf(idf_method, df, n_docs)
        shift = 0.0
        if shifted:
            shift = term_idf * tf_component(method, 0.0, average_length, average_length, k1, b, delta)
            absent_scores[term] = shift
        for entry in range(indptr[term], indptr[term + 1]):
            tfc = tf_component(method, postings_tfs[entry], doc_lengths[postings_docs[entry]], average_length, k1, b, delta)
            out_scores[entry] = term_idf * tfc - shift
    return absent_scores


@kernel
def query_baselines(query_terms, query_offsets, absent_scores):
    """Each query's sum of its terms' absent-term scores, in query order (0 for unshifted methods)."""
    n_queries = query_offsets.size - 1
    baselines = np.zeros(n_queries, dtype=np.float64)
    for query in range(n_queries):
        total = 0.0
        for i in range(query_offsets[query], query_offsets[query + 1]):
            total += absent_scores[query_terms[i]]
        baselines[query] = total
    return baselines
