"""The original Rust bindings' per-list functions, as thin wrappers over :func:`rank_eval.evaluate`.

Each takes one ranked list of document ids (best first) and the relevant documents: a set (or
any collection) of ids, binary relevance, or a ``{id: grade}`` mapping (grades >= 1 are
relevant; the gain-based measures use the grades). Each builds a one-query run and qrels and
asks :func:`~rank_eval.evaluate` for one measure, so the numbers are trec_eval's. Where the
original differed, the README's "Coming from the Rust bindings" section says what changed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

from rank_core import RankTypeError, RankValueError
from rank_core.validation import check_k
from rank_eval.evaluate import evaluate

Relevance = Collection[str] | Mapping[str, int]


def _grades(relevant: Relevance) -> dict[str, int]:
    if isinstance(relevant, (str, bytes)):
        raise RankTypeError("relevant must be a collection of ids or an {id: grade} mapping, not one string")
    if isinstance(relevant, Mapping):
        return dict(relevant)
    return dict.fromkeys(relevant, 1)


def _measure(ranked: Sequence[str], relevant: Relevance, measure: str) -> float:
    """``measure`` of one ranking; 0.0 when nothing is relevant (as the original returned)."""
    if isinstance(ranked, (str, bytes)):
        raise RankTypeError("ranked must be a list of document ids, not one string")
    grades = _grades(relevant)
    if not any(grade >= 1 for grade in grades.values()):
        return 0.0
    if len(set(ranked)) != len(ranked):
        raise RankValueError("ranked lists a document twice: a ranking holds each document once")
    run = {"q": {doc: float(len(ranked) - rank) for rank, doc in enumerate(ranked)}}
    return float(next(iter(evaluate({"q": grades}, run, [measure]).values())))


def precision_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """Relevant documents among the first ``k``, over ``k`` (trec_eval ``P_k``)."""
    return _measure(ranked, relevant, f"P@{check_k(k)}")


def recall_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """Relevant documents among the first ``k``, over all relevant ones (trec_eval ``recall_k``)."""
    return _measure(ranked, relevant, f"R@{check_k(k)}")


def mrr(ranked: Sequence[str], relevant: Relevance) -> float:
    """1 / rank of the first relevant document (trec_eval ``recip_rank``)."""
    return _measure(ranked, relevant, "RR")


def dcg_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """Sum over the first ``k`` of grade / log2(rank + 1) (``DCG@k``)."""
    return _measure(ranked, relevant, f"DCG@{check_k(k)}")


def idcg_at_k(n_relevant: int, k: int) -> float:
    """DCG@k of a ranking with ``n_relevant`` binary-relevant documents on top."""
    depth = min(check_k(n_relevant, name="n_relevant"), check_k(k))
    return sum(1.0 / math.log2(rank + 1) for rank in range(1, depth + 1))


def ndcg_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """DCG@k over the ideal ranking's (trec_eval ``ndcg_cut_k``, linear gain)."""
    return _measure(ranked, relevant, f"nDCG@{check_k(k)}")


def average_precision(ranked: Sequence[str], relevant: Relevance) -> float:
    """Mean of the precisions at each relevant document's rank, over all relevant ones (``map``)."""
    return _measure(ranked, relevant, "AP")


def err_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """Expected reciprocal rank (Chapelle et al.) with the top grade of ``relevant`` as g_max."""
    top = max(_grades(relevant).values(), default=1)
    return _measure(ranked, relevant, f"ERR(max_rel={max(top, 1)})@{check_k(k)}")


def rbp_at_k(ranked: Sequence[str], relevant: Relevance, k: int, persistence: float = 0.95) -> float:
    """Rank-biased precision over the first ``k``, binary gains, ``0 < persistence < 1``."""
    return _measure(ranked, relevant, f"RBP(p={persistence!r})@{check_k(k)}")


def f_measure_at_k(ranked: Sequence[str], relevant: Relevance, k: int, beta: float = 1.0) -> float:
    """F-beta of precision@k and recall@k (``F(beta=b)@k``)."""
    return _measure(ranked, relevant, f"F(beta={beta!r})@{check_k(k)}")


def success_at_k(ranked: Sequence[str], relevant: Relevance, k: int) -> float:
    """1.0 when a relevant document is among the first ``k`` (trec_eval ``success_k``)."""
    return _measure(ranked, relevant, f"success.{check_k(k)}")


def r_precision(ranked: Sequence[str], relevant: Relevance) -> float:
    """Precision at R, the number of relevant documents (trec_eval ``Rprec``)."""
    return _measure(ranked, relevant, "Rprec")
