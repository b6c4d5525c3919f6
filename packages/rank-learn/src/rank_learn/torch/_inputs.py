"""Validation and batching shared by the neural ranking losses (private).

Every loss runs the same front end: check the argument types, shapes and values, bring 1-D input
to a batch of one list, compute half precision in float32, and zero the padded entries so that
nothing a caller put there (NaN included) can reach the result or the gradients of real items.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from rank_core.errors import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import check_choice, check_in_range

__all__ = [
    "REDUCTIONS",
    "Lists",
    "Reduction",
    "check_positive",
    "check_reduction",
    "exponential_gains",
    "ideal_dcg",
    "prepare",
    "reduce_lists",
    "score_order",
]

Reduction = Literal["mean", "sum", "none"]
REDUCTIONS: tuple[Reduction, ...] = ("mean", "sum", "none")
# float16 / bfloat16 are computed in float32 (exponential gains and log-sum-exps overflow or lose
# every digit in half precision) and the result is cast back, so autograd returns half gradients
_HALF = (torch.float16, torch.bfloat16)


@dataclass(frozen=True)
class Lists:
    """A validated batch: ``scores`` (batch, n) in the compute dtype with padded entries set to 0
    (they get no gradient), ``labels`` likewise (detached), ``mask`` (batch, n) bool, whether the
    input was one 1-D list, and the dtype of the result."""

    scores: torch.Tensor
    labels: torch.Tensor
    mask: torch.Tensor
    one_list: bool
    dtype: torch.dtype


def check_positive(value: float, name: str) -> float:
    """``value`` as a float, finite and > 0 (RankValueError otherwise)."""
    return check_in_range(value, name=name, low=0.0, low_inclusive=False)


def _where(bad: torch.Tensor) -> tuple[int, ...] | int:
    position = tuple(int(i) for i in torch.nonzero(bad)[0].tolist())
    return position[0] if len(position) == 1 else position


def prepare(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None,
    *,
    loss: str,
    nonnegative_labels: bool,
) -> Lists:
    """Validate ``scores`` / ``labels`` / ``mask`` and return them as a :class:`Lists` batch."""
    if not isinstance(scores, torch.Tensor):
        raise RankTypeError(f"scores must be a torch.Tensor, got {type(scores).__name__}")
    if not scores.is_floating_point():
        raise RankTypeError(
            f"scores must be a floating-point tensor (a model's output), got {scores.dtype}"
        )
    if scores.ndim not in (1, 2):
        raise ShapeMismatchError(
            "scores must be 1-D (one list) or 2-D (batch, list length), "
            f"got shape {tuple(scores.shape)}"
        )
    if not isinstance(labels, torch.Tensor):
        raise RankTypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}")
    if labels.is_complex():
        raise RankTypeError(f"labels must hold real numbers, got {labels.dtype}")
    if labels.shape != scores.shape:
        raise ShapeMismatchError(
            f"scores and labels must have the same shape, got {tuple(scores.shape)} "
            f"and {tuple(labels.shape)}"
        )
    device = scores.device
    if mask is None:
        mask = torch.ones(scores.shape, dtype=torch.bool, device=device)
    else:
        if not isinstance(mask, torch.Tensor):
            raise RankTypeError(f"mask must be a torch.Tensor or None, got {type(mask).__name__}")
        if mask.dtype != torch.bool:
            raise RankTypeError(
                f"mask must be a bool tensor (True = real item, False = padding), got {mask.dtype}"
                "; convert it with mask.bool()"
            )
        if mask.shape != scores.shape:
            raise ShapeMismatchError(
                f"scores and mask must have the same shape, got {tuple(scores.shape)} "
                f"and {tuple(mask.shape)}"
            )
        mask = mask.to(device)
    labels = labels.detach().to(device)

    bad = mask & ~torch.isfinite(scores.detach())
    if bool(bad.any()):
        raise NonFiniteInputError(
            f"scores must be finite on real (unmasked) items; found {scores[bad][0].item()} "
            f"at index {_where(bad)}"
        )
    if labels.is_floating_point():
        bad = mask & ~torch.isfinite(labels)
        if bool(bad.any()):
            raise NonFiniteInputError(
                f"labels must be finite on real (unmasked) items; found {labels[bad][0].item()} "
                f"at index {_where(bad)}"
            )
    if nonnegative_labels and labels.dtype != torch.bool:
        bad = mask & (labels < 0)
        if bool(bad.any()):
            raise RankValueError(
                f"{loss} needs labels >= 0 on real items (their gain is 2^label - 1); found "
                f"{labels[bad][0].item()} at index {_where(bad)}. Padding is given by mask, not "
                "by a label value: for allRank-style data padded with -1, pass mask=labels >= 0"
            )

    compute = torch.float32 if scores.dtype in _HALF else scores.dtype
    one_list = scores.ndim == 1
    if one_list:
        scores, labels, mask = scores.unsqueeze(0), labels.unsqueeze(0), mask.unsqueeze(0)
    zero = torch.zeros((), dtype=compute, device=device)
    return Lists(
        scores=torch.where(mask, scores.to(compute), zero),
        labels=torch.where(mask, labels.to(compute), zero),
        mask=mask,
        one_list=one_list,
        dtype=scores.dtype,
    )


def reduce_lists(
    values: torch.Tensor, counted: torch.Tensor, reduction: Reduction, lists: Lists
) -> torch.Tensor:
    """Per-list ``values`` (0 where not ``counted``) reduced: ``mean`` over the counted lists
    (0 when none counts, still attached to the graph), ``sum`` over all, ``none`` as they are
    (a 0-d tensor for a 1-D input)."""
    values = torch.where(counted, values, torch.zeros_like(values))
    if reduction == "mean":
        out = values.sum() / counted.sum().clamp(min=1).to(values.dtype)
    elif reduction == "sum":
        out = values.sum()
    else:
        out = values[0] if lists.one_list else values
    return out.to(lists.dtype)


def exponential_gains(labels: torch.Tensor, loss: str) -> torch.Tensor:
    """``2^label - 1`` (labels validated >= 0; padded entries are 0 and gain 0)."""
    gains = torch.pow(2.0, labels) - 1.0
    if not bool(torch.isfinite(gains).all()):
        top = math.log2(torch.finfo(labels.dtype).max)
        raise RankValueError(
            f"{loss}: a label is too large for the exponential gain 2^label - 1 in "
            f"{labels.dtype} (labels must stay below {top:.0f})"
        )
    return gains


def ideal_dcg(gains: torch.Tensor, k: int | None) -> torch.Tensor:
    """Per list, the DCG@k of the gains sorted descending: ``sum_{r <= k} g_(r) / log2(1 + r)``
    (all positions when ``k`` is None; padded gains are 0 so they never add)."""
    n = gains.shape[-1]
    cut = n if k is None else min(k, n)
    ordered = torch.sort(gains, dim=-1, descending=True).values[:, :cut]
    positions = torch.arange(2, cut + 2, dtype=gains.dtype, device=gains.device)
    return (ordered / torch.log2(positions)).sum(dim=-1)


def score_order(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The order of the items sorted by score descending (``order``, (batch, n) indices): real
    items first, ties broken by index (the earlier item first), padded items last."""
    key = torch.where(mask, scores.detach(), torch.full_like(scores, -math.inf))
    return torch.sort(key, dim=-1, descending=True, stable=True).indices


def check_reduction(reduction: str) -> Reduction:
    """``reduction`` checked against ``"mean"``, ``"sum"``, ``"none"``."""
    return check_choice(reduction, name="reduction", choices=REDUCTIONS)
