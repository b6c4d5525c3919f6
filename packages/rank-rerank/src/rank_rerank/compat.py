"""The original rank-refine bindings' functions, as thin wrappers over this package's API.

Code written against the earlier Rust project's Python bindings keeps running with
``import rank_rerank.compat as rank_refine``: the names and signatures are the original's
(``lambda_`` instead of the ``lambda`` keyword Python cannot parse). The semantics are the
original's where they were sound, and fixed where they were not:

- ties are broken deterministically (higher relevance, then earlier candidate), not by the order
  an internal ``swap_remove`` happened to leave;
- ``dpp`` runs the exact fast greedy MAP inference (Chen et al. 2018): the original's update used
  raw instead of projected inner products, which is exact only up to the second pick; it may
  return fewer than ``k`` candidates once the rest lie in the span of those picked;
- empty token matrices, NaN vectors, mismatched dimensions, out-of-range ``lambda_``/``alpha``
  and candidates without embeddings raise rank-core errors instead of returning ``0.0``,
  clamping, or dropping candidates silently;
- computations run in float32 (float64 for float64 input) with BLAS, not in scalar f32.

``cosine``, ``dot``, ``norm``, ``maxsim_batch`` and ``pool_tokens`` are the package's own
functions (same names and argument order; arrays instead of lists come back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_finite, check_in_range, check_k
from rank_rerank._inputs import as_token_matrix
from rank_rerank.dense import cosine, dot, norm
from rank_rerank.diversity import dpp as _dpp
from rank_rerank.diversity import mmr as _mmr
from rank_rerank.maxsim import maxsim, maxsim_alignments, maxsim_batch
from rank_rerank.pooling import pool_tokens

__all__ = [
    "cosine",
    "dot",
    "dpp",
    "highlight_matches_vecs",
    "matryoshka_try_refine",
    "maxsim_alignments_cosine_vecs",
    "maxsim_alignments_vecs",
    "maxsim_batch",
    "maxsim_cosine_vecs",
    "maxsim_vecs",
    "mmr",
    "mmr_cosine",
    "norm",
    "pool_tokens",
]

RankedList = list[tuple[str, float]]


def maxsim_vecs(query_tokens: Any, doc_tokens: Any) -> float:
    """MaxSim with inner products: ``maxsim(query_tokens, doc_tokens)``."""
    return float(maxsim(query_tokens, doc_tokens))


def maxsim_cosine_vecs(query_tokens: Any, doc_tokens: Any) -> float:
    """MaxSim with cosines: ``maxsim(query_tokens, doc_tokens, similarity="cosine")``."""
    return float(maxsim(query_tokens, doc_tokens, similarity="cosine"))


def maxsim_alignments_vecs(query_tokens: Any, doc_tokens: Any) -> list[tuple[int, int, float]]:
    """One ``(query_index, doc_index, similarity)`` per query token, in query order: the first
    document token with the largest inner product."""
    return _alignment_tuples(query_tokens, doc_tokens, "dot")


def maxsim_alignments_cosine_vecs(query_tokens: Any, doc_tokens: Any) -> list[tuple[int, int, float]]:
    """:func:`maxsim_alignments_vecs` with cosines."""
    return _alignment_tuples(query_tokens, doc_tokens, "cosine")


def _alignment_tuples(query_tokens: Any, doc_tokens: Any, similarity: str) -> list[tuple[int, int, float]]:
    alignment = maxsim_alignments(query_tokens, [doc_tokens], similarity=similarity)  # type: ignore[arg-type]
    matched, sims = alignment.token_indices[0].tolist(), alignment.similarities[0].tolist()
    return [(i, doc_index, score) for i, (doc_index, score) in enumerate(zip(matched, sims, strict=True))]


def highlight_matches_vecs(query_tokens: Any, doc_tokens: Any, threshold: float) -> list[int]:
    """Ascending positions of the document tokens whose inner product with *some* query token is
    at least ``threshold`` (the original's rule; :func:`rank_rerank.highlight` keeps only each
    query token's best match)."""
    query = as_token_matrix(query_tokens, name="query_tokens")
    doc = as_token_matrix(doc_tokens, name="doc_tokens", dim=query.shape[1])
    limit = check_in_range(threshold, name="threshold")
    hits = (np.asarray(dot(query, doc)) >= limit).any(axis=0)
    return np.flatnonzero(hits).tolist()


def mmr(candidates: Sequence[tuple[str, float]], similarity: Any, lambda_: float = 0.5, k: int = 10) -> RankedList:
    """MMR over ``(id, score)`` candidates with a precomputed similarity matrix (``n x n``, or
    flat row-major ``n * n``: ``similarity[i * n + j]`` compares candidate ``i`` with selected
    ``j``). Scores are min-max normalised to [0, 1] (all 1 when equal); ``lambda_`` weights
    relevance: each pick maximises ``lambda_ * relevance - (1 - lambda_) * max similarity``.
    Returns the picked ``(id, score)`` pairs (input scores) in selection order."""
    ids, scores = _ranked_list(candidates)
    lam = check_in_range(lambda_, name="lambda_", low=0.0, high=1.0)
    matrix = as_array(similarity, name="similarity", dtype=np.float64)
    n = scores.size
    if matrix.ndim == 1:
        if matrix.size != n * n:
            raise ShapeMismatchError(f"similarity has {matrix.size} values, expected n * n = {n * n} for {n} candidates")
        matrix = matrix.reshape(n, n)
    picks = _mmr(_min_max(scores), similarity_matrix=matrix, k=check_k(k), diversity=1.0 - lam)
    return _picked(ids, scores, picks)


def mmr_cosine(
    candidates: Sequence[tuple[str, float]], embeddings: Any, *, lambda_: float = 0.5, k: int = 10
) -> RankedList:
    """:func:`mmr` with cosine similarities of the candidates' ``embeddings`` (one row each)."""
    ids, scores = _ranked_list(candidates)
    lam = check_in_range(lambda_, name="lambda_", low=0.0, high=1.0)
    picks = _mmr(_min_max(scores), embeddings, check_k(k), diversity=1.0 - lam, similarity="cosine")
    return _picked(ids, scores, picks)


def dpp(candidates: Sequence[tuple[str, float]], embeddings: Any, alpha: float = 1.0, k: int = 10) -> RankedList:
    """DPP diversity over ``(id, score)`` candidates: :func:`rank_rerank.dpp` with the original's
    kernel (raw inner products of ``embeddings``) and quality ``exp(alpha * score)``. Returns the
    picked ``(id, score)`` pairs in selection order (fewer than ``k`` when the remaining
    candidates lie in the span of those picked)."""
    ids, scores = _ranked_list(candidates)
    picks = _dpp(scores, embeddings, check_k(k), alpha=alpha, similarity="dot")
    return _picked(ids, scores, picks)


def matryoshka_try_refine(
    candidates: Sequence[tuple[str, float]],
    query: Any,
    docs: Sequence[tuple[str, Any]],
    head_dims: int,
    alpha: float = 0.5,
) -> RankedList:
    """Blend each candidate's score with the cosine of the *tail* dimensions (``head_dims`` on):
    ``alpha * score + (1 - alpha) * cosine(query[head_dims:], doc[head_dims:])``, the original's
    refinement of a coarse search done on the head. ``docs`` are ``(id, vector)`` pairs; every
    candidate needs one. Returns ``(id, blended)`` sorted descending (ties: input order)."""
    ids, scores = _ranked_list(candidates)
    weight = check_in_range(alpha, name="alpha", low=0.0, high=1.0)
    query_vector = as_array(query, name="query", ndim=1)
    head = check_k(head_dims, name="head_dims")
    if head >= query_vector.size:
        raise RankValueError(f"head_dims must be below the query's length ({query_vector.size}), got {head}")
    vectors = {}
    for position, pair in enumerate(docs):
        if not isinstance(pair, Sequence) or len(pair) != 2:
            raise RankTypeError(f"docs[{position}] must be an (id, vector) pair, got {pair!r}")
        vectors[pair[0]] = pair[1]
    missing = [doc_id for doc_id in ids.tolist() if doc_id not in vectors]
    if missing:
        raise RankValueError(f"docs has no vector for candidate {missing[0]!r} ({len(missing)} missing)")
    tails = as_array([vectors[doc_id] for doc_id in ids.tolist()], name="docs vectors", ndim=2)
    if tails.shape[1] != query_vector.size:
        raise ShapeMismatchError(f"docs vectors have dimension {tails.shape[1]}, the query {query_vector.size}")
    tail_cosines = np.atleast_1d(cosine(query_vector[head:], tails[:, head:]))
    blended = weight * scores + (1.0 - weight) * tail_cosines
    order = np.argsort(-blended, kind="stable")
    return [(str(ids[i]), float(blended[i])) for i in order.tolist()]


def _ranked_list(candidates: Any) -> tuple[NDArray[np.str_], NDArray[np.float64]]:
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence):
        raise RankTypeError(f"candidates must be a list of (id, score) pairs, got {type(candidates).__name__}")
    for position, pair in enumerate(candidates):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise RankTypeError(f"candidates[{position}] must be an (id, score) pair, got {pair!r}")
    ids = np.array([str(doc_id) for doc_id, _ in candidates], dtype=np.str_)
    scores = as_array([score for _, score in candidates], name="candidate scores", dtype=np.float64, ndim=1)
    check_finite(scores, name="candidate scores")
    return ids, scores


def _min_max(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Scores rescaled to [0, 1]; all ones when they (nearly) coincide, as the original did."""
    if scores.size == 0:
        return scores
    low, high = float(scores.min()), float(scores.max())
    if high - low <= 1e-9:
        return np.ones_like(scores)
    return (scores - low) / (high - low)


def _picked(ids: NDArray[np.str_], scores: NDArray[np.float64], picks: NDArray[np.int64]) -> RankedList:
    return [(str(ids[i]), float(scores[i])) for i in picks.tolist()]
