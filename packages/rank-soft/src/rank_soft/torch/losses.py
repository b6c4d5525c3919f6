"""Losses and operators built on the soft operators (differentiable through their exact VJPs)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import torch

from rank_core.errors import RankTypeError, ShapeMismatchError
from rank_core.validation import check_choice, check_in_range, check_k
from rank_soft._inputs import Regularization
from rank_soft.torch._functions import soft_rank, soft_sort, soft_topk_mask

__all__ = ["soft_median", "soft_ndcg", "soft_quantile", "spearman_loss"]

Reduction = Literal["mean", "sum", "none"]
_REDUCTIONS: tuple[Reduction, ...] = ("mean", "sum", "none")
# computed in float32: float16 sums of squared ranks (~n^3 / 12) and exponential gains (2^16 - 1)
# overflow, and float16/bfloat16 hold no rank above 2048 / 256 exactly; autograd casts back
_HALF = (torch.float16, torch.bfloat16)


def _widen(x: torch.Tensor) -> torch.Tensor:
    return x.float() if x.dtype in _HALF else x


def _reduce(values: torch.Tensor, reduction: Reduction) -> torch.Tensor:
    check_choice(reduction, name="reduction", choices=_REDUCTIONS)
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _same_shape(a: torch.Tensor, b: torch.Tensor, names: tuple[str, str]) -> None:
    for value, name in zip((a, b), names, strict=True):
        if not isinstance(value, torch.Tensor):
            raise RankTypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if a.shape != b.shape:
        raise ShapeMismatchError(
            f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} "
            f"and {tuple(b.shape)}"
        )


def spearman_loss(
    pred: torch.Tensor,
    target: torch.Tensor,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    dim: int = -1,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """``1 - rho`` with rho the Pearson correlation of ``soft_rank(pred)`` and the hard (average)
    ranks of ``target`` along ``dim``: in ``[0, 2]``, 0 when ``pred`` orders like ``target``.

    The torchsort README's differentiable Spearman correlation, as a loss; ``target`` gets no
    gradient. A row whose ranks are constant (n = 1, all ties) has no correlation: its loss is 1.
    """
    _same_shape(pred, target, ("pred", "target"))
    soft = soft_rank(_widen(pred), regularization_strength, regularization, dim=dim)
    hard = soft_rank(_widen(target.detach()), 0.0, dim=dim).to(soft.dtype)
    soft = soft - soft.mean(dim=dim, keepdim=True)
    hard = hard - hard.mean(dim=dim, keepdim=True)
    norms = soft.norm(dim=dim) * hard.norm(dim=dim)
    covariance = (soft * hard).sum(dim=dim)
    safe = torch.where(norms > 0, norms, torch.ones_like(norms))
    rho = torch.where(norms > 0, covariance / safe, torch.zeros_like(norms))
    loss = _reduce(1.0 - rho, reduction)
    return loss.to(pred.dtype) if pred.dtype in _HALF else loss


def soft_quantile(
    x: torch.Tensor,
    q: float | Sequence[float],
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    dim: int = -1,
) -> torch.Tensor:
    """Soft quantile(s) along ``dim``: the soft order statistics interpolated linearly at position
    ``q * (n - 1)`` (NumPy's default "linear" method, exact at ``eps = 0``).

    A float ``q`` removes ``dim``; a sequence puts ``len(q)`` quantiles in its place.
    """
    scalar = not isinstance(q, Sequence)
    levels = [q] if scalar else list(q)
    for level in levels:
        check_in_range(level, name="q", low=0.0, high=1.0)
    ordered = soft_sort(x, regularization_strength, regularization, "ascending", dim=dim)
    n = ordered.shape[dim]
    picked = []
    for level in levels:
        position = float(level) * (n - 1)
        low = math.floor(position)
        high = min(low + 1, n - 1)
        fraction = position - low
        below = ordered.select(dim, low)
        above = ordered.select(dim, high)
        picked.append(below + (above - below) * fraction)
    return picked[0] if scalar else torch.stack(picked, dim=dim % ordered.ndim)


def soft_median(
    x: torch.Tensor,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    dim: int = -1,
) -> torch.Tensor:
    """``soft_quantile(x, 0.5, ...)``: the soft median along ``dim`` (``dim`` removed)."""
    return soft_quantile(x, 0.5, regularization_strength, regularization, dim=dim)


def soft_ndcg(
    scores: torch.Tensor,
    relevance: torch.Tensor,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    k: int | None = None,
    gain: Literal["exponential", "linear"] = "exponential",
    dim: int = -1,
    reduction: Reduction = "none",
) -> torch.Tensor:
    """Differentiable nDCG: DCG with the soft descending ranks ``r`` of ``scores`` in place of
    the hard ones, ``sum_i gain(rel_i) / log2(1 + r_i)``, over the ideal (hard) DCG.

    ``gain``: ``2^rel - 1`` (Burges et al.) or ``rel`` (trec_eval's ``ndcg``).
    ``k``: nDCG@k, each document's discounted gain weighted by the soft top-k mask of ``scores``
    (the ideal DCG is the hard DCG@k; the mask is the "l2" one whatever ``regularization``).
    Labels below 0 (trec_eval's -1 "judged non-relevant") gain 0, as in trec_eval. Rows with no
    relevant document score 0. At ``eps = 0`` it equals the hard nDCG with ties given their
    average rank. Use ``1 - soft_ndcg`` as a loss.
    """
    _same_shape(scores, relevance, ("scores", "relevance"))
    check_choice(gain, name="gain", choices=("exponential", "linear"))
    dtype = scores.dtype
    scores = _widen(scores)
    relevance = relevance.detach().to(scores.dtype if scores.is_floating_point() else torch.float64)
    relevance = relevance.clamp(min=0.0)
    gains = torch.pow(2.0, relevance) - 1.0 if gain == "exponential" else relevance
    ranks = soft_rank(scores, regularization_strength, regularization, "descending", dim=dim)
    discounted = gains / torch.log2(1.0 + ranks)
    n = scores.shape[dim]
    cutoff = n if k is None else min(check_k(k), n)
    if cutoff < n:
        discounted = discounted * soft_topk_mask(scores, cutoff, regularization_strength, dim=dim)
    dcg = discounted.sum(dim=dim)
    ideal_gains = torch.sort(gains, dim=dim, descending=True).values.narrow(dim, 0, cutoff)
    positions = torch.arange(2, cutoff + 2, dtype=ideal_gains.dtype, device=ideal_gains.device)
    shape = [1] * ideal_gains.ndim
    shape[dim] = cutoff
    ideal = (ideal_gains / torch.log2(positions).reshape(shape)).sum(dim=dim)
    safe = torch.where(ideal > 0, ideal, torch.ones_like(ideal))
    ndcg = _reduce(torch.where(ideal > 0, dcg / safe, torch.zeros_like(ideal)), reduction)
    return ndcg.to(dtype) if dtype in _HALF else ndcg
