"""Naive pure-Python oracles for rank_learn.data: an svmlight reader and writer, line by line.

They follow the conventions of :mod:`rank_learn.data` literally (regular expressions, ``float``,
``int``), with no concern for speed, so the compiled reader and the vectorised writer can be
checked against them.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

BLANKS = b" \t\r\v\f"
NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
SPECIAL = re.compile(rb"[+-]?(nan|inf|infinity)", re.IGNORECASE)
QID = re.compile(rb"[+-]?\d{1,18}")


class ReferenceError(Exception):
    """A file the reference reader rejects: ``kind`` names the problem, ``line`` is 1-based."""

    def __init__(self, kind: str, line: int) -> None:
        super().__init__(f"{kind} at line {line}")
        self.kind = kind
        self.line = line


def _number(token: bytes) -> float | None:
    if NUMBER.fullmatch(token) or SPECIAL.fullmatch(token):
        return float(token)
    return None


def parse(
    text: bytes,
    *,
    zero_based: bool | str = "auto",
    n_features: int | None = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[str]]:
    """``(X, y, qid, comments)`` of an svmlight text, or :class:`ReferenceError` at the first
    bad line (``n_features`` too small raises ``ValueError``)."""
    dtype = np.dtype(dtype)
    rows: list[tuple[float, int | None, list[tuple[int, float]], str, int]] = []
    first_has_qid: bool | None = None
    for number, raw in enumerate(text.split(b"\n"), start=1):
        line = raw.lstrip(BLANKS)
        if not line or line.startswith(b"#"):
            continue
        data, hash_, comment = line.partition(b"#")
        tokens = data.split()

        def fail(kind: str, line_number: int = number) -> ReferenceError:
            return ReferenceError(kind, line_number)

        label_token = tokens[0]
        if b":" in label_token:
            raise fail("MISSING_LABEL")
        label = _number(label_token)
        if label is None:
            raise fail("BAD_LABEL")
        if not math.isfinite(label):
            raise fail("LABEL_NOT_FINITE")
        qid = None
        entries: list[tuple[int, float]] = []
        for position, token in enumerate(tokens[1:]):
            if token.startswith(b"qid:"):
                if position > 0:
                    raise fail("MISPLACED_QID")
                if not QID.fullmatch(token[4:]):
                    raise fail("BAD_QID")
                qid = int(token[4:])
                continue
            if b":" not in token:
                raise fail("NO_COLON")
            index_text, _, value_text = token.partition(b":")
            if not index_text:
                raise fail("MISSING_INDEX")
            if re.fullmatch(rb"\d+", index_text):
                if len(index_text) > 18:
                    raise fail("INDEX_TOO_LARGE")
            elif re.fullmatch(rb"-\d+", index_text):
                raise fail("NEGATIVE_INDEX")
            else:
                raise fail("BAD_INDEX")
            if not value_text:
                raise fail("MISSING_VALUE")
            index = int(index_text)
            if index == 0 and zero_based is False:
                raise fail("ZERO_INDEX")
            if entries and index <= entries[-1][0]:
                raise fail("DUPLICATE_INDEX" if index == entries[-1][0] else "UNSORTED_INDEX")
            value = _number(value_text)
            if value is None:
                raise fail("BAD_VALUE")
            if math.isinf(value):
                raise fail("VALUE_INFINITE")
            with np.errstate(over="ignore"):
                if math.isinf(dtype.type(value)):
                    raise fail("VALUE_OVERFLOW")
            entries.append((index, value))
        has_qid = qid is not None
        if first_has_qid is None:
            first_has_qid = has_qid
        elif has_qid != first_has_qid:
            raise fail("MIXED_QID")
        note = comment.strip(BLANKS).decode("utf-8") if hash_ else ""
        rows.append((label, qid, entries, note, number))

    if zero_based == "auto":
        zero_based = any(index == 0 for row in rows for index, _ in row[2])
    offset = 0 if zero_based else 1
    largest = max((index for row in rows for index, _ in row[2]), default=-1)
    needed = largest + 1 - offset if largest >= 0 else 0
    if n_features is None:
        n_features = needed
    elif n_features < needed:
        raise ValueError("n_features too small")
    X = np.zeros((len(rows), n_features), dtype=dtype)
    for r, row in enumerate(rows):
        for index, value in row[2]:
            X[r, index - offset] = value
    y = np.array([row[0] for row in rows], dtype=np.float64)
    qid = np.array([row[1] for row in rows], dtype=np.int64) if first_has_qid else None
    return X, y, qid, [row[3] for row in rows]


def format_number(value: float, float32: bool = False) -> str:
    """The text the writer uses for one number."""
    value = float(value)
    if math.isfinite(value) and value == math.trunc(value) and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    if float32:
        short = str(np.float32(value))
        if np.float32(float(short)) == np.float32(value):
            text = short
    return text


def dump(
    X: np.ndarray,
    y: np.ndarray,
    qid: np.ndarray | None = None,
    *,
    zero_based: bool = False,
    comments: list[str | None] | None = None,
) -> str:
    """The text of an svmlight file holding dense ``X`` (nonzero entries), ``y`` and ``qid``."""
    float32 = X.dtype == np.float32
    lines = []
    for r in range(X.shape[0]):
        parts = [format_number(y[r])]
        if qid is not None:
            parts.append(f"qid:{int(qid[r])}")
        for j in range(X.shape[1]):
            value = X[r, j]
            if value != 0:  # NaN too
                parts.append(f"{j + (0 if zero_based else 1)}:{format_number(value, float32)}")
        line = " ".join(parts)
        if comments is not None and comments[r]:
            line += f" # {comments[r]}"
        lines.append(line + "\n")
    return "".join(lines)
