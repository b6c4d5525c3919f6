"""What Run and Qrels share: per-query rows stored CSR-style with doc ids coded in a vocabulary."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from typing import Any, ClassVar, TypeVar

import numpy as np
from numpy.typing import NDArray

from rank_core.errors import RankTypeError, RankValueError
from rank_core.io_trec import atomic_writer, check_writable
from rank_core.optional import require
from rank_core.validation import check_same_length
from rank_core.vocabulary import Vocabulary, utf8_ids

TableT = TypeVar("TableT", bound="QueryTable")

#: Builds the error raised for a duplicate (query, doc) pair from the two offending input rows.
DuplicateError = Callable[[int, int], Exception]


def readonly(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class QueryTable:
    """Rows grouped by query: ``query_ids`` (sorted), ``offsets``, ``doc_codes`` and one value column.

    Rows of query ``query_ids[i]`` are ``offsets[i]:offsets[i + 1]``; ``doc_vocab.ids[doc_codes]``
    are their doc ids. Instances are immutable: every array is read-only.
    """

    __slots__ = ("_doc_codes", "_doc_ids", "_doc_vocab", "_offsets", "_query_ids", "_values")

    #: Name of the value column ("score" / "relevance") in dict, DataFrame and error messages.
    value_name: ClassVar[str]
    #: Subclass slots carried along by every transformation (``None`` unless given to ``_build``).
    extra_attributes: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        raise RankTypeError(
            f"use a {type(self).__name__}.from_* constructor (from_dict, from_trec, from_pandas, from_arrays)"
        )

    @classmethod
    def _build(
        cls: type[TableT],
        query_ids: NDArray[np.str_],
        offsets: NDArray[np.int64],
        doc_codes: NDArray[np.int64],
        values: NDArray[Any],
        doc_vocab: Vocabulary,
        **attributes: Any,
    ) -> TableT:
        table = object.__new__(cls)
        table._query_ids = readonly(query_ids)
        table._offsets = readonly(offsets)
        table._doc_codes = readonly(doc_codes)
        table._values = readonly(values)
        table._doc_vocab = doc_vocab
        table._doc_ids = None
        for name in cls.extra_attributes:
            object.__setattr__(table, name, attributes.pop(name, None))
        if attributes:
            raise TypeError(f"unknown attributes for {cls.__name__}: {sorted(attributes)}")
        return table

    @classmethod
    def _order(
        cls,
        query_codes: NDArray[np.int64],
        n_queries: int,
        doc_codes: NDArray[np.int64],
        values: NDArray[Any],
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """``(offsets, order, duplicates)`` from the ordering kernel of the subclass."""
        raise NotImplementedError

    @classmethod
    def _from_codes(
        cls: type[TableT],
        query_ids: NDArray[np.str_],
        query_codes: NDArray[np.int64],
        doc_vocab: Vocabulary,
        doc_codes: NDArray[np.int64],
        values: NDArray[Any],
        duplicate_error: DuplicateError,
        **attributes: Any,
    ) -> TableT:
        offsets, order, duplicates = cls._order(query_codes, query_ids.size, doc_codes, values)
        pairs = duplicates[duplicates[:, 0] >= 0]
        if pairs.size:  # report the pair whose repetition comes first in the input
            first, second = pairs[np.argmin(pairs[:, 1])]
            raise duplicate_error(int(first), int(second))
        return cls._build(query_ids, offsets, doc_codes[order], values[order], doc_vocab, **attributes)

    @classmethod
    def _from_flat(cls: type[TableT], query_ids: Any, doc_ids: Any, values: NDArray[Any], **attributes: Any) -> TableT:
        """Build from parallel per-row arrays, in any order."""
        query_vocab, query_codes = Vocabulary._factorize_utf8(utf8_ids(query_ids, name="query_ids"), runs=True)
        return cls._from_rows(query_vocab.ids, query_codes, doc_ids, values, **attributes)

    @classmethod
    def _from_mapping(cls: type[TableT], mapping: Any, to_values: Callable[[list[Any]], NDArray[Any]], **attributes: Any) -> TableT:
        """Build from ``{qid: {doc: value}}``; queries with an empty mapping are kept, with no rows."""
        if not isinstance(mapping, Mapping):
            raise RankTypeError(
                f"expected a mapping {{query_id: {{doc_id: {cls.value_name}}}}}, got {type(mapping).__name__}"
            )
        inner = list(mapping.values())
        for qid, docs in zip(mapping, inner, strict=True):
            if not isinstance(docs, Mapping):
                raise RankTypeError(
                    f"the value for query {qid!r} must be a mapping {{doc_id: {cls.value_name}}}, "
                    f"got {type(docs).__name__}"
                )
        query_vocab, key_codes = Vocabulary.factorize(list(mapping), name="query_ids")
        lengths = np.fromiter((len(d) for d in inner), dtype=np.int64, count=len(inner))
        doc_ids = list(chain.from_iterable(inner))
        values = to_values(list(chain.from_iterable(d.values() for d in inner)))
        return cls._from_rows(query_vocab.ids, np.repeat(key_codes, lengths), doc_ids, values, **attributes)

    @classmethod
    def _from_rows(
        cls: type[TableT],
        query_vocab: NDArray[np.str_],
        query_codes: NDArray[np.int64],
        doc_ids: Any,
        values: NDArray[Any],
        **attributes: Any,
    ) -> TableT:
        """Build from per-row query codes (into the sorted ``query_vocab``), doc ids and values."""
        docs = utf8_ids(doc_ids, name="doc_ids")
        check_same_length(query_ids=query_codes, doc_ids=docs.starts, **{cls.value_name: values})
        doc_vocab, doc_codes = Vocabulary._factorize_utf8(docs)

        def duplicate(first: int, second: int) -> Exception:
            query = str(query_vocab[query_codes[first]])
            doc = docs.data[docs.starts[first] : docs.ends[first]].tobytes().decode("utf-8", "surrogatepass")
            return RankValueError(
                f"duplicate (query, doc) pair ({query!r}, {doc!r}) at rows "
                f"{first} and {second}: each doc may appear once per query"
            )

        return cls._from_codes(query_vocab, query_codes, doc_vocab, doc_codes, values, duplicate, **attributes)

    # ------------------------------------------------------------------ accessors

    @property
    def query_ids(self) -> NDArray[np.str_]:
        """Query ids, sorted (string order, as trec_eval reports them)."""
        return self._query_ids

    @property
    def offsets(self) -> NDArray[np.int64]:
        """CSR offsets: rows of query ``i`` are ``offsets[i]:offsets[i + 1]``."""
        return self._offsets

    @property
    def doc_codes(self) -> NDArray[np.int64]:
        """Per-row doc codes into :attr:`doc_vocab`."""
        return self._doc_codes

    @property
    def doc_vocab(self) -> Vocabulary:
        """The sorted vocabulary the doc codes index into."""
        return self._doc_vocab

    @property
    def doc_ids(self) -> NDArray[np.str_]:
        """Per-row doc ids (decoded once, then cached)."""
        if self._doc_ids is None:
            self._doc_ids = readonly(self._doc_vocab.decode(self._doc_codes))
        return self._doc_ids

    def _doc_ids_of(self, rows: slice) -> NDArray[np.str_]:
        """Doc ids of some rows, decoding only those unless all are decoded already."""
        if self._doc_ids is not None:
            return self._doc_ids[rows]
        return readonly(self._doc_vocab.decode(self._doc_codes[rows]))

    @property
    def n_rows(self) -> int:
        """Total number of (query, doc) rows."""
        return int(self._doc_codes.size)

    def counts(self) -> NDArray[np.int64]:
        """Number of rows of each query."""
        return np.diff(self._offsets)

    def __len__(self) -> int:
        return int(self._query_ids.size)

    def __iter__(self) -> Iterator[str]:
        return iter(self._query_ids.tolist())

    def __contains__(self, query_id: object) -> bool:
        return self._position(query_id) >= 0

    def _position(self, query_id: object) -> int:
        if not isinstance(query_id, str) or not self._query_ids.size:
            return -1
        i = int(np.searchsorted(self._query_ids, query_id))
        return i if i < self._query_ids.size and self._query_ids[i] == query_id else -1

    def _rows(self, query_id: str) -> slice:
        i = self._position(query_id)
        if i < 0:
            raise KeyError(query_id)
        return slice(int(self._offsets[i]), int(self._offsets[i + 1]))

    def query_positions(self, query_ids: Any) -> NDArray[np.int64]:
        """Index of each of ``query_ids`` in :attr:`query_ids`, or -1 where absent (vectorised)."""
        return Vocabulary._from_sorted_ids(self._query_ids).encode(query_ids, missing="ignore")

    def with_doc_vocab(self: TableT, vocab: Vocabulary) -> TableT:
        """The same rows with doc codes re-expressed in ``vocab``, a superset of :attr:`doc_vocab`.

        Two tables sharing one vocabulary compare doc codes directly (see :func:`rank_core.align`).
        Row order is unchanged because code order is string order in every vocabulary.
        """
        if vocab is self._doc_vocab:
            return self
        return self._recoded(vocab, self._doc_vocab.remap_to(vocab))

    def _recoded(self: TableT, vocab: Vocabulary, mapping: NDArray[np.int64]) -> TableT:
        """The same rows with doc codes mapped through ``mapping`` into ``vocab``."""
        if vocab is self._doc_vocab:
            return self
        carried = {name: getattr(self, name) for name in self.extra_attributes}
        return self._build(self._query_ids, self._offsets, mapping[self._doc_codes], self._values, vocab, **carried)

    # ------------------------------------------------------------------ conversions

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{query_id: {doc_id: value}}``, each inner dict in stored row order."""
        doc_ids = self.doc_ids.tolist()
        values = self._values.tolist()
        bounds = self._offsets.tolist()
        return {
            qid: dict(zip(doc_ids[bounds[i] : bounds[i + 1]], values[bounds[i] : bounds[i + 1]], strict=True))
            for i, qid in enumerate(self._query_ids.tolist())
        }

    def _frame_columns(self) -> dict[str, NDArray[Any]]:
        return {
            "query_id": np.repeat(self._query_ids, self.counts()),
            "doc_id": self.doc_ids,
            self.value_name: self._values,
        }

    def _write_trec(self, path: str | os.PathLike[str], lines_of_query: Callable[[str, list[str], list[Any]], str]) -> None:
        """Write every query's lines, as ``lines_of_query(query_id, doc_ids, values)`` formats them."""
        check_writable(Vocabulary._from_sorted_ids(self._query_ids), what="query id")
        check_writable(self._doc_vocab, what="doc id")
        doc_ids = self.doc_ids.tolist()
        values = self._values.tolist()
        bounds = self._offsets.tolist()
        with atomic_writer(path) as out:
            for i, qid in enumerate(self._query_ids.tolist()):
                s, e = bounds[i], bounds[i + 1]
                out.write(lines_of_query(qid, doc_ids[s:e], values[s:e]))

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with one row per (query, doc) (needs pandas)."""
        pandas = require(
            "pandas", feature=f"{type(self).__name__}.to_pandas", distribution="rank-core", extra="pandas"
        )
        return pandas.DataFrame({k: np.array(v) for k, v in self._frame_columns().items()})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return (
            np.array_equal(self._query_ids, other._query_ids)
            and np.array_equal(self._offsets, other._offsets)
            and np.array_equal(self.doc_ids, other.doc_ids)
            and np.array_equal(self._values, other._values)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_queries={len(self)}, n_rows={self.n_rows})"


def frame_columns(frame: Any, **columns: str) -> list[NDArray[Any]]:
    """Extract named columns of a DataFrame as arrays, with a clear error for missing ones."""
    available = list(getattr(frame, "columns", []))
    if not hasattr(frame, "columns"):
        raise RankTypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [f"{arg}={col!r}" for arg, col in columns.items() if col not in available]
    if missing:
        raise RankValueError(f"column(s) not found: {', '.join(missing)}; the frame has {available}")
    return [frame[col].to_numpy() for col in columns.values()]
