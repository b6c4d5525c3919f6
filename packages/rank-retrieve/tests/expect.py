"""Shared test assertions (imported by the test modules; pytest runs in importlib mode)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest


@contextlib.contextmanager
def raises_exactly(
    error: type[Exception], builtin: type[Exception], match: str | None = None
) -> Iterator[Any]:
    """``pytest.raises`` that also checks the class is exactly ``error`` and a ``builtin``."""
    assert issubclass(error, builtin)
    with pytest.raises(error, match=match) as info:
        yield info
    assert type(info.value) is error, (
        f"got {type(info.value).__name__}, not exactly {error.__name__}"
    )
