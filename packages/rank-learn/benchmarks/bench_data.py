"""Benchmark: reading (and writing) LETOR / svmlight files with rank-learn and scikit-learn.

DESIGN.md section 8: scikit-learn's Cython reader (``sklearn.datasets.load_svmlight_file``) is
timed in the same run, on the same files, on the same machine; the script prints medians,
minimums and ratios (scikit-learn median / rank-learn median). It is a script, not a test.

Run from the repository root (needs scikit-learn and scipy)::

    python packages/rank-learn/benchmarks/bench_data.py
    python packages/rank-learn/benchmarks/bench_data.py --rows 20000 --repeats 3   # quicker

Files:

- ``rank.train`` of LightGBM's lambdarank example (``shared/data/lightgbm_lambdarank``: 3,005
  rows, 300 features, two decimals, no ``qid:``; its ``rank.train.query`` group file is read too);
- a synthetic MSLR-WEB-shaped file written to a temporary folder: ``--rows`` rows (100,000) of
  136 features with ``qid:`` (queries of 20 to 200 documents) and labels 0-4, values as MSLR
  writes them (integers for count features, up to 6 decimals for the others, a few zeros left
  out), written with :func:`rank_learn.data.dump_svmlight`.

What is timed (``time.perf_counter``, files already in the page cache):

- in process, ``--repeats`` rounds with the readers interleaved: rank-learn dense (default) and
  ``sparse=True``, scikit-learn (which returns a CSR matrix; ``.toarray()`` timed separately for
  the dense comparison), each at numba's default thread count and with one thread;
- cold start, in fresh interpreters: the import plus the first read, (a) with numba's on-disk
  cache already filled (a user's every new process) and (b) compiling from scratch
  (``RANK_NUMBA_CACHE=0``: the first call after installing); scikit-learn's import + first read;
- writing: :func:`dump_svmlight` vs ``sklearn.datasets.dump_svmlight_file`` on the synthetic
  file's arrays (once each: both are slow).

Before timing, the script checks that both readers give the same ``X``, ``y`` and ``qid``.
"""

from __future__ import annotations

import argparse
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
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

from rank_core import threads
from rank_learn.data import dump_svmlight, load_svmlight

SHARED = (
    Path(
        os.environ.get("RANK_SHARED_DATA")
        or Path(__file__).resolve().parents[4] / "shared" / "data"
    )
    / "lightgbm_lambdarank"
)


def synthetic(path: Path, n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Write an MSLR-WEB-shaped file (136 features, qid, labels 0-4); return its arrays."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(20, 201, size=n_rows // 20 + 1)
    qid = np.repeat(np.arange(sizes.size), sizes)[:n_rows].astype(np.int64)
    y = rng.choice(5, size=n_rows, p=[0.5, 0.3, 0.13, 0.05, 0.02]).astype(np.float64)
    X = np.empty((n_rows, 136))
    counts = rng.random(136) < 0.4  # MSLR's term-frequency / length features are integers
    X[:, counts] = rng.integers(0, 300, size=(n_rows, int(counts.sum())))
    for j in np.flatnonzero(~counts):  # 1 to 6 decimals, as MSLR's scores and ratios have
        X[:, j] = np.round(rng.gamma(2.0, 3.0, size=n_rows), int(rng.integers(1, 7)))
    dump_svmlight(path, X, y, qid)
    return X, y, qid


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def interleaved(readers: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(repeats):
        for name, read in readers.items():
            times[name].append(timed(read))
    return times


def cold(code: str, repeats: int, env: dict[str, str] | None = None) -> list[float]:
    """Seconds of ``code`` (which prints its own timing) in fresh interpreters."""
    out = []
    for _ in range(repeats):
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        out.append(float(result.stdout.strip().splitlines()[-1]))
    return out


def report(title: str, times: dict[str, list[float]], anchor: str) -> None:
    print(f"\n{title}")
    base = statistics.median(times[anchor])
    for name, values in times.items():
        median = statistics.median(values)
        ratio = base / median
        print(
            f"  {name:<34} median {median * 1e3:9.1f} ms   min {min(values) * 1e3:9.1f} ms   "
            f"{anchor} / this: {ratio:6.2f}x"
        )


def check_same(path: Path, **sklearn_options: Any) -> None:
    ours = load_svmlight(path)
    result = load_svmlight_file(str(path), **sklearn_options)
    assert np.array_equal(ours.X, result[0].toarray()) and np.array_equal(ours.y, result[1])
    if sklearn_options.get("query_id"):
        assert np.array_equal(ours.qid, result[2])


def bench_file(path: Path, label: str, repeats: int, query_id: bool) -> None:
    size = path.stat().st_size / 2**20
    print(f"\n=== {label}: {path.name}, {size:.1f} MiB ===")
    check_same(path, query_id=query_id)
    n = numba.get_num_threads()
    readers: dict[str, Callable[[], Any]] = {
        "sklearn load_svmlight_file (csr)": lambda: load_svmlight_file(
            str(path), query_id=query_id
        ),
        "sklearn + .toarray() (dense)": lambda: load_svmlight_file(str(path), query_id=query_id)[
            0
        ].toarray(),
    }
    for count in sorted({n, 1}):

        def dense(count: int = count) -> Any:
            with threads(count):
                return load_svmlight(path)

        def sparse(count: int = count) -> Any:
            with threads(count):
                return load_svmlight(path, sparse=True)

        readers[f"rank-learn dense, {count} thread(s)"] = dense
        readers[f"rank-learn sparse, {count} thread(s)"] = sparse
    for read in readers.values():  # warm: numba cache loaded, files in the page cache
        read()
    report(
        f"in process, {repeats} rounds (load average {os.getloadavg()[0]:.2f})",
        interleaved(readers, repeats),
        "sklearn load_svmlight_file (csr)",
    )

    first_read = (
        "import time; t = time.perf_counter(); from rank_learn.data import load_svmlight; "
        f"load_svmlight({str(path)!r}); print(time.perf_counter() - t)"
    )
    sklearn_read = (
        "import time; t = time.perf_counter(); from sklearn.datasets import load_svmlight_file; "
        f"load_svmlight_file({str(path)!r}, query_id={query_id}); print(time.perf_counter() - t)"
    )
    cold_runs = max(3, repeats // 2)
    report(
        f"cold start: import + first read in a fresh interpreter ({cold_runs} runs each)",
        {
            "sklearn": cold(sklearn_read, cold_runs),
            "rank-learn, numba cache on disk": cold(first_read, cold_runs),
            "rank-learn, compiling (no cache)": cold(first_read, 1, {"RANK_NUMBA_CACHE": "0"}),
        },
        "sklearn",
    )


def bench_write(folder: Path, X: np.ndarray, y: np.ndarray, qid: np.ndarray) -> None:
    ours = folder / "ours.svm"
    theirs = folder / "sklearn.svm"
    times = {
        "sklearn dump_svmlight_file": [
            timed(lambda: dump_svmlight_file(X, y, str(theirs), query_id=qid))
        ],
        "rank-learn dump_svmlight": [timed(lambda: dump_svmlight(ours, X, y, qid))],
    }
    report(
        f"writing {X.shape[0]:,} x {X.shape[1]} (once each)", times, "sklearn dump_svmlight_file"
    )
    again = load_svmlight(ours)
    assert (
        np.array_equal(again.X, X) and np.array_equal(again.y, y) and np.array_equal(again.qid, qid)
    )
    print(
        f"  sizes: rank-learn {ours.stat().st_size / 2**20:.1f} MiB (exact round trip), "
        f"sklearn {theirs.stat().st_size / 2**20:.1f} MiB (%.16g: not always exact)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="skip the writing benchmark")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
        f"scikit-learn {version('scikit-learn')}, scipy {version('scipy')}; {os.cpu_count()} CPUs, "
        f"numba threads {numba.get_num_threads()}"
    )
    if (SHARED / "rank.train").is_file():
        bench_file(
            SHARED / "rank.train", "LightGBM lambdarank example", args.repeats, query_id=False
        )
    else:
        print(f"\n(skipping rank.train: {SHARED} not found)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "mslr_like.svm"
        start = time.perf_counter()
        X, y, qid = synthetic(path, args.rows)
        print(f"\n(generated {path.name} in {time.perf_counter() - start:.1f} s)")
        bench_file(
            path,
            f"synthetic MSLR-shaped, {args.rows:,} x 136 with qid",
            args.repeats,
            query_id=True,
        )
        if not args.no_write:
            bench_write(folder, X, y, qid)
    print(f"\nnumba threading layer: {numba.threading_layer()}")


if __name__ == "__main__":
    main()
