"""pyserini's fusion goldens (shared/data/fusion_fixtures/pyserini), reproduced to the string.

Each verify file is what ``python -m pyserini.fusion`` wrote for the two toy runs; the scores
are Python float reprs, so the fused floats must be bit-identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import rank_fusion
from rank_core import Run

RUN_1 = "simple_trec_run_fusion_1.txt"
RUN_2 = "simple_trec_run_fusion_2.txt"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def write(run: Run, path: Path, tag: str | None) -> list[str]:
    run.to_trec(path, tag=tag)
    return lines(path)


@pytest.mark.parametrize(
    ("method", "weights", "verify"),
    [
        # --method interpolation --alpha 0.4
        ("wsum", (0.4, 0.6), "simple_trec_run_interpolation_verify.txt"),
        # --method average
        ("wsum", (0.5, 0.5), "simple_trec_run_average_verify.txt"),
    ],
)
def test_score_fusions(
    pyserini_dir: Path, tmp_path: Path, method: str, weights: tuple, verify: str
) -> None:
    runs = [Run.from_trec(pyserini_dir / RUN_1), Run.from_trec(pyserini_dir / RUN_2)]
    fused = rank_fusion.fuse(runs, method, weights=list(weights))
    assert write(fused, tmp_path / "out.txt", "test") == lines(pyserini_dir / verify)
    # the per-method function gives the same
    again = rank_fusion.wsum(runs, list(weights))
    assert write(again, tmp_path / "again.txt", "test") == lines(pyserini_dir / verify)


def test_normalize_fusion(pyserini_dir: Path, tmp_path: Path) -> None:
    # --method normalize: min-max per query (a one-doc list normalises to 1.0), then sum
    runs = [Run.from_trec(pyserini_dir / RUN_1), Run.from_trec(pyserini_dir / RUN_2)]
    fused = rank_fusion.fuse(runs, "sum", norm="min-max")
    assert write(fused, tmp_path / "out.txt", "test") == lines(
        pyserini_dir / "simple_fusion_normalize_verify.txt"
    )
    fused = rank_fusion.comb_sum(runs, norm="min-max")
    assert write(fused, tmp_path / "out.txt", "test") == lines(
        pyserini_dir / "simple_fusion_normalize_verify.txt"
    )


def test_rrf_with_file_ranks(pyserini_dir: Path, tmp_path: Path) -> None:
    # pyserini reads each row's rank from the rank column: run 2 has 2054tkb7 at rank 3
    runs = [Run.from_trec(pyserini_dir / name, scores="negated_rank") for name in (RUN_1, RUN_2)]
    fused = rank_fusion.rrf(runs, ranks="negated_scores")
    assert write(fused, tmp_path / "out.txt", "test") == lines(
        pyserini_dir / "simple_trec_run_rrf_verify.txt"
    )
    fused = rank_fusion.fuse(runs, "rrf", k=60, ranks="negated_scores")
    assert write(fused, tmp_path / "out.txt", "test") == lines(
        pyserini_dir / "simple_trec_run_rrf_verify.txt"
    )


def test_rrf_with_positions_differs_from_file_ranks(pyserini_dir: Path) -> None:
    # by position, 2054tkb7 is second in run 2 (1/62 + 1/62), not third as its rank column says
    runs = [Run.from_trec(pyserini_dir / name) for name in (RUN_1, RUN_2)]
    fused = rank_fusion.rrf(runs)
    assert fused["1"].scores.tolist()[1] == 1 / 62 + 1 / 62
    assert fused["1"].scores.tolist()[1] != 0.03200204813108039


def test_trec_run_normalize(pyserini_dir: Path, tmp_path: Path) -> None:
    # TrecRun.normalize on fusion_1 alone: min-max per query, the file's tag kept
    run = Run.from_trec(pyserini_dir / RUN_1)
    fused = rank_fusion.fuse([run], "sum", norm="min-max")
    verify = lines(pyserini_dir / "simple_trec_run_normalize_verify.txt")
    tag = verify[0].split()[-1]
    assert write(fused, tmp_path / "out.txt", tag) == verify
    # a path works as a run too
    fused = rank_fusion.fuse([str(pyserini_dir / RUN_1)], "sum", norm="min-max")
    assert write(fused, tmp_path / "out.txt", tag) == verify
