"""rank-retrieve's numba defaults: rank-core's (DESIGN.md section 5) with fastmath off.

BM25 scores are compared with bm25s's to 1e-9 and must not depend on the thread count: the
NaN-safe fastmath flags may still reorder a sum or fuse a multiply-add. The kernels are
memory-bound (scatter-adds, heaps), so nothing is lost; matrix products go to BLAS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rank_core.jit import kernel as _core_kernel

__all__ = ["kernel"]


def kernel(func: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
    """``rank_core.jit.kernel`` with ``fastmath=False``; ``@kernel`` or ``@kernel(parallel=True)``."""
    return _core_kernel(func, parallel=parallel, fastmath=False)
