"""``Run``: for each query, a ranked list of (doc id, score)."""

from __future__ import annotations

import os
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core._kernels.rows import first_unranked_query, rank_rows, top_k_rows
from rank_core._table import QueryTable, frame_columns, readonly
from rank_core.errors import ParseError, RankValueError, ShapeMismatchError
from rank_core.io_trec import Source, parse_run
from rank_core.validation import as_array, as_id_array, check_choice, check_k, check_same_length
from rank_core.vocabulary import Vocabulary

__all__ = ["Ranking", "Run"]

DEFAULT_TAG = "rank_core"


class Ranking(NamedTuple):
    """One query's ranked list: doc ids and scores, best first."""

    doc_ids: NDArray[np.str_]
    scores: NDArray[np.float64]


def _scores(values: Any) -> NDArray[np.float64]:
    return as_array(values, name="scores", dtype=np.float64, ndim=1, finite="allow_inf")


class Run(QueryTable):
    """Ranked lists of (doc id, score) for a set of queries, stored columnar (CSR-style).

    Rows of each query are kept sorted by score descending, ties broken by doc id descending
    (trec_eval's order), so every consumer can rely on row order. Scores are float64; NaN is
    rejected, infinities are allowed. Build with :meth:`from_dict`, :meth:`from_trec`,
    :meth:`from_pandas` or :meth:`from_arrays`; ``run[query_id]`` gives a :class:`Ranking`.

    >>> run = Run.from_dict({"q1": {"d1": 0.5, "d2": 0.9}})
    >>> run["q1"].doc_ids.tolist()
    ['d2', 'd1']
    """

    __slots__ = ("_name",)
    value_name = "score"
    extra_attributes = ("_name",)

    @classmethod
    def _order(cls, query_codes, n_queries, doc_codes, values):
        return rank_rows(query_codes, n_queries, doc_codes, values)

    @property
    def name(self) -> str | None:
        """The run's name (its TREC tag), if any."""
        return self._name

    @property
    def scores(self) -> NDArray[np.float64]:
        """Per-row scores, in ranked order inside each query."""
        return self._values

    def __getitem__(self, query_id: str) -> Ranking:
        rows = self._rows(query_id)
        return Ranking(self._doc_ids_of(rows), self._values[rows])

    def __repr__(self) -> str:
        return f"Run(n_queries={len(self)}, n_rows={self.n_rows}, name={self._name!r})"

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_dict(cls, run: Any, *, name: str | None = None) -> Run:
        """From ``{query_id: {doc_id: score}}`` (pytrec_eval / ranx layout).

        Queries with an empty mapping are kept, with no rows.
        """
        return cls._from_mapping(run, _scores, _name=name)

    @classmethod
    def from_arrays(cls, query_ids: Any, doc_ids: Any, scores: Any, *, name: str | None = None) -> Run:
        """From parallel per-row arrays, in any order (a "long" table)."""
        return cls._from_flat(query_ids, doc_ids, _scores(scores), _name=name)

    @classmethod
    def from_pandas(
        cls,
        frame: Any,
        *,
        query_col: str = "query_id",
        doc_col: str = "doc_id",
        score_col: str = "score",
        name: str | None = None,
    ) -> Run:
        """From a DataFrame with one row per (query, doc); column names as in ir-measures."""
        columns = frame_columns(frame, query_col=query_col, doc_col=doc_col, score_col=score_col)
        return cls.from_arrays(*columns, name=name)

    @classmethod
    def from_trec(
        cls,
        source: Source,
        *,
        name: str | None = None,
        scores: Literal["score", "negated_rank"] = "score",
    ) -> Run:
        """Read a TREC run file (path, bytes or file object; gzip is detected).

        See :mod:`rank_core.io_trec` for the format and the conventions followed. ``name``
        defaults to the tag of the file's last line. ``scores="negated_rank"`` takes each row's
        score from the rank column, negated: the run then ranks docs as the file's rank column
        does (as pyserini's fusion reads runs) and ``-score`` is the file's rank.
        """
        check_choice(scores, name="scores", choices=("score", "negated_rank"))
        parsed = parse_run(source, value_field="score" if scores == "score" else "rank")
        values = parsed.values if scores == "score" else -parsed.values

        def duplicate(first: int, second: int) -> Exception:
            return ParseError(
                f"duplicate doc {parsed.doc_vocab[int(parsed.doc_codes[second])]!r} for query "
                f"{str(parsed.query_ids[parsed.query_codes[second]])!r} (first seen on line "
                f"{parsed.lines[first]})",
                path=parsed.path,
                line=int(parsed.lines[second]),
            )

        return cls._from_codes(
            parsed.query_ids, parsed.query_codes, parsed.doc_vocab, parsed.doc_codes,
            values, duplicate, _name=name if name is not None else parsed.tag,
        )

    @classmethod
    def from_ranked_codes(
        cls,
        query_ids: NDArray[np.str_],
        offsets: NDArray[np.int64],
        doc_codes: NDArray[np.int64],
        scores: NDArray[np.float64],
        doc_vocab: Vocabulary,
        *,
        name: str | None = None,
    ) -> Run:
        """From rows a kernel has already ranked, with doc ids as codes into ``doc_vocab``.

        For packages that compute runs on codes (fusion, retrieval): no sort and no string work.
        Checked in linear time: ``query_ids`` sorted and distinct, ``offsets`` a CSR index over
        the rows, codes inside the vocabulary, scores not NaN, and each query's rows ranked (score
        descending, ties by doc code descending), which also rules out a doc repeated with equal
        scores. A doc repeated with different scores is not detected: callers guarantee it.
        """
        ids = as_id_array(query_ids, name="query_ids")
        if ids.size > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            raise RankValueError("query_ids must be sorted and distinct")
        offsets = as_array(offsets, name="offsets", dtype=np.int64, ndim=1)
        doc_codes = as_array(doc_codes, name="doc_codes", dtype=np.int64, ndim=1)
        values = _scores(scores)
        check_same_length(doc_codes=doc_codes, scores=values)
        if offsets.size != ids.size + 1 or offsets[0] != 0 or offsets[-1] != doc_codes.size or (np.diff(offsets) < 0).any():
            raise ShapeMismatchError(
                f"offsets must rise from 0 to the number of rows ({doc_codes.size}) in {ids.size + 1} steps"
            )
        if doc_codes.size and (doc_codes.min() < 0 or doc_codes.max() >= len(doc_vocab)):
            raise RankValueError(f"doc_codes must be in [0, {len(doc_vocab)}), the range of doc_vocab")
        unranked = first_unranked_query(offsets, doc_codes, values)
        if unranked >= 0:
            raise RankValueError(
                f"the rows of query {str(ids[unranked])!r} are not ranked by score descending, "
                "ties by doc code descending"
            )
        return cls._build(ids, offsets, doc_codes, values, doc_vocab, _name=name)

    # ------------------------------------------------------------------ transformations

    def top_k(self, k: int) -> Run:
        """The first ``k`` docs of every query (``k`` larger than a list keeps it whole)."""
        k = check_k(k)
        keep, offsets = top_k_rows(self._offsets, k)
        return self._build(
            self._query_ids, offsets, self._doc_codes[keep], self._values[keep], self._doc_vocab,
            _name=self._name,
        )

    def ranks(self) -> NDArray[np.int64]:
        """1-based rank of every row within its query."""
        counts = self.counts()
        starts = np.repeat(self._offsets[:-1], counts)
        return readonly(np.arange(self.n_rows, dtype=np.int64) - starts + 1)

    # ------------------------------------------------------------------ output

    def _frame_columns(self) -> dict[str, NDArray[Any]]:
        return {**super()._frame_columns(), "rank": self.ranks()}

    def to_trec(self, path: str | os.PathLike[str], *, tag: str | None = None) -> None:
        """Write ``qid Q0 docno rank score tag`` lines (gzip if ``path`` ends in ``.gz``).

        Scores are written with Python's shortest round-trip repr, so reading the file back gives
        the same floats. The file is replaced atomically.
        """
        tag = tag if tag is not None else (self._name or DEFAULT_TAG)
        if not tag or any(c.isspace() for c in tag):
            raise RankValueError(f"tag must be a non-empty string without whitespace, got {tag!r}")

        def lines_of_query(qid: str, doc_ids: list[str], scores: list[float]) -> str:
            ranked = enumerate(zip(doc_ids, scores, strict=True), start=1)
            return "".join(f"{qid} Q0 {doc} {rank} {score!r} {tag}\n" for rank, (doc, score) in ranked)

        self._write_trec(path, lines_of_query)
