"""Read document collections and queries from the usual file formats.

:func:`read_corpus` and :func:`read_queries` return :class:`Documents`, two parallel lists of ids
and texts, ready for ``BM25().index(docs.texts, ids=docs.ids)`` and
``bm25.search(queries.texts).to_run(queries.ids)``. Formats:

``"beir"``
    JSON lines, one object per document: BEIR's ``corpus.jsonl`` (``_id``, ``title``, ``text``)
    and ``queries.jsonl`` (``_id``, ``text``), or Pyserini's JsonCollection (``id``,
    ``contents``). A non-empty title is joined to the text with one space, ``title + " " + text``,
    as Pyserini's BEIR "flat" indexes and bm25s's BEIR example do (BEIR's own Elasticsearch
    baseline instead searches the two as separate fields).
``"tsv"``
    ``id<TAB>text`` lines without a header (MS MARCO's ``collection.tsv`` and ``queries.*.tsv``,
    Anserini's ``.tsv`` topics). Everything after the first tab is the text.
``"trec"``
    SGML as TREC distributes it. Documents: ``<DOC>`` elements whose ``<DOCNO>`` holds the id; the
    text is everything else inside the ``<DOC>``, tags stripped, entities such as ``&amp;``
    decoded and whitespace collapsed. Queries: the same ``<DOC>`` form (Anserini's CACM topics),
    or ``<top>`` topics whose ``<num>`` holds the id, either closed (``<num>1</num><title>...
    </title>``) or in the classic unclosed form (``<num> Number: 301``, ``<title> Topic: ...``,
    a field running up to the next tag); the query is the ``<title>`` unless ``fields`` asks for
    ``"desc"`` / ``"narr"`` too. Tags are matched case-insensitively.

``format="auto"`` (the default) goes by the file name (``.jsonl``/``.json``: beir, ``.tsv``: tsv,
``.trec``/``.sgml``/``.xml``: trec, after removing a ``.gz``), and otherwise by the first
non-blank character (``{``: beir, ``<``: trec, anything else: tsv). Gzip is detected from the
content, whatever the name. Files are read as UTF-8 (a byte-order mark is dropped); ``\\r\\n`` line
ends are accepted.

Errors are :class:`~rank_core.ParseError` (a :class:`~rank_core.RankValueError`, hence a
``ValueError``) naming the file and, where one line is at fault, its 1-based number: an unreadable
or missing file, bytes that are not UTF-8, a malformed line or element, an id given twice, a file
without any document.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, NamedTuple

from rank_core import ParseError, RankValueError
from rank_core.io_trec import Source, read_source
from rank_core.validation import check_choice

__all__ = ["FORMATS", "Documents", "Format", "read_corpus", "read_queries", "strip_markup"]

Format = Literal["auto", "beir", "tsv", "trec"]

FORMATS: tuple[str, ...] = ("auto", "beir", "tsv", "trec")
TOPIC_FIELDS: tuple[str, ...] = ("title", "desc", "narr")

_EXTENSIONS = {".jsonl": "beir", ".json": "beir", ".tsv": "tsv", ".trec": "trec", ".sgml": "trec", ".xml": "trec"}


class Documents(NamedTuple):
    """Documents (or queries) in file order: ``texts[i]`` is the text of ``ids[i]``."""

    ids: list[str]
    texts: list[str]


def read_corpus(source: Source, format: Format = "auto") -> Documents:
    """Read a document collection: BEIR/Pyserini JSON lines, ``id<TAB>text`` lines or TREC ``<DOC>`` SGML.

    ``source`` is a path (gzip detected), bytes or a binary/text file object. See the module
    documentation for the formats and what ``"auto"`` picks. Ids are distinct, non-empty strings;
    documents come in file order.
    """
    return _read(source, format, what="document", fields=("title",))


def read_queries(
    source: Source,
    format: Format = "auto",
    *,
    fields: str | Sequence[str] = "title",
) -> Documents:
    """Read queries: BEIR ``queries.jsonl``, ``qid<TAB>text`` lines, or TREC topics.

    TREC topics may be ``<top>`` topics (``<num>``, ``<title>``, ``<desc>``, ``<narr>``) or
    ``<DOC>``/``<DOCNO>`` elements. ``fields`` picks the ``<top>`` fields that make up each query
    (``"title"``, ``"desc"``, ``"narr"`` or several, joined by a space in the order given); it applies
    to ``<top>`` topics only. A ``Number:``, ``Topic:``, ``Description:`` or ``Narrative:`` label at
    the start of a field is dropped. Ids are kept as written (``051`` stays ``051``).
    """
    chosen = (fields,) if isinstance(fields, str) else tuple(fields)
    if not chosen:
        raise RankValueError("fields must name at least one of 'title', 'desc', 'narr'")
    for field in chosen:
        check_choice(field, name="fields", choices=TOPIC_FIELDS)
    return _read(source, format, what="query", fields=chosen)


# ---------------------------------------------------------------------------------------- dispatch


def _read(source: Source, format: str, *, what: str, fields: tuple[str, ...]) -> Documents:
    check_choice(format, name="format", choices=FORMATS)
    data, path = read_source(source)  # RankTypeError for anything but a path, bytes or a file object
    try:
        text = str(data, "utf-8")
    except UnicodeDecodeError as exc:
        line = bytes(data[: exc.start]).count(b"\n") + 1
        raise ParseError(f"not UTF-8 text: byte {data[exc.start]:#04x} at offset {exc.start}", path=path, line=line) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if format == "auto":
        format = _detect(text, path)
    if format == "trec" and what == "query" and _TOP_OPEN.search(text):
        ids, texts, lines = _parse_topics(text, path, fields)
    else:
        if fields != ("title",):
            raise ParseError(
                f"fields={list(fields)!r} applies to TREC <top> topics only; this file holds {format} "
                f"{what} records", path=path
            )
        parse = {"beir": _parse_jsonl, "tsv": _parse_tsv, "trec": _parse_trec_docs}[format]
        ids, texts, lines = parse(text, path, what)
    if not ids:
        raise ParseError(f"no {what} found in the file (read as {format})", path=path)
    _check_distinct(ids, lines, path, what)
    return Documents(ids, texts)


def _detect(text: str, path: str | None) -> str:
    """The format of a file from its name, else from its first non-blank character."""
    if path is not None:
        name = Path(path).name.lower()
        name = name.removesuffix(".gz")
        by_name = _EXTENSIONS.get(Path(name).suffix)
        if by_name is not None:
            return by_name
    head = text.lstrip()[:1]
    return "beir" if head == "{" else "trec" if head == "<" else "tsv"


def _check_distinct(ids: list[str], lines: list[int], path: str | None, what: str) -> None:
    if len(set(ids)) == len(ids):
        return
    first: dict[str, int] = {}
    for doc_id, line in zip(ids, lines, strict=True):
        if doc_id in first:
            raise ParseError(f"{what} id {doc_id!r} appears twice (first on line {first[doc_id]})", path=path, line=line)
        first[doc_id] = line


# ---------------------------------------------------------------------------------- line formats


def _lines(text: str) -> list[str]:
    """Physical lines (``\\n`` only: str.splitlines would also split on form feeds and the like)."""
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _parse_tsv(text: str, path: str | None, what: str) -> tuple[list[str], list[str], list[int]]:
    ids: list[str] = []
    texts: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(_lines(text), start=1):
        doc_id, tab, body = line.partition("\t")
        if not tab:
            if not line.strip():
                continue
            raise ParseError(f"expected '{what} id<TAB>text', found no tab", path=path, line=number)
        doc_id = doc_id.strip()
        if not doc_id:
            raise ParseError(f"empty {what} id before the tab", path=path, line=number)
        ids.append(doc_id)
        texts.append(body.strip())
        numbers.append(number)
    return ids, texts, numbers


def _json_field(record: dict[str, object], names: tuple[str, ...]) -> object:
    for name in names:
        if name in record:
            return record[name]
    return None


def _parse_jsonl(text: str, path: str | None, what: str) -> tuple[list[str], list[str], list[int]]:
    ids: list[str] = []
    texts: list[str] = []
    numbers: list[int] = []
    loads = json.loads
    for number, line in enumerate(_lines(text), start=1):
        if not line or line.isspace():
            continue
        try:
            record = loads(line)
        except ValueError as exc:
            raise ParseError(f"invalid JSON: {getattr(exc, 'msg', exc)}", path=path, line=number) from None
        if not isinstance(record, dict):
            raise ParseError(f"expected a JSON object, got {type(record).__name__}", path=path, line=number)
        doc_id = _json_field(record, ("_id", "id"))
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if not isinstance(doc_id, str) or not doc_id.strip():
            problem = "no '_id' (or 'id') field" if doc_id is None else f"bad {what} id {doc_id!r}"
            raise ParseError(f"{problem}: expected a non-empty string", path=path, line=number)
        body = _json_field(record, ("text", "contents"))
        title = record.get("title")
        if not isinstance(body, str) or not (title is None or isinstance(title, str)):
            problem = "no 'text' (or 'contents') field" if body is None else "'text' and 'title' must be strings"
            raise ParseError(f"{what} {doc_id!r}: {problem}", path=path, line=number)
        ids.append(doc_id.strip())
        texts.append(f"{title} {body}" if title and body else title or body)
        numbers.append(number)
    return ids, texts, numbers


# ------------------------------------------------------------------------------------------- SGML

_DOC_OPEN = re.compile(r"<DOC>", re.I)
_DOC_CLOSE = re.compile(r"</DOC>", re.I)
_DOCNO_OPEN = re.compile(r"<DOCNO>", re.I)
_DOCNO_CLOSE = re.compile(r"</DOCNO>", re.I)
_TOP_OPEN = re.compile(r"<top>", re.I)
_TOP_CLOSE = re.compile(r"</top>", re.I)
# A field's content runs to the next tag, whether it closes the field or opens the next one.
_FIELD = re.compile(r"<(num|title|desc|narr)>((?:[^<]|<(?![/A-Za-z]))*)", re.I)
_LABEL = re.compile(r"\s*(?:Number|Topic|Description|Narrative)\s*:", re.I)
_TAG = re.compile(r"<!--.*?-->|<[/!?]?[A-Za-z][^>]*>", re.S)


def strip_markup(text: str) -> str:
    """``text`` without SGML/HTML tags and comments, entities decoded, whitespace collapsed."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _elements(
    text: str, opener: re.Pattern[str], closer: re.Pattern[str], name: str, path: str | None
) -> list[tuple[int, str]]:
    """``(line, body)`` of every ``<name>...</name>`` element; only blanks may lie between them.

    The text is cut at the closing tags (one pass in C), then each piece must be blanks, the
    opening tag and the body.
    """
    found: list[tuple[int, str]] = []
    line = 1
    *pieces, rest = closer.split(text)
    for piece in pieces:
        opened = opener.search(piece)
        if opened is None or piece[: opened.start()].strip():
            at = len(piece) - len(piece.lstrip())
            problem = f"</{name}> without <{name}>" if opened is None else f"text outside <{name}> elements"
            snippet = piece[at : at + 30].split("\n")[0]
            raise ParseError(f"{problem}: {snippet!r}", path=path, line=line + piece.count("\n", 0, at))
        body = piece[opened.end() :]
        nested = opener.search(body)
        if nested is not None:
            raise ParseError(
                f"<{name}> inside another <{name}> (a missing </{name}>?)",
                path=path, line=line + piece.count("\n", 0, opened.end() + nested.start()),
            )
        found.append((line + piece.count("\n", 0, opened.start()), body))
        line += piece.count("\n")
    if rest.strip():
        at = len(rest) - len(rest.lstrip())
        problem = f"<{name}> without </{name}>" if opener.match(rest, at) else f"text outside <{name}> elements"
        snippet = rest[at : at + 30].split("\n")[0]
        raise ParseError(f"{problem}: {snippet!r}", path=path, line=line + rest.count("\n", 0, at))
    return found


def _find(body: str, literal: str, pattern: re.Pattern[str], start: int = 0) -> tuple[int, int]:
    """``(start, end)`` of a tag in ``body`` (upper case first, which is the common spelling)."""
    at = body.find(literal, start)
    if at >= 0:
        return at, at + len(literal)
    match = pattern.search(body, start)
    return (match.start(), match.end()) if match else (-1, -1)


def _parse_trec_docs(text: str, path: str | None, what: str) -> tuple[list[str], list[str], list[int]]:
    ids: list[str] = []
    texts: list[str] = []
    numbers: list[int] = []
    for line, body in _elements(text, _DOC_OPEN, _DOC_CLOSE, "DOC", path):
        open_start, open_end = _find(body, "<DOCNO>", _DOCNO_OPEN)
        close_start, close_end = _find(body, "</DOCNO>", _DOCNO_CLOSE, open_end) if open_start >= 0 else (-1, -1)
        if close_start < 0:
            raise ParseError(f"a <DOC> without <DOCNO>...</DOCNO> (the {what} id)", path=path, line=line)
        doc_id = body[open_end:close_start].strip()
        if not doc_id:
            raise ParseError(f"empty <DOCNO> (the {what} id)", path=path, line=line)
        ids.append(doc_id)
        texts.append(strip_markup(f"{body[:open_start]} {body[close_end:]}"))
        numbers.append(line)
    return ids, texts, numbers


def _parse_topics(text: str, path: str | None, fields: tuple[str, ...]) -> tuple[list[str], list[str], list[int]]:
    ids: list[str] = []
    texts: list[str] = []
    numbers: list[int] = []
    for line, body in _elements(text, _TOP_OPEN, _TOP_CLOSE, "top", path):
        values: dict[str, str] = {}
        for match in _FIELD.finditer(body):
            name, value = match.group(1).lower(), match.group(2)
            label = _LABEL.match(value)
            value = strip_markup(value[label.end() :] if label else value)
            values[name] = f"{values[name]} {value}" if name in values else value
        topic_id = values.get("num", "")
        if not topic_id:
            raise ParseError("a <top> without a <num> (the query id)", path=path, line=line)
        missing = [field for field in fields if field not in values]
        if missing:
            raise ParseError(f"topic {topic_id!r} has no <{missing[0]}>", path=path, line=line)
        ids.append(topic_id)
        texts.append(" ".join(values[field] for field in fields if values[field]))
        numbers.append(line)
    return ids, texts, numbers
