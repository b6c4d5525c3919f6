"""rank-soft's numba defaults: rank-core's (DESIGN.md section 5) with fastmath off.

The projections are compared with a plain-Python reference to 1e-12 and their gradients with
finite differences: the NaN-safe flag set still allows approximate ``exp``/``log`` (``afn``) and
reassociated block sums, which would cost digits for no measurable gain in these branchy,
sequential pool-adjacent-violators loops.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rank_core.jit import kernel as _core_kernel

__all__ = ["kernel"]


def kernel(func: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
    """``rank_core.jit.kernel`` with ``fastmath=False``; ``@kernel`` or ``@kernel(parallel=True)``."""
    return _core_kernel(func, parallel=parallel, fastmath=False)
