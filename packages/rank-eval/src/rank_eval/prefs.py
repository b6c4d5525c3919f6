"""trec_eval's preference judgments and measures: ``-R prefs``, ``-R qrels_prefs``, ``-m all_prefs``.

A prefs file has lines ``qid  jg  jsg  docno  rel_level``: within a judgment subgroup (JSG) of a
judgment group (JG), a doc is preferred to every doc with a lower rel_level. A JG is one user's
consistent judgments; its subgroups express partial orders, which trec_eval closes transitively.
``-R qrels_prefs`` reads a qrels file (``qid  iter  docno  rel``) as prefs: the ``iter`` column
is the JG and every line is in subgroup ``"0"``, so each JG prefers higher labels to lower ones.

Conventions (trec_eval 10.0's ``get_prefs``, ``form_prefs_counts`` and ``m_prefs_*``):

- Ranking: score descending, ties by doc id **ascending** (the other trec_eval measures break ties
  by doc id descending); ``max_docs`` (``-M``) cuts that order. Retrieved docs without any
  judgment are ignored; the judged ones ranked in retrieval order come first, then the judged but
  unretrieved docs in doc id order (their order matters only to ``prefs_avgjg_Rnonrel``).
- A preference A > B is *fulfilled* when A is retrieved above B or A is retrieved and B is not
  (*implied*); it is *possible* whatever happens. "ret" measures count only pairs with both docs
  retrieved; "imp" measures count pairs with at least one retrieved doc; the others count every
  pair, a pair with neither doc retrieved being a failure.
- JG with one subgroup: every doc is preferred to each doc of a lower level (equivalence
  classes). JG with several subgroups: the union of the subgroups' preferences, closed
  transitively; a cycle (A > B and B > A) or a doc at level 0 in one subgroup and > 0 in another
  raises :class:`~rank_core.errors.RankValueError` (trec_eval aborts). Different JGs may
  disagree.
- rel_level > 0 is relevant, 0 non-relevant (``prefs_avgjg_Rnonrel``). Negative levels are
  accepted as trec_eval does: in a one-subgroup JG they count as non-relevant, in a
  several-subgroup JG as neither.
- Measures are computed per query; ``prefs_num_prefs_*`` are counts, summed over queries in the
  summary; the others are averaged over the evaluated queries. ``avgjg`` measures average a
  per-JG ratio over the query's JGs (a JG with nothing possible adds 0 but still counts).
- Queries: those in both the judgments and the run, or every judged query with ``complete``
  (``-c``; a query without a ranking has nothing retrieved).

Parsing is stricter than trec_eval where it would silently misread: rel_level must be a finite
decimal number (trec_eval's ``atof`` reads ``x`` as 0), a doc may not appear twice in one
subgroup (trec_eval errors or double counts), blank lines and lines whose first non-blank byte is
``#`` are skipped (a ``#`` inside a field is part of it), and errors name the file and the
physical line.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

from rank_core import (
    NonFiniteInputError,
    ParseError,
    Qrels,
    RankTypeError,
    RankValueError,
    Run,
    Vocabulary,
)
from rank_core.io_trec import parse_qrels_groups, read_source
from rank_core.validation import check_k
from rank_eval._ingest import coerce
from rank_eval._kernels import prefs as kernels
from rank_eval.evaluate import Evaluation

__all__ = [
    "ALL_PREFS_MEASURES",
    "PREFS_MEASURES",
    "PreferenceJudgments",
    "evaluate_prefs",
    "is_prefs_measure",
    "plan_prefs",
    "prefs_from_qrels",
    "read_prefs",
]

Source = str | os.PathLike[str] | bytes | IO[bytes] | IO[str]

#: The preference measures, in trec_eval's order (the kernel's output columns).
PREFS_MEASURES: tuple[str, ...] = (
    "prefs_num_prefs_poss", "prefs_num_prefs_ful", "prefs_num_prefs_ful_ret",
    "prefs_simp", "prefs_pair", "prefs_avgjg", "prefs_avgjg_Rnonrel",
    "prefs_simp_ret", "prefs_pair_ret", "prefs_avgjg_ret", "prefs_avgjg_Rnonrel_ret",
    "prefs_simp_imp", "prefs_pair_imp", "prefs_avgjg_imp",
)
_ORDER = ("runid", "num_q", *PREFS_MEASURES)
#: trec_eval's nicknames: ``all_prefs`` and its short ``prefs`` set.
_SETS = {"all_prefs": _ORDER, "prefs": _ORDER[:8]}
#: The printed names of ``-m all_prefs``, in trec_eval's order.
ALL_PREFS_MEASURES: tuple[str, ...] = _ORDER
_COUNTS = frozenset(PREFS_MEASURES[:3])
_FIELDS = "qid jg jsg docno rel_level"
_NUMBER = re.compile(rb"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_prefs_measure(request: str) -> bool:
    """Whether a ``-m`` request names a preference measure or set (``runid``/``num_q`` do not count)."""
    family = request.partition(".")[0]
    return family in _SETS or family in PREFS_MEASURES


def plan_prefs(requests: str | Sequence[str]) -> tuple[str, ...]:
    """The printed names for preference-measure requests, in trec_eval's order.

    A request is a measure (``prefs_simp``), ``runid``, ``num_q`` or a set (``all_prefs``,
    ``prefs``); unknown names raise :class:`~rank_core.errors.RankValueError` with close matches.
    """
    if isinstance(requests, str):
        requests = [requests]
    chosen: set[str] = set()
    for request in requests:
        if not isinstance(request, str):
            raise RankTypeError(f"measure names must be strings, got {type(request).__name__} {request!r}")
        family, dot, params = request.partition(".")
        if family in _SETS or family in _ORDER:
            if dot:
                raise RankValueError(f"{family} takes no parameters, got {params!r}")
            chosen.update(_SETS.get(family, (family,)))
            continue
        raise RankValueError(_unknown(request))
    return tuple(name for name in _ORDER if name in chosen)


def _unknown(request: str) -> str:
    from rank_eval.measures import plan  # late: only to tell a qrels measure from a typo

    try:
        plan([request])
    except RankValueError:
        close = difflib.get_close_matches(request, [*_ORDER, *_SETS], n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return f"unknown preference measure {request!r}{hint}"
    return (
        f"{request!r} needs qrels, not preference judgments: evaluate it with rank_eval.evaluate "
        "(rank-eval without -R prefs)"
    )


@dataclass(frozen=True, eq=False, repr=False)
class PreferenceJudgments:
    """Preference judgment lines ``(query, group, subgroup, doc, rel_level)``, grouped by query.

    Build with :func:`read_prefs`, :func:`prefs_from_qrels` or :meth:`from_records`. Lines of
    query ``i`` are ``offsets[i]:offsets[i + 1]``, sorted by group, subgroup, rel_level
    descending and doc id; ``*_codes`` index the sorted ``query_ids``, ``group_ids``,
    ``subgroup_ids`` and ``doc_vocab``. ``lines`` are the physical line numbers of a file's lines
    (``None`` when built from records), ``path`` the file's name.
    """

    query_ids: NDArray[np.str_]
    offsets: NDArray[np.int64]
    group_ids: NDArray[np.str_]
    group_codes: NDArray[np.int64]
    subgroup_ids: NDArray[np.str_]
    subgroup_codes: NDArray[np.int64]
    doc_vocab: Vocabulary
    doc_codes: NDArray[np.int64]
    rel_levels: NDArray[np.float64]
    lines: NDArray[np.int64] | None = None
    path: str | None = None

    def __len__(self) -> int:
        return int(self.query_ids.size)

    def __repr__(self) -> str:
        return f"PreferenceJudgments(n_queries={len(self)}, n_lines={self.doc_codes.size}, path={self.path!r})"

    def to_records(self) -> list[tuple[str, str, str, str, float]]:
        """The lines as ``(query, group, subgroup, doc, rel_level)`` tuples, in stored order."""
        query_codes = np.repeat(np.arange(len(self)), np.diff(self.offsets))
        return list(zip(
            self.query_ids[query_codes].tolist(), self.group_ids[self.group_codes].tolist(),
            self.subgroup_ids[self.subgroup_codes].tolist(), self.doc_vocab.decode(self.doc_codes).tolist(),
            self.rel_levels.tolist(), strict=True,
        ))

    @classmethod
    def from_records(cls, records: Iterable[Sequence[Any]]) -> PreferenceJudgments:
        """From ``(query, group, subgroup, doc, rel_level)`` tuples (ids as str or int)."""
        rows = [tuple(record) for record in records]
        if not rows:
            raise RankValueError("no preference judgments: records is empty")
        for i, row in enumerate(rows):
            if len(row) != 5:
                raise RankValueError(f"record {i} must be (query, group, subgroup, doc, rel_level), got {row!r}")
        columns = list(zip(*rows, strict=True))
        for kind in set(map(type, columns[4])):  # a few types: check each once
            if issubclass(kind, (bool, np.bool_)) or not issubclass(kind, numbers.Real):
                i = next(i for i, level in enumerate(columns[4]) if type(level) is kind)
                raise RankTypeError(f"rel_level of record {i} must be a real number, got {kind.__name__}")
        levels = np.array(columns[4], dtype=np.float64)
        not_finite = np.flatnonzero(~np.isfinite(levels))
        if not_finite.size:
            i = int(not_finite[0])
            raise NonFiniteInputError(f"rel_level of record {i} must be finite, got {columns[4][i]!r}")
        vocabularies = [Vocabulary.factorize(column, name=name) for column, name in
                        zip(columns[:4], ("query ids", "groups", "subgroups", "doc ids"), strict=True)]
        (queries, query_codes), (groups, group_codes), (subgroups, subgroup_codes), (docs, doc_codes) = vocabularies
        return _build(
            queries.ids, query_codes, groups.ids, group_codes, subgroups.ids, subgroup_codes, docs, doc_codes,
            levels, None, None,
        )


def _build(
    query_ids: NDArray[np.str_], query_codes: NDArray[np.int64],
    group_ids: NDArray[np.str_], group_codes: NDArray[np.int64],
    subgroup_ids: NDArray[np.str_], subgroup_codes: NDArray[np.int64],
    doc_vocab: Vocabulary, doc_codes: NDArray[np.int64],
    levels: NDArray[np.float64], lines: NDArray[np.int64] | None, path: str | None,
) -> PreferenceJudgments:
    """Check for a doc twice in one subgroup, then store the lines in canonical order."""
    position = np.arange(levels.size) if lines is None else lines
    order = np.lexsort((position, doc_codes, subgroup_codes, group_codes, query_codes))
    same = np.ones(order.size - 1, dtype=bool)
    for codes in (query_codes, group_codes, subgroup_codes, doc_codes):
        same &= codes[order[1:]] == codes[order[:-1]]
    if same.any():
        first, second = (int(v) for v in order[np.flatnonzero(same)[0] + np.array([0, 1])])
        what = (
            f"doc {doc_vocab[int(doc_codes[second])]!r} appears twice in subgroup "
            f"{str(subgroup_ids[subgroup_codes[second]])!r} of group {str(group_ids[group_codes[second]])!r} "
            f"for query {str(query_ids[query_codes[second]])!r}"
        )
        if lines is None:
            raise RankValueError(f"{what} (records {first} and {second})")
        raise ParseError(f"{what} (first on line {lines[first]})", path=path, line=int(lines[second]))
    order = np.lexsort((doc_codes, -levels, subgroup_codes, group_codes, query_codes))
    counts = np.bincount(query_codes, minlength=query_ids.size)
    return PreferenceJudgments(
        query_ids=query_ids,
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        group_ids=group_ids,
        group_codes=group_codes[order],
        subgroup_ids=subgroup_ids,
        subgroup_codes=subgroup_codes[order],
        doc_vocab=doc_vocab,
        doc_codes=doc_codes[order],
        rel_levels=levels[order],
        lines=None if lines is None else lines[order],
        path=path,
    )


def read_prefs(source: Source) -> PreferenceJudgments:
    """Read a trec_eval prefs file ``qid jg jsg docno rel_level`` (path, bytes or file object).

    See the module docstring for the conventions. Malformed lines raise
    :class:`~rank_core.errors.ParseError` (a ``ValueError``) naming the file and physical line.
    """
    buf, path = read_source(source)
    data = buf.tobytes()
    nul = data.find(b"\0")
    if nul >= 0:
        raise ParseError("NUL byte: this does not look like a text file", path=path, line=data.count(b"\n", 0, nul) + 1)
    columns: tuple[list[str], list[str], list[str], list[str]] = ([], [], [], [])
    levels: list[float] = []
    lines: list[int] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        fields = raw.split()  # bytes.split: ASCII whitespace only, as C's isspace
        if not fields or fields[0].startswith(b"#"):
            continue
        if len(fields) != 5:
            raise ParseError(f"expected 5 fields ({_FIELDS}), found {len(fields)}", path=path, line=number)
        text = fields[4]
        level = float(text) if _NUMBER.fullmatch(text) else math.nan
        if not math.isfinite(level):  # not a decimal number, or beyond the float range
            shown = text.decode("utf-8", errors="replace")
            raise ParseError(f"rel_level {shown!r} is not a finite number", path=path, line=number)
        try:
            for column, field in zip(columns, fields, strict=False):
                column.append(field.decode("utf-8"))
        except UnicodeDecodeError:
            raise ParseError("an id is not valid UTF-8 text", path=path, line=number) from None
        levels.append(level)
        lines.append(number)
    if not lines:
        raise ParseError("no prefs lines: the input is empty or holds only blank and comment lines", path=path)
    (queries, query_codes), (groups, group_codes), (subgroups, subgroup_codes), (docs, doc_codes) = (
        Vocabulary.factorize(column) for column in columns
    )
    return _build(
        queries.ids, query_codes, groups.ids, group_codes, subgroups.ids, subgroup_codes, docs, doc_codes,
        np.array(levels, dtype=np.float64), np.array(lines, dtype=np.int64), path,
    )


def prefs_from_qrels(qrels: Any) -> PreferenceJudgments:
    """trec_eval's ``-R qrels_prefs``: qrels as preferences, the ``iter`` column as judgment group.

    Every line is in subgroup ``"0"`` and its relevance is its rel_level, so each group prefers
    higher labels to lower ones (a binary qrels gives relevant > non-relevant; negative labels
    form the lowest class). A file (path, bytes or file object) keeps its ``iter`` column; a
    :class:`~rank_core.Qrels`, a ``{qid: {doc: rel}}`` dict or a DataFrame has one group, ``"0"``.
    """
    if isinstance(qrels, (str, os.PathLike, bytes)) or hasattr(qrels, "read"):
        parsed, groups, group_codes = parse_qrels_groups(qrels)
        n = parsed.doc_codes.size
        return _build(
            parsed.query_ids, parsed.query_codes, groups, group_codes, np.array(["0"]), np.zeros(n, dtype=np.int64),
            parsed.doc_vocab, parsed.doc_codes, parsed.values.astype(np.float64), parsed.lines, parsed.path,
        )
    table = coerce(qrels, Qrels, "qrels")
    n = table.n_rows
    if n == 0:
        raise RankValueError("no preference judgments: the qrels hold no judgment")
    query_codes = np.repeat(np.arange(len(table), dtype=np.int64), table.counts())
    single = np.zeros(n, dtype=np.int64)
    return _build(
        table.query_ids, query_codes, np.array(["0"]), single, np.array(["0"]), single.copy(),
        table.doc_vocab, table.doc_codes, table.relevance.astype(np.float64), None, None,
    )


def _preference_order(run: Run) -> NDArray[np.int64]:
    """Rows of ``run`` with each run of equal scores reversed: ties by doc id ascending."""
    n = run.n_rows
    scores = run.scores
    starts = np.ones(n, dtype=bool)
    starts[1:] = scores[1:] != scores[:-1]
    starts[run.offsets[:-1][run.counts() > 0]] = True
    tie_group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    end = np.append(first[1:], n)
    return (first[tie_group] + end[tie_group] - 1 - np.arange(n)).astype(np.int64)


def _coerce_prefs(prefs: Any, from_qrels: bool) -> PreferenceJudgments:
    if isinstance(prefs, PreferenceJudgments):
        return prefs
    if from_qrels:
        return prefs_from_qrels(prefs)
    if isinstance(prefs, (str, os.PathLike, bytes)) or hasattr(prefs, "read"):
        return read_prefs(prefs)
    raise RankTypeError(
        "prefs must be PreferenceJudgments or a prefs file (path, bytes or file object); "
        f"got {type(prefs).__name__} (pass from_qrels=True for qrels)"
    )


def evaluate_prefs(
    prefs: Any,
    run: Any,
    measures: str | Sequence[str] | None = ("all_prefs",),
    *,
    from_qrels: bool = False,
    complete: bool = False,
    max_docs: int | None = None,
) -> Evaluation:
    """Evaluate ``run`` against preference judgments with trec_eval's preference measures.

    ``prefs`` is :class:`PreferenceJudgments` or a prefs file; with ``from_qrels=True`` it is
    qrels read as preferences (:func:`prefs_from_qrels`: a qrels file, a Qrels, a dict or a
    DataFrame). ``run`` is a :class:`~rank_core.Run`, a ``{qid: {doc: score}}`` dict, a DataFrame
    or a TREC run file. ``measures`` are names from :data:`ALL_PREFS_MEASURES` or the sets
    ``"all_prefs"`` (the default, also for ``None``) / ``"prefs"``. ``complete`` (``-c``) evaluates every judged query;
    ``max_docs`` (``-M``) keeps the first docs of each ranking. See the module docstring.
    """
    names = plan_prefs(["all_prefs"] if measures is None else measures)
    limit = check_k(max_docs, name="max_docs", allow_none=True)
    judgments = _coerce_prefs(prefs, bool(from_qrels))
    run = coerce(run, Run, "run")

    run_of_judged = run.query_positions(judgments.query_ids)
    wanted = np.arange(len(judgments)) if complete else np.flatnonzero(run_of_judged >= 0)
    if wanted.size == 0:
        raise RankValueError("no query is in both the run and the preference judgments: nothing to evaluate")
    union, (run_to_union, prefs_to_union) = Vocabulary.merge(run.doc_vocab, judgments.doc_vocab)

    run_of_query = run_of_judged[wanted]
    counts = np.where(run_of_query >= 0, run.counts()[run_of_query], 0)
    if limit is not None:
        counts = np.minimum(counts, limit)
    run_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = np.where(run_of_query >= 0, run.offsets[:-1][run_of_query], 0)
    positions = np.repeat(starts - run_offsets[:-1], counts) + np.arange(run_offsets[-1])
    run_docs = run_to_union[run.doc_codes[_preference_order(run)[positions]]]

    line_counts = np.diff(judgments.offsets)[wanted]
    line_offsets = np.concatenate([[0], np.cumsum(line_counts)]).astype(np.int64)
    line_rows = np.repeat(judgments.offsets[wanted] - line_offsets[:-1], line_counts) + np.arange(line_offsets[-1])
    values, status = kernels.prefs_measures(
        run_offsets, run_docs, line_offsets, judgments.group_codes[line_rows],
        judgments.subgroup_codes[line_rows], judgments.rel_levels[line_rows], prefs_to_union[judgments.doc_codes[line_rows]],
    )
    bad = np.flatnonzero(status[:, 0] != kernels.OK)
    if bad.size:
        raise RankValueError(_inconsistency(judgments, union, int(wanted[bad[0]]), status[bad[0]]))

    query_ids = judgments.query_ids[wanted]
    per_query: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for name in names:
        if name == "runid":
            summary[name] = run.name or ""
        elif name == "num_q":
            summary[name] = float(query_ids.size)
        else:
            column = values[:, PREFS_MEASURES.index(name)]
            per_query[name] = column
            total = float(np.cumsum(column)[-1])  # trec_eval's sequential sum
            summary[name] = total if name in _COUNTS else total / query_ids.size
    return Evaluation(run.name, query_ids, names, per_query, summary)


def _inconsistency(judgments: PreferenceJudgments, docs: Vocabulary, query: int, status: NDArray[np.int64]) -> str:
    code, group, first, second = (int(v) for v in status)
    where = f"judgment group {str(judgments.group_ids[group])!r} of query {str(judgments.query_ids[query])!r}"
    if judgments.path is not None:
        where += f" in {judgments.path}"
    if code == kernels.CONFLICT:
        return (
            f"{where} prefers doc {docs[first]!r} to {docs[second]!r} and the reverse (after combining its "
            "subgroups transitively); put contradicting judgments in different groups"
        )
    return f"{where} gives doc {docs[first]!r} rel_level 0 in one subgroup and a positive level in another"
