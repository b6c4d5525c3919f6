"""The names of the original Rust project's Python bindings, as thin layers over this package.

Code written against those bindings keeps running: :class:`InvertedIndex` (BM25 over token
lists, ``add_document`` / ``retrieve``), :class:`Bm25Params`, :class:`DenseRetriever`,
:class:`SparseVector`, :class:`SparseRetriever` and :func:`sparse_dot_product`. ``retrieve``
returns ``[(id, score), ...]`` best first, ties broken by insertion order (the original's order
was unspecified). Documents may be added one at a time; the underlying index is rebuilt lazily
on the next ``retrieve`` after a change (so add in bulk, then search). New code should use
:class:`~rank_retrieve.BM25`, :class:`~rank_retrieve.DenseIndex` and
:class:`~rank_retrieve.SparseIndex` directly.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from rank_core import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_in_range
from rank_retrieve.bm25 import BM25
from rank_retrieve.dense import DenseIndex, Metric
from rank_retrieve.sparse import SparseIndex

__all__ = ["Bm25Params", "DenseRetriever", "InvertedIndex", "SparseRetriever", "SparseVector", "sparse_dot_product"]


@dataclass(frozen=True)
class Bm25Params:
    """BM25's ``k1`` (term-frequency saturation) and ``b`` (length normalisation), the original's
    defaults; scored with the ``lucene`` variant (bm25s's default formula)."""

    k1: float = 1.2
    b: float = 0.75

    def __post_init__(self) -> None:
        check_in_range(self.k1, name="k1", low=0.0)
        check_in_range(self.b, name="b", low=0.0, high=1.0)


class _Collection:
    """Documents added one by one under hashable ids, searched through a lazily rebuilt index."""

    def __init__(self) -> None:
        self._ids: list[Hashable] = []
        self._keys: set[Hashable] = set()
        self._items: list[Any] = []
        self._index: Any = None

    def _add(self, doc_id: Hashable, item: Any) -> None:
        if not isinstance(doc_id, (str, int)) or isinstance(doc_id, bool):
            raise RankTypeError(f"document ids must be str or int, got {type(doc_id).__name__} {doc_id!r}")
        if doc_id in self._keys:
            raise RankValueError(f"document id {doc_id!r} was already added")
        self._ids.append(doc_id)
        self._keys.add(doc_id)
        self._items.append(item)
        self._index = None

    def __len__(self) -> int:
        return len(self._ids)

    def _pairs(self, result: Any) -> list[tuple[Hashable, float]]:
        return [
            (self._ids[position], float(score))
            for position, score in zip(result.positions[0].tolist(), result.scores[0].tolist(), strict=True)
            if position >= 0
        ]

    def _require_documents(self) -> None:
        if not self._ids:
            raise RankValueError("no documents yet: call add_document first")


class InvertedIndex(_Collection):
    """BM25 over pre-tokenised documents: ``add_document(id, terms)``, ``retrieve(query_terms, k)``."""

    def __init__(self, params: Bm25Params | None = None) -> None:
        super().__init__()
        self.params = params if params is not None else Bm25Params()

    def add_document(self, doc_id: str | int, terms: Sequence[str]) -> None:
        if isinstance(terms, str) or not all(isinstance(term, str) for term in terms):
            raise RankTypeError("terms must be a list of token strings")
        self._add(doc_id, list(terms))

    def retrieve(self, query_terms: Sequence[str], k: int = 10, params: Bm25Params | None = None) -> list[tuple[Hashable, float]]:
        """The ``k`` best documents as ``(id, score)``; only documents sharing a term with the query."""
        self._require_documents()
        params = params if params is not None else self.params
        if self._index is None or (self._index.k1, self._index.b) != (params.k1, params.b):
            self._index = BM25("lucene", params.k1, params.b, dtype="float64").index(self._items)
        result = self._index.search([list(query_terms)], k=k)
        return [(doc_id, score) for doc_id, score in self._pairs(result) if score > 0]


class DenseRetriever(_Collection):
    """Exact dense search: ``add_document(id, embedding)``, ``retrieve(query_embedding, k)`` (cosine)."""

    def __init__(self, metric: Metric = "cosine") -> None:
        super().__init__()
        self.metric = metric

    def add_document(self, doc_id: str | int, embedding: ArrayLike) -> None:
        vector = as_array(embedding, name="embedding", ndim=1)
        if self._items and vector.size != self._items[0].size:
            raise ShapeMismatchError(f"embedding has {vector.size} dimensions, earlier ones have {self._items[0].size}")
        self._add(doc_id, vector)

    def retrieve(self, query_embedding: ArrayLike, k: int = 10) -> list[tuple[Hashable, float]]:
        self._require_documents()
        if self._index is None:
            self._index = DenseIndex(np.stack(self._items), metric=self.metric, dtype="float64")
        return self._pairs(self._index.search(query_embedding, k=k))


@dataclass(frozen=True)
class SparseVector:
    """A sparse vector as parallel ``indices`` (distinct non-negative ints) and ``values``."""

    indices: Sequence[int]
    values: Sequence[float]

    def __post_init__(self) -> None:
        indices = as_array(self.indices, name="indices", dtype=np.int64, ndim=1)
        values = as_array(self.values, name="values", dtype=np.float64, ndim=1)
        if indices.size != values.size:
            raise ShapeMismatchError(f"indices has {indices.size} entries but values has {values.size}")
        if indices.size and indices.min() < 0:
            raise RankValueError("indices must be >= 0")
        if np.unique(indices).size != indices.size:
            raise RankValueError("indices must be distinct")
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "values", values)

    def as_dict(self) -> dict[int, float]:
        return dict(zip(self.indices.tolist(), self.values.tolist(), strict=True))  # type: ignore[union-attr]


def sparse_dot_product(a: SparseVector, b: SparseVector) -> float:
    """``sum_i a[i] * b[i]`` over the indices both vectors have."""
    common, in_a, in_b = np.intersect1d(a.indices, b.indices, assume_unique=True, return_indices=True)
    return float(np.dot(np.asarray(a.values)[in_a], np.asarray(b.values)[in_b])) if common.size else 0.0


class SparseRetriever(_Collection):
    """Learned-sparse search: ``add_document(id, SparseVector)``, ``retrieve(query: SparseVector, k)``
    (dot product; weights must be >= 0, as :class:`~rank_retrieve.SparseIndex` requires)."""

    def add_document(self, doc_id: str | int, vector: SparseVector) -> None:
        if not isinstance(vector, SparseVector):
            raise RankTypeError(f"vector must be a SparseVector, got {type(vector).__name__}")
        self._add(doc_id, vector.as_dict())

    def retrieve(self, query: SparseVector, k: int = 10) -> list[tuple[Hashable, float]]:
        self._require_documents()
        if not isinstance(query, SparseVector):
            raise RankTypeError(f"query must be a SparseVector, got {type(query).__name__}")
        if self._index is None:
            self._index = SparseIndex(self._items, dtype="float64")
        return [(doc_id, score) for doc_id, score in self._pairs(self._index.search(query.as_dict(), k=k)) if score > 0]
