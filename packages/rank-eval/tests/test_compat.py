"""The original Rust bindings' per-list functions: each against the formula it documents (written
out here in plain Python) and against :func:`rank_eval.evaluate` on the same one-query input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rank_eval
from rank_core import RankTypeError, RankValueError

POOL = [f"d{i}" for i in range(12)]
rankings = st.permutations(POOL).flatmap(lambda docs: st.integers(0, len(docs)).map(lambda n: list(docs[:n])))
relevant_sets = st.sets(st.sampled_from(POOL), max_size=6)
cutoffs = st.integers(1, 14)


def hits(ranked, relevant, k):
    return sum(doc in relevant for doc in ranked[:k])


def oracle(name, ranked, relevant, k, parameter):
    """The original's definitions (binary relevance); ERR with R = 1/2 per relevant doc."""
    n_rel = len(relevant)
    if name == "precision_at_k":
        return hits(ranked, relevant, k) / k
    if name == "recall_at_k":
        return hits(ranked, relevant, k) / n_rel
    if name == "mrr":
        return next((1 / (i + 1) for i, doc in enumerate(ranked) if doc in relevant), 0.0)
    if name == "dcg_at_k":
        return sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    if name == "ndcg_at_k":
        ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_rel)))
        return oracle("dcg_at_k", ranked, relevant, k, parameter) / ideal
    if name == "average_precision":
        found, total = 0, 0.0
        for i, doc in enumerate(ranked):
            if doc in relevant:
                found += 1
                total += found / (i + 1)
        return total / n_rel
    if name == "err_at_k":
        err, continuing = 0.0, 1.0
        for i, doc in enumerate(ranked[:k]):
            stop = 0.5 if doc in relevant else 0.0  # (2^1 - 1) / 2^1
            err += continuing * stop / (i + 1)
            continuing *= 1 - stop
        return err
    if name == "rbp_at_k":
        return (1 - parameter) * sum(parameter**i for i, doc in enumerate(ranked[:k]) if doc in relevant)
    if name == "f_measure_at_k":
        p, r = hits(ranked, relevant, k) / k, hits(ranked, relevant, k) / n_rel
        return 0.0 if p == r == 0 else (1 + parameter**2) * p * r / (parameter**2 * p + r)
    if name == "success_at_k":
        return float(hits(ranked, relevant, k) > 0)
    if name == "r_precision":
        return hits(ranked, relevant, n_rel) / n_rel
    raise AssertionError(name)


#: name -> (takes k, extra parameter, the measure asked of evaluate())
FUNCTIONS = {
    "precision_at_k": (True, None, "P@{k}"),
    "recall_at_k": (True, None, "R@{k}"),
    "mrr": (False, None, "RR"),
    "dcg_at_k": (True, None, "DCG@{k}"),
    "ndcg_at_k": (True, None, "nDCG@{k}"),
    "average_precision": (False, None, "AP"),
    "err_at_k": (True, None, "ERR(max_rel=1)@{k}"),
    "rbp_at_k": (True, 0.8, "RBP(p=0.8)@{k}"),
    "f_measure_at_k": (True, 2.0, "F(beta=2.0)@{k}"),
    "success_at_k": (True, None, "success.{k}"),
    "r_precision": (False, None, "Rprec"),
}


def call(name, ranked, relevant, k):
    takes_k, parameter, _ = FUNCTIONS[name]
    args = [ranked, relevant] + ([k] if takes_k else []) + ([parameter] if parameter is not None else [])
    return getattr(rank_eval, name)(*args)


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(deadline=None, max_examples=40)
@given(ranked=rankings, relevant=relevant_sets, k=cutoffs)
def test_matches_the_documented_formula_and_evaluate(name, ranked, relevant, k):
    value = call(name, ranked, relevant, k)
    if not relevant:
        assert value == 0.0  # the original's answer when nothing is relevant
        return
    assert value == pytest.approx(oracle(name, ranked, relevant, k, FUNCTIONS[name][1]), abs=1e-12)
    measure = FUNCTIONS[name][2].format(k=k)
    qrels = {"q": dict.fromkeys(relevant, 1)}
    run = {"q": {doc: float(len(ranked) - rank) for rank, doc in enumerate(ranked)}}
    assert value == next(iter(rank_eval.evaluate(qrels, run, [measure]).values()))


def test_idcg_at_k_is_the_dcg_of_an_ideal_ranking():
    for n_relevant in range(6):
        for k in range(1, 8):
            ideal = [f"d{i}" for i in range(n_relevant)] + ["x", "y"]
            expected = rank_eval.dcg_at_k(ideal, set(ideal[:n_relevant]), k)
            assert rank_eval.idcg_at_k(n_relevant, k) == pytest.approx(expected, abs=1e-12)


def test_graded_relevance_mapping():
    ranked = ["a", "b", "c"]
    grades = {"a": 1, "b": 0, "c": 3}
    dcg = 1 / math.log2(2) + 3 / math.log2(4)  # trec_eval's linear gain
    assert rank_eval.dcg_at_k(ranked, grades, 3) == pytest.approx(dcg, abs=1e-12)
    assert rank_eval.precision_at_k(ranked, grades, 3) == pytest.approx(2 / 3)  # grade >= 1
    expected_err = (1 / 8) / 1 + (1 - 1 / 8) * (7 / 8) / 3  # g_max = 3: R = (2^g - 1) / 8
    assert rank_eval.err_at_k(ranked, grades, 3) == pytest.approx(expected_err, abs=1e-12)


@pytest.mark.parametrize(
    ("call_it", "error", "message"),
    [
        (lambda: rank_eval.precision_at_k(["a"], {"a"}, 0), RankValueError, "cutoff must be a positive integer"),
        (lambda: rank_eval.precision_at_k(["a"], {"a"}, 2.5), RankTypeError, "k must be"),
        (lambda: rank_eval.mrr(["a", "a"], {"a"}), RankValueError, "twice"),
        (lambda: rank_eval.mrr("ab", {"a"}), RankTypeError, "list of document ids"),
        (lambda: rank_eval.mrr(["a"], "a"), RankTypeError, "not one string"),
        (lambda: rank_eval.rbp_at_k(["a"], {"a"}, 5, 1.5), RankValueError, "p must be"),
        (lambda: rank_eval.idcg_at_k(-1, 3), RankValueError, "n_relevant"),
    ],
)
def test_bad_input(call_it, error, message):
    with pytest.raises(error, match=message):
        call_it()
