"""optimize_weights without the ``[optimize]`` extra: the module imports, the grid helpers work,
and calling it raises OptionalDependencyError with the install hint (runs in the isolation env,
where rank-eval is not installed, as well as with the extra)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from rank_core import OptionalDependencyError, RankValueError
from rank_fusion.optimize import grid_size, optimize_weights, simplex_grid

QRELS = {"q1": {"a": 1, "b": 0}}
RUNS = [{"q1": {"a": 2.0, "b": 1.0}}, {"q1": {"a": 1.0, "b": 2.0}}]


def test_grid_helpers_validate() -> None:
    with pytest.raises(RankValueError, match="step must divide 1"):
        grid_size(3, 0.3)
    with pytest.raises(RankValueError, match="n_runs must be >= 1"):
        list(simplex_grid(0, 0.1))
    assert grid_size(3, 0.05) == math.comb(22, 2)


def test_without_rank_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rank_eval", None)  # import rank_eval now fails
    with pytest.raises(OptionalDependencyError, match=r'pip install "rank-fusion\[optimize\]"') as info:
        optimize_weights(QRELS, RUNS, show_progress=False)
    assert isinstance(info.value, ImportError)
    assert info.value.install_hint == 'pip install "rank-fusion[optimize]"'


def test_module_imports_without_rank_eval() -> None:
    code = (
        "import sys; sys.modules['rank_eval'] = None\n"
        "import rank_fusion.optimize as o\n"
        "assert callable(o.optimize_weights) and o.grid_size(3, 0.1) == 66\n"
        "try:\n"
        "    o.optimize_weights({}, [{}, {}])\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e.install_hint)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'OptionalDependencyError pip install "rank-fusion[optimize]"'
    plain = subprocess.run(
        [sys.executable, "-c", "import sys, rank_fusion.optimize; print('rank_eval' in sys.modules)"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert plain.stdout.strip() == "False"  # rank-eval is imported only when optimize_weights runs
