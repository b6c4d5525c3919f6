"""Approximate nearest-neighbour search through faiss (the ``[ann]`` extra).

Why faiss-cpu rather than usearch or hnswlib:

- it is maintained by Meta's FAIR team with regular releases, and ``faiss-cpu`` ships wheels for
  Linux, macOS and Windows, so installing the extra never needs a compiler;
- one library covers HNSW, IVF and exact flat indexes, with inner-product and L2 metrics, so more
  methods can be added behind the same :class:`ANNIndex` API;
- filtered search is built in: an allow-list goes into the search through
  ``SearchParameters(sel=IDSelectorBitmap(...))``, so excluded documents are never returned.

usearch is good too but a one-vendor project; hnswlib had its last release in 2023 and its
source distribution needs a compiler on many platforms.

faiss is imported when an :class:`ANNIndex` is built, so ``import rank_retrieve`` works without
it; building one without faiss raises :class:`~rank_core.OptionalDependencyError` with the
``pip install "rank-retrieve[ann]"`` hint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core import RankTypeError, RankValueError
from rank_core.optional import require
from rank_core.progress import progress_bar
from rank_core.validation import check_choice
from rank_retrieve._checks import check_doc_ids, check_search_k, filter_masks
from rank_retrieve.dense import (
    METRICS,
    DenseIndex,
    Metric,
    check_count,
    check_score_range,
    exact_top_k,
    prepare_embeddings,
    prepare_queries,
    row_sq_norms,
    subset_positions_to_index,
)
from rank_retrieve.results import SearchResult

__all__ = ["ANNIndex"]

Method = Literal["hnsw"]
METHODS: tuple[str, ...] = ("hnsw",)

#: ``show_progress=None`` shows a bar when building from this many documents on, or searching
#: this many queries.
PROGRESS_MIN_DOCS = 50_000
PROGRESS_MIN_QUERIES = 10_000
#: Documents added to faiss per call while building (the progress bar's step).
BUILD_CHUNK = 10_000
#: Queries sent to faiss per call while searching (the progress bar's step).
SEARCH_CHUNK = 4_096


def _faiss() -> ModuleType:
    return require(
        "faiss",
        feature="approximate nearest-neighbour search",
        distribution="rank-retrieve",
        extra="ann",
    )


class ANNIndex:
    """Approximate nearest-neighbour search (faiss HNSW) with :class:`DenseIndex`'s search API.

    ``metric`` has :class:`~rank_retrieve.dense.DenseIndex`'s meaning and score convention
    (cosine: inner product of normalised vectors; dot: raw inner product; l2: negative squared
    distance); vectors are stored in float32. With ``"dot"`` the graph is built on raw inner
    products, which are not a distance: recall can be lower than with cosine when vector norms
    differ widely. ``m`` is the number of graph neighbours per node, ``ef_construction`` the
    candidate list size while building and ``ef_search`` while searching (raised to ``k`` when
    smaller): larger values give higher recall for more time and memory. ``threads`` is the
    number of faiss (OpenMP) threads while building; ``None`` keeps faiss's current setting.
    Built with more than one thread the graph, and so the approximate results, may differ from
    build to build: use ``threads=1`` where results must be reproducible. ``show_progress=None``
    shows a bar when building from 50,000 documents on.

    A filter that allows at most ``flat_search_cutoff`` documents (Weaviate's name for the same
    rule) is searched exactly over those documents, since a graph search restricted to very few
    documents misses many of them; larger allow-lists go to faiss's filtered HNSW search, which
    never returns an excluded document but may return fewer than ``k`` (the row is then padded).
    """

    def __init__(
        self,
        embeddings: ArrayLike,
        ids: Iterable[str] | None = None,
        *,
        metric: Metric = "cosine",
        method: Method = "hnsw",
        m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
        threads: int | None = None,
        flat_search_cutoff: int = 10_000,
        show_progress: bool | None = None,
    ) -> None:
        faiss = _faiss()
        self._faiss = faiss
        self._metric: Metric = check_choice(metric, name="metric", choices=METRICS)
        self._method: Method = check_choice(method, name="method", choices=METHODS)
        m = check_count(m, name="m", minimum=2)
        ef_construction = check_count(ef_construction, name="ef_construction", minimum=1)
        self.ef_search = ef_search
        self._flat_search_cutoff = check_count(
            flat_search_cutoff, name="flat_search_cutoff", minimum=0
        )
        vectors, sq_norms = prepare_embeddings(
            embeddings, metric=self._metric, dtype=np.dtype(np.float32)
        )
        self._ids = check_doc_ids(ids, vectors.shape[0])
        self._ids.flags.writeable = False
        self._positions = {doc_id: position for position, doc_id in enumerate(self._ids.tolist())}
        self._dim = vectors.shape[1]
        self._max_sq_norm = float(sq_norms.max())  # bounds every score (check_score_range)
        metric_type = faiss.METRIC_L2 if self._metric == "l2" else faiss.METRIC_INNER_PRODUCT
        self._index = faiss.IndexHNSWFlat(self._dim, m, metric_type)
        self._index.hnsw.efConstruction = ef_construction
        n_docs = vectors.shape[0]
        with (
            _faiss_threads(faiss, threads),
            progress_bar(
                show_progress,
                total=n_docs,
                size=n_docs,
                threshold=PROGRESS_MIN_DOCS,
                desc="ANNIndex build",
                unit="doc",
            ) as bar,
        ):
            for start in range(0, n_docs, BUILD_CHUNK):
                chunk = vectors[start : start + BUILD_CHUNK]
                self._index.add(chunk)
                bar.update(chunk.shape[0])

    def __len__(self) -> int:
        return self._ids.size

    def __repr__(self) -> str:
        return (
            f"ANNIndex(n_docs={len(self)}, dim={self._dim}, metric={self._metric!r}, "
            f"method={self._method!r}, ef_search={self._ef_search})"
        )

    @property
    def ids(self) -> NDArray[np.str_]:
        """The document ids in index order (read-only)."""
        return self._ids

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self._dim

    @property
    def metric(self) -> Metric:
        """``"cosine"``, ``"dot"`` or ``"l2"``."""
        return self._metric

    @property
    def ef_search(self) -> int:
        """The HNSW candidate list size while searching; settable (recall against speed)."""
        return self._ef_search

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._ef_search = check_count(value, name="ef_search", minimum=1)

    def search(
        self,
        queries: ArrayLike,
        k: int = 10,
        *,
        filter: Any = None,
        threads: int | None = None,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> SearchResult:
        """The approximate top ``k`` documents of each query, best first.

        Same arguments and result as :meth:`DenseIndex.search <rank_retrieve.dense.DenseIndex.search>`:
        ``(n_queries, min(k, len(self)))`` rows ranked by score descending, equal scores by index
        position, padded with id ``""``, score ``-inf`` and position ``-1`` where fewer documents
        were found. ``threads`` is the number of faiss threads (``None``: faiss's current
        setting); ``batch_size`` queries go to faiss per call (default 4,096).
        """
        k = check_search_k(k)
        batch_size = (
            SEARCH_CHUNK
            if batch_size is None
            else check_count(batch_size, name="batch_size", minimum=1)
        )
        queries_2d, query_sq_norms = prepare_queries(
            queries, dim=self._dim, metric=self._metric, dtype=np.dtype(np.float32)
        )
        check_score_range(self._metric, np.dtype(np.float32), query_sq_norms, self._max_sq_norm)
        n_queries = queries_2d.shape[0]
        shared_mask, row_masks = filter_masks(
            filter, self._ids, n_queries, id_positions=self._positions
        )
        width = min(k, len(self))
        scores = np.full((n_queries, width), -np.inf, dtype=np.float32)
        positions = np.full((n_queries, width), -1, dtype=np.int64)
        with (
            _faiss_threads(self._faiss, threads),
            progress_bar(
                show_progress,
                total=n_queries,
                size=n_queries,
                threshold=PROGRESS_MIN_QUERIES,
                desc="ANNIndex.search",
                unit="query",
            ) as bar,
        ):
            if row_masks.shape[0]:  # one allow-list per query: one faiss call each
                for row in range(n_queries):
                    rows = slice(row, row + 1)
                    self._search_into(
                        queries_2d[rows],
                        query_sq_norms[rows],
                        row_masks[row],
                        scores[rows],
                        positions[rows],
                    )
                    bar.update(1)
            else:
                for start in range(0, n_queries, batch_size):
                    rows = slice(start, min(start + batch_size, n_queries))
                    self._search_into(
                        queries_2d[rows],
                        query_sq_norms[rows],
                        shared_mask,
                        scores[rows],
                        positions[rows],
                    )
                    bar.update(rows.stop - rows.start)
        return SearchResult.from_positions(positions, scores, self._ids)

    def recall_at_k(self, exact: DenseIndex, queries: ArrayLike, k: int = 10) -> float:
        """Mean fraction of ``exact``'s top ``k`` ids (per query) that this index also returns.

        ``exact`` is a :class:`~rank_retrieve.dense.DenseIndex` over the same documents with the
        same metric: the usual recall@k of an ANN index against exact search.
        """
        if not isinstance(exact, DenseIndex):
            raise RankTypeError(f"exact must be a DenseIndex, got {type(exact).__name__}")
        if exact.metric != self._metric:
            raise RankValueError(
                f"exact uses metric {exact.metric!r} but this index uses {self._metric!r}"
            )
        truth = exact.search(queries, k)
        found = self.search(queries, k)
        recalls = []
        for true_ids, true_positions, found_ids in zip(
            truth.ids, truth.positions, found.ids, strict=True
        ):
            relevant = set(true_ids[true_positions >= 0].tolist())
            if relevant:
                recalls.append(len(relevant.intersection(found_ids.tolist())) / len(relevant))
        return float(np.mean(recalls)) if recalls else 1.0

    def _search_into(
        self,
        queries: NDArray[np.float32],
        query_sq_norms: NDArray[np.float64],
        mask: NDArray[np.bool_],
        out_scores: NDArray[np.float32],
        out_positions: NDArray[np.int64],
    ) -> None:
        """Search a batch of queries sharing one allow-mask (length 0: no filter) into ``out_*``."""
        width = out_scores.shape[1]
        if width == 0:
            return
        faiss = self._faiss
        params = faiss.SearchParametersHNSW(efSearch=max(self._ef_search, width))
        if mask.size:
            allowed = np.flatnonzero(mask)
            if allowed.size <= self._flat_search_cutoff:
                self._exact_into(queries, query_sq_norms, allowed, out_scores, out_positions)
                return
            bitmap = np.packbits(mask, bitorder="little")  # faiss reads bit i of byte i // 8
            params.sel = faiss.IDSelectorBitmap(mask.size, faiss.swig_ptr(bitmap))
        distances, labels = self._index.search(queries, width, params=params)
        found = labels >= 0
        scores = np.where(found, -distances if self._metric == "l2" else distances, -np.inf)
        order = np.lexsort((labels, -scores))  # faiss leaves equal scores in no set order
        out_scores[:] = np.take_along_axis(scores, order, axis=1)
        out_positions[:] = np.take_along_axis(labels, order, axis=1)

    def _exact_into(
        self,
        queries: NDArray[np.float32],
        query_sq_norms: NDArray[np.float64],
        allowed: NDArray[np.int64],
        out_scores: NDArray[np.float32],
        out_positions: NDArray[np.int64],
    ) -> None:
        """Exact search over the ``allowed`` positions only, with the vectors faiss stores."""
        vectors = self._index.reconstruct_batch(allowed)
        sq_norms = row_sq_norms(vectors)
        scores, local = exact_top_k(
            queries,
            query_sq_norms,
            vectors,
            sq_norms,
            metric=self._metric,
            width=out_scores.shape[1],
        )
        out_scores[:] = scores
        out_positions[:] = subset_positions_to_index(local, allowed)


@contextlib.contextmanager
def _faiss_threads(faiss: ModuleType, threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` faiss (OpenMP) threads, restoring the previous count."""
    if threads is None:
        yield
        return
    threads = check_count(threads, name="threads", minimum=1)
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)
