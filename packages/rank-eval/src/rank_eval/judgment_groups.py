"""trec_eval's judgment-group measures (``-R qrels_jg``): each query judged by several groups.

A judgment-group qrels file is a TREC qrels file whose second column names the *judgment group*
(a user, an assessor) instead of being ignored: ``qid  group  docno  relevance``. Each group is
a complete set of judgments of its own: a doc judged by one group and not by another is outside
the pool for the other.

For every evaluated query, each measure is computed once per judgment group *that judged that
query*, exactly as the plain measure would be with that group's judgments alone, and the
query's value is the mean over those groups (trec_eval's ``m_*_avgjg.c``):

- ``map_avgjg``: ``map`` (average precision) averaged over the query's groups;
- ``P_avgjg_k``: ``P_k`` averaged over the query's groups (cutoffs as ``P``: default
  5, 10, 15, 20, 30, 100, 200, 500, 1000);
- ``Rprec_mult_avgjg_m``: ``Rprec_mult_m`` (precision at rank ``int(m * R_g + 0.9)``, R_g the
  group's relevant judgments) averaged over the query's groups (multiples as ``Rprec_mult``:
  default 0.2, 0.4, ..., 2.0).

Conventions, following trec_eval 10.0:

- A query's groups are those with at least one line for it; groups are visited in byte order of
  their names and the per-group values summed from 0 in that order, then divided by the number
  of groups (when there is more than one), as trec_eval accumulates them.
- Evaluated queries: those in the run and judged by at least one group (``complete=True``, ``-c``:
  every judged query, with an empty ranking where the run has none; every measure is 0 there).
  The summary is the mean over evaluated queries, summed in query order; ``num_q`` counts them.
- ``relevance_level`` (``-l``), ``max_docs`` (``-M``) and ``judged_only`` (``-J``, applied per
  group: a doc judged by one group only stays in that group's ranking) behave as in
  :func:`rank_eval.evaluate`.
- The measure set ``qrels_jg`` (the default) is ``runid``, ``num_q``, ``map_avgjg``, ``P_avgjg``
  and ``Rprec_mult_avgjg``. trec_eval can compute nothing else from such a file (its other
  measures refuse the format), and neither can this module: any other name raises
  :class:`~rank_core.RankValueError` naming the closest judgment-group measures. (trec_eval
  without ``-m`` tries its ``official`` set and fails; here the default is ``qrels_jg``.)

The per-group values come from the same kernel as :func:`rank_eval.evaluate`'s ``map``, ``P``
and ``Rprec_mult``; only the averaging over groups is specific to this module.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import Qrels, RankTypeError, RankValueError, Run
from rank_core.validation import check_k
from rank_eval._ingest import coerce, labelled_rankings
from rank_eval.evaluate import Evaluation, trec_measures_at_level
from rank_eval.measures import plan

__all__ = ["JUDGMENT_GROUP_MEASURES", "evaluate_judgment_groups", "read_judgment_groups"]

# judgment-group family -> the plain family computed per group; in trec_eval's table order
_FAMILIES = {"map_avgjg": "map", "P_avgjg": "P", "Rprec_mult_avgjg": "Rprec_mult"}
_PLAIN_TO_JG = {plain: jg for jg, plain in _FAMILIES.items()}
_GENERIC = ("runid", "num_q")
_SET = "qrels_jg"
_SET_MEMBERS = (*_GENERIC, *_FAMILIES)


def read_judgment_groups(source: Any) -> dict[str, Qrels]:
    """One :class:`~rank_core.Qrels` per judgment group of a ``qid group docno relevance`` file.

    ``source`` is a path, bytes or a file object (read by rank-core's strict TREC parser: a
    malformed line or a doc judged twice by one group for one query raises
    :class:`~rank_core.ParseError` with the path and line), or a mapping ``{group: qrels}``
    whose values are anything :func:`rank_eval.evaluate` accepts as qrels. Groups come back
    sorted by name.
    """
    if isinstance(source, Mapping):
        if not source:
            raise RankValueError("judgment groups: the mapping holds no group")
        groups = {}
        for label in source:
            if not isinstance(label, str):
                raise RankTypeError(f"judgment group names must be strings, got {type(label).__name__}")
            groups[label] = coerce(source[label], Qrels, f"qrels of judgment group {label!r}")
        return {label: groups[label] for label in sorted(groups, key=lambda s: s.encode("utf-8"))}
    if isinstance(source, (str, os.PathLike, bytes)) or hasattr(source, "read"):
        return Qrels.groups_from_trec(source)
    raise RankTypeError(
        "judgment groups must be a qrels_jg file path, bytes, a file object or a {group: qrels} "
        f"mapping; got {type(source).__name__}"
    )


def _unknown(request: str) -> RankValueError:
    known = [*_SET_MEMBERS, _SET]
    family = request.partition(".")[0]
    if family in _PLAIN_TO_JG:
        hint = f"; did you mean {_PLAIN_TO_JG[family]}?"
    else:
        close = difflib.get_close_matches(request, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
    return RankValueError(
        f"unknown judgment-group measure {request!r}{hint} (with judgment groups only "
        f"{', '.join(known)} and their printed names such as P_avgjg_10 can be computed)"
    )


def _plain_request(request: str) -> str:
    """The plain trec_eval request computed per group for one judgment-group request."""
    if not isinstance(request, str):
        raise RankTypeError(f"measure names must be strings, got {type(request).__name__}")
    if request in _GENERIC:
        return request
    family, dot, params = request.partition(".")
    if family in _FAMILIES:
        return _FAMILIES[family] + dot + params
    for jg, plain in _FAMILIES.items():  # printed names: P_avgjg_5, Rprec_mult_avgjg_0.20
        if jg != "map_avgjg" and request.startswith(jg + "_"):
            return f"{plain}_{request[len(jg) + 1:]}"
    raise _unknown(request)


def _shown(name: str) -> str:
    """The judgment-group name of a plain printed name (``P_5`` -> ``P_avgjg_5``)."""
    if name in _GENERIC:
        return name
    if name == "map":
        return "map_avgjg"
    for plain in ("Rprec_mult", "P"):
        if name.startswith(plain + "_"):
            return f"{_PLAIN_TO_JG[plain]}{name[len(plain):]}"
    raise AssertionError(name)  # pragma: no cover - plan() only returns the families asked for


#: The printed names of trec_eval's ``qrels_jg`` measure set with default parameters, in order.
JUDGMENT_GROUP_MEASURES: tuple[str, ...] = tuple(_shown(n) for n in plan([*_GENERIC, *_FAMILIES.values()]).names)


def _sequential_mean(values: NDArray[np.float64]) -> float:
    """Mean summed left to right, as trec_eval accumulates queries."""
    total = 0.0
    for value in values.tolist():
        total += value
    return total / len(values) if len(values) else 0.0


def evaluate_judgment_groups(
    qrels: Any,
    run: Any,
    measures: Sequence[str] | str | None = None,
    *,
    relevance_level: int = 1,
    complete: bool = False,
    max_docs: int | None = None,
    judged_only: bool = False,
) -> Evaluation:
    """Evaluate ``run`` against judgment-group qrels with trec_eval's ``-R qrels_jg`` semantics.

    ``qrels`` is a ``qid group docno relevance`` file (path, bytes, file object) or a mapping
    ``{group: qrels}`` (see :func:`read_judgment_groups`); ``run`` anything
    :func:`rank_eval.evaluate` accepts. ``measures`` are ``qrels_jg`` (the default),
    ``runid``, ``num_q``, the families ``map_avgjg``, ``P_avgjg``, ``Rprec_mult_avgjg`` with
    optional trec_eval parameters (``P_avgjg.5,10``, ``Rprec_mult_avgjg.0.5,1``) or printed
    names (``P_avgjg_10``, ``Rprec_mult_avgjg_1.00``). Returns an
    :class:`~rank_eval.evaluate.Evaluation` in trec_eval's order; see the module docstring for
    the definitions and conventions.
    """
    level = check_k(relevance_level, name="relevance_level")
    limit = check_k(max_docs, name="max_docs", allow_none=True)
    requests = [_SET] if measures is None else [measures] if isinstance(measures, str) else list(measures)
    plain = [_plain_request(item) for request in requests for item in (_SET_MEMBERS if request == _SET else (request,))]
    measures_plan = plan(plain)  # bad parameters fail here, before any work

    groups = read_judgment_groups(qrels)
    run = coerce(run, Run, "run")
    if limit is not None:
        run = run.top_k(limit)
    judged = np.unique(np.concatenate([g.query_ids for g in groups.values()]))
    query_ids = judged if complete else judged[run.query_positions(judged) >= 0]
    if query_ids.size == 0:
        raise RankValueError("no query is in both the run and the judgment-group qrels: nothing to evaluate")

    computed = [n for n in measures_plan.names if n not in _GENERIC]
    totals = {name: np.zeros(query_ids.size) for name in computed}
    n_groups = np.zeros(query_ids.size, dtype=np.int64)
    for group in groups.values() if computed else ():
        if not complete and not (run.query_positions(group.query_ids) >= 0).any():
            continue  # this group judged none of the run's queries
        rankings = labelled_rankings(group, run, complete, None, judged_only)
        values, _ = trec_measures_at_level(rankings, measures_plan, level, 0)
        rows = np.searchsorted(query_ids, rankings.query_ids)
        n_groups[rows] += 1
        for name in computed:
            totals[name][rows] += values[name]  # summed group after group, as trec_eval does

    shown = [_shown(n) for n in measures_plan.names]
    per_query: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    several = n_groups > 1
    for name, printed in zip(measures_plan.names, shown, strict=True):
        if name == "runid":
            summary[printed] = run.name or ""
        elif name == "num_q":
            summary[printed] = float(query_ids.size)
        else:
            values = totals[name]
            values[several] /= n_groups[several]
            per_query[printed] = values
            summary[printed] = _sequential_mean(values)
    return Evaluation(run.name, query_ids, tuple(shown), per_query, summary)
