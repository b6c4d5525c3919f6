"""Put a Run and a Qrels (or several runs) into one shared doc vocabulary."""

from __future__ import annotations

from typing import TypeVar

from rank_core._table import QueryTable
from rank_core.vocabulary import Vocabulary

__all__ = ["align"]

TableT = TypeVar("TableT", bound=QueryTable)


def align(*tables: TableT) -> tuple[TableT, ...]:
    """Re-express every table's doc codes in the union of their vocabularies.

    Afterwards equal doc codes mean equal doc ids across all returned tables, so kernels can join
    a run with its qrels (or fuse runs) on integer codes. Rows and their order are unchanged.

    >>> from rank_core import Qrels, Run, align
    >>> run, qrels = align(Run.from_dict({"q": {"a": 1.0}}), Qrels.from_dict({"q": {"b": 1}}))
    >>> run.doc_vocab is qrels.doc_vocab
    True
    """
    if not tables:
        return ()
    vocab, maps = Vocabulary.merge(*(t.doc_vocab for t in tables))
    return tuple(t._recoded(vocab, mapping) for t, mapping in zip(tables, maps, strict=True))
