"""Worker threads for chunked work that is a BLAS product followed by a compiled kernel.

Each worker runs whole chunks (a single-threaded BLAS product, then a ``nogil`` numba kernel), so
exactly ``threads`` cores compute. Letting OpenBLAS's thread pool run the products between
kernels on numba's OpenMP pool costs 3-30x on a 2-core machine: both pools' idle workers spin,
each stealing the cores the other needs (measured while building MaxSim; see its README section).
"""

from __future__ import annotations

import contextlib
import functools
import numbers
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba

from rank_core import RankTypeError, RankValueError

__all__ = ["blas_threads", "run_chunks", "worker_count"]


def worker_count(threads: Any) -> int:
    """``threads`` as a count >= 1; ``None`` means numba's current thread count (all cores by
    default, or what ``rank_core.threads(n)`` set)."""
    if threads is None:
        return numba.get_num_threads()
    if isinstance(threads, bool) or not isinstance(threads, numbers.Integral):
        raise RankTypeError(f"threads must be an int or None, got {type(threads).__name__} {threads!r}")
    if threads < 1:
        raise RankValueError(f"threads must be >= 1, got {threads}")
    return int(threads)


@functools.cache
def _blas_libraries() -> tuple[Any, ...]:
    """threadpoolctl's handles on the BLAS libraries loaded now (numpy's, which the products use)."""
    from threadpoolctl import ThreadpoolController

    return tuple(ThreadpoolController().select(user_api="blas").lib_controllers)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Run the enclosed block with ``n`` BLAS threads, restoring the previous counts afterwards
    (a direct call on the cached library handles: well under a microsecond)."""
    libraries = _blas_libraries()
    previous = [library.get_num_threads() for library in libraries]
    for library in libraries:
        library.set_num_threads(n)
    try:
        yield
    finally:
        for library, count in zip(libraries, previous, strict=True):
            library.set_num_threads(count)


def run_chunks(task: Callable[[int, int], None], chunks: Iterable[tuple[int, int]], threads: int) -> None:
    """``task(begin, end)`` for every chunk on ``min(threads, n_chunks)`` workers, with BLAS
    single-threaded throughout: a chunk's product is small (see the callers' chunk sizes), and
    waking BLAS's own workers for it costs more than it saves."""
    ranges = list(chunks)
    workers = min(threads, len(ranges))
    with blas_threads(1):
        if workers <= 1:
            for begin, end in ranges:
                task(begin, end)
            return
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(lambda bounds: task(*bounds), ranges):
                pass
