"""Run every package's benchmark scripts and rewrite the generated part of BENCHMARKS.md.

``bash benchmarks/run_all.sh [options]`` runs this file in the hatch env ``bench`` (every package
with its extras and every anchor library installed, torch and torchsort included). Each ``packages/*/benchmarks/bench_*.py`` is run in its own
process with the arguments its package README records (``COMMANDS``; a script that is not listed
runs with none), or small sizes with ``--quick`` (``QUICK``: a smoke run, not figures to quote).
Each run's whole output goes to ``benchmarks/results/<package>.<script>[.<n>].txt``; the
ratios it prints (markdown table columns named like ``ratio``, ``x LightGBM``, ``vs ...``, and
``ratio 3.2x`` in text lines) are collected into one table that replaces everything below the
marker line in ``BENCHMARKS.md``, with the date, the machine and the library versions. The
hand-written index above the marker is kept.

Options: ``--quick``; ``--only NAME ...`` (run the scripts whose path contains one of the names
and replace their rows; the other rows of the last run of the same mode stay, each with its own
date); ``--dry-run`` (print the commands); ``--timeout SECONDS`` per run; ``--output`` /
``--results`` to write elsewhere.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- run_all.py: everything below this line is rewritten by benchmarks/run_all.py -->"
MODE_QUICK = "`--quick` (small sizes: a smoke run, not figures to quote)"
TABLE_HEADER = "| package | script and arguments | status | run (UTC) | wall-clock (s) | ratios printed | output |"

#: script -> one argument list per run: the commands recorded in the package READMEs
COMMANDS: dict[str, list[list[str]]] = {
    "packages/rank-core/benchmarks/bench_trec_io.py": [[], ["--score-format", "repr"]],
    "packages/rank-eval/benchmarks/bench_evaluate.py": [["--repeats", "5"]],
    "packages/rank-eval/benchmarks/bench_compare.py": [[]],
    "packages/rank-fusion/benchmarks/bench_fusion.py": [
        ["--repeats", "3", "--cold-repeats", "1", "--cold-queries", "1000", "--ranx-subset-queries", "100"],
        ["--queries", "200", "--docs", "100", "--no-ranx", "--no-cold", "--online-repeats", "9"],
    ],
    "packages/rank-retrieve/benchmarks/bench_bm25.py": [
        ["--corpora", "scifact", "vaswani", "--repeats", "5"], ["--corpora", "synthetic", "--repeats", "3"],
    ],
    "packages/rank-retrieve/benchmarks/bench_tokenize.py": [["--repeats", "9"]],
    "packages/rank-retrieve/benchmarks/bench_dense.py": [["--docs", "100000", "--queries", "1000", "--repeats", "5"]],
    "packages/rank-rerank/benchmarks/bench_maxsim.py": [["--repeats", "30"]],
    "packages/rank-rerank/benchmarks/bench_diversity.py": [["--repeats", "15"]],
    "packages/rank-rerank/benchmarks/bench_pooling.py": [["--repeats", "5"]],
    "packages/rank-rerank/benchmarks/bench_cross_encoder.py": [["--repeats", "10"]],
    "packages/rank-rerank/benchmarks/bench_colbert.py": [["--docs", "100", "--repeats", "3", "--threads", "1", "2"]],
    "packages/rank-soft/benchmarks/bench_soft.py": [["--repeats", "21"]],
    "packages/rank-learn/benchmarks/bench_lambdamart.py": [["--repeat", "3", "--threads", "1", "2"]],
    "packages/rank-learn/benchmarks/bench_data.py": [[]],
    "packages/rank-learn/benchmarks/bench_linear.py": [["--repeats", "5"]],
}

#: the same scripts at small sizes (``--quick``): checks that every benchmark runs, in minutes
QUICK: dict[str, list[list[str]]] = {
    "packages/rank-core/benchmarks/bench_trec_io.py": [["--lines", "100000", "--repeats", "1"]],
    "packages/rank-eval/benchmarks/bench_evaluate.py": [["--queries", "300", "--repeats", "1", "--no-cold"]],
    "packages/rank-eval/benchmarks/bench_compare.py": [["--queries", "200", "--trials", "1000", "--repeats", "1"]],
    "packages/rank-fusion/benchmarks/bench_fusion.py": [
        ["--queries", "300", "--repeats", "1", "--no-cold", "--check-queries", "5", "--ranx-subset-queries", "20",
         "--online-repeats", "3"],
    ],
    "packages/rank-retrieve/benchmarks/bench_bm25.py": [["--corpora", "scifact", "--repeats", "1"]],
    "packages/rank-retrieve/benchmarks/bench_tokenize.py": [["--repeats", "1", "--no-cold"]],
    "packages/rank-retrieve/benchmarks/bench_dense.py": [
        ["--docs", "20000", "--queries", "200", "--repeats", "1", "--no-ann", "--threads", "1"],
    ],
    "packages/rank-rerank/benchmarks/bench_maxsim.py": [["--repeats", "3"]],
    "packages/rank-rerank/benchmarks/bench_diversity.py": [["--repeats", "3", "--threads", "1"]],
    "packages/rank-rerank/benchmarks/bench_pooling.py": [["--docs", "100", "--queries", "10", "--repeats", "1"]],
    "packages/rank-rerank/benchmarks/bench_cross_encoder.py": [["--candidates", "10", "--repeats", "2"]],
    "packages/rank-rerank/benchmarks/bench_colbert.py": [["--docs", "20", "--repeats", "1", "--threads", "1"]],
    "packages/rank-soft/benchmarks/bench_soft.py": [["--repeats", "3"]],
    "packages/rank-learn/benchmarks/bench_lambdamart.py": [
        ["--repeat", "1", "--threads", "2", "--rows", "20000"],
    ],
    "packages/rank-learn/benchmarks/bench_data.py": [["--rows", "20000", "--repeats", "1"]],
    "packages/rank-learn/benchmarks/bench_linear.py": [["--repeats", "1"]],
}

#: a markdown column holding a ratio against an anchor
RATIO_COLUMN = re.compile(r"ratio|x baseline|\bvs\b|/ ours|/ rank|anchor /|speed-?up|faster", re.IGNORECASE)
#: a figure such as ``3.2x``, ``**6.1x**``, ``1.69x / 1.61x`` (not ``x1`` or ``3 x 128``)
RATIO_VALUE = re.compile(r"\d(?:\.\d+)?x\b")
#: a column of multiples of an anchor's figure (``x LightGBM``), whose cells may be plain numbers
MULTIPLE_COLUMN = re.compile(r"^x [A-Za-z]")
MULTIPLE_VALUE = re.compile(r"\**\d+(?:\.\d+)?x?\**")


@dataclass(frozen=True)
class Outcome:
    script: str
    arguments: list[str]
    returncode: int
    seconds: float
    log: Path
    ratios: list[str]


def discover(only: list[str] | None) -> list[str]:
    scripts = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("packages/*/benchmarks/bench_*.py"))
    if only:
        scripts = [script for script in scripts if any(name in script for name in only)]
    return scripts


def extract_ratios(output: str) -> list[str]:
    """Every ratio the output prints, in order: ``label (column): value`` from a Markdown table's
    ratio-named columns, and any other line holding a figure such as ``3.2x`` (fixed-width tables,
    ``ratio 3.2x`` lines), whitespace collapsed."""
    ratios: list[str] = []
    heading: str | None = None
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and set(lines[i + 1].strip()) <= set("|-: "):
            header = _cells(lines[i])
            columns = [
                c for c, name in enumerate(header) if RATIO_COLUMN.search(name) or MULTIPLE_COLUMN.search(name)
            ]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                cells = _cells(lines[i])
                label = " ".join(cell for cell in cells[:2] if cell and not RATIO_VALUE.search(cell))
                ratios.extend(
                    f"{label} ({header[column]}): {cells[column].replace('**', '')}"
                    for column in columns
                    if column < len(cells) and _is_ratio(header[column], cells[column])
                )
                i += 1
            continue
        line = " ".join(lines[i].split())
        if RATIO_VALUE.search(line) and not line.startswith("$"):
            if heading is not None:  # a fixed-width table's header, once before its rows
                ratios.append(f"[{heading}]")
                heading = None
            ratios.append(line)
        elif line and RATIO_COLUMN.search(line):
            heading = line
        i += 1
    return ratios


def _is_ratio(column: str, cell: str) -> bool:
    if MULTIPLE_COLUMN.search(column):
        return MULTIPLE_VALUE.fullmatch(cell) is not None
    return RATIO_VALUE.search(cell) is not None


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def run(script: str, arguments: list[str], log: Path, timeout: float) -> Outcome:
    environment = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            [sys.executable, script, *arguments], cwd=ROOT, env=environment, capture_output=True, text=True,
            timeout=timeout, check=False,
        )
        output, code = completed.stdout + completed.stderr, completed.returncode
    except subprocess.TimeoutExpired as expired:
        output = _text(expired.stdout) + _text(expired.stderr) + f"\n[run_all: timed out after {timeout:.0f} s]\n"
        code = -1
    seconds = time.perf_counter() - start
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"$ python {script} {' '.join(arguments)}\n\n{output}", encoding="utf-8")
    return Outcome(script, arguments, code, seconds, log, extract_ratios(output) if code == 0 else [])


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = f", {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB RAM"
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs{memory}"


def versions() -> str:
    names = [
        "numpy", "numba", "scipy", "ranx", "pytrec-eval-terrier", "ir-measures", "bm25s", "faiss-cpu", "torch",
        "torchsort", "onnxruntime", "transformers", "sentence-transformers", "lightgbm", "xgboost", "scikit-learn",
    ]
    found = []
    for name in names:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return f"Python {platform.python_version()}, " + ", ".join(found)


def render_row(outcome: Outcome, *, output: Path, stamp: str) -> str:
    package = outcome.script.split("/")[1]
    status = "ok" if outcome.returncode == 0 else ("timed out" if outcome.returncode == -1 else f"failed ({outcome.returncode})")
    shown = outcome.ratios[:12] + ([f"... {len(outcome.ratios) - 12} more in the log"] if len(outcome.ratios) > 12 else [])
    ratios = "; ".join(shown) if shown else "(none printed)"
    log = os.path.relpath(outcome.log, output.parent)
    return (
        f"| {package} | {row_key(outcome.script, outcome.arguments)} | {status} | {stamp} | {outcome.seconds:.0f} | "
        f"{ratios.replace('|', '/')} | [log]({log}) |"
    )


def row_key(script: str, arguments: list[str]) -> str:
    """A row's second cell, which names the run it holds."""
    return f"`{Path(script).name} {' '.join(arguments) or '(defaults)'}`"


def kept_rows(path: Path, *, quick: bool, replaced: set[str]) -> dict[str, str]:
    """The rows of the section now in ``path`` (when it was written in the same mode) whose runs are
    not ``replaced``, by their key."""
    if not path.is_file():
        return {}
    section = path.read_text(encoding="utf-8").split(MARKER, 1)
    if len(section) < 2 or (MODE_QUICK in section[1]) != quick or TABLE_HEADER not in section[1]:
        return {}
    rows = {}
    for line in section[1].split(TABLE_HEADER, 1)[1].splitlines()[2:]:
        if not line.startswith("|"):
            break
        key = _cells(line)[1]
        if key not in replaced:
            rows[key] = line
    return rows


def render(rows: list[str], *, quick: bool) -> str:
    mode = MODE_QUICK if quick else "the READMEs' recorded commands"
    return "\n".join([
        MARKER,
        "",
        "## Last run of `benchmarks/run_all.py`",
        "",
        f"Mode: {mode}. Machine: {machine()}. {versions()}.",
        "",
        "Ratios exactly as each script prints them (most are anchor time / rank-* time, above 1: rank-* faster; "
        "the column name says which); the log holds the whole output.",
        "",
        TABLE_HEADER,
        "|---|---|---|---|---:|---|---|",
        *rows,
        "",
    ])


def rewrite(path: Path, section: str) -> None:
    """Replace everything from the marker on (or append it), atomically."""
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Recorded benchmark results\n"
    head = text.split(MARKER, 1)[0].rstrip() + "\n\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(head + section)
    Path(tmp).replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: check that every benchmark runs")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="only scripts whose path contains NAME")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    parser.add_argument("--timeout", type=float, default=4 * 3600, help="seconds per run (default 4 hours)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "BENCHMARKS.md")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results", help="folder for the logs")
    args = parser.parse_args(argv)

    table = QUICK if args.quick else COMMANDS
    plan = [(script, arguments) for script in discover(args.only) for arguments in table.get(script, [[]])]
    if not plan:
        parser.error("no benchmark script matches --only")
    outcomes = []
    for script, arguments in plan:
        print(f"=== python {script} {' '.join(arguments)}", flush=True)
        if args.dry_run:
            continue
        runs = table.get(script, [[]])
        suffix = f".{runs.index(arguments) + 1}" if len(runs) > 1 else ""
        log = args.results / f"{script.split('/')[1]}.{Path(script).stem}{suffix}.txt"
        outcome = run(script, arguments, log, args.timeout)
        outcomes.append(outcome)
        print(f"    exit {outcome.returncode} in {outcome.seconds:.0f} s, {len(outcome.ratios)} ratios, log {log}", flush=True)
    if args.dry_run:
        return 0
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    rows = {row_key(o.script, o.arguments): render_row(o, output=args.output, stamp=stamp) for o in outcomes}
    if args.only:  # the other scripts' rows of the last run stay
        rows |= kept_rows(args.output, quick=args.quick, replaced=set(rows))
    order = [row_key(script, arguments) for script in discover(None) for arguments in table.get(script, [[]])]
    ordered = sorted(rows.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    rewrite(args.output, render([row for _, row in ordered], quick=args.quick))
    print(f"rewrote {args.output}")
    return 0 if all(outcome.returncode == 0 for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
