"""Lazy import of optional dependencies with an actionable error."""

from __future__ import annotations

import importlib
from types import ModuleType

from rank_core.errors import OptionalDependencyError

__all__ = ["require"]


def require(module: str, *, feature: str, distribution: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`OptionalDependencyError` naming the extra to install.

    >>> np = require("numpy", feature="arrays", distribution="rank-core", extra="pandas")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        root = module.partition(".")[0]
        if exc.name is not None and exc.name != root and not exc.name.startswith(root + "."):
            raise  # the module exists but one of *its* imports is broken: show the real cause
        raise OptionalDependencyError(
            feature, missing=root, distribution=distribution, extra=extra
        ) from exc
