"""Bad input: each raises the exact rank-core error class, which is also the builtin one."""

from __future__ import annotations

import math
from typing import Any

import pytest
import reference as ref

import rank_fusion
from rank_core import NonFiniteInputError, RankTypeError, RankValueError, Run
from rank_core.testing import raises_exactly as raises

A = {"q1": {"a": 3.0, "b": 2.0}, "q2": {"x": 1.0}}
B = {"q1": {"b": 5.0, "d": 4.0}, "q3": {"y": 1.0}}


# ----------------------------------------------------------------------------- non-finite scores


@pytest.mark.parametrize("method", ["rrf", "sum", "bordafuse", "condorcet"])
def test_nan_in_a_dict_run(method: str) -> None:
    with raises(NonFiniteInputError, ValueError, match="NaN"):
        rank_fusion.fuse([{"q": {"a": 1.0, "b": math.nan}}, {"q": {"a": 1.0}}], method)


@pytest.mark.parametrize("method", ["rrf", "sum", "bordafuse", "condorcet"])
@pytest.mark.parametrize("ranking", [{"a": 1.0, "b": math.nan}, [("a", 1.0), ("b", math.nan)]])
def test_nan_in_a_one_query_ranking(method: str, ranking: Any) -> None:
    with raises(NonFiniteInputError, ValueError, match="NaN"):
        rank_fusion.fuse([{"a": 2.0}, ranking], method)


@pytest.mark.parametrize(
    "method", ["sum", "min", "max", "med", "anz", "mnz", "gmnz", "wsum", "wmnz", "mixed"]
)
@pytest.mark.parametrize("inf", [math.inf, -math.inf])
def test_inf_with_a_score_based_method(method: str, inf: float) -> None:
    weights = {"weights": [1.0, 1.0]} if method in ("wsum", "wmnz", "mixed") else {}
    with raises(NonFiniteInputError, ValueError, match="finite"):
        rank_fusion.fuse([{"q": {"a": 1.0, "b": inf}}, {"q": {"a": 1.0}}], method, **weights)
    with raises(NonFiniteInputError, ValueError, match="finite"):
        rank_fusion.fuse([{"a": 1.0, "b": inf}, {"a": 1.0}], method, **weights)
    with raises(NonFiniteInputError, ValueError, match="finite"):
        rank_fusion.fuse(
            [{"q": {"a": 1.0, "b": inf}}, {"q": {"a": 1.0}}], method, norm="min-max", **weights
        )


def test_inf_is_fine_for_rank_based_methods() -> None:
    runs = [{"q": {"a": 1.0, "b": math.inf, "c": -math.inf}}, {"q": {"a": 1.0}}]
    fused = rank_fusion.fuse(runs, "rrf")
    assert fused["q"].doc_ids.tolist() == ["a", "b", "c"]
    assert fused["q"].scores.tolist() == [1 / 62 + 1 / 61, 1 / 61, 1 / 63]
    assert rank_fusion.rrf([{"a": 1.0, "b": math.inf}, {"a": 1.0}]) == [
        ("a", 1 / 62 + 1 / 61),
        ("b", 1 / 61),
    ]
    assert [doc for doc, _ in rank_fusion.bordafuse([{"a": 1.0, "b": math.inf}])] == ["b", "a"]


def test_inf_in_a_query_left_out_by_intersection_is_ignored() -> None:
    runs = [{"q": {"a": 1.0}, "r": {"b": math.inf}}, {"q": {"a": 2.0}}]
    fused = rank_fusion.fuse(runs, "sum", queries="intersection")
    assert fused.to_dict() == {"q": {"a": 3.0}}


# ----------------------------------------------------------------------------- runs


def test_strict_query_sets_name_the_run() -> None:
    with raises(RankValueError, ValueError, match=r"runs\[1\]"):
        rank_fusion.fuse([A, B], "rrf", queries="strict")
    with raises(RankValueError, ValueError, match=r"runs\[2\]"):
        rank_fusion.rrf([A, A, B], queries="strict")


def test_unknown_query_policy() -> None:
    with raises(RankValueError, ValueError, match="queries"):
        rank_fusion.rrf([A, B], queries="all")


def test_empty_runs_list() -> None:
    with raises(RankValueError, ValueError, match="empty"):
        rank_fusion.fuse([], "rrf")
    with raises(RankValueError, ValueError, match="empty"):
        rank_fusion.comb_sum([])


def test_run_without_queries() -> None:
    with raises(RankValueError, ValueError, match=r"runs\[1\]"):
        rank_fusion.fuse([A, Run.from_dict({})], "rrf")


def test_runs_must_be_a_list() -> None:
    with raises(RankTypeError, TypeError):
        rank_fusion.rrf(Run.from_dict(A))
    with raises(RankTypeError, TypeError):
        rank_fusion.rrf(A)
    with raises(RankTypeError, TypeError):
        rank_fusion.rrf([A, 3])


def test_an_empty_mapping_takes_the_kind_of_the_others() -> None:
    with raises(RankValueError, ValueError, match=r"runs\[1\] is empty"):
        rank_fusion.fuse([A, {}], "rrf")
    assert rank_fusion.rrf([{}, {"a": 1.0}]) == [("a", 1 / 61)]
    assert rank_fusion.rrf([{}, {}]) == []


def test_mixing_runs_and_rankings() -> None:
    with raises(RankTypeError, TypeError, match="mixes"):
        rank_fusion.fuse([A, {"a": 1.0}], "rrf")
    with raises(RankTypeError, TypeError, match="mixes"):
        rank_fusion.rrf([Run.from_dict(A), [("a", 1.0)]])


def test_duplicate_doc_in_a_one_query_list() -> None:
    with raises(RankValueError, ValueError, match=r"runs\[1\]"):
        rank_fusion.fuse([{"a": 1.0}, [("a", 1.0), ("b", 2.0), ("a", 0.5)]], "rrf")
    with raises(RankValueError, ValueError, match=r"runs\[0\]"):
        rank_fusion.comb_sum([[("x", 1.0), ("x", 1.0)]])


def test_bad_pairs() -> None:
    with raises(RankTypeError, TypeError):
        rank_fusion.rrf([[("a", 1.0, 2.0)]])


# ----------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("k", [-1, -0.5])
def test_negative_k(k: float) -> None:
    with raises(RankValueError, ValueError, match="k"):
        rank_fusion.fuse([A, B], "rrf", k=k)
    with raises(RankValueError, ValueError, match="k"):
        rank_fusion.rrf([{"a": 1.0}], k=k)


@pytest.mark.parametrize(
    ("method", "param", "value"),
    [("rbc", "phi", 1.0), ("rbc", "phi", 0.0), ("logn_isr", "sigma", 2.0)],
)
def test_parameters_out_of_range(method: str, param: str, value: float) -> None:
    with raises(RankValueError, ValueError, match=param):
        rank_fusion.fuse([A, B], method, **{param: value})


def test_non_finite_parameter() -> None:
    with raises(NonFiniteInputError, ValueError, match="k"):
        rank_fusion.rrf([A, B], k=math.nan)


@pytest.mark.parametrize("method", ["wsum", "wmnz", "mixed", "w_bordafuse", "w_condorcet", "rrf"])
def test_bad_weights(method: str) -> None:
    with raises(RankValueError, ValueError, match="weights"):
        rank_fusion.fuse([A, B], method, weights=[1.0])
    with raises(RankValueError, ValueError, match="weights"):
        rank_fusion.fuse([A, B], method, weights=[1.0, 2.0, 3.0])
    with raises(RankValueError, ValueError, match=">= 0"):
        rank_fusion.fuse([A, B], method, weights=[1.0, -0.5])
    with raises(RankValueError, ValueError, match="0"):
        rank_fusion.fuse([A, B], method, weights=[0.0, 0.0])
    with raises(NonFiniteInputError, ValueError):
        rank_fusion.fuse([A, B], method, weights=[1.0, math.nan])


def test_weighted_method_without_weights() -> None:
    with raises(RankTypeError, TypeError, match="weights"):
        rank_fusion.fuse([A, B], "wsum")


@pytest.mark.parametrize("method", ["sum", "mnz", "bordafuse", "condorcet", "isr", "rbc"])
def test_weights_given_to_an_unweighted_method(method: str) -> None:
    with raises(RankValueError, ValueError, match="takes no weights"):
        rank_fusion.fuse([A, B], method, weights=[1.0, 2.0])


@pytest.mark.parametrize("method", ["rrf", "isr", "bordafuse", "condorcet", "rbc", "w_bordafuse"])
def test_norm_given_to_a_rank_based_method(method: str) -> None:
    weights = {"weights": [1.0, 1.0]} if method == "w_bordafuse" else {}
    with raises(RankValueError, ValueError, match="uses ranks only"):
        rank_fusion.fuse([A, B], method, norm="min-max", **weights)


def test_unknown_method_lists_close_matches() -> None:
    with raises(RankValueError, ValueError, match="did you mean 'rrf'") as _:
        rank_fusion.fuse([A, B], "rff")
    with pytest.raises(RankValueError) as info:
        rank_fusion.fuse([A, B], "combmnz_")
    assert "known:" in str(info.value) and "wsum" in str(info.value)
    with raises(RankValueError, ValueError, match="bordafuse"):
        rank_fusion.fuse([A, B], "borda_fuse")


@pytest.mark.parametrize("norm", ["minmax", "z-score", "MIN-MAX", ""])
def test_unknown_norm(norm: str) -> None:
    with raises(RankValueError, ValueError, match="norm"):
        rank_fusion.fuse([A, B], "sum", norm=norm)
    with raises(RankValueError, ValueError, match="norm"):
        rank_fusion.comb_mnz([{"a": 1.0}], norm=norm)


@pytest.mark.parametrize("top_k", [-1, -10])
def test_negative_top_k(top_k: int) -> None:
    with raises(RankValueError, ValueError, match="top_k"):
        rank_fusion.fuse([A, B], "rrf", top_k=top_k)
    with raises(RankValueError, ValueError, match="top_k"):
        rank_fusion.comb_sum([{"a": 1.0}], top_k=top_k)


def test_top_k_must_be_an_integer() -> None:
    with raises(RankTypeError, TypeError, match="top_k"):
        rank_fusion.fuse([A, B], "rrf", top_k=1.5)


def test_top_k_zero_keeps_the_queries() -> None:
    assert rank_fusion.fuse([A, B], "rrf", top_k=0).to_dict() == {"q1": {}, "q2": {}, "q3": {}}
    assert rank_fusion.fuse([{"a": 1.0}], "rrf", top_k=0) == []


def test_negated_scores_need_negated_ranks() -> None:
    with raises(RankValueError, ValueError, match="negated"):
        rank_fusion.rrf([{"a": 1.0}], ranks="negated_scores")
    with raises(RankValueError, ValueError, match="ranks"):
        rank_fusion.rrf([{"a": -1.0}], ranks="scores")


# ----------------------------------------------------------------------------- edge cases that must not fail


@pytest.mark.parametrize(
    "norm", [None, "min-max", "min-max-inverted", "max", "sum", "zmuv", "rank", "borda"]
)
def test_a_query_without_candidates(norm: str | None) -> None:
    # every run holds q2 with no docs: q2 fuses to an empty list, whatever the normalisation
    # (norm="borda" divided by the number of candidates, 0 here: ZeroDivisionError in the kernel,
    # surfacing as SystemError when the empty query is the first or only one)
    runs = [{"q1": {"a": 1.0}, "q2": {}}, {"q1": {"b": 2.0}, "q2": {}}]
    fused = rank_fusion.fuse(runs, "sum", norm=norm)
    assert fused.to_dict()["q2"] == {}
    assert rank_fusion.fuse([{"q": {}}, {"q": {}}], "sum", norm=norm).to_dict() == {"q": {}}
    runs = [{"q1": {}, "q2": {}, "q3": {"a": 1.0}}]
    fused = rank_fusion.fuse(runs, "mnz", norm=norm)
    assert ref.run_lists(fused) == ref.fuse_runs(runs, "mnz", norm=norm)
    assert rank_fusion.fuse([{}, {}], "sum", norm=norm) == []


def test_borda_norm_without_candidates_in_a_fresh_process() -> None:
    # the same case in a process that has not imported ranx (importing ranx hides the kernel's
    # ZeroDivisionError, which otherwise surfaces as SystemError)
    import subprocess
    import sys

    code = (
        "import rank_fusion\n"
        "print(rank_fusion.fuse([{'q': {}}, {'q': {}}], 'sum', norm='borda').to_dict())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "{'q': {}}"
