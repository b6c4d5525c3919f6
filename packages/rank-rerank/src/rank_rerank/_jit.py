"""rank-rerank's numba defaults: rank-core's (DESIGN.md section 5), NaN-safe fastmath on.

The kernels here are segmented maxima, running sums and small dense loops over similarities that
BLAS produced; the NaN-safe flags let LLVM vectorise them and keep NaN/inf visible, so a bad
vector is reported instead of silently losing a comparison.
"""

from __future__ import annotations

from rank_core.jit import kernel

__all__ = ["kernel"]
