from __future__ import annotations

import pytest

from rank_core import RankValueError
from rank_eval.measures import ALL_TREC_MEASURES, DEFAULT_MEASURES, plan


def test_named_sets_and_order():
    assert DEFAULT_MEASURES[:3] == ("runid", "num_q", "num_ret")
    assert DEFAULT_MEASURES[-1] == "P_1000"
    assert len(ALL_TREC_MEASURES) == 100  # the 99 summary lines of out.test.a, and relstring (per query only)
    assert plan(["P_10", "map"]).names == ("map", "P_10")  # trec_eval's order, not the request's


def test_parameters_are_parsed_and_sorted_like_trec_eval():
    measures = plan(["P.5,7,3", "iprec_at_recall..10,.50,.25", "ndcg_cut.10,23.4", "success.2", "P_10"])
    assert measures.names == (
        "iprec_at_recall_0.10", "iprec_at_recall_0.25", "iprec_at_recall_0.50",
        "P_3", "P_5", "P_7", "P_10", "ndcg_cut_10", "ndcg_cut_23", "success_2",
    )
    assert measures.cutoffs.tolist() == [2, 3, 5, 7, 10, 23]
    named = plan(["utility.2,-1,0,0", "11pt_avg..25,.5", "ndcg.1=3,2=9", "relstring.20"])
    assert named.names == ("relstring_20", "utility_2,-1,0,0", "11pt_avg_.25,.5", "ndcg_1=3,2=9")
    assert named.utility.tolist() == [2, -1, 0, 0]
    assert named.gains == {1: 3.0, 2: 9.0}
    assert named.relstring_length == 20


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("mapp", "unknown trec_eval measure 'mapp'; did you mean map"),
        ("map.5", "map takes no parameters"),
        ("P.0,5", "positive and distinct"),
        ("P.5,5", "positive and distinct"),
        ("P.five", "comma-separated numbers"),
        ("P.", "at least one parameter"),
        ("utility.1,2", "4 coefficients"),
        ("ndcg.1:3", "level=gain pairs"),
    ],
)
def test_bad_requests(request_, message):
    with pytest.raises(RankValueError, match=message) as info:
        plan([request_])
    assert isinstance(info.value, ValueError)


def test_conflicting_text_parameters():
    with pytest.raises(RankValueError, match="different parameters"):
        plan(["utility.1,-1,0,0", "utility.2,-1,0,0"])
