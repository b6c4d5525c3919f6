"""PyTorch front end of rank-soft (the ``[torch]`` extra): autograd functions, losses, relaxations.

``soft_rank`` / ``soft_sort`` / ``soft_topk_mask`` are ``torch.autograd.Function``s over the
compiled NumPy kernels: any leading dimensions (the operator runs along ``dim``), float32/float64
computed as such, float16/bfloat16 computed in float32 and returned in their own dtype; tensors
on another device are computed on the CPU and returned on their device. Their backward is the
exact O(n) VJP of :mod:`rank_soft.soft` (first order; not twice differentiable).
"""

from rank_core.optional import require

require("torch", feature="rank_soft.torch", distribution="rank-soft", extra="torch")

from rank_soft.torch._functions import soft_rank, soft_sort, soft_topk_mask  # noqa: E402
from rank_soft.torch.losses import (  # noqa: E402
    soft_median,
    soft_ndcg,
    soft_quantile,
    spearman_loss,
)
from rank_soft.torch.relaxations import (  # noqa: E402
    neuralsort_permutation,
    pairwise_sigmoid_rank,
    sinkhorn_rank,
    sinkhorn_sort,
    softsort_permutation,
)

__all__ = [
    "neuralsort_permutation",
    "pairwise_sigmoid_rank",
    "sinkhorn_rank",
    "sinkhorn_sort",
    "soft_median",
    "soft_ndcg",
    "soft_quantile",
    "soft_rank",
    "soft_sort",
    "soft_topk_mask",
    "softsort_permutation",
    "spearman_loss",
]
