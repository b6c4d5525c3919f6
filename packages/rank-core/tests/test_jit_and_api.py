from __future__ import annotations

import types

import numba
import numpy as np
import pytest

import rank_core
from rank_core import RankTypeError, RankValueError, threads
from rank_core.jit import NAN_SAFE_FASTMATH, kernel
from rank_core.testing import check_installed_package


def test_threads_context_manager_restores_previous_count():
    before = numba.get_num_threads()
    with threads(1) as n:
        assert n == 1
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with threads(None) as n:
        assert n == before
    with pytest.raises(RuntimeError), threads(1):
        raise RuntimeError
    assert numba.get_num_threads() == before


def test_threads_rejects_bad_counts():
    with pytest.raises(RankValueError) as info, threads(0):
        pass
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankValueError), threads(numba.config.NUMBA_NUM_THREADS + 1):
        pass
    with pytest.raises(RankTypeError) as info, threads(1.5):  # type: ignore[arg-type]
        pass
    assert isinstance(info.value, TypeError)


def test_kernel_defaults(monkeypatch):
    @kernel
    def double(x):
        return 2 * x

    assert double(2.5) == 5.0
    assert double.targetoptions["nogil"] is True
    assert type(double._cache).__name__ == "FunctionCache"
    assert set(double.targetoptions["fastmath"]) == set(NAN_SAFE_FASTMATH)
    monkeypatch.setenv("RANK_NUMBA_CACHE", "0")

    @kernel(parallel=True)
    def uncached(x):
        return x

    assert type(uncached._cache).__name__ == "NullCache"
    assert uncached.targetoptions["parallel"] is True


def test_nan_safe_fastmath_keeps_nan_semantics():
    @kernel
    def count_nan(values):
        count = 0
        for v in values:
            count += v != v
        return count

    assert count_nan(np.array([1.0, np.nan, np.inf, np.nan])) == 2


def test_public_api_and_packaging():
    check_installed_package(rank_core, "rank-core")


def test_check_installed_package_catches_inconsistencies():
    fake = types.ModuleType("rank_core")
    fake.__version__ = "1.0"  # not canonical, and not the installed version
    fake.__all__ = ["__version__"]
    with pytest.raises(AssertionError, match=r"PEP 440|installed"):
        check_installed_package(fake, "rank-core")
    fake.__version__ = rank_core.__version__
    fake.__all__ = ["__version__", "Run"]
    with pytest.raises(AssertionError, match="missing attributes"):
        check_installed_package(fake, "rank-core")


def test_warmup_runs_every_kernel():
    assert rank_core.warmup() >= 0.0
