"""MaxSim (ColBERT late interaction) over ragged documents: BLAS products + compiled segmented maxima.

``maxsim(q, d) = sum_i w_i * max_j sim(q_i, d_j)`` over the query's token vectors ``q_i`` (weights
``w_i``, 1 by default) and the document's token vectors ``d_j``; ``sim`` is the inner product
(``"dot"``, what ColBERT uses on its normalised vectors) or the cosine (``"cosine"``: each vector
divided by its norm; a zero vector has similarity 0 with everything).

Documents are never padded: their token rows are laid end to end and read in chunks of whole
documents sized so that one chunk's (tokens x query tokens) similarity block stays in cache. Each
chunk is one BLAS product, then one compiled pass takes each document's per-column maxima in
parallel over documents. Padded input (a 3-D array and a mask) has its padding rows dropped first,
so padding can never win a maximum (with zero padding vectors a padded row scores 0, above every
negative similarity: the bug of masking after the product).

float16 storage is read chunk by chunk into float32; float32 storage runs in float32 and float64
storage in float64, and scores come back in that precision. Each query-token maximum is exact for
the similarities BLAS computed; the weighted sum over query tokens is taken in float64. Like any
BLAS-based scorer, the last bits of a similarity may depend on the shape of the product it was
computed in (how documents are grouped into chunks, how many queries are stacked), never on the
thread count. Ties in :func:`rerank` and alignments go to the earlier document / document token.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.progress import progress_bar
from rank_core.validation import as_array, check_choice, check_k
from rank_rerank._inputs import (
    SIMILARITIES,
    Similarity,
    TokenSets,
    as_token_matrix,
    as_token_sets,
    check_weights,
    compute_dtype,
    is_single_matrix,
)
from rank_rerank._kernels.maxsim import maxsim_alignment, maxsim_scores
from rank_rerank._parallel import run_chunks, worker_count
from rank_rerank.results import RerankResult, ranked

__all__ = [
    "MaxSimAlignment",
    "Similarity",
    "highlight",
    "maxsim",
    "maxsim_alignments",
    "maxsim_batch",
    "rerank",
]


#: Bytes of one chunk's similarity block plus its token rows: small enough to stay in cache.
CHUNK_BYTES = 2 * 2**20
#: Fewest token rows per BLAS product, so that products stay efficient for wide query batches.
MIN_CHUNK_TOKENS = 512
#: Query token columns scored in one pass of :func:`maxsim_batch` without candidates.
MAX_QUERY_COLUMNS = 2_048
#: ``show_progress=None`` shows a bar from this many queries on.
PROGRESS_MIN_QUERIES = 1_000


class MaxSimAlignment(NamedTuple):
    """Which document token each query token matched, for highlighting.

    ``scores`` is ``(n_docs,)`` (the MaxSim scores); ``token_indices`` and ``similarities`` are
    ``(n_docs, n_query_tokens)``: for query token ``i`` of document ``d``, the position of the
    first document token reaching the maximum similarity (in the document as given: padded
    positions for padded input) and that similarity.
    """

    scores: NDArray[np.floating[Any]]
    token_indices: NDArray[np.int64]
    similarities: NDArray[np.floating[Any]]


# ---------------------------------------------------------------------------------------- core


def _prepared_query(
    tokens: NDArray[np.floating[Any]], *, similarity: str, dtype: np.dtype[Any], weights: Any, query_mask: Any
) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """A validated query's token rows (masked tokens dropped, normalised for cosine) and their
    weights."""
    token_weights = check_weights(weights, tokens.shape[0], name="query_weights")
    if query_mask is not None:
        keep = np.asarray(query_mask)
        if keep.dtype != np.bool_ or keep.shape != (tokens.shape[0],):
            raise ShapeMismatchError(
                f"query_mask must be a boolean array of shape ({tokens.shape[0]},), one flag per "
                f"query token; got dtype {keep.dtype}, shape {keep.shape}"
            )
        if not keep.any():
            raise RankValueError("query_mask drops every query token; keep at least one")
        tokens, token_weights = tokens[keep], token_weights[keep]
    tokens = tokens.astype(dtype, copy=False)
    if similarity == "cosine":
        tokens = tokens * _inverse_norms(tokens)[:, None]
    return tokens, token_weights


def _inverse_norms(rows: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """``1 / ||row||`` per row, 0 for a zero row (its cosine with anything is then 0)."""
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    return np.divide(1, norms, out=np.zeros_like(norms), where=norms > 0)


def _row_scale(rows: NDArray[np.floating[Any]], similarity: str) -> NDArray[np.floating[Any]]:
    if similarity == "cosine":
        return _inverse_norms(rows)
    return np.ones(rows.shape[0], dtype=rows.dtype)


def _chunk_similarities(
    docs: TokenSets, begin: int, end: int, transposed: NDArray[np.floating[Any]], similarity: str
) -> tuple[NDArray[np.floating[Any]], NDArray[np.int64], NDArray[np.floating[Any]]]:
    """Documents ``begin .. end - 1`` as one BLAS product with the (transposed) query tokens: the
    similarities, the documents' row offsets inside the chunk, and each row's scale."""
    rows = docs.rows(begin, end)
    with np.errstate(all="ignore"):  # NaN/inf/overflow are detected by the kernels and reported
        sims = rows @ transposed
    return sims, docs.offsets[begin : end + 1] - docs.offsets[begin], _row_scale(rows, similarity)


def _chunk_tokens(dim: int, n_columns: int, itemsize: int) -> int:
    return max(MIN_CHUNK_TOKENS, CHUNK_BYTES // (itemsize * (dim + n_columns)))


def _score_matrix(
    queries: Sequence[NDArray[np.floating[Any]]],
    weights: Sequence[NDArray[np.float64]],
    docs: TokenSets,
    similarity: str,
    threads: int,
) -> tuple[NDArray[np.floating[Any]], NDArray[np.bool_]]:
    """``(n_docs, n_queries)`` MaxSim scores of prepared queries (one pass over the documents),
    and per document whether all its similarities were finite."""
    dtype = compute_dtype(docs.dtype)
    stacked = queries[0] if len(queries) == 1 else np.concatenate(queries)
    query_offsets = np.array([0, *itertools.accumulate(q.shape[0] for q in queries)], dtype=np.int64)
    stacked_weights = weights[0] if len(weights) == 1 else np.concatenate(weights)
    transposed = np.ascontiguousarray(stacked.T, dtype=dtype)
    out = np.empty((len(docs), len(queries)), dtype=dtype)
    finite = np.empty(len(docs), dtype=np.bool_)

    def score_chunk(begin: int, end: int) -> None:
        sims, doc_offsets, row_scale = _chunk_similarities(docs, begin, end, transposed, similarity)
        maxsim_scores(
            sims, doc_offsets, row_scale, query_offsets, stacked_weights, out[begin:end], finite[begin:end]
        )

    run_chunks(score_chunk, docs.chunks(_chunk_tokens(docs.dim, stacked.shape[0], dtype.itemsize)), threads)
    return out, finite


def _raise_non_finite(docs: TokenSets, doc_indices: NDArray[np.int64] | None = None) -> None:
    docs.raise_first_non_finite(doc_indices)
    raise NonFiniteInputError(
        f"similarities with {docs.name} overflowed to infinity (vectors too large for "
        f"{compute_dtype(docs.dtype).name}); scale the embeddings down or store them as float64"
    )


def _document_sets(docs: Any, offsets: Any, mask: Any, dim: int) -> tuple[TokenSets, bool]:
    single = is_single_matrix(docs, offsets)
    if single and mask is None:  # one (n_tokens, dim) matrix: its own flat layout, nothing copied
        matrix = as_token_matrix(docs, name="docs", dim=dim, finite=False)  # the kernel checks
        bounds = np.array([0, matrix.shape[0]], dtype=np.int64)
        return TokenSets(name="docs", offsets=bounds, dim=dim, dtype=matrix.dtype, flat=matrix), True
    return as_token_sets(docs, offsets=offsets, mask=mask, name="docs", dim=dim), single


# -------------------------------------------------------------------------------------- public


def maxsim(
    query: Any,
    docs: Any,
    *,
    offsets: Any = None,
    mask: Any = None,
    similarity: Similarity = "dot",
    query_weights: Any = None,
    query_mask: Any = None,
    threads: int | None = None,
) -> Any:
    """MaxSim scores of one query against documents of token vectors.

    ``query`` is ``(n_query_tokens, dim)``. ``docs`` is one document ``(n_tokens, dim)`` (the
    result is then a float), or many: a list of ``(n_tokens_i, dim)`` arrays, a flat
    ``(total_tokens, dim)`` array with ``offsets`` (``n_docs + 1`` ints from 0), or a padded
    ``(n_docs, max_tokens, dim)`` array with a boolean ``mask`` marking real tokens; the result is
    then an ``(n_docs,)`` array. ``similarity`` is ``"dot"`` or ``"cosine"``; ``query_weights``
    (one per query token) weight each token's maximum; ``query_mask`` drops query tokens
    (``False``). ``threads`` is the number of worker threads (default: numba's thread count);
    each runs chunks of documents, a single-threaded BLAS product then the segmented maxima.

    >>> maxsim([[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [1.0, 0.0]])
    1.5
    """
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    query_tokens = as_token_matrix(query, name="query")
    sets, single = _document_sets(docs, offsets, mask, query_tokens.shape[1])
    prepared, weights = _prepared_query(
        query_tokens,
        similarity=similarity,
        dtype=compute_dtype(sets.dtype),
        weights=query_weights,
        query_mask=query_mask,
    )
    scores, finite = _score_matrix([prepared], [weights], sets, similarity, worker_count(threads))
    if not finite.all():
        _raise_non_finite(sets)
    return float(scores[0, 0]) if single else scores[:, 0].copy()


def maxsim_batch(
    queries: Any,
    docs: Any,
    *,
    candidates: Any = None,
    query_offsets: Any = None,
    query_mask: Any = None,
    offsets: Any = None,
    mask: Any = None,
    similarity: Similarity = "dot",
    query_weights: Sequence[Any] | None = None,
    threads: int | None = None,
    show_progress: bool | None = None,
) -> Any:
    """MaxSim scores of many queries against a pool of documents.

    ``queries`` is a list of ``(n_query_tokens_i, dim)`` arrays, a flat array with
    ``query_offsets``, or a padded 3-D array with a boolean ``query_mask``; one 2-D query gives
    :func:`maxsim`'s result. ``docs`` takes the layouts of :func:`maxsim` (``offsets``/``mask``).
    ``query_weights`` is ``None`` or one weight array per query.

    ``candidates=None`` scores every query against every document: an ``(n_queries, n_docs)``
    array from one pass over the documents. Otherwise ``candidates`` lists, per query, the
    document positions to score (a reranking depth): an ``(n_queries, n_candidates)`` integer
    array gives an array of that shape, a list of integer arrays gives a list of score arrays.
    """
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    if is_single_matrix(queries, query_offsets):
        if candidates is not None:
            raise RankValueError(
                "candidates apply to a batch of queries; score one query's candidates with maxsim"
            )
        return maxsim(
            queries,
            docs,
            offsets=offsets,
            mask=mask,
            similarity=similarity,
            query_weights=query_weights,
            query_mask=query_mask,
            threads=threads,
        )
    query_sets = as_token_sets(queries, offsets=query_offsets, mask=query_mask, name="queries")
    sets = as_token_sets(docs, offsets=offsets, mask=mask, name="docs", dim=query_sets.dim or None)
    n_queries = len(query_sets)
    if query_weights is not None and len(query_weights) != n_queries:
        raise ShapeMismatchError(
            f"query_weights has {len(query_weights)} entries, expected one per query ({n_queries})"
        )
    dtype = compute_dtype(sets.dtype)
    prepared = [
        _prepared_query(
            as_token_matrix(query_sets.document(index), name=f"queries[{index}]"),
            similarity=similarity,
            dtype=dtype,
            weights=None if query_weights is None else query_weights[index],
            query_mask=None,
        )
        for index in range(n_queries)
    ]
    workers = worker_count(threads)
    if candidates is None:
        return _all_pairs(prepared, sets, similarity, workers, show_progress)
    return _candidate_pairs(prepared, sets, candidates, similarity, workers, show_progress)


def _all_pairs(
    prepared: list[tuple[NDArray[Any], NDArray[np.float64]]],
    sets: TokenSets,
    similarity: str,
    threads: int,
    show_progress: bool | None,
) -> NDArray[np.floating[Any]]:
    scores = np.empty((len(prepared), len(sets)), dtype=compute_dtype(sets.dtype))
    groups = _query_groups([tokens.shape[0] for tokens, _ in prepared])
    with progress_bar(
        show_progress,
        total=len(prepared),
        size=len(prepared),
        threshold=PROGRESS_MIN_QUERIES,
        desc="maxsim",
        unit="query",
    ) as bar:
        for begin, end in groups:
            block, finite = _score_matrix(
                [t for t, _ in prepared[begin:end]],
                [w for _, w in prepared[begin:end]],
                sets,
                similarity,
                threads,
            )
            if not finite.all():
                _raise_non_finite(sets)
            scores[begin:end] = block.T
            bar.update(end - begin)
    return scores


def _query_groups(lengths: list[int]) -> list[tuple[int, int]]:
    """Consecutive ranges of whole queries with at most ``MAX_QUERY_COLUMNS`` tokens (or one query)."""
    groups: list[tuple[int, int]] = []
    begin, columns = 0, 0
    for index, length in enumerate(lengths):
        if index > begin and columns + length > MAX_QUERY_COLUMNS:
            groups.append((begin, index))
            begin, columns = index, 0
        columns += length
    if begin < len(lengths):
        groups.append((begin, len(lengths)))
    return groups


def _candidate_pairs(
    prepared: list[tuple[NDArray[Any], NDArray[np.float64]]],
    sets: TokenSets,
    candidates: Any,
    similarity: str,
    threads: int,
    show_progress: bool | None,
) -> Any:
    rectangular = isinstance(candidates, np.ndarray) and candidates.ndim == 2
    rows = _candidate_rows(candidates, len(prepared), len(sets))
    results = []
    with progress_bar(
        show_progress,
        total=len(prepared),
        size=len(prepared),
        threshold=PROGRESS_MIN_QUERIES,
        desc="maxsim",
        unit="query",
    ) as bar:
        for (tokens, weights), doc_indices in zip(prepared, rows, strict=True):
            subset = sets.subset(doc_indices)
            block, finite = _score_matrix([tokens], [weights], subset, similarity, threads)
            if not finite.all():
                _raise_non_finite(sets, doc_indices[~finite])
            results.append(block[:, 0].copy())
            bar.update(1)
    return np.stack(results) if rectangular else results


def _candidate_rows(candidates: Any, n_queries: int, n_docs: int) -> list[NDArray[np.int64]]:
    if isinstance(candidates, np.ndarray) and candidates.ndim == 2:
        rows = list(as_array(candidates, name="candidates", dtype=np.int64, ndim=2))
    elif isinstance(candidates, Sequence) and not isinstance(candidates, (str, bytes)):
        rows = [
            as_array(row, name=f"candidates[{i}]", dtype=np.int64, ndim=1)
            for i, row in enumerate(candidates)
        ]
    else:
        raise RankTypeError(
            f"candidates must be an (n_queries, n_candidates) int array or a list of int arrays, got {type(candidates).__name__}"
        )
    if len(rows) != n_queries:
        raise ShapeMismatchError(
            f"candidates has {len(rows)} rows, expected one per query ({n_queries})"
        )
    for index, row in enumerate(rows):
        outside = np.flatnonzero((row < 0) | (row >= n_docs))
        if outside.size:
            at = int(outside[0])
            raise RankValueError(
                f"candidates[{index}][{at}] = {row[at]} is not a document position (0 <= i < {n_docs})"
            )
    return rows


def maxsim_alignments(
    query: Any,
    docs: Any,
    *,
    offsets: Any = None,
    mask: Any = None,
    similarity: Similarity = "dot",
    query_weights: Any = None,
    threads: int | None = None,
) -> MaxSimAlignment:
    """MaxSim scores with, per query token, the document token it matched (see
    :class:`MaxSimAlignment`). ``docs`` as in :func:`maxsim`; one 2-D document gives 1-row arrays."""
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    query_tokens = as_token_matrix(query, name="query")
    sets, _ = _document_sets(docs, offsets, mask, query_tokens.shape[1])
    dtype = compute_dtype(sets.dtype)
    prepared, weights = _prepared_query(
        query_tokens,
        similarity=similarity,
        dtype=dtype,
        weights=query_weights,
        query_mask=None,
    )
    n_docs, n_columns = len(sets), prepared.shape[0]
    scores = np.empty(n_docs, dtype=dtype)
    matched = np.empty((n_docs, n_columns), dtype=np.int64)
    matched_sims = np.empty((n_docs, n_columns), dtype=dtype)
    finite = np.empty(n_docs, dtype=np.bool_)
    transposed = np.ascontiguousarray(prepared.T)

    def align_chunk(begin: int, end: int) -> None:
        sims, doc_offsets, row_scale = _chunk_similarities(sets, begin, end, transposed, similarity)
        maxsim_alignment(
            sims, doc_offsets, row_scale, weights,
            scores[begin:end], matched[begin:end], matched_sims[begin:end], finite[begin:end],
        )

    run_chunks(align_chunk, sets.chunks(_chunk_tokens(sets.dim, n_columns, dtype.itemsize)), worker_count(threads))
    if not finite.all():
        _raise_non_finite(sets)
    if sets.positions is not None:  # padded input: report positions in the padded rows
        matched = sets.positions[matched + sets.offsets[:-1, None]]
    return MaxSimAlignment(scores, matched, matched_sims)


def highlight(
    query: Any, doc: Any, threshold: float, *, similarity: Similarity = "dot"
) -> NDArray[np.int64]:
    """Positions of the document tokens that some query token matched (its MaxSim maximum) with
    a similarity ``>= threshold``, ascending: the tokens to highlight in the document's text."""
    if not is_single_matrix(doc, None):
        raise ShapeMismatchError("highlight takes one document: a (n_tokens, dim) array")
    alignment = maxsim_alignments(query, doc, similarity=similarity)
    threshold_value = float(threshold)
    if not np.isfinite(threshold_value):
        raise NonFiniteInputError(f"threshold must be finite, got {threshold}")
    hits = alignment.similarities[0] >= threshold_value
    return np.unique(alignment.token_indices[0][hits])


def rerank(
    query: Any,
    docs: Any,
    ids: Any = None,
    top_k: int | None = None,
    *,
    offsets: Any = None,
    mask: Any = None,
    similarity: Similarity = "dot",
    query_weights: Any = None,
    threads: int | None = None,
) -> RerankResult:
    """The documents ranked by MaxSim with ``query``, best first (ties: earlier position first),
    cut to ``top_k`` (``None`` keeps all). ``ids`` (one per document) label the result."""
    top_k = check_k(top_k, name="top_k", allow_none=True)
    scores = maxsim(
        query,
        docs,
        offsets=offsets,
        mask=mask,
        similarity=similarity,
        query_weights=query_weights,
        threads=threads,
    )
    return ranked(np.atleast_1d(scores), ids, top_k)
