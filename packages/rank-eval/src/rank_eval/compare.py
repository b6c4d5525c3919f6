"""Compare systems: per-metric means, paired significance tests, effect sizes and intervals.

:func:`compare` evaluates every run on the same queries, tests every pair of systems on every
metric, corrects the p-values for the multiple pairs, and returns a :class:`Comparison` that
renders as text, Markdown, LaTeX or a pandas DataFrame and plots to a PNG (``rank-eval[plot]``).

Conventions (see the package README, "Comparing systems"):

- Queries: by default every qrels query, a query missing from a run scoring 0 (trec_eval's
  ``-c``, ir-measures' and ranx's convention), so that all systems are compared on the same
  queries; ``queries="common"`` keeps only the queries that every run and the qrels have.
- Per pair ``(a, b)`` and metric, ``d_q = x_a[q] - x_b[q]`` over the ``n`` queries.
- ``"t-test"``: paired two-sided Student t, ``t = mean(d) / (sd(d) / sqrt(n))``, ``n - 1``
  degrees of freedom (``scipy.stats.ttest_rel``).
- ``"wilcoxon"``: Wilcoxon signed-rank, zero differences dropped, average ranks for ties;
  exact null distribution when at most 50 differences are left and none are tied, else the
  normal approximation with the tie-corrected variance and no continuity correction
  (``scipy.stats.wilcoxon(zero_method="wilcox", correction=False, method="exact" / "asymptotic")``).
- ``"fisher"``: paired randomisation test: each trial flips the sign of each ``d_q`` with
  probability 1/2; ``p = (count + 1) / (trials + 1)`` where ``count`` is the number of trials
  with ``|sum of signed d| >= |sum of d|``.
- ``"bootstrap"``: paired bootstrap test of the mean difference: each trial resamples ``n``
  queries with replacement; under the null the differences are shifted to mean 0, so a trial
  counts when ``|mean(d*) - mean(d)| >= |mean(d)|``; ``p = (count + 1) / (trials + 1)``.
- Randomised tests draw from a counter-based stream keyed by ``(seed, pair, trial)``
  (:mod:`rank_eval._kernels.significance`): the same seed gives the same p-values whatever the
  number of threads. Ties are judged with a relative tolerance of 1e-10 so that floating-point
  rounding never turns a tie into a miss.
- Corrections (``"holm"``, ``"bonferroni"``, ``"bh"`` = Benjamini-Hochberg) adjust the p-values
  of all pairs of one metric together; a pair is significant when its adjusted ``p <= alpha``.
- Effect size: paired Cohen's d (d_z) = ``mean(d) / sd(d)`` (sd with ``n - 1``).
- Confidence interval for the mean difference at level ``1 - alpha``, not adjusted for
  multiplicity: Student t interval ``mean(d) +- t_{1-alpha/2, n-1} sd(d) / sqrt(n)``, except
  for ``"bootstrap"``: the percentile interval of the trials' ``mean(d*)`` (numpy's default
  linear quantiles).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core import Qrels, RankTypeError, RankValueError, Run
from rank_core.jit import threads as numba_threads
from rank_core.optional import require
from rank_core.validation import check_choice, check_in_range, check_k
from rank_eval._ingest import coerce
from rank_eval._kernels import significance as sig
from rank_eval.evaluate import Evaluation, evaluate, mean_in_order

__all__ = ["Comparison", "Correction", "PairComparison", "QuerySet", "Test", "adjust_p_values", "compare"]

Test = Literal["t-test", "fisher", "wilcoxon", "bootstrap"]
Correction = Literal["holm", "bonferroni", "bh"]
QuerySet = Literal["qrels", "common"]

_TEST_NAMES = {
    "t-test": "paired t-test",
    "fisher": "Fisher randomisation test",
    "wilcoxon": "Wilcoxon signed-rank test",
    "bootstrap": "paired bootstrap test",
}
_CORRECTION_NAMES = {"holm": "Holm", "bonferroni": "Bonferroni", "bh": "Benjamini-Hochberg"}
_SUPERSCRIPTS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyz0123456789", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖᑫʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹"
)
_UINT64_LIMIT = 2**64


@dataclass(frozen=True)
class PairComparison:
    """One metric, one pair of systems: ``a`` versus ``b``, differences taken as ``a - b``.

    ``statistic`` is the test's: ``t`` (t-test), ``min(W+, W-)`` (Wilcoxon) or the mean
    difference (fisher, bootstrap). ``p_value`` is after the correction, ``p_value_uncorrected``
    before; ``significant`` is ``p_value <= alpha``.
    """

    metric: str
    system_a: str
    system_b: str
    mean_a: float
    mean_b: float
    difference: float
    effect_size: float
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    p_value_uncorrected: float
    significant: bool


def _label(index: int) -> str:
    """``a`` .. ``z``, then ``a1`` .. ``z1``, ``a2`` ...: labels that concatenate unambiguously."""
    letter, cycle = chr(ord("a") + index % 26), index // 26
    return letter if cycle == 0 else f"{letter}{cycle}"


@dataclass(frozen=True, eq=False)
class Comparison:
    """The result of :func:`compare`.

    ``per_query[metric]`` is an ``(n_systems, n_queries)`` array aligned with ``systems`` and
    ``query_ids``; ``means[metric]`` the per-system means; ``pairs`` one
    :class:`PairComparison` per metric and unordered pair ``(systems[i], systems[j])``, ``i <
    j``, metric by metric. :meth:`pair` looks one up in either order.
    """

    systems: tuple[str, ...]
    metrics: tuple[str, ...]
    query_ids: NDArray[np.str_]
    per_query: Mapping[str, NDArray[np.float64]]
    means: Mapping[str, NDArray[np.float64]]
    pairs: tuple[PairComparison, ...]
    test: Test
    correction: Correction | None
    alpha: float
    trials: int
    seed: int
    queries: QuerySet
    relevance_level: int = 1
    _qrels: Qrels | None = field(default=None, repr=False)
    _runs: tuple[Run, ...] = field(default=(), repr=False)

    # ------------------------------------------------------------------ lookups

    @property
    def labels(self) -> tuple[str, ...]:
        """The systems' letters in the tables (``a``, ``b``, ...)."""
        return tuple(_label(i) for i in range(len(self.systems)))

    def pair(self, system_a: str, system_b: str, metric: str) -> PairComparison:
        """The comparison of ``system_a`` with ``system_b`` (differences ``a - b``) on ``metric``."""
        for item in self.pairs:
            if item.metric != metric:
                continue
            if (item.system_a, item.system_b) == (system_a, system_b):
                return item
            if (item.system_b, item.system_a) == (system_a, system_b):
                # seen from b: differences, effect, interval (and a t or mean-difference
                # statistic) change sign; Wilcoxon's min(W+, W-) does not
                return replace(
                    item, system_a=item.system_b, system_b=item.system_a, mean_a=item.mean_b,
                    mean_b=item.mean_a, difference=-item.difference, effect_size=-item.effect_size,
                    ci_low=-item.ci_high, ci_high=-item.ci_low,
                    statistic=item.statistic if self.test == "wilcoxon" else -item.statistic,
                )
        known = {"metric": (metric, self.metrics), "system_a": (system_a, self.systems), "system_b": (system_b, self.systems)}
        for name, (value, choices) in known.items():
            check_choice(value, name=name, choices=choices)
        raise RankValueError(f"system_a and system_b must differ, got {system_a!r} twice")

    def mean(self, system: str, metric: str) -> float:
        """Mean of ``metric`` for ``system`` over the compared queries."""
        check_choice(metric, name="metric", choices=self.metrics)
        check_choice(system, name="system", choices=self.systems)
        return float(self.means[metric][self.systems.index(system)])

    def wins(self, system: str, metric: str) -> tuple[str, ...]:
        """The systems that ``system`` beats significantly on ``metric`` (higher mean)."""
        check_choice(metric, name="metric", choices=self.metrics)
        check_choice(system, name="system", choices=self.systems)
        beaten = []
        for other in self.systems:
            if other != system:
                item = self.pair(system, other, metric)
                if item.significant and item.difference > 0:
                    beaten.append(other)
        return tuple(beaten)

    # ------------------------------------------------------------------ rendering

    def _marks(self, system: str, metric: str) -> str:
        return "".join(_label(self.systems.index(other)) for other in self.wins(system, metric))

    def _caption(self) -> str:
        correction = (
            "no correction" if self.correction is None
            else f"{_CORRECTION_NAMES[self.correction]} correction over the pairs of each metric"
        )
        trials = f", {self.trials} trials, seed {self.seed}" if self.test in ("fisher", "bootstrap") else ""
        where = "every qrels query, missing = 0" if self.queries == "qrels" else "queries common to all runs"
        return (
            f"{_TEST_NAMES[self.test]}{trials}, {correction}, p <= {self.alpha:g}; "
            f"{self.query_ids.size} queries ({where})"
        )

    def _mean_rows(self, digits: int) -> list[list[tuple[str, bool, str]]]:
        """Per system and metric: (formatted mean, is best, marks)."""
        rows = []
        for i, system in enumerate(self.systems):
            row = []
            for metric in self.metrics:
                values = self.means[metric]
                row.append((f"{values[i]:.{digits}f}", bool(values[i] == values.max()), self._marks(system, metric)))
            rows.append(row)
        return rows

    def _pair_rows(self, digits: int) -> tuple[list[str], list[list[str]]]:
        header = ["metric", "A", "B", "mean A", "mean B", "A - B", "effect (d_z)",
                  f"{1 - self.alpha:.0%} CI", "statistic", "p"]
        if self.correction is not None:
            header.append("p (uncorrected)")
        header.append("significant")
        rows = []
        for item in self.pairs:
            row = [
                item.metric, item.system_a, item.system_b, f"{item.mean_a:.{digits}f}",
                f"{item.mean_b:.{digits}f}", f"{item.difference:+.{digits}f}", f"{item.effect_size:+.3f}",
                f"[{item.ci_low:+.{digits}f}, {item.ci_high:+.{digits}f}]", f"{item.statistic:.4g}",
                f"{item.p_value:.4g}",
            ]
            if self.correction is not None:
                row.append(f"{item.p_value_uncorrected:.4g}")
            row.append("yes" if item.significant else "no")
            rows.append(row)
        return header, rows

    def to_text(self, *, digits: int = 4, pairs: bool = False) -> str:
        """A plain-text table: the mean of each system on each metric, followed by the letters
        (as Unicode superscripts) of the systems it is significantly better than."""
        header = ["#", "system", *self.metrics]
        body = [
            [label, system] + [value + marks.translate(_SUPERSCRIPTS) for value, _, marks in row]
            for label, system, row in zip(self.labels, self.systems, self._mean_rows(digits), strict=True)
        ]
        lines = _aligned([header, *body], right_from=2)
        lines.append("")
        lines.append(f"superscript x: significantly better than system x ({self._caption()})")
        if pairs:
            pair_header, pair_rows = self._pair_rows(digits)
            lines.append("")
            lines.extend(_aligned([pair_header, *pair_rows], right_from=3))
        return "\n".join(lines) + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self, *, digits: int = 4, pairs: bool = False) -> str:
        """A Markdown table of means (best in bold) with ``<sup>`` marks of significant wins."""

        def cell(value: str, best: bool, marks: str) -> str:
            text = f"**{value}**" if best else value
            return text + (f"<sup>{marks}</sup>" if marks else "")

        lines = [
            "| # | System | " + " | ".join(_md_escape(m) for m in self.metrics) + " |",
            "|:--|:--|" + "--:|" * len(self.metrics),
        ]
        for label, system, row in zip(self.labels, self.systems, self._mean_rows(digits), strict=True):
            lines.append(f"| {label} | {_md_escape(system)} | " + " | ".join(cell(*c) for c in row) + " |")
        lines.append("")
        lines.append(f"<sup>x</sup>: significantly better than system x ({_md_escape(self._caption())}).")
        if pairs:
            pair_header, pair_rows = self._pair_rows(digits)
            lines.append("")
            lines.append("| " + " | ".join(pair_header) + " |")
            lines.append("|:--|:--|:--|" + "--:|" * (len(pair_header) - 3))
            lines.extend("| " + " | ".join(_md_escape(c) for c in row) + " |" for row in pair_rows)
        return "\n".join(lines) + "\n"

    def to_latex(self, *, digits: int = 4, pairs: bool = False) -> str:
        """A LaTeX ``table`` (booktabs) of means, best in bold, ``\\textsuperscript`` marks."""

        def cell(value: str, best: bool, marks: str) -> str:
            text = f"\\textbf{{{value}}}" if best else value
            return text + (f"\\textsuperscript{{{marks}}}" if marks else "")

        lines = [
            "\\begin{table}",
            "\\centering",
            "\\begin{tabular}{ll" + "r" * len(self.metrics) + "}",
            "\\toprule",
            " & System & " + " & ".join(_tex_escape(m) for m in self.metrics) + " \\\\",
            "\\midrule",
        ]
        for label, system, row in zip(self.labels, self.systems, self._mean_rows(digits), strict=True):
            lines.append(f"{label} & {_tex_escape(system)} & " + " & ".join(cell(*c) for c in row) + " \\\\")
        lines += ["\\bottomrule", "\\end{tabular}"]
        if pairs:
            pair_header, pair_rows = self._pair_rows(digits)
            lines += [
                "",
                "\\medskip",
                "\\begin{tabular}{lll" + "r" * (len(pair_header) - 3) + "}",
                "\\toprule",
                " & ".join(_tex_escape(h) for h in pair_header) + " \\\\",
                "\\midrule",
                *(" & ".join(_tex_escape(c) for c in row) + " \\\\" for row in pair_rows),
                "\\bottomrule",
                "\\end{tabular}",
            ]
        caption = _tex_escape(self._caption()).replace("<=", "$\\leq$")  # "<" is not text in LaTeX
        lines += [
            f"\\caption{{Superscripts: significantly better than that system "
            f"({caption}).}}",
            "\\end{table}",
        ]
        return "\n".join(lines) + "\n"

    def to_pandas(self, kind: Literal["pairs", "means"] = "pairs") -> Any:
        """A ``pandas.DataFrame`` (needs pandas): one row per metric and pair (``"pairs"``), or
        one row per system and one column per metric (``"means"``)."""
        pandas = require("pandas", feature="Comparison.to_pandas", distribution="rank-core", extra="pandas")
        check_choice(kind, name="kind", choices=("pairs", "means"))
        if kind == "means":
            frame = pandas.DataFrame({metric: np.array(self.means[metric]) for metric in self.metrics},
                                     index=pandas.Index(list(self.systems), name="system"))
            return frame
        columns = [f.name for f in PairComparison.__dataclass_fields__.values()]
        return pandas.DataFrame([[getattr(item, c) for c in columns] for item in self.pairs], columns=columns)

    def plot(self, path: str | os.PathLike[str], *, metric: str | None = None, baseline: str | None = None,
             dpi: int = 120) -> Path:
        """Draw per-query differences against ``baseline`` and interpolated precision-recall
        curves to a PNG at ``path`` (needs ``rank-eval[plot]``); see :func:`rank_eval.plot.plot_comparison`."""
        from rank_eval.plot import plot_comparison

        return plot_comparison(self, path, metric=metric, baseline=baseline, dpi=dpi)


# ---------------------------------------------------------------------- rendering helpers


def _aligned(rows: list[list[str]], *, right_from: int) -> list[str]:
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[c]) if c >= right_from else cell.ljust(widths[c]) for c, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


_TEX_SPECIAL = {
    "\\": "\\textbackslash{}", "&": "\\&", "%": "\\%", "$": "\\$", "#": "\\#", "_": "\\_",
    "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}", "^": "\\textasciicircum{}",
}


def _tex_escape(text: str) -> str:
    return "".join(_TEX_SPECIAL.get(char, char) for char in text)


# ---------------------------------------------------------------------- corrections


def adjust_p_values(p_values: Any, method: Correction | None) -> NDArray[np.float64]:
    """Multiple-comparison adjusted p-values, in the input order.

    ``"bonferroni"``: ``min(1, m p)``. ``"holm"`` (step-down): the i-th smallest becomes
    ``max_{k <= i} min(1, (m - k + 1) p_(k))``. ``"bh"`` (Benjamini-Hochberg step-up, false
    discovery rate): ``min_{k >= i} min(1, m p_(k) / k)``. ``None`` returns the p-values.
    Same values as ``statsmodels.stats.multitest.multipletests`` (``bonferroni``, ``holm``,
    ``fdr_bh``).
    """
    if method is not None:
        check_choice(method, name="correction", choices=get_args(Correction))
    p = np.asarray(p_values, dtype=np.float64).ravel()
    m = p.size
    if method is None or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    if method == "holm":
        adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * ranked))
    else:
        adjusted = np.minimum(1.0, np.minimum.accumulate((m * ranked / np.arange(1, m + 1))[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return out


# ---------------------------------------------------------------------- inputs


def _as_run(value: Any, name: str) -> Run:
    if isinstance(value, Run):
        return value
    if isinstance(value, Mapping):
        return Run.from_dict(value, name=name)
    if isinstance(value, (str, os.PathLike)):
        return Run.from_trec(value)
    if hasattr(value, "columns"):
        return Run.from_pandas(value, name=name)
    raise RankTypeError(
        f"run {name!r} must be a Run, a {{qid: {{doc: score}}}} dict, a DataFrame or a TREC file path; "
        f"got {type(value).__name__}"
    )


def _named_runs(runs: Any) -> list[tuple[str, Run]]:
    """``[(name, run)]`` from a ``{name: run}`` mapping or a sequence of runs / run files."""
    if isinstance(runs, Mapping):
        items = list(runs.items())
        for name, _ in items:
            if not isinstance(name, str) or not name:
                raise RankTypeError(f"run names must be non-empty strings, got {name!r}")
        named = [(name, _as_run(run, name)) for name, run in items]
    elif isinstance(runs, Sequence) and not isinstance(runs, (str, bytes)):
        named = []
        for position, run in enumerate(runs):
            if isinstance(run, Run):
                if not run.name:
                    raise RankValueError(
                        f"runs[{position}] has no name: pass runs as a mapping {{name: run}} or give each Run a name"
                    )
                named.append((run.name, run))
            elif isinstance(run, (str, os.PathLike)):
                named.append((Path(run).name, Run.from_trec(run)))
            else:
                raise RankTypeError(
                    f"runs[{position}] is a {type(run).__name__}: a sequence of runs holds named Run objects "
                    "or TREC run files; pass other inputs as a mapping {name: run}"
                )
    else:
        raise RankTypeError(f"runs must be a mapping {{name: run}} or a sequence of runs, got {type(runs).__name__}")
    if len(named) < 2:
        raise RankValueError(f"compare needs at least 2 runs, got {len(named)}")
    seen: dict[str, int] = {}
    for position, (name, _) in enumerate(named):
        if name in seen:
            raise RankValueError(f"duplicate run name {name!r} (runs {seen[name]} and {position}): names must be unique")
        seen[name] = position
    return named


def _metric_list(metrics: Any) -> list[str]:
    requested = [metrics] if isinstance(metrics, str) else list(metrics) if isinstance(metrics, Sequence) else None
    if requested is None:
        raise RankTypeError(f"metrics must be a measure name or a sequence of names, got {type(metrics).__name__}")
    if not requested:
        raise RankValueError("metrics must name at least one measure")
    for name in requested:
        if not isinstance(name, str):
            raise RankTypeError(f"metric names must be strings, got {type(name).__name__} {name!r}")
    return requested


def _in_requested_order(names: Sequence[str], requested: list[str]) -> tuple[str, ...]:
    """``evaluate``'s names (trec_eval's order) in the order they were asked for: a name asked
    for as such takes its request's place; the names that a family or parameter spec expanded
    to (``P.5,10`` -> ``P_5``, ``P_10``) take the place of the first such spec, in trec_eval's order."""
    expanded_at = next((i for i, r in enumerate(requested) if r not in names), len(requested))
    place = {name: requested.index(name) if name in requested else expanded_at for name in names}
    return tuple(sorted(names, key=place.__getitem__))  # stable: ties keep trec_eval's order


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise RankTypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < _UINT64_LIMIT:
        raise RankValueError(f"seed must be in [0, 2**64), got {seed}")
    return int(seed)


def _aligned_scores(evaluations: list[Evaluation], names: tuple[str, ...]) -> tuple[NDArray[np.str_], NDArray[np.float64]]:
    """Query ids common to every evaluation (first one's order) and the ``(n_metrics, n_systems,
    n_queries)`` scores on them."""
    common = set(evaluations[0].query_ids.tolist())
    for evaluation in evaluations[1:]:
        common &= set(evaluation.query_ids.tolist())
    query_ids = np.array([q for q in evaluations[0].query_ids.tolist() if q in common], dtype=str)
    scores = np.empty((len(names), len(evaluations), query_ids.size))
    for s, evaluation in enumerate(evaluations):
        position = {q: i for i, q in enumerate(evaluation.query_ids.tolist())}
        take = np.array([position[q] for q in query_ids.tolist()], dtype=np.int64)
        for m, name in enumerate(names):
            scores[m, s] = np.asarray(evaluation.per_query[name], dtype=np.float64)[take]
    return query_ids, scores


def _chunks(trials: int, n_pairs: int) -> int:
    """Chunks of trials per pair so that there are a few parallel tasks per thread (the chunking
    does not change any result)."""
    return max(1, min(trials, -(-8 * numba.get_num_threads() // n_pairs)))


# ---------------------------------------------------------------------- compare


def compare(
    qrels: Any,
    runs: Mapping[str, Any] | Sequence[Any],
    metrics: str | Sequence[str],
    *,
    test: Test = "t-test",
    correction: Correction | None = "holm",
    alpha: float = 0.05,
    trials: int = 10_000,
    seed: int = 42,
    queries: QuerySet = "qrels",
    relevance_level: int = 1,
    threads: int | None = None,
) -> Comparison:
    """Evaluate ``runs`` on ``metrics`` and test every pair of systems for significance.

    ``runs`` is a mapping ``{name: run}`` (a run may be a ``Run``, a ``{qid: {doc: score}}``
    dict, a DataFrame or a TREC file path) or a sequence of named ``Run`` objects or run files
    (named by file name). ``metrics`` are :func:`rank_eval.evaluate` names (trec_eval's
    ``ndcg_cut_10``, ``P_10``, ``map``, ``recip_rank`` or ir-measures' ``nDCG@10``, ``AP``,
    ``RR``); each must have per-query values. ``test``, ``correction``, effect size and
    intervals are defined in the module docstring. ``trials`` and ``seed`` drive the
    randomised tests (``fisher``, ``bootstrap``); ``threads`` sets numba's thread count for the
    call (results do not depend on it). ``queries="qrels"`` (default) compares on every qrels
    query with missing ones scored 0; ``"common"`` on the queries shared by all runs.
    """
    check_choice(test, name="test", choices=get_args(Test))
    if correction is not None:
        check_choice(correction, name="correction", choices=get_args(Correction))
    check_choice(queries, name="queries", choices=get_args(QuerySet))
    alpha = check_in_range(alpha, name="alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    trials = check_k(trials, name="trials")
    if trials < 1:
        raise RankValueError(f"trials must be >= 1, got {trials}")
    seed = _check_seed(seed)
    level = check_k(relevance_level, name="relevance_level")
    requested = _metric_list(metrics)
    named = _named_runs(runs)
    qrels_table = coerce(qrels, Qrels, "qrels")

    evaluations = [
        evaluate(qrels_table, run, requested, relevance_level=level, complete=queries == "qrels")
        for _, run in named
    ]
    names = _in_requested_order(evaluations[0].measures, requested)
    for name in names:
        values = evaluations[0].per_query.get(name)
        if values is None or np.asarray(values).dtype.kind not in "iuf":
            raise RankValueError(
                f"metric {name!r} has no per-query values, so systems cannot be compared on it "
                "(summary-only measures such as num_q, runid, gm_map and text such as relstring)"
            )
    query_ids, scores = _aligned_scores(evaluations, names)
    if query_ids.size < 2:
        raise RankValueError(
            f"compare needs at least 2 queries evaluated for every run, got {query_ids.size}"
            + (" (queries='common': few queries are shared by all runs)" if queries == "common" else "")
        )

    n_systems, n = len(named), query_ids.size
    first, second = np.triu_indices(n_systems, k=1)
    diffs = np.ascontiguousarray((scores[:, first, :] - scores[:, second, :]).transpose(1, 0, 2))
    with numba_threads(threads):
        means_d, sds, t_values, t_p = sig.paired_t(diffs)
        if test == "t-test":
            statistic, p_raw = t_values, t_p
        elif test == "wilcoxon":
            statistic, p_raw, _ = sig.wilcoxon(diffs)
        elif test == "fisher":
            sums, _ = sig.observed_sums(diffs)
            counts = sig.sign_flip_counts(diffs, trials, np.uint64(seed), _chunks(trials, first.size))
            statistic, p_raw = sums / n, (counts + 1.0) / (trials + 1.0)
        else:
            sums, mass = sig.observed_sums(diffs)
            resampled = sig.bootstrap_means(diffs, trials, np.uint64(seed), _chunks(trials, first.size))
        if test in ("t-test", "wilcoxon", "fisher"):
            margin = sig.student_t_critical(alpha, float(n - 1)) * sds / math.sqrt(n)
            ci_low, ci_high = means_d - margin, means_d + margin
    if test == "bootstrap":
        observed = sums / n
        tolerance = sig.TIE_TOLERANCE * mass / n
        counts = (np.abs(resampled - observed[..., None]) >= np.abs(observed)[..., None] - tolerance[..., None]).sum(axis=-1)
        statistic, p_raw = observed, (counts + 1.0) / (trials + 1.0)
        ci_low, ci_high = np.quantile(resampled, [alpha / 2, 1 - alpha / 2], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = np.where(sds > 0, means_d / np.where(sds > 0, sds, 1.0), np.sign(means_d) * np.inf)
    effect = np.where((sds == 0) & (means_d == 0), 0.0, effect)
    p_adjusted = np.column_stack([adjust_p_values(p_raw[:, m], correction) for m in range(len(names))])

    system_names = tuple(name for name, _ in named)
    means = {name: _readonly(mean_in_order(scores[m], axis=1)) for m, name in enumerate(names)}
    pairs = []
    for m, metric in enumerate(names):
        for k, (i, j) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
            pairs.append(PairComparison(
                metric, system_names[i], system_names[j], float(means[metric][i]), float(means[metric][j]),
                float(means_d[k, m]), float(effect[k, m]), float(ci_low[k, m]), float(ci_high[k, m]),
                float(statistic[k, m]), float(p_adjusted[k, m]), float(p_raw[k, m]),
                bool(p_adjusted[k, m] <= alpha),
            ))
    return Comparison(
        systems=system_names,
        metrics=tuple(names),
        query_ids=_readonly(query_ids),
        per_query=MappingProxyType({name: _readonly(scores[m]) for m, name in enumerate(names)}),
        means=MappingProxyType(means),
        pairs=tuple(pairs),
        test=test,
        correction=correction,
        alpha=alpha,
        trials=trials,
        seed=seed,
        queries=queries,
        relevance_level=level,
        _qrels=qrels_table,
        _runs=tuple(run for _, run in named),
    )


def _readonly(array: NDArray[Any]) -> NDArray[Any]:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array
