"""BM25 over a precomputed inverted index: the five bm25s variants, exact, with changes and persistence."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal, get_args

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core import NotFittedError, RankTypeError, RankValueError
from rank_core.progress import progress_bar
from rank_core.validation import check_choice, check_in_range
from rank_retrieve._checks import check_doc_ids, check_search_k, filter_masks, kept_after_deleting
from rank_retrieve._inverted_search import search_inverted_index
from rank_retrieve._kernels import bm25 as kernels
from rank_retrieve._kernels import inverted
from rank_retrieve.persistence import load_index_directory, save_index_directory
from rank_retrieve.results import SearchResult
from rank_retrieve.tokenize import TokenizedBatch, Tokenizer

__all__ = ["BM25", "METHODS", "Method"]

Method = Literal["robertson", "lucene", "atire", "bm25l", "bm25+"]
#: The BM25 variants, named as bm25s names them (Kamphuis et al., ECIR 2020).
METHODS: tuple[str, ...] = get_args(Method)

_INDEX_PROGRESS_THRESHOLD = 100_000


def _check_corpus(corpus: Any, name: str) -> Sequence[Any]:
    if isinstance(corpus, (str, bytes)) or not isinstance(corpus, Sequence):
        raise RankTypeError(
            f"{name} must be a sequence of texts or of token lists, got {type(corpus).__name__}"
        )
    return corpus


class BM25:
    """A BM25 index: ``BM25(method, k1, b, delta).index(corpus, ids)`` then ``.search(queries, k)``.

    Scores equal bm25s's for the same tokens and settings (bm25s's defaults: ``lucene``,
    ``k1=1.5``, ``b=0.75``, ``delta=0.5``, float32). ``idf_method`` scores idf with another
    variant's formula (bm25s's option; ``None`` = ``method``). ``tokenizer`` turns texts into
    terms for both documents and queries; token lists bypass it. Scores are precomputed per
    posting at index time (in ``dtype``), so a search is a compiled scatter-add plus a top-k.
    """

    def __init__(
        self,
        method: Method = "lucene",
        k1: float = 1.5,
        b: float = 0.75,
        delta: float = 0.5,
        *,
        idf_method: Method | None = None,
        dtype: Literal["float32", "float64"] = "float32",
        tokenizer: Tokenizer | None = None,
    ) -> None:
        self.method: Method = check_choice(method, name="method", choices=METHODS)
        self.idf_method: Method = check_choice(
            method if idf_method is None else idf_method, name="idf_method", choices=METHODS
        )
        self.k1 = check_in_range(k1, name="k1", low=0.0)
        self.b = check_in_range(b, name="b", low=0.0, high=1.0)
        self.delta = check_in_range(delta, name="delta", low=0.0)
        if self.k1 == 0 and self.method in ("bm25l", "bm25+"):
            # their tf = 0 term is 0/0 at k1 = 0 (bm25s gives NaN scores there)
            raise RankValueError(f"k1 must be > 0 for method {self.method!r}, got 0")
        try:
            dtype_name = np.dtype(dtype).name
        except TypeError as exc:
            raise RankTypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from exc
        self.dtype = np.dtype(check_choice(dtype_name, name="dtype", choices=("float32", "float64")))
        if tokenizer is not None and not isinstance(tokenizer, Tokenizer):
            raise RankTypeError(f"tokenizer must be a rank_retrieve.Tokenizer, got {type(tokenizer).__name__}")
        self.tokenizer = tokenizer if tokenizer is not None else Tokenizer()
        self._ids: NDArray[np.str_] | None = None
        self._id_positions: dict[str, int] | None = None
        self._terms: list[str] | NDArray[np.str_] = []
        self._term_ids: dict[str, int] | None = {}

    # ------------------------------------------------------------------ state

    def _require_index(self) -> None:
        if self._ids is None:
            raise NotFittedError("this BM25 has no documents yet: call .index(corpus) first")

    @property
    def ids(self) -> NDArray[np.str_]:
        """The document ids, in index position order."""
        self._require_index()
        assert self._ids is not None
        return self._ids

    @property
    def vocabulary(self) -> list[str]:
        """The index's terms; term ``i`` owns postings ``indptr[i]:indptr[i+1]``."""
        return self._terms.tolist() if isinstance(self._terms, np.ndarray) else list(self._terms)

    @property
    def n_docs(self) -> int:
        return 0 if self._ids is None else int(self._ids.size)

    @property
    def average_length(self) -> float:
        """avgdl: mean document length in tokens (after stopword removal)."""
        self._require_index()
        return float(self._doc_lengths.mean()) if self._doc_lengths.size else 0.0

    def document_frequency(self, term: str) -> int:
        """df: the number of documents containing ``term`` (0 when unknown)."""
        term_id = self._term_index().get(term)
        return 0 if term_id is None else int(self._indptr[term_id + 1] - self._indptr[term_id])

    def __len__(self) -> int:
        return self.n_docs

    def __repr__(self) -> str:
        state = f"{self.n_docs} docs, {len(self._terms)} terms" if self._ids is not None else "empty"
        return (
            f"BM25(method={self.method!r}, k1={self.k1}, b={self.b}, delta={self.delta}, "
            f"idf_method={self.idf_method!r}, dtype={self.dtype.name!r}; {state})"
        )

    def _term_index(self) -> dict[str, int]:
        if self._term_ids is None:  # loaded from disk: built on first use
            self._term_ids = {term: i for i, term in enumerate(self._terms.tolist())}  # type: ignore[union-attr]
        return self._term_ids

    def _positions(self) -> dict[str, int]:
        if self._id_positions is None:
            self._id_positions = {doc_id: i for i, doc_id in enumerate(self.ids.tolist())}
        return self._id_positions

    # ------------------------------------------------------------------ building

    def _encode_documents(
        self, corpus: Any, ids: Any, *, fresh: bool, show_progress: bool | None
    ) -> tuple[NDArray[np.str_], TokenizedBatch, NDArray[np.int32]]:
        """Check and tokenise documents; map their terms to the index's vocabulary (a new one when
        ``fresh``). Everything that can fail runs before the vocabulary changes, so a refused
        call leaves the index as it was."""
        corpus = _check_corpus(corpus, "corpus")
        if len(corpus) == 0:
            raise RankValueError("corpus is empty: give at least one document")
        first_doc = 0 if fresh else self.n_docs
        doc_ids = check_doc_ids(ids, len(corpus)) if ids is not None else np.array(
            [str(first_doc + i) for i in range(len(corpus))], dtype=np.str_
        )
        if not fresh:
            clashes = np.intersect1d(doc_ids, self.ids)
            if clashes.size:
                raise RankValueError(
                    f"ids already in the index: {clashes[:5].tolist()} (delete them first to replace)"
                )
        batch = self.tokenizer.encode(corpus, show_progress=show_progress)
        if fresh:  # a new index: the batch's vocabulary is the index's
            self._terms = list(batch.vocabulary)
            self._term_ids = {term: i for i, term in enumerate(self._terms)}
            return doc_ids, batch, batch.token_ids
        term_index = self._term_index()
        terms = self._terms.tolist() if isinstance(self._terms, np.ndarray) else self._terms
        global_ids = np.empty(len(batch.vocabulary), dtype=np.int32)
        for i, term in enumerate(batch.vocabulary):
            term_id = term_index.get(term)
            if term_id is None:
                term_id = term_index[term] = len(terms)
                terms.append(term)
            global_ids[i] = term_id
        self._terms = terms
        return doc_ids, batch, global_ids[batch.token_ids]

    def _postings_of(self, batch: TokenizedBatch, token_ids: NDArray[np.int32], first_doc: int) -> tuple[Any, ...]:
        n_chunks = max(1, min(numba.get_num_threads() * 4, batch.offsets.size - 1))
        doc_offsets, terms, tfs = inverted.count_terms(token_ids, batch.offsets, len(self._terms), n_chunks)
        return inverted.invert(doc_offsets, terms, tfs, len(self._terms), first_doc)

    def _score(self) -> None:
        scores = np.empty(self._postings_docs.size, dtype=self.dtype)
        self._absent_scores = kernels.score_postings(
            METHODS.index(self.method), METHODS.index(self.idf_method), self._indptr, self._postings_docs,
            self._postings_tfs, self._doc_lengths, self.k1, self.b, self.delta, scores,
        )
        self._postings_scores = scores

    def index(
        self, corpus: Sequence[str] | Sequence[Sequence[str]], ids: Sequence[str] | None = None, *,
        show_progress: bool | None = None,
    ) -> BM25:
        """Index ``corpus`` (texts, or token lists used as they are), replacing any earlier index.

        ``ids`` are distinct strings (default ``"0", "1", ...``). Returns ``self``.
        """
        doc_ids, batch, token_ids = self._encode_documents(corpus, ids, fresh=True, show_progress=show_progress)
        with progress_bar(show_progress, total=2, size=len(doc_ids), threshold=_INDEX_PROGRESS_THRESHOLD,
                          desc="BM25 index", unit="stage") as bar:
            self._indptr, self._postings_docs, self._postings_tfs = self._postings_of(batch, token_ids, 0)
            bar.update()
            self._doc_lengths = np.diff(batch.offsets).astype(np.int32)
            self._ids, self._id_positions = doc_ids, None
            self._score()
            bar.update()
        return self

    def add(
        self, corpus: Sequence[str] | Sequence[Sequence[str]], ids: Sequence[str] | None = None, *,
        show_progress: bool | None = None,
    ) -> BM25:
        """Append documents; every score is recomputed so N, avgdl and df stay exact.

        Cost: tokenising the new documents plus one compiled pass over all postings (merge and
        rescore), i.e. linear in the index size. Batch additions rather than adding one by one.
        """
        self._require_index()
        doc_ids, batch, token_ids = self._encode_documents(corpus, ids, fresh=False, show_progress=show_progress)
        new_indptr, new_docs, new_tfs = self._postings_of(batch, token_ids, self.n_docs)
        self._indptr, self._postings_docs, self._postings_tfs = inverted.merge_postings(
            self._indptr, self._postings_docs, self._postings_tfs, new_indptr, new_docs, new_tfs, len(self._terms)
        )
        self._doc_lengths = np.concatenate([self._doc_lengths, np.diff(batch.offsets).astype(np.int32)])
        self._ids, self._id_positions = np.concatenate([self.ids, doc_ids]), None
        self._score()
        return self

    def delete(self, ids: Sequence[str]) -> BM25:
        """Remove documents by id; every score is recomputed (N, avgdl and df stay exact).

        Cost: one compiled pass over all postings. Terms left without documents stay in the
        vocabulary with df 0 and never score. Unknown ids raise; nothing is removed then.
        """
        self._require_index()
        keep = kept_after_deleting(ids, self._positions(), self.n_docs)
        new_position = np.where(keep, np.cumsum(keep) - 1, -1).astype(np.int64)
        self._indptr, self._postings_docs, self._postings_tfs = inverted.drop_documents(
            self._indptr, self._postings_docs, self._postings_tfs, new_position
        )
        self._doc_lengths = np.ascontiguousarray(self._doc_lengths[keep])
        self._ids, self._id_positions = np.ascontiguousarray(self.ids[keep]), None
        self._score()
        return self

    # ------------------------------------------------------------------ searching

    def _encode_queries(self, queries: Any) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        terms, query_offsets = self.tokenizer._encode_in(queries, self._term_index())
        lengths = np.diff(query_offsets)
        if lengths.size and lengths.min() == 0:
            empty = int(np.flatnonzero(lengths == 0)[0])
            raise RankValueError(
                f"query {empty} has no tokens after tokenisation (empty, or only stopwords/short words): "
                "remove it or give it words"
            )
        keep = terms >= 0  # unknown terms are dropped; a query of only unknown terms matches nothing
        counts = np.add.reduceat(keep.astype(np.int64), query_offsets[:-1]) if keep.size else np.zeros(0, np.int64)
        offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return np.ascontiguousarray(terms[keep]), offsets

    def search(
        self,
        queries: str | Sequence[str] | Sequence[Sequence[str]],
        k: int = 10,
        *,
        filter: Any = None,
        threads: int | None = None,
        show_progress: bool | None = None,
    ) -> SearchResult:
        """Top ``k`` documents of each query (one query string gives one row).

        Scores are exact BM25 over every document; ties go to the earlier-indexed document.
        ``k`` above the corpus size returns the whole corpus. ``filter``: a boolean mask over the
        documents, a collection of allowed ids, or one such mask/collection per query; excluded
        documents never appear and rows with fewer allowed documents are padded (id ``""``,
        score ``-inf``). Repeated query terms count once per occurrence; unknown terms are
        dropped. ``threads`` caps numba's threads for this call.
        """
        self._require_index()
        if isinstance(queries, str):
            queries = [queries]
        queries = _check_corpus(queries, "queries")
        if len(queries) == 0:
            raise RankValueError("queries is empty: give at least one query")
        k = min(check_search_k(k), self.n_docs)
        query_terms, query_offsets = self._encode_queries(queries)
        n_queries = query_offsets.size - 1
        masks = filter_masks(filter, self.ids, n_queries, id_positions=self._positions() if filter is not None else None)
        baselines = kernels.query_baselines(query_terms, query_offsets, self._absent_scores)
        return search_inverted_index(
            (self._indptr, self._postings_docs, self._postings_scores), self.ids, query_terms,
            np.ones(query_terms.size, dtype=self.dtype), query_offsets, baselines, k, masks,
            threads=threads, show_progress=show_progress, description="BM25 search",
        )

    def get_scores(self, query: str | Sequence[str]) -> NDArray[np.floating[Any]]:
        """Every document's score for one query, in index position order (bm25s's ``get_scores``)."""
        result = self.search([query] if not isinstance(query, str) else query, k=self.n_docs)
        scores = np.empty(self.n_docs, dtype=self.dtype)
        scores[result.positions[0]] = result.scores[0]
        return scores

    # ------------------------------------------------------------------ persistence

    def save(self, directory: str | os.PathLike[str]) -> None:
        """Write the index to ``directory`` atomically (a crash leaves the previous index whole).

        The directory must be new, empty, or hold a rank-retrieve index (which is replaced).
        """
        self._require_index()
        settings = {
            "method": self.method, "idf_method": self.idf_method, "k1": self.k1, "b": self.b,
            "delta": self.delta, "dtype": self.dtype.name, "tokenizer": self.tokenizer.to_config(),
        }
        arrays = {
            "doc_ids": self.ids,
            "terms": np.array(self._terms, dtype=np.str_) if len(self._terms) else np.zeros(0, np.str_),
            "indptr": self._indptr,
            "postings_docs": self._postings_docs,
            "postings_tfs": self._postings_tfs,
            "postings_scores": self._postings_scores,
            "doc_lengths": self._doc_lengths,
            "absent_scores": self._absent_scores,
        }
        save_index_directory(directory, "bm25", settings, arrays)

    @classmethod
    def load(cls, directory: str | os.PathLike[str], *, mmap: bool = True, verify: bool = False) -> BM25:
        """Open a saved index; ``mmap=True`` maps the arrays read-only instead of reading them.

        ``verify=True`` also checks every file's CRC-32. A missing, foreign or damaged directory
        raises :class:`~rank_retrieve.persistence.IndexDirectoryError` (a ``RankValueError``).
        """
        from rank_retrieve.persistence import IndexDirectoryError

        settings, arrays = load_index_directory(directory, "bm25", mmap=mmap, verify=verify)
        try:
            index = cls(
                settings["method"], settings["k1"], settings["b"], settings["delta"],
                idf_method=settings["idf_method"], dtype=settings["dtype"],
                tokenizer=Tokenizer.from_config(settings["tokenizer"]),
            )
            index._ids = arrays["doc_ids"]
            index._terms, index._term_ids = arrays["terms"], None
            index._indptr = arrays["indptr"]
            index._postings_docs = arrays["postings_docs"]
            index._postings_tfs = arrays["postings_tfs"]
            index._postings_scores = arrays["postings_scores"]
            index._doc_lengths = arrays["doc_lengths"]
            index._absent_scores = arrays["absent_scores"]
        except (KeyError, TypeError, RankValueError) as exc:
            raise IndexDirectoryError(f"{directory} is damaged: its settings or arrays are incomplete ({exc})") from exc
        consistent = (
            index._indptr.size == len(index._terms) + 1
            and index._indptr[0] == 0
            and index._indptr[-1] == index._postings_docs.size == index._postings_tfs.size == index._postings_scores.size
            and index._doc_lengths.size == index._ids.size
            and index._absent_scores.size == len(index._terms)
            and index._postings_scores.dtype == index.dtype
        )
        if not consistent:
            raise IndexDirectoryError(f"{directory} is damaged: its arrays do not fit together")
        return index
