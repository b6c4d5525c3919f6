"""Loaders for the four test collections in ``../shared/data`` (tests and benchmarks only).

Each loader takes the collection's folder (default: the shared data folder beside the checkout,
or ``$RANK_SHARED_DATA``) and returns a :class:`Collection` ``(corpus, queries, qrels)``:

- ``scifact``: BEIR SciFact, 5183 docs; the 300 queries of ``qrels/test.tsv`` (its header line
  skipped), in ``queries.jsonl`` order. Text is ``title + " " + text``.
- ``cranfield``: 1400 docs from the SMART file ``cran.all.1400``, text = ``.T`` then ``.W``
  (a few records repeat a field: all of a field's parts are kept, in order); 225 queries from
  ``cran.qry``, whose ids are their 1-based *positions* (what ``cranqrel`` uses), not their
  ``.I`` numbers; relevance codes mapped ``{1: 4, 2: 3, 3: 2, 4: 1, -1: 0}``, so code 1 (a
  complete answer) gains most and every code 1-4 is relevant to binary measures.
- ``cacm``: 3204 docs, the HTML files ``CACM-NNNN.html`` of ``cacm.tar.gz`` with tags stripped,
  in number order; a doc's id is ``CACM-`` and its number without leading zeros (``CACM-0122.html``
  is ``CACM-122``), as ``qrels.cacm.txt`` spells them. The 64 topics of ``topics.cacm.txt``, of
  which 52 have judgments.
- ``vaswani``: Vaswani/NPL, 11429 docs, 93 topics, binary qrels.

This module is named ``shared_collections`` and not ``collections`` so that it never hides the
standard library's ``collections``.
"""

from __future__ import annotations

import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from rank_core import ParseError, Qrels
from rank_retrieve.corpus import Documents, read_corpus, read_queries, strip_markup

__all__ = ["COLLECTIONS", "CRANFIELD_RELEVANCE", "Collection", "data_root", "load"]

#: Cranfield relevance code -> graded label (1 = complete answer ... 4 = minimum interest).
CRANFIELD_RELEVANCE = {1: 4, 2: 3, 3: 2, 4: 1, -1: 0}


class Collection(NamedTuple):
    corpus: Documents
    queries: Documents
    qrels: Qrels


def data_root() -> Path:
    """``$RANK_SHARED_DATA``, else ``shared/data`` beside the checkout (``/work/shared/data``)."""
    checkout = Path(__file__).resolve().parents[3]  # tests -> rank-retrieve -> packages -> checkout
    return Path(os.environ.get("RANK_SHARED_DATA") or checkout.parent / "shared" / "data")


def _folder(folder: str | os.PathLike[str] | None, name: str) -> Path:
    return Path(folder) if folder is not None else data_root() / name


def _restrict(queries: Documents, qrels: Qrels) -> Documents:
    """The queries that have judgments, in file order; every judged query must be there."""
    judged = set(qrels.query_ids.tolist())
    missing = judged.difference(queries.ids)
    if missing:
        raise ParseError(f"{len(missing)} judged queries are not in the queries file, e.g. {min(missing)!r}")
    keep = [i for i, qid in enumerate(queries.ids) if qid in judged]
    return Documents([queries.ids[i] for i in keep], [queries.texts[i] for i in keep])


# -------------------------------------------------------------------------------------- SciFact


def load_scifact(folder: str | os.PathLike[str] | None = None) -> Collection:
    root = _folder(folder, "scifact")
    qrels_path = root / "qrels" / "test.tsv"
    query_ids, doc_ids, labels = [], [], []
    lines = qrels_path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t")[:2] != ["query-id", "corpus-id"]:
        raise ParseError("expected the header 'query-id<TAB>corpus-id<TAB>score'", path=qrels_path, line=1)
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 3:
            raise ParseError(f"expected 3 tab-separated fields, got {len(fields)}", path=qrels_path, line=number)
        query_ids.append(fields[0])
        doc_ids.append(fields[1])
        labels.append(int(fields[2]))
    qrels = Qrels.from_arrays(query_ids, doc_ids, labels)
    queries = _restrict(read_queries(root / "queries.jsonl"), qrels)
    return Collection(read_corpus(root / "corpus.jsonl"), queries, qrels)


# ------------------------------------------------------------------------------------ Cranfield


def _smart_records(path: Path) -> list[tuple[str, dict[str, str]]]:
    """``(id, {field: text})`` of a SMART file: ``.I id`` starts a record, ``.X`` lines a field."""
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


def load_cranfield(folder: str | os.PathLike[str] | None = None) -> Collection:
    root = _folder(folder, "cranfield")
    docs = _smart_records(root / "cran.all.1400")
    corpus = Documents(
        [rid for rid, _ in docs],
        [" ".join(part for part in (fields.get("T", ""), fields.get("W", "")) if part) for _, fields in docs],
    )
    topics = _smart_records(root / "cran.qry")
    queries = Documents([str(i) for i in range(1, len(topics) + 1)], [fields.get("W", "") for _, fields in topics])
    query_ids, doc_ids, labels = [], [], []
    qrels_path = root / "cranqrel"
    for number, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 3 or int(fields[2]) not in CRANFIELD_RELEVANCE:
            raise ParseError("expected 'query doc code' with a code in 1-4 or -1", path=qrels_path, line=number)
        query_ids.append(fields[0])
        doc_ids.append(fields[1])
        labels.append(CRANFIELD_RELEVANCE[int(fields[2])])
    return Collection(corpus, queries, Qrels.from_arrays(query_ids, doc_ids, labels))


# ----------------------------------------------------------------------------------------- CACM


def load_cacm(folder: str | os.PathLike[str] | None = None) -> Collection:
    root = _folder(folder, "cacm")
    ids, texts = [], []
    with tarfile.open(root / "cacm.tar.gz") as archive:
        for member in archive:
            name = Path(member.name).name
            if not (member.isfile() and name.startswith("CACM-") and name.endswith(".html")):
                continue
            handle = archive.extractfile(member)
            assert handle is not None  # a regular file always has content
            ids.append(f"CACM-{int(name[5:].removesuffix('.html'))}")  # unpadded, as in the qrels
            texts.append(strip_markup(handle.read().decode("utf-8")))
    order = sorted(range(len(ids)), key=lambda i: int(ids[i][5:]))
    corpus = Documents([ids[i] for i in order], [texts[i] for i in order])
    return Collection(corpus, read_queries(root / "topics.cacm.txt"), Qrels.from_trec(root / "qrels.cacm.txt"))


# -------------------------------------------------------------------------------------- Vaswani


def load_vaswani(folder: str | os.PathLike[str] | None = None) -> Collection:
    root = _folder(folder, "vaswani_npl")
    return Collection(
        read_corpus(root / "doc-text.trec"), read_queries(root / "query-text.trec"), Qrels.from_trec(root / "qrels")
    )


#: name -> (folder under the shared data root, loader)
COLLECTIONS: dict[str, tuple[str, Callable[..., Collection]]] = {
    "scifact": ("scifact", load_scifact),
    "cranfield": ("cranfield", load_cranfield),
    "cacm": ("cacm", load_cacm),
    "vaswani": ("vaswani_npl", load_vaswani),
}


def load(name: str, folder: str | os.PathLike[str] | None = None) -> Collection:
    """Load one of :data:`COLLECTIONS` by name."""
    return COLLECTIONS[name][1](folder)
