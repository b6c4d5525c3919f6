from __future__ import annotations

import importlib.metadata
import importlib.resources

import numba
import numpy as np
import pytest

import rank_core
from rank_core import RankTypeError, RankValueError, threads
from rank_core.jit import NAN_SAFE_FASTMATH, kernel


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
    for name in rank_core.__all__:
        assert hasattr(rank_core, name), name
    assert importlib.metadata.version("rank-core") == rank_core.__version__
    assert importlib.resources.files("rank_core").joinpath("py.typed").is_file()


def test_warmup_runs_every_kernel():
    assert rank_core.warmup() >= 0.0
