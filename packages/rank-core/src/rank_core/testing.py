"""Test helpers shared by the rank-* packages' test suites."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import re
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["check_installed_package", "raises_exactly", "shared_data_dir"]

# PEP 440, appendix B: the canonical public version format.
_CANONICAL_VERSION = re.compile(
    r"([1-9][0-9]*!)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?"
)


def check_installed_package(package: ModuleType, distribution: str) -> None:
    """Assert that an installed rank-* package is consistent with its distribution.

    Checks that ``__version__`` is exported and canonical PEP 440, equals the version in the
    installed metadata (so the tests run against an install, not a stray source tree), that
    ``__all__`` names only existing attributes, and that ``py.typed`` ships.
    """
    version = package.__version__
    assert "__version__" in package.__all__, f"{package.__name__}.__all__ lacks __version__"
    assert _CANONICAL_VERSION.fullmatch(version), f"{version!r} is not a canonical PEP 440 version"
    installed = importlib.metadata.version(distribution)
    assert installed == version, f"installed {distribution} is {installed}, the module says {version}"
    missing = [name for name in package.__all__ if not hasattr(package, name)]
    assert not missing, f"{package.__name__}.__all__ names missing attributes: {missing}"
    assert files(package.__name__).joinpath("py.typed").is_file(), f"{package.__name__} lacks py.typed"


def shared_data_dir(name: str, *, tests_dir: str | os.PathLike[str]) -> Path:
    """``shared/data/<name>`` beside the checkout holding ``tests_dir`` (a ``packages/*/tests``).

    ``RANK_SHARED_DATA`` overrides the data folder. When it is missing the calling test is
    skipped, or fails if ``RANK_REQUIRE_SHARED_DATA`` is set (``scripts/test.sh`` sets it, so a
    lost data folder can never pass silently as skips).
    """
    import pytest  # only test suites call this

    default = Path(tests_dir).resolve().parents[3] / "shared" / "data"
    path = Path(os.environ.get("RANK_SHARED_DATA") or default) / name
    if not path.is_dir():
        message = f"shared data not found at {path} (set RANK_SHARED_DATA)"
        if os.environ.get("RANK_REQUIRE_SHARED_DATA"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextlib.contextmanager
def raises_exactly(
    error: type[Exception], builtin: type[Exception], match: str | None = None
) -> Iterator[Any]:
    """``pytest.raises`` that also checks the class is exactly ``error`` and a ``builtin``
    (DESIGN.md section 7: every bad input asserts the exact error class and its builtin base)."""
    import pytest  # test-only: rank-core does not depend on pytest

    assert issubclass(error, builtin), f"{error.__name__} is not a {builtin.__name__}"
    with pytest.raises(error, match=match) as info:
        yield info
    assert type(info.value) is error, f"got {type(info.value).__name__}, not exactly {error.__name__}"
