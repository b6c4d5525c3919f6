"""``Qrels``: for each query, judged (doc id, integer relevance) pairs."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core._kernels.rows import order_judgments
from rank_core._table import QueryTable, frame_columns
from rank_core.errors import ParseError
from rank_core.io_trec import (
    ParsedLines,
    Source,
    parse_qrels,
    parse_qrels_groups,
)
from rank_core.validation import as_array

__all__ = ["Judgments", "Qrels"]


class Judgments(NamedTuple):
    """One query's judgments: doc ids (sorted) and their relevance labels."""

    doc_ids: NDArray[np.str_]
    relevance: NDArray[np.int64]


def _relevance(values: Any) -> NDArray[np.int64]:
    return as_array(values, name="relevance", dtype=np.int64, ndim=1)


class Qrels(QueryTable):
    """Relevance judgments: for each query, (doc id, integer relevance) rows sorted by doc id.

    Labels are kept as given, including 0 and negative ones (trec_eval reads -1 as "judged but
    not in the pool"); what counts as relevant is the evaluator's choice. Build with
    :meth:`from_dict`, :meth:`from_trec`, :meth:`from_pandas` or :meth:`from_arrays`;
    ``qrels[query_id]`` gives the query's :class:`Judgments`.

    >>> Qrels.from_dict({"q1": {"d2": 1, "d1": 0}})["q1"].doc_ids.tolist()
    ['d1', 'd2']
    """

    __slots__ = ()
    value_name = "relevance"

    @classmethod
    def _order(cls, query_codes, n_queries, doc_codes, values):
        return order_judgments(query_codes, n_queries, doc_codes)

    @property
    def relevance(self) -> NDArray[np.int64]:
        """Per-row relevance labels (int64)."""
        return self._values

    def __getitem__(self, query_id: str) -> Judgments:
        rows = self._rows(query_id)
        return Judgments(self._doc_ids_of(rows), self._values[rows])

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_dict(cls, qrels: Any) -> Qrels:
        """From ``{query_id: {doc_id: relevance}}`` (pytrec_eval / ranx layout)."""
        return cls._from_mapping(qrels, _relevance)

    @classmethod
    def from_arrays(cls, query_ids: Any, doc_ids: Any, relevance: Any) -> Qrels:
        """From parallel per-row arrays, in any order."""
        return cls._from_flat(query_ids, doc_ids, _relevance(relevance))

    @classmethod
    def from_pandas(
        cls,
        frame: Any,
        *,
        query_col: str = "query_id",
        doc_col: str = "doc_id",
        relevance_col: str = "relevance",
    ) -> Qrels:
        """From a DataFrame with one row per judgment; column names as in ir-measures."""
        return cls.from_arrays(
            *frame_columns(frame, query_col=query_col, doc_col=doc_col, relevance_col=relevance_col)
        )

    @classmethod
    def from_trec(cls, source: Source) -> Qrels:
        """Read a TREC qrels file ``qid iter docno relevance`` (path, bytes or file object).

        A (query, doc) pair judged twice raises :class:`~rank_core.errors.ParseError`; if the
        ``iter`` column holds judgment groups (trec_eval ``-R qrels_jg``), read the file with
        :meth:`groups_from_trec` instead.
        """
        return cls._from_parsed(parse_qrels(source))

    @classmethod
    def groups_from_trec(cls, source: Source) -> dict[str, Qrels]:
        """Read a judgment-group qrels file (the ``iter`` column names the group) as one Qrels per group."""
        parsed, groups, group_codes = parse_qrels_groups(source)
        return {
            label: cls._from_parsed(parsed, np.flatnonzero(group_codes == g))
            for g, label in enumerate(groups.tolist())
        }

    @classmethod
    def _from_parsed(cls, parsed: ParsedLines, rows: NDArray[np.int64] | None = None) -> Qrels:
        """Qrels of ``parsed``, restricted to ``rows`` if given."""
        if rows is not None:
            query_ids, query_codes = np.unique(parsed.query_codes[rows], return_inverse=True)
            parsed = parsed._replace(
                query_ids=parsed.query_ids[query_ids],
                query_codes=query_codes.reshape(-1).astype(np.int64),
                doc_codes=parsed.doc_codes[rows],
                values=parsed.values[rows],
                lines=parsed.lines[rows],
            )

        def duplicate(first: int, second: int) -> Exception:
            return ParseError(
                f"doc {parsed.doc_vocab[int(parsed.doc_codes[second])]!r} is judged twice for "
                f"query {str(parsed.query_ids[parsed.query_codes[second]])!r} (first on line "
                f"{parsed.lines[first]}); if the second column holds judgment groups, "
                "read the file with Qrels.groups_from_trec",
                path=parsed.path,
                line=int(parsed.lines[second]),
            )

        return cls._from_codes(
            parsed.query_ids, parsed.query_codes, parsed.doc_vocab, parsed.doc_codes,
            parsed.values, duplicate,
        )

    # ------------------------------------------------------------------ output

    def to_trec(self, path: str | os.PathLike[str]) -> None:
        """Write ``qid 0 docno relevance`` lines (gzip if ``path`` ends in ``.gz``), atomically."""
        self._write_trec(
            path, lambda qid, doc_ids, labels: "".join(
                f"{qid} 0 {doc} {rel}\n" for doc, rel in zip(doc_ids, labels, strict=True)
            ),
        )
