"""Benchmark: evaluating a run end to end with rank-eval, pytrec_eval, ranx and ir-measures.

DESIGN.md section 8: the anchors are timed in the same run, on the same generated data, on the
same machine, and the script prints medians, minimums and ratios (anchor median / rank-eval
median). It is a script, not a test: nothing here asserts a speed.

Run from the repository root (needs ``pytrec_eval-terrier``, ``ranx`` and ``ir-measures``)::

    python packages/rank-eval/benchmarks/bench_evaluate.py                 # 10,000 x 1,000
    python packages/rank-eval/benchmarks/bench_evaluate.py --queries 500 --repeats 3

The data: ``--queries`` queries of ``--docs`` retrieved docs each (random doc ids ``d<0..5M>``,
random scores distinct within a query even as 32-bit floats, so no tie can make the tools
disagree), and ``--judged`` graded judgments per query (labels 0..3; three in five judged docs
are retrieved ones). The run file's scores have 6 decimals (``--score-format 6f``, the
Anserini/Pyserini layout) or up to 17 significant digits (``repr``, the layout ranx writes).
The measures are nDCG@10, MAP, P@10, recall@100 and MRR (trec_eval's ``ndcg_cut_10``, ``map``,
``P_10``, ``recall_100``, ``recip_rank``).

What is timed (``time.perf_counter``), end to end, from the inputs to the five mean values:

- (a) from in-memory dicts ``{qid: {doc: score}}`` / ``{qid: {doc: label}}``:
  ``rank_eval.evaluate(qrels, run, measures)``; ``pytrec_eval.RelevanceEvaluator(qrels,
  measures).evaluate(run)`` and the means; ``ranx.evaluate(ranx.Qrels(qrels), ranx.Run(run),
  metrics)``; ``ir_measures.calc_aggregate(measures, qrels, run)``;
- (b) from TREC files on disk (just written, so in the page cache): ``rank_eval.evaluate(qrels_path,
  run_path, measures)``; pytrec_eval's ``parse_qrel`` / ``parse_run`` then the evaluator;
  ``ranx.Qrels.from_file`` / ``Run.from_file`` then ``ranx.evaluate``; ir-measures'
  ``calc_aggregate`` over ``read_trec_qrels`` / ``read_trec_run``.

Each tool is called once untimed-for-the-median first: that call is checked (every tool must give
rank-eval's per-query values to 1e-9 for every measure, so the comparison is fair) and, for ranx,
reported on its own as "first call" because it includes numba's compilation of ranx's kernels
(rank-eval's kernels are loaded from numba's on-disk cache by ``rank_eval`` before any timing).
Then ``--repeats`` rounds, tools interleaved within each round ("warm").

Cold start: ``--repeats`` fresh interpreters, each timing ``import rank_eval`` and its first
``evaluate`` of a ``--cold-queries``-query run (from dicts loaded before the clock starts, and from
TREC files), with numba's compilation cache warm (already written by an untimed priming process)
and cold (``NUMBA_CACHE_DIR`` pointed at a new empty directory, so every kernel compiles).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numba
import numpy as np

import rank_core
import rank_eval

DOC_ID_SPACE = 5_000_000
LABEL_PROBABILITIES = (0.4, 0.3, 0.2, 0.1)  # relevance labels 0..3
RETRIEVED_SHARE = 0.6  # share of the judged docs drawn from the query's retrieved docs
TOLERANCE = 1e-9
# Scores are distinct multiples of 1e-6 written "%.6f" (the Anserini/Pyserini layout), or of 2**-24
# written as Python's repr (up to 17 digits; the layout ranx writes). Both stay distinct as 32-bit
# floats: pytrec_eval (trec_eval 9) keeps scores as floats, and two doubles closer than that
# would tie there and nowhere else.
SCORE_FORMATS = {"6f": (10**6, "{:.6f}".format), "repr": (2**24, repr)}

# (rank-eval / trec_eval name, pytrec_eval measure, ranx metric, ir-measures measure)
MEASURES = [
    ("ndcg_cut_10", "ndcg_cut.10", "ndcg@10", "nDCG@10"),
    ("map", "map", "map", "AP"),
    ("P_10", "P.10", "precision@10", "P@10"),
    ("recall_100", "recall.100", "recall@100", "R@100"),
    ("recip_rank", "recip_rank", "mrr", "RR"),
]
OURS = [m[0] for m in MEASURES]
TOOLS = ("rank-eval", "pytrec_eval", "ranx", "ir-measures")

# per query: {trec_eval name: value}
PerQuery = dict[str, dict[str, float]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000, help="queries in the run and qrels")
    parser.add_argument("--docs", type=int, default=1000, help="retrieved docs per query")
    parser.add_argument("--judged", type=int, default=50, help="judgments per query")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds and cold-start processes")
    parser.add_argument("--score-format", choices=sorted(SCORE_FORMATS), default="6f", help="scores in the run file")
    parser.add_argument("--cold-queries", type=int, default=1000, help="queries of the cold-start run")
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=[t for t in TOOLS if t != "rank-eval"],
        help="anchors not to time (ranx takes about a minute a call at full size)",
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start measurements")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="where to write the files (default: a temp dir)")
    args = parser.parse_args()
    if min(args.queries, args.docs, args.judged, args.repeats, args.cold_queries) < 1:
        parser.error("--queries, --docs, --judged, --repeats and --cold-queries must be positive")
    return args


def machine_line() -> str:
    versions = ", ".join(
        [f"{name} {version(name)}" for name in ["numpy", "numba", "pytrec_eval-terrier", "ranx", "ir-measures"]]
        + [f"rank-core {rank_core.__version__}", f"rank-eval {rank_eval.__version__}"]
    )
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, numba threads {numba.get_num_threads()}, "
        f"python {platform.python_version()}, {versions}"
    )


# ---------------------------------------------------------------------------------------- data


def make_data(n_queries: int, n_docs: int, n_judged: int, score_format: str, seed: int) -> tuple[dict, dict]:
    """``(qrels, run)`` dicts; every doc id is its own str object, as after ``json.load``."""
    rng = np.random.default_rng(seed)
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    from_run = min(n_docs, round(n_judged * RETRIEVED_SHARE))
    for q in range(n_queries):
        qid = f"q{q}"
        docs = rng.choice(DOC_ID_SPACE, size=n_docs, replace=False)
        steps = SCORE_FORMATS[score_format][0]
        scores = rng.choice(steps, size=n_docs, replace=False) / steps
        run[qid] = dict(zip([f"d{d}" for d in docs.tolist()], scores.tolist(), strict=True))
        judged = set(rng.choice(docs, size=from_run, replace=False).tolist())
        while len(judged) < n_judged:
            judged.add(int(rng.integers(DOC_ID_SPACE)))
        labels = rng.choice(len(LABEL_PROBABILITIES), size=len(judged), p=LABEL_PROBABILITIES)
        qrels[qid] = dict(zip([f"d{d}" for d in judged], labels.tolist(), strict=True))
    return qrels, run


def write_trec(qrels: dict, run: dict, directory: Path, stem: str, score_format: str) -> tuple[Path, Path]:
    """The run (ranked; its scores read back as the same doubles) and qrels as TREC files."""
    fmt = SCORE_FORMATS[score_format][1]
    run_path = directory / f"{stem}-run.trec"
    qrels_path = directory / f"{stem}-qrels.trec"
    with run_path.open("w", encoding="utf-8") as out:
        for qid, docs in run.items():
            ranked = sorted(docs.items(), key=lambda item: item[1], reverse=True)
            out.write("".join(f"{qid} Q0 {doc} {rank} {fmt(score)} bench\n" for rank, (doc, score) in enumerate(ranked, 1)))
    with qrels_path.open("w", encoding="utf-8") as out:
        for qid, docs in qrels.items():
            out.write("".join(f"{qid} 0 {doc} {label}\n" for doc, label in docs.items()))
    return qrels_path, run_path


# ---------------------------------------------------------------------------------------- tools


@contextlib.contextmanager
def keep_numba_threads():
    """ranx calls numba.set_num_threads(1) on small inputs: restore the count afterwards."""
    threads = numba.get_num_threads()
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def rank_eval_values(qrels: Any, run: Any) -> PerQuery:
    result = rank_eval.evaluate(qrels, run, OURS)
    columns = {name: result.per_query[name].tolist() for name in OURS}
    return {qid: {name: columns[name][i] for name in OURS} for i, qid in enumerate(result.query_ids.tolist())}


def pytrec_eval_values(qrels: dict, run: dict) -> PerQuery:
    import pytrec_eval

    return pytrec_eval.RelevanceEvaluator(qrels, {m[1] for m in MEASURES}).evaluate(run)


def _pytrec_eval_means(per_query: PerQuery) -> dict[str, float]:
    return {name: statistics.fmean(values[name] for values in per_query.values()) for name in OURS}


def _pytrec_eval_files(qrels_path: Path, run_path: Path) -> PerQuery:
    import pytrec_eval

    with qrels_path.open(encoding="utf-8") as qrels_lines, run_path.open(encoding="utf-8") as run_lines:
        qrels, run = pytrec_eval.parse_qrel(qrels_lines), pytrec_eval.parse_run(run_lines)
    return pytrec_eval_values(qrels, run)


def _ranx_objects(qrels: Any, run: Any) -> tuple[Any, Any]:
    import ranx

    if isinstance(qrels, Path):
        return ranx.Qrels.from_file(str(qrels), kind="trec"), ranx.Run.from_file(str(run), kind="trec")
    return ranx.Qrels(qrels), ranx.Run(run)


def ranx_means(qrels: Any, run: Any) -> dict[str, float]:
    import ranx

    with keep_numba_threads():
        ranx_qrels, ranx_run = _ranx_objects(qrels, run)
        means = ranx.evaluate(ranx_qrels, ranx_run, [m[2] for m in MEASURES])
    return {m[0]: float(means[m[2]]) for m in MEASURES}


def ranx_values(qrels: Any, run: Any) -> PerQuery:
    import ranx

    with keep_numba_threads():
        ranx_qrels, ranx_run = _ranx_objects(qrels, run)
        ranx.evaluate(ranx_qrels, ranx_run, [m[2] for m in MEASURES])
    scores = {m[0]: ranx_run.scores[m[2]] for m in MEASURES}
    return {qid: {name: float(scores[name][qid]) for name in OURS} for qid in ranx_run.get_query_ids()}


def _ir_measures_inputs(qrels: Any, run: Any) -> tuple[Any, Any]:
    import ir_measures

    if isinstance(qrels, Path):
        return ir_measures.read_trec_qrels(str(qrels)), ir_measures.read_trec_run(str(run))
    return qrels, run


def ir_measures_means(qrels: Any, run: Any) -> dict[str, float]:
    import ir_measures

    measures = {ir_measures.parse_measure(m[3]): m[0] for m in MEASURES}
    means = ir_measures.calc_aggregate(list(measures), *_ir_measures_inputs(qrels, run))
    return {measures[measure]: float(value) for measure, value in means.items()}


def ir_measures_values(qrels: Any, run: Any) -> PerQuery:
    import ir_measures

    measures = {ir_measures.parse_measure(m[3]): m[0] for m in MEASURES}
    values: PerQuery = {}
    for metric in ir_measures.iter_calc(list(measures), *_ir_measures_inputs(qrels, run)):
        values.setdefault(metric.query_id, {})[measures[metric.measure]] = float(metric.value)
    return values


def rank_eval_means(qrels: Any, run: Any) -> dict[str, float]:
    return dict(rank_eval.evaluate(qrels, run, OURS).summary)


# tool -> (end-to-end call returning the five means, per-query values for the agreement check)
CALLS: dict[str, dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], PerQuery]]]] = {
    "dicts": {
        "rank-eval": (rank_eval_means, rank_eval_values),
        "pytrec_eval": (lambda q, r: _pytrec_eval_means(pytrec_eval_values(q, r)), pytrec_eval_values),
        "ranx": (ranx_means, ranx_values),
        "ir-measures": (ir_measures_means, ir_measures_values),
    },
    "files": {
        "rank-eval": (rank_eval_means, rank_eval_values),
        "pytrec_eval": (lambda q, r: _pytrec_eval_means(_pytrec_eval_files(q, r)), _pytrec_eval_files),
        "ranx": (ranx_means, ranx_values),
        "ir-measures": (ir_measures_means, ir_measures_values),
    },
}


def check_agreement(tool: str, ours: PerQuery, theirs: PerQuery) -> None:
    """Raise AssertionError unless ``theirs`` has rank-eval's queries and values (to 1e-9)."""
    if ours.keys() != theirs.keys():
        raise AssertionError(
            f"{tool}: query sets differ ({len(ours)} vs {len(theirs)}), e.g. {sorted(ours.keys() ^ theirs.keys())[:5]}"
        )
    for qid, values in ours.items():
        for name, value in values.items():
            if not math.isclose(value, theirs[qid][name], rel_tol=0, abs_tol=TOLERANCE):
                raise AssertionError(f"{tool}: query {qid!r}, {name}: rank-eval {value!r}, {tool} {theirs[qid][name]!r}")


# ---------------------------------------------------------------------------------------- timing


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def time_scenario(scenario: str, inputs: tuple[Any, Any], tools: list[str], repeats: int) -> tuple[dict, dict]:
    """``(first call s per tool, warm s list per tool)``, after checking every tool's numbers."""
    first: dict[str, float] = {}
    ours: PerQuery = {}
    for tool in tools:  # the first call of each tool: checked, and reported on its own
        seconds, values = timed(lambda tool=tool: CALLS[scenario][tool][1](*inputs))
        first[tool] = seconds
        if tool == "rank-eval":
            ours = values
        else:
            check_agreement(tool, ours, values)
        del values
    print(f"check ({scenario}): {', '.join(t for t in tools if t != 'rank-eval')} agree with rank-eval "
          f"on every query and measure (to {TOLERANCE:g})")
    warm: dict[str, list[float]] = {tool: [] for tool in tools}
    means: dict[str, dict[str, float]] = {}
    for _ in range(repeats):
        for tool in tools:
            seconds, means[tool] = timed(lambda tool=tool: CALLS[scenario][tool][0](*inputs))
            warm[tool].append(seconds)
    for tool in tools:
        for name in OURS:
            if not math.isclose(means[tool][name], means["rank-eval"][name], rel_tol=0, abs_tol=TOLERANCE):
                raise AssertionError(f"{tool}: mean {name} {means[tool][name]!r} vs rank-eval {means['rank-eval'][name]!r}")
    return first, warm


COLD_TEMPLATE = """\
import json, time
from pathlib import Path
qrels, run = {inputs}
start = time.perf_counter()
import rank_eval
imported = time.perf_counter()
rank_eval.evaluate(qrels, run, {measures!r})
print(imported - start, time.perf_counter() - imported)
"""


def time_cold_start(directory: Path, qrels: dict, run: dict, score_format: str, repeats: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(import s, first evaluate s) per fresh interpreter, by (input kind, numba cache state)."""
    qrels_json, run_json = directory / "cold-qrels.json", directory / "cold-run.json"
    qrels_json.write_text(json.dumps(qrels), encoding="utf-8")
    run_json.write_text(json.dumps(run), encoding="utf-8")
    qrels_path, run_path = write_trec(qrels, run, directory, "cold", score_format)
    inputs = {
        "dicts": f"json.loads(Path({str(qrels_json)!r}).read_text()), json.loads(Path({str(run_json)!r}).read_text())",
        "files": f"{str(qrels_path)!r}, {str(run_path)!r}",
    }
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}

    def run_process(kind: str, environment: dict[str, str]) -> tuple[float, float]:
        code = COLD_TEMPLATE.format(inputs=inputs[kind], measures=OURS)
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=environment
        ).stdout
        import_s, evaluate_s = map(float, out.split())
        return import_s, evaluate_s

    for kind in inputs:
        run_process(kind, dict(os.environ))  # primes the on-disk cache for these exact signatures
    for _ in range(repeats):
        for kind in inputs:
            times.setdefault((kind, "warm"), []).append(run_process(kind, dict(os.environ)))
            with tempfile.TemporaryDirectory(prefix="numba-cache-") as empty:
                environment = {**os.environ, "NUMBA_CACHE_DIR": empty}
                times.setdefault((kind, "cold"), []).append(run_process(kind, environment))
    return times


# ---------------------------------------------------------------------------------------- output


def print_tables(results: dict[str, tuple[dict, dict]], cold: dict | None) -> None:
    print()
    print("| input | tool | median s | min s | ratio vs rank-eval (median) | first call s |")
    print("|---|---|---:|---:|---:|---:|")
    for scenario, (first, warm) in results.items():
        ours = statistics.median(warm["rank-eval"])
        for tool, seconds in warm.items():
            median = statistics.median(seconds)
            print(f"| {scenario} | {tool} | {median:.3f} | {min(seconds):.3f} | {median / ours:.1f}x | {first[tool]:.3f} |")
    if not cold:
        return
    print()
    print("| cold start (fresh interpreter) | numba cache | import median s | evaluate median s | total median s | total min s |")
    print("|---|---|---:|---:|---:|---:|")
    for (kind, state), pairs in cold.items():
        totals = [a + b for a, b in pairs]
        print(
            f"| {kind} | {state} | {statistics.median(a for a, _ in pairs):.3f} | "
            f"{statistics.median(b for _, b in pairs):.3f} | {statistics.median(totals):.3f} | {min(totals):.3f} |"
        )


def main() -> None:
    args = parse_args()
    print(machine_line())
    tools = [t for t in TOOLS if t not in args.skip]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    where = args.workdir or tempfile.TemporaryDirectory(prefix="bench_evaluate-")
    with contextlib.nullcontext(where) if args.workdir else where as directory_name:
        directory = Path(directory_name)
        start = time.perf_counter()
        qrels, run = make_data(args.queries, args.docs, args.judged, args.score_format, args.seed)
        qrels_path, run_path = write_trec(qrels, run, directory, "bench", args.score_format)
        print(
            f"data: {args.queries:,} queries x {args.docs:,} docs ({args.queries * args.docs:,} run rows), "
            f"{args.judged} judgments per query; {run_path.name} {run_path.stat().st_size / 2**20:.0f} MiB; "
            f"generated in {time.perf_counter() - start:.0f} s; repeats: {args.repeats}"
        )
        small = {qid: qrels[qid] for qid in list(qrels)[: min(20, args.queries)]}
        rank_eval.evaluate(small, {qid: run[qid] for qid in small}, OURS)  # loads rank-eval's kernels
        results = {
            "dicts": time_scenario("dicts", (qrels, run), tools, args.repeats),
            "files": time_scenario("files", (qrels_path, run_path), tools, args.repeats),
        }
        cold = None
        if not args.no_cold:
            keep = list(qrels)[: args.cold_queries]
            cold = time_cold_start(
                directory, {q: qrels[q] for q in keep}, {q: run[q] for q in keep}, args.score_format, args.repeats
            )
        print_tables(results, cold)


if __name__ == "__main__":
    main()
