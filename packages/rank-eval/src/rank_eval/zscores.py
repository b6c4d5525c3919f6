"""trec_eval's z-scores (``-Z zscores_file``): each value as standard deviations from a reference mean.

The z-scores file holds one line per (query, measure): ``qid  measure  mean  stddev``, fields
separated by blanks, the measure named as trec_eval prints it (``P_10``,
``iprec_at_recall_0.50``, ``map_avgjg``). :func:`read_zscores` reads it; :func:`to_zscores`
turns an :class:`~rank_eval.evaluate.Evaluation` into its z-score version, as trec_eval 10.0
does (``convert_zscores.c``, then its usual accumulation):

- Per query, a measure's value ``v`` becomes ``(v - mean) / stddev`` with the query's line for
  that measure. When the stddev is 0 it becomes 0 if ``v == mean``, else
  :data:`MISSING_ZSCORE`. A measure without a line for that query, and every measure of a
  query without any line, become :data:`MISSING_ZSCORE` (-1000000, trec_eval's
  ``MISSING_ZSCORE_VALUE``): visible in the per-query output, and dragging the summary far
  below anything real, as in trec_eval.
- Names get a ``Z`` prefix (``Zmap``, ``ZP_10``); trec_eval prints them as ``Z`` followed by the
  name padded to 22 (:func:`format_zscores`), and prints every z value with 4 decimals, counts
  included.
- The summary is formed from the z values as each measure forms its own: the mean over the
  evaluated queries (summed in query order), the sum for the counts (``num_ret``, ``num_rel``,
  ``num_rel_ret``, ``num_nonrel_judged_ret``), ``exp`` of the mean for the geometric means
  ``gm_map`` and ``gm_bpref`` (whose per-query value is ``log(max(AP or bpref, 1e-5))``, so
  with no line for them every value is -1000000 and the summary ``exp(-1000000) = 0``), and
  ``Znum_q`` stays the number of queries.
- ``runid`` and ``relstring`` are not numbers: they are kept as they are, without ``Z``.
- Measures are looked up by their trec_eval name: an ir-measures name in the evaluation
  (``nDCG@10``) is looked up as its trec_eval name (``ndcg_cut_10``) and shown as ``ZnDCG@10``.

File conventions: like rank-core's TREC readers (and unlike trec_eval, which rejects them),
blank lines and lines whose first non-blank character is ``#`` are skipped. A line must have
exactly four fields and two decimal numbers (trec_eval's ``atof`` would read ``1.5x`` as 1.5 and
``x`` as 0; we raise), finite ones; a (query, measure) pair given twice raises (trec_eval's binary
search would pick either line). Errors are :class:`~rank_core.ParseError` with the path and the
1-based physical line.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import ParseError, RankTypeError, RankValueError
from rank_core.io_trec import read_source
from rank_eval._kernels.trec_measures import MIN_GEO_MEAN
from rank_eval.evaluate import COUNT_MEASURES, Evaluation
from rank_eval.names import resolve
from rank_eval.trec_format import format_trec_eval

__all__ = ["MISSING_ZSCORE", "ZScores", "format_zscores", "read_zscores", "to_zscores"]

#: The z-score of a value with no reference (trec_eval's MISSING_ZSCORE_VALUE).
MISSING_ZSCORE = -1000000.0
#: The prefix of z-score names.
PREFIX = "Z"
# geometric means: per-query value log(max(x, MIN_GEO_MEAN)) of this per-query measure
_GEOMETRIC = {"gm_map": "map", "gm_bpref": "bpref"}
_PASS_THROUGH = ("runid", "relstring")


@dataclass(frozen=True)
class ZScores:
    """Reference means and standard deviations: ``table[qid][measure] == (mean, stddev)``."""

    table: Mapping[str, Mapping[str, tuple[float, float]]]
    path: str | None = None

    @classmethod
    def from_dict(cls, table: Mapping[str, Mapping[str, Any]]) -> ZScores:
        """From ``{qid: {measure: (mean, stddev)}}``, checking every pair is two finite numbers."""
        if not isinstance(table, Mapping):
            raise RankTypeError(f"z-scores must be a {{qid: {{measure: (mean, stddev)}}}} mapping, got {type(table).__name__}")
        checked: dict[str, dict[str, tuple[float, float]]] = {}
        for qid, measures in table.items():
            if not isinstance(qid, str) or not isinstance(measures, Mapping):
                raise RankTypeError(f"z-scores must map query ids (str) to {{measure: (mean, stddev)}}; got {qid!r}")
            row = checked.setdefault(qid, {})
            for measure, pair in measures.items():
                try:
                    mean, stddev = (float(v) for v in pair)
                except (TypeError, ValueError):
                    raise RankValueError(f"z-scores of {qid!r} {measure!r} must be a (mean, stddev) pair, got {pair!r}") from None
                if not (math.isfinite(mean) and math.isfinite(stddev)):
                    raise RankValueError(f"z-scores of {qid!r} {measure!r} must be finite, got {pair!r}")
                row[str(measure)] = (mean, stddev)
        return cls(checked)

    def reference(self, query_id: str, measure: str) -> tuple[float, float] | None:
        """``(mean, stddev)`` of a measure for a query, or None if the file has no such line."""
        row = self.table.get(query_id)
        return None if row is None else row.get(measure)


def _number(text: str, what: str, path: str | None, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParseError(f"{what} must be a decimal number, got {text!r}", path=path, line=line) from None
    if not math.isfinite(value):
        raise ParseError(f"{what} must be finite, got {text!r}", path=path, line=line)
    return value


def read_zscores(source: Any) -> ZScores:
    """Read a z-scores file ``qid measure mean stddev`` (path, bytes or file object).

    See the module docstring for the conventions; a malformed line raises
    :class:`~rank_core.ParseError` naming the file and the line.
    """
    data, path = read_source(source)
    raw = data.tobytes()
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise ParseError("NUL byte: this does not look like a text file", path=path, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ParseError("invalid UTF-8", path=path, line=line) from None
    table: dict[str, dict[str, tuple[float, float]]] = {}
    first_line: dict[tuple[str, str], int] = {}
    for number, content in enumerate(text.split("\n"), start=1):
        fields = content.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) != 4:
            raise ParseError(f"expected 4 fields (qid measure mean stddev), found {len(fields)}", path=path, line=number)
        qid, measure, mean, stddev = fields
        key = (qid, measure)
        if key in first_line:
            raise ParseError(
                f"measure {measure!r} of query {qid!r} is given twice (first on line {first_line[key]})",
                path=path, line=number,
            )
        first_line[key] = number
        table.setdefault(qid, {})[measure] = (_number(mean, "mean", path, number), _number(stddev, "stddev", path, number))
    if not table:
        raise ParseError("no z-score lines: the input is empty or holds only blank and comment lines", path=path)
    return ZScores(table, path)


def _as_zscores(zscores: Any) -> ZScores:
    if isinstance(zscores, ZScores):
        return zscores
    if isinstance(zscores, Mapping):
        return ZScores.from_dict(zscores)
    if isinstance(zscores, (str, os.PathLike, bytes)) or hasattr(zscores, "read"):
        return read_zscores(zscores)
    raise RankTypeError(
        f"zscores must be a ZScores, a {{qid: {{measure: (mean, stddev)}}}} mapping or a file path; got {type(zscores).__name__}"
    )


def _z(value: float, reference: tuple[float, float] | None) -> float:
    """One value as a z-score (trec_eval's rules for a missing line and a zero stddev)."""
    if reference is None:
        return MISSING_ZSCORE
    mean, stddev = reference
    if stddev:
        return (value - mean) / stddev
    return 0.0 if value == mean else MISSING_ZSCORE


def _trec_name(name: str) -> str:
    """The trec_eval name a measure of the evaluation is looked up under."""
    try:
        measure = resolve(name).measure
    except RankValueError:  # judgment-group names (map_avgjg) are only trec_eval's
        return name
    return measure if isinstance(measure, str) else name


def _sequential_sum(values: list[float]) -> float:
    total = 0.0
    for value in values:  # left to right, as trec_eval accumulates queries
        total += value
    return total


def to_zscores(evaluation: Evaluation, zscores: Any) -> Evaluation:
    """The z-score version of ``evaluation`` (see the module docstring for trec_eval's rules).

    ``zscores`` is a :class:`ZScores`, a ``{qid: {measure: (mean, stddev)}}`` mapping or a
    z-scores file. The result has the same queries; each numeric measure ``name`` becomes
    ``"Z" + name`` with per-query z values and trec_eval's summary of them.
    """
    if not isinstance(evaluation, Evaluation):
        raise RankTypeError(f"evaluation must be an Evaluation, got {type(evaluation).__name__}")
    reference = _as_zscores(zscores)
    query_ids = evaluation.query_ids.tolist()
    n = len(query_ids)
    names: list[str] = []
    per_query: dict[str, NDArray[Any]] = {}
    summary: dict[str, Any] = {}
    for name in evaluation.measures:
        values = evaluation.per_query.get(name)
        total = evaluation.summary.get(name)
        trec_name = _trec_name(name)
        textual = values is not None and values.dtype.kind in "USO"
        if textual or isinstance(total, str) or trec_name.startswith(_PASS_THROUGH):
            names.append(name)  # runid, relstring: kept as they are
            if values is not None:
                per_query[name] = values
            if total is not None:
                summary[name] = total
            continue
        shown = PREFIX + name
        names.append(shown)
        if trec_name == "num_q":
            summary[shown] = total
            continue
        if trec_name in _GEOMETRIC:
            logs = _geometric_logs(evaluation, name, trec_name, reference)
            z = [_z(v, reference.reference(q, trec_name)) if v is not None else MISSING_ZSCORE
                 for q, v in zip(query_ids, logs, strict=True)]
            summary[shown] = math.exp(_sequential_sum(z) / n) if n else 0.0
            continue
        if values is None:
            raise RankValueError(f"{name}: no per-query values to turn into z-scores")
        z = [_z(v, reference.reference(q, trec_name)) for q, v in zip(query_ids, values.tolist(), strict=True)]
        per_query[shown] = np.array(z, dtype=np.float64)
        if total is not None:
            summed = _sequential_sum(z)
            summary[shown] = summed if trec_name in COUNT_MEASURES else (summed / n if n else 0.0)
    return Evaluation(evaluation.run_name, evaluation.query_ids, tuple(names), per_query, summary)


def _geometric_logs(evaluation: Evaluation, name: str, trec_name: str, reference: ZScores) -> list[float | None]:
    """Per-query ``log(max(x, 1e-5))`` of a geometric mean's measure, where a z-score needs it.

    An :class:`Evaluation` keeps ``gm_map`` / ``gm_bpref`` as summaries only; their per-query
    values are recovered from ``map`` / ``bpref``. They matter only for queries whose z-scores
    file has a line for the geometric mean (elsewhere the z value is -1000000 whatever the value).
    """
    query_ids = evaluation.query_ids.tolist()
    needed = [reference.reference(q, trec_name) is not None for q in query_ids]
    if not any(needed):
        return [None] * len(query_ids)
    base = _GEOMETRIC[trec_name]
    values = next(
        (evaluation.per_query[m] for m in evaluation.measures if m in evaluation.per_query and _trec_name(m) == base),
        None,
    )
    if values is None:
        raise RankValueError(
            f"the z-scores file has lines for {trec_name}, whose per-query values come from {base}: "
            f"evaluate {base} too"
        )
    return [math.log(max(v, MIN_GEO_MEAN)) for v in values.tolist()]


def format_zscores(evaluation: Evaluation, *, per_query: bool = False, summary: bool = True) -> Iterator[str]:
    """trec_eval's lines for a z-score evaluation: as :func:`~rank_eval.format_trec_eval`, with
    each ``Z`` name printed as ``Z`` and the name padded to 22 (trec_eval's ``"Z%-22s"``)."""
    for line in format_trec_eval(evaluation, per_query=per_query, summary=summary):
        field, tab, rest = line.partition("\t")
        name = field.rstrip(" ")
        if name.startswith(PREFIX):  # no trec_eval measure name starts with Z
            line = f"{PREFIX}{name[len(PREFIX):]:<22}{tab}{rest}"
        yield line
