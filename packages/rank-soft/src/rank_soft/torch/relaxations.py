"""The other relaxations of sorting and ranking, for comparison (pure torch: autograd gradients).

When to use which (the package README expands on this):

- :func:`rank_soft.torch.soft_rank` / ``soft_sort`` (permutahedron projection): O(n log n) time,
  O(n) memory, exact gradients, hard at ``eps = 0``; the default for any n.
- :func:`pairwise_sigmoid_rank`: O(n^2) time and memory; smooth everywhere (never exactly hard);
  fine for short lists (n <= a few hundred), a common baseline (ApproxNDCG's rank surrogate).
- :func:`neuralsort_permutation`, :func:`softsort_permutation`: relaxed permutation *matrices*
  (row-stochastic, O(n^2) memory), for when the permutation itself is needed (to sort other
  tensors, or a straight-through estimator).
- :func:`sinkhorn_sort` / :func:`sinkhorn_rank`: optimal-transport relaxation (doubly stochastic
  plan, O(n^2 * iterations)); only approximately hard for small ``regularization_strength`` and
  many iterations; used for soft quantiles/CDFs in OT pipelines.
"""

from __future__ import annotations

import numbers

import torch

from rank_core.errors import NonFiniteInputError, RankTypeError, RankValueError
from rank_core.validation import check_choice, check_in_range, check_k
from rank_soft._inputs import DIRECTIONS, Direction, check_dim

__all__ = [
    "neuralsort_permutation",
    "pairwise_sigmoid_rank",
    "sinkhorn_rank",
    "sinkhorn_sort",
    "softsort_permutation",
]


def _positive(value: float, name: str) -> float:
    return check_in_range(value, name=name, low=0.0, low_inclusive=False)


def _iterations(value: int) -> int:
    """At least one Sinkhorn iteration: with none the kernel is not a transport plan at all."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value < 1:
        raise RankValueError(f"iterations must be >= 1, got {value}")
    return check_k(value, name="iterations")


def _check_values(x: torch.Tensor) -> torch.Tensor:
    """``x`` validated (a non-empty real tensor, finite), integers and booleans as float64."""
    if not isinstance(x, torch.Tensor):
        raise RankTypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.is_complex():
        raise RankTypeError(f"x must hold real numbers, got {x.dtype}")
    if x.ndim == 0 or x.numel() == 0:
        raise RankValueError(
            f"x must be a non-empty tensor with at least one dimension, got shape {tuple(x.shape)}"
        )
    if not bool(torch.isfinite(x).all()):
        raise NonFiniteInputError("x must be finite; drop or impute non-finite values first")
    return x if x.is_floating_point() else x.to(torch.float64)


def pairwise_sigmoid_rank(
    x: torch.Tensor,
    temperature: float = 1.0,
    direction: Direction = "ascending",
    *,
    dim: int = -1,
) -> torch.Tensor:
    """``r_i = 1 + sum_{j != i} sigmoid((x_i - x_j) / temperature)`` (ascending; the sign flips
    for descending): ranks on the ``1..n`` scale, tending to the hard ranks as the temperature
    goes to 0 (ties to their average rank). O(n^2) time and memory."""
    x = _check_values(x)
    tau = _positive(temperature, "temperature")
    check_choice(direction, name="direction", choices=DIRECTIONS)
    check_dim(dim, x.ndim)
    moved = x.movedim(dim, -1)
    sign = 1.0 if direction == "ascending" else -1.0
    differences = (moved.unsqueeze(-1) - moved.unsqueeze(-2)) * (sign / tau)
    ranks = torch.sigmoid(differences).sum(dim=-1) + 0.5  # the diagonal contributes 1/2
    return ranks.movedim(-1, dim)


def neuralsort_permutation(
    x: torch.Tensor, temperature: float = 1.0, *, dim: int = -1
) -> torch.Tensor:
    """NeuralSort (Grover et al., ICLR 2019): row-stochastic relaxation ``P`` of the permutation
    sorting ``x`` descending along ``dim``, shape ``(..., n, n)`` with ``P @ x ~ sort_desc(x)``.

    ``P[i, :] = softmax(((n + 1 - 2 i) x - |x - x^T| 1) / temperature)`` for ``i = 1..n``."""
    x = _check_values(x)
    tau = _positive(temperature, "temperature")
    check_dim(dim, x.ndim)
    moved = x.movedim(dim, -1)
    n = moved.shape[-1]
    spread = (moved.unsqueeze(-1) - moved.unsqueeze(-2)).abs().sum(dim=-1)  # |x_j - x_k| summed
    scaling = n + 1 - 2 * torch.arange(1, n + 1, dtype=moved.dtype, device=moved.device)
    logits = scaling.unsqueeze(-1) * moved.unsqueeze(-2) - spread.unsqueeze(-2)
    return torch.softmax(logits / tau, dim=-1)


def softsort_permutation(
    x: torch.Tensor, temperature: float = 1.0, *, dim: int = -1
) -> torch.Tensor:
    """SoftSort (Prillo & Eisenschlos, ICML 2020): ``P[i, :] = softmax(-|sort_desc(x)_i - x| /
    temperature)``, shape ``(..., n, n)``; simpler and usually sharper than NeuralSort."""
    x = _check_values(x)
    tau = _positive(temperature, "temperature")
    check_dim(dim, x.ndim)
    moved = x.movedim(dim, -1)
    ordered = torch.sort(moved, dim=-1, descending=True).values
    return torch.softmax(-(ordered.unsqueeze(-1) - moved.unsqueeze(-2)).abs() / tau, dim=-1)


def _sinkhorn_plan(
    x: torch.Tensor, regularization_strength: float, iterations: int, dim: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """The validated values with ``dim`` moved last, and the entropic OT plan between them
    (squashed to (0, 1) by a sigmoid of their z-scores, as Cuturi et al. advise) and ``n``
    uniform anchors on [0, 1], uniform marginals ``1/n``; log-domain Sinkhorn, so any
    ``regularization_strength`` is stable."""
    x = _check_values(x)
    strength = _positive(regularization_strength, "regularization_strength")
    steps = _iterations(iterations)
    check_dim(dim, x.ndim)
    moved = x.movedim(dim, -1)
    n = moved.shape[-1]
    centred = moved - moved.mean(dim=-1, keepdim=True)
    scale = centred.pow(2).mean(dim=-1, keepdim=True).sqrt()
    squashed = torch.sigmoid(centred / torch.where(scale > 0, scale, torch.ones_like(scale)))
    anchors = torch.linspace(0.0, 1.0, n, dtype=moved.dtype, device=moved.device)
    cost = (squashed.unsqueeze(-1) - anchors).pow(2)
    log_kernel = -cost / strength
    log_marginal = -torch.log(torch.tensor(float(n), dtype=moved.dtype, device=moved.device))
    f = torch.zeros_like(moved)
    g = torch.zeros_like(moved)
    for _ in range(steps):
        f = log_marginal - torch.logsumexp(log_kernel + g.unsqueeze(-2), dim=-1)
        g = log_marginal - torch.logsumexp(log_kernel + f.unsqueeze(-1), dim=-2)
    return moved, torch.exp(log_kernel + f.unsqueeze(-1) + g.unsqueeze(-2))


def sinkhorn_sort(
    x: torch.Tensor,
    regularization_strength: float = 0.01,
    iterations: int = 100,
    *,
    dim: int = -1,
) -> torch.Tensor:
    """Soft ascending sort by optimal transport (Cuturi, Teboul & Vert, NeurIPS 2019):
    ``n * P^T x`` for the Sinkhorn plan ``P`` onto sorted anchors. O(n^2 * iterations)."""
    moved, plan = _sinkhorn_plan(x, regularization_strength, iterations, dim)
    n = moved.shape[-1]
    return (n * (plan.transpose(-1, -2) @ moved.unsqueeze(-1))).squeeze(-1).movedim(-1, dim)


def sinkhorn_rank(
    x: torch.Tensor,
    regularization_strength: float = 0.01,
    iterations: int = 100,
    *,
    dim: int = -1,
) -> torch.Tensor:
    """Soft ascending ranks (``1..n`` scale) by optimal transport: ``n * P @ (1, ..., n)``."""
    moved, plan = _sinkhorn_plan(x, regularization_strength, iterations, dim)
    n = moved.shape[-1]
    positions = torch.arange(1, n + 1, dtype=moved.dtype, device=moved.device)
    return (n * (plan @ positions)).movedim(-1, dim)
