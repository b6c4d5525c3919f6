"""Benchmark: MMR and DPP diversity reranking (rank_rerank.diversity) against plain NumPy.

DESIGN.md section 8: every method runs in the same process, on the same data, on the same
machine; the script prints medians of ``--repeats`` timed rounds and ratios. It is a script, not
a test: nothing here asserts a speed.

Run from the repository root::

    python packages/rank-rerank/benchmarks/bench_diversity.py                  # 1,000 x 768, k=10 and 100
    python packages/rank-rerank/benchmarks/bench_diversity.py --repeats 15 --candidates 5000

Data (``--seed``): ``--candidates`` Gaussian embeddings of ``--dim`` dimensions (float32) and
relevance scores drawn uniformly from [0, 1). Similarities are cosine.

Methods, each asked for ``k`` of the candidates (``--k``, default 10 and 100):

- ``mmr``: ``rank_rerank.diversity.mmr(scores, embeddings, k, diversity=0.3)``: one
  matrix-vector product per pick and a running maximum;
- ``mmr numpy (n x n)``: the way MMR is usually written: normalise, build the full n x n cosine
  matrix, then at each step take the maximum over the selected columns for every candidate;
- ``dpp``: ``rank_rerank.diversity.dpp(scores, embeddings, k, alpha=1.0)``;
- ``dpp numpy Chen (n x n)``: Chen et al.'s fast greedy in NumPy with a Python loop over the
  picks, on the full float64 kernel ``L = diag(q) S diag(q)``, ``q = exp(alpha * scores)`` (how
  reference implementations take their input);
- ``dpp numpy Chen (rows)``: the same loop computing one kernel row per pick from the
  embeddings, as ``dpp`` does, so the gap to ``dpp`` is the per-step work (NumPy array
  operations there, compiled kernels here);
- ``dpp numpy slogdet`` (``k`` <= ``--slogdet-max-k``, default 10): the textbook greedy that
  evaluates ``log det L`` of every candidate set with ``np.linalg.slogdet`` at every step (timed
  in rounds of its own after the others: interleaved, its many tiny LAPACK calls slowed every
  other method at 2 BLAS threads).

Threads (``--threads``, default 1 and 2): each count runs in a fresh interpreter with
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set
to it (every method's products are BLAS's). In each, every method runs once untimed (its
selection is compared with ours) and then ``--repeats`` times, the methods interleaved within
each round. The first call of ``mmr`` and ``dpp`` in a fresh interpreter (one thread) is timed
too, once loading numba's on-disk cache and once compiling (``RANK_NUMBA_CACHE=0``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import numpy as np

DIVERSITY = 0.3
ALPHA = 1.0
EPSILON = 1e-10
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=1_000, help="candidates to rerank")
    parser.add_argument("--dim", type=int, default=768, help="embedding dimension")
    parser.add_argument("--k", type=int, nargs="+", default=[10, 100], help="items to select")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (medians reported)")
    parser.add_argument(
        "--slogdet-max-k", type=int, default=10, help="largest k for the slogdet greedy"
    )
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS thread counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min([args.candidates, args.dim, args.repeats, *args.k, *args.threads]) < 1:
        parser.error("sizes, k, threads and repeats must be positive")
    return args


def make_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(args.seed)
    embeddings = rng.standard_normal((args.candidates, args.dim), dtype=np.float32)
    return rng.random(args.candidates), embeddings


# ------------------------------------------------------------------------------- baselines


def normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def numpy_mmr(scores: np.ndarray, embeddings: np.ndarray, k: int) -> list[int]:
    unit = normalised(embeddings)
    similarity = unit @ unit.T
    selected = [int(np.argmax(scores))]
    available = np.ones(len(scores), dtype=bool)
    available[selected[0]] = False
    while len(selected) < min(k, len(scores)):
        penalty = similarity[:, selected].max(axis=1)
        objective = (1 - DIVERSITY) * scores - DIVERSITY * penalty
        objective[~available] = -np.inf
        pick = int(np.argmax(objective))
        selected.append(pick)
        available[pick] = False
    return selected


def numpy_dpp_chen(
    kernel_row: Callable[[int], np.ndarray], diagonal: np.ndarray, k: int
) -> list[int]:
    """Chen et al.'s greedy: Cholesky rows ``cis`` and squared residuals ``di2s`` of the kernel."""
    k = min(k, len(diagonal))
    cis = np.zeros((k, len(diagonal)))
    di2s = diagonal.astype(np.float64)
    pick = int(np.argmax(di2s))
    selected = [pick]
    while len(selected) < k:
        step = len(selected) - 1
        eis = (kernel_row(pick) - cis[:step, pick] @ cis[:step]) / np.sqrt(di2s[pick])
        cis[step] = eis
        di2s -= eis**2
        di2s[pick] = -np.inf
        pick = int(np.argmax(di2s))
        if di2s[pick] < EPSILON:
            break
        selected.append(pick)
    return selected


def numpy_dpp_full(scores: np.ndarray, embeddings: np.ndarray, k: int) -> list[int]:
    unit = normalised(embeddings.astype(np.float64))
    quality = np.exp(ALPHA * scores)
    kernel = quality[:, None] * (unit @ unit.T) * quality[None, :]
    return numpy_dpp_chen(lambda j: kernel[j], np.diag(kernel).copy(), k)


def numpy_dpp_rows(scores: np.ndarray, embeddings: np.ndarray, k: int) -> list[int]:
    unit = normalised(embeddings.astype(np.float64))
    quality = np.exp(ALPHA * scores)
    return numpy_dpp_chen(lambda j: quality * (unit @ unit[j]) * quality[j], quality**2, k)


def numpy_dpp_slogdet(scores: np.ndarray, embeddings: np.ndarray, k: int) -> list[int]:
    unit = normalised(embeddings.astype(np.float64))
    quality = np.exp(ALPHA * scores)
    kernel = quality[:, None] * (unit @ unit.T) * quality[None, :]
    selected: list[int] = []
    for _ in range(min(k, len(scores))):
        best, best_value = -1, -np.inf
        for i in range(len(scores)):
            if i in selected:
                continue
            trial = [*selected, i]
            sign, value = np.linalg.slogdet(kernel[np.ix_(trial, trial)])
            if sign > 0 and value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        selected.append(best)
    return selected


# ------------------------------------------------------------------------------ measuring


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def first_call(args: argparse.Namespace) -> dict[str, float]:
    """In this (fresh) interpreter: import, then the first ``mmr`` and ``dpp`` calls."""
    start = time.perf_counter()
    from rank_rerank.diversity import dpp, mmr

    report = {"import": time.perf_counter() - start}
    scores, embeddings = make_data(args)
    report["mmr"] = timed(lambda: mmr(scores, embeddings, 10, diversity=DIVERSITY))
    report["dpp"] = timed(lambda: dpp(scores, embeddings, 10, alpha=ALPHA))
    return report


def agreement(ours: list[int], theirs: list[int]) -> str:
    if ours == theirs:
        return "same"
    where = next(
        (i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b),
        min(len(ours), len(theirs)),
    )
    return f"differs from pick {where}"


def measure(args: argparse.Namespace, k: int) -> list[tuple[str, str, float, str]]:
    """(family, method, median seconds, agreement with ours) for every method at this ``k``."""
    from rank_rerank.diversity import dpp, mmr

    scores, embeddings = make_data(args)
    methods: dict[str, tuple[str, Callable[[], Any]]] = {
        "mmr": ("mmr", lambda: mmr(scores, embeddings, k, diversity=DIVERSITY)),
        "mmr numpy (n x n)": ("mmr", lambda: numpy_mmr(scores, embeddings, k)),
        "dpp": ("dpp", lambda: dpp(scores, embeddings, k, alpha=ALPHA, epsilon=EPSILON)),
        "dpp numpy Chen (n x n)": ("dpp", lambda: numpy_dpp_full(scores, embeddings, k)),
        "dpp numpy Chen (rows)": ("dpp", lambda: numpy_dpp_rows(scores, embeddings, k)),
    }
    # the untimed warm-up round, whose selections are compared with ours
    selections = {name: np.asarray(call()).tolist() for name, (_, call) in methods.items()}
    times: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(args.repeats):
        for name, (_, call) in methods.items():
            times[name].append(timed(call))
    if k <= args.slogdet_max_k:
        # timed apart, after the others: with 2 BLAS threads its ~10^4 tiny LAPACK calls slowed
        # every method interleaved with it tenfold at k=10
        name = "dpp numpy slogdet"
        methods[name] = ("dpp", lambda: numpy_dpp_slogdet(scores, embeddings, k))
        selections[name] = numpy_dpp_slogdet(scores, embeddings, k)
        times[name] = [timed(methods[name][1]) for _ in range(args.repeats)]
    return [
        (
            family,
            name,
            statistics.median(times[name]),
            agreement(selections[family], selections[name]),
        )
        for name, (family, _) in methods.items()
    ]


def worker(args: argparse.Namespace) -> dict[str, Any]:
    if args.first_call:
        return first_call(args)
    return {str(k): measure(args, k) for k in args.k}


def run_worker(args: argparse.Namespace, threads: int, *extra: str, cache: bool = True) -> Any:
    """Run this script's worker in a fresh interpreter whose BLAS, OpenMP and numba use
    ``threads`` threads."""
    env = dict(os.environ, **dict.fromkeys(THREAD_ENV, str(threads)))
    env["RANK_NUMBA_CACHE"] = "1" if cache else "0"
    command = [sys.executable, __file__, *sys.argv[1:], "--worker", *extra]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --------------------------------------------------------------------------------- report


def machine_line() -> str:
    import rank_rerank

    versions = ", ".join(f"{name} {version(name)}" for name in ("numpy", "numba", "scipy"))
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"{versions}, rank-rerank {rank_rerank.__version__}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args)))
        return
    run_worker(args, 1, "--first-call")  # fills numba's on-disk cache if it is empty
    cached = run_worker(args, 1, "--first-call")
    compiled = run_worker(args, 1, "--first-call", cache=False)
    print(
        f"diversity reranking: {args.candidates:,} candidates x {args.dim} dims float32 (Gaussian), "
        f"scores uniform in [0, 1), cosine; mmr diversity={DIVERSITY}, dpp alpha={ALPHA}; "
        f"medians of {args.repeats} rounds after a warm-up round"
    )
    print(machine_line())
    for threads in args.threads:
        by_k = run_worker(args, threads)
        print(f"\n[{threads} BLAS thread{'s' if threads > 1 else ''}]")
        for k in args.k:
            rows = by_k[str(k)]
            ours = {family: seconds for family, name, seconds, _ in rows if name == family}
            print(f"  k={k}")
            print(f"    {'method':<26} {'median ms':>10} {'time / ours':>12}  selection vs ours")
            for family, name, seconds, agrees in rows:
                ratio = seconds / ours[family]
                print(f"    {name:<26} {seconds * 1e3:>10.2f} {ratio:>11.2f}x  {agrees}")
    for label, report in (
        ("numba cache loaded", cached),
        ("compiling, RANK_NUMBA_CACHE=0", compiled),
    ):
        print(
            f"\nfirst call in a fresh interpreter ({label}): import {report['import']:.2f} s, "
            f"mmr {report['mmr']:.2f} s, dpp {report['dpp']:.2f} s"
        )


if __name__ == "__main__":
    main()
