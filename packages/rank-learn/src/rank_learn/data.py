"""LETOR / svmlight files: a strict, compiled reader and an exact, atomic writer.

Format (svmlight, as LETOR 3.0/4.0, MSLR-WEB, Yahoo! LTR and LightGBM's examples use it)::

    <label> [qid:<query>] <index>:<value> <index>:<value> ... [# comment]

Conventions (:func:`load_svmlight`, also available as :func:`load_letor`):

- Tokens are separated by any run of blanks (space, tab, ``\\r``, ``\\v``, ``\\f``); blank lines
  and lines whose first non-blank byte is ``#`` are skipped; a ``#`` anywhere else starts the
  line's comment (as scikit-learn reads it). Gzip input is detected from the content.
- The label is a decimal number (scientific notation and signs allowed), read as float64:
  integer-ness is for the models to check. NaN and infinite labels are rejected.
- ``qid:<int>`` (optional, right after the label) is an integer query id. Either every data line
  has one or none has. Queries need not be sorted or contiguous: rows keep the file's order.
- Feature indices are non-negative integers, strictly increasing along a line (a duplicate or a
  decrease raises, as in scikit-learn); absent features are 0. ``zero_based`` follows
  scikit-learn: ``True``, index ``i`` is column ``i``; ``False``, index ``i`` is column
  ``i - 1``; ``"auto"`` (default), one-based unless an index 0 appears anywhere in the file
  (LightGBM, which reads indices as column numbers, corresponds to ``zero_based=True``).
- Values are decimal numbers, parsed exactly (correctly rounded to float64, then to ``dtype``).
  ``nan`` (any case) is accepted as a missing value, as LightGBM and XGBoost read it; infinite
  values, and values that overflow ``dtype``, are rejected.
- Without ``qid:`` columns, query groups come from a LightGBM group file (one group size per
  line, rows taken in file order): ``query_file=`` names it, otherwise ``<path>.query`` beside the
  data file is used when it exists, as LightGBM does (``query_file=False`` turns that off). The
  sizes must add up to the number of rows; groups get the query ids 0, 1, 2, ...
- Every problem raises :class:`~rank_core.errors.ParseError` (a ``ValueError``) with the file's
  ``path`` and the 1-based physical ``line`` (blank and comment lines counted), naming the token;
  the first bad line of the file is the one reported. A missing or unreadable file raises
  :class:`~rank_core.errors.ParseError` with ``line=None`` and the OS reason.

- ``comments=True`` also returns each row's comment, stripped of surrounding blanks (``""`` when
  a row has none); full comment lines belong to no row.

The parser is a numba kernel over the file's bytes, not a Python loop over lines: one pass
counts lines and ``:`` to size the buffers, a second parses; from 8 MiB up both run in parallel
over chunks of whole lines (rank-core's line chunking). Numbers that the fast decimal path of
rank-core leaves aside (more than 19 significant digits, exponents beyond +-19 such as
``1e-300``) are finished with Python's ``float``, so every value is correctly rounded.

:func:`dump_svmlight` writes the same format: nonzero features only, shortest round-trip decimal
for every number (integral values without ``.0``), so ``load_svmlight(dump_svmlight(...))``
gives back the same arrays exactly; the file is written to a temporary file and renamed into
place, so an existing file is never left half-written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple

import numba
import numpy as np
from numpy.typing import DTypeLike, NDArray

from rank_core._text import first_invalid_utf8, unicode_from_utf8
from rank_core.errors import (
    NonFiniteInputError,
    ParseError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.io_trec import Source, atomic_writer, read_source
from rank_core.optional import require
from rank_core.validation import as_array, check_k, check_same_length
from rank_learn._kernels import svmlight as kernels

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

__all__ = ["LetorData", "dump_svmlight", "load_letor", "load_svmlight"]

ZeroBased = bool | Literal["auto"]
QueryFile = str | os.PathLike[str] | Literal[False] | None

_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_TOKEN_SHOWN = 60  # longer tokens are cut in error messages
# Smaller inputs are parsed by one thread (rank-core's line chunking would give them at most
# a few chunks of >= 1 MiB): there a parallel launch costs about what it saves on an idle
# machine, and much more on a busy one (its threads wait for each other).
_PARALLEL_FROM = 8 << 20


class LetorData(NamedTuple):
    """A LETOR / svmlight file as arrays (see :func:`load_svmlight`).

    - ``X``: the features, a C-contiguous ``(n_rows, n_features)`` array of the requested dtype,
      or a ``scipy.sparse.csr_matrix`` with ``sparse=True``;
    - ``y``: the labels, float64;
    - ``qid``: the query id of every row (int64), or ``None`` when the file has no ``qid:`` and no
      group file was read;
    - ``comments``: with ``comments=True``, the text after ``#`` on every row (stripped; ``""``
      for a row without one), else ``None``.
    """

    X: NDArray[np.floating[Any]] | csr_matrix
    y: NDArray[np.float64]
    qid: NDArray[np.int64] | None
    comments: list[str] | None


# ---------------------------------------------------------------------------------------------
# reading


def _shown(buf: NDArray[np.uint8], start: int, end: int) -> str:
    text = buf[start : min(end, start + _TOKEN_SHOWN)].tobytes().decode("utf-8", errors="replace")
    return repr(text + "..." if end - start > _TOKEN_SHOWN else text)


def _message(status: int, token: str, aux: int) -> str:
    k = kernels
    messages = {
        k.MISSING_LABEL: f"missing label: the line starts with {token}, not a number",
        k.BAD_LABEL: f"label {token} is not a number",
        k.LABEL_NOT_FINITE: f"label {token} is not a finite number",
        k.BAD_QID: f"{token}: the query id after 'qid:' must be an integer",
        k.MISPLACED_QID: f"{token}: 'qid:' must come right after the label",
        k.NO_COLON: f"feature {token} is not index:value",
        k.MISSING_INDEX: f"feature {token} has no index before ':'",
        k.BAD_INDEX: f"feature {token}: the index is not a non-negative integer",
        k.NEGATIVE_INDEX: f"feature {token}: negative feature index",
        k.INDEX_TOO_LARGE: f"feature {token}: the index has more than 18 digits",
        k.MISSING_VALUE: f"feature {token} has no value after ':'",
        k.BAD_VALUE: f"feature {token}: the value is not a number",
        k.VALUE_INFINITE: f"feature {token}: infinite value (nan is read as missing, inf is rejected)",
        k.DUPLICATE_INDEX: f"feature {token}: duplicate feature index (indices must increase along a line)",
        k.UNSORTED_INDEX: f"feature {token}: the index follows index {aux} (indices must increase along a line)",
    }
    return messages[status]


class _Parsed(NamedTuple):
    """What :func:`kernels.parse_chunks` wrote, per chunk slot (rows and entries with gaps)."""

    buf: NDArray[np.uint8]
    path: str | None
    info: NDArray[np.int64]
    row_slots: NDArray[np.int64]  # first row slot of each chunk
    entry_slots: NDArray[np.int64]  # first entry slot of each chunk
    serial: bool  # one chunk, parsed without a parallel launch
    labels: NDArray[np.float64]
    qids: NDArray[np.int64]
    lines: NDArray[np.int64]
    offsets: NDArray[np.int64]
    row_starts: NDArray[np.int64]
    row_ends: NDArray[np.int64]
    comment_starts: NDArray[np.int64]
    comment_ends: NDArray[np.int64]
    slow: NDArray[np.bool_]
    indices: NDArray[np.int64]
    values: NDArray[np.float64]

    def rows(self, last_chunk: int | None = None) -> NDArray[np.int64]:
        """The slots of the rows written (by chunks up to ``last_chunk``), in file order."""
        counts = self.info[:, kernels.N_ROWS]
        stop = len(counts) if last_chunk is None else last_chunk + 1
        if stop == 1:
            return np.arange(self.row_slots[0], self.row_slots[0] + counts[0])
        return np.concatenate(
            [np.arange(s, s + n) for s, n in zip(self.row_slots[:stop], counts[:stop], strict=True)]
        )

    def slow_values(
        self, rows: NDArray[np.int64], dtype: np.dtype[Any]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], list[float]]:
        """Python's ``float`` of the tokens the kernel left in ``rows`` (slots, in file order);
        raises at the first one that is not a finite number of ``dtype``."""
        positions = np.empty(0, dtype=np.int64)
        rows = rows[self.slow[rows]]
        if rows.size == 0:
            return rows, positions, []
        which, positions, starts, ends = kernels.slow_tokens(self.buf, self.offsets[rows])
        numbers = []
        for row, position, start, end in zip(
            which.tolist(), positions.tolist(), starts.tolist(), ends.tolist(), strict=True
        ):
            value = float(self.buf[start:end].tobytes())
            with np.errstate(over="ignore"):
                stored = value if position < 0 else dtype.type(value)  # labels stay float64
            if not np.isfinite(stored):
                line = int(self.lines[rows[row]])
                if position < 0:
                    message = f"label {_shown(self.buf, start, end)} is not a finite number"
                elif np.isfinite(value):
                    message = f"feature value {_shown(self.buf, start, end)} overflows {dtype.name}"
                else:
                    message = (
                        f"feature value {_shown(self.buf, start, end)} overflows float64 (infinite)"
                    )
                raise ParseError(message, path=self.path, line=line)
            numbers.append(value)
        return rows[which], positions, numbers

    def fail(self, line: int, message: str, last_chunk: int, dtype: np.dtype[Any]) -> ParseError:
        """The error to raise for a problem found at ``line``, unless a number the kernel left to
        Python on an earlier line is bad (then :meth:`slow_values` raises that one)."""
        rows = self.rows(last_chunk)
        self.slow_values(rows[self.lines[rows] < line], dtype)
        return ParseError(message, path=self.path, line=line)


def _parse(buf: NDArray[np.uint8], path: str | None) -> _Parsed:
    threads = numba.get_num_threads()
    serial = threads == 1 or buf.size < _PARALLEL_FROM
    if serial:
        total_lines, colons = kernels.count_lines(buf)
        bounds = np.array([0, buf.size], dtype=np.int64)
        first_lines = np.ones(1, dtype=np.int64)
        entry_slots = np.array([0, colons], dtype=np.int64)
    else:
        bounds, first_lines, total_lines, entry_slots = kernels.plan_chunks(buf, 4 * threads)

    # the per-row arrays (labels; qids, lines, offsets, row_starts, row_ends, comment_starts,
    # comment_ends; slow), then the per-entry ones (indices, values), as _Parsed lists them
    n_entries = int(entry_slots[-1])
    arrays = (
        np.empty(total_lines, dtype=np.float64),
        *(np.empty(total_lines, dtype=np.int64) for _ in range(7)),
        np.empty(total_lines, dtype=np.bool_),
        np.empty(n_entries, dtype=np.int64),
        np.empty(n_entries, dtype=np.float64),
    )
    if serial:
        info = np.zeros((1, kernels.N_INFO), dtype=np.int64)
        kernels.parse_chunk(buf, 0, buf.size, 1, 0, 0, *arrays, info[0])
    else:
        info = kernels.parse_chunks(buf, bounds, first_lines, entry_slots, *arrays)
    return _Parsed(buf, path, info, first_lines - 1, entry_slots, serial, *arrays)


def _check(parsed: _Parsed, dtype: np.dtype[Any], zero_based: ZeroBased) -> None:
    """Raise the first problem of the file: chunks are in file order, and within the first chunk
    holding one, the earliest of its bad token, a ``qid:`` presence unlike the file's first data
    line, and an index 0 with ``zero_based=False``."""
    info = parsed.info
    mode = first_line = None
    for c in range(info.shape[0]):
        chunk = info[c]
        problems: list[tuple[int, str]] = []
        chunk_mode = int(chunk[kernels.QID_MODE])
        if chunk_mode >= 0 and mode is None:
            mode, first_line = chunk_mode, int(parsed.lines[parsed.row_slots[c]])
        mixed = (
            f"this line has no 'qid:' but the first data line (line {first_line}) has one"
            if mode
            else f"this line has 'qid:' but the first data line (line {first_line}) has none"
        ) + ": either every line has a query id or none"
        if chunk_mode >= 0 and chunk_mode != mode:
            problems.append((int(parsed.lines[parsed.row_slots[c]]), mixed))
        status = int(chunk[kernels.STATUS])
        if status == kernels.MIXED_QID:
            problems.append((int(chunk[kernels.STATUS_LINE]), mixed))
        elif status != kernels.OK:
            start, end = int(chunk[kernels.TOKEN_START]), int(chunk[kernels.TOKEN_END])
            message = _message(status, _shown(parsed.buf, start, end), int(chunk[kernels.AUX]))
            problems.append((int(chunk[kernels.STATUS_LINE]), message))
        if zero_based is False and chunk[kernels.ZERO_INDEX_LINE]:
            message = "feature index 0 in a one-based file (zero_based=False): indices start at 1"
            problems.append((int(chunk[kernels.ZERO_INDEX_LINE]), message))
        if problems:
            line, message = min(problems, key=lambda problem: problem[0])
            raise parsed.fail(line, message, c, dtype)


def _group_sizes(path: str | os.PathLike[str]) -> NDArray[np.int64]:
    """The group sizes of a LightGBM query file: one positive integer per line (blank and ``#``
    lines skipped). Read by the svmlight kernel: each size is a line holding only a label."""
    buf, name = read_source(path)
    parsed = _parse(buf, name)
    info = parsed.info
    failed = np.flatnonzero(info[:, kernels.STATUS] != kernels.OK)
    if failed.size:
        chunk = info[int(failed[0])]
        token = _shown(buf, int(chunk[kernels.TOKEN_START]), int(chunk[kernels.TOKEN_END]))
        line = int(chunk[kernels.STATUS_LINE])
        if chunk[kernels.STATUS] in (
            kernels.MISSING_LABEL,
            kernels.BAD_LABEL,
            kernels.LABEL_NOT_FINITE,
        ):
            raise ParseError(f"group size {token} is not a positive integer", path=name, line=line)
        after = (
            f", found {token} after it"
            if chunk[kernels.TOKEN_END] > chunk[kernels.TOKEN_START]
            else ""
        )
        raise ParseError(f"expected one group size per line{after}", path=name, line=line)
    rows = parsed.rows()
    sizes = parsed.labels[rows]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~((sizes > 0) & (sizes == np.floor(sizes)) & (sizes < 2**53)))
    if bad.size:
        row = int(rows[bad[0]])
        offset = int(parsed.offsets[row])
        text = buf[offset : offset + _TOKEN_SHOWN].tobytes().split(b"\n")[0].split(b"#")[0].strip()
        token = repr(text.decode("utf-8", errors="replace"))
        raise ParseError(
            f"group size {token} is not a positive integer", path=name, line=int(parsed.lines[row])
        )
    return sizes.astype(np.int64)


def _groups_to_qid(
    query_path: str | os.PathLike[str], n_rows: int, data_path: str | None
) -> NDArray[np.int64]:
    sizes = _group_sizes(query_path)
    total = int(sizes.sum())
    if total != n_rows:
        raise ParseError(
            f"the {sizes.size} group sizes add up to {total} rows but "
            f"{data_path or 'the data'} has {n_rows} rows",
            path=query_path,
        )
    return np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)


def _check_groups_match(
    query_path: str | os.PathLike[str], qid: NDArray[np.int64], data_path: str | None
) -> None:
    sizes = _group_sizes(query_path)
    heads = np.flatnonzero(np.diff(qid, prepend=qid[:1] - 1)) if qid.size else qid
    blocks = np.diff(np.append(heads, qid.size))
    if not np.array_equal(sizes, blocks):
        raise ParseError(
            f"the group sizes disagree with the 'qid:' column of {data_path or 'the data'} "
            f"({sizes.size} groups for {blocks.size} query blocks)",
            path=query_path,
        )


def _check_zero_based(zero_based: Any) -> ZeroBased:
    if zero_based is True or zero_based is False:
        return zero_based
    if isinstance(zero_based, str) and zero_based == "auto":
        return "auto"
    raise RankValueError(f"zero_based must be True, False or 'auto'; got {zero_based!r}")


def _check_dtype(dtype: Any) -> np.dtype[Any]:
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise RankTypeError(f"dtype must be float64 or float32, got {dtype!r}") from exc
    if resolved not in _DTYPES:
        raise RankValueError(f"dtype must be float64 or float32, got {resolved}")
    return resolved


def _check_flag(value: Any, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise RankTypeError(f"{name} must be a bool, got {type(value).__name__}")
    return bool(value)


def load_svmlight(
    path: Source,
    *,
    n_features: int | None = None,
    zero_based: ZeroBased = "auto",
    dtype: DTypeLike = np.float64,
    sparse: bool = False,
    query_file: QueryFile = None,
    comments: bool = False,
) -> LetorData:
    """Read a LETOR / svmlight file (see the module docstring for the format and conventions).

    Parameters
    ----------
    path
        A file path, or the file's bytes, or a binary / text file object (gzip is detected).
    n_features
        The number of columns of ``X``; ``None`` infers it from the largest feature index. A
        value smaller than the file needs raises :class:`~rank_core.errors.RankValueError`.
    zero_based
        ``True``: index ``i`` is column ``i``; ``False``: column ``i - 1`` (index 0 then raises);
        ``"auto"``: ``False`` unless an index 0 appears (scikit-learn's rule).
    dtype
        ``np.float64`` or ``np.float32``, the dtype of ``X`` (labels are always float64).
    sparse
        Return ``X`` as a ``scipy.sparse.csr_matrix`` (needs ``pip install "rank-learn[sparse]"``);
        entries written in the file are kept, explicit zeros included, as scikit-learn does.
    query_file
        A LightGBM group file giving the queries of a file without ``qid:``. ``None`` (default)
        reads ``<path>.query`` when it exists; ``False`` never reads one. Given for a file that
        has ``qid:``, it must agree with the file's query blocks.
    comments
        Also return each row's comment (the text after ``#``).

    Returns
    -------
    LetorData
        ``(X, y, qid, comments)``; ``qid`` is ``None`` without ``qid:`` and without group file.
    """
    n_features = check_k(n_features, name="n_features", allow_none=True)
    zero_based = _check_zero_based(zero_based)
    out_dtype = _check_dtype(dtype)
    sparse = _check_flag(sparse, "sparse")
    comments = _check_flag(comments, "comments")
    if not (
        query_file is None or query_file is False or isinstance(query_file, (str, os.PathLike))
    ):
        raise RankTypeError(
            f"query_file must be a path, None or False, got {type(query_file).__name__}"
        )
    scipy_sparse = (
        require("scipy.sparse", feature="sparse=True", distribution="rank-learn", extra="sparse")
        if sparse
        else None
    )

    buf, name = read_source(path)
    parsed = _parse(buf, name)
    _check(parsed, out_dtype, zero_based)
    info = parsed.info
    if zero_based == "auto":
        zero_based = bool(info[:, kernels.ZERO_INDEX_LINE].any())
    rows = parsed.rows()
    slow_rows, slow_positions, slow_numbers = parsed.slow_values(rows, out_dtype)

    offset = 0 if zero_based else 1
    max_index = int(info[:, kernels.MAX_INDEX].max())
    needed = max_index + 1 - offset if max_index >= 0 else 0
    if n_features is None:
        n_features = needed
    elif n_features < needed:
        chunk = int(np.argmax(info[:, kernels.MAX_INDEX]))
        raise RankValueError(
            f"n_features={n_features} is too small: {name or 'the input'} has feature index "
            f"{max_index} (line {int(info[chunk, kernels.MAX_INDEX_LINE])}), which needs "
            f"n_features >= {needed} with zero_based={zero_based}"
        )

    y = parsed.labels[rows]
    row_starts, row_ends = parsed.row_starts[rows], parsed.row_ends[rows]
    numbers = np.array(slow_numbers, dtype=np.float64)
    labels_fixed = slow_positions < 0
    if numbers.size:  # put Python's numbers in place of the kernel's placeholders
        position_of_slot = np.full(parsed.labels.size, -1, dtype=np.int64)
        position_of_slot[rows] = np.arange(rows.size)
        y[position_of_slot[slow_rows[labels_fixed]]] = numbers[labels_fixed]
        entries = parsed.row_starts[slow_rows[~labels_fixed]] + slow_positions[~labels_fixed]
        parsed.values[entries] = numbers[~labels_fixed]

    X: Any
    if sparse:
        assert scipy_sparse is not None
        runs = [
            (int(parsed.entry_slots[c]), int(info[c, kernels.N_ENTRIES]))
            for c in range(info.shape[0])
        ]
        data = np.concatenate([parsed.values[s : s + n] for s, n in runs]).astype(
            out_dtype, copy=False
        )
        index_dtype = np.int32 if max(n_features, data.size) < np.iinfo(np.int32).max else np.int64
        indices = np.concatenate([parsed.indices[s : s + n] for s, n in runs])
        indices = (indices - offset).astype(index_dtype)
        indptr = np.zeros(rows.size + 1, dtype=index_dtype)
        np.cumsum(row_ends - row_starts, out=indptr[1:])
        X = scipy_sparse.csr_matrix((data, indices, indptr), shape=(rows.size, n_features))
    else:
        X = np.zeros((rows.size, n_features), dtype=out_dtype)
        scatter = kernels.scatter_dense_serial if parsed.serial else kernels.scatter_dense
        scatter(row_starts, row_ends, parsed.indices, parsed.values, offset, X)
    if out_dtype != np.float64:  # (the kernel's numbers fit float32; Python checked the others)
        _check_cast(X.data if sparse else X, X.indptr if sparse else None, parsed, rows, out_dtype)

    qid: NDArray[np.int64] | None = None
    has_qid = bool((info[:, kernels.QID_MODE] == 1).any())
    if has_qid:
        qid = parsed.qids[rows]
        if query_file is not None and query_file is not False:
            _check_groups_match(query_file, qid, name)
    elif query_file is not None and query_file is not False:
        qid = _groups_to_qid(query_file, rows.size, name)
    elif query_file is None and isinstance(path, (str, os.PathLike)):
        sibling = Path(f"{os.fspath(path)}.query")
        if sibling.is_file():
            qid = _groups_to_qid(sibling, rows.size, name)

    texts = _comments(parsed, rows) if comments else None
    return LetorData(X, y, qid, texts)


def _check_cast(
    values: NDArray[Any],
    indptr: NDArray[Any] | None,
    parsed: _Parsed,
    rows: NDArray[np.int64],
    dtype: np.dtype[Any],
) -> None:
    """Raise at the first value that became infinite when cast to ``dtype``."""
    infinite = np.flatnonzero(np.isinf(values).ravel())
    if infinite.size:
        first = int(infinite[0])
        row = (
            first // values.shape[1]
            if indptr is None
            else int(np.searchsorted(indptr, first, side="right")) - 1
        )
        line = int(parsed.lines[rows[row]])
        raise ParseError(f"a feature value overflows {dtype.name}", path=parsed.path, line=line)


#: The same function as :func:`load_svmlight`, under the name LETOR users look for.
load_letor = load_svmlight


def _comments(parsed: _Parsed, rows: NDArray[np.int64]) -> list[str]:
    starts = parsed.comment_starts[rows]
    ends = np.where(starts < 0, 0, parsed.comment_ends[rows])
    starts = np.maximum(starts, 0)
    bad = first_invalid_utf8(parsed.buf, starts, ends)
    if bad >= 0:
        line = int(parsed.lines[rows[bad]])
        raise ParseError(
            "the comment is not valid UTF-8 text (or holds a NUL byte)", path=parsed.path, line=line
        )
    if not (ends > starts).any():  # (rank-core's decoder needs one non-empty slice)
        return [""] * rows.size
    ascii = bool(parsed.buf.max() < 0x80)
    return unicode_from_utf8(parsed.buf, starts, ends, ascii=ascii).tolist()


# ---------------------------------------------------------------------------------------------
# writing


def _is_sparse(X: Any) -> bool:
    return type(X).__module__.startswith("scipy.sparse") and hasattr(X, "tocsr")


def _entries(X: Any) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.floating[Any]], int]:
    """``(indptr, columns, values, n_rows)`` of the nonzero entries of ``X``, rows in order and
    columns increasing; values keep float32, anything else becomes float64."""
    if _is_sparse(X):
        if X.ndim != 2:
            raise ShapeMismatchError(f"X must be 2-dimensional, got shape {X.shape}")
        kind = X.dtype.kind
        if kind not in "biuf":
            raise RankTypeError(f"X must hold numbers, got a sparse matrix of dtype {X.dtype}")
        csr = X.tocsr(copy=True)
        csr.sum_duplicates()  # also sorts the column indices
        csr.eliminate_zeros()
        values = np.asarray(csr.data, dtype=np.float32 if csr.dtype == np.float32 else np.float64)
        return csr.indptr.astype(np.int64), csr.indices.astype(np.int64), values, csr.shape[0]
    dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
    dense = as_array(X, name="X", dtype=dtype, ndim=2, finite=False)
    nonzero = dense != 0  # NaN included: written as nan
    indptr = np.zeros(dense.shape[0] + 1, dtype=np.int64)
    np.cumsum(nonzero.sum(axis=1), out=indptr[1:])
    return indptr, np.nonzero(nonzero)[1].astype(np.int64), dense[nonzero], dense.shape[0]


def _format_numbers(values: NDArray[np.floating[Any]]) -> list[str]:
    """The shortest decimal text that reads back as each value (``nan`` for NaN): integral values
    (below 1e16) as integers, others as ``repr``; float32 values use their shortest float32 text
    when it reads back exactly through float64 (as the parser reads it), else the float64 text
    of the same value."""
    wide = values.astype(np.float64)
    with np.errstate(invalid="ignore"):
        integral = (wide == np.trunc(wide)) & (np.abs(wide) < 1e16)
    texts = np.empty(values.size, dtype=object)
    texts[integral] = list(map(str, wide[integral].astype(np.int64).tolist()))
    rest = ~integral
    others = np.array(list(map(repr, wide[rest].tolist())), dtype=object)
    if values.dtype == np.float32 and others.size:
        short = values[rest].astype(str)
        exact = short.astype(np.float64).astype(np.float32) == values[rest]
        others[exact] = short[exact].tolist()
    texts[rest] = others
    return texts.tolist()


def _check_comments(comments: Sequence[str | None] | None, n_rows: int) -> list[str | None] | None:
    if comments is None:
        return None
    if isinstance(comments, (str, bytes)):
        raise RankTypeError("comments must be a sequence of str (one per row), not a single string")
    items = list(comments)
    check_same_length(X=range(n_rows), comments=items)
    for row, text in enumerate(items):
        if text is None:
            continue
        if not isinstance(text, str):
            raise RankTypeError(f"comments[{row}] must be a str or None, got {type(text).__name__}")
        if "\n" in text or "\r" in text:
            raise RankValueError(f"comments[{row}] holds a line break, which would end the line")
    return items


def _query_blocks(qid: NDArray[np.int64]) -> NDArray[np.int64]:
    """The group sizes of ``qid``; raises if a query's rows are not contiguous."""
    if qid.size == 0:
        return qid
    heads = np.flatnonzero(np.diff(qid, prepend=qid[0] - 1))
    block_qids = qid[heads]
    unique, first = np.unique(block_qids, return_index=True)
    if unique.size != block_qids.size:
        seen = np.zeros(block_qids.size, dtype=bool)
        seen[first] = True
        again = int(np.flatnonzero(~seen)[0])
        raise RankValueError(
            f"query_file=True needs each query's rows together, but qid {int(block_qids[again])} "
            f"appears again at row {int(heads[again])} after other queries"
        )
    return np.diff(np.append(heads, qid.size))


def dump_svmlight(
    path: str | os.PathLike[str],
    X: Any,
    y: Any,
    qid: Any = None,
    *,
    zero_based: bool = False,
    query_file: bool = False,
    comments: Sequence[str | None] | None = None,
) -> None:
    """Write ``X``, ``y`` (and ``qid``) as a LETOR / svmlight file.

    ``X`` is a 2-D array or a scipy sparse matrix; only its nonzero entries are written (NaN as
    ``nan``; infinite values raise). Numbers are written as the shortest decimal that reads back
    exactly, integral ones without ``.0`` (``2 qid:1 1:0.5``). ``zero_based=False`` (default,
    LETOR's convention) writes column ``j`` as index ``j + 1``. ``qid`` adds the ``qid:`` column;
    ``query_file=True`` also writes LightGBM's ``<path>.query`` (group sizes, which needs every
    query's rows to be contiguous). ``comments`` gives one ``str`` (or ``None``) per row, written
    after ``#``. A ``.gz`` path is written gzip-compressed. Files are written atomically: on any
    error no file is created and an existing one is left as it was.
    """
    zero_based = _check_flag(zero_based, "zero_based")
    query_file = _check_flag(query_file, "query_file")
    indptr, columns, values, n_rows = _entries(X)
    if np.isinf(values).any():
        raise NonFiniteInputError("X must not contain infinity (NaN is written as a missing value)")
    labels = as_array(y, name="y", ndim=1)
    check_same_length(X=range(n_rows), y=labels)
    queries = None
    if qid is not None:
        queries = as_array(qid, name="qid", dtype=np.int64, ndim=1)
        check_same_length(X=range(n_rows), qid=queries)
    elif query_file:
        raise RankValueError("query_file=True needs qid (the group sizes come from it)")
    sizes = _query_blocks(queries) if query_file and queries is not None else None
    notes = _check_comments(comments, n_rows)

    with contextlib.ExitStack() as stack:
        out = stack.enter_context(atomic_writer(path))
        groups = (
            stack.enter_context(atomic_writer(f"{os.fspath(path)}.query"))
            if sizes is not None
            else None
        )
        _write_rows(out, indptr, columns + (0 if zero_based else 1), values, labels, queries, notes)
        if groups is not None:
            assert sizes is not None
            groups.write("".join(f"{size}\n" for size in sizes.tolist()))


def _write_rows(
    out: IO[str],
    indptr: NDArray[np.int64],
    indices: NDArray[np.int64],
    values: NDArray[np.floating[Any]],
    labels: NDArray[np.float64],
    queries: NDArray[np.int64] | None,
    notes: list[str | None] | None,
    block: int = 1 << 18,
) -> None:
    """Write the lines, about ``block`` entries at a time."""
    n_rows = labels.size
    heads = _format_numbers(labels)
    if queries is not None:
        heads = [f"{head} qid:{q}" for head, q in zip(heads, queries.tolist(), strict=True)]
    first = 0
    while first < n_rows:
        last = int(np.searchsorted(indptr, indptr[first] + block, side="right"))
        last = min(max(last - 1, first + 1), n_rows)
        lo, hi = int(indptr[first]), int(indptr[last])
        used, inverse = np.unique(indices[lo:hi], return_inverse=True)
        prefixes = np.array([f"{index}:" for index in used.tolist()], dtype=object)
        tokens = list(map(str.__add__, prefixes[inverse].tolist(), _format_numbers(values[lo:hi])))
        lines = []
        for row in range(first, last):
            a, b = int(indptr[row]) - lo, int(indptr[row + 1]) - lo
            line = f"{heads[row]} {' '.join(tokens[a:b])}" if b > a else heads[row]
            note = notes[row] if notes is not None else None
            lines.append(f"{line} # {note}\n" if note else f"{line}\n")
        out.write("".join(lines))
        first = last


def _warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel behind this module: the serial
    reader, the parallel one (used from 2 MiB up) and the slow-number path."""
    text = b"1 qid:3 1:0.5 3:1e-300 # c\n\n# full comment\n0 qid:3 2:nan\n"
    load_svmlight(text)
    buf = np.frombuffer(text, dtype=np.uint8)
    buf.flags.writeable = False  # as read_source returns it
    bounds, first_lines, total_lines, entry_slots = kernels.plan_chunks(buf, 2)
    per_row = [np.empty(total_lines, dtype=np.int64) for _ in range(7)]
    entries = (
        np.empty(entry_slots[-1], dtype=np.int64),
        np.empty(entry_slots[-1], dtype=np.float64),
    )
    kernels.parse_chunks(
        buf,
        bounds,
        first_lines,
        entry_slots,
        np.empty(total_lines),
        *per_row,
        np.empty(total_lines, dtype=np.bool_),
        *entries,
    )
    for dtype in _DTYPES:
        for scatter in (kernels.scatter_dense, kernels.scatter_dense_serial):
            scatter(per_row[3][:0], per_row[4][:0], *entries, 1, np.zeros((0, 1), dtype=dtype))
