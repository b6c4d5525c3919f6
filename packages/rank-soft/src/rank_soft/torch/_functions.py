"""``torch.autograd.Function`` wrappers of the NumPy soft operators."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from rank_core.errors import RankTypeError
from rank_soft._inputs import Direction, Regularization, check_dim
from rank_soft.soft import SoftRank, SoftSort, SoftTopKMask

__all__ = ["soft_rank", "soft_sort", "soft_topk_mask"]

# float16 / bfloat16 are computed in float32 (NumPy has no bfloat16; float16 sums overflow)
_COMPUTE_DTYPE = {torch.float32: torch.float32, torch.float64: torch.float64}


def _as_numpy(x: Any, name: str = "x") -> tuple[np.ndarray, torch.Tensor]:
    if isinstance(x, torch.Tensor) and x.dtype in _COMPUTE_DTYPE and x.device.type == "cpu":
        return x.detach().resolve_neg().numpy(), x  # the common case: no conversion
    if not isinstance(x, torch.Tensor):
        raise RankTypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not (x.is_floating_point() or x.dtype in (torch.int32, torch.int64, torch.bool)):
        raise RankTypeError(f"{name} must hold real numbers, got {x.dtype}")
    compute = _COMPUTE_DTYPE.get(x.dtype, torch.float32 if x.is_floating_point() else torch.float64)
    return x.detach().to(device="cpu", dtype=compute).numpy(), x


def _back(array: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    if like.dtype == tensor.dtype and like.device.type == "cpu":
        return tensor
    out_dtype = like.dtype if like.is_floating_point() else torch.float64
    return tensor.to(device=like.device, dtype=out_dtype)


class _Projection(torch.autograd.Function):
    """Forward: build the NumPy operator (which keeps its linearisation); backward: its VJP."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, build: Any) -> torch.Tensor:  # type: ignore[override]
        array, like = _as_numpy(x)
        operator = build(array)
        ctx.operator = operator
        ctx.like = like
        return _back(operator.values, like)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, None]:  # type: ignore[override]
        cotangent, _ = _as_numpy(grad_output, "grad_output")
        return _back(ctx.operator.vjp(cotangent), ctx.like), None


def soft_rank(
    x: torch.Tensor,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    dim: int = -1,
) -> torch.Tensor:
    """Soft ranks (``1..n``) along ``dim``; see :func:`rank_soft.soft_rank` for the conventions."""

    def build(array: np.ndarray) -> SoftRank:
        check_dim(dim, array.ndim)
        return SoftRank(array, regularization_strength, regularization, direction, axis=dim)

    return _Projection.apply(x, build)


def soft_sort(
    x: torch.Tensor,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    dim: int = -1,
) -> torch.Tensor:
    """Soft sort along ``dim``; see :func:`rank_soft.soft_sort` for the conventions."""

    def build(array: np.ndarray) -> SoftSort:
        check_dim(dim, array.ndim)
        return SoftSort(array, regularization_strength, regularization, direction, axis=dim)

    return _Projection.apply(x, build)


def soft_topk_mask(
    x: torch.Tensor, k: int, regularization_strength: float = 1.0, *, dim: int = -1
) -> torch.Tensor:
    """Soft mask of the ``k`` largest values along ``dim``; see :class:`rank_soft.SoftTopKMask`."""

    def build(array: np.ndarray) -> SoftTopKMask:
        check_dim(dim, array.ndim)
        return SoftTopKMask(array, k, regularization_strength, axis=dim)

    return _Projection.apply(x, build)
