"""ir-measures names give ir-measures' numbers (it computes them with pytrec_eval)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference

from rank_core import RankValueError
from rank_eval import evaluate
from rank_eval.names import Resolved, resolve

ir_measures = pytest.importorskip("ir_measures")

NAMES = ["nDCG@10", "nDCG", "P@5", "P(rel=2)@5", "AP", "AP(rel=2)", "AP@10", "RR", "RR(rel=2)", "R@20",
         "Success@10", "Rprec", "Bpref", "infAP", "SetP", "SetR", "SetF", "NumRet", "IPrec@0.5"]


@pytest.mark.parametrize("seed", range(10))
def test_agrees_with_ir_measures(seed):
    """ir-measures averages over every qrels query (a missing ranking scores 0): trec_eval's -c.

    One documented difference: for a query the run lacks, ir-measures has no NumRel (it sums
    num_rel over the run's queries only) where trec_eval -c counts the query's relevant docs.
    """
    run, qrels = reference.random_case(np.random.default_rng(seed))
    parsed = [ir_measures.parse_measure(name) for name in [*NAMES, "NumRel"]]
    theirs = {str(m): v for m, v in ir_measures.calc_aggregate(parsed, qrels, run).items()}
    ours = evaluate(qrels, run, [*NAMES, "NumRel"], complete=True)
    assert list(ours.summary) == list(ours.measures)
    for name in NAMES:
        assert math.isclose(ours.summary[name], theirs[name], rel_tol=0, abs_tol=1e-9), name
    missing_relevant = sum(1 for q in qrels if q not in run for v in qrels[q].values() if v >= 1)
    assert ours.summary["NumRel"] - missing_relevant == theirs["NumRel"]


def test_same_measure_under_two_names():
    qrels, run = {"q": {"a": 1, "b": 2}}, {"q": {"a": 2.0, "b": 1.0}}
    result = evaluate(qrels, run, ["map", "AP", "P_5", "P(rel=2)@5"])
    assert result.summary == {"map": 1.0, "AP": 1.0, "P_5": 0.4, "P(rel=2)@5": 0.2}
    assert evaluate(qrels, run, ["AP(rel=2)"]).summary["AP(rel=2)"] == 0.5  # only b (rank 2) is relevant
    assert evaluate(qrels, run, ["map"], relevance_level=2).summary["map"] == 0.5


@pytest.mark.parametrize(
    ("name", "message"),
    [("nDCG(gains=2)@10", "unknown argument"), ("P@", "positive integer"), ("P@2.5", "positive integer"),
     ("Success", "needs a cutoff"), ("Rprec@10", "takes no cutoff"), ("P(rel=x)@5", "key=value literals"),
     ("P(rel=1.5)@5", "rel must be an integer"), ("nDCG(dcg='exp')@5", "dcg must be"),
     ("RBP(p=1)", "strictly between"), ("ndcg_cutt_10", "did you mean ndcg_cut"), ("nDGC@10", "did you mean nDCG")],
)
def test_name_errors(name, message):
    with pytest.raises(RankValueError, match=message) as info:
        resolve(name)
    assert isinstance(info.value, ValueError)


def test_trec_eval_names_come_first():
    assert resolve("P") == Resolved("P")  # trec_eval's P family, not ir-measures' P (which needs a cutoff)
    assert resolve("Rprec") == Resolved("Rprec")
    assert resolve("P(rel=2)@5") == Resolved("P_5", 2)
