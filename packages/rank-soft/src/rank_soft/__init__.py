"""rank-soft: differentiable sorting and ranking for the rank-* toolkit.

Soft sort, soft rank and the soft top-k mask by projection onto the permutahedron (Blondel et
al., ICML 2020) in O(n log n), compiled and parallel over rows, with exact O(n) vector-Jacobian
and Jacobian-vector products; the original Rust bindings' names in :mod:`rank_soft.compat`;
PyTorch autograd functions, losses and the other relaxations in :mod:`rank_soft.torch`
(the ``[torch]`` extra).
"""

from rank_soft.__about__ import __version__
from rank_soft._warmup import warmup
from rank_soft.compat import soft_rank_gradient, spearman_loss, spearman_loss_gradient
from rank_soft.soft import (
    SoftRank,
    SoftSort,
    SoftTopKMask,
    soft_rank,
    soft_rank_jvp,
    soft_rank_vjp,
    soft_sort,
    soft_sort_jvp,
    soft_sort_vjp,
    soft_topk_mask,
)

__all__ = [
    "SoftRank",
    "SoftSort",
    "SoftTopKMask",
    "__version__",
    "soft_rank",
    "soft_rank_gradient",
    "soft_rank_jvp",
    "soft_rank_vjp",
    "soft_sort",
    "soft_sort_jvp",
    "soft_sort_vjp",
    "soft_topk_mask",
    "spearman_loss",
    "spearman_loss_gradient",
    "warmup",
]
