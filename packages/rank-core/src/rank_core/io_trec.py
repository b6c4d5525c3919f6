"""TREC run and qrels files: strict, compiled parsing and atomic writing.

Formats (fields separated by any run of blanks, as trec_eval reads them):

- run:   ``qid  iter  docno  rank  score  tag``: ``iter`` and ``rank`` are ignored (ranks come
  from sorting by score, as in trec_eval); fields after the tag are ignored; the run's name is
  the tag of its last line (trec_eval keeps that one too).
- qrels: ``qid  iter  docno  relevance``: exactly four fields; relevance is an integer
  (negative values such as -1 allowed). ``iter`` is ignored, except by
  :func:`parse_qrels_groups`, which reads it as trec_eval's judgment group (``-R qrels_jg``).

Conventions, and where they differ from trec_eval (stricter only where trec_eval would silently
produce a wrong number):

- Blank lines are skipped, and so is any line whose first non-blank byte is ``#`` (trec_eval skips
  ``#`` lines in both files, but rejects blank lines in qrels; a blank line holds no data, so we
  accept it). A ``#`` inside a field (``CR93E-3103#37``) is part of the field.
- Scores must be decimal numbers (``inf``/``-inf`` allowed, NaN rejected) and relevance must be an
  integer. trec_eval's ``atof``/``atol`` would read ``1.7x`` as 1.7 and ``1.5`` as 1; we raise.
- A duplicate (query, doc) pair raises, as trec_eval does when it evaluates that query.
- Line numbers in errors are physical 1-based line numbers (blank and comment lines counted);
  trec_eval counts only data lines. The structure of every line (field count, NUL bytes) is
  checked before any value, so a malformed line is reported before an earlier bad score.
- Files are bytes; ids must be valid UTF-8 and hold no NUL byte. Gzip files (by content, not name)
  are decompressed transparently.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core._kernels import trec as kernels
from rank_core._kernels.strings import first_slice_with_blank
from rank_core._text import (
    factorize_utf8,
    first_invalid_utf8,
    unicode_from_utf8,
)
from rank_core.errors import ParseError, RankTypeError, RankValueError
from rank_core.validation import check_choice
from rank_core.vocabulary import Utf8Ids, Vocabulary

__all__ = [
    "ParsedLines",
    "RunRows",
    "atomic_binary_writer",
    "atomic_writer",
    "check_writable",
    "parse_qrels",
    "parse_qrels_groups",
    "parse_run",
    "parse_run_rows",
    "read_source",
]

Source = str | os.PathLike[str] | bytes | IO[bytes] | IO[str]

_GZIP_MAGIC = b"\x1f\x8b"


class ParsedLines(NamedTuple):
    """Columns of a parsed TREC file, ids already factorised; ``lines`` are physical line numbers."""

    query_ids: NDArray[np.str_]
    query_codes: NDArray[np.int64]
    doc_vocab: Vocabulary
    doc_codes: NDArray[np.int64]
    values: NDArray[Any]
    lines: NDArray[np.int64]
    tag: str | None
    path: str | None


class RunRows(NamedTuple):
    """A parsed TREC run whose doc ids are left as byte slices of the file (see :func:`parse_run_rows`).

    Data line ``r`` (in file order) is doc ``docs.data[docs.starts[r]:docs.ends[r]]`` (UTF-8)
    with score ``scores[r]``; lines come in blocks of one query (a file lists a query's lines
    together, so there is usually one block per query): lines ``block_starts[b]`` to
    ``block_starts[b + 1]`` are query ``query_ids[block_codes[b]]``.
    """

    query_ids: NDArray[np.str_]
    block_starts: NDArray[np.int64]
    block_codes: NDArray[np.int64]
    docs: Utf8Ids
    scores: NDArray[np.float64]
    tag: str | None
    path: str | None

    @property
    def query_codes(self) -> NDArray[np.int64]:
        """The query code of every line (``query_ids[query_codes[r]]`` is line ``r``'s query)."""
        return np.repeat(self.block_codes, np.diff(self.block_starts))


def _read_file(path: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """A file's bytes, read straight into one numpy buffer (no intermediate ``bytes`` object)."""
    with Path(path).open("rb", buffering=0) as raw:
        data = np.empty(os.fstat(raw.fileno()).st_size + 1, dtype=np.uint8)  # + 1: did it grow?
        view = memoryview(data)
        size = 0
        while size < data.size:
            got = raw.readinto(view[size:])
            if not got:
                return data[:size]
            size += got
        rest = raw.read()  # the file grew since fstat (or does not report a size)
    return np.concatenate([data, np.frombuffer(rest, dtype=np.uint8)])


def read_source(source: Source) -> tuple[NDArray[np.uint8], str | None]:
    """The bytes of a path or file object (gunzipped if gzip), and a name for error messages.

    The array is read-only.
    """
    if isinstance(source, (str, os.PathLike)):
        name: str | None = os.fspath(source)
        try:
            data: Any = _read_file(source)
        except OSError as exc:
            raise ParseError(f"cannot read the file: {exc.strerror or exc}", path=name) from exc
    elif isinstance(source, bytes):
        name, data = None, source
    elif hasattr(source, "read"):
        name = getattr(source, "name", None)
        content = source.read()
        data = content.encode("utf-8") if isinstance(content, str) else content
    else:
        raise RankTypeError(
            f"expected a path, bytes or a file object, got {type(source).__name__}"
        )
    if bytes(data[:2]) == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ParseError(f"corrupt gzip data: {exc}", path=name) from exc
    buf = np.frombuffer(data, dtype=np.uint8)
    buf.flags.writeable = False
    return buf, name


_LAYOUT = {
    "run": "qid iter docno rank score tag",
    "qrels": "qid iter docno relevance",
}


def _split(
    buf: NDArray[np.uint8], n_fields: int, max_fields: int, columns: list[int], path: str | None, kind: str
) -> list[_Column]:
    """The fields ``columns`` of every data line, one :class:`_Column` each."""
    keep = np.array(columns, dtype=np.int64)
    chunks = 4 * numba.get_num_threads()
    starts, ends, lines, status, line, seen = kernels.split_fields(buf, n_fields, max_fields, keep, chunks)
    if status in (kernels.TOO_FEW_FIELDS, kernels.TOO_MANY_FIELDS):
        raise ParseError(
            f"expected {n_fields} fields ({_LAYOUT[kind]}), found {seen}", path=path, line=int(line)
        )
    if status == kernels.NUL_BYTE:
        raise ParseError("NUL byte: this does not look like a text file", path=path, line=int(line))
    if lines.size == 0:
        raise ParseError(
            f"no {kind} lines: the input is empty or holds only blank and comment lines", path=path
        )
    ascii = bool(buf.max() < 0x80)
    return [_Column(buf, ascii, starts[k], ends[k], lines, path) for k in range(keep.size)]


class _Column(NamedTuple):
    """One field of every data line: byte ranges into ``buf``, for parsing and error messages."""

    buf: NDArray[np.uint8]
    ascii: bool  # no byte >= 0x80 anywhere in buf: UTF-8 checks and decoding take the short path
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]
    lines: NDArray[np.int64]
    path: str | None

    def factorize(self, what: str, *, runs: bool = False) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """``(codes, first)`` of the tokens, after checking the distinct ones are UTF-8 text."""
        codes, first = factorize_utf8(self.buf, self.starts, self.ends, runs=runs)
        if not self.ascii:
            bad = first_invalid_utf8(self.buf, self.starts[first], self.ends[first])
            if bad >= 0:
                line = int(self.lines[first[bad]])
                raise ParseError(f"{what} is not valid UTF-8 text", path=self.path, line=line)
        return codes, first

    def check_utf8(self, what: str) -> None:
        """Raise what :meth:`factorize` raises if a token is not UTF-8 text, without sorting them."""
        if not self.ascii and first_invalid_utf8(self.buf, self.starts, self.ends) >= 0:
            self.factorize(what)  # reports the same token and line as parse_run would

    def ids(self, what: str) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
        """(sorted distinct ids, codes): for the few query ids (which come in runs of lines)
        and judgment groups."""
        codes, first = self.factorize(what, runs=True)
        return unicode_from_utf8(self.buf, self.starts[first], self.ends[first], ascii=self.ascii), codes

    def vocabulary(self, what: str) -> tuple[Vocabulary, NDArray[np.int64]]:
        """(vocabulary, codes): for the many doc ids, kept as bytes."""
        codes, first = self.factorize(what)
        vocab = Vocabulary._from_utf8(self.buf, self.starts[first], self.ends[first], ascii=self.ascii)
        return vocab, codes

    def text(self, row: int) -> str:
        """The token of ``row`` as text, for error messages."""
        return _token(self.buf, self.starts[row], self.ends[row])


def _token(buf: NDArray[np.uint8], start: int, end: int) -> str:
    return buf[start:end].tobytes().decode("utf-8", errors="replace")


def _parse_scores(column: _Column, *, what: str = "score") -> NDArray[np.float64]:
    values, status = kernels.parse_floats(column.buf, column.starts, column.ends)

    def not_a_number(row: int) -> ParseError:
        text = column.text(row)
        return ParseError(f"{what} {text!r} is not a number", path=column.path, line=int(column.lines[row]))

    invalid = np.flatnonzero(status == kernels.NUMBER_INVALID)
    if invalid.size:
        raise not_a_number(int(invalid[0]))
    # > 19 significant digits, huge exponents, inf/nan: Python's correctly rounded parser
    for row in np.flatnonzero(status == kernels.NUMBER_NEEDS_SLOW_PATH).tolist():
        try:
            values[row] = float(column.text(row))
        except ValueError:
            raise not_a_number(row) from None
    nan = np.flatnonzero(np.isnan(values))
    if nan.size:
        line = int(column.lines[nan[0]])
        raise ParseError(f"{what} is NaN, which cannot be ranked", path=column.path, line=line)
    return values


def parse_run(source: Source, *, value_field: Literal["score", "rank"] = "score") -> ParsedLines:
    """Parse a TREC run (see the module docstring for the format and conventions).

    ``values`` are the score column, or with ``value_field="rank"`` the rank column (read as a
    number, with the score column's checks), for tools that take a file's ranks as given.
    """
    check_choice(value_field, name="value_field", choices=("score", "rank"))
    buf, path = read_source(source)
    value_column = 4 if value_field == "score" else 3
    qid, docno, value, tag = _split(buf, 6, 0, [0, 2, value_column, 5], path, "run")
    query_ids, query_codes = qid.ids("query id")
    doc_vocab, doc_codes = docno.vocabulary("docno")
    scores = _parse_scores(value, what=value_field)
    last_tag = tag.text(tag.lines.size - 1)
    return ParsedLines(query_ids, query_codes, doc_vocab, doc_codes, scores, qid.lines, last_tag, path)


def parse_run_rows(source: Source) -> RunRows:
    """Parse a TREC run like :func:`parse_run`, with the same checks and errors, but leave the
    doc ids as byte slices of the file instead of sorting them into a vocabulary.

    For consumers that only look doc ids up (an evaluation joins them with the qrels): sorting
    millions of doc ids is most of the cost of :func:`parse_run`. Lines are split and their
    scores parsed in one pass that keeps only the docno, the score, and the query id where it
    changes. Duplicate (query, doc) pairs are not detected here (:class:`~rank_core.Run` does
    that when it is built).
    """
    buf, path = read_source(source)
    doc_starts, doc_ends, scores, slow, heads, head_starts, head_ends, tag_start, tag_end, ok = (
        kernels.split_run_lines(buf, 4 * numba.get_num_threads())
    )
    if ok:
        ascii = bool(buf.max() < 0x80)
        head_codes, first = factorize_utf8(buf, head_starts, head_ends)
        ok = ascii or (
            first_invalid_utf8(buf, head_starts[first], head_ends[first]) < 0
            and first_invalid_utf8(buf, doc_starts, doc_ends) < 0
        )
    if ok:
        for row in np.flatnonzero(slow).tolist():  # > 19 significant digits, huge exponents, inf
            try:
                scores[row] = float(_token(buf, *kernels.score_field(buf, doc_ends[row])))
            except ValueError:
                ok = False
                break
        ok = ok and not np.isnan(scores).any()
    if not ok:  # something to report: the general reader finds it, as parse_run would
        return _run_rows_of_columns(buf, path)
    query_ids = unicode_from_utf8(buf, head_starts[first], head_ends[first], ascii=ascii)
    block_starts = np.append(heads, doc_starts.size)
    docs = Utf8Ids(buf, doc_starts, doc_ends)
    return RunRows(query_ids, block_starts, head_codes, docs, scores, _token(buf, tag_start, tag_end), path)


def _run_rows_of_columns(buf: NDArray[np.uint8], path: str | None) -> RunRows:
    """:func:`parse_run_rows` through the general field splitter (and its errors)."""
    qid, docno, score, tag = _split(buf, 6, 0, [0, 2, 4, 5], path, "run")
    query_ids, query_codes = qid.ids("query id")
    docno.check_utf8("docno")
    scores = _parse_scores(score)
    heads = np.flatnonzero(np.diff(query_codes, prepend=-1))
    block_starts = np.append(heads, query_codes.size)
    docs = Utf8Ids(docno.buf, docno.starts, docno.ends)
    return RunRows(query_ids, block_starts, query_codes[heads], docs, scores, tag.text(tag.lines.size - 1), path)


def _parse_qrels_columns(source: Source) -> tuple[ParsedLines, _Column]:
    """The parsed qrels, and the raw ``iter`` column for readers that give it a meaning."""
    buf, path = read_source(source)
    qid, iteration, docno, label = _split(buf, 4, 4, [0, 1, 2, 3], path, "qrels")
    relevance, valid = kernels.parse_ints(buf, label.starts, label.ends)
    if not valid.all():
        row = int(np.flatnonzero(~valid)[0])
        raise ParseError(
            f"relevance {label.text(row)!r} is not an integer", path=path, line=int(label.lines[row])
        )
    query_ids, query_codes = qid.ids("query id")
    doc_vocab, doc_codes = docno.vocabulary("docno")
    parsed = ParsedLines(query_ids, query_codes, doc_vocab, doc_codes, relevance, qid.lines, None, path)
    return parsed, iteration


def parse_qrels(source: Source) -> ParsedLines:
    """Parse a TREC qrels file (see the module docstring for the format and conventions)."""
    return _parse_qrels_columns(source)[0]


def parse_qrels_groups(source: Source) -> tuple[ParsedLines, NDArray[np.str_], NDArray[np.int64]]:
    """Parse a qrels file whose second column is a judgment group (trec_eval ``-R qrels_jg``).

    Returns the parsed lines plus the sorted group labels and each line's group code.
    """
    parsed, iteration = _parse_qrels_columns(source)
    groups, group_codes = iteration.ids("judgment group")
    return parsed, groups, group_codes


def check_writable(vocab: Vocabulary, *, what: str) -> None:
    """Raise if an id cannot be written as one TREC field (a blank inside, or a leading ``#``)."""
    bad = first_slice_with_blank(vocab._data, vocab._starts, vocab._ends)
    if bad >= 0:
        raise RankValueError(f"{what} {vocab[bad]!r} contains whitespace and cannot be written as a TREC field")
    if what == "query id":
        comment = np.flatnonzero(vocab._data[vocab._starts] == ord("#")) if len(vocab) else []
        if len(comment):
            raise RankValueError(
                f"query id {vocab[int(comment[0])]!r} starts with '#', which TREC readers take as a comment"
            )


@contextlib.contextmanager
def atomic_binary_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Open ``path`` for binary writing through a temporary file renamed into place on success.

    An existing file is never left half-written: on any error the temporary file is removed and
    the original stays as it was; the new file keeps the old one's permissions.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            yield raw
            raw.flush()
            os.fsync(raw.fileno())
        tmp.chmod(target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Open ``path`` for UTF-8 text writing, atomically as :func:`atomic_binary_writer`; a
    ``.gz`` suffix writes gzip."""
    with atomic_binary_writer(path) as raw:
        sink: IO[bytes] = (
            gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0)
            if Path(path).suffix == ".gz"
            else raw
        )
        handle = io.TextIOWrapper(sink, encoding="utf-8", newline="\n")
        yield handle
        handle.flush()
        handle.detach()
        if sink is not raw:
            sink.close()  # writes the gzip trailer; leaves ``raw`` open
