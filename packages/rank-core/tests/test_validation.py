from __future__ import annotations

import numpy as np
import pytest

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import (
    as_array,
    as_id_array,
    check_choice,
    check_finite,
    check_in_range,
    check_k,
    check_same_length,
)


def test_check_k():
    assert check_k(0) == 0
    assert check_k(np.int64(5)) == 5
    assert check_k(None, allow_none=True) is None
    with pytest.raises(RankValueError, match="k must be >= 0, got -1") as info:
        check_k(-1)
    assert isinstance(info.value, ValueError)
    for bad in (1.5, "3", True, None):
        with pytest.raises(RankTypeError) as info:
            check_k(bad, name="top_k")
        assert isinstance(info.value, TypeError)
        assert "top_k" in str(info.value)


def test_check_in_range():
    assert check_in_range(0.5, name="p", low=0, high=1) == 0.5
    assert check_in_range(1, name="p", low=0, high=1) == 1.0
    with pytest.raises(RankValueError, match=r"p must be in \(0, 1\]"):
        check_in_range(0.0, name="p", low=0, high=1, low_inclusive=False)
    with pytest.raises(NonFiniteInputError):
        check_in_range(float("nan"), name="p", low=0)
    with pytest.raises(RankTypeError):
        check_in_range("0.5", name="p")


def test_check_choice():
    assert check_choice("sum", name="norm", choices=("sum", "max")) == "sum"
    with pytest.raises(RankValueError, match="norm must be one of 'sum', 'max'; got 'avg'"):
        check_choice("avg", name="norm", choices=("sum", "max"))


def test_check_finite_reports_first_bad_index():
    check_finite(np.array([1.0, np.inf]), name="x", allow_inf=True)
    with pytest.raises(NonFiniteInputError, match="index 2") as info:
        check_finite(np.array([1.0, 2.0, np.nan]), name="x")
    assert isinstance(info.value, ValueError)
    with pytest.raises(NonFiniteInputError, match=r"\(1, 0\)"):
        check_finite(np.array([[1.0], [np.inf]]), name="x")


def test_as_array_coerces_and_validates():
    out = as_array([[1, 2], [3, 4]], name="m", ndim=2)
    assert out.dtype == np.float64
    assert out.flags.c_contiguous
    assert as_array([1.0, 2.0], name="labels", dtype=np.int64).dtype == np.int64
    with pytest.raises(RankValueError, match="integers"):
        as_array([1.5], name="labels", dtype=np.int64)
    with pytest.raises(ShapeMismatchError, match="2-dimensional"):
        as_array([1.0], name="m", ndim=2)
    with pytest.raises(RankTypeError):
        as_array(["a"], name="m")
    with pytest.raises(RankTypeError):
        as_array([True, False], name="m")
    with pytest.raises(RankTypeError):
        as_array([[1.0], [1.0, 2.0]], name="m")
    with pytest.raises(NonFiniteInputError):
        as_array([np.inf], name="m")
    assert as_array([np.inf], name="m", finite="allow_inf")[0] == np.inf
    assert as_array([np.nan], name="m", finite=False).size == 1


def test_check_same_length():
    assert check_same_length(a=[1, 2], b=np.zeros(2)) == 2
    with pytest.raises(ShapeMismatchError, match="a has 2, b has 3"):
        check_same_length(a=[1, 2], b=[1, 2, 3])


def test_as_id_array():
    assert as_id_array(["a", "b"], name="ids").tolist() == ["a", "b"]
    assert as_id_array([3, 10], name="ids").tolist() == ["3", "10"]
    assert as_id_array(np.array(["x"], dtype=object), name="ids").tolist() == ["x"]
    assert as_id_array([], name="ids").size == 0
    for bad in ([1.0], [None], [b"a"], ["a", 1.5]):
        with pytest.raises(RankTypeError):
            as_id_array(bad, name="doc_ids")
    with pytest.raises(RankValueError, match="empty ids; found one at index 1"):
        as_id_array(["a", ""], name="doc_ids")
    with pytest.raises(ShapeMismatchError):
        as_id_array(np.array([["a"]]), name="doc_ids")
