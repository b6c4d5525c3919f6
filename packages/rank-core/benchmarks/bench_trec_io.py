"""Benchmark: loading TREC run and qrels files with rank-core, pytrec_eval and ranx.

DESIGN.md section 8: the anchors are timed in the same run, on the same generated files, on the
same machine, and the script prints medians, minimums and ratios (anchor median / rank-core
median). It is a script, not a test: nothing here asserts a speed.

Run from the repository root (needs ``pytrec_eval-terrier`` and ``ranx`` installed)::

    python packages/rank-core/benchmarks/bench_trec_io.py
    python packages/rank-core/benchmarks/bench_trec_io.py --score-format repr

The default scenario writes scores as ``%.6f`` (the Anserini/Pyserini layout); ``--score-format
repr`` writes full-precision Python ``repr`` scores (the layout ranx writes).

What is timed (``time.perf_counter``, files already in the page cache since they were just written):

- in process, ``--repeats`` rounds, loaders interleaved within each round: ``rank_core.Run.from_trec``
  / ``Qrels.from_trec`` (after ``rank_core.warmup()``), ``pytrec_eval.parse_run`` /
  ``parse_qrel`` on a text file object, ``ranx.Run.from_file`` / ``Qrels.from_file`` with
  ``kind="trec"`` (after one untimed call on a tiny file, so numba compilation is not counted);
- cold start, ``--repeats`` fresh interpreters per library: the import, then the first run load
  (rank-core's numba cache is on disk by then, but numba itself initialises on first use; ranx
  compiles its typed containers in every process).

Before timing, the script checks that rank-core reads the same run and qrels as pytrec_eval (same
queries, same docs, equal values), so the loaders compared read the same thing.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
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

import numpy as np
import pytrec_eval
import ranx

import rank_core

DOC_ID_SPACE = 8_000_000  # MS MARCO passage has 8.8M passages
QUERY_ID_SPACE = 1_200_000
JUDGED_PER_QUERY = 40
LABEL_PROBABILITIES = (0.55, 0.25, 0.15, 0.05)  # relevance labels 0..3
SCORE_FORMATS: dict[str, Callable[[float], str]] = {"6f": "{:.6f}".format, "repr": repr}

Loader = Callable[[Path], Any]


def _pytrec_eval(parse: Callable[[Any], Any]) -> Loader:
    def load(path: Path) -> Any:
        with path.open(encoding="utf-8") as lines:
            return parse(lines)

    return load


LOADERS: dict[str, dict[str, Loader]] = {
    "run": {
        "rank-core": rank_core.Run.from_trec,
        "pytrec_eval": _pytrec_eval(pytrec_eval.parse_run),
        "ranx": lambda path: ranx.Run.from_file(str(path), kind="trec"),
    },
    "qrels": {
        "rank-core": rank_core.Qrels.from_trec,
        "pytrec_eval": _pytrec_eval(pytrec_eval.parse_qrel),
        "ranx": lambda path: ranx.Qrels.from_file(str(path), kind="trec"),
    },
}

# Fresh-interpreter cold start: import, then the first load of the run file.
COLD_START = {
    "rank-core": ("import rank_core", "rank_core.Run.from_trec({path!r})"),
    "pytrec_eval": ("import pytrec_eval", "pytrec_eval.parse_run(open({path!r}, encoding='utf-8'))"),
    "ranx": ("import ranx", "ranx.Run.from_file({path!r}, kind='trec')"),
}
COLD_START_TEMPLATE = """\
import time
start = time.perf_counter()
{imports}
imported = time.perf_counter()
{load}
print(imported - start, time.perf_counter() - imported)
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000, help="run file lines")
    parser.add_argument("--depth", type=int, default=1000, help="docs per query in the run")
    parser.add_argument("--score-format", choices=sorted(SCORE_FORMATS), default="6f")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--workdir", type=Path, help="where to write the files (default: a temp dir)"
    )
    args = parser.parse_args()
    if args.lines < 1 or args.depth < 1 or args.repeats < 1:
        parser.error("--lines, --depth and --repeats must be positive")
    return args


def machine_line() -> str:
    versions = ", ".join(
        f"{name} {version(dist)}"
        for name, dist in [
            ("numpy", "numpy"),
            ("numba", "numba"),
            ("pytrec_eval", "pytrec_eval-terrier"),
            ("ranx", "ranx"),
            ("rank-core", "rank-core"),
        ]
    )
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}, {versions}"
    )


def write_files(
    directory: Path, n_lines: int, depth: int, score_format: str, seed: int
) -> tuple[Path, Path]:
    """A run of ``n_lines`` lines (``depth`` docs per query, the last query takes the rest) and its qrels."""
    rng = np.random.default_rng(seed)
    fmt = SCORE_FORMATS[score_format]
    n_queries = -(-n_lines // depth)
    counts = np.full(n_queries, depth)
    counts[-1] = n_lines - depth * (n_queries - 1)
    query_ids = rng.choice(QUERY_ID_SPACE, size=n_queries, replace=False).tolist()
    run_lines: list[str] = []
    qrels_lines: list[str] = []
    for qid, count in zip(query_ids, counts.tolist(), strict=True):
        docs = rng.choice(DOC_ID_SPACE, size=count, replace=False)
        scores = np.sort(rng.uniform(0.0, 30.0, size=count))[::-1].tolist()
        run_lines.extend(
            f"{qid} Q0 msmarco_passage_{doc} {rank} {fmt(score)} Anserini\n"
            for rank, (doc, score) in enumerate(zip(docs.tolist(), scores, strict=True), start=1)
        )
        judged = rng.choice(docs, size=min(JUDGED_PER_QUERY, count), replace=False)
        labels = rng.choice(len(LABEL_PROBABILITIES), size=judged.size, p=LABEL_PROBABILITIES)
        qrels_lines.extend(
            f"{qid} 0 msmarco_passage_{doc} {label}\n"
            for doc, label in zip(judged.tolist(), labels.tolist(), strict=True)
        )
    run_path = directory / f"run-{n_lines}-{score_format}.trec"
    qrels_path = directory / f"qrels-{n_lines}.trec"
    run_path.write_text("".join(run_lines), encoding="utf-8")
    qrels_path.write_text("".join(qrels_lines), encoding="utf-8")
    return run_path, qrels_path


def warm_up_ranx(directory: Path) -> None:
    """One untimed call of each ranx loader on a tiny file, so numba compiles before timing.

    ranx's kernels are specialised on the width of the doc-id string dtype (``<U{n}``), so the
    tiny files use the longest docno the generated files can hold.
    """
    doc = f"msmarco_passage_{DOC_ID_SPACE - 1}"
    tiny_run = directory / "tiny-run.trec"
    tiny_qrels = directory / "tiny-qrels.trec"
    tiny_run.write_text(f"1 Q0 {doc} 1 1.5 t\n1 Q0 {doc[:-1]} 2 0.5 t\n", encoding="utf-8")
    tiny_qrels.write_text(f"1 0 {doc} 1\n", encoding="utf-8")
    LOADERS["run"]["ranx"](tiny_run)
    LOADERS["qrels"]["ranx"](tiny_qrels)


def check_same_content(run_path: Path, qrels_path: Path) -> None:
    """Raise AssertionError unless rank-core and pytrec_eval read the same run and qrels."""
    for kind, path in [("run", run_path), ("qrels", qrels_path)]:
        ours = LOADERS[kind]["rank-core"](path).to_dict()
        theirs = LOADERS[kind]["pytrec_eval"](path)
        if ours.keys() != theirs.keys():
            raise AssertionError(
                f"{kind}: query sets differ: {len(ours)} in rank-core, {len(theirs)} in pytrec_eval, "
                f"e.g. {sorted(ours.keys() ^ theirs.keys())[:5]}"
            )
        for qid, expected in theirs.items():
            got = ours[qid]
            if got != expected:
                docs = sorted(
                    d for d in got.keys() | expected.keys() if got.get(d) != expected.get(d)
                )[:5]
                raise AssertionError(
                    f"{kind}: query {qid!r} differs at docs {docs}: rank-core "
                    f"{[got.get(d) for d in docs]}, pytrec_eval {[expected.get(d) for d in docs]}"
                )


def time_in_process(paths: dict[str, Path], repeats: int) -> dict[tuple[str, str], list[float]]:
    """Seconds per call for every (file kind, loader), loaders interleaved within each round."""
    times: dict[tuple[str, str], list[float]] = {
        (kind, name): [] for kind in LOADERS for name in LOADERS[kind]
    }
    for _ in range(repeats):
        for kind, name in times:
            gc.collect()
            start = time.perf_counter()
            loaded = LOADERS[kind][name](paths[kind])
            times[kind, name].append(time.perf_counter() - start)
            del loaded
    return times


def time_cold_start(run_path: Path, repeats: int) -> dict[str, list[tuple[float, float]]]:
    """(import s, first run load s) per fresh interpreter, for each library in COLD_START."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in COLD_START}
    for _ in range(repeats):
        for name, (imports, load) in COLD_START.items():
            code = COLD_START_TEMPLATE.format(imports=imports, load=load.format(path=str(run_path)))
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, capture_output=True, text=True
            ).stdout
            import_s, load_s = map(float, out.split())
            times[name].append((import_s, load_s))
    return times


def print_tables(
    paths: dict[str, Path],
    in_process: dict[tuple[str, str], list[float]],
    cold: dict[str, list[tuple[float, float]]],
) -> None:
    print("| loader | file | median s | min s | ratio vs rank-core |")
    print("|---|---|---:|---:|---:|")
    for (kind, name), seconds in in_process.items():
        median = statistics.median(seconds)
        ratio = median / statistics.median(in_process[kind, "rank-core"])
        print(f"| {name} | {paths[kind].name} | {median:.3f} | {min(seconds):.3f} | {ratio:.2f}x |")
    print()
    print(
        "| cold start (fresh interpreter) | import median s | first run load median s | min s | ratio vs rank-core |"
    )
    print("|---|---:|---:|---:|---:|")
    ours = statistics.median(load for _, load in cold["rank-core"])
    for name, pairs in cold.items():
        load_median = statistics.median(load for _, load in pairs)
        print(
            f"| {name} | {statistics.median(imp for imp, _ in pairs):.3f} | {load_median:.3f} | "
            f"{min(load for _, load in pairs):.3f} | {load_median / ours:.2f}x |"
        )


def main() -> None:
    args = parse_args()
    print(machine_line())
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    where = args.workdir or tempfile.TemporaryDirectory(prefix="bench_trec_io-")
    with contextlib.nullcontext(where) if args.workdir else where as directory_name:
        directory = Path(directory_name)
        run_path, qrels_path = write_files(
            directory, args.lines, args.depth, args.score_format, args.seed
        )
        paths = {"run": run_path, "qrels": qrels_path}
        print(
            f"files: {run_path.name} ({args.lines:,} lines, {run_path.stat().st_size / 2**20:.0f} MiB), "
            f"{qrels_path.name} ({qrels_path.stat().st_size / 2**20:.1f} MiB); "
            f"repeats: {args.repeats}; rank_core.warmup(): {rank_core.warmup():.3f} s"
        )
        warm_up_ranx(directory)
        check_same_content(run_path, qrels_path)
        print("check: rank-core and pytrec_eval read the same run and qrels")
        cold = time_cold_start(run_path, args.repeats)
        in_process = time_in_process(paths, args.repeats)
        print()
        print_tables(paths, in_process, cold)


if __name__ == "__main__":
    main()
