"""rank-eval's numba defaults: rank-core's (DESIGN.md section 5) with fastmath off.

trec_eval's numbers are reproduced to the last bit only if every sum is computed in trec_eval's
order with IEEE rounding: even the NaN-safe fastmath flags (``reassoc``, ``contract``) may
reorder sums or fuse multiply-adds, which turned an exact 0 into -1e-17 (printed "-0.0000").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rank_core.jit import kernel as _core_kernel

__all__ = ["kernel"]


def kernel(func: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
    """``rank_core.jit.kernel`` with ``fastmath=False``; ``@kernel`` or ``@kernel(parallel=True)``."""
    return _core_kernel(func, parallel=parallel, fastmath=False)
