"""Rerank a rank-core ``Run`` with embeddings: the second stage of a retrieve -> rerank pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rank_core import RankTypeError, RankValueError, Run, ShapeMismatchError
from rank_core.jit import threads as numba_threads
from rank_core.progress import progress_bar
from rank_core.validation import as_array, check_choice, check_k
from rank_rerank._inputs import SIMILARITIES, Similarity
from rank_rerank.dense import cosine, dot
from rank_rerank.maxsim import maxsim

__all__ = ["rerank_run"]

#: ``show_progress=None`` shows a bar from this many queries on.
PROGRESS_MIN_QUERIES = 1_000


def rerank_run(
    run: Run,
    query_embeddings: Mapping[str, Any],
    doc_embeddings: Mapping[str, Any],
    *,
    similarity: Similarity = "dot",
    k: int | None = None,
    name: str | None = None,
    threads: int | None = None,
    show_progress: bool | None = None,
) -> Run:
    """Rescore every (query, document) row of ``run`` and return the reranked :class:`Run`.

    ``query_embeddings`` and ``doc_embeddings`` map ids to embeddings: ``(n_tokens, dim)`` token
    matrices (scored with MaxSim) or ``(dim,)`` vectors (scored with ``similarity`` directly);
    a query and its documents must be of the same kind. ``k`` keeps each query's best ``k`` rows
    (``None`` keeps all). Queries without rows are left out; a missing embedding raises.
    ``name`` names the new run (default: the input's name).
    """
    if not isinstance(run, Run):
        raise RankTypeError(f"run must be a rank_core.Run, got {type(run).__name__}")
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    k = check_k(k, name="k", allow_none=True)
    query_ids, offsets, doc_ids = run.query_ids, run.offsets, run.doc_ids
    scores = np.empty(run.n_rows, dtype=np.float64)
    with (
        numba_threads(threads),
        progress_bar(
            show_progress,
            total=len(query_ids),
            size=len(query_ids),
            threshold=PROGRESS_MIN_QUERIES,
            desc="rerank",
            unit="query",
        ) as bar,
    ):
        for position, query_id in enumerate(query_ids.tolist()):
            rows = slice(offsets[position], offsets[position + 1])
            if rows.start != rows.stop:
                scores[rows] = _query_scores(
                    query_id, doc_ids[rows].tolist(), query_embeddings, doc_embeddings, similarity
                )
            bar.update(1)
    counts = np.diff(offsets)
    reranked = Run.from_arrays(
        np.repeat(query_ids, counts), doc_ids, scores, name=run.name if name is None else name
    )
    return reranked if k is None else reranked.top_k(k)


def _query_scores(
    query_id: str,
    doc_ids: list[str],
    query_embeddings: Mapping[str, Any],
    doc_embeddings: Mapping[str, Any],
    similarity: str,
) -> Any:
    query = _lookup(query_embeddings, query_id, "query_embeddings", f"query {query_id!r}")
    docs = [
        _lookup(
            doc_embeddings, doc_id, "doc_embeddings", f"document {doc_id!r} of query {query_id!r}"
        )
        for doc_id in doc_ids
    ]
    kind = np.ndim(query)
    if kind not in (1, 2):
        raise ShapeMismatchError(
            f"the embedding of query {query_id!r} must be (n_tokens, dim) or (dim,), got shape {np.shape(query)}"
        )
    for doc_id, doc in zip(doc_ids, docs, strict=True):
        if np.ndim(doc) != kind:
            raise ShapeMismatchError(
                f"the embedding of document {doc_id!r} has shape {np.shape(doc)} but query {query_id!r}'s has "
                f"shape {np.shape(query)}: both must be token matrices (MaxSim) or both vectors"
            )
    if kind == 2:
        return maxsim(query, docs, similarity=similarity)
    score = cosine if similarity == "cosine" else dot
    return np.atleast_1d(
        score(
            query,
            as_array(docs, name=f"doc_embeddings of query {query_id!r}", ndim=2, finite=False),
        )
    )


def _lookup(embeddings: Mapping[str, Any], key: str, name: str, what: str) -> Any:
    try:
        return embeddings[key]
    except KeyError:
        raise RankValueError(
            f"{name} has no embedding for {what}; give one for every id in the run"
        ) from None
