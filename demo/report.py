"""Tables, the Markdown report and the plots of a :class:`~demo.pipeline.PipelineResult`.

Every table is Markdown (pipes and a rule under the header), which reads as well in a terminal
as in ``report.md``. Statements in the "Findings" section are generated from the measured
numbers and the significance tests only.
"""

from __future__ import annotations

import datetime
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from demo.pipeline import METRICS, STAGES, PipelineResult, Skipped, System, versions
from rank_core import OptionalDependencyError
from rank_core.io_trec import atomic_binary_writer, atomic_writer

if TYPE_CHECKING:
    from rank_eval import PairComparison

__all__ = [
    "findings",
    "format_tables",
    "markdown_table",
    "plot_pipeline",
    "write_markdown",
    "write_plots",
]

_STAGE_TITLES = {
    "first stage": "Stage 1: first-stage retrieval (top 1000 per query)",
    "fusion": "Stage 2: fusion of the first-stage runs (top 1000)",
    "rerank": "Stage 3: reranking the top 100",
}
_BETTER, _WORSE = "▲", "▼"
_STAGE_COLOURS = {"first stage": "#457b9d", "fusion": "#e9c46a", "rerank": "#2a9d8f"}
_POSITIVE, _NEGATIVE = "#2a9d8f", "#e76f51"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | None = None) -> str:
    """A Markdown table with padded columns; ``align`` holds one ``l`` or ``r`` per column
    (default: the first column left, the others right)."""
    align = align or "l" + "r" * (len(headers) - 1)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(cell).rjust(width) if side == "r" else str(cell).ljust(width)
            for cell, width, side in zip(cells, widths, align, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (width + 1) + ":" if side == "r" else "-" * (width + 2) for width, side in zip(widths, align, strict=True)
    ) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _vs_baseline(result: PipelineResult, name: str, measure: str) -> PairComparison:
    return result.comparison.pair(name, result.baseline, measure)


def _mark(result: PipelineResult, name: str, measure: str) -> str:
    """▲ / ▼ when ``name`` is significantly better / worse than the baseline (corrected p)."""
    if name == result.baseline:
        return ""
    pair = _vs_baseline(result, name, measure)
    if not pair.significant or pair.difference == 0:
        return ""
    return _BETTER if pair.difference > 0 else _WORSE


def _system_row(result: PipelineResult, system: System, *, reference: bool = False) -> list[str]:
    means = result.means(system.name)
    cells = [f"{system.name} (baseline)" if reference else system.name]
    for label, measure in METRICS.items():
        mark = _mark(result, system.name, measure)
        cells.append(f"{means[label]:.4f}{' ' + mark if mark else '  '}")
    if reference:
        cells += ["", "(stage 1)"]
    else:
        cells += [f"{system.seconds:.2f}", system.timing]
    return cells


def stage_table(result: PipelineResult, stage: str) -> str:
    """One stage's systems (and the baseline for reference) with their means and times."""
    systems = result.stage(stage)
    rows = []
    if stage != "first stage":
        rows.append(_system_row(result, result.system(result.baseline), reference=True))
    rows += [_system_row(result, system) for system in systems]
    return markdown_table(["system", *METRICS, "time (s)", "what was timed"], rows, align="lrrrrrrl")


def significance_table(result: PipelineResult) -> str:
    """Each system against the baseline: mean difference and Holm-corrected p-value per metric."""
    rows = []
    for system in result.systems:
        if system.name == result.baseline:
            continue
        cells = [system.name]
        for measure in METRICS.values():
            pair = _vs_baseline(result, system.name, measure)
            mark = _mark(result, system.name, measure)
            cells.append(f"{pair.difference:+.4f} (p {_p(pair.p_value)}){' ' + mark if mark else ''}")
        rows.append(cells)
    return markdown_table([f"vs {result.baseline}", *METRICS], rows)


def _p(value: float) -> str:
    return "< 0.0001" if value < 1e-4 else f"{value:.4f}"


def _caption(result: PipelineResult) -> str:
    n_pairs = len(result.comparison.pairs) // len(METRICS)
    test = {"t-test": "paired t-test", "fisher": "Fisher randomisation test (10,000 trials)",
            "wilcoxon": "Wilcoxon signed-rank test", "bootstrap": "paired bootstrap test (10,000 trials)"}[result.test]
    return (
        f"{result.n_queries} queries, {result.n_docs} documents. {_BETTER} / {_WORSE}: significantly better / "
        f"worse than {result.baseline} ({test}, Holm correction over the {n_pairs} pairs of systems of each "
        f"metric, p <= 0.05)."
    )


def parity_table(result: PipelineResult) -> str:
    rows = [
        [
            row.system, f"{row.ndcg_rank_retrieve:.4f}", f"{row.ndcg_bm25s:.4f}",
            f"{row.ndcg_rank_retrieve - row.ndcg_bm25s:+.1e}", f"{row.max_score_difference:.1e}",
            f"{row.same_top10} / {row.queries}", f"{row.seconds_rank_retrieve:.2f}", f"{row.seconds_bm25s:.2f}",
        ]
        for row in result.parity
    ]
    headers = ["system", "nDCG@10 rank-retrieve", "nDCG@10 bm25s", "difference", "max |score diff|",
               "same top-10 set", "rank-retrieve s", "bm25s s"]
    return markdown_table(headers, rows)


def timings_table(result: PipelineResult) -> str:
    rows = [[step, f"{seconds:.2f}"] for step, seconds in result.timings.items()]
    rows.append(["total", f"{sum(result.timings.values()):.2f}"])
    return markdown_table(["step", "wall-clock (s)"], rows)


def findings(result: PipelineResult) -> list[str]:
    """Plain statements read off the tables: which system is best at each stage and whether the
    difference with what it builds on is significant."""
    ndcg = METRICS["nDCG@10"]
    lines = []

    def best(systems: Sequence[System]) -> System:
        return max(systems, key=lambda s: result.comparison.mean(s.name, ndcg))

    def versus(a: str, b: str) -> str:
        pair = result.comparison.pair(a, b, ndcg)
        verdict = "significant" if pair.significant else "not significant"
        return f"{pair.difference:+.4f} nDCG@10 ({verdict}, Holm-corrected p {_p(pair.p_value)})"

    def verdict(a: str, b: str, gain: str) -> str:
        pair = result.comparison.pair(a, b, ndcg)
        if not pair.significant:
            return f"no significant {gain} here"
        return f"a significant {gain}" if pair.difference > 0 else f"significantly worse: no {gain}"

    first = result.stage("first stage")
    top_first = best(first)
    if top_first.name == result.baseline:
        lines.append(f"The baseline {result.baseline} is the best first-stage system on nDCG@10.")
    else:
        lines.append(f"Best first stage: {top_first.name}, {versus(top_first.name, result.baseline)} against "
                     f"{result.baseline}.")
    fused = result.stage("fusion")
    if fused:
        top_fused = best(fused)
        lines.append(f"Best fusion: {top_fused.name}, {versus(top_fused.name, top_first.name)} against the best "
                     f"single run {top_first.name}: {verdict(top_fused.name, top_first.name, 'gain from fusion')}.")
    for system in result.stage("rerank"):
        source = system.name.split("+", 1)[0]
        if source in {s.name for s in result.systems}:
            lines.append(f"{system.name} against the run it reranks ({source}): {versus(system.name, source)}: "
                         f"{verdict(system.name, source, 'gain from reranking')}.")
    return lines


def format_tables(result: PipelineResult) -> str:
    """The tables the command line prints: one per stage, significance, parity, timings, skipped."""
    parts = []
    for stage in STAGES:
        if result.stage(stage):
            seconds = sum(s.seconds for s in result.stage(stage))
            parts.append(f"## {_STAGE_TITLES[stage]}, {seconds:.2f} s\n\n{stage_table(result, stage)}")
    parts.append(_caption(result))
    parts.append(f"## Significance against {result.baseline}: difference of means (Holm-corrected p)\n\n"
                 f"{significance_table(result)}")
    parts.append("## Findings\n\n" + "\n".join(f"- {line}" for line in findings(result)))
    if result.parity:
        parts.append("## BM25 against bm25s on the same tokens (nDCG@10 and scores)\n\n" + parity_table(result))
    parts.append("## Timings\n\n" + timings_table(result))
    if result.notes:
        parts.append("## Notes\n\n" + "\n".join(f"- {note}" for note in result.notes))
    if result.skipped:
        parts.append("## Skipped\n\n" + "\n".join(_skipped_line(item) for item in result.skipped))
    return "\n\n".join(parts)


def _skipped_line(item: Skipped) -> str:
    return f"- {item.what}: {item.why}. To enable: {item.enable}"


def write_markdown(result: PipelineResult, path: Path) -> None:
    """``report.md``: the printed tables, the full pairwise comparison, the setup and the plots."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    setup = ", ".join(f"{name} {version}" for name, version in versions().items())
    systems = "\n".join(f"- `{s.name}` ({s.stage}): {s.description}" for s in result.systems)
    images = "\n".join(f"![{p.stem}]({p.name})" for p in result.files if p.suffix == ".png")
    text = f"""# rank-* pipeline on Cranfield

Generated by `bash scripts/demo.sh` on {stamp}: {platform.machine()}, {os.cpu_count()} CPUs, {setup}.

Cranfield: {result.n_docs} aeronautics abstracts (title + abstract), {result.n_queries} queries,
graded judgments (codes 1..4 -> labels 4..1, -1 -> 0). Measures by rank-eval with trec_eval's
semantics: nDCG@10 (`ndcg_cut_10`, graded), MAP, P@10, R@100 (`recall_100`), MRR (`recip_rank`);
every query of the judgments is evaluated.

## Systems

{systems}

{format_tables(result)}

## Every pair of systems (rank-eval `compare`)

A letter after a mean: significantly better than that system.

{result.comparison.to_markdown()}

## Plots

{images or "(no plots: see Skipped)"}
"""
    with atomic_writer(path) as out:
        out.write(text)


# -------------------------------------------------------------------------------------- plots


def write_plots(result: PipelineResult) -> tuple[list[Path], list[Skipped]]:
    """``pipeline.png`` (per-stage metric bars and per-query nDCG@10 differences) and rank-eval's
    ``comparison.png``; without matplotlib both are skipped with the install command."""
    try:
        pipeline = plot_pipeline(result, result.out_dir / "pipeline.png")
        comparison = result.comparison.plot(
            result.out_dir / "comparison.png", metric=METRICS["nDCG@10"], baseline=result.baseline
        )
    except OptionalDependencyError as error:
        return [], [Skipped("plots (pipeline.png, comparison.png)", str(error), error.install_hint)]
    return [pipeline, comparison], []


def plot_pipeline(result: PipelineResult, path: Path, *, dpi: int = 110) -> Path:
    """One column per stage: the metric means of its systems (baseline hatched) above, and below
    the per-query nDCG@10 difference of the stage's best system with the baseline, sorted."""
    from rank_core.optional import require

    require("matplotlib", feature="the demo's plots", distribution="rank-eval", extra="plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    stages = [stage for stage in STAGES if result.stage(stage)]
    figure = Figure(figsize=(5.2 * len(stages), 8), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, len(stages), height_ratios=(3, 2))
    ndcg = METRICS["nDCG@10"]
    per_query = result.comparison.per_query[ndcg]
    base = per_query[result.comparison.systems.index(result.baseline)]
    labels = list(METRICS)

    for column, stage in enumerate(stages):
        systems = list(result.stage(stage))
        if stage != "first stage":
            systems.insert(0, result.system(result.baseline))
        axes = figure.add_subplot(grid[0, column])
        width = 0.8 / len(systems)
        for i, system in enumerate(systems):
            means = [result.means(system.name)[label] for label in labels]
            is_base = system.name == result.baseline
            colour = "#bbbbbb" if is_base else _shade(_STAGE_COLOURS[stage], i, len(systems))
            axes.bar(np.arange(len(labels)) + (i - (len(systems) - 1) / 2) * width, means, width=width * 0.95,
                     color=colour, hatch="//" if is_base else None, edgecolor="white" if not is_base else "#777777",
                     label=system.name)
        axes.set_xticks(np.arange(len(labels)), labels)
        axes.set_ylim(0, 1)
        axes.set_title(_STAGE_TITLES[stage].split(": ", 1)[1], fontsize=10)
        axes.legend(fontsize=7, loc="upper left")
        axes.grid(axis="y", alpha=0.3)

        candidates = [s for s in result.stage(stage) if s.name != result.baseline]
        axes = figure.add_subplot(grid[1, column])
        if not candidates:
            axes.set_axis_off()
            continue
        best = max(candidates, key=lambda s: result.comparison.mean(s.name, ndcg))
        difference = np.sort(per_query[result.comparison.systems.index(best.name)] - base)[::-1]
        axes.bar(np.arange(difference.size), difference, width=1.0,
                 color=np.where(difference >= 0, _POSITIVE, _NEGATIVE))
        axes.axhline(0.0, color="black", linewidth=0.8)
        pair = result.comparison.pair(best.name, result.baseline, ndcg)
        axes.set_title(f"{best.name} - {result.baseline}, nDCG@10 per query\nmean {pair.difference:+.4f}, "
                       f"Holm p {_p(pair.p_value)}", fontsize=9)
        axes.set_xlim(-0.5, difference.size - 0.5)
        axes.set_xticks([])
        axes.set_xlabel(f"{difference.size} queries, sorted by difference")
        if column == 0:
            axes.set_ylabel("nDCG@10 difference")
    figure.suptitle(f"rank-* pipeline on Cranfield ({result.n_queries} queries)", fontsize=12)
    with atomic_binary_writer(path) as out:
        figure.savefig(out, format="png", dpi=dpi)
    return path


def _shade(colour: str, index: int, count: int) -> tuple[float, float, float]:
    """``colour`` darkened a little more for each later system of a stage."""
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    factor = 1.0 - 0.45 * (index / max(1, count - 1))
    return tuple(float(c) for c in rgb * factor)
