"""rank-soft without its ``[torch]`` extra: the package imports and works, and
``rank_soft.torch`` raises OptionalDependencyError with the install hint.

The first two tests need an environment where torch is really absent (the isolation env);
the last one simulates the absence in a fresh interpreter, so it runs everywhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from rank_core.errors import OptionalDependencyError
from rank_core.testing import raises_exactly

HINT = 'pip install "rank-soft[torch]"'
MESSAGE = (
    "rank_soft.torch needs the optional dependency 'torch', which is not installed. "
    f"Install it with: {HINT}"
)

without_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None,
    reason="torch is installed: test_torch.py runs the [torch] extra's tests instead",
)


@without_torch
def test_rank_soft_works_without_torch() -> None:
    import rank_soft

    ranks = rank_soft.soft_rank([[5.0, 1.0, 2.0]], regularization_strength=0.0)
    assert ranks.tolist() == [[3.0, 1.0, 2.0]]
    assert "torch" not in sys.modules


@without_torch
def test_rank_soft_torch_names_the_extra() -> None:
    with raises_exactly(OptionalDependencyError, ImportError, match=re.escape(HINT)) as info:
        import rank_soft.torch  # noqa: F401
    assert str(info.value) == MESSAGE
    assert info.value.install_hint == HINT
    assert info.value.name == "torch"
    assert "rank_soft.torch" not in sys.modules  # a failed import leaves nothing half-made


def test_rank_soft_torch_without_torch_in_a_fresh_interpreter() -> None:
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # import torch now fails, as if it were not installed\n"
        "import rank_soft\n"
        "assert rank_soft.soft_rank([5.0, 1.0, 2.0], 0.0).tolist() == [3.0, 1.0, 2.0]\n"
        "try:\n"
        "    import rank_soft.torch\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__)\n"
        "    print(error.install_hint)\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["OptionalDependencyError", HINT, MESSAGE]
