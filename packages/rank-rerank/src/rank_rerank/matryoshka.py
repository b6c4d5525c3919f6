"""Matryoshka refinement: rank many candidates on the first dimensions, refine the best with all.

Matryoshka-trained embeddings (nomic-embed, OpenAI text-embedding-3, mxbai ...) keep most of their
quality in a prefix of their dimensions. :func:`matryoshka_rerank` scores every candidate with the
first ``head_dims`` dimensions (for cosine, the truncated vectors are renormalised, as Matryoshka
models are used), keeps the ``refine_top`` best, rescores those with all dimensions and returns
them ranked by the full score: the full-dimension ranking whenever its top ``top_k`` lie inside the
head's top ``refine_top``, at ``head_dims / dim`` of the cost for the candidates not refined.
Candidates outside the shortlist are read in their first ``head_dims`` dimensions only (so a NaN
in their tail is not seen: nothing computed from it is returned).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rank_core import RankValueError, ShapeMismatchError
from rank_core.validation import check_choice, check_k
from rank_rerank._inputs import SIMILARITIES, Similarity, check_positive_int
from rank_rerank.dense import cosine, dot
from rank_rerank.results import RerankResult, check_ids, ranked, top_positions

__all__ = ["matryoshka_rerank"]


def matryoshka_rerank(
    query: Any,
    candidates: Any,
    ids: Any = None,
    top_k: int | None = None,
    *,
    head_dims: int,
    refine_top: int = 100,
    similarity: Similarity = "cosine",
) -> RerankResult:
    """Two-stage dense reranking of ``candidates`` ``(n, dim)`` for one ``query`` ``(dim,)``.

    Returns the ``refine_top`` candidates best by their first ``head_dims`` dimensions, ranked by
    their full-dimension score (ties: earlier position first) and cut to ``top_k``; ``scores`` are
    the full-dimension scores. ``head_dims`` must be below the dimension.

    >>> import numpy as np
    >>> docs = np.array([[1.0, 0.0, 0.0], [0.9, 0.1, 0.9], [0.0, 1.0, 0.0]])
    >>> matryoshka_rerank([1.0, 0.0, 1.0], docs, head_dims=1, refine_top=2).indices.tolist()
    [1, 0]
    """
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    top_k = check_k(top_k, name="top_k", allow_none=True)
    refine_top = check_positive_int(refine_top, name="refine_top")
    head_dims = check_positive_int(head_dims, name="head_dims")
    if np.ndim(query) != 1 or np.ndim(candidates) != 2:
        raise ShapeMismatchError(
            f"matryoshka_rerank takes one query (dim,) and candidates (n, dim); got shapes "
            f"{np.shape(query)} and {np.shape(candidates)}"
        )
    query_vector, candidate_rows = np.asarray(query), np.asarray(candidates)
    dim = candidate_rows.shape[1]
    if head_dims >= dim:
        raise RankValueError(
            f"head_dims must be below the embedding dimension ({dim}), got {head_dims}"
        )
    labels = check_ids(ids, candidate_rows.shape[0])
    score = cosine if similarity == "cosine" else dot
    head_scores = np.atleast_1d(score(query_vector[:head_dims], candidate_rows[:, :head_dims]))
    shortlist = top_positions(head_scores, refine_top)
    full_scores = np.atleast_1d(score(query_vector, candidate_rows[shortlist]))
    # shortlist is in head order; re-rank by the full score with ties in input-position order
    by_position = np.argsort(shortlist, kind="stable")
    refined = ranked(full_scores[by_position], None, top_k)
    positions = shortlist[by_position][refined.indices]
    return RerankResult(
        positions.copy() if labels is None else labels[positions], refined.scores, positions
    )
