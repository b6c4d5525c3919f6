"""The NumPy operators against the naive oracles (``tests/reference.py``), their hard and smooth
limits, invariants, exact VJPs/JVPs against finite differences, and the compat names.

Tolerance rule for agreement with the oracles (float64). Both sides evaluate the same projection
in float64 from intermediates of magnitude at most ``M`` -- for ranks and the top-k mask
``M = max(1, n, max|x| / eps)`` (the projected point ``x / eps`` and the vertex), for sorts
``M = max(1, n / eps, max|x|)`` (``rho / eps`` and the sorted values). A block sum of at most
``n`` terms, its mean and one subtraction are each within a few ulps of ``M`` per term, so we
allow ``max(1e-12, 8 n u M)`` absolute (``u = 2**-52``): the plain ``1e-12`` while
``n M <= 560``, and a few ulps of ``M`` per term beyond (small eps, large inputs). The "kl" soft
rank is ``exp`` of such a value, so there the bound is relative: times ``max(1, |expected|)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rank_soft as rs
import rank_soft.soft as soft_module
from rank_soft.compat import soft_rank_gradient, spearman_loss, spearman_loss_gradient

U = float(np.finfo(np.float64).eps)
REGULARIZATIONS = ("l2", "kl")
DIRECTIONS = ("ascending", "descending")
COMBOS = [
    (operator, regularization, direction)
    for operator in ("rank", "sort")
    for regularization in REGULARIZATIONS
    for direction in DIRECTIONS
]
OPERATORS: dict[str, Callable[..., Any]] = {"rank": rs.soft_rank, "sort": rs.soft_sort}
CLASSES: dict[str, Any] = {"rank": rs.SoftRank, "sort": rs.SoftSort}
ORACLES: dict[str, Callable[..., list[float]]] = {"rank": ref.soft_rank, "sort": ref.soft_sort}
FAST = settings(max_examples=60, deadline=None)


def magnitude(operator: str, x: np.ndarray, eps: float) -> float:
    """``M`` of the module docstring's tolerance rule."""
    n = x.shape[-1]
    largest = float(np.max(np.abs(x)))
    if operator == "sort":
        return max(1.0, n / eps, largest)
    return max(1.0, n, largest / eps)


def tolerance(operator: str, regularization: str, x: np.ndarray, eps: float, expected: Any) -> Any:
    """The module docstring's rule: ``max(1e-12, 8 n u M)``, relative for the "kl" soft rank."""
    n = x.shape[-1]
    bound = max(1e-12, 8 * n * U * magnitude(operator, x, eps))
    if operator == "rank" and regularization == "kl":
        return bound * np.maximum(1.0, np.abs(expected))
    return bound


def oracle(operator: str, x: np.ndarray, eps: float, regularization: str, direction: str) -> Any:
    rows = np.reshape(x, (-1, x.shape[-1]))
    out = [ORACLES[operator](row.tolist(), eps, regularization, direction) for row in rows]
    return np.reshape(np.array(out, dtype=np.float64), x.shape)


def random_rows(rng: np.random.Generator, rows: int, n: int) -> np.ndarray:
    """Ties (small integers), rounded floats (some ties) or plain floats over many scales."""
    kind = rng.integers(3)
    if kind == 0:
        return rng.integers(-3, 4, size=(rows, n)).astype(np.float64)
    values = rng.normal(size=(rows, n)) * 10 ** rng.uniform(-2, 2)
    return np.round(values, 1) if kind == 1 else values


def random_size(rng: np.random.Generator) -> int:
    return int(rng.choice([1, 2, 3, int(rng.integers(4, 51))], p=[0.1, 0.1, 0.1, 0.7]))


def pearson(a: list[float], b: list[float]) -> float:
    mean_a, mean_b = math.fsum(a) / len(a), math.fsum(b) / len(b)
    da, db = [v - mean_a for v in a], [v - mean_b for v in b]
    cov = math.fsum(p * q for p, q in zip(da, db, strict=True))
    return cov / math.sqrt(math.fsum(p * p for p in da) * math.fsum(q * q for q in db))


def fd_jacobian(f: Callable[..., np.ndarray], x: np.ndarray, *args: Any, h: float = 1e-6) -> Any:
    """``J[i, j] = d f(x, *args)[i] / d x[j]`` by central differences, the ``2n`` points in two
    batched calls (``f`` maps a ``(rows, n)`` batch to one output row, or one value, per row)."""
    step = np.eye(x.size) * h
    plus, minus = f(x[None, :] + step, *args), f(x[None, :] - step, *args)
    return ((plus - minus) / (2 * h)).T


# --------------------------------------------------------------------- the reference README


README_VALUES = [[5.0, 1.0, 2.0], [2.0, 1.0, 5.0]]


def test_readme_examples() -> None:
    """google-research/fast-soft-sort's README, digit for digit."""
    sorted_ = rs.soft_sort(README_VALUES, regularization_strength=1.0)
    np.testing.assert_array_equal(sorted_.round(4), [[1.6667, 2.6667, 3.6667]] * 2)
    ranks2 = rs.soft_rank(README_VALUES, regularization_strength=2.0)
    np.testing.assert_array_equal(ranks2.round(4), [[3, 1.25, 1.75], [1.75, 1.25, 3]])
    ranks1 = rs.soft_rank(README_VALUES, regularization_strength=1.0)
    np.testing.assert_array_equal(ranks1.round(4), [[3, 1, 2], [2, 1, 3]])
    # the same numbers from the naive oracle, and exact closed forms: the soft sort pools all
    # three into one block (mean of the values 8/3, plus the centred rho (-1, 0, 1))
    x = np.array(README_VALUES)
    for got, eps, operator in (
        (sorted_, 1.0, "sort"),
        (ranks2, 2.0, "rank"),
        (ranks1, 1.0, "rank"),
    ):
        want = oracle(operator, x, eps, "l2", "ascending")
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sorted_[0], [8 / 3 - 1, 8 / 3, 8 / 3 + 1], rtol=0, atol=1e-12)


# --------------------------------------------------------------------- agreement with the oracles


def test_reference_agreement_float64() -> None:
    """2,000 random rows (250 draws of n, eps and an input kind, 8 rows each, one batched call
    per operator), every row checked for ranks and sorts, "l2" and "kl", both directions."""
    rng = np.random.default_rng(20200712)
    checked, sizes = 0, set()
    for _ in range(250):
        n = random_size(rng)
        sizes.add(n)
        eps = float(10 ** rng.uniform(-3, 3))
        x = random_rows(rng, 8, n)
        for operator, regularization, direction in COMBOS:
            got = OPERATORS[operator](x, eps, regularization, direction)
            assert got.dtype == np.float64
            want = oracle(operator, x, eps, regularization, direction)
            bound = tolerance(operator, regularization, x, eps, want)
            assert np.all(np.abs(got - want) <= bound), (
                operator,
                regularization,
                direction,
                n,
                eps,
            )
        checked += x.shape[0]
    assert checked == 2000
    assert {1, 2, 3, 50} <= sizes


def test_reference_agreement_float32() -> None:
    """float32 in, float32 out: the float64 result rounded once, so within half a float32 ulp
    (``2**-24`` relative) of the oracle run on the same (exactly widened) values."""
    rng = np.random.default_rng(32)
    for _ in range(40):
        n = random_size(rng)
        eps = float(10 ** rng.uniform(-3, 3))
        x32 = random_rows(rng, 4, n).astype(np.float32)
        x = x32.astype(np.float64)
        for operator, regularization, direction in COMBOS:
            got = OPERATORS[operator](x32, eps, regularization, direction)
            assert got.dtype == np.float32
            want = oracle(operator, x, eps, regularization, direction)
            bound64 = tolerance(operator, regularization, x, eps, want)
            bound = 2.0**-24 * (np.abs(want) + bound64) + bound64
            assert np.all(np.abs(got.astype(np.float64) - want) <= bound)


def test_topk_mask_against_bisection() -> None:
    """The soft top-k mask against the capped-simplex projection found by bisection; that oracle
    pins the shift to an ulp of ``max|x / eps|``, so the rule's bound (``M = max|x| / eps``)
    holds."""
    rng = np.random.default_rng(7)
    for _ in range(120):
        n = random_size(rng)
        k = int(rng.integers(0, n + 2))
        eps = float(10 ** rng.uniform(-3, 3))
        x = random_rows(rng, 2, n)
        got = rs.soft_topk_mask(x, k, eps)
        want = np.array([ref.capped_simplex_projection(row.tolist(), k, eps) for row in x])
        bound = max(1e-12, 8 * n * U * magnitude("rank", x, eps))
        assert np.all(np.abs(got - want) <= bound), (n, k, eps)
        np.testing.assert_allclose(got.sum(axis=1), min(k, n), rtol=0, atol=n * bound)


# --------------------------------------------------------------------- hard and smooth limits


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_zero_strength_is_the_hard_operator(regularization: str, direction: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-3, 4, size=(50, 9)).astype(np.float64)  # many ties
    x[0] = 1.0  # one all-tied row
    ranks = rs.soft_rank(x, 0.0, regularization, direction)
    want = np.array([ref.average_ranks(row.tolist(), direction) for row in x])
    np.testing.assert_array_equal(ranks, want)  # halves and integers: exact
    hard = np.sort(x, axis=1)
    sorted_ = rs.soft_sort(x, 0.0, regularization, direction)
    np.testing.assert_array_equal(sorted_, hard if direction == "ascending" else hard[:, ::-1])
    # the limits' derivatives: zero for the piecewise-constant ranks; for the sort of distinct
    # values, the permutation that sorts them (J t = t[order], J^T c scatters c back)
    c = rng.normal(size=x.shape)
    np.testing.assert_array_equal(rs.soft_rank_vjp(x, c, 0.0, regularization, direction), 0.0)
    np.testing.assert_array_equal(rs.soft_rank_jvp(x, c, 0.0, regularization, direction), 0.0)
    distinct = np.stack([rng.permutation(9) for _ in range(50)]).astype(np.float64)
    order = np.argsort(distinct if direction == "ascending" else -distinct, axis=1)
    jvp = rs.soft_sort_jvp(distinct, c, 0.0, regularization, direction)
    np.testing.assert_array_equal(jvp, np.take_along_axis(c, order, axis=1))
    vjp = rs.soft_sort_vjp(distinct, c, 0.0, regularization, direction)
    np.testing.assert_array_equal(np.take_along_axis(vjp, order, axis=1), c)


def test_zero_strength_topk_mask() -> None:
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, 4.0, 4.0], [1.0, 1.0, 1.0, 1.0]])
    want = [[0.5, 0.0, 0.5, 0.0], [0.0, 1.0, 0.5, 0.5], [0.25] * 4]  # tie shares the mass
    np.testing.assert_array_equal(rs.soft_topk_mask(x, 1, 0.0)[0], want[0])
    np.testing.assert_array_equal(rs.soft_topk_mask(x, 2, 0.0)[1], want[1])
    np.testing.assert_array_equal(rs.soft_topk_mask(x, 1, 0.0)[2], want[2])
    np.testing.assert_array_equal(rs.soft_topk_mask(x, 9, 0.0), 1.0)  # k >= n keeps all
    np.testing.assert_array_equal(rs.soft_topk_mask(x, 0, 0.0), 0.0)
    # the bisection oracle at a tiny eps agrees (its limit shares a tied boundary the same way)
    for k in range(5):
        want_k = [ref.capped_simplex_projection(row.tolist(), k, 1e-6) for row in x]
        np.testing.assert_allclose(rs.soft_topk_mask(x, k, 0.0), want_k, rtol=0, atol=1e-9)


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_tiny_strength_equals_the_hard_operator(regularization: str, direction: str) -> None:
    """eps = 1e-8: every gap / eps dwarfs the vertex's, so only ties pool."""
    rng = np.random.default_rng(1)
    tied = rng.integers(-8, 9, size=(40, 12)) / 4.0
    distinct = np.stack([rng.permutation(12) / 4.0 - 1.0 for _ in range(40)])
    for x in (tied, distinct):
        ranks = rs.soft_rank(x, 1e-8, regularization, direction)
        want = np.array([ref.average_ranks(row.tolist(), direction) for row in x])
        bound = tolerance("rank", regularization, x, 1e-8, want)
        assert np.all(np.abs(ranks - want) <= bound)
        hard = np.sort(x, axis=1)
        sorted_ = rs.soft_sort(x, 1e-8, regularization, direction)
        np.testing.assert_array_equal(sorted_, hard if direction == "ascending" else hard[:, ::-1])
    # distinct values: singleton blocks, the vertex itself (exact for "l2", one exp/log for "kl")
    ranks = rs.soft_rank(distinct, 1e-8, regularization, direction)
    want = np.array([ref.average_ranks(row.tolist(), direction) for row in distinct])
    if regularization == "l2":
        np.testing.assert_array_equal(ranks, want)
    else:
        np.testing.assert_allclose(ranks, want, rtol=4 * U, atol=0)
    # an eps so small that x / eps overflows is the hard operator too
    np.testing.assert_array_equal(rs.soft_rank(distinct, 1e-310, regularization, direction), want)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_large_strength_limits(direction: str) -> None:
    """Everything pools into one block; the distance to the limit is bounded in closed form."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 15)) * 3
    n = x.shape[1]
    spread = np.ptp(x, axis=1, keepdims=True)
    for eps in (1e3, 1e6, 1e12):
        # "l2" rank: (n + 1) / 2 + (s_i - mean s), |s_i - mean s| <= range(x) / eps
        ranks = rs.soft_rank(x, eps, "l2", direction)
        assert np.all(np.abs(ranks - (n + 1) / 2) <= spread / eps + 1e-12)
        # "kl" rank: sum(rho) softmax(s)_i, a softmax within exp(+-range / eps) / n
        ranks = rs.soft_rank(x, eps, "kl", direction)
        assert np.all(np.abs(ranks - (n + 1) / 2) <= (n + 1) / 2 * np.expm1(spread / eps) + 1e-12)
        # "l2" sort: mean(x) + (y_i - mean y), |y_i - mean y| <= (n - 1) / (2 eps)
        sorted_ = rs.soft_sort(x, eps, "l2", direction)
        mean = x.mean(axis=1, keepdims=True)
        assert np.all(np.abs(sorted_ - mean) <= (n - 1) / (2 * eps) + 1e-12)
        # "kl" sort: sign * (log-mean-exp(sign * x) + y_i - log-mean-exp(y)), sign = +-1
        sign = 1.0 if direction == "descending" else -1.0
        top = np.max(sign * x, axis=1, keepdims=True)
        lme = top + np.log(np.mean(np.exp(sign * x - top), axis=1, keepdims=True))
        sorted_ = rs.soft_sort(x, eps, "kl", direction)
        assert np.all(np.abs(sorted_ - sign * lme) <= (n - 1) / eps + 1e-12)


# --------------------------------------------------------------------- layout and dtypes


@pytest.mark.parametrize(
    ("operator", "regularization"),
    [("rank", "l2"), ("rank", "kl"), ("sort", "l2"), ("sort", "kl"), ("topk", "l2")],
)
def test_every_axis_of_a_3d_array(operator: str, regularization: str) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4, 5))
    c = rng.normal(size=x.shape)

    def build(values: np.ndarray, axis: int) -> Any:
        if operator == "topk":
            return rs.SoftTopKMask(values, 2, 0.7, axis=axis)
        return CLASSES[operator](values, 0.7, regularization, "descending", axis=axis)

    for axis in range(-3, 3):
        moved = np.moveaxis(x, axis, -1)
        last = build(moved, -1)
        here = build(x, axis)
        for got, want in (
            (here.values, last.values),
            (here.vjp(c), last.vjp(np.moveaxis(c, axis, -1))),
            (here.jvp(c), last.jvp(np.moveaxis(c, axis, -1))),
        ):
            assert got.shape == x.shape
            np.testing.assert_array_equal(got, np.moveaxis(want, -1, axis))
        if operator != "topk":
            function = OPERATORS[operator]
            np.testing.assert_array_equal(
                function(x, 0.7, regularization, "descending", axis=axis), here.values
            )


def test_lists_ints_and_dtypes() -> None:
    as_float = rs.soft_rank(np.array(README_VALUES), 2.0)
    np.testing.assert_array_equal(rs.soft_rank(README_VALUES, 2.0), as_float)
    from_ints = rs.soft_rank([[5, 1, 2], [2, 1, 5]], 2.0)
    assert from_ints.dtype == np.float64
    np.testing.assert_array_equal(from_ints, as_float)
    assert rs.soft_sort(np.array([3, 1, 2], dtype=np.int32)).dtype == np.float64
    assert rs.soft_rank(np.array([True, False])).dtype == np.float64
    assert rs.soft_rank(np.array([1.0, 2.0], dtype=np.float16)).dtype == np.float32
    x32 = np.array([[5.0, 1.0, 2.0]], dtype=np.float32)
    for projected in (rs.SoftRank(x32), rs.SoftSort(x32, 1.0, "kl"), rs.SoftTopKMask(x32, 1)):
        assert projected.values.dtype == np.float32
        assert projected.vjp(np.ones(3)[None]).dtype == np.float32
        assert projected.jvp(np.ones(3)[None]).dtype == np.float32
    one = rs.soft_rank([4.0])
    np.testing.assert_array_equal(one, [1.0])
    np.testing.assert_array_equal(rs.soft_sort([4.0], 1e-3, "kl"), [4.0])


# --------------------------------------------------------------------- invariants (hypothesis)


ELEMENTS = st.one_of(
    st.sampled_from([-2.0, 0.0, 1.0, 3.5]),  # ties
    st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False),
)
VECTORS = hnp.arrays(np.float64, st.integers(1, 30), elements=ELEMENTS)
STRENGTHS = st.floats(-3.0, 3.0).map(lambda exponent: 10.0**exponent)
REGULARIZATION = st.sampled_from(REGULARIZATIONS)
DIRECTION = st.sampled_from(DIRECTIONS)


@FAST
@given(VECTORS, STRENGTHS, REGULARIZATION, DIRECTION)
def test_ranks_sum_to_n_n_plus_1_over_2(
    x: np.ndarray, eps: float, reg: str, direction: str
) -> None:
    n = x.size
    ranks = rs.soft_rank(x, eps, reg, direction)
    # n outputs, each within the rule's bound (relative to rank <= n for "kl")
    bound = n * tolerance("rank", reg, x, eps, float(n))
    assert abs(math.fsum(ranks.tolist()) - n * (n + 1) / 2) <= bound


@FAST
@given(VECTORS, STRENGTHS, REGULARIZATION, DIRECTION, st.data())
def test_rank_is_permutation_equivariant_and_sort_invariant(
    x: np.ndarray, eps: float, reg: str, direction: str, data: st.DataObject
) -> None:
    """Exactly: the permuted input sorts to the same numbers, so every block is recomputed from
    the same operands in the same order."""
    permutation = np.array(data.draw(st.permutations(range(x.size))), dtype=np.intp)
    ranks = rs.soft_rank(x, eps, reg, direction)
    np.testing.assert_array_equal(
        rs.soft_rank(x[permutation], eps, reg, direction), ranks[permutation]
    )
    np.testing.assert_array_equal(
        rs.soft_sort(x[permutation], eps, reg, direction), rs.soft_sort(x, eps, reg, direction)
    )


@FAST
@given(VECTORS, STRENGTHS, REGULARIZATION, DIRECTION)
def test_soft_sort_is_monotone(x: np.ndarray, eps: float, reg: str, direction: str) -> None:
    out = rs.soft_sort(x, eps, reg, direction)
    steps = np.diff(out) if direction == "ascending" else -np.diff(out)
    # within a block the formula is monotone under rounding; between blocks PAV's strict order
    # can only be undone by the rounding of the rule's bound
    assert np.all(steps >= -tolerance("sort", reg, x, eps, out))


@FAST
@given(VECTORS, REGULARIZATION, DIRECTION)
def test_soft_sort_is_the_hard_sort_below_one_over_the_range(
    x: np.ndarray, reg: str, direction: str
) -> None:
    """Adjacent sorted values pool only when their gap reaches ``1 / eps``; below that every block
    is a singleton and the output is the sorted input itself, bit for bit."""
    eps = 0.5 / max(float(np.ptp(x)), 1e-3)
    hard = np.sort(x)
    out = rs.soft_sort(x, eps, reg, direction)
    np.testing.assert_array_equal(out, hard if direction == "ascending" else hard[::-1])


@FAST
@given(
    hnp.arrays(np.float64, st.integers(1, 30), elements=st.integers(-20, 20).map(lambda v: v / 4)),
    st.floats(1e-3, 1.0),
    REGULARIZATION,
    DIRECTION,
)
def test_soft_rank_is_the_average_rank_below_the_gap(
    x: np.ndarray, fraction: float, reg: str, direction: str
) -> None:
    """On a 0.25 grid, eps <= 0.25 / (4 n) separates distinct values by more than the vertex's
    spread (n - 1), so only ties pool: average ranks, to the rule's rounding bound."""
    eps = fraction * 0.25 / (4 * x.size)
    want = np.array(ref.average_ranks(x.tolist(), direction))
    ranks = rs.soft_rank(x, eps, reg, direction)
    assert np.all(np.abs(ranks - want) <= tolerance("rank", reg, x, eps, want))


@FAST
@given(VECTORS, STRENGTHS, REGULARIZATION, DIRECTION, st.integers(0, 31))
def test_ties_give_tied_outputs(
    x: np.ndarray, eps: float, reg: str, direction: str, k: int
) -> None:
    ranks = rs.soft_rank(x, eps, reg, direction)
    mask = rs.soft_topk_mask(x, k, eps)
    i, j = np.nonzero(x[:, None] == x[None, :])
    for out in (ranks, mask):
        np.testing.assert_array_equal(out[i], out[j])


# --------------------------------------------------------------------- gradients


def _gradient_cases(seed: int, count: int) -> list[tuple[np.ndarray, float]]:
    """Distinct values (normal * 2, ties have probability 0) and generic eps around 1, where
    blocks of several values form but no block boundary lies within the step of 1e-6."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        n = int(rng.integers(2, 13))
        cases.append((rng.normal(size=n) * 2, float(10 ** rng.uniform(-0.7, 0.7))))
    return cases


@pytest.mark.parametrize(("operator", "regularization", "direction"), COMBOS)
def test_vjp_and_jvp_match_finite_differences(
    operator: str, regularization: str, direction: str
) -> None:
    """Central differences with h = 1e-6: exact for the piecewise-linear "l2" operators up to
    rounding (~u * n / h ~ 1e-9), O(h^2 / eps^3) ~ 1e-11 more for "kl"; 1e-6 bounds both."""
    function = OPERATORS[operator]
    rng = np.random.default_rng(COMBOS.index((operator, regularization, direction)))
    pooled = 0
    for x, eps in _gradient_cases(11, 40):
        n = x.size
        jacobian = fd_jacobian(function, x, eps, regularization, direction)
        pooled += bool(np.any(np.sum(np.abs(jacobian) > 1e-9, axis=1) > 1))
        c, t = rng.normal(size=n), rng.normal(size=n)
        projected = CLASSES[operator](x, eps, regularization, direction)
        vjp = projected.vjp(c)
        jvp = projected.jvp(t)
        np.testing.assert_allclose(vjp, jacobian.T @ c, rtol=0, atol=1e-6)
        np.testing.assert_allclose(jvp, jacobian @ t, rtol=0, atol=1e-6)
        # the module functions recompute the same thing
        vjp_function = rs.soft_rank_vjp if operator == "rank" else rs.soft_sort_vjp
        jvp_function = rs.soft_rank_jvp if operator == "rank" else rs.soft_sort_jvp
        np.testing.assert_array_equal(vjp_function(x, c, eps, regularization, direction), vjp)
        np.testing.assert_array_equal(jvp_function(x, t, eps, regularization, direction), jvp)
        # <J t, c> = <t, J^T c>: both exact sums of the same products up to rounding
        left, right = float(jvp @ c), float(t @ vjp)
        scale = float(np.abs(jvp) @ np.abs(c) + np.abs(t) @ np.abs(vjp))
        assert abs(left - right) <= 1e-10 * max(1.0, scale)
    assert pooled >= 10  # the cases do exercise blocks of several values


def test_topk_mask_vjp_and_jvp_match_finite_differences() -> None:
    rng = np.random.default_rng(12)
    pooled = 0
    for x, eps in _gradient_cases(13, 40):
        n = x.size
        k = int(rng.integers(1, n + 1))
        jacobian = fd_jacobian(rs.soft_topk_mask, x, k, eps)
        pooled += bool(np.any(np.abs(jacobian) > 1e-9))
        c, t = rng.normal(size=n), rng.normal(size=n)
        projected = rs.SoftTopKMask(x, k, eps)
        np.testing.assert_allclose(projected.vjp(c), jacobian.T @ c, rtol=0, atol=1e-6)
        np.testing.assert_allclose(projected.jvp(t), jacobian @ t, rtol=0, atol=1e-6)
        left, right = float(projected.jvp(t) @ c), float(t @ projected.vjp(c))
        assert abs(left - right) <= 1e-10 * max(1.0, abs(left))
    assert pooled >= 10


def test_batched_gradients_equal_row_by_row() -> None:
    rng = np.random.default_rng(14)
    x, c = rng.normal(size=(6, 8)), rng.normal(size=(6, 8))
    for operator, regularization, direction in COMBOS:
        batch = CLASSES[operator](x, 0.5, regularization, direction)
        for row in range(x.shape[0]):
            single = CLASSES[operator](x[row], 0.5, regularization, direction)
            np.testing.assert_array_equal(batch.vjp(c)[row], single.vjp(c[row]))
            np.testing.assert_array_equal(batch.jvp(c)[row], single.jvp(c[row]))


def _kl_sort_jacobian_by_formula(x: list[float], eps: float, buggy: bool) -> np.ndarray:
    """The ascending "kl" soft sort's Jacobian rebuilt from the naive oracle's blocks. The output is
    ``-(y_i - lse(y_B) + lse(w_B))`` with ``w = sort_desc(-x)`` and ``y = rho / eps``, so
    ``d out_i / d x[order_j] = softmax(w_B)_j`` for ``i, j`` in a block ``B``; the reference code
    weighted by ``softmax(y_B)``."""
    n = len(x)
    order = sorted(range(n), key=lambda i: x[i])  # the descending order of -x
    w = [-x[i] for i in order]
    y = [(n - i) / eps for i in range(n)]
    dual = ref.isotonic_decreasing(y, w, kl=True)
    jacobian = np.zeros((n, n))
    start = 0
    while start < n:
        end = start + 1
        while end < n and dual[end] == dual[start]:
            end += 1
        side = y[start:end] if buggy else w[start:end]
        exps = [math.exp(v - max(side)) for v in side]
        for j in range(start, end):
            jacobian[start:end, order[j]] = exps[j - start] / math.fsum(exps)
        start = end
    return jacobian


@pytest.mark.parametrize(
    "x",
    [[5.0, 1.0, 2.0], [2.0, 1.0, 5.0], [5.0, 1.0, 2.0, 6.5, 8.0], [3.0, 0.0, 8.0, 5.5, 9.0, 1.0]],
)
def test_kl_soft_sort_gradient_is_not_the_reference_codes(x: list[float]) -> None:
    """google-research/fast-soft-sort weighted the KL soft sort's blocks by the softmax of
    ``rho / eps`` instead of the sorted values'. On README-like rows whose blocks pool (and whose
    block values are not tied, so finite differences are valid), the buggy Jacobian misses the
    finite differences of the *naive oracle* by more than 0.05, while ours and the correct formula
    match them to 1e-6."""
    n = len(x)
    dual = ref.isotonic_decreasing(
        [float(n - i) for i in range(n)], sorted(-v for v in x)[::-1], kl=True
    )
    assert len(set(dual)) < n  # some block holds more than one value
    expected = fd_jacobian(
        lambda v: np.array([ref.soft_sort(row.tolist(), 1.0, "kl", "ascending") for row in v]),
        np.array(x),
    )
    projected = rs.SoftSort(x, 1.0, "kl")
    ours = np.stack([projected.vjp(row) for row in np.eye(n)])  # row i: d out_i / d x
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-6)
    np.testing.assert_allclose(
        rs.soft_sort_vjp(x, np.ones(n), 1.0, "kl"), expected.sum(axis=0), rtol=0, atol=1e-6
    )
    correct = _kl_sort_jacobian_by_formula(x, 1.0, buggy=False)
    np.testing.assert_allclose(correct, expected, rtol=0, atol=1e-6)
    buggy = _kl_sort_jacobian_by_formula(x, 1.0, buggy=True)
    assert np.max(np.abs(buggy - expected)) > 0.05


# --------------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("eps", [1e-3, 1.0, 1e3, 1e6])
def test_float32_large_inputs_stay_finite(eps: float) -> None:
    """|x| ~ 1e4 in float32: x / eps reaches 1e7 and "kl" would overflow any naive exp."""
    rng = np.random.default_rng(16)
    x32 = (rng.normal(size=(16, 40)) * 1e4).astype(np.float32)
    x32[:, :5] = x32[:, 5:10]  # ties too
    c = rng.normal(size=x32.shape).astype(np.float32)
    x = x32.astype(np.float64)
    for operator, regularization, direction in COMBOS:
        projected = CLASSES[operator](x32, eps, regularization, direction)
        for out in (projected.values, projected.vjp(c), projected.jvp(c)):
            assert out.dtype == np.float32
            assert np.all(np.isfinite(out)), (operator, regularization, direction, eps)
        # finite and right: the float64 path against the oracle on a few rows
        got = CLASSES[operator](x[:3], eps, regularization, direction).values
        want = oracle(operator, x[:3], eps, regularization, direction)
        assert np.all(np.abs(got - want) <= tolerance(operator, regularization, x[:3], eps, want))
    mask = rs.SoftTopKMask(x32, 7, eps)
    for out in (mask.values, mask.vjp(c), mask.jvp(c)):
        assert np.all(np.isfinite(out))


# --------------------------------------------------------------------- compat names


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_spearman_loss_against_pearson_of_ranks(regularization: str) -> None:
    rng = np.random.default_rng(17)
    predictions = rng.integers(0, 6, size=(30, 10)).astype(np.float64)
    targets = rng.integers(0, 6, size=(30, 10)).astype(np.float64)
    predictions[:, 0] += 0.5
    for eps in (0.0, 0.3, 2.0):
        losses = spearman_loss(predictions, targets, eps, regularization)
        assert losses.shape == (30,)
        for row in range(30):
            p, t = predictions[row].tolist(), targets[row].tolist()
            soft = (
                ref.average_ranks(p, "ascending")
                if eps == 0
                else ref.soft_rank(p, eps, regularization, "ascending")
            )
            want = 1 - pearson(soft, ref.average_ranks(t, "ascending"))
            assert abs(losses[row] - want) <= 1e-12
        # 1-D: a float
        one = spearman_loss(predictions[0], targets[0], eps, regularization)
        assert isinstance(one, float)
        assert one == pytest.approx(losses[0], rel=0, abs=1e-15)
    # eps = 0 is 1 - Spearman's rho; a perfect and a reversed order give 0 and 2
    assert spearman_loss([1.0, 2.0, 3.0], [10.0, 20.0, 30.0], 0.0) == pytest.approx(0.0, abs=1e-15)
    assert spearman_loss([1.0, 2.0, 3.0], [30.0, 20.0, 10.0], 0.0) == pytest.approx(2.0, abs=1e-15)


def test_spearman_loss_shapes_and_degenerate_rows() -> None:
    rng = np.random.default_rng(18)
    x, y = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    for axis in range(-3, 3):
        losses = spearman_loss(x, y, 0.5, axis=axis)
        expected_shape = tuple(np.delete(np.array(x.shape), axis % 3))
        assert losses.shape == expected_shape
        moved = spearman_loss(np.moveaxis(x, axis, -1), np.moveaxis(y, axis, -1), 0.5)
        np.testing.assert_array_equal(losses, moved)
        grad = spearman_loss_gradient(x, y, None, None, 0.5, axis=axis)
        assert grad.shape == x.shape
    # constant ranks (n = 1, or all tied) have no correlation: loss 1, gradient 0
    assert spearman_loss([3.0], [1.0]) == 1.0
    assert spearman_loss([1.0, 2.0], [5.0, 5.0]) == 1.0
    np.testing.assert_array_equal(spearman_loss_gradient([1.0, 2.0], [5.0, 5.0]), 0.0)
    np.testing.assert_array_equal(spearman_loss_gradient([3.0], [1.0]), 0.0)


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
def test_spearman_loss_gradient_matches_finite_differences(regularization: str) -> None:
    rng = np.random.default_rng(19)
    for x, eps in _gradient_cases(20, 25):
        targets = rng.normal(size=x.size)
        grad = spearman_loss_gradient(x, targets, None, None, eps, regularization)
        batch = np.broadcast_to(targets, (x.size, x.size))  # one target row per perturbed point
        jacobian = fd_jacobian(spearman_loss, x, batch, eps, regularization)
        np.testing.assert_allclose(grad, jacobian, rtol=0, atol=1e-6)
    # batched rows equal row by row
    x, y = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    grads = spearman_loss_gradient(x, y, None, None, 0.8, regularization)
    for row in range(5):
        np.testing.assert_allclose(
            grads[row],
            spearman_loss_gradient(x[row], y[row], None, None, 0.8, regularization),
            rtol=0,
            atol=1e-15,
        )


@pytest.mark.parametrize("regularization", REGULARIZATIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_soft_rank_gradient_is_the_jacobian(regularization: str, direction: str) -> None:
    for x, eps in _gradient_cases(21, 15):
        n = x.size
        jacobian = soft_rank_gradient(x, None, eps, regularization, direction)
        assert jacobian.shape == (n, n)
        assert jacobian.dtype == np.float64
        expected = fd_jacobian(rs.soft_rank, x, eps, regularization, direction)
        np.testing.assert_allclose(jacobian, expected, rtol=0, atol=1e-6)
        projected = rs.SoftRank(x, eps, regularization, direction)
        basis = np.eye(n)
        for i in range(n):
            np.testing.assert_allclose(jacobian[i], projected.vjp(basis[i]), rtol=0, atol=1e-12)
            np.testing.assert_allclose(jacobian[:, i], projected.jvp(basis[i]), rtol=0, atol=1e-12)


def test_original_positional_signatures_on_lists() -> None:
    values, targets = [3.0, 1.0, 2.0, 5.0], [1.0, 2.0, 3.0, 4.0]
    ranks = rs.soft_rank(values, 0.5)
    np.testing.assert_allclose(
        ranks, ref.soft_rank(values, 0.5, "l2", "ascending"), rtol=0, atol=1e-12
    )
    sorted_ = rs.soft_sort(values, 0.5)
    np.testing.assert_allclose(
        sorted_, ref.soft_sort(values, 0.5, "l2", "ascending"), rtol=0, atol=1e-12
    )
    loss = spearman_loss(values, targets, 0.5)
    want = 1 - pearson(
        ref.soft_rank(values, 0.5, "l2", "ascending"), ref.average_ranks(targets, "ascending")
    )
    assert isinstance(loss, float)
    assert abs(loss - want) <= 1e-12
    jacobian = soft_rank_gradient(values, ranks.tolist(), 0.5)
    assert jacobian.shape == (4, 4)
    np.testing.assert_array_equal(jacobian, soft_rank_gradient(values, None, 0.5))
    pred_ranks = rs.soft_rank(values, 0.5).tolist()
    target_ranks = ref.average_ranks(targets, "ascending")
    grad = spearman_loss_gradient(values, targets, pred_ranks, target_ranks, 0.5)
    assert grad.shape == (4,)
    np.testing.assert_array_equal(
        grad, spearman_loss_gradient(values, targets, regularization_strength=0.5)
    )
    # and the package root exports the same objects
    assert rs.spearman_loss is spearman_loss
    assert rs.soft_rank_gradient is soft_rank_gradient
    assert rs.spearman_loss_gradient is spearman_loss_gradient


# --------------------------------------------------------------------- warmup and threads


def test_warmup_returns_seconds() -> None:
    seconds = rs.warmup()
    assert isinstance(seconds, float)
    assert seconds > 0


def test_results_do_not_depend_on_the_thread_count_or_the_chunking() -> None:
    """Batches large enough for the parallel row chunks, on 1 and 2 threads, equal the serial
    path (each row on its own, below the parallel threshold) to the last bit."""
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba was started with a single thread")
    rng = np.random.default_rng(22)
    x = np.round(rng.normal(size=(700, 50)), 1)
    assert x.size >= soft_module._PARALLEL_MIN_VALUES  # the chunked kernels run
    c = rng.normal(size=x.shape)

    def everything(x: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
        out = []
        for operator, regularization, direction in COMBOS:
            projected = CLASSES[operator](x, 0.3, regularization, direction)
            out += [projected.values, projected.vjp(c), projected.jvp(c)]
        for strength in (0.3, 0.0):
            mask = rs.SoftTopKMask(x, 10, strength)
            out += [mask.values, mask.vjp(c), mask.jvp(c)]
        return out

    def row_by_row() -> list[np.ndarray]:
        rows = [everything(x[i : i + 1], c[i : i + 1]) for i in range(len(x))]
        return [np.concatenate(parts) for parts in zip(*rows, strict=True)]

    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = everything(x, c)
        numba.set_num_threads(2)
        double = everything(x, c)
    finally:
        numba.set_num_threads(previous)
    for a, b, serial in zip(single, double, row_by_row(), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, serial)
