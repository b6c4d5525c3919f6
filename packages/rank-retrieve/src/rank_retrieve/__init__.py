"""rank-retrieve: first-stage retrieval for the rank-* toolkit.

- :class:`BM25`: the five bm25s variants (robertson, lucene, atire, bm25l, bm25+), scores exact
  to bm25s, precomputed per posting; compiled parallel search with filters; add/delete with
  exact statistics; atomic, memory-mapped persistence.
- :class:`Tokenizer`: fast word tokenisation, stopword lists, Snowball stemming (``[stem]``).
- :class:`DenseIndex`: exact dense search (BLAS GEMM + compiled top-k); :class:`ANNIndex`:
  HNSW through faiss (``[ann]``).
- :class:`SparseIndex`: learned-sparse (SPLADE-style) ``{token: weight}`` search.
- :func:`read_corpus` / :func:`read_queries`: BEIR jsonl, TSV and TREC files.

The original Rust bindings' names (``InvertedIndex``, ``Bm25Params``, ``DenseRetriever``,
``SparseVector``, ``SparseRetriever``, ``sparse_dot_product``) live on in :mod:`rank_retrieve.compat`.

Every index's ``search`` returns a :class:`SearchResult` (``ids``, ``scores``, ``positions``;
``.to_run(query_ids)`` gives a rank-core ``Run``).
"""

from rank_retrieve.__about__ import __version__
from rank_retrieve._warmup import warmup
from rank_retrieve.ann import ANNIndex
from rank_retrieve.bm25 import BM25, METHODS
from rank_retrieve.compat import (
    Bm25Params,
    DenseRetriever,
    InvertedIndex,
    SparseRetriever,
    SparseVector,
    sparse_dot_product,
)
from rank_retrieve.corpus import Documents, read_corpus, read_queries
from rank_retrieve.dense import DenseIndex
from rank_retrieve.persistence import IndexDirectoryError
from rank_retrieve.results import SearchResult
from rank_retrieve.sparse import SparseIndex
from rank_retrieve.tokenize import STOPWORD_LANGUAGES, TokenizedBatch, Tokenizer, stopwords

__all__ = [
    "BM25",
    "METHODS",
    "STOPWORD_LANGUAGES",
    "ANNIndex",
    "Bm25Params",
    "DenseIndex",
    "DenseRetriever",
    "Documents",
    "IndexDirectoryError",
    "InvertedIndex",
    "SearchResult",
    "SparseIndex",
    "SparseRetriever",
    "SparseVector",
    "TokenizedBatch",
    "Tokenizer",
    "__version__",
    "read_corpus",
    "read_queries",
    "sparse_dot_product",
    "stopwords",
    "warmup",
]
