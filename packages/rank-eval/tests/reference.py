"""Naive pure-Python oracles for trec_eval's default measures on one query."""

from __future__ import annotations

import math


def ranked_labels(ranking: dict[str, float], judgments: dict[str, int]) -> list[int | None]:
    """Labels in trec_eval order (score desc, doc id desc); None for docs not in the qrels."""
    order = sorted(ranking, key=lambda doc: (ranking[doc], doc), reverse=True)
    return [judgments.get(doc) for doc in order]


def average_precision(labels: list[int | None], num_rel: int, level: int = 1) -> float:
    hits, total = 0, 0.0
    for rank, label in enumerate(labels, start=1):
        if label is not None and label >= level:
            hits += 1
            total += hits / rank
    return total / num_rel if num_rel else 0.0


def precision_at(labels: list[int | None], k: int, level: int = 1) -> float:
    return sum(1 for label in labels[:k] if label is not None and label >= level) / k


def reciprocal_rank(labels: list[int | None], level: int = 1) -> float:
    for rank, label in enumerate(labels, start=1):
        if label is not None and label >= level:
            return 1.0 / rank
    return 0.0


def interpolated_precision(
    labels: list[int | None], num_rel: int, point: float, level: int = 1, *, trec_eval_9: bool = False
) -> float:
    """Highest precision at any rank where recall reaches ``point`` (0 if it never does).

    The recall point becomes a number of relevant docs by rounding (trec_eval 10.0) or, with
    ``trec_eval_9``, by adding 0.9 and truncating (trec_eval 9 and pytrec_eval).
    """
    needed = int(point * num_rel + 0.9) if trec_eval_9 else math.floor(point * num_rel + 0.5)
    hits, best = 0, 0.0
    precisions = []
    for rank, label in enumerate(labels, start=1):
        if label is not None and label >= level:
            hits += 1
        precisions.append((hits, hits / rank))
    for hits_so_far, precision in precisions:
        if hits_so_far >= needed and (hits_so_far > 0 or needed == 0):
            best = max(best, precision)
    return best


def random_case(rng):
    """A run with score ties and a qrels with graded, 0 and -1 labels; some queries on one side only."""
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for q in range(12):
        docs = [f"d{x}" for x in rng.choice(60, size=rng.integers(1, 40), replace=False)]
        if q != 11:  # query 11 only in the qrels
            run[f"q{q}"] = {d: float(rng.integers(0, 6)) for d in docs}  # many ties
        if q != 10:  # query 10 only in the run
            judged = rng.choice(60, size=rng.integers(1, 30), replace=False)
            qrels[f"q{q}"] = {f"d{x}": int(rng.choice([-1, 0, 0, 1, 2, 3])) for x in judged}
    return run, qrels


def precision_at_multiple_of_r(labels: list[int | None], num_rel: int, multiple: float, level: int = 1) -> float:
    """trec_eval's Rprec_mult: precision at rank int(multiple * R + 0.9); missing ranks count as
    non-relevant, and a rank of 0 gives 0."""
    cutoff = int(multiple * num_rel + 0.9)
    return precision_at(labels, cutoff, level) if cutoff > 0 else 0.0


def judgment_group_values(
    ranking: dict[str, float] | None,
    groups: list[dict[str, int]],
    *,
    cutoffs: list[int],
    multiples: list[float],
    level: int = 1,
    max_docs: int | None = None,
    judged_only: bool = False,
) -> dict[str, float]:
    """map_avgjg, P_avgjg_k and Rprec_mult_avgjg_m of one query judged by ``groups`` (each a
    {doc: label} dict, in group order): each plain measure with one group's judgments, averaged."""
    totals: dict[str, float] = {}
    for judgments in groups:
        labels = ranked_labels(ranking or {}, judgments)[:max_docs]
        if judged_only:
            labels = [label for label in labels if label is not None and label >= 0]
        num_rel = sum(1 for label in judgments.values() if label >= level)
        values = {"map_avgjg": average_precision(labels, num_rel, level)}
        values |= {f"P_avgjg_{k}": precision_at(labels, k, level) for k in cutoffs}
        values |= {f"Rprec_mult_avgjg_{m:.2f}": precision_at_multiple_of_r(labels, num_rel, m, level) for m in multiples}
        for name, value in values.items():
            totals[name] = totals.get(name, 0.0) + value
    return {name: total / len(groups) for name, total in totals.items()}


def _grade(label: int | None) -> int:
    return max(label or 0, 0)


def dcg(labels: list[int | None], k: int | None, *, exponential: bool) -> float:
    gains = [(2 ** _grade(label) - 1) if exponential else _grade(label) for label in labels[:k]]
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


def ndcg_exp(labels: list[int | None], judgments: dict[str, int], k: int | None) -> float:
    ideal = dcg(sorted(judgments.values(), reverse=True), k, exponential=True)
    return dcg(labels, k, exponential=True) / ideal if ideal > 0 else 0.0


def expected_reciprocal_rank(labels: list[int | None], k: int | None, top_grade: int = 4) -> float:
    """Chapelle et al.: P(stop at a doc of grade g) = (2**g - 1) / 2**top_grade."""
    total, reach = 0.0, 1.0
    for rank, label in enumerate(labels[:k], start=1):
        stop = (2 ** min(_grade(label), top_grade) - 1) / 2**top_grade
        total += reach * stop / rank
        reach *= 1 - stop
    return total


def rank_biased_precision(labels: list[int | None], p: float, level: int = 1, top_grade: int = 0) -> float:
    """Binary gains (label >= level), or graded min(label, top_grade) / top_grade."""
    def gain(label: int | None) -> float:
        if top_grade:
            return min(_grade(label), top_grade) / top_grade
        return 1.0 if label is not None and label >= level else 0.0

    return (1 - p) * sum(gain(label) * p ** (rank - 1) for rank, label in enumerate(labels, start=1))


def rbp_residual(labels: list[int | None], p: float) -> float:
    """The unjudged docs' weight plus the unseen tail's (p ** depth)."""
    unjudged = sum(p ** (rank - 1) for rank, label in enumerate(labels, start=1) if label is None or label < 0)
    return (1 - p) * unjudged + p ** len(labels)


def judged_share(labels: list[int | None], k: int) -> float:
    top = labels[:k]
    return sum(1 for label in top if label is not None and label >= 0) / len(top) if top else 0.0


def f_measure(labels: list[int | None], k: int, num_rel: int, beta: float, level: int = 1) -> float:
    hits = sum(1 for label in labels[:k] if label is not None and label >= level)
    precision, recall = hits / k, (hits / num_rel if num_rel else 0.0)
    if precision + recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
