"""tqdm progress bars that stay quiet on small jobs unless asked for (DESIGN.md section 6).

rank-core does not depend on tqdm: the packages that show progress (rank-retrieve, rank-rerank,
...) declare it, and it is imported only when a bar is made.
"""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


def progress_bar(show: bool | None, *, total: int, size: int, threshold: int, desc: str, unit: str) -> Any:
    """A tqdm bar over ``total`` steps; ``show=None`` shows it only when ``size >= threshold``."""
    from tqdm.auto import tqdm

    visible = size >= threshold if show is None else bool(show)
    return tqdm(total=total, desc=desc, unit=unit, disable=not visible, leave=False)
