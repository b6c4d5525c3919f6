"""Differential tests against ranx (0.3.21) on generated tie-free runs.

ranx conventions the inputs are chosen around:

- ``ranx.fuse`` normalises with "min-max" unless told otherwise: rank-based methods get
  ``norm=None``;
- every ranx run must hold the same queries, so the generated runs share their query set;
- ranx floors a degenerate min-max range at 1e-9 (all scores of a one-doc list become 0, ours 1):
  every generated list has at least 5 docs with distinct scores;
- ranx's CombMIN / CombMAX stand a missing doc in for +-1e9: the "max" norm (which blows
  negative lists up to about -1e9) is only compared on positive scores;
- ranx's Condorcet comparator gives the vote of a run holding neither doc to the second doc,
  is not antisymmetric on tied votes, and sorts candidates in set-iteration order (which
  depends on the process's string hash seed): it is compared only where every run ranks the
  same candidates and the weighted majority is a strict total order, and its defects are shown
  separately.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import reference as ref

import rank_fusion
from rank_core import Run

ranx = pytest.importorskip("ranx")

N_QUERIES = 30
# seed -> (number of runs, score range)
SEEDS = {0: (2, (0.0, 1.0)), 1: (3, (1.0, 100.0)), 2: (4, (-5.0, 5.0))}


def make_runs(seed: int) -> list[dict[str, dict[str, float]]]:
    """Tie-free runs over the same queries; each list 5-80 docs of a shared pool of 100."""
    n_runs, (low, high) = SEEDS[seed]
    rng = np.random.default_rng(seed)
    runs: list[dict[str, dict[str, float]]] = [{} for _ in range(n_runs)]
    for q in range(N_QUERIES):
        pool = [f"doc{q}-{j}" for j in range(100)]
        for run in runs:
            size = int(rng.integers(5, 81))
            docs = rng.choice(pool, size=size, replace=False).tolist()
            scores = rng.uniform(low, high, size=size)
            assert np.unique(scores).size == size
            run[f"q{q:02d}"] = dict(zip(docs, scores.tolist(), strict=True))
    return runs


RUNS = {seed: make_runs(seed) for seed in SEEDS}


def weights_for(seed: int) -> list[float]:
    return np.random.default_rng(100 + seed).uniform(0.1, 1.0, SEEDS[seed][0]).round(3).tolist()


def ours(
    runs: list[dict], method: str, norm: str | None, params: dict[str, Any]
) -> dict[str, list[tuple[str, float]]]:
    fused = rank_fusion.fuse([Run.from_dict(run) for run in runs], method, norm=norm, **params)
    return ref.run_lists(fused)


def theirs(
    runs: list[dict], method: str, norm: str | None, params: dict[str, Any]
) -> dict[str, dict[str, float]]:
    fused = ranx.fuse(runs=[ranx.Run(run) for run in runs], norm=norm, method=method, params=params)
    return {q: dict(docs) for q, docs in fused.to_dict().items()}


def assert_same(
    got: dict[str, list[tuple[str, float]]],
    expected: dict[str, dict[str, float]],
    *,
    rel: float = 1e-9,
) -> None:
    assert sorted(got) == sorted(expected)
    for qid, pairs in got.items():
        assert ref.is_ranked(pairs), qid
        assert dict(pairs) == pytest.approx(expected[qid], rel=rel, abs=1e-9), qid


RANK_CASES = [
    ("rrf", {"k": 60}),
    ("rrf", {"k": 5}),
    ("isr", {}),
    ("log_isr", {}),
    ("logn_isr", {"sigma": 0.01}),
    ("logn_isr", {"sigma": 0.5}),
    ("bordafuse", {}),
    ("w_bordafuse", {"weights": None}),
    ("rbc", {"phi": 0.8}),
    ("rbc", {"phi": 0.5}),
]


@pytest.mark.parametrize("seed", list(SEEDS))
@pytest.mark.parametrize(("method", "params"), RANK_CASES, ids=[f"{m}-{p}" for m, p in RANK_CASES])
def test_rank_based(seed: int, method: str, params: dict[str, Any]) -> None:
    runs = RUNS[seed]
    params = {
        key: weights_for(seed) if key == "weights" else value for key, value in params.items()
    }
    got = ours(runs, method, None, params)
    assert_same(got, theirs(runs, method, None, params))
    # and the oracle agrees
    oracle = ref.fuse_runs(runs, method, **params)
    for qid, pairs in got.items():
        assert dict(pairs) == pytest.approx(dict(oracle[qid]), rel=1e-12, abs=1e-12)


SCORE_METHODS = ["sum", "min", "max", "med", "anz", "mnz", "gmnz", "wsum", "wmnz", "mixed"]
NORMS = [None, "min-max", "min-max-inverted", "max", "sum", "zmuv", "rank", "borda"]


# every (method, norm) pair once, on seeds cycling so that each method and each norm meets every
# seed (the "max" norm only on the seeds with positive scores)
SCORE_CASES = [
    (method, norm, (i + j) % (2 if norm == "max" else len(SEEDS)))
    for i, method in enumerate(SCORE_METHODS)
    for j, norm in enumerate(NORMS)
]


@pytest.mark.parametrize(("method", "norm", "seed"), SCORE_CASES)
def test_score_based(seed: int, norm: str | None, method: str) -> None:
    # ranx: a missing doc is +-1e9 in CombMIN/MAX, so no "max" norm of negative scores
    assert not (norm == "max" and SEEDS[seed][1][0] < 0)
    runs = RUNS[seed]
    params: dict[str, Any] = {}
    if method in ("wsum", "wmnz", "mixed"):
        params["weights"] = weights_for(seed)
    if method == "gmnz":
        params["gamma"] = 1.5
    got = ours(runs, method, norm, params)
    assert_same(got, theirs(runs, method, norm, params))
    oracle = ref.fuse_runs(runs, method, norm=norm, **params)
    for qid, pairs in got.items():
        assert dict(pairs) == pytest.approx(dict(oracle[qid]), rel=1e-12, abs=1e-12)


def test_ranx_norm_spellings() -> None:
    runs = RUNS[0]
    a = ours(runs, "sum", "min_max", {})
    b = ours(runs, "sum", "min-max", {})
    assert a == b
    assert ours(runs, "sum", "min_max_inverted", {}) == ours(runs, "sum", "min-max-inverted", {})


def test_degenerate_min_max_differs_from_ranx_by_design() -> None:
    # a one-doc list: ranx floors the range at 1e-9 and gives 0; we give 1.0 (as pyserini does)
    runs = [{"q": {"a": 2.0, "b": 1.0}}, {"q": {"c": 5.0}}]
    got = dict(ours(runs, "sum", "min-max", {})["q"])
    expected = theirs(runs, "sum", "min-max", {})["q"]
    assert got == {"a": 1.0, "b": 0.0, "c": 1.0}
    assert expected == {"a": 1.0, "b": 0.0, "c": 0.0}


# ----------------------------------------------------------------------------- Condorcet


def strict_total_order(lists: list[dict[str, float]], weights: list[float]) -> bool:
    """The weighted majority relation over the candidates is complete, strict and transitive."""
    docs = ref.candidates_of(lists)
    wins = dict.fromkeys(docs, 0)
    for i, x in enumerate(docs):
        for y in docs[i + 1 :]:
            for_x, for_y = ref.beats_weight(lists, weights, x, y)
            if for_x == for_y:
                return False
            wins[x if for_x > for_y else y] += 1
    # a tournament is transitive iff its win counts are 0, 1, ..., n - 1
    return sorted(wins.values()) == list(range(len(docs)))


def condorcet_runs(
    seed: int, n_runs: int, weights: list[float]
) -> list[dict[str, dict[str, float]]]:
    """Runs ranking the same candidates per query, perturbations of one order, majority transitive."""
    rng = np.random.default_rng(seed)
    runs: list[dict[str, dict[str, float]]] = [{} for _ in range(n_runs)]
    for q in range(N_QUERIES):
        n = int(rng.integers(5, 16))
        docs = [f"d{q}-{j}" for j in rng.permutation(n)]
        while True:
            lists = []
            for _ in range(n_runs):
                order = list(docs)
                for _ in range(n):  # random adjacent swaps
                    i = int(rng.integers(0, n - 1))
                    order[i], order[i + 1] = order[i + 1], order[i]
                scores = np.sort(rng.uniform(0, 1, n))[::-1]
                lists.append(dict(zip(order, scores.tolist(), strict=True)))
            if strict_total_order(lists, weights):
                break
        for run, scores_of in zip(runs, lists, strict=True):
            run[f"q{q:02d}"] = scores_of
    return runs


@pytest.mark.parametrize(
    ("method", "weights"),
    [
        ("condorcet", [1.0, 1.0, 1.0]),
        ("condorcet", [1.0] * 5),
        ("w_condorcet", [0.41, 0.29, 0.17, 0.13]),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_condorcet_on_transitive_majorities(seed: int, method: str, weights: list[float]) -> None:
    runs = condorcet_runs(seed, len(weights), weights)
    params = {"weights": weights} if method == "w_condorcet" else {}
    got = ours(runs, method, None, params)
    assert_same(got, theirs(runs, method, None, params), rel=0)
    assert got == ref.fuse_runs(runs, method, **params)


def ranx_condorcet_with_candidate_order(lists: list[list[str]], candidates: list[str]) -> list[str]:
    """ranx's per-query Condorcet on ranked doc lists, with the candidates in a chosen order."""
    from numba.typed import List as TypedList
    from ranx.fusion.condorcet import _condorcet

    fused = _condorcet(TypedList([TypedList(docs) for docs in lists]), TypedList(candidates))
    return [doc for doc, _ in sorted(fused.items(), key=lambda pair: -pair[1])]


def test_ranx_condorcet_defect_abstention_counts_for_the_second_doc() -> None:
    # two runs rank only a; the third ranks b above c. a beats b and c 2-1; b beats c 1-0 (the
    # runs holding neither abstain). ranx counts the abstentions for the second doc compared, so
    # compare(b, c) puts c first and compare(c, b) puts b first: its order depends on the
    # (set-iteration) order of its candidates.
    ranked = [["a"], ["a"], ["b", "c"]]
    assert ranx_condorcet_with_candidate_order(ranked, ["a", "b", "c"]) == ["a", "b", "c"]
    assert ranx_condorcet_with_candidate_order(ranked, ["a", "c", "b"]) == ["a", "c", "b"]
    lists = [{"a": 1.0}, {"a": 1.0}, {"b": 2.0, "c": 1.0}]
    expected = [("a", 3.0), ("b", 2.0), ("c", 1.0)]
    assert ref.fuse_rankings(lists, "condorcet") == expected
    for permutation in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        assert rank_fusion.condorcet([lists[i] for i in permutation]) == expected


def test_ranx_condorcet_defect_tied_votes() -> None:
    # one run each way: a tie. ranx's comparator answers "the first argument goes first" both
    # ways round, so its order follows the order of its candidates; we break the tie by doc id
    # (descending) whatever the input order.
    ranked = [["a", "b"], ["b", "a"]]
    assert ranx_condorcet_with_candidate_order(ranked, ["a", "b"]) == ["b", "a"]
    assert ranx_condorcet_with_candidate_order(ranked, ["b", "a"]) == ["a", "b"]
    lists = [{"a": 2.0, "b": 1.0}, {"b": 2.0, "a": 1.0}]
    assert rank_fusion.condorcet(lists) == [("b", 2.0), ("a", 1.0)]
    assert rank_fusion.condorcet(lists[::-1]) == [("b", 2.0), ("a", 1.0)]
