"""Numba defaults shared by every rank-* package (DESIGN.md section 5).

Each package's private ``_jit.py`` imports :func:`kernel` from here, so the defaults live in one
place: ``cache=True`` (disable with ``RANK_NUMBA_CACHE=0``), ``nogil=True`` and a NaN-safe
fastmath flag set. Full ``fastmath=True`` assumes no NaN/inf and is only for kernels whose inputs
were validated finite and that use no infinite sentinels: opt in with ``fastmath=True``.

Kernels call ``np.argsort`` with ``kind="mergesort"``, never the default: with numba 0.68 and the
on-disk cache, a cached kernel calling the default (quicksort) ``np.argsort`` on an array type can
be linked to the quicksort ``np.sort`` of that type when a kernel using ``np.sort`` was compiled
first in the process, and return sorted values instead of indices (reproduced; the mergesort
implementation is named differently and is not affected).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numba

from rank_core.errors import RankTypeError, RankValueError

__all__ = ["CACHE_ENV_VAR", "NAN_SAFE_FASTMATH", "kernel", "threads"]

F = TypeVar("F", bound=Callable[..., Any])

#: Set to ``0`` to stop numba from writing/reading its on-disk compilation cache.
CACHE_ENV_VAR = "RANK_NUMBA_CACHE"

#: Fastmath flags that keep NaN/inf semantics intact (no ``nnan``/``ninf``).
NAN_SAFE_FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def _cache_enabled() -> bool:
    return os.environ.get(CACHE_ENV_VAR, "1").strip().lower() not in {"0", "false", "no", "off"}


def kernel(
    func: F | None = None,
    *,
    parallel: bool = False,
    fastmath: bool | frozenset[str] = NAN_SAFE_FASTMATH,
) -> Any:
    """``numba.njit`` with the project defaults; usable as ``@kernel`` or ``@kernel(parallel=True)``.

    No eager signatures: types are inferred lazily and the result is cached on disk.
    """
    options: dict[str, Any] = {
        "cache": _cache_enabled(),
        "nogil": True,
        "parallel": parallel,
        "fastmath": fastmath if isinstance(fastmath, bool) else set(fastmath),
    }
    if func is None:
        return lambda f: numba.njit(**options)(f)
    return numba.njit(**options)(func)


@contextlib.contextmanager
def threads(n: int | None) -> Iterator[int]:
    """Run the enclosed block with ``n`` numba threads, restoring the previous count afterwards.

    ``None`` keeps the current count. Never changes ``numba.config`` itself.
    """
    previous = numba.get_num_threads()
    if n is None:
        yield previous
        return
    if isinstance(n, bool) or not isinstance(n, int):
        raise RankTypeError(f"threads must be an int or None, got {type(n).__name__}")
    limit = numba.config.NUMBA_NUM_THREADS
    if not 1 <= n <= limit:
        raise RankValueError(f"threads must be between 1 and {limit} (NUMBA_NUM_THREADS), got {n}")
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)
