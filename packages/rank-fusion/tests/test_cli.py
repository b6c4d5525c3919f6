"""The ``rank-fusion`` command line: pyserini goldens, parity with the Python API, error paths."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rank_fusion
from rank_core import Qrels, Run
from rank_core.testing import shared_data_dir
from rank_fusion.cli import main
from rank_fusion.methods import METHODS, fuse


@pytest.fixture(scope="module")
def pyserini_fixtures() -> Path:
    return shared_data_dir("fusion_fixtures", tests_dir=Path(__file__).parent) / "pyserini"


def _write_run(path: Path, run: dict[str, dict[str, float]], tag: str = "sys") -> Path:
    lines = []
    for qid, docs in run.items():
        ranked = sorted(docs.items(), key=lambda item: (-item[1], item[0]))
        lines += [f"{qid} Q0 {doc} {rank} {score!r} {tag}\n" for rank, (doc, score) in enumerate(ranked, start=1)]
    path.write_text("".join(lines))
    return path


@pytest.fixture(scope="module")
def run_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three random runs over overlapping docs; the third lacks query q3."""
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("runs")
    paths = []
    for r in range(3):
        run = {}
        for q in range(4 if r < 2 else 3):
            docs = rng.choice(40, size=25, replace=False)
            run[f"q{q}"] = {f"d{d}": float(np.round(rng.normal(5 * r, 2), 6)) for d in docs}
        paths.append(_write_run(folder / f"run{r}.trec", run, tag=f"sys{r}"))
    return paths


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _api_lines(tmp_path: Path, run: Run, tag: str) -> list[str]:
    path = tmp_path / "api.trec"
    run.to_trec(path, tag=tag)
    return _lines(path)


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``main(argv)``, check it fails with one ``rank-fusion: error:`` line, return that line."""
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("rank-fusion: error: ")
    assert "Traceback" not in captured.err
    return lines[0]


# ---------------------------------------------------------------- pyserini goldens


def test_rrf_file_ranks_reproduces_pyserini(pyserini_fixtures: Path, tmp_path: Path) -> None:
    out = tmp_path / "rrf.trec"
    runs = [str(pyserini_fixtures / f"simple_trec_run_fusion_{i}.txt") for i in (1, 2)]
    assert main([*runs, "--method", "rrf", "--file-ranks", "--tag", "test", "-o", str(out)]) == 0
    assert _lines(out) == _lines(pyserini_fixtures / "simple_trec_run_rrf_verify.txt")
    assert out.read_bytes() == (pyserini_fixtures / "simple_trec_run_rrf_verify.txt").read_bytes()


def test_pyserini_command_line_spelling(pyserini_fixtures: Path, tmp_path: Path) -> None:
    """pyserini's own option names (--runs, --rrf.k, --depth, --runtag, --output) are accepted."""
    out = tmp_path / "rrf.trec"
    runs = [str(pyserini_fixtures / f"simple_trec_run_fusion_{i}.txt") for i in (1, 2)]
    argv = ["--runs", *runs, "--method", "rrf", "--file-ranks", "--rrf.k", "60", "--depth", "1000",
            "--top-k", "1000", "--runtag", "test", "--output", str(out)]
    assert main(argv) == 0
    assert _lines(out) == _lines(pyserini_fixtures / "simple_trec_run_rrf_verify.txt")


@pytest.mark.parametrize("weights", [["--weights", "0.4", "0.6"], ["--alpha", "0.4"]])
def test_wsum_reproduces_pyserini_interpolation(pyserini_fixtures: Path, tmp_path: Path, weights: list[str]) -> None:
    out = tmp_path / "interpolation.trec"
    runs = [str(pyserini_fixtures / f"simple_trec_run_fusion_{i}.txt") for i in (1, 2)]
    assert main([*runs, "--method", "wsum", *weights, "--tag", "test", "-o", str(out)]) == 0
    assert _lines(out) == _lines(pyserini_fixtures / "simple_trec_run_interpolation_verify.txt")


def test_subprocess_module_entry_point(pyserini_fixtures: Path, tmp_path: Path) -> None:
    runs = [str(pyserini_fixtures / f"simple_trec_run_fusion_{i}.txt") for i in (1, 2)]
    done = subprocess.run(
        [sys.executable, "-m", "rank_fusion.cli", *runs, "--file-ranks", "--tag", "test", "-o", "-"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # quiet without -v
    assert done.stdout.splitlines() == _lines(pyserini_fixtures / "simple_trec_run_rrf_verify.txt")

    failed = subprocess.run(
        [sys.executable, "-m", "rank_fusion.cli", *runs, "--method", "nope", "-o", str(tmp_path / "x")],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("rank-fusion: error: unknown fusion method 'nope'")
    assert len(failed.stderr.splitlines()) == 1
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- parity with the Python API


@pytest.mark.parametrize(
    ("argv", "method", "options"),
    [
        ([], "rrf", {}),
        (["--k", "10"], "rrf", {"k": 10}),
        (["--param", "k=10"], "rrf", {"k": 10}),
        (["--weights", "1", "2", "0.5"], "rrf", {"weights": [1, 2, 0.5]}),
        (["--norm", "min-max"], "mnz", {"norm": "min-max"}),
        (["--norm", "zmuv", "--weights", "0.2", "0.3", "0.5"], "wsum", {"norm": "zmuv", "weights": [0.2, 0.3, 0.5]}),
        (["--phi", "0.5"], "rbc", {"phi": 0.5}),
        (["--gamma", "2"], "gmnz", {"gamma": 2.0}),
        (["--sigma", "0.5"], "logn_isr", {"sigma": 0.5}),
        ([], "bordafuse", {}),
        ([], "condorcet", {}),
        (["--weights", "1", "1", "3"], "w_condorcet", {"weights": [1, 1, 3]}),
        ([], "dbsf", {}),
        (["--top-k", "5"], "isr", {"top_k": 5}),
        (["--depth", "10"], "rrf", {"depth": 10}),
        (["--queries", "intersection"], "sum", {"queries": "intersection"}),
    ],
)
def test_output_equals_python_api(
    run_files: list[Path], tmp_path: Path, argv: list[str], method: str, options: dict[str, object]
) -> None:
    out = tmp_path / "fused.trec"
    assert main([*map(str, run_files), "--method", method, *argv, "-o", str(out)]) == 0
    expected = METHODS[method]([Run.from_trec(p) for p in run_files], **options)
    assert isinstance(expected, Run)
    assert _lines(out) == _api_lines(tmp_path, expected, tag=f"rank-fusion-{method}")
    assert expected == fuse([Run.from_trec(p) for p in run_files], method, **options)


def test_options_and_runs_may_interleave(run_files: list[Path], tmp_path: Path) -> None:
    first, second = tmp_path / "first.trec", tmp_path / "second.trec"
    a, b, c = map(str, run_files)
    assert main([a, b, c, "--method", "rrf", "--k", "10", "-o", str(first)]) == 0
    assert main(["--method", "rrf", a, "--k", "10", b, "-o", str(second), c]) == 0
    assert first.read_text() == second.read_text()


def test_depth_keeps_the_first_docs_of_each_run(run_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "fused.trec"
    assert main([*map(str, run_files), "--depth", "3", "-o", str(out)]) == 0
    truncated = [Run.from_trec(p).top_k(3) for p in run_files]
    expected = fuse(truncated, "rrf")
    assert isinstance(expected, Run)
    assert _lines(out) == _api_lines(tmp_path, expected, tag="rank-fusion-rrf")


def test_file_ranks_equals_api(run_files: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "fused.trec"
    assert main([*map(str, run_files), "--file-ranks", "--k", "5", "-o", str(out)]) == 0
    runs = [Run.from_trec(p, scores="negated_rank") for p in run_files]
    expected = fuse(runs, "rrf", k=5, ranks="negated_scores")
    assert isinstance(expected, Run)
    assert _lines(out) == _api_lines(tmp_path, expected, tag="rank-fusion-rrf")


def test_gzip_in_and_out(run_files: list[Path], tmp_path: Path) -> None:
    zipped = tmp_path / "run0.trec.gz"
    zipped.write_bytes(gzip.compress(run_files[0].read_bytes()))
    plain, packed = tmp_path / "plain.trec", tmp_path / "fused.trec.gz"
    assert main([str(run_files[0]), str(run_files[1]), "-o", str(plain)]) == 0
    assert main([str(zipped), str(run_files[1]), "-o", str(packed)]) == 0
    assert gzip.decompress(packed.read_bytes()).decode() == plain.read_text()


def test_stdout_and_tag(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fused.trec"
    assert main([*map(str, run_files[:2]), "--tag", "mine", "-o", str(out)]) == 0
    assert main([*map(str, run_files[:2]), "--tag", "mine", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out == out.read_text()
    assert captured.err == ""
    assert {line.split()[5] for line in captured.out.splitlines()} == {"mine"}


def test_verbose_reports_on_stderr_only(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fused.trec"
    assert main([*map(str, run_files), "-v", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "read " in captured.err and "fused 3 runs with rrf" in captured.err and "wrote" in captured.err


def test_help_documents_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ["--method", "--k", "--rrf.k", "--phi", "--gamma", "--sigma", "--param", "--norm", "--weights",
                   "--alpha", "--top-k", "--depth", "--queries", "--tag", "--runtag", "--file-ranks", "--output",
                   "--runs", "--verbose"]:
        assert option in text
    assert "pyserini" in text and "ranx" in text


# ---------------------------------------------------------------- errors


def test_missing_file(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.trec"
    line = _error(capsys, [str(run_files[0]), str(missing), "-o", str(tmp_path / "out")])
    assert str(missing) in line and "cannot read" in line
    assert not (tmp_path / "out").exists()


def test_parse_error_names_file_and_line(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.trec"
    bad.write_text("q0 Q0 a 1 1.5 t\nq0 Q0 b 2 oops t\n")
    line = _error(capsys, [str(run_files[0]), str(bad), "-o", str(tmp_path / "out")])
    assert f"{bad}:2:" in line and "'oops'" in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "wsumm", "--weights", "1", "1"], "unknown fusion method 'wsumm'; did you mean"),
        (["--method", "wsum", "--weights", "1"], "got 1 weights for 2 runs"),
        (["--method", "wsum", "--weights", "1", "2", "3"], "got 3 weights for 2 runs"),
        (["--method", "wsum"], "wsum needs weights"),
        (["--method", "mnz", "--weights", "1", "2"], "mnz takes no weights"),
        (["--method", "wsum", "--weights", "1", "2", "--file-ranks"], "--file-ranks applies to rrf only"),
        (["--method", "rrf", "--norm", "min-max"], "--norm does not apply to rrf"),
        (["--method", "mnz", "--norm", "bogus"], "norm must be one of"),
        (["--method", "wsum", "--weights", "1", "-1"], "weights must be >= 0"),
        (["--method", "wsum", "--alpha", "0.3", "--weights", "1", "2"], "either --alpha or --weights"),
        (["--method", "wsum", "--k", "3", "--weights", "1", "2"], "unexpected keyword argument 'k'"),
        (["--param", "k"], "--param takes NAME=VALUE"),
        (["--param", "k=1", "--k", "2"], "parameter 'k' is given twice"),
        (["--param", "weights=1"], "--param weights=... is not allowed"),
        (["--k", "-1"], "k must be in"),
        (["--phi", "2", "--method", "rbc"], "phi must be in"),
        (["--tag", "a b"], "--tag must be non-empty and without whitespace"),
        (["--depth", "0"], "--depth must be >= 1"),
        (["--top-k", "-2"], "--top-k must be >= 0"),
        (["--k", "ten"], "argument --k/--rrf.k: invalid float value: 'ten'"),
        (["--queries", "all"], "argument --queries: invalid choice: 'all'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_options(
    run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    line = _error(capsys, [*map(str, run_files[:2]), *argv, "-o", str(tmp_path / "out")])
    assert message in line
    assert not (tmp_path / "out").exists()


def test_strict_queries_error(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = _error(capsys, [*map(str, run_files), "--queries", "strict", "-o", str(tmp_path / "out")])
    assert "does not have the query set" in line


def test_alpha_needs_two_runs(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    line = _error(capsys, [*map(str, run_files), "--method", "wsum", "--alpha", "0.5", "-o", str(tmp_path / "out")])
    assert "--alpha interpolates two runs, got 3" in line


def test_usage_errors(capsys: pytest.CaptureFixture[str], run_files: list[Path], tmp_path: Path) -> None:
    assert "required: -o/--output" in _error(capsys, [str(run_files[0])])
    assert "no run file given" in _error(capsys, ["-o", str(tmp_path / "out")])
    line = _error(capsys, [str(run_files[0]), "-o", str(tmp_path / "no" / "such" / "dir.trec")])
    assert "does not exist" in line


def test_failed_fusion_keeps_existing_output(run_files: list[Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fused.trec"
    out.write_text("precious\n")
    bad = tmp_path / "bad.trec"
    bad.write_text("q0 Q0 a 1 1.5 t\nq0 Q0 a 2 1.0 t\n")  # a duplicate doc
    _error(capsys, [str(run_files[0]), str(bad), "-o", str(out)])
    _error(capsys, [str(run_files[0]), str(run_files[1]), "--method", "wsum", "--weights", "0", "0", "-o", str(out)])
    _error(capsys, [str(run_files[0]), str(tmp_path / "missing.trec"), "-o", str(out)])
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.trec", "fused.trec"]  # no temporary file left
    assert main([str(run_files[0]), str(run_files[1]), "-o", str(out)]) == 0  # success replaces it
    assert out.read_text() != "precious\n"


def test_trained_methods_take_qrels(tmp_path: Path) -> None:
    runs = []
    for r, scores in enumerate(([3.0, 2.0, 1.0], [1.0, 3.0, 2.0])):
        path = tmp_path / f"run{r}.trec"
        path.write_text("".join(f"q1 Q0 d{i} {i + 1} {s} r{r}\n" for i, s in enumerate(scores)))
        runs.append(path)
    qrels = tmp_path / "qrels"
    qrels.write_text("q1 0 d1 1\nq1 0 d2 0\n")
    out = tmp_path / "fused.trec"
    assert main([*map(str, runs), "--method", "probfuse", "--param", "n_segments=2", "--qrels", str(qrels), "-o", str(out)]) == 0
    expected = rank_fusion.probfuse(
        [Run.from_trec(p) for p in runs], Qrels.from_trec(qrels), n_segments=2
    )
    assert Run.from_trec(out).to_dict() == expected.to_dict()
