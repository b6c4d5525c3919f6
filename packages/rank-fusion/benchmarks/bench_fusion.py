"""Benchmark: fusing runs with rank-fusion and with ranx, and one query's lists online.

DESIGN.md section 8: ranx is timed in the same run, on the same generated data, on the same
machine, and the script prints medians and ratios (ranx median / rank-fusion median). It is a
script, not a test: nothing here asserts a speed.

Run from the repository root (needs ``ranx``)::

    python packages/rank-fusion/benchmarks/bench_fusion.py                  # 3 runs x 10,000 x 1,000
    python packages/rank-fusion/benchmarks/bench_fusion.py --queries 300 --docs 200 --repeats 3

The data (``--seed``): for each of ``--queries`` queries a pool of ``--pool`` distinct doc ids
(default twice ``--docs``; ids ``d<0..5M>``); each of the ``--runs`` runs ranks ``--docs`` docs
drawn from the pool, so the runs' lists overlap partially (with the defaults a doc is in a given
list with probability 1/2). Scores are random doubles on a different scale per run (as a BM25 run
and dense runs would be), so no two docs of a list tie and normalisation matters.

Methods (ranx's names; ``--methods``): ``rrf`` (k=60), ``mnz`` with min-max normalisation,
``wsum`` with min-max normalisation and weights ``--weights`` (default 0.5, 0.3, 0.2),
``condorcet`` and ``bordafuse``. rank-fusion's call is ``rank_fusion.fuse(runs, method,
norm=..., weights=..., k=...)``, ranx's ``ranx.fuse(runs=..., norm=..., method=..., params=...)``.

What is timed (``time.perf_counter``), end to end, from each library's in-memory run objects
(rank-core ``Run``s; ``ranx.Run``s) to its fused run object, normalisation included. Building
those inputs is timed on its own and left out of the ratios: ``Run.from_arrays`` and
``Run.from_dict`` for rank-fusion, ``ranx.Run(dict)`` for ranx.

- warm: each method's first call (per library) is timed and reported on its own ("first call":
  it includes loading or compiling the numba kernels, whichever the on-disk cache calls for);
  then ``--repeats`` rounds, the two libraries interleaved within each round; medians.
- Before timing, rank-fusion's fused scores are checked against ranx's on ``--check-queries``
  queries for rrf, mnz and wsum (same docs, scores equal to 1e-12); bordafuse and condorcet are
  compared too and the result printed for information.
- ranx's Condorcet (a pure-Python ``cmp_to_key`` sort per query) and Borda fusion (a list
  membership test per candidate, quadratic in the list length) take about 0.6 s and 0.2 s per
  query at 1,000 docs, hours per call at 10,000 queries: for ``--ranx-subset-methods`` ranx is
  timed on the first ``--ranx-subset-queries`` queries only and its times extrapolated linearly to
  ``--queries`` (marked ``~`` in the table; their cost is linear in the number of queries).
  rank-fusion runs on every query, and on the subset too, printed on its own line so the subset
  ratio can be read without extrapolation.
- cold start (``--no-cold`` to skip): ``--cold-repeats`` fresh interpreters per library and
  method, each timing the import of the library, building its runs and its first call of the
  method on a ``--cold-queries``-query slice of the data, with numba's on-disk cache warm
  (written by an untimed priming process) and empty (``NUMBA_CACHE_DIR`` pointed at a new empty
  directory, so every kernel compiles).
- online: two ``--online-docs``-doc ``{doc: score}`` dicts of one query (partially overlapping
  ids) fused by ``rank_fusion.rrf([a, b])``, against a plain-Python dict implementation; median
  time per call over ``--online-repeats`` timeit rounds. ``--profile-online`` adds where the time
  of one rank-fusion call goes (cProfile: own time per function).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import warnings
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

DOC_ID_SPACE = 5_000_000
METHODS = ("rrf", "mnz", "wsum", "condorcet", "bordafuse")
CHECKED = ("rrf", "mnz", "wsum")  # must agree with ranx; the others are compared for information
TOLERANCE = 1e-12
DIFFERENCES = {  # why a method not required to agree may differ from ranx
    "condorcet": "ranx's comparator counts a list holding neither doc as a vote against both, so its "
    "pairwise order is not consistent and its result depends on the sort",
}
RRF_K = 60
LIBRARIES = ("rank-fusion", "ranx")
# Per-run score scale and offset: a BM25-like run, then dense-like runs.
SCALES = ((25.0, 5.0), (1.0, 0.0), (2.0, -1.0))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=10_000, help="queries in every run")
    parser.add_argument("--docs", type=int, default=1000, help="docs per query in every run")
    parser.add_argument("--runs", type=int, default=3, help="runs to fuse")
    parser.add_argument("--pool", type=int, help="candidate doc ids per query (default: 2 x --docs)")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (medians are reported)")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--weights", type=float, nargs="+", help="wsum weights (default 0.5 0.3 0.2 for 3 runs)")
    parser.add_argument("--check-queries", type=int, default=20, help="queries compared with ranx before timing")
    parser.add_argument(
        "--ranx-subset-queries", type=int, default=100,
        help="queries ranx is timed on for --ranx-subset-methods; extrapolated linearly to --queries",
    )
    parser.add_argument(
        "--ranx-subset-methods", nargs="*", choices=METHODS, default=["condorcet", "bordafuse"],
        help="methods ranx is too slow to time on every query (none: time them in full)",
    )
    parser.add_argument("--no-ranx", action="store_true", help="time rank-fusion only")
    parser.add_argument("--no-cold", action="store_true", help="skip the fresh-interpreter measurements")
    parser.add_argument("--cold-queries", type=int, default=1000, help="queries of the cold-start runs")
    parser.add_argument("--cold-repeats", type=int, default=3, help="fresh interpreters per library, method and cache state")
    parser.add_argument("--online-docs", type=int, default=100, help="docs in each of the two online lists")
    parser.add_argument("--online-repeats", type=int, default=7, help="timeit rounds for the online case")
    parser.add_argument("--profile-online", action="store_true", help="show where an online call's time goes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold-worker", nargs=2, metavar=("LIBRARY", "METHOD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.pool = args.pool or 2 * args.docs
    sizes = (args.queries, args.docs, args.runs, args.repeats, args.check_queries, args.ranx_subset_queries,
             args.cold_queries, args.cold_repeats, args.online_docs, args.online_repeats)
    if min(sizes) < 1:
        parser.error("sizes and repeats must be positive")
    if args.runs < 2:
        parser.error("--runs must be at least 2 (ranx refuses to fuse one run)")
    if args.pool < args.docs:
        parser.error("--pool must be at least --docs")
    if args.weights is None:
        args.weights = [0.5, 0.3, 0.2] if args.runs == 3 else [round(1 / args.runs, 6)] * args.runs
    if len(args.weights) != args.runs:
        parser.error(f"--weights needs one weight per run ({args.runs})")
    return args


def machine_line() -> str:
    import numba

    import rank_core
    import rank_fusion

    names = ["numpy", "numba"] + (["ranx"] if _has("ranx") else [])
    versions = ", ".join(
        [f"{name} {version(name)}" for name in names]
        + [f"rank-core {rank_core.__version__}", f"rank-fusion {rank_fusion.__version__}"]
    )
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, numba threads {numba.get_num_threads()}, "
        f"python {platform.python_version()}, {versions}"
    )


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------------------- data


class Data:
    """The generated runs as arrays: run ``r`` ranks ``doc_ints[r][q]`` with ``scores[r][q]``."""

    def __init__(self, n_queries: int, n_docs: int, n_runs: int, pool: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.n_queries, self.n_docs, self.n_runs = n_queries, n_docs, n_runs
        self.query_ids = np.array([f"q{q}" for q in range(n_queries)])
        # Distinct ids within a query: column j holds ids congruent to j modulo the pool size.
        pool_ids = rng.integers(0, DOC_ID_SPACE // pool, size=(n_queries, pool)) * pool + np.arange(pool)
        self.doc_ints: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        for r in range(n_runs):
            picked = np.argsort(rng.random((n_queries, pool)), axis=1)[:, :n_docs]
            self.doc_ints.append(np.take_along_axis(pool_ids, picked, axis=1))
            scale, offset = SCALES[r % len(SCALES)]
            self.scores.append(rng.random((n_queries, n_docs)) * scale + offset)

    def arrays(self, r: int, queries: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run ``r`` (first ``queries`` queries) as flat (query id, doc id, score) rows."""
        n = self.n_queries if queries is None else min(queries, self.n_queries)
        ints = self.doc_ints[r][:n].ravel()
        docs = np.char.add("d", ints.astype(f"U{len(str(DOC_ID_SPACE))}"))
        return np.repeat(self.query_ids[:n], self.n_docs), docs, self.scores[r][:n].ravel()

    def as_dict(self, r: int, queries: int | None = None) -> dict[str, dict[str, float]]:
        """Run ``r`` as ``{qid: {doc: score}}`` (every doc id its own str, as after ``json.load``)."""
        n = self.n_queries if queries is None else min(queries, self.n_queries)
        ints, scores = self.doc_ints[r][:n].tolist(), self.scores[r][:n].tolist()
        return {
            qid: dict(zip([f"d{d}" for d in docs], row, strict=True))
            for qid, docs, row in zip(self.query_ids[:n].tolist(), ints, scores, strict=True)
        }


def ours_runs(data: Data, queries: int | None = None) -> list[Any]:
    from rank_core import Run

    return [Run.from_arrays(*data.arrays(r, queries), name=f"run{r}") for r in range(data.n_runs)]


def ranx_runs(data: Data, queries: int | None = None) -> list[Any]:
    import ranx

    runs = []
    for r in range(data.n_runs):
        mapping = data.as_dict(r, queries)
        runs.append(ranx.Run(mapping, name=f"run{r}"))
        del mapping
    return runs


# ---------------------------------------------------------------------------------------- calls


def method_options(method: str, weights: list[float]) -> tuple[str | None, dict[str, Any]]:
    """(norm, params) of a method, the same for both libraries."""
    return {
        "rrf": (None, {"k": RRF_K}),
        "mnz": ("min-max", {}),
        "wsum": ("min-max", {"weights": list(weights)}),
        "condorcet": (None, {}),
        "bordafuse": (None, {}),
    }[method]


def call_ours(runs: list[Any], method: str, weights: list[float]) -> Any:
    import rank_fusion

    norm, params = method_options(method, weights)
    return rank_fusion.fuse(runs, method, norm=norm, **params)


@contextlib.contextmanager
def keep_numba_threads() -> Iterator[None]:
    """ranx may change numba's thread count (its evaluate does): restore it afterwards."""
    import numba

    threads = numba.get_num_threads()
    try:
        yield
    finally:
        numba.set_num_threads(threads)


def call_ranx(runs: list[Any], method: str, weights: list[float]) -> Any:
    import ranx

    norm, params = method_options(method, weights)
    warnings.filterwarnings("ignore", message="unsafe cast from uint64 to int64")  # ranx's rrf kernel
    with keep_numba_threads():
        return ranx.fuse(runs=runs, norm=norm, method=method, params=params)


CALLS: dict[str, Callable[[list[Any], str, list[float]], Any]] = {"rank-fusion": call_ours, "ranx": call_ranx}


def compare(method: str, ours: Any, theirs: Any, query_ids: list[str]) -> tuple[bool, str]:
    """Same docs and scores (to TOLERANCE) on ``query_ids``? ``(agree, detail)``."""
    worst = 0.0
    for qid in query_ids:
        ranking = ours[qid]
        mine = dict(zip(ranking.doc_ids.tolist(), ranking.scores.tolist(), strict=True))
        other = {str(doc): float(score) for doc, score in theirs.run[qid].items()}
        if mine.keys() != other.keys():
            only = sorted(mine.keys() ^ other.keys())[:3]
            return False, f"query {qid!r}: doc sets differ ({len(mine)} vs {len(other)}), e.g. {only}"
        for doc, score in mine.items():
            diff = abs(score - other[doc])
            worst = max(worst, diff)
            if not diff <= TOLERANCE * max(1.0, abs(score)):
                return False, f"query {qid!r}, doc {doc!r}: rank-fusion {score!r}, ranx {other[doc]!r}"
    return True, f"max |difference| {worst:.1e}"


# ---------------------------------------------------------------------------------------- timing


def timed(call: Callable[[], Any]) -> float:
    """Seconds of one call; the result is dropped before returning (fused runs are large)."""
    gc.collect()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    del result
    return seconds


def build_inputs(data: Data, with_ranx: bool) -> tuple[dict[str, float], dict[str, list[Any]]]:
    """Every run, per library, and the seconds each constructor took (not part of the fusion
    timings): ``Run.from_arrays`` (the runs used), ``Run.from_dict``, ``ranx.Run(dict)``."""
    from rank_core import Run

    seconds = {"Run.from_arrays": 0.0, "Run.from_dict": 0.0}
    runs: dict[str, list[Any]] = {"rank-fusion": []}
    if with_ranx:
        seconds["ranx.Run(dict)"] = 0.0
        runs["ranx"] = []

    def build(constructor: Callable[..., Any], *inputs: Any) -> Any:
        gc.collect()
        start = time.perf_counter()
        built = constructor(*inputs, name=f"run{r}")
        seconds[label] += time.perf_counter() - start
        return built

    tiny = {"q": {"a": 1.0, "b": 0.5}}  # loads each constructor's kernels before timing
    Run.from_arrays(["q", "q"], ["a", "b"], [1.0, 0.5]), Run.from_dict(tiny)
    if with_ranx:
        import ranx

        ranx.Run(tiny)
    for r in range(data.n_runs):
        label = "Run.from_arrays"
        runs["rank-fusion"].append(build(Run.from_arrays, *data.arrays(r)))
        mapping = data.as_dict(r)
        label = "Run.from_dict"
        build(Run.from_dict, mapping)
        if with_ranx:
            label = "ranx.Run(dict)"
            runs["ranx"].append(build(ranx.Run, mapping))
        del mapping
    return seconds, runs


class Result:
    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.warm: dict[str, list[float]] = {}
        self.queries: dict[str, int] = {}  # queries each library was timed on
        self.check = ""
        self.subset_ours: list[float] = []  # condorcet: rank-fusion on ranx's subset


def time_method(method: str, args: argparse.Namespace, inputs: dict[str, dict[int, list[Any]]]) -> Result:
    result = Result()
    libraries = [lib for lib in LIBRARIES if lib in inputs]
    sizes = dict.fromkeys(libraries, args.queries)
    if method in args.ranx_subset_methods and "ranx" in inputs:
        sizes["ranx"] = min(args.queries, args.ranx_subset_queries)
    result.queries = sizes
    outputs = {}
    for lib in libraries:  # first calls: timed on their own, then checked
        runs = inputs[lib][sizes[lib]]
        gc.collect()
        start = time.perf_counter()
        outputs[lib] = CALLS[lib](runs, method, args.weights)
        result.first[lib] = time.perf_counter() - start
    if "ranx" in outputs:
        check_ids = [str(q) for q in list(outputs["ranx"].keys())[: args.check_queries]]  # ranx's may be a subset
        agree, detail = compare(method, outputs["rank-fusion"], outputs["ranx"], check_ids)
        if agree:
            result.check = f"agree with ranx on {len(check_ids)} queries ({detail})"
        elif method in CHECKED:
            result.check = f"DISAGREE with ranx on {len(check_ids)} queries ({detail})"
        else:
            result.check = f"differs from ranx, for information only ({DIFFERENCES.get(method, '')}; {detail})"
        if method in CHECKED and not agree:
            raise AssertionError(f"{method}: rank-fusion and ranx {result.check}")
    outputs.clear()
    result.warm = {lib: [] for lib in libraries}
    for _ in range(args.repeats):
        for lib in libraries:
            runs = inputs[lib][sizes[lib]]
            result.warm[lib].append(timed(lambda runs=runs, lib=lib: CALLS[lib](runs, method, args.weights)))
    if sizes.get("ranx", args.queries) != args.queries:
        runs = inputs["rank-fusion"][sizes["ranx"]]
        result.subset_ours = [timed(lambda: call_ours(runs, method, args.weights)) for _ in range(args.repeats)]
    return result


WORKER_LIBRARY = {"rank-fusion": "rank_fusion", "ranx": "ranx"}


def cold_worker(args: argparse.Namespace) -> None:
    """In a fresh interpreter: import, build the runs, first call; print the seconds as JSON."""
    library, method = args.cold_worker
    data = Data(args.queries, args.docs, args.runs, args.pool, args.seed)
    start = time.perf_counter()
    __import__(WORKER_LIBRARY[library])
    imported = time.perf_counter()
    runs = ours_runs(data) if library == "rank-fusion" else ranx_runs(data)
    built = time.perf_counter()
    CALLS[library](runs, method, args.weights)
    done = time.perf_counter()
    print(json.dumps({"import": imported - start, "build": built - imported, "first": done - built}))


def time_cold(args: argparse.Namespace, libraries: list[str]) -> dict[tuple[str, str, str], list[dict[str, float]]]:
    """Fresh-interpreter timings per (library, method, numba cache state)."""
    times: dict[tuple[str, str, str], list[dict[str, float]]] = {}

    def worker(library: str, method: str, environment: dict[str, str]) -> dict[str, float]:
        queries = args.cold_queries
        if library == "ranx" and method in args.ranx_subset_methods:
            queries = min(queries, args.ranx_subset_queries)
        command = [
            sys.executable, str(Path(__file__).resolve()), "--cold-worker", library, method,
            "--queries", str(queries), "--docs", str(args.docs), "--runs", str(args.runs),
            "--pool", str(args.pool), "--seed", str(args.seed), "--weights", *map(str, args.weights),
            "--ranx-subset-methods", *args.ranx_subset_methods, "--ranx-subset-queries", str(args.ranx_subset_queries),
        ]
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=environment).stdout
        return json.loads(out.strip().splitlines()[-1])

    for library in libraries:
        for method in args.methods:
            worker(library, method, dict(os.environ))  # primes the on-disk cache
            for _ in range(args.cold_repeats):
                times.setdefault((library, method, "warm"), []).append(worker(library, method, dict(os.environ)))
                with tempfile.TemporaryDirectory(prefix="numba-cache-") as empty:
                    environment = {**os.environ, "NUMBA_CACHE_DIR": empty}
                    times.setdefault((library, method, "empty"), []).append(worker(library, method, environment))
    return times


# ---------------------------------------------------------------------------------------- online


def python_rrf(rankings: list[dict[str, float]], k: float = RRF_K) -> list[tuple[str, float]]:
    """RRF in plain Python: rank each dict by score (ties: doc id descending), sum 1 / (k + rank)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        ordered = sorted(ranking.items(), key=lambda item: (item[1], item[0]), reverse=True)
        for rank, (doc, _) in enumerate(ordered, 1):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: (item[1], item[0]), reverse=True)


def online_lists(n_docs: int, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """A BM25-like and a cosine-like list of one query, drawn from 1.5 x n_docs ids."""
    rng = random.Random(seed)
    pool = [f"doc{i}" for i in rng.sample(range(1_000_000), n_docs + n_docs // 2)]
    lexical = {doc: rng.uniform(5.0, 30.0) for doc in rng.sample(pool, n_docs)}
    dense = {doc: rng.uniform(-1.0, 1.0) for doc in rng.sample(pool, n_docs)}
    return lexical, dense


def per_call(call: Callable[[], Any], rounds: int) -> list[float]:
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    number = max(number, 1)
    return [seconds / number for seconds in timer.repeat(repeat=rounds, number=number)]


def time_online(args: argparse.Namespace) -> dict[str, Any]:
    import rank_fusion

    lexical, dense = online_lists(args.online_docs, args.seed)
    ours, plain = rank_fusion.rrf([lexical, dense], k=RRF_K), python_rrf([lexical, dense])
    if [doc for doc, _ in ours] != [doc for doc, _ in plain]:
        raise AssertionError("online rrf: rank-fusion and the plain-Python implementation rank differently")
    worst = max(abs(a[1] - b[1]) for a, b in zip(ours, plain, strict=True))
    if worst > 1e-15:
        raise AssertionError(f"online rrf: scores differ by up to {worst!r}")
    overlap = len(lexical.keys() & dense.keys())
    return {
        "check": f"same {len(ours)} docs in the same order, scores equal (max |difference| {worst:.1e})",
        "overlap": overlap,
        "rank-fusion": per_call(lambda: rank_fusion.rrf([lexical, dense], k=RRF_K), args.online_repeats),
        "python": per_call(lambda: python_rrf([lexical, dense]), args.online_repeats),
    }


def profile_online(args: argparse.Namespace, calls: int = 5000) -> None:
    """Where one ``rank_fusion.rrf([a, b])`` call's time goes: cProfile's own time per module.

    Public API only, so it keeps working as the package's internals change; cProfile adds a
    roughly constant cost per Python call, so Python-heavy parts look a little larger than they are.
    """
    import cProfile
    import pstats

    import rank_fusion

    lexical, dense = online_lists(args.online_docs, args.seed)
    runs = [lexical, dense]
    rank_fusion.rrf(runs, k=RRF_K)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        rank_fusion.rrf(runs, k=RRF_K)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_place: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename == "~":  # built-ins: name them
            place = function
        else:
            parts = filename.replace(os.sep, "/").split("/")
            place = "/".join(parts[-3:]) if "rank_fusion" in parts or "rank_core" in parts else parts[-1]
            place = f"{place}:{function}"
        by_place[place] = by_place.get(place, 0.0) + own
    total = sum(by_place.values())
    print(f"\nonline rrf under cProfile ({calls} calls, {total / calls * 1e6:.1f} us per call profiled): "
          "own time per function, top 15")
    print("| function | us per call | share |")
    print("|---|---:|---:|")
    for place, own in sorted(by_place.items(), key=lambda item: -item[1])[:15]:
        print(f"| {place} | {own / calls * 1e6:.1f} | {own / total:.0%} |")


# ---------------------------------------------------------------------------------------- output


def fmt(seconds: float) -> str:
    if seconds >= 100:
        return f"{seconds:.0f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}" if seconds >= 0.01 else f"{seconds:.4f}"


def print_results(args: argparse.Namespace, results: dict[str, Result]) -> None:
    print()
    print(
        "| method | rank-fusion warm median s | ranx warm median s | ratio (ranx / rank-fusion) "
        "| rank-fusion first call s | ranx first call s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    notes = []
    for method, result in results.items():
        ours = statistics.median(result.warm["rank-fusion"])
        if "ranx" not in result.warm:
            print(f"| {method} | {fmt(ours)} | - | - | {fmt(result.first['rank-fusion'])} | - |")
            continue
        theirs = statistics.median(result.warm["ranx"])
        first = result.first["ranx"]
        mark = ""
        if result.queries["ranx"] != args.queries:
            factor = args.queries / result.queries["ranx"]
            theirs, first, mark = theirs * factor, first * factor, "~"
            subset = statistics.median(result.subset_ours)
            notes.append(
                f"~ {method}: ranx timed on the first {result.queries['ranx']:,} queries and extrapolated "
                f"linearly (x{factor:g}) to {args.queries:,}; on those {result.queries['ranx']:,} queries: "
                f"rank-fusion {fmt(subset)} s, ranx {fmt(statistics.median(result.warm['ranx']))} s, "
                f"ratio {statistics.median(result.warm['ranx']) / subset:.0f}x (measured, not extrapolated)"
            )
        print(
            f"| {method} | {fmt(ours)} | {mark}{fmt(theirs)} | {mark}{theirs / ours:.1f}x "
            f"| {fmt(result.first['rank-fusion'])} | {mark}{fmt(first)} |"
        )
    for note in notes:
        print(note)
    print("first call: the method's first call in this process (loads numba's cache, or compiles what it lacks)")


def print_cold(args: argparse.Namespace, cold: dict[tuple[str, str, str], list[dict[str, float]]]) -> None:
    print()
    print(
        f"cold start: fresh interpreter, {args.cold_queries:,} queries x {args.docs:,} docs x {args.runs} runs "
        f"(ranx {', '.join(args.ranx_subset_methods) or '-'}: {min(args.cold_queries, args.ranx_subset_queries):,} "
        f"queries); medians of {args.cold_repeats}; numba cache empty = every kernel compiles"
    )
    print("| method | library | numba cache | import s | build runs s | first call s | total s |")
    print("|---|---|---|---:|---:|---:|---:|")
    for (library, method, state), runs in cold.items():
        median = {key: statistics.median(r[key] for r in runs) for key in ("import", "build", "first")}
        total = statistics.median(r["import"] + r["build"] + r["first"] for r in runs)
        print(
            f"| {method} | {library} | {state} | {fmt(median['import'])} | {fmt(median['build'])} "
            f"| {fmt(median['first'])} | {fmt(total)} |"
        )


def print_online(args: argparse.Namespace, online: dict[str, Any]) -> None:
    ours, plain = statistics.median(online["rank-fusion"]), statistics.median(online["python"])
    print()
    print(
        f"online: rrf of two {args.online_docs}-doc {{doc: score}} dicts ({online['overlap']} docs in both), "
        f"median per call over {args.online_repeats} timeit rounds; check: {online['check']}"
    )
    print("| online rrf | median us per call | ratio (plain Python / rank-fusion) |")
    print("|---|---:|---:|")
    print(f"| rank_fusion.rrf([a, b]) | {ours * 1e6:.1f} | {plain / ours:.2f}x |")
    print(f"| plain-Python dict RRF | {plain * 1e6:.1f} | 1.00x |")


def main() -> None:
    args = parse_args()
    if args.cold_worker:
        cold_worker(args)
        return
    with_ranx = not args.no_ranx
    if with_ranx and not _has("ranx"):
        sys.exit("ranx is not installed: pip install ranx, or pass --no-ranx")
    print("command: python " + " ".join([os.path.relpath(__file__), *sys.argv[1:]]))
    print(machine_line())

    start = time.perf_counter()
    data = Data(args.queries, args.docs, args.runs, args.pool, args.seed)
    print(
        f"data: {args.runs} runs x {args.queries:,} queries x {args.docs:,} docs "
        f"({args.runs * args.queries * args.docs:,} rows), pool of {args.pool:,} ids per query; "
        f"generated in {time.perf_counter() - start:.1f} s; repeats: {args.repeats}"
    )
    build, full = build_inputs(data, with_ranx)
    print(
        "input preparation (all runs, not in the ratios): "
        + ", ".join(f"{name} {fmt(seconds)} s" for name, seconds in build.items())
    )

    inputs: dict[str, dict[int, list[Any]]] = {lib: {args.queries: runs} for lib, runs in full.items()}
    del full
    if with_ranx:
        subset = min(args.queries, args.ranx_subset_queries)
        if set(args.methods) & set(args.ranx_subset_methods) and subset != args.queries:
            inputs["ranx"][subset] = ranx_runs(data, subset)
            inputs["rank-fusion"][subset] = ours_runs(data, subset)

    results: dict[str, Result] = {}
    for method in args.methods:
        results[method] = time_method(method, args, inputs)
        if results[method].check:
            print(f"check {method}: {results[method].check}")
    del inputs, data
    gc.collect()

    cold = None if args.no_cold else time_cold(args, [lib for lib in LIBRARIES if with_ranx or lib != "ranx"])
    online = time_online(args)

    print_results(args, results)
    if cold:
        print_cold(args, cold)
    print_online(args, online)
    if args.profile_online:
        profile_online(args)


if __name__ == "__main__":
    main()
