"""tqdm progress bars that stay quiet on small jobs unless asked for."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm


def progress_bar(show: bool | None, *, total: int, size: int, threshold: int, desc: str, unit: str) -> Any:
    """A tqdm bar over ``total`` steps; ``show=None`` shows it only when ``size >= threshold``."""
    visible = size >= threshold if show is None else bool(show)
    return tqdm(total=total, desc=desc, unit=unit, disable=not visible, leave=False)
