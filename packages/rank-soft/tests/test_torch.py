"""rank_soft.torch (the ``[torch]`` extra): autograd functions, losses and relaxations.

Expected values come from independent computations: the NumPy operators (tested against the
naive oracles in test_soft.py) for the autograd functions' forward, finite differences
(``gradcheck``) for every backward, the oracles of reference.py (average ranks, the paper's
projections, a naive nDCG), ``numpy.quantile`` / ``numpy.median``, closed forms written out in
the tests, and the float32 computation for float16/bfloat16 inputs.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import reference  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import rank_soft  # noqa: E402
import rank_soft.torch as rst  # noqa: E402
from rank_core.errors import (  # noqa: E402
    NonFiniteInputError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.testing import raises_exactly  # noqa: E402

F64 = torch.float64
REGULARIZATIONS = ["l2", "kl"]
DIRECTIONS = ["ascending", "descending"]
# (shape, dim): 1-D, 2-D along either axis, 4-D along an inner axis and along the last one
LAYOUTS = [((7,), -1), ((3, 7), -1), ((3, 7), 0), ((2, 5, 3, 4), 1), ((2, 3, 4, 5), -1)]
HALF_DTYPES = [torch.float16, torch.bfloat16]


def _random(shape: tuple[int, ...], *, seed: int = 0, scale: float = 2.0, dtype=F64):
    """Normal values (continuous, so distinct with probability 1), as a CPU tensor."""
    values = np.random.default_rng(seed).normal(size=shape) * scale
    tensor = torch.from_numpy(values).to(dtype)
    moved = tensor.reshape(-1)
    assert moved.unique().numel() == moved.numel(), "the test wants distinct values"
    return tensor


def _rows(tensor, dim: int) -> list[list[float]]:
    """The lists along ``dim`` as plain Python lists (float64)."""
    moved = tensor.detach().to(F64).movedim(dim, -1)
    return moved.reshape(-1, moved.shape[-1]).tolist()


def _from_rows(rows: list[list[float]], like, dim: int):
    """Plain per-row results back into ``like``'s layout (the operator axis at ``dim``)."""
    moved_shape = like.movedim(dim, -1).shape
    return torch.tensor(rows, dtype=F64).reshape(moved_shape).movedim(-1, dim)


def _pearson(a: list[float], b: list[float]) -> float:
    """Plain Pearson correlation; 0 when either side is constant (no correlation defined)."""
    n = len(a)
    mean_a, mean_b = math.fsum(a) / n, math.fsum(b) / n
    da = [v - mean_a for v in a]
    db = [v - mean_b for v in b]
    norm = math.sqrt(math.fsum(v * v for v in da)) * math.sqrt(math.fsum(v * v for v in db))
    return math.fsum(x * y for x, y in zip(da, db, strict=True)) / norm if norm > 0 else 0.0


def _one_minus_spearman(pred: list[float], target: list[float]) -> float:
    """``1 -`` Spearman's rho: Pearson of the average ranks (ties share the mean position)."""
    ranked = reference.average_ranks(pred, "ascending")
    return 1.0 - _pearson(ranked, reference.average_ranks(target, "ascending"))


# --- forward: the autograd functions compute what the NumPy operators compute ---------------


@pytest.mark.parametrize("name", ["soft_rank", "soft_sort"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("shape", "dim"), LAYOUTS)
@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_forward_equals_numpy(name, dtype, shape, dim, regularization, direction) -> None:
    x = _random(shape, seed=len(shape) + dim, dtype=dtype)
    out = getattr(rst, name)(x, 0.7, regularization, direction, dim=dim)
    expected = getattr(rank_soft, name)(x.numpy(), 0.7, regularization, direction, axis=dim)
    assert out.dtype == dtype and out.shape == x.shape and out.device == x.device
    assert expected.dtype == x.numpy().dtype
    np.testing.assert_array_equal(out.numpy(), expected)
    n = shape[dim]
    if name == "soft_rank":  # every soft rank vector lies in the permutahedron of (1..n)
        total = torch.full(out.sum(dim).shape, n * (n + 1) / 2, dtype=F64)
        torch.testing.assert_close(out.sum(dim).to(F64), total, rtol=1e-5, atol=0)
    elif regularization == "l2":  # and every l2 soft sort in that of x: the sum is kept
        torch.testing.assert_close(out.sum(dim), x.sum(dim), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("shape", "dim"), LAYOUTS)
@pytest.mark.parametrize("k", [0, 2, 9])
def test_topk_mask_forward_equals_numpy(dtype, shape, dim, k) -> None:
    x = _random(shape, seed=3, dtype=dtype)
    out = rst.soft_topk_mask(x, k, 0.6, dim=dim)
    expected = rank_soft.soft_topk_mask(x.numpy(), k, 0.6, axis=dim)
    assert out.dtype == dtype and out.shape == x.shape
    np.testing.assert_array_equal(out.numpy(), expected)
    kept = torch.full(out.sum(dim).shape, float(min(k, shape[dim])), dtype=F64)
    torch.testing.assert_close(out.sum(dim).to(F64), kept, rtol=1e-5, atol=1e-5)
    assert bool(((out >= 0) & (out <= 1)).all())


def test_integer_and_noncontiguous_inputs() -> None:
    ints = torch.tensor([[3, 1, 2, 2], [0, 5, -1, 4]])
    out = rst.soft_rank(ints, 0.5)
    assert out.dtype == F64
    np.testing.assert_array_equal(out.numpy(), rank_soft.soft_rank(ints.numpy(), 0.5))
    base = _random((6, 5), seed=4)
    strided = base.t()[:, ::2]  # transposed and sliced: not contiguous
    assert not strided.is_contiguous()
    out = rst.soft_sort(strided, 0.5, "kl", "descending")
    np.testing.assert_array_equal(
        out.numpy(), rank_soft.soft_sort(strided.numpy(), 0.5, "kl", "descending")
    )


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(-12, 12), min_size=1, max_size=8),
    eps=st.sampled_from([0.1, 1.0, 4.0]),
    regularization=st.sampled_from(REGULARIZATIONS),
    direction=st.sampled_from(DIRECTIONS),
)
def test_forward_matches_the_oracles(values, eps, regularization, direction) -> None:
    x = torch.tensor(values, dtype=F64) / 3  # ties included
    plain = x.tolist()
    ranks = reference.soft_rank(plain, eps, regularization, direction)
    ordered = reference.soft_sort(plain, eps, regularization, direction)
    rank_out = rst.soft_rank(x, eps, regularization, direction)
    sort_out = rst.soft_sort(x, eps, regularization, direction)
    torch.testing.assert_close(rank_out, torch.tensor(ranks, dtype=F64), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(sort_out, torch.tensor(ordered, dtype=F64), rtol=1e-9, atol=1e-9)
    hard = rst.soft_rank(x, 0.0, regularization, direction)
    assert hard.tolist() == reference.average_ranks(plain, direction)


# --- backward: finite differences (gradcheck), float64, distinct values ----------------------


@pytest.mark.parametrize("name", ["soft_rank", "soft_sort"])
@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("dim", [-1, 0])
def test_gradcheck_rank_and_sort(name, regularization, direction, dim) -> None:
    x = _random((3, 6), seed=5 + dim).requires_grad_()
    operator = getattr(rst, name)

    def function(t):
        return operator(t, 0.8, regularization, direction, dim=dim)

    assert torch.autograd.gradcheck(function, (x,))


@pytest.mark.parametrize("k", [1, 3])
def test_gradcheck_topk_mask(k) -> None:
    x = _random((2, 7), seed=6).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: rst.soft_topk_mask(t, k, 0.5), (x,))
    assert torch.autograd.gradcheck(lambda t: rst.soft_topk_mask(t, k, 0.5, dim=0), (x,))


def test_backward_ignores_later_in_place_updates() -> None:
    """An optimizer may update a parameter in place between forward and backward: the VJP
    uses the linearisation saved at the forward, never the (shared) input memory."""
    x = _random((2, 6), seed=27, dtype=torch.float32)
    weights = _random((2, 6), seed=28, dtype=torch.float32)
    expected = rank_soft.SoftRank(x.numpy().copy(), 0.5).vjp(weights.numpy())
    leaf = x.clone().requires_grad_()
    out = rst.soft_rank(leaf, 0.5)
    with torch.no_grad():
        leaf.mul_(-3.0).add_(1.0)
    (out * weights).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), expected)


def test_backward_is_first_order_only() -> None:
    x = _random((5,), seed=7).requires_grad_()
    (grad,) = torch.autograd.grad((rst.soft_rank(x, 0.5) ** 2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        grad.sum().backward()


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_gradcheck_spearman_loss(regularization) -> None:
    pred = _random((3, 6), seed=8).requires_grad_()
    target = _random((3, 6), seed=9)
    for reduction in ("mean", "sum", "none"):
        assert torch.autograd.gradcheck(
            lambda p, r=reduction: rst.spearman_loss(p, target, 0.7, regularization, reduction=r),
            (pred,),
        )
    assert torch.autograd.gradcheck(
        lambda p: rst.spearman_loss(p, target, 0.7, regularization, dim=0), (pred,)
    )


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_gradcheck_quantile_and_median(regularization) -> None:
    x = _random((3, 7), seed=10).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda t: rst.soft_quantile(t, [0.1, 0.5, 0.85], 0.6, regularization), (x,)
    )
    assert torch.autograd.gradcheck(
        lambda t: rst.soft_quantile(t, 0.3, 0.6, regularization, dim=0), (x,)
    )
    assert torch.autograd.gradcheck(lambda t: rst.soft_median(t, 0.6, regularization), (x,))


@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("gain", ["exponential", "linear"])
@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_gradcheck_soft_ndcg(k, gain, regularization) -> None:
    scores = _random((3, 7), seed=11).requires_grad_()
    relevance = torch.tensor([[3, 0, 1, 2, 0, 0, 1], [0, 0, 0, 1, 0, 2, 0], [1, 1, 4, 0, 2, 3, 0]])
    assert torch.autograd.gradcheck(
        lambda s: rst.soft_ndcg(s, relevance, 0.7, regularization, k=k, gain=gain), (scores,)
    )


# --- float16 / bfloat16: computed in float32, returned in their own dtype ---------------------


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("n", [50, 4096])
@pytest.mark.parametrize("eps", [1e-3, 0.5])
@pytest.mark.parametrize("name", ["soft_rank", "soft_sort", "soft_topk_mask"])
def test_half_precision(dtype, n, eps, name) -> None:
    """float32 inside: the output is the float32 result rounded once to ``dtype`` (within half
    an ulp of it), even for n > 2048, past which float16 no longer holds every integer rank and
    its rank sums overflow (where torchsort breaks); the gradient comes back in ``dtype``, the
    float32 gradient rounded once."""
    generator = torch.Generator().manual_seed(n)
    x = (torch.randn(3, n, generator=generator, dtype=torch.float32) * 3).to(dtype)
    cotangent = torch.randn(3, n, generator=generator, dtype=torch.float32).to(dtype)

    def call(t):
        if name == "soft_topk_mask":
            return rst.soft_topk_mask(t, 10, eps)
        return getattr(rst, name)(t, eps)

    leaf = x.clone().requires_grad_()
    out = call(leaf)
    assert out.dtype == dtype and bool(torch.isfinite(out).all())
    (out * cotangent).sum().backward()
    assert leaf.grad is not None and leaf.grad.dtype == dtype
    assert bool(torch.isfinite(leaf.grad).all())

    leaf32 = x.to(torch.float32).requires_grad_()  # exactly the same values, in float32
    out32 = call(leaf32)
    (out32 * cotangent.to(torch.float32)).sum().backward()
    precision = torch.finfo(dtype).eps
    subnormal_spacing = torch.finfo(dtype).tiny * precision  # the rounding error below tiny
    for got, want in ((out, out32.detach()), (leaf.grad, leaf32.grad)):
        torch.testing.assert_close(
            got.to(torch.float32), want, rtol=precision, atol=subnormal_spacing
        )
    if name == "soft_rank" and eps == 1e-3:  # near-hard: ranks up to n, past 2048 for n = 4096
        assert float(out.detach().max()) > 0.99 * n


def _check_half_loss(loss, loss32, leaf, leaf32, dtype) -> None:
    """``loss`` (from ``dtype`` inputs) is the float32 ``loss32`` (from the same values in
    float32) rounded once, and so is its gradient, which comes back in ``dtype``."""
    assert loss.dtype == dtype and bool(torch.isfinite(loss).all())
    precision = torch.finfo(dtype).eps
    torch.testing.assert_close(loss.to(torch.float32), loss32.detach(), rtol=precision, atol=0)
    loss.sum().backward()
    loss32.sum().backward()
    assert leaf.grad.dtype == dtype and bool(torch.isfinite(leaf.grad).all())
    assert float(leaf32.grad.abs().max()) > 0
    subnormal_spacing = torch.finfo(dtype).tiny * precision  # the rounding error below tiny
    torch.testing.assert_close(
        leaf.grad.to(torch.float32), leaf32.grad, rtol=precision, atol=subnormal_spacing
    )


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize("n", [200, 4096])
def test_half_precision_spearman_loss(dtype, n) -> None:
    """Near-hard ranks (small epsilon) make the sums of squared centred ranks ~n^3/12, far past
    float16's 65504, and the targets' ranks pass 2048 (256 for bfloat16): the loss must still
    be the float32 one, rounded."""
    generator = torch.Generator().manual_seed(1)
    target = torch.randn(2, n, generator=generator).to(dtype)
    x = (target.float() + 0.5 * torch.randn(2, n, generator=generator)).to(dtype) * 10
    leaf, leaf32 = x.clone().requires_grad_(), x.float().requires_grad_()
    loss = rst.spearman_loss(leaf, target, 0.01, reduction="none")
    loss32 = rst.spearman_loss(leaf32, target.float(), 0.01, reduction="none")
    assert 0.05 < float(loss32.detach().max()) < 0.5  # a real correlation, not a degenerate 0 or 1
    _check_half_loss(loss, loss32, leaf, leaf32, dtype)


@pytest.mark.parametrize("dtype", HALF_DTYPES)
@pytest.mark.parametrize(("n", "top_label", "k"), [(300, 16, None), (300, 16, 10), (4096, 4, None)])
def test_half_precision_soft_ndcg(dtype, n, top_label, k) -> None:
    """Exponential gains reach 2^16 - 1 (past float16's 65504) and ranks pass 2048: float32
    inside, the float32 nDCG rounded outside."""
    generator = torch.Generator().manual_seed(2)
    scores = torch.randn(2, n, generator=generator).to(dtype)
    relevance = torch.randint(0, top_label + 1, (2, n), generator=generator)
    leaf, leaf32 = scores.clone().requires_grad_(), scores.float().requires_grad_()
    value = rst.soft_ndcg(leaf, relevance, 0.1, k=k)
    value32 = rst.soft_ndcg(leaf32, relevance, 0.1, k=k)
    assert bool((value32 > 0).all())
    _check_half_loss(value, value32, leaf, leaf32, dtype)


@pytest.mark.parametrize("name", ["soft_rank", "soft_sort"])
@pytest.mark.parametrize("eps", [1.0, 1e3])
@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_large_float32_values_stay_finite(name, eps, regularization) -> None:
    """|x| ~ 1e4 in float32 (exp(x / eps) overflows; torchsort's "kl" returns NaN): finite
    forward and backward, and the forward equals the float64 oracle on the same values."""
    x = (_random((4, 40), seed=12, scale=1e4)).to(torch.float32).requires_grad_()
    out = getattr(rst, name)(x, eps, regularization)
    assert bool(torch.isfinite(out).all())
    oracle = getattr(reference, name)
    expected = [oracle(row, eps, regularization, "ascending") for row in _rows(x, -1)]
    torch.testing.assert_close(out.to(F64), torch.tensor(expected, dtype=F64), rtol=1e-5, atol=1e-4)
    (out * _random((4, 40), seed=13).to(torch.float32)).sum().backward()
    assert bool(torch.isfinite(x.grad).all())


# --- losses ------------------------------------------------------------------------------------


def _tied_pairs():
    """Predictions and targets with ties, a constant target row, a constant prediction row."""
    rng = np.random.default_rng(14)
    pred = rng.integers(0, 5, size=(5, 9)).astype(np.float64)
    target = rng.integers(0, 4, size=(5, 9)).astype(np.float64)
    target[1] = 2.0
    pred[2] = -1.0
    return torch.from_numpy(pred), torch.from_numpy(target)


@pytest.mark.parametrize("eps", [0.0, 1e-6])
@pytest.mark.parametrize("dim", [-1, 0])
def test_spearman_loss_is_one_minus_spearmans_rho(eps, dim) -> None:
    """eps = 0 is the hard rank, exactly; at eps = 1e-6 every gap (>= 1) is a million times
    eps, so the soft ranks are the hard ones but for rounding: x / eps - dual loses about
    ulp(4e6) ~ 1e-9, hence the tolerance."""
    tolerance = 1e-12 if eps == 0 else 1e-8
    pred, target = _tied_pairs()
    if dim == 0:
        pred, target = pred.t(), target.t()
    expected = [
        _one_minus_spearman(p, t) for p, t in zip(_rows(pred, dim), _rows(target, dim), strict=True)
    ]
    per_row = rst.spearman_loss(pred, target, eps, dim=dim, reduction="none")
    torch.testing.assert_close(per_row, torch.tensor(expected, dtype=F64), rtol=0, atol=tolerance)
    assert expected[1] == 1.0 and expected[2] == 1.0  # the constant rows
    mean = rst.spearman_loss(pred, target, eps, dim=dim)
    total = rst.spearman_loss(pred, target, eps, dim=dim, reduction="sum")
    assert mean.shape == () and total.shape == ()
    assert math.isclose(float(mean), math.fsum(expected) / len(expected), abs_tol=tolerance)
    assert math.isclose(float(total), math.fsum(expected), abs_tol=len(expected) * tolerance)


def test_spearman_loss_against_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    pred, target = _tied_pairs()
    for p, t in zip(pred[[0, 3, 4]], target[[0, 3, 4]], strict=True):
        rho = stats.spearmanr(p.numpy(), t.numpy()).statistic
        assert math.isclose(float(rst.spearman_loss(p, t, 0.0)), 1.0 - rho, abs_tol=1e-12)


def test_spearman_loss_of_constant_rows_is_one_with_zero_gradient() -> None:
    pred = torch.tensor([[2.0, 2.0, 2.0, 2.0], [1.0, 3.0, 2.0, 0.0], [0.5, 0.1, 0.3, 0.2]])
    target = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0], [1.0, 2.0, 3.0, 4.0]])
    leaf = pred.clone().requires_grad_()
    loss = rst.spearman_loss(leaf, target, 0.5, reduction="none")
    assert loss[:2].tolist() == [1.0, 1.0]
    loss.sum().backward()
    assert bool(torch.isfinite(leaf.grad).all())
    assert leaf.grad[:2].abs().max() == 0
    single = rst.spearman_loss(torch.tensor([[3.0], [1.0]]), torch.tensor([[1.0], [2.0]]))
    assert float(single) == 1.0  # n = 1: nothing to correlate


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize(("shape", "dim"), [((8,), -1), ((3, 8), -1), ((8, 3), 0)])
def test_spearman_loss_agrees_with_the_numpy_compat_api(regularization, shape, dim) -> None:
    pred = _random(shape, seed=15).requires_grad_()
    target = _random(shape, seed=16)
    loss = rst.spearman_loss(pred, target, 0.5, regularization, dim=dim, reduction="none")
    expected = rank_soft.spearman_loss(
        pred.detach().numpy(), target.numpy(), 0.5, regularization, axis=dim
    )
    np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    loss.sum().backward()
    gradient = rank_soft.spearman_loss_gradient(
        pred.detach().numpy(), target.numpy(), None, None, 0.5, regularization, axis=dim
    )
    np.testing.assert_allclose(pred.grad.numpy(), gradient, rtol=1e-9, atol=1e-12)


QUANTILES = [0.0, 0.1, 0.25, 0.5, 0.73, 1.0]


@pytest.mark.parametrize(("shape", "dim"), [((9,), -1), ((4, 8), -1), ((4, 7), 0), ((3, 6, 2), 1)])
def test_soft_quantile_at_zero_is_numpy_quantile(shape, dim) -> None:
    x = _random(shape, seed=17)
    x.view(-1)[:3] = x.view(-1)[3]  # some ties
    values = x.numpy()
    for q in QUANTILES:
        out = rst.soft_quantile(x, q, 0.0, dim=dim)
        expected = np.quantile(values, q, axis=dim)  # "linear" is numpy's default method
        assert out.shape == expected.shape  # a float q removes dim
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    for levels in (QUANTILES, tuple(QUANTILES), [0.5]):
        out = rst.soft_quantile(x, levels, 0.0, dim=dim)
        expected = np.moveaxis(np.quantile(values, list(levels), axis=dim), 0, dim)
        assert out.shape == expected.shape  # a sequence puts len(q) in dim's place
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)
    median = rst.soft_median(x, 0.0, dim=dim)
    np.testing.assert_allclose(median.numpy(), np.median(values, axis=dim), rtol=1e-12, atol=1e-12)


def test_soft_median_tends_to_the_mean_for_large_epsilon() -> None:
    """l2: as eps -> inf every soft order statistic tends to the mean (error ~ n / eps)."""
    x = _random((3, 8), seed=18)
    torch.testing.assert_close(rst.soft_median(x, 1e9), x.mean(-1), rtol=0, atol=1e-6)
    torch.testing.assert_close(rst.soft_quantile(x, 0.9, 1e9), x.mean(-1), rtol=0, atol=1e-6)


def _ndcg_inputs():
    """Scores with ties (some across every cutoff), graded relevance with trec_eval's -1 labels,
    a row with no relevant doc."""
    rng = np.random.default_rng(19)
    scores = rng.integers(0, 4, size=(6, 8)).astype(np.float64)
    relevance = rng.integers(-1, 4, size=(6, 8))
    relevance[2] = 0
    scores[4] = 1.0  # one row all tied
    return torch.from_numpy(scores), torch.from_numpy(relevance)


@pytest.mark.parametrize("gain", ["exponential", "linear"])
@pytest.mark.parametrize("k", [None, 0, 1, 3, 5, 8, 50])
@pytest.mark.parametrize("dim", [-1, 0])
def test_soft_ndcg_at_zero_is_the_hard_ndcg(gain, k, dim) -> None:
    scores, relevance = _ndcg_inputs()
    if dim == 0:
        scores, relevance = scores.t(), relevance.t()
    expected = [
        reference.ndcg(s, r, k, gain)
        for s, r in zip(_rows(scores, dim), _rows(relevance, dim), strict=True)
    ]
    assert expected[2] == 0.0
    out = rst.soft_ndcg(scores, relevance, 0.0, k=k, gain=gain, dim=dim)
    torch.testing.assert_close(out, torch.tensor(expected, dtype=F64), rtol=1e-12, atol=1e-12)
    mean = rst.soft_ndcg(scores, relevance, 0.0, k=k, gain=gain, dim=dim, reduction="mean")
    assert math.isclose(
        float(mean), math.fsum(expected) / len(expected), rel_tol=1e-12, abs_tol=1e-15
    )
    total = rst.soft_ndcg(scores, relevance, 0.0, k=k, gain=gain, dim=dim, reduction="sum")
    assert math.isclose(float(total), math.fsum(expected), rel_tol=1e-12, abs_tol=1e-15)


def test_ndcg_oracle_on_textbook_cases() -> None:
    """The oracle itself, by hand: distinct scores are the usual nDCG (Jarvelin & Kekalainen)."""
    assert reference.ndcg([3.0, 2.0, 1.0], [1, 0, 0], None, "linear") == 1.0
    assert math.isclose(reference.ndcg([1.0, 2.0, 3.0], [1, 0, 0], None, "linear"), 0.5)
    assert math.isclose(
        reference.ndcg([1.0, 3.0, 2.0], [2, 1, 0], 2, "exponential"),
        (1 / 1 + 0 / math.log2(3)) / (3 / 1 + 1 / math.log2(3)),  # the gain-3 doc is 3rd
    )
    # a -1 label gains 0 (trec_eval), it does not subtract
    assert math.isclose(reference.ndcg([2.0, 1.0], [-1, 1], None, "linear"), 1 / math.log2(3))
    # a tie across the cutoff: both documents at rank 1.5, each with half of the one slot
    assert math.isclose(reference.ndcg([1.0, 1.0], [1, 0], 1, "linear"), 0.5 / math.log2(2.5))


@pytest.mark.parametrize("eps", [0.0, 1.0])
@pytest.mark.parametrize("k", [None, 2])
def test_soft_ndcg_without_relevant_documents_is_zero(eps, k) -> None:
    scores = _random((3, 5), seed=20).requires_grad_()
    relevance = torch.tensor([[0, 0, 0, 0, 0], [1, 2, 1, 1, 3], [0, 0, 0, 0, 0]])
    out = rst.soft_ndcg(scores, relevance, eps, k=k)
    assert out[0] == 0 and out[2] == 0 and out[1] > 0
    out.sum().backward()
    assert bool(torch.isfinite(scores.grad).all())
    assert scores.grad[0].abs().max() == 0 and scores.grad[2].abs().max() == 0


@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_soft_ndcg_grows_as_the_order_improves(k, regularization) -> None:
    """Bubble-sort the scores towards the relevance order, one inversion at a time: each swap
    exchanges two documents' soft ranks (the operator is permutation-equivariant), which cannot
    lower the DCG; from worst to best it strictly grows."""
    relevance = torch.tensor([0, 1, 2, 3, 4, 5])
    values = [0.0, 0.4, 1.1, 1.5, 2.6, 3.0]
    order = list(range(6))  # documents from the highest score down: the least relevant first
    seen = []
    while True:
        scores = torch.tensor([values[5 - order.index(i)] for i in range(6)], dtype=F64)
        seen.append(float(rst.soft_ndcg(scores, relevance, 1.0, regularization, k=k)))
        swap = next((i for i in range(5) if order[i] < order[i + 1]), None)
        if swap is None:
            break
        order[swap], order[swap + 1] = order[swap + 1], order[swap]
    assert len(seen) == 16  # 15 inversions fixed one by one
    assert all(later >= earlier - 1e-12 for earlier, later in itertools.pairwise(seen))
    assert seen[-1] > seen[0] + 0.1


@settings(max_examples=30, deadline=None)
@given(
    scores=st.lists(st.integers(-6, 6), min_size=1, max_size=9),
    data=st.data(),
    eps=st.sampled_from([0.0, 0.3, 1.0, 10.0]),
    regularization=st.sampled_from(REGULARIZATIONS),
)
def test_soft_ndcg_is_in_unit_interval(scores, data, eps, regularization) -> None:
    """Soft ranks lie in the permutahedron and sum_i g_i / log2(1 + r_i) is convex in r: its
    maximum is at a vertex, a permutation, whose DCG is at most the ideal one."""
    relevance = data.draw(st.lists(st.integers(0, 4), min_size=len(scores), max_size=len(scores)))
    x = torch.tensor(scores, dtype=F64) / 2
    value = float(rst.soft_ndcg(x, torch.tensor(relevance), eps, regularization))
    assert 0.0 <= value <= 1.0 + 1e-12


# --- relaxations ------------------------------------------------------------------------------


def _sigmoid(value: float) -> float:
    return (
        1.0 / (1.0 + math.exp(-value)) if value >= 0 else math.exp(value) / (1.0 + math.exp(value))
    )


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(("shape", "dim"), [((6,), -1), ((3, 6), -1), ((6, 2, 3), 0)])
def test_pairwise_sigmoid_rank_formula(direction, shape, dim) -> None:
    x = _random(shape, seed=21)
    sign = 1.0 if direction == "ascending" else -1.0
    expected = [
        [0.5 + math.fsum(_sigmoid(sign * (xi - xj) / 0.7) for xj in row) for xi in row]
        for row in _rows(x, dim)
    ]
    out = rst.pairwise_sigmoid_rank(x, 0.7, direction, dim=dim)
    assert out.shape == x.shape
    torch.testing.assert_close(out, _from_rows(expected, x, dim), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_pairwise_sigmoid_rank_tends_to_the_average_ranks(direction) -> None:
    """Gaps >= 0.5 at temperature 1e-3: each off-tie sigmoid is within e^-500 of 0 or 1, each
    tie contributes exactly 1/2 (its average rank)."""
    values = [0.5, 2.0, -1.0, 2.0, 3.5, 0.5, 0.5]
    out = rst.pairwise_sigmoid_rank(torch.tensor(values, dtype=F64), 1e-3, direction)
    assert out.tolist() == pytest.approx(reference.average_ranks(values, direction), abs=1e-12)


def _hard_descending_permutation(row: list[float]) -> list[list[float]]:
    order = sorted(range(len(row)), key=lambda i: -row[i])
    return [[1.0 if j == order[i] else 0.0 for j in range(len(row))] for i in range(len(row))]


@pytest.mark.parametrize("name", ["neuralsort_permutation", "softsort_permutation"])
@pytest.mark.parametrize(("shape", "dim"), [((6,), -1), ((3, 6), -1), ((2, 6, 3), 1)])
def test_relaxed_permutations(name, shape, dim) -> None:
    x = _random(shape, seed=22)
    n = shape[dim]
    operator = getattr(rst, name)
    soft = operator(x, 1.0, dim=dim)
    batch = x.movedim(dim, -1).shape[:-1]
    assert soft.shape == (*batch, n, n)
    assert bool((soft >= 0).all())
    torch.testing.assert_close(soft.sum(-1), torch.ones((*batch, n), dtype=F64))  # row-stochastic
    # temperature -> 0: the hard permutation sorting descending (the values' gaps are >= 0.05,
    # NeuralSort's logits then differ by >= 0.05 / 1e-4 = 500 between its best and second column)
    hard = operator(x, 1e-4, dim=dim)
    rows = _rows(x, dim)
    assert min(b - a for row in rows for a, b in itertools.pairwise(sorted(row))) >= 0.05
    expected = torch.tensor([_hard_descending_permutation(row) for row in rows], dtype=F64)
    torch.testing.assert_close(hard.reshape(-1, n, n), expected, rtol=0, atol=1e-9)
    sorted_rows = torch.tensor([sorted(row, reverse=True) for row in rows], dtype=F64)
    moved = x.movedim(dim, -1).reshape(-1, n, 1)
    torch.testing.assert_close(
        (hard.reshape(-1, n, n) @ moved).squeeze(-1), sorted_rows, atol=1e-9, rtol=0
    )


SINKHORN_X = [0.3, -1.2, 2.5, 0.9, -0.4, 1.6]


def test_sinkhorn_tends_to_the_hard_sort_and_rank() -> None:
    """Tolerance: the values, squashed by a sigmoid of their z-scores, sit >= 0.11 apart, so
    exchanging two neighbours' anchors (1/5 apart) costs >= 2 * 0.11 / 5 = 0.045 and at
    epsilon 1e-3 the entropic bias e^(-45) is nil; what is left is Sinkhorn's unconverged
    marginals, which shrink like 1/iterations at small epsilon (about 5/iterations rank units
    here). 1000 iterations: within 0.02 of the hard ranks, which rounding then recovers."""
    x = torch.tensor(SINKHORN_X, dtype=F64)
    n = len(SINKHORN_X)
    ranks = torch.tensor(reference.average_ranks(SINKHORN_X, "ascending"), dtype=F64)
    ordered = torch.tensor(sorted(SINKHORN_X), dtype=F64)
    z = (x - x.mean()) / x.std(unbiased=False)
    squashed = torch.sigmoid(z).sort().values
    assert float((squashed[1:] - squashed[:-1]).min()) >= 0.11
    errors = []
    for iterations in (100, 1000):
        soft_ranks = rst.sinkhorn_rank(x, 1e-3, iterations)
        errors.append(float((soft_ranks - ranks).abs().max()))
        assert math.isclose(float(soft_ranks.sum()), n * (n + 1) / 2, rel_tol=1e-12)
    assert errors[1] < errors[0] / 3  # converging
    assert errors[1] < 0.02
    assert torch.equal(rst.sinkhorn_rank(x, 1e-3, 1000).round(), ranks)
    soft_sorted = rst.sinkhorn_sort(x, 1e-3, 1000)
    torch.testing.assert_close(soft_sorted, ordered, rtol=0, atol=0.02 * float(x.max() - x.min()))


@pytest.mark.parametrize(("shape", "dim"), [((3, 6), -1), ((6, 2), 0)])
def test_sinkhorn_rank_sums_and_layout(shape, dim) -> None:
    """Whatever epsilon and iteration count: the last Sinkhorn step makes every anchor column
    carry 1/n, so the ranks sum to n(n + 1)/2; rows are independent of their layout."""
    x = _random(shape, seed=23)
    n = shape[dim]
    for eps, iterations in [(0.5, 1), (0.05, 7), (0.01, 100)]:
        ranks = rst.sinkhorn_rank(x, eps, iterations, dim=dim)
        assert ranks.shape == x.shape
        sums = torch.full(ranks.sum(dim).shape, n * (n + 1) / 2, dtype=F64)
        torch.testing.assert_close(ranks.sum(dim), sums, rtol=1e-12, atol=0)
        ordered = rst.sinkhorn_sort(x, eps, iterations, dim=dim)
        assert ordered.shape == x.shape
        for row, (rank_row, sort_row) in enumerate(
            zip(_rows(ranks, dim), _rows(ordered, dim), strict=True)
        ):
            single = torch.tensor(_rows(x, dim)[row], dtype=F64)
            torch.testing.assert_close(
                rst.sinkhorn_rank(single, eps, iterations), torch.tensor(rank_row, dtype=F64)
            )
            torch.testing.assert_close(
                rst.sinkhorn_sort(single, eps, iterations), torch.tensor(sort_row, dtype=F64)
            )


RELAXATIONS = {
    "pairwise_sigmoid_rank": lambda t: rst.pairwise_sigmoid_rank(t, 0.5),
    "neuralsort_permutation": lambda t: rst.neuralsort_permutation(t, 0.5),
    "softsort_permutation": lambda t: rst.softsort_permutation(t, 0.5),
    "sinkhorn_sort": lambda t: rst.sinkhorn_sort(t, 0.05, 30),
    "sinkhorn_rank": lambda t: rst.sinkhorn_rank(t, 0.05, 30),
}


@pytest.mark.parametrize("name", sorted(RELAXATIONS))
def test_relaxations_have_gradients(name) -> None:
    x = _random((2, 6), seed=24).requires_grad_()
    out = RELAXATIONS[name](x)
    weights = _random(out.shape, seed=25)
    (out * weights).sum().backward()
    assert x.grad is not None and bool(torch.isfinite(x.grad).all())
    assert float(x.grad.abs().max()) > 0
    assert torch.autograd.gradcheck(RELAXATIONS[name], (x.detach().requires_grad_(),))


@pytest.mark.parametrize("name", sorted(RELAXATIONS))
def test_relaxations_take_integers_as_float64(name) -> None:
    ints = torch.tensor([[3, 1, 2, 5], [0, -2, 4, 1]])
    out = RELAXATIONS[name](ints)
    assert out.dtype == F64
    torch.testing.assert_close(out, RELAXATIONS[name](ints.to(F64)), rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(RELAXATIONS))
def test_relaxations_reject_bad_inputs(name) -> None:
    call = RELAXATIONS[name]
    with raises_exactly(NonFiniteInputError, ValueError, match="must be finite"):
        call(torch.tensor([1.0, float("nan"), 2.0]))
    with raises_exactly(NonFiniteInputError, ValueError, match="must be finite"):
        call(torch.tensor([[1.0, 2.0], [float("inf"), 0.0]]))
    with raises_exactly(RankValueError, ValueError, match="non-empty"):
        call(torch.empty(0))
    with raises_exactly(RankValueError, ValueError, match="non-empty"):
        call(torch.empty(3, 0))
    with raises_exactly(RankValueError, ValueError, match="at least one dimension"):
        call(torch.tensor(1.0))
    with raises_exactly(RankTypeError, TypeError, match="must be a torch.Tensor"):
        call([1.0, 2.0])
    with raises_exactly(RankTypeError, TypeError, match="real numbers"):
        call(torch.tensor([1.0 + 1j, 2.0]))


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_relaxations_reject_non_positive_knobs(bad) -> None:
    x = torch.tensor([1.0, 3.0, 2.0])
    for name in ("pairwise_sigmoid_rank", "neuralsort_permutation", "softsort_permutation"):
        with raises_exactly(RankValueError, ValueError, match=r"temperature must be in \(0"):
            getattr(rst, name)(x, bad)
    for name in ("sinkhorn_sort", "sinkhorn_rank"):
        with raises_exactly(
            RankValueError, ValueError, match=r"regularization_strength must be in \(0"
        ):
            getattr(rst, name)(x, bad)


def test_relaxations_reject_bad_options() -> None:
    x = torch.tensor([1.0, 3.0, 2.0])
    with raises_exactly(NonFiniteInputError, ValueError, match="temperature must be finite"):
        rst.pairwise_sigmoid_rank(x, float("nan"))
    with raises_exactly(RankTypeError, TypeError, match="temperature must be a real number"):
        rst.softsort_permutation(x, "1")
    with raises_exactly(RankValueError, ValueError, match="direction must be one of"):
        rst.pairwise_sigmoid_rank(x, 1.0, "up")
    for name in ("sinkhorn_sort", "sinkhorn_rank"):
        with raises_exactly(RankValueError, ValueError, match="iterations must be >= 1, got 0"):
            getattr(rst, name)(x, 0.1, 0)
        with raises_exactly(RankValueError, ValueError, match="iterations must be >= 1, got -3"):
            getattr(rst, name)(x, 0.1, -3)
        with raises_exactly(
            RankTypeError, TypeError, match="iterations must be a non-negative int"
        ):
            getattr(rst, name)(x, 0.1, 2.5)


# --- bad inputs of the autograd functions and losses -------------------------------------------

OPERATOR_CALLS = {
    "soft_rank": lambda t, **kw: rst.soft_rank(t, 1.0, **kw),
    "soft_sort": lambda t, **kw: rst.soft_sort(t, 1.0, **kw),
    "soft_topk_mask": lambda t, **kw: rst.soft_topk_mask(t, 2, 1.0, **kw),
}


@pytest.mark.parametrize("name", sorted(OPERATOR_CALLS))
def test_operators_reject_bad_inputs(name) -> None:
    call = OPERATOR_CALLS[name]
    for not_a_tensor in ([1.0, 2.0], np.array([1.0, 2.0]), 3.0):
        with raises_exactly(RankTypeError, TypeError, match="x must be a torch.Tensor"):
            call(not_a_tensor)
    with raises_exactly(RankTypeError, TypeError, match="must hold real numbers"):
        call(torch.tensor([1.0 + 2j, 0.5]))
    with raises_exactly(
        NonFiniteInputError, ValueError, match=re.escape("must be finite, found nan")
    ):
        call(torch.tensor([[1.0, 2.0], [float("nan"), 0.0]]))
    with raises_exactly(NonFiniteInputError, ValueError, match="must be finite"):
        call(torch.tensor([1.0, float("-inf")], requires_grad=True))
    with raises_exactly(RankValueError, ValueError, match="is empty"):
        call(torch.empty(2, 0))
    with raises_exactly(RankValueError, ValueError, match="at least one dimension"):
        call(torch.tensor(1.0))
    with raises_exactly(RankValueError, ValueError, match="out of range"):
        call(torch.ones(2, 3), dim=2)


def test_operators_reject_bad_options() -> None:
    x = torch.tensor([1.0, 3.0, 2.0])
    with raises_exactly(RankValueError, ValueError, match="regularization_strength must be in"):
        rst.soft_rank(x, -0.5)
    with raises_exactly(
        NonFiniteInputError, ValueError, match="regularization_strength must be finite"
    ):
        rst.soft_sort(x, float("inf"))
    with raises_exactly(RankValueError, ValueError, match="regularization must be one of"):
        rst.soft_rank(x, 1.0, "l1")
    with raises_exactly(RankValueError, ValueError, match="direction must be one of"):
        rst.soft_sort(x, 1.0, "l2", "up")
    with raises_exactly(RankValueError, ValueError, match="k must be >= 0"):
        rst.soft_topk_mask(x, -1)
    with raises_exactly(RankTypeError, TypeError, match="k must be a non-negative int"):
        rst.soft_topk_mask(x, 1.5)
    with raises_exactly(RankTypeError, TypeError, match="dim must be an int"):
        rst.soft_rank(x, 1.0, dim=0.0)
    for function in (rst.soft_rank, rst.soft_sort):
        with raises_exactly(RankValueError, ValueError, match="dim 1 is out of range .* 1 dim"):
            function(x, 1.0, dim=1)
    with raises_exactly(RankValueError, ValueError, match="dim -3 is out of range .* 2 dim"):
        rst.soft_topk_mask(x.reshape(1, 3), 1, dim=-3)
    for relaxation in (rst.pairwise_sigmoid_rank, rst.softsort_permutation, rst.sinkhorn_rank):
        with raises_exactly(RankValueError, ValueError, match="dim 2 is out of range"):
            relaxation(x, dim=2)


def test_losses_reject_bad_inputs() -> None:
    a, b = torch.rand(2, 5), torch.rand(2, 4)
    with raises_exactly(
        ShapeMismatchError, ValueError, match="pred and target must have the same shape"
    ):
        rst.spearman_loss(a, b)
    with raises_exactly(
        ShapeMismatchError, ValueError, match="scores and relevance must have the same shape"
    ):
        rst.soft_ndcg(a, torch.ones(5))
    with raises_exactly(RankTypeError, TypeError, match="target must be a torch.Tensor"):
        rst.spearman_loss(a, a.numpy())
    with raises_exactly(RankTypeError, TypeError, match="scores must be a torch.Tensor"):
        rst.soft_ndcg([[1.0, 2.0]], torch.ones(1, 2))
    with raises_exactly(NonFiniteInputError, ValueError, match="must be finite"):
        rst.spearman_loss(torch.tensor([1.0, float("nan")]), torch.tensor([1.0, 2.0]))
    with raises_exactly(NonFiniteInputError, ValueError, match="must be finite"):
        rst.spearman_loss(torch.tensor([1.0, 2.0]), torch.tensor([1.0, float("nan")]))
    with raises_exactly(RankValueError, ValueError, match="reduction must be one of"):
        rst.spearman_loss(a, a, reduction="avg")
    with raises_exactly(RankValueError, ValueError, match="gain must be one of"):
        rst.soft_ndcg(a, a, gain="log")
    with raises_exactly(RankValueError, ValueError, match="k must be >= 0"):
        rst.soft_ndcg(a, a, k=-2)
    for q in (1.5, [0.5, -0.1]):
        with raises_exactly(RankValueError, ValueError, match=r"q must be in \[0.0, 1.0\]"):
            rst.soft_quantile(a, q)
    with raises_exactly(RankTypeError, TypeError, match="x must be a torch.Tensor"):
        rst.soft_median([1.0, 2.0])


# --- training use ------------------------------------------------------------------------------


def test_training_a_linear_scorer_with_spearman_loss() -> None:
    """A linear model, float32, a few SGD steps through spearman_loss: the loss falls and the
    learned direction is the one that generated the targets."""
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(16, 20, 5, generator=generator)  # 16 lists of 20 documents
    true_weight = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0])
    target = features @ true_weight + 0.3 * torch.randn(16, 20, generator=generator)
    model = torch.nn.Linear(5, 1)
    with torch.no_grad():
        model.weight.copy_(torch.randn(1, 5, generator=generator))
        model.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = rst.spearman_loss(model(features).squeeze(-1), target, 0.1)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] > 0.5
    assert losses[-1] < 0.1 * losses[0]
    learned = model.weight.detach()[0]
    assert float(torch.nn.functional.cosine_similarity(learned, true_weight, dim=0)) > 0.95


def test_training_with_soft_ndcg_and_topk() -> None:
    """1 - soft nDCG@5 as a loss, through a two-layer network: nDCG@5 rises."""
    generator = torch.Generator().manual_seed(1)
    features = torch.randn(8, 15, 4, generator=generator)
    relevance = (features[..., 0] - features[..., 2] > 0.5).long() * 2
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    for parameter in model.parameters():
        with torch.no_grad():
            parameter.copy_(0.5 * torch.randn(parameter.shape, generator=generator))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    with torch.no_grad():
        before = float(
            rst.soft_ndcg(model(features).squeeze(-1), relevance, 0.0, k=5, reduction="mean")
        )
    for _ in range(30):
        optimizer.zero_grad()
        scores = model(features).squeeze(-1)
        loss = 1.0 - rst.soft_ndcg(scores, relevance, 0.1, k=5, reduction="mean")
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = float(
            rst.soft_ndcg(model(features).squeeze(-1), relevance, 0.0, k=5, reduction="mean")
        )
    assert after > before + 0.1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensors_come_back_on_their_device() -> None:
    x = _random((3, 9), seed=26).to("cuda").requires_grad_()
    for name in ("soft_rank", "soft_sort"):
        out = getattr(rst, name)(x, 0.5)
        assert out.device == x.device
        np.testing.assert_array_equal(
            out.detach().cpu().numpy(), getattr(rank_soft, name)(x.detach().cpu().numpy(), 0.5)
        )
    loss = rst.spearman_loss(x, x.detach() ** 2, 0.5) + rst.soft_ndcg(
        x, torch.ones_like(x), 0.5, k=3, reduction="mean"
    )
    loss.backward()
    assert x.grad.device == x.device and bool(torch.isfinite(x.grad).all())
