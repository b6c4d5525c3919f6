"""The one error hierarchy shared by every rank-* package.

Every class also derives from the builtin exception a user would naturally catch, so
``except ValueError`` keeps working around rank-* calls.
"""

from __future__ import annotations

import os

__all__ = [
    "NonFiniteInputError",
    "NotFittedError",
    "OptionalDependencyError",
    "ParseError",
    "RankError",
    "RankTypeError",
    "RankValueError",
    "ShapeMismatchError",
]


class RankError(Exception):
    """Base class of every error raised by a rank-* package."""


class RankValueError(RankError, ValueError):
    """An argument has the right type but an unusable value."""


class RankTypeError(RankError, TypeError):
    """An argument has the wrong type."""


class ShapeMismatchError(RankValueError):
    """Arrays that must agree in shape or length do not."""


class NonFiniteInputError(RankValueError):
    """An input holds NaN (or infinity where only finite values make sense)."""


class ParseError(RankValueError):
    """A file could not be parsed.

    ``path`` is the file (or ``None`` for in-memory input) and ``line`` the 1-based physical line
    number (counting blank and comment lines), or ``None`` when the problem is not tied to a line.
    """

    def __init__(
        self, message: str, *, path: str | os.PathLike[str] | None = None, line: int | None = None
    ) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        where = self.path if self.path is not None else "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {message}")


class NotFittedError(RankError, ValueError, AttributeError):
    """A model was used before it was fitted or indexed."""


class OptionalDependencyError(RankError, ImportError):
    """An optional dependency needed by the called feature is not installed.

    ``install_hint`` is the exact command to run, e.g. ``pip install "rank-rerank[onnx]"``.
    """

    def __init__(self, feature: str, *, missing: str, distribution: str, extra: str) -> None:
        self.feature = feature
        self.missing = missing
        self.install_hint = f'pip install "{distribution}[{extra}]"'
        super().__init__(
            f"{feature} needs the optional dependency {missing!r}, which is not installed. "
            f"Install it with: {self.install_hint}",
            name=missing,
        )
