"""rank-learn's numba defaults: rank-core's (DESIGN.md section 5), re-exported in one place."""

from __future__ import annotations

from rank_core.jit import kernel

__all__ = ["kernel"]
