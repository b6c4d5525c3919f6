"""Plot a :class:`~rank_eval.compare.Comparison` to a PNG (the ``rank-eval[plot]`` extra).

matplotlib is imported on first use through :func:`rank_core.optional.require`; without it the
call raises :class:`~rank_core.errors.OptionalDependencyError` naming
``pip install "rank-eval[plot]"``. Only the object-oriented API is used (``Figure`` and its
Agg canvas): no pyplot, no global backend or state is touched.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rank_core import RankValueError
from rank_core.io_trec import atomic_binary_writer
from rank_core.optional import require
from rank_core.validation import check_choice
from rank_eval.evaluate import evaluate

if TYPE_CHECKING:
    from rank_eval.compare import Comparison

__all__ = ["interpolated_precision_recall", "plot_comparison"]

_POSITIVE = "#2a9d8f"
_NEGATIVE = "#e76f51"


def interpolated_precision_recall(report: Comparison) -> tuple[np.ndarray, np.ndarray]:
    """``(recall levels, precision)``: trec_eval's 11-point interpolated precision
    (``iprec_at_recall``) of each system, averaged over the report's queries; precision has shape
    ``(n_systems, 11)``."""
    if report._qrels is None or len(report._runs) != len(report.systems):
        raise RankValueError("this Comparison does not hold its runs (it was not made by compare())")
    curves = []
    levels: list[float] = []
    for run in report._runs:
        evaluation = evaluate(
            report._qrels, run, ["iprec_at_recall"], relevance_level=report.relevance_level,
            complete=report.queries == "qrels",
        )
        position = {q: i for i, q in enumerate(evaluation.query_ids.tolist())}
        take = np.array([position[q] for q in report.query_ids.tolist()], dtype=np.int64)
        levels = [float(name.rsplit("_", 1)[1]) for name in evaluation.measures]
        curves.append([float(np.mean(evaluation.per_query[name][take])) for name in evaluation.measures])
    return np.array(levels), np.array(curves)


def plot_comparison(
    report: Comparison,
    path: str | os.PathLike[str],
    *,
    metric: str | None = None,
    baseline: str | None = None,
    dpi: int = 120,
) -> Path:
    """Write a PNG to ``path``: for every system other than ``baseline`` (default: the first), a
    bar per query of its difference with the baseline on ``metric`` (default: the first),
    sorted, and beside them the systems' interpolated precision-recall curves.

    The file is written to a temporary file in the same folder and renamed into place, so an
    existing file is never left half-written. Returns the path.
    """
    require("matplotlib", feature="Comparison.plot", distribution="rank-eval", extra="plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    metric = report.metrics[0] if metric is None else check_choice(metric, name="metric", choices=report.metrics)
    baseline = report.systems[0] if baseline is None else check_choice(baseline, name="baseline", choices=report.systems)
    others = [s for s in report.systems if s != baseline]
    scores = report.per_query[metric]
    base = scores[report.systems.index(baseline)]

    rows = len(others)
    figure = Figure(figsize=(12, max(3.5, 2.6 * rows)), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows, 2, width_ratios=(2, 1))
    for row, system in enumerate(others):
        axes = figure.add_subplot(grid[row, 0])
        difference = np.sort(scores[report.systems.index(system)] - base)[::-1]
        axes.bar(np.arange(difference.size), difference, width=0.85,
                 color=np.where(difference >= 0, _POSITIVE, _NEGATIVE))
        axes.axhline(0.0, color="black", linewidth=0.8)
        item = report.pair(system, baseline, metric)
        axes.set_title(
            f"{system} - {baseline}: mean {item.difference:+.4f}, p = {item.p_value:.3g}"
            + (" (significant)" if item.significant else ""),
            fontsize=10,
        )
        axes.set_ylabel(f"{metric} difference")
        axes.set_xlim(-0.5, difference.size - 0.5)
        axes.set_xticks([])
        if row == rows - 1:
            axes.set_xlabel(f"queries, sorted by difference ({difference.size})")

    levels, curves = interpolated_precision_recall(report)
    axes = figure.add_subplot(grid[:, 1])
    for system, curve in zip(report.systems, curves, strict=True):
        axes.plot(levels, curve, marker="o", markersize=3, label=system)
    axes.set_xlabel("recall")
    axes.set_ylabel("interpolated precision")
    axes.set_xlim(0.0, 1.0)
    axes.set_ylim(0.0, 1.02)
    axes.set_title("interpolated precision-recall (mean over queries)", fontsize=10)
    axes.legend(fontsize=8)
    axes.grid(alpha=0.3)

    with atomic_binary_writer(path) as out:
        figure.savefig(out, format="png", dpi=dpi)
    return Path(path)
