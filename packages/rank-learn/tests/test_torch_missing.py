"""rank-learn without its ``[torch]`` extra: the package imports, and ``rank_learn.torch`` raises
OptionalDependencyError naming the extra to install.

These tests need an environment where torch is really absent (the isolation env) and skip where
it is installed; there test_torch_losses.py runs the extra's tests, including a simulation of
this absence in a fresh interpreter.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from rank_core.errors import OptionalDependencyError
from rank_core.testing import raises_exactly

HINT = 'pip install "rank-learn[torch]"'
MESSAGE = (
    "rank_learn.torch needs the optional dependency 'torch', which is not installed. "
    f"Install it with: {HINT}"
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None,
    reason="torch is installed: test_torch_losses.py runs the [torch] extra's tests instead",
)


def test_rank_learn_imports_without_torch() -> None:
    import rank_learn

    assert isinstance(rank_learn.__version__, str)
    assert "torch" not in sys.modules


def test_rank_learn_torch_names_the_extra() -> None:
    with raises_exactly(OptionalDependencyError, ImportError, match=re.escape(HINT)) as info:
        import rank_learn.torch  # noqa: F401
    assert str(info.value) == MESSAGE
    assert info.value.install_hint == HINT
    assert info.value.name == "torch"
    assert "rank_learn.torch" not in sys.modules  # a failed import leaves nothing half-made


def test_using_a_loss_without_torch_names_the_extra() -> None:
    with raises_exactly(OptionalDependencyError, ImportError, match=re.escape(HINT)):
        from rank_learn.torch import lambdaloss  # noqa: F401
    with raises_exactly(OptionalDependencyError, ImportError, match=re.escape(HINT)):
        from rank_learn.torch.losses import ranknet_loss  # noqa: F401
