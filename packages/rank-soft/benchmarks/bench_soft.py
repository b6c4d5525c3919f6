"""Soft rank / soft sort throughput: rank-soft against torchsort and a NumPy reference.

Same data, same process, same machine. For each shape -- (a) 1 row x n = 5,000, (b) 256 rows x
n = 100, (c) 4,096 rows x n = 100 -- each dtype (float32, float64), each operator (soft_rank,
soft_sort; "l2", regularization_strength 1.0 on standard normal values, torchsort's README
setting) and each thread count (1, 2), it times the forward and the forward + backward of:

- ``rank_soft``: the NumPy API, ``soft_rank(x)`` / ``SoftRank(x).vjp(cotangent)``;
- ``rank_soft.torch``: the autograd functions, ``soft_rank(t)`` / ``.backward(cotangent)``;
- ``torchsort``: ``torchsort.soft_rank(t)`` / ``.backward(cotangent)`` (its CPU extension;
  single-threaded, so its 2-thread figure is its 1-thread one measured again);
- ``numpy reference``: the reference code's algorithm written with NumPy (argsort per row, PAV
  as a Python loop over the row, the backward from the block structure with ``np.add.reduceat``),
  the way google-research/fast-soft-sort runs without numba; timed at 1 thread only (it has no
  parallel path) and shown beside both thread counts.

Threads are set with ``numba.set_num_threads`` and ``torch.set_num_threads``. Medians of
``--repeats`` runs after one warm-up run (slow contenders stop early after ``--budget`` seconds);
ratios are torchsort's median over rank-soft's (NumPy API and torch functions), and the
reference's over rank-soft's NumPy API. A fresh process also times
rank-soft's cold start (import + first call, numba's on-disk cache warm).

    python packages/rank-soft/benchmarks/bench_soft.py --repeats 9
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

import rank_soft

SHAPES = {"(a) 1 x 5000": (1, 5000), "(b) 256 x 100": (256, 100), "(c) 4096 x 100": (4096, 100)}
STRENGTH = 1.0


def median_seconds(run: Callable[[], Any], repeats: int, budget: float) -> float:
    run()  # warm-up: compilation, caches, allocator
    times: list[float] = []
    spent = time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        if len(times) >= 3 and time.perf_counter() - spent > budget:
            break
    return statistics.median(times)


# --- the NumPy reference: the paper's algorithm, one row at a time -----------------------------


def _pav_decreasing(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decreasing isotonic regression of ``y`` (l2) by a Python stack of blocks: the solution
    and the block starts."""
    starts: list[int] = []
    sums: list[float] = []
    counts: list[int] = []
    for i, value in enumerate(y.tolist()):
        starts.append(i)
        sums.append(value)
        counts.append(1)
        while len(sums) > 1 and sums[-2] * counts[-1] <= sums[-1] * counts[-2]:
            merged_sum, merged_count = sums.pop(), counts.pop()
            sums[-1] += merged_sum
            counts[-1] += merged_count
            starts.pop()
    means = np.array(sums) / np.array(counts)
    return np.repeat(means, counts), np.array(starts)


def _reference_projection(s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P(s, w)`` in sorted coordinates (``s`` descending) and the block starts."""
    dual, starts = _pav_decreasing(s - w)
    return s - dual, starts


def _block_mean_vjp(g: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``g - mean_B(g)`` per block: the VJP of the l2 projection with respect to ``s``."""
    counts = np.diff(np.append(starts, g.shape[0]))
    return g - np.repeat(np.add.reduceat(g, starts) / counts, counts)


def reference_soft_rank(x: np.ndarray, cotangent: np.ndarray | None) -> np.ndarray:
    rows, n = x.shape
    w = np.arange(n, 0, -1, dtype=np.float64)
    out = np.empty((rows, n))
    for r in range(rows):
        order = np.argsort(-x[r], kind="stable")
        primal, starts = _reference_projection(x[r, order] / STRENGTH, w)
        if cotangent is None:
            out[r, order] = primal
        else:
            out[r, order] = _block_mean_vjp(cotangent[r, order], starts) / STRENGTH
    return out


def reference_soft_sort(x: np.ndarray, cotangent: np.ndarray | None) -> np.ndarray:
    rows, n = x.shape
    y = np.arange(n, 0, -1, dtype=np.float64) / STRENGTH
    out = np.empty((rows, n))
    for r in range(rows):
        order = np.argsort(x[r], kind="stable")  # ascending: the descending sort of -x
        w = -x[r, order]
        primal, starts = _reference_projection(y, w)
        if cotangent is None:
            out[r] = -primal
        else:  # out = -P(y, w), w = -x[order]: d out_i / d x[order_j] = 1/|B| within a block
            counts = np.diff(np.append(starts, n))
            means = np.repeat(np.add.reduceat(cotangent[r], starts) / counts, counts)
            out[r, order] = means
    return out


# --- the contenders ----------------------------------------------------------------------------


def contenders(op: str, x: np.ndarray, cotangent: np.ndarray) -> dict[str, dict[str, Callable]]:
    """For each contender, its forward and forward+backward callables (None if unavailable)."""
    soft = {"rank": rank_soft.SoftRank, "sort": rank_soft.SoftSort}[op]
    found: dict[str, dict[str, Callable]] = {
        "rank_soft": {
            "forward": lambda: soft(x, STRENGTH).values,
            "forward+backward": lambda: soft(x, STRENGTH).vjp(cotangent),
        }
    }
    reference = {"rank": reference_soft_rank, "sort": reference_soft_sort}[op]
    x64, c64 = x.astype(np.float64), cotangent.astype(np.float64)
    found["numpy reference"] = {
        "forward": lambda: reference(x64, None),
        "forward+backward": lambda: reference(x64, c64),
    }
    try:
        import torch
    except ImportError:
        return found
    import rank_soft.torch as rst

    t, c = torch.from_numpy(x), torch.from_numpy(cotangent)

    def torch_pair(function: Callable) -> dict[str, Callable]:
        def forward() -> Any:
            with torch.no_grad():
                return function(t)

        def forward_backward() -> Any:
            leaf = t.detach().requires_grad_()
            function(leaf).backward(c)
            return leaf.grad

        return {"forward": forward, "forward+backward": forward_backward}

    ours = {"rank": rst.soft_rank, "sort": rst.soft_sort}[op]
    found["rank_soft.torch"] = torch_pair(lambda v: ours(v, STRENGTH))
    try:
        import torchsort
    except ImportError:
        print("torchsort is not installed: see the README for how it builds (CPU, no nvcc)")
        return found
    theirs = {"rank": torchsort.soft_rank, "sort": torchsort.soft_sort}[op]
    found["torchsort"] = torch_pair(lambda v: theirs(v, regularization_strength=STRENGTH))
    return found


def check_agreement(op: str, x: np.ndarray, cotangent: np.ndarray) -> None:
    """Every contender computes the same numbers (else the timings compare different things)."""
    found = contenders(op, x.astype(np.float64), cotangent.astype(np.float64))
    results = {
        (name, stage): np.asarray(run())
        for name, runs in found.items()
        for stage, run in runs.items()
    }
    for stage in ("forward", "forward+backward"):
        expected = results[("rank_soft", stage)]
        for (name, other_stage), value in results.items():
            if other_stage == stage and not np.allclose(value, expected, atol=1e-9, rtol=1e-9):
                raise SystemExit(f"{name} disagrees with rank_soft on {op} {stage}")


def set_threads(count: int) -> None:
    numba.set_num_threads(count)
    try:
        import torch

        torch.set_num_threads(count)
    except ImportError:
        pass


def cold_start() -> float:
    code = (
        "import time; start = time.perf_counter(); import numpy as np, rank_soft; "
        "rank_soft.SoftRank(np.random.default_rng(0).standard_normal((8, 50))).vjp(np.ones((8, 50)));"
        " print(time.perf_counter() - start)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per slow contender")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    for op in ("rank", "sort"):
        check_agreement(op, rng.standard_normal((64, 100)), rng.standard_normal((64, 100)))
    rank_soft.warmup()
    print(f"cold start (fresh process: import + first SoftRank and VJP): {cold_start():.3f} s")
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"numba {numba.__version__}, numpy {np.__version__}, {cores} cores seen")

    header = (
        "| shape | dtype | op | pass | threads | rank_soft | rank_soft.torch | torchsort "
        "| numpy ref. | torchsort / rank_soft | torchsort / rank_soft.torch | numpy ref. / rank_soft |"
    )
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    reference_times: dict[tuple, float] = {}
    for shape_name, shape in SHAPES.items():
        for dtype in (np.float32, np.float64):
            x = rng.standard_normal(shape).astype(dtype)
            cotangent = rng.standard_normal(shape).astype(dtype)
            for op in ("rank", "sort"):
                found = contenders(op, x, cotangent)
                for stage in ("forward", "forward+backward"):
                    for threads in args.threads:
                        times = {}
                        for name, runs in found.items():
                            key = (shape_name, dtype, op, stage)
                            if name == "numpy reference" and key in reference_times:
                                times[name] = reference_times[key]
                                continue
                            # the reference has no parallel path: timed once, at 1 thread
                            set_threads(1 if name == "numpy reference" else threads)
                            times[name] = median_seconds(runs[stage], args.repeats, args.budget)
                            if name == "numpy reference":
                                reference_times[key] = times[name]
                        row = (shape_name, np.dtype(dtype).name, op, stage, str(threads))
                        print(table_row(row, times), flush=True)


def table_row(labels: tuple[str, ...], times: dict[str, float]) -> str:
    """One markdown row: the labels, each contender's median, and the ratios (how many times
    faster rank-soft's NumPy and torch front ends are than torchsort, NumPy's over the reference)."""
    names = ("rank_soft", "rank_soft.torch", "torchsort", "numpy reference")
    cells = [f"{times[name] * 1e3:.3f} ms" if name in times else "n/a" for name in names]
    pairs = [
        ("torchsort", "rank_soft"),
        ("torchsort", "rank_soft.torch"),
        ("numpy reference", "rank_soft"),
    ]
    ratios = [
        f"{times[slow] / times[fast]:.2f}x" if slow in times and fast in times else "n/a"
        for slow, fast in pairs
    ]
    return "| " + " | ".join([*labels, *cells, *ratios]) + " |"


if __name__ == "__main__":
    main()
