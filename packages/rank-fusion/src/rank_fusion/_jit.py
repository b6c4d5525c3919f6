"""rank-fusion's numba defaults: rank-core's (DESIGN.md section 5) with fastmath off.

Fused scores are compared with pyserini's and ranx's to the last bit: even the NaN-safe fastmath
flags may fuse ``w1 * s1 + w2 * s2`` into one multiply-add or reorder a sum, which changes the
last digit of ``0.4 * 24 + 0.6 * 2.4``. Every kernel here is memory-bound, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rank_core.jit import kernel as _core_kernel

__all__ = ["kernel"]


def kernel(func: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
    """``rank_core.jit.kernel`` with ``fastmath=False``; ``@kernel`` or ``@kernel(parallel=True)``."""
    return _core_kernel(func, parallel=parallel, fastmath=False)
