"""Properties of every fusion method, on generated inputs with many ties.

- the order of the docs inside an input (dict insertion order, pair-list order, tied docs) never
  changes the result; neither does the order of the runs for the symmetric methods (nor, for the
  weighted ones, permuting runs with their weights);
- fused scores equal the oracle's (``reference.py``), ranked descending with ties by doc id
  descending;
- ``top_k`` is a prefix of the full result; one query gives what a batch of one query gives;
- the ``queries`` policies (union, intersection, strict).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
import reference as ref
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import rank_fusion
from rank_core import RankValueError, Run

SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
BATCH_SETTINGS = settings(SETTINGS, max_examples=60)

# "d10" < "d9" as strings: doc ids are compared as strings, not as numbers
DOCS = ["a", "b", "c", "d", "e", "d9", "d10", "ä", "B"]

RANK_CASES: list[tuple[str, dict[str, Any]]] = [
    ("rrf", {}),
    ("rrf", {"k": 0}),
    ("rrf", {"k": 2.5}),
    ("isr", {}),
    ("log_isr", {}),
    ("logn_isr", {"sigma": 0.3}),
    ("bordafuse", {}),
    ("w_bordafuse", {}),
    ("condorcet", {}),
    ("w_condorcet", {}),
    ("rbc", {}),
    ("rbc", {"phi": 0.5}),
]
SCORE_CASES: list[tuple[str, dict[str, Any]]] = [
    (method, ({"norm": norm} if norm else {}) | ({"gamma": 2.0} if method == "gmnz" else {}))
    for method in ref.SCORE_METHODS
    for norm in (None, *ref.NORMS)
]
SCORE_CASES += [("standardized", {}), ("standardized", {"clip_range": (-1.0, 0.5)})]
CASES = RANK_CASES + SCORE_CASES
#: results computed without rounding whatever the order of the runs (integer weights)
EXACT = {"condorcet", "w_condorcet", "bordafuse", "w_bordafuse", "min", "max", "med"}

int_scores = st.integers(-3, 4).map(float)
float_scores = st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False)
rankings = st.dictionaries(
    st.sampled_from(DOCS), st.one_of(int_scores, float_scores), max_size=len(DOCS)
)
tied_rankings = st.dictionaries(st.sampled_from(DOCS), int_scores, max_size=len(DOCS))
list_sets = st.lists(st.one_of(rankings, tied_rankings), min_size=1, max_size=4)


@st.composite
def problems(draw: Any) -> tuple[list[dict[str, float]], str, dict[str, Any]]:
    """Rankings of one query, a method and its options (integer weights where it takes them)."""
    lists = draw(list_sets)
    method, options = draw(st.sampled_from(CASES))
    options = dict(options)
    if method in ref.WEIGHTED and draw(st.booleans()):
        weights = draw(
            st.lists(st.integers(0, 3).map(float), min_size=len(lists), max_size=len(lists))
        )
        assume(sum(weights) > 0)
        options["weights"] = weights
    elif method in ("w_bordafuse", "w_condorcet", "wsum", "wmnz", "mixed"):
        options["weights"] = [1.0] * len(lists)
    return lists, method, options


def fuse(lists: Any, method: str, options: dict[str, Any], **extra: Any) -> Any:
    return rank_fusion.fuse(lists, method, **options, **extra)


def assert_close(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    assert sorted(doc for doc, _ in got) == sorted(doc for doc, _ in expected)
    assert dict(got) == pytest.approx(dict(expected), rel=1e-12, abs=1e-12)


@given(problems(), st.randoms(use_true_random=False))
@SETTINGS
def test_input_order_does_not_matter(problem: Any, random: Any) -> None:
    lists, method, options = problem
    expected = fuse(lists, method, options)
    shuffled_dicts = []
    shuffled_pairs = []
    for scores in lists:
        items = list(scores.items())
        random.shuffle(items)
        shuffled_dicts.append(dict(items))
        random.shuffle(items)
        shuffled_pairs.append(items)
    assert fuse(shuffled_dicts, method, options) == expected
    assert fuse(shuffled_pairs, method, options) == expected
    assert fuse([tuple(pairs) for pairs in shuffled_pairs], method, options) == expected


@given(problems(), st.randoms(use_true_random=False))
@SETTINGS
def test_run_order_does_not_matter(problem: Any, random: Any) -> None:
    lists, method, options = problem
    expected = fuse(lists, method, options)
    permutation = list(range(len(lists)))
    random.shuffle(permutation)
    permuted = dict(options)
    if "weights" in options:
        permuted["weights"] = [options["weights"][i] for i in permutation]
    got = fuse([lists[i] for i in permutation], method, permuted)
    if method in EXACT:
        assert got == expected
    else:
        assert_close(got, expected)


@given(problems())
@SETTINGS
def test_matches_the_oracle(problem: Any) -> None:
    lists, method, options = problem
    got = fuse(lists, method, options)
    assert ref.is_ranked(got)
    expected = ref.fuse_rankings(lists, method, **options)
    if method in ("condorcet", "w_condorcet", "bordafuse", "w_bordafuse") or (
        method in ("min", "max", "med") and "norm" not in options
    ):
        assert got == expected
    else:
        assert_close(got, expected)


@given(list_sets, st.sampled_from([1.0, 2.0, 3.0]))
@SETTINGS
def test_condorcet_order_is_a_hamiltonian_path(lists: list[dict[str, float]], w: float) -> None:
    # Montague & Aslam: the merge sort lists the candidates so that no doc is beaten by the next
    weights = [w] + [1.0] * (len(lists) - 1)
    order = [doc for doc, _ in rank_fusion.w_condorcet(lists, weights)]
    for upper, lower in pairwise(order):
        for_lower, for_upper = ref.beats_weight(lists, weights, lower, upper)
        assert for_lower <= for_upper


@given(problems(), st.integers(0, len(DOCS) + 1))
@BATCH_SETTINGS
def test_top_k_is_a_prefix(problem: Any, top_k: int) -> None:
    lists, method, options = problem
    full = fuse(lists, method, options)
    assert fuse(lists, method, options, top_k=top_k) == full[:top_k]
    batch = ref.run_lists(fuse([{"q": scores} for scores in lists], method, options, top_k=top_k))
    assert batch == {"q": full[:top_k]}


@given(problems())
@BATCH_SETTINGS
def test_one_query_is_a_batch_of_one(problem: Any) -> None:
    lists, method, options = problem
    one = fuse(lists, method, options)
    batch = fuse([{"q1": scores} for scores in lists], method, options)
    assert isinstance(batch, Run)
    assert ref.run_lists(batch) == {"q1": one}
    runs = [Run.from_dict({"q1": scores}) for scores in lists]
    assert ref.run_lists(fuse(runs, method, options)) == {"q1": one}


def test_rrf_negated_scores_read_ranks() -> None:
    lists = [{"a": -1.0, "b": -2.0, "c": -5.0}, {"c": -1.0, "a": -3.0}]
    got = rank_fusion.rrf(lists, ranks="negated_scores")
    assert got == ref.fuse_rankings(lists, "rrf", ranks="negated_scores")
    assert dict(got) == pytest.approx({"a": 1 / 61 + 1 / 63, "b": 1 / 62, "c": 1 / 65 + 1 / 61})


def test_tied_docs_rank_by_doc_id_descending() -> None:
    # b is first in the list (ties by doc id descending), whatever the input order
    for ranking in ({"a": 1.0, "b": 1.0}, {"b": 1.0, "a": 1.0}, [("a", 1.0), ("b", 1.0)]):
        assert rank_fusion.rrf([ranking]) == [("b", 1 / 61), ("a", 1 / 62)]
    # fused ties too
    assert rank_fusion.rrf([{"a": 1.0}, {"b": 1.0}]) == [("b", 1 / 61), ("a", 1 / 61)]


# ----------------------------------------------------------------------------- query policies

QIDS = ["q1", "q2", "q3"]
runs_strategy = st.lists(
    st.dictionaries(st.sampled_from(QIDS), tied_rankings, min_size=1, max_size=3),
    min_size=1,
    max_size=4,
)


@given(
    runs_strategy,
    st.sampled_from(
        [("rrf", {}), ("sum", {"norm": "min-max"}), ("bordafuse", {}), ("condorcet", {})]
    ),
)
@BATCH_SETTINGS
def test_query_policies(runs: list[dict[str, dict[str, float]]], case: tuple[str, dict]) -> None:
    method, options = case
    union = ref.run_lists(fuse(runs, method, options))
    expected = ref.fuse_runs(runs, method, **options)
    assert sorted(union) == sorted(expected) == sorted(set().union(*runs))
    for qid in union:
        assert_close(union[qid], expected[qid])
    intersection = ref.run_lists(fuse(runs, method, options, queries="intersection"))
    common = set(runs[0]).intersection(*runs[1:])
    assert sorted(intersection) == sorted(common)
    assert intersection == {qid: union[qid] for qid in common}
    if all(set(run) == set(runs[0]) for run in runs):
        assert ref.run_lists(fuse(runs, method, options, queries="strict")) == union
    else:
        with pytest.raises(RankValueError) as info:
            fuse(runs, method, options, queries="strict")
        assert isinstance(info.value, ValueError)
        assert "runs[" in str(info.value)
