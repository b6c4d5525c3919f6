"""Naive pure-Python oracles for rank-fusion: dicts and loops, written for clarity, not speed.

Conventions (the package's, see ``rank_fusion.methods``):

- each input list ``{doc: score}`` is ranked by score descending, ties by doc id descending;
- the candidates of a query are the union of the docs its lists hold (``N`` of them);
- fused scores rank descending, ties by doc id descending;
- a batch fuses the union of the runs' query sets by default (a run without the query gives an
  empty list), or their intersection.

Every oracle works on one query (:func:`fuse_lists`); :func:`fuse_runs` applies it per query.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

EPSILON = 1e-9  # ranx's floor for the max / sum / zmuv denominators

RANK_METHODS = (
    "rrf",
    "isr",
    "log_isr",
    "logn_isr",
    "bordafuse",
    "w_bordafuse",
    "condorcet",
    "w_condorcet",
    "rbc",
)
SCORE_METHODS = ("sum", "min", "max", "med", "anz", "mnz", "gmnz", "wsum", "wmnz", "mixed")
WEIGHTED = ("rrf", "w_bordafuse", "w_condorcet", "wsum", "wmnz", "mixed", "standardized")
NORMS = ("min-max", "min-max-inverted", "max", "sum", "zmuv", "zscore", "rank", "borda", "l1")


# ----------------------------------------------------------------------------- ordering


def rank_list(scores: dict[str, float]) -> list[tuple[str, float]]:
    """``{doc: score}`` as ``[(doc, score)]``: score descending, ties by doc id descending."""
    return sorted(scores.items(), key=lambda pair: (pair[1], pair[0]), reverse=True)


def ranked_output(fused: dict[str, float]) -> list[tuple[str, float]]:
    """Fused scores best first (ties by doc id descending)."""
    return rank_list(fused)


# ----------------------------------------------------------------------------- normalisations


def normalize(
    ranked: list[tuple[str, float]],
    norm: str | None,
    candidates: list[str],
    clip_range: tuple[float, float] = (-3.0, 3.0),
) -> dict[str, float]:
    """One list's normalised scores; with ``"borda"`` every candidate gets a value.
    ``clip_range``: the ``zscore`` normalisation's."""
    n = len(ranked)
    scores = [s for _, s in ranked]
    out: dict[str, float] = {}
    if norm is None:
        return dict(ranked)
    if n == 0 and norm != "borda":
        return {}
    if norm == "min-max" or norm == "min-max-inverted":
        low, high = min(scores), max(scores)
        for doc, s in ranked:
            if high == low:
                out[doc] = 1.0
            elif norm == "min-max":
                out[doc] = (s - low) / (high - low)
            else:
                out[doc] = (high - s) / (high - low)
    elif norm == "max":
        denominator = max(max(scores), EPSILON)
        for doc, s in ranked:
            out[doc] = s / denominator
    elif norm == "sum":
        low = min(scores)
        denominator = max(sum(scores) - low * n, EPSILON)
        for doc, s in ranked:
            out[doc] = (s - low) / denominator
    elif norm == "zmuv":
        mean = sum(scores) / n
        std = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
        for doc, s in ranked:
            out[doc] = (s - mean) / max(std, EPSILON)
    elif norm == "zscore":
        mean = sum(scores) / n
        std = math.sqrt(sum((s - mean) ** 2 for s in scores) / n)
        low, high = clip_range
        for doc, s in ranked:
            out[doc] = min(max((s - mean) / std, low), high) if std > EPSILON else 0.0
    elif norm == "l1":
        total = sum(abs(s) for s in scores)
        for doc, s in ranked:
            out[doc] = s / total if total > 0 else 0.0
    elif norm == "rank":
        for i, (doc, _) in enumerate(ranked):
            out[doc] = 1.0 - i / n
    elif norm == "borda":
        big_n = len(candidates)
        held = {doc: i for i, (doc, _) in enumerate(ranked)}
        for doc in candidates:
            if doc in held:
                out[doc] = 1.0 - held[doc] / big_n
            else:
                out[doc] = 0.5 - (n - 1) / (2.0 * big_n)
    else:
        raise ValueError(f"no oracle for norm {norm!r}")
    return out


# ----------------------------------------------------------------------------- one query


def candidates_of(lists: list[dict[str, float]]) -> list[str]:
    return sorted({doc for scores in lists for doc in scores})


def _positions(ranked: list[tuple[str, float]], ranks: str) -> dict[str, float]:
    """0-based rank of each doc: its position, or ``-score - 1`` for ``ranks="negated_scores"``."""
    if ranks == "position":
        return {doc: float(i) for i, (doc, _) in enumerate(ranked)}
    return {doc: -s - 1.0 for doc, s in ranked}


def condorcet_order(lists: list[dict[str, float]], weights: list[float]) -> list[str]:
    """Montague & Aslam's Condorcet fusion: a merge sort with the weighted majority comparator.

    Start from doc id descending; bottom-up merge sort (widths 1, 2, 4...); when merging, the
    right-hand doc goes first only if it strictly beats the left-hand one. ``y`` beats ``x`` when
    the weight of the lists ranking ``y`` above ``x`` exceeds that of the lists ranking ``x`` above
    ``y``; a list ranks every doc it holds above every doc it does not and abstains on two docs it
    holds neither of.
    """
    positions = [{doc: i for i, (doc, _) in enumerate(rank_list(scores))} for scores in lists]

    def beats(y: str, x: str) -> bool:
        for_y = for_x = 0.0
        for w, pos in zip(weights, positions, strict=True):
            if y not in pos and x not in pos:
                continue  # abstains
            py = pos.get(y, math.inf)
            px = pos.get(x, math.inf)
            if py < px:
                for_y += w
            elif px < py:
                for_x += w
        return for_y > for_x

    order = sorted(candidates_of(lists), reverse=True)
    width = 1
    while width < len(order):
        merged: list[str] = []
        for left in range(0, len(order), 2 * width):
            a = order[left : left + width]
            b = order[left + width : left + 2 * width]
            while a and b:
                merged.append(b.pop(0) if beats(b[0], a[0]) else a.pop(0))
            merged += a + b
        order = merged
        width *= 2
    return order


def fuse_lists(
    lists: list[dict[str, float]],
    method: str,
    *,
    norm: str | None = None,
    weights: list[float] | None = None,
    k: float = 60.0,
    phi: float = 0.8,
    gamma: float = 1.0,
    sigma: float = 0.01,
    clip_range: tuple[float, float] = (-3.0, 3.0),
    ranks: str = "position",
) -> dict[str, float]:
    """Fused score of every candidate of one query; ``lists`` are ``{doc: score}`` dicts."""
    weights = [1.0] * len(lists) if weights is None else [float(w) for w in weights]
    candidates = candidates_of(lists)
    big_n = len(candidates)
    if method in ("condorcet", "w_condorcet"):
        order = condorcet_order(lists, weights)
        return {doc: float(big_n - i) for i, doc in enumerate(order)}

    # contributions[r] = {doc: value} for the docs list r counts as holding
    contributions: list[dict[str, float]] = []
    for scores in lists:
        ranked = rank_list(scores)
        n = len(ranked)
        position = _positions(ranked, ranks)
        values: dict[str, float] = {}
        if method == "rrf":
            values = {doc: 1.0 / (k + position[doc] + 1.0) for doc, _ in ranked}
        elif method in ("isr", "log_isr", "logn_isr"):
            values = {doc: 1.0 / (position[doc] + 1.0) ** 2 for doc, _ in ranked}
        elif method in ("bordafuse", "w_bordafuse"):
            for doc in candidates:
                values[doc] = big_n - position[doc] if doc in scores else (big_n - n + 1) / 2.0
        elif method == "rbc":
            values = {doc: (1.0 - phi) * phi ** position[doc] for doc, _ in ranked}
        elif method in SCORE_METHODS:
            values = normalize(ranked, norm, candidates)
        elif method == "standardized":
            values = normalize(ranked, "zscore", candidates, clip_range)
        else:
            raise ValueError(f"no oracle for method {method!r}")
        contributions.append(values)

    fused: dict[str, float] = {}
    for doc in candidates:
        held = [r for r in range(len(lists)) if doc in contributions[r]]
        plain = [contributions[r][doc] for r in held]
        weighted = [weights[r] * contributions[r][doc] for r in held]
        count = len(held)
        total = sum(weighted)
        if method in ("rrf", "bordafuse", "w_bordafuse", "rbc", "sum", "wsum", "standardized"):
            value = total
        elif method in ("isr", "mnz"):
            value = total * count
        elif method == "log_isr":
            value = total * math.log(count)
        elif method == "logn_isr":
            value = total * math.log(count + sigma)
        elif method == "gmnz":
            value = total * count**gamma
        elif method == "anz":
            value = total / count
        elif method == "min":
            value = min(plain)
        elif method == "max":
            value = max(plain)
        elif method == "med":
            ordered = sorted(plain)
            middle = count // 2
            value = ordered[middle] if count % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0
        elif method == "wmnz":
            value = sum(plain) * sum(weights[r] for r in held)
        elif method == "mixed":
            value = total * math.sqrt(count)
        else:
            raise ValueError(f"no oracle for method {method!r}")
        fused[doc] = value
    return fused


def fuse_rankings(
    lists: list[dict[str, float]], method: str, *, top_k: int | None = None, **options: Any
) -> list[tuple[str, float]]:
    """One query fused and ranked, cut to ``top_k``."""
    ranked = ranked_output(fuse_lists(lists, method, **options))
    return ranked if top_k is None else ranked[:top_k]


# ----------------------------------------------------------------------------- batches


def query_set(runs: list[dict[str, dict[str, float]]], queries: str = "union") -> list[str]:
    sets = [set(run) for run in runs]
    if queries == "union":
        return sorted(set.union(*sets))
    if queries == "intersection":
        return sorted(set.intersection(*sets))
    if any(s != sets[0] for s in sets):
        raise ValueError("query sets differ")
    return sorted(sets[0])


def fuse_runs(
    runs: list[dict[str, dict[str, float]]],
    method: str,
    *,
    queries: str = "union",
    top_k: int | None = None,
    **options: Any,
) -> dict[str, list[tuple[str, float]]]:
    """``{qid: [(doc, score), ...]}`` for a batch of ``{qid: {doc: score}}`` runs."""
    return {
        qid: fuse_rankings([run.get(qid, {}) for run in runs], method, top_k=top_k, **options)
        for qid in query_set(runs, queries)
    }


# ----------------------------------------------------------------------------- helpers for tests


def run_lists(run: Any) -> dict[str, list[tuple[str, float]]]:
    """A rank-core ``Run`` as ``{qid: [(doc, score), ...]}`` in its row order."""
    out = {}
    for qid in run.query_ids.tolist():
        ranking = run[qid]
        out[qid] = list(zip(ranking.doc_ids.tolist(), ranking.scores.tolist(), strict=True))
    return out


def is_ranked(pairs: list[tuple[str, float]]) -> bool:
    """Scores descending, ties by doc id descending."""
    return all((a[1], a[0]) > (b[1], b[0]) for a, b in pairwise(pairs))


def beats_weight(
    lists: list[dict[str, float]], weights: list[float], y: str, x: str
) -> tuple[float, float]:
    """(weight for ``y`` above ``x``, weight for ``x`` above ``y``) under Condorcet's voting."""
    for_y = for_x = 0.0
    for w, scores in zip(weights, lists, strict=True):
        pos = {doc: i for i, (doc, _) in enumerate(rank_list(scores))}
        if y not in pos and x not in pos:
            continue
        py, px = pos.get(y, math.inf), pos.get(x, math.inf)
        if py < px:
            for_y += w
        elif px < py:
            for_x += w
    return for_y, for_x
