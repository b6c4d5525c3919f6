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
  trec_eval counts only data lines.
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
from typing import IO, Any, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core._kernels import trec as kernels
from rank_core._text import (
    factorize_byte_tokens,
    first_invalid_utf8,
    first_with_blank,
    unicode_from_utf8,
)
from rank_core.errors import ParseError, RankTypeError, RankValueError
from rank_core.vocabulary import Vocabulary

__all__ = [
    "ParsedLines",
    "atomic_writer",
    "check_writable",
    "parse_qrels",
    "parse_qrels_groups",
    "parse_run",
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


def read_source(source: Source) -> tuple[NDArray[np.uint8], str | None]:
    """The bytes of a path or file object (gunzipped if gzip), and a name for error messages."""
    if isinstance(source, (str, os.PathLike)):
        name: str | None = os.fspath(source)
        try:
            data = Path(source).read_bytes()
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
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ParseError(f"corrupt gzip data: {exc}", path=name) from exc
    return np.frombuffer(data, dtype=np.uint8), name


_LAYOUT = {
    "run": "qid iter docno rank score tag",
    "qrels": "qid iter docno relevance",
}


def _split(buf: NDArray[np.uint8], n_fields: int, max_fields: int, columns: list[int], path: str | None, kind: str):
    """Byte ranges of fields ``columns`` of every data line (one row per field), and line numbers."""
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
    return starts, ends, lines


def _factorize(buf, starts, ends, lines, path, what) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(codes, first)`` of a column of tokens, after checking the distinct ones are UTF-8 text."""
    codes, first = factorize_byte_tokens(buf, starts, ends)
    bad = first_invalid_utf8(buf, starts[first], ends[first])
    if bad >= 0:
        row = int(first[bad])
        raise ParseError(f"{what} is not valid UTF-8 text", path=path, line=int(lines[row]))
    return codes, first


def _ids(buf, starts, ends, lines, path, what) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """A column of ids as (sorted distinct ids, codes): for the few query ids and groups."""
    codes, first = _factorize(buf, starts, ends, lines, path, what)
    ascii = bool(buf.max(initial=0) < 0x80)
    return unicode_from_utf8(buf, starts[first], ends[first], ascii=ascii), codes


def _vocabulary(buf, starts, ends, lines, path, what) -> tuple[Vocabulary, NDArray[np.int64]]:
    """A column of ids as (vocabulary, codes): for the many doc ids (kept as bytes)."""
    codes, first = _factorize(buf, starts, ends, lines, path, what)
    return Vocabulary._from_tokens(buf, starts[first], ends[first]), codes


def _token(buf: NDArray[np.uint8], start: int, end: int) -> str:
    return buf[start:end].tobytes().decode("utf-8", errors="replace")


def _parse_scores(buf, starts, ends, lines, path) -> NDArray[np.float64]:
    values, status = kernels.parse_floats(buf, starts, ends)
    invalid = np.flatnonzero(status == kernels.NUMBER_INVALID)
    if invalid.size:
        row = int(invalid[0])
        raise ParseError(
            f"score {_token(buf, starts[row], ends[row])!r} is not a number",
            path=path,
            line=int(lines[row]),
        )
    slow = np.flatnonzero(status == kernels.NUMBER_NEEDS_SLOW_PATH)
    # >15 significant digits, large exponents, inf/nan: Python's correctly rounded parser
    for r in slow.tolist():
        text = buf[starts[r] : ends[r]].tobytes()
        try:
            values[r] = float(text)
        except ValueError:
            raise ParseError(f"score {_token(buf, starts[r], ends[r])!r} is not a number", path=path, line=int(lines[r])) from None
    nan = np.flatnonzero(np.isnan(values))
    if nan.size:
        raise ParseError("score is NaN, which cannot be ranked", path=path, line=int(lines[nan[0]]))
    return values


def parse_run(source: Source) -> ParsedLines:
    """Parse a TREC run (see the module docstring for the format and conventions)."""
    buf, path = read_source(source)
    starts, ends, lines = _split(buf, 6, 0, [0, 2, 4, 5], path, "run")  # qid, docno, score, tag
    query_ids, query_codes = _ids(buf, starts[0], ends[0], lines, path, "query id")
    doc_vocab, doc_codes = _vocabulary(buf, starts[1], ends[1], lines, path, "docno")
    scores = _parse_scores(buf, starts[2], ends[2], lines, path)
    tag = _token(buf, starts[3, -1], ends[3, -1])
    return ParsedLines(query_ids, query_codes, doc_vocab, doc_codes, scores, lines, tag, path)


def _parse_qrels_columns(source: Source):
    buf, path = read_source(source)
    starts, ends, lines = _split(buf, 4, 4, [0, 1, 2, 3], path, "qrels")
    relevance, valid = kernels.parse_ints(buf, starts[3], ends[3])
    if not valid.all():
        row = int(np.flatnonzero(~valid)[0])
        raise ParseError(
            f"relevance {_token(buf, starts[3, row], ends[3, row])!r} is not an integer",
            path=path,
            line=int(lines[row]),
        )
    query_ids, query_codes = _ids(buf, starts[0], ends[0], lines, path, "query id")
    doc_vocab, doc_codes = _vocabulary(buf, starts[2], ends[2], lines, path, "docno")
    parsed = ParsedLines(query_ids, query_codes, doc_vocab, doc_codes, relevance, lines, None, path)
    return parsed, buf, starts, ends, lines, path


def parse_qrels(source: Source) -> ParsedLines:
    """Parse a TREC qrels file (see the module docstring for the format and conventions)."""
    return _parse_qrels_columns(source)[0]


def parse_qrels_groups(source: Source) -> tuple[ParsedLines, NDArray[np.str_], NDArray[np.int64]]:
    """Parse a qrels file whose second column is a judgment group (trec_eval ``-R qrels_jg``).

    Returns the parsed lines plus the sorted group labels and each line's group code.
    """
    parsed, buf, starts, ends, lines, path = _parse_qrels_columns(source)
    groups, group_codes = _ids(buf, starts[1], ends[1], lines, path, "judgment group")
    return parsed, groups, group_codes


def check_writable(vocab: Vocabulary, *, what: str) -> None:
    """Raise if an id cannot be written as one TREC field (a blank inside, or a leading ``#``)."""
    bad = first_with_blank(vocab._data, vocab._starts, vocab._ends)
    if bad >= 0:
        raise RankValueError(f"{what} {vocab[bad]!r} contains whitespace and cannot be written as a TREC field")
    if what == "query id":
        comment = np.flatnonzero(vocab._data[vocab._starts] == ord("#")) if len(vocab) else []
        if len(comment):
            raise RankValueError(
                f"query id {vocab[int(comment[0])]!r} starts with '#', which TREC readers take as a comment"
            )


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """Open ``path`` for UTF-8 text writing through a temporary file renamed into place on success.

    An existing file is never left half-written: on any error the temporary file is removed and
    the original stays as it was. A ``.gz`` suffix writes gzip.
    """
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            sink: IO[bytes] = (
                gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0)
                if target.suffix == ".gz"
                else raw
            )
            handle = io.TextIOWrapper(sink, encoding="utf-8", newline="\n")
            yield handle
            handle.flush()
            handle.detach()
            if sink is not raw:
                sink.close()  # writes the gzip trailer; leaves ``raw`` open
            raw.flush()
            os.fsync(raw.fileno())
        tmp.chmod(target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
