"""Learned-sparse retrieval (SPLADE-style): dot products of {token: weight} vectors over an inverted index."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, NotFittedError, RankTypeError, RankValueError
from rank_core.validation import check_choice
from rank_retrieve._checks import check_doc_ids, check_search_k, filter_masks, kept_after_deleting
from rank_retrieve._inverted_search import search_inverted_index
from rank_retrieve._kernels import inverted
from rank_retrieve.results import SearchResult

__all__ = ["SparseIndex"]



def _flatten(
    vectors: Any, name: str, term_index: dict[Hashable, int], *, grow: bool
) -> tuple[NDArray[np.int32], NDArray[np.float64], NDArray[np.int64]]:
    """``{token: weight}`` vectors to (term ids, weights, offsets); unknown tokens are added when
    ``grow`` and dropped otherwise. Weights must be finite and non-negative; zeros are dropped."""
    if isinstance(vectors, Mapping):
        raise RankTypeError(f"{name} must be a sequence of {{token: weight}} mappings; wrap a single one in a list")
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, Sequence):
        raise RankTypeError(f"{name} must be a sequence of {{token: weight}} mappings, got {type(vectors).__name__}")
    terms: list[int] = []
    weights: list[float] = []
    offsets = np.zeros(len(vectors) + 1, dtype=np.int64)
    for row, vector in enumerate(vectors):
        if not isinstance(vector, Mapping):
            raise RankTypeError(f"{name}[{row}] must be a {{token: weight}} mapping, got {type(vector).__name__}")
        for token, weight in vector.items():
            if isinstance(weight, bool) or not isinstance(weight, (int, float, np.integer, np.floating)):
                raise RankTypeError(f"{name}[{row}][{token!r}] must be a number, got {type(weight).__name__}")
            if not np.isfinite(weight):
                raise NonFiniteInputError(f"{name}[{row}][{token!r}] is {weight}: weights must be finite")
            if weight < 0:
                raise RankValueError(
                    f"{name}[{row}][{token!r}] is {weight}: learned-sparse weights must be >= 0 (SPLADE's are)"
                )
            if weight == 0:
                continue
            term = term_index.get(token)
            if term is None:
                if not grow:
                    continue  # a query token no document has adds nothing
                term = term_index[token] = len(term_index)
            terms.append(term)
            weights.append(float(weight))
        offsets[row + 1] = len(terms)
    return np.array(terms, dtype=np.int32), np.array(weights, dtype=np.float64), offsets


class SparseIndex:
    """Exact search over learned-sparse vectors: ``score(q, d) = sum_t q[t] * d[t]``.

    ``vectors`` are ``{token: weight}`` mappings (tokens: any hashable, typically vocabulary
    strings or ids), weights finite and >= 0 (SPLADE's ReLU/log-saturated weights are). Documents
    that share no token with a query score 0 and follow the matching ones, by position; ``k``
    above the corpus size returns the whole corpus. Same search API as :class:`~rank_retrieve.BM25`.
    """

    def __init__(
        self,
        vectors: Sequence[Mapping[Hashable, float]],
        ids: Sequence[str] | None = None,
        *,
        dtype: Literal["float32", "float64"] = "float32",
    ) -> None:
        self.dtype = np.dtype(check_choice(str(dtype), name="dtype", choices=("float32", "float64")))
        self._term_index: dict[Hashable, int] = {}
        terms, weights, offsets = _flatten(vectors, "vectors", self._term_index, grow=True)
        if offsets.size == 1:
            raise RankValueError("vectors is empty: give at least one document vector")
        self._ids = check_doc_ids(ids, offsets.size - 1)
        self._id_positions: dict[str, int] | None = None
        self._indptr, self._postings_docs, self._postings_weights = inverted.invert(
            offsets, terms, weights.astype(self.dtype), len(self._term_index), 0
        )

    @property
    def ids(self) -> NDArray[np.str_]:
        return self._ids

    def __len__(self) -> int:
        return int(self._ids.size)

    def __repr__(self) -> str:
        return f"SparseIndex({len(self)} docs, {len(self._term_index)} tokens, dtype={self.dtype.name!r})"

    def _positions(self) -> dict[str, int]:
        if self._id_positions is None:
            self._id_positions = {doc_id: i for i, doc_id in enumerate(self._ids.tolist())}
        return self._id_positions

    def add(self, vectors: Sequence[Mapping[Hashable, float]], ids: Sequence[str]) -> SparseIndex:
        """Append documents (ids required, new). Cost: one pass over all postings."""
        if ids is None:
            raise RankValueError("add() needs ids for the new documents")
        term_index = dict(self._term_index)  # committed only once every check has passed
        terms, weights, offsets = _flatten(vectors, "vectors", term_index, grow=True)
        new_ids = check_doc_ids(ids, offsets.size - 1)
        clashes = np.intersect1d(new_ids, self._ids)
        if clashes.size:
            raise RankValueError(f"ids already in the index: {clashes[:5].tolist()} (delete them first to replace)")
        new = inverted.invert(offsets, terms, weights.astype(self.dtype), len(term_index), len(self))
        self._indptr, self._postings_docs, self._postings_weights = inverted.merge_postings(
            self._indptr, self._postings_docs, self._postings_weights, *new, len(term_index)
        )
        self._term_index = term_index
        self._ids, self._id_positions = np.concatenate([self._ids, new_ids]), None
        return self

    def delete(self, ids: Sequence[str]) -> SparseIndex:
        """Remove documents by id (unknown ids raise; nothing is removed then)."""
        keep = kept_after_deleting(ids, self._positions(), len(self))
        new_position = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int64)
        self._indptr, self._postings_docs, self._postings_weights = inverted.drop_documents(
            self._indptr, self._postings_docs, self._postings_weights, new_position
        )
        self._ids, self._id_positions = np.ascontiguousarray(self._ids[keep]), None
        return self

    def search(
        self,
        queries: Mapping[Hashable, float] | Sequence[Mapping[Hashable, float]],
        k: int = 10,
        *,
        filter: Any = None,
        threads: int | None = None,
        show_progress: bool | None = None,
    ) -> SearchResult:
        """Top ``k`` documents by dot product for each ``{token: weight}`` query (one mapping: one row).

        Tokens no document has are dropped; a query with no positive weight raises. ``filter``
        and padding work as in :meth:`BM25.search <rank_retrieve.BM25.search>`.
        """
        if not len(self):
            raise NotFittedError("the index is empty")
        if isinstance(queries, Mapping):
            queries = [queries]
        k = min(check_search_k(k), len(self))
        known = dict(self._term_index)
        terms, weights, offsets = _flatten(queries, "queries", known, grow=False)
        n_queries = offsets.size - 1
        if n_queries == 0:
            raise RankValueError("queries is empty: give at least one query")
        empty = [i for i, vector in enumerate(queries) if not any(w > 0 for w in vector.values())]
        if empty:
            raise RankValueError(f"query {empty[0]} has no positive weight: it cannot rank anything")
        masks = filter_masks(
            filter, self._ids, n_queries, id_positions=self._positions() if filter is not None else None
        )
        return search_inverted_index(
            (self._indptr, self._postings_docs, self._postings_weights), self._ids, terms, weights, offsets,
            np.zeros(n_queries, dtype=np.float64), k, masks,
            threads=threads, show_progress=show_progress, description="Sparse search",
        )


