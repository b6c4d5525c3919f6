"""The Cranfield collection shipped in ``data/cranfield``, read into plain lists and a rank-core Qrels.

- Documents: ``cran.all.1400`` (SMART format: ``.I id`` starts a record, ``.T``/``.A``/``.B``/``.W``
  lines start its fields); a document's text is its title (``.T``) then its abstract (``.W``).
- Queries: ``cran.qry`` (CRLF line ends). A query's id is its 1-based **position** in the file,
  which is how ``cranqrel`` numbers them; the ``.I`` numbers (001..365, with gaps) are not used.
- Judgments: ``cranqrel`` (``query doc code``), codes 1 (complete answer) .. 4 (minimum interest)
  and -1 (of no interest), mapped to graded labels ``{1: 4, 2: 3, 3: 2, 4: 1, -1: 0}``: every code
  1-4 is relevant to binary measures, and code 1 gains most in nDCG.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from demo.tables import select_queries
from rank_core import ParseError, Qrels, RankValueError

__all__ = ["CRANFIELD", "GRADED", "Collection", "cranfield_qrels", "load_cranfield", "read_smart"]

CRANFIELD = Path(__file__).resolve().parents[1] / "data" / "cranfield"
#: Cleverdon's codes (1 = complete answer .. 4 = minimum interest, -1 = no interest) as graded gains.
GRADED = {1: 4, 2: 3, 3: 2, 4: 1, -1: 0}


@dataclass(frozen=True)
class Collection:
    """Documents and queries as parallel id / text lists (file order), and the judgments."""

    doc_ids: list[str]
    doc_texts: list[str]
    query_ids: list[str]
    query_texts: list[str]
    qrels: Qrels

    def limit(self, n_queries: int | None) -> Collection:
        """The first ``n_queries`` queries and their judgments (all documents stay)."""
        if n_queries is None or n_queries >= len(self.query_ids):
            return self
        if n_queries < 1:
            raise RankValueError(f"n_queries must be >= 1, got {n_queries}")
        sliced = select_queries(self.qrels, self.query_ids[:n_queries])
        return Collection(
            self.doc_ids, self.doc_texts, self.query_ids[:n_queries], self.query_texts[:n_queries], sliced
        )

    def sample(self, n_docs: int, n_queries: int) -> Collection:
        """The first ``n_docs`` documents and ``n_queries`` queries (a tiny input for warming up)."""
        small = self.limit(n_queries)
        return Collection(
            self.doc_ids[:n_docs], self.doc_texts[:n_docs], small.query_ids, small.query_texts, small.qrels
        )


def read_smart(path: Path) -> list[tuple[str, dict[str, str]]]:
    """``[(id, {field letter: text})]`` of a SMART file, in file order.

    A field's lines are joined with single spaces; a field that appears twice in one record (a
    few Cranfield records repeat ``.W``) keeps both parts, in order.
    """
    records: list[tuple[str, dict[str, list[str]]]] = []
    field = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        line = raw.rstrip("\r")
        if line == ".I" or line.startswith(".I "):
            records.append((line[2:].strip(), {}))
            field = None
        elif len(line) == 2 and line[0] == "." and line[1].isalpha():
            if not records:
                raise ParseError(f"field {line} before the first .I", path=path, line=number)
            field = line[1]
            records[-1][1].setdefault(field, [])
        elif field is not None:
            records[-1][1][field].append(line)
        elif line.strip():
            raise ParseError("text outside a field", path=path, line=number)
    return [(rid, {f: " ".join(" ".join(parts).split()) for f, parts in fields.items()}) for rid, fields in records]


def cranfield_qrels(path: Path) -> Qrels:
    """``cranqrel`` as a rank-core Qrels with graded labels (query ids are positions in cran.qry)."""
    query_ids: list[str] = []
    doc_ids: list[str] = []
    labels: list[int] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or fields[2] not in {"1", "2", "3", "4", "-1"}:
            raise ParseError("expected 'query doc code' with a code in 1-4 or -1", path=path, line=number)
        query_ids.append(fields[0])
        doc_ids.append(fields[1])
        labels.append(GRADED[int(fields[2])])
    return Qrels.from_arrays(query_ids, doc_ids, labels)


def load_cranfield(folder: Path = CRANFIELD) -> Collection:
    """The whole collection: 1400 documents, the 225 queries, their judgments."""
    docs = read_smart(folder / "cran.all.1400")
    topics = read_smart(folder / "cran.qry")
    qrels = cranfield_qrels(folder / "cranqrel")
    query_ids = [str(position) for position in range(1, len(topics) + 1)]
    unknown = set(qrels.query_ids.tolist()).difference(query_ids)
    if unknown:
        raise ParseError(f"cranqrel judges queries that cran.qry lacks: {sorted(unknown, key=int)[:5]}",
                         path=folder / "cranqrel")
    return Collection(
        doc_ids=[rid for rid, _ in docs],
        doc_texts=[" ".join(part for part in (fields.get("T", ""), fields.get("W", "")) if part) for _, fields in docs],
        query_ids=query_ids,
        query_texts=[fields.get("W", "") for _, fields in topics],
        qrels=qrels,
    )
