"""Bad input: each raises the exact rank-core error class, which is also the builtin one."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rank_soft as rs
from rank_core.errors import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.testing import raises_exactly as raises

X = [[5.0, 1.0, 2.0], [2.0, 1.0, 5.0]]


def ones(x: Any) -> Any:
    """A valid cotangent / target for ``x``, or ``x`` itself when it has no shape (ragged)."""
    try:
        return np.ones(np.shape(x))
    except ValueError:
        return x


# every NumPy entry point as ``call(x, **options)``; options are strength, regularization,
# direction and axis where the operator has them
FORWARD: dict[str, Callable[..., Any]] = {
    "soft_rank": lambda x, **o: rs.soft_rank(x, **o),
    "soft_sort": lambda x, **o: rs.soft_sort(x, **o),
    "SoftRank": lambda x, **o: rs.SoftRank(x, **o).values,
    "SoftSort": lambda x, **o: rs.SoftSort(x, **o).values,
    "soft_rank_vjp": lambda x, **o: rs.soft_rank_vjp(x, ones(x), **o),
    "soft_rank_jvp": lambda x, **o: rs.soft_rank_jvp(x, ones(x), **o),
    "soft_sort_vjp": lambda x, **o: rs.soft_sort_vjp(x, ones(x), **o),
    "soft_sort_jvp": lambda x, **o: rs.soft_sort_jvp(x, ones(x), **o),
    "spearman_loss": lambda x, **o: rs.spearman_loss(x, ones(x), **o),
    "spearman_loss_gradient": lambda x, **o: rs.spearman_loss_gradient(x, ones(x), **o),
}
WITH_DIRECTION = [
    name for name in FORWARD if name not in ("spearman_loss", "spearman_loss_gradient")
]
TOPK: dict[str, Callable[..., Any]] = {
    "soft_topk_mask": lambda x, k=1, **o: rs.soft_topk_mask(x, k, **o),
    "SoftTopKMask": lambda x, k=1, **o: rs.SoftTopKMask(x, k, **o).values,
}
ALL = {**FORWARD, **TOPK}


# ----------------------------------------------------------------------------- non-finite input


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_name_their_position(name: str, bad: float) -> None:
    x = [[5.0, 1.0, 2.0], [2.0, bad, 5.0]]
    with raises(NonFiniteInputError, ValueError, match=r"row 1, position 1"):
        ALL[name](x)
    x32 = np.array([[1.0, 2.0, bad]], dtype=np.float32)
    with raises(NonFiniteInputError, ValueError, match=r"row 0, position 2"):
        ALL[name](x32)


def test_non_finite_position_is_along_the_operator_axis() -> None:
    x = np.zeros((3, 4))
    x[2, 1] = math.nan
    # along axis 0 the NaN is in row (column) 1, at position 2
    with raises(NonFiniteInputError, ValueError, match=r"row 1, position 2"):
        rs.soft_rank(x, axis=0)


def test_non_finite_targets() -> None:
    with raises(NonFiniteInputError, ValueError, match="targets must be finite"):
        rs.spearman_loss([1.0, 2.0, 3.0], [1.0, math.nan, 3.0])
    with raises(NonFiniteInputError, ValueError, match="targets must be finite"):
        rs.spearman_loss_gradient([1.0, 2.0, 3.0], [1.0, 2.0, math.inf])


@pytest.mark.parametrize("operator", [rs.SoftRank, rs.SoftSort])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_cotangent_and_tangent(operator: Any, bad: float) -> None:
    projected = operator(X)
    v = np.ones((2, 3))
    v[1, 2] = bad
    with raises(
        NonFiniteInputError, ValueError, match=r"cotangent must be finite.*row 1, position 2"
    ):
        projected.vjp(v)
    with raises(
        NonFiniteInputError, ValueError, match=r"tangent must be finite.*row 1, position 2"
    ):
        projected.jvp(v)
    with raises(NonFiniteInputError, ValueError, match="cotangent must be finite"):
        rs.SoftTopKMask(X, 1).vjp(v)


# ----------------------------------------------------------------------------- strength and choices


@pytest.mark.parametrize("name", ALL)
def test_negative_strength(name: str) -> None:
    with raises(RankValueError, ValueError, match="regularization_strength must be in"):
        ALL[name](X, regularization_strength=-1e-3)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_strength(name: str, bad: float) -> None:
    with raises(NonFiniteInputError, ValueError, match="regularization_strength must be finite"):
        ALL[name](X, regularization_strength=bad)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0]])
def test_strength_of_the_wrong_type(name: str, bad: Any) -> None:
    with raises(RankTypeError, TypeError, match="regularization_strength must be a real number"):
        ALL[name](X, regularization_strength=bad)


@pytest.mark.parametrize("name", FORWARD)
@pytest.mark.parametrize("bad", ["L2", "entropic", "", None])
def test_unknown_regularization(name: str, bad: Any) -> None:
    with raises(RankValueError, ValueError, match="regularization must be one of 'l2', 'kl'"):
        FORWARD[name](X, regularization=bad)


@pytest.mark.parametrize("name", WITH_DIRECTION)
@pytest.mark.parametrize("bad", ["asc", "Descending", "", None])
def test_unknown_direction(name: str, bad: Any) -> None:
    with raises(
        RankValueError, ValueError, match="direction must be one of 'ascending', 'descending'"
    ):
        FORWARD[name](X, direction=bad)


def test_unknown_options_of_soft_rank_gradient() -> None:
    with raises(RankValueError, ValueError, match="regularization must be one of"):
        rs.soft_rank_gradient([1.0, 2.0], None, 1.0, "l1")
    with raises(RankValueError, ValueError, match="direction must be one of"):
        rs.soft_rank_gradient([1.0, 2.0], None, 1.0, "l2", "up")
    with raises(RankValueError, ValueError, match="regularization_strength must be in"):
        rs.soft_rank_gradient([1.0, 2.0], None, -1.0)


# ----------------------------------------------------------------------------- shapes and axes


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("empty", [[], [[]], np.empty((3, 0)), np.empty((0, 4))])
def test_empty_input(name: str, empty: Any) -> None:
    with raises(RankValueError, ValueError, match="is empty"):
        ALL[name](empty)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("scalar", [3.0, np.float64(3.0), np.array(2.0), 7])
def test_scalar_input(name: str, scalar: Any) -> None:
    with raises(RankValueError, ValueError, match="at least one dimension"):
        ALL[name](scalar)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("axis", [2, -3, 10])
def test_axis_out_of_range(name: str, axis: int) -> None:
    with raises(RankValueError, ValueError, match=f"axis {axis} is out of range"):
        ALL[name](X, axis=axis)


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("axis", [1.0, "0", None, True, (0,)])
def test_axis_not_an_int(name: str, axis: Any) -> None:
    with raises(RankTypeError, TypeError, match="axis must be an int"):
        ALL[name](X, axis=axis)


def test_numpy_integer_axis_is_fine() -> None:
    np.testing.assert_array_equal(rs.soft_rank(X, axis=np.int64(0)), rs.soft_rank(X, axis=0))


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "bad",
    [
        np.array([1, "a"], dtype=object),
        np.array([1.0, 2.0], dtype=object),
        ["a", "b"],
        np.array(["1.0", "2.0"]),
        np.array([1 + 1j, 2.0]),
        [b"x", b"y"],
        [[1.0, 2.0], [3.0]],  # ragged
    ],
)
def test_non_real_dtypes(name: str, bad: Any) -> None:
    with raises(RankTypeError, TypeError, match="real numbers"):
        ALL[name](bad)


@pytest.mark.parametrize("operator", [rs.SoftRank, rs.SoftSort])
@pytest.mark.parametrize("shape", [(3, 2), (2,), (3,), (1, 2, 3), (2, 4)])
def test_cotangent_and_tangent_of_the_wrong_shape(operator: Any, shape: tuple[int, ...]) -> None:
    projected = operator(X)
    with raises(
        ShapeMismatchError, ValueError, match=r"cotangent must have the input's shape \(2, 3\)"
    ):
        projected.vjp(np.ones(shape))
    with raises(
        ShapeMismatchError, ValueError, match=r"tangent must have the input's shape \(2, 3\)"
    ):
        projected.jvp(np.ones(shape))
    with raises(ShapeMismatchError, ValueError, match="cotangent must have the input's shape"):
        rs.SoftTopKMask(X, 1).vjp(np.ones(shape))


def test_cotangent_shape_follows_the_axis() -> None:
    projected = rs.SoftRank(np.zeros((2, 3, 4)), axis=1)
    assert projected.vjp(np.ones((2, 3, 4))).shape == (2, 3, 4)
    with raises(ShapeMismatchError, ValueError, match=r"\(2, 3, 4\), got \(2, 4, 3\)"):
        projected.vjp(np.ones((2, 4, 3)))


def test_cotangent_of_a_bad_dtype() -> None:
    with raises(RankTypeError, TypeError, match="cotangent must hold real numbers"):
        rs.SoftRank(X).vjp(np.array([["a", "b", "c"]] * 2))
    with raises(RankTypeError, TypeError, match="tangent must hold real numbers"):
        rs.SoftSort(X).jvp(np.ones((2, 3), dtype=complex))


# ----------------------------------------------------------------------------- top-k and compat


@pytest.mark.parametrize("name", TOPK)
@pytest.mark.parametrize("k", [-1, -10])
def test_topk_negative_k(name: str, k: int) -> None:
    with raises(RankValueError, ValueError, match="k must be >= 0"):
        TOPK[name](X, k=k)


@pytest.mark.parametrize("name", TOPK)
@pytest.mark.parametrize("k", [1.0, 2.5, "1", None, True, np.float64(1.0)])
def test_topk_k_not_an_int(name: str, k: Any) -> None:
    with raises(RankTypeError, TypeError, match="k must be a non-negative int"):
        TOPK[name](X, k=k)


@pytest.mark.parametrize(
    ("predictions", "targets"),
    [
        ([1.0, 2.0, 3.0], [1.0, 2.0]),
        ([[1.0, 2.0], [3.0, 4.0]], [1.0, 2.0]),
        ([1.0, 2.0], [[1.0, 2.0]]),
        (np.zeros((2, 3)), np.zeros((3, 2))),
    ],
)
def test_spearman_loss_mismatched_shapes(predictions: Any, targets: Any) -> None:
    with raises(ShapeMismatchError, ValueError, match="same shape"):
        rs.spearman_loss(predictions, targets)
    with raises(ShapeMismatchError, ValueError, match="same shape"):
        rs.spearman_loss_gradient(predictions, targets)


def test_spearman_loss_bad_targets() -> None:
    with raises(RankTypeError, TypeError, match="targets must"):
        rs.spearman_loss([1.0, 2.0], ["a", "b"])
    with raises(RankTypeError, TypeError, match="real numbers"):
        rs.spearman_loss([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]])
    with raises(RankTypeError, TypeError, match="real numbers"):
        rs.spearman_loss([1.0, 2.0], [[1.0, 2.0], [3.0]])


@pytest.mark.parametrize(
    "values", [[[1.0, 2.0], [3.0, 4.0]], np.zeros((1, 3)), 2.0, np.zeros((2, 2, 2))]
)
def test_soft_rank_gradient_needs_one_list(values: Any) -> None:
    with raises(RankValueError, ValueError, match="values must be one list"):
        rs.soft_rank_gradient(values)


@pytest.mark.parametrize("bad", [[math.nan, 1.0], []])
def test_soft_rank_gradient_bad_values(bad: list[float]) -> None:
    error = NonFiniteInputError if bad else RankValueError
    with raises(error, ValueError, match="finite" if bad else "empty"):
        rs.soft_rank_gradient(bad)
