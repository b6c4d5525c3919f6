"""Inverted-index building blocks shared by BM25 and the learned-sparse index.

Postings are term-major (CSC-like): term ``t``'s documents are ``docs[indptr[t]:indptr[t+1]]``
in ascending order, with one value each (a term frequency, or a learned weight).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_retrieve._jit import kernel


@kernel(parallel=True)
def count_terms(token_ids, offsets, n_terms, n_chunks):
    """Per document, its distinct terms (first-occurrence order) and their frequencies.

    Returns ``(doc_offsets, terms, tfs)``: document ``d``'s distinct terms are
    ``terms[doc_offsets[d]:doc_offsets[d+1]]``. Parallel over contiguous document chunks, each
    with its own term-sized counter, so the output does not depend on the thread count.
    """
    n_docs = offsets.size - 1
    unique_counts = np.zeros(n_docs, dtype=np.int64)
    scratch_terms = np.empty(token_ids.size, dtype=np.int32)
    scratch_tfs = np.empty(token_ids.size, dtype=np.int32)
    chunk_size = (n_docs + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        counter = np.zeros(n_terms, dtype=np.int32)
        for doc in range(chunk * chunk_size, min(n_docs, (chunk + 1) * chunk_size)):
            start, end = offsets[doc], offsets[doc + 1]
            n_unique = 0
            for i in range(start, end):
                term = token_ids[i]
                if counter[term] == 0:
                    scratch_terms[start + n_unique] = term
                    n_unique += 1
                counter[term] += 1
            for j in range(start, start + n_unique):
                term = scratch_terms[j]
                scratch_tfs[j] = counter[term]
                counter[term] = 0
            unique_counts[doc] = n_unique
    doc_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    for doc in range(n_docs):
        doc_offsets[doc + 1] = doc_offsets[doc] + unique_counts[doc]
    terms = np.empty(doc_offsets[-1], dtype=np.int32)
    tfs = np.empty(doc_offsets[-1], dtype=np.int32)
    for doc in prange(n_docs):
        source, target = offsets[doc], doc_offsets[doc]
        for j in range(unique_counts[doc]):
            terms[target + j] = scratch_terms[source + j]
            tfs[target + j] = scratch_tfs[source + j]
    return doc_offsets, terms, tfs


@kernel
def invert(doc_offsets, terms, values, n_terms, first_doc):
    """Doc-major (doc, term, value) to term-major postings: ``(indptr, docs, values)``.

    A counting sort: within a term, documents stay in ascending order. Document numbers start at
    ``first_doc`` (appending a batch to an existing index).
    """
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    for i in range(terms.size):
        indptr[terms[i] + 1] += 1
    for term in range(n_terms):
        indptr[term + 1] += indptr[term]
    heads = indptr[:-1].copy()
    postings_docs = np.empty(terms.size, dtype=np.int32)
    postings_values = np.empty(terms.size, dtype=values.dtype)
    n_docs = doc_offsets.size - 1
    for doc in range(n_docs):
        for i in range(doc_offsets[doc], doc_offsets[doc + 1]):
            slot = heads[terms[i]]
            postings_docs[slot] = first_doc + doc
            postings_values[slot] = values[i]
            heads[terms[i]] = slot + 1
    return indptr, postings_docs, postings_values


@kernel
def merge_postings(indptr_a, docs_a, values_a, indptr_b, docs_b, values_b, n_terms):
    """Concatenate two postings sets term by term (``b``'s documents all come after ``a``'s).

    Either side may have fewer terms than ``n_terms`` (the vocabulary grew): missing terms are empty.
    """
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    n_a, n_b = indptr_a.size - 1, indptr_b.size - 1
    for term in range(n_terms):
        length = 0
        if term < n_a:
            length += indptr_a[term + 1] - indptr_a[term]
        if term < n_b:
            length += indptr_b[term + 1] - indptr_b[term]
        indptr[term + 1] = indptr[term] + length
    docs = np.empty(indptr[-1], dtype=np.int32)
    values = np.empty(indptr[-1], dtype=values_a.dtype)
    for term in prange(n_terms):
        slot = indptr[term]
        if term < n_a:
            for entry in range(indptr_a[term], indptr_a[term + 1]):
                docs[slot] = docs_a[entry]
                values[slot] = values_a[entry]
                slot += 1
        if term < n_b:
            for entry in range(indptr_b[term], indptr_b[term + 1]):
                docs[slot] = docs_b[entry]
                values[slot] = values_b[entry]
                slot += 1
    return indptr, docs, values


@kernel
def drop_documents(indptr, postings_docs, postings_values, new_position):
    """Remove the postings of deleted documents (``new_position[doc] == -1``) and renumber the rest."""
    n_terms = indptr.size - 1
    kept = np.zeros(n_terms + 1, dtype=np.int64)
    for term in range(n_terms):
        count = 0
        for entry in range(indptr[term], indptr[term + 1]):
            if new_position[postings_docs[entry]] >= 0:
                count += 1
        kept[term + 1] = kept[term] + count
    docs = np.empty(kept[-1], dtype=np.int32)
    values = np.empty(kept[-1], dtype=postings_values.dtype)
    for term in range(n_terms):
        slot = kept[term]
        for entry in range(indptr[term], indptr[term + 1]):
            position = new_position[postings_docs[entry]]
            if position >= 0:
                docs[slot] = position
                values[slot] = postings_values[entry]
                slot += 1
    return kept, docs, values
