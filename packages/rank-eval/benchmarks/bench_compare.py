"""Benchmark: comparing systems with significance tests, rank_eval.compare against ranx.compare.

DESIGN.md section 8: both tools run in the same process, on the same generated runs, on the same
machine; the script prints medians, minimums and ratios (ranx median / rank-eval median). It is a
script, not a test: nothing here asserts a speed.

Run from the repository root (needs ``ranx``)::

    python packages/rank-eval/benchmarks/bench_compare.py                       # 5 runs x 1,000 queries
    python packages/rank-eval/benchmarks/bench_compare.py --queries 200 --repeats 3

The data: ``--runs`` runs over the same ``--queries`` queries, ``--docs`` retrieved docs each,
and ``--judged`` graded judgments per query (labels 0..3). Each run scores a doc by its label
plus Gaussian noise of its own scale (0.8, 1.0, 1.2, ...), so the systems differ by amounts that
are significant for some pairs and not for others. Scores are distinct within a query, so no tie
can make the tools rank differently. Measures: nDCG@10, MAP and MRR (``ndcg_cut_10``, ``map``,
``recip_rank``; ranx's ``ndcg@10``, ``map``, ``mrr``).

What is timed (``time.perf_counter``), from in-memory runs to the report (evaluating every run
on every measure, then every pairwise test), for each test:

- ``t-test``: ``rank_eval.compare(qrels, runs, measures, test="t-test")`` and
  ``ranx.compare(qrels, runs, metrics, stat_test="student")``;
- ``fisher``: ``rank_eval.compare(..., test="fisher", trials=T)`` and
  ``ranx.compare(..., stat_test="fisher", n_permutations=T)`` (``--trials``, default 10,000).

rank-eval is given ``Run``/``Qrels`` objects and ranx its own ``Run``/``Qrels``, both built
before the clock starts; both use all numba threads. The first call of each is untimed for the
median: ranx's includes numba compiling its kernels and is reported as "first call"; rank-eval's
kernels load from numba's on-disk cache. That first call is also checked: the means must agree to
1e-9 and the t-test p-values to 1e-9 (so the same thing is computed); the Fisher p-values come
from different random streams and are only reported (largest difference). Then ``--repeats``
rounds, tools interleaved within each round.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from importlib.metadata import version
from itertools import combinations
from typing import Any

import numba
import numpy as np
import ranx

from rank_core import Qrels, Run
from rank_eval.compare import compare

MEASURES = [("ndcg_cut_10", "ndcg@10"), ("map", "map"), ("recip_rank", "mrr")]
LABEL_PROBABILITIES = (0.5, 0.25, 0.15, 0.1)  # relevance labels 0..3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="systems compared")
    parser.add_argument("--queries", type=int, default=1000, help="queries")
    parser.add_argument("--docs", type=int, default=100, help="retrieved docs per query")
    parser.add_argument("--judged", type=int, default=30, help="judged docs per query (all retrieved)")
    parser.add_argument("--trials", type=int, default=10_000, help="Fisher trials (ranx: n_permutations)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds")
    parser.add_argument("--tests", nargs="+", default=["t-test", "fisher"], choices=["t-test", "fisher"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if min(args.runs - 1, args.queries, args.docs, args.judged, args.trials, args.repeats) < 1:
        parser.error("need at least 2 runs and positive sizes")
    if args.judged > args.docs:
        parser.error("--judged must be <= --docs")
    return args


def machine_line() -> str:
    versions = ", ".join(f"{name} {version(name)}" for name in ["numpy", "numba", "scipy", "ranx", "rank-core", "rank-eval"])
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, numba threads {numba.get_num_threads()}, "
        f"python {platform.python_version()}, {versions}"
    )


def make_data(args: argparse.Namespace) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, dict[str, float]]]]:
    rng = np.random.default_rng(args.seed)
    qrels: dict[str, dict[str, int]] = {}
    runs: dict[str, dict[str, dict[str, float]]] = {f"system_{s + 1}": {} for s in range(args.runs)}
    noise = 0.8 + 0.2 * np.arange(args.runs)
    for q in range(args.queries):
        qid = f"q{q}"
        docs = [f"d{q}_{i}" for i in range(args.docs)]
        labels = np.zeros(args.docs, dtype=np.int64)
        labels[: args.judged] = rng.choice(4, size=args.judged, p=LABEL_PROBABILITIES)
        qrels[qid] = {docs[i]: int(labels[i]) for i in range(args.judged)}
        for s, name in enumerate(runs):
            # distinct scores: a random permutation of the noisy order, as ranks
            order = np.argsort(-(labels + rng.normal(0.0, noise[s], args.docs)), kind="stable")
            scores = np.empty(args.docs)
            scores[order] = np.arange(args.docs, 0, -1, dtype=np.float64)
            runs[name][qid] = dict(zip(docs, scores.tolist(), strict=True))
    return qrels, runs


def time_call(function: Callable[[], Any]) -> float:
    gc.collect()
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def ranx_p_values(report: Any, names: list[str]) -> dict[tuple[str, str, str], float]:
    return {
        (ours, a, b): float(report.comparisons[frozenset([a, b])][theirs]["p_value"])
        for ours, theirs in MEASURES
        for a, b in combinations(names, 2)
    }


def main() -> None:
    args = parse_args()
    print(machine_line())
    print(f"data: {args.runs} runs x {args.queries} queries x {args.docs} docs, {args.judged} judged per query; "
          f"measures {', '.join(m for m, _ in MEASURES)}; fisher trials {args.trials}")
    qrels_dict, runs_dict = make_data(args)
    names = list(runs_dict)
    ours_qrels = Qrels.from_dict(qrels_dict)
    ours_runs = {name: Run.from_dict(run, name=name) for name, run in runs_dict.items()}
    ranx_qrels = ranx.Qrels(qrels_dict)
    ranx_runs = [ranx.Run(run, name=name) for name, run in runs_dict.items()]
    ours_metrics = [m for m, _ in MEASURES]
    ranx_metrics = [m for _, m in MEASURES]

    calls: dict[str, dict[str, Callable[[], Any]]] = {
        "t-test": {
            "rank-eval": lambda: compare(ours_qrels, ours_runs, ours_metrics, test="t-test", correction=None),
            "ranx": lambda: ranx.compare(ranx_qrels, ranx_runs, ranx_metrics, stat_test="student", max_p=0.05),
        },
        "fisher": {
            "rank-eval": lambda: compare(ours_qrels, ours_runs, ours_metrics, test="fisher", trials=args.trials,
                                         correction=None),
            "ranx": lambda: ranx.compare(ranx_qrels, ranx_runs, ranx_metrics, stat_test="fisher",
                                         n_permutations=args.trials, max_p=0.05),
        },
    }

    for test in args.tests:
        print(f"\n== {test}")
        first: dict[str, float] = {}
        results: dict[str, Any] = {}
        for tool, call in calls[test].items():
            start = time.perf_counter()
            results[tool] = call()
            first[tool] = time.perf_counter() - start
        ours, theirs = results["rank-eval"], results["ranx"]
        for metric, ranx_metric in MEASURES:
            for name in names:
                mean_gap = abs(ours.mean(name, metric) - theirs.results[name][ranx_metric])
                assert mean_gap <= 1e-9, (metric, name, mean_gap)
        p_ours = {(item.metric, item.system_a, item.system_b): item.p_value for item in ours.pairs}
        p_ranx = ranx_p_values(theirs, names)
        gap = max(abs(p_ours[key] - p_ranx[key]) for key in p_ours)
        if test == "t-test":
            assert gap <= 1e-9, gap
            print(f"check: means agree to 1e-9, t-test p-values agree (largest difference {gap:.1e})")
        else:
            print(f"check: means agree to 1e-9; Fisher p-values (different random streams): largest difference {gap:.4f}")
        print(f"first call: rank-eval {first['rank-eval']:.3f} s, ranx {first['ranx']:.3f} s (includes numba compilation)")

        times: dict[str, list[float]] = {tool: [] for tool in calls[test]}
        for _ in range(args.repeats):
            for tool, call in calls[test].items():
                times[tool].append(time_call(call))
        base = statistics.median(times["rank-eval"])
        for tool, values in times.items():
            median = statistics.median(values)
            print(f"{tool:>10}: median {median:8.3f} s  min {min(values):8.3f} s  ratio {median / base:7.1f}x")


if __name__ == "__main__":
    main()
