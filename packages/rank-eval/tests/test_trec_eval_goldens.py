"""trec_eval 10.0's own test suite: rank-eval's CLI prints the golden outputs line for line.

``out.test`` and ``out.comment.test`` use trec_eval's default measure set, which rank-eval covers
completely: they must match whole. The other goldens print ``all_trec``; until every measure
family is implemented, the lines of the measures rank-eval has must match exactly, in order.
"""

from __future__ import annotations

import pytest

from rank_eval.cli import main
from rank_eval.evaluate import DEFAULT_MEASURES

FULL = [
    ("out.test", ["qrels.test", "results.test"]),
    ("out.comment.test", ["qrels.comment.test", "results.comment.test"]),
]
SUBSET = [
    ("out.test.a", ["qrels.test", "results.test"]),
    ("out.test.aq", ["-q", "qrels.test", "results.test"]),
    ("out.test.aqc", ["-q", "-c", "qrels.test", "results.trunc"]),
    ("out.test.aqcM", ["-q", "-c", "-M100", "qrels.test", "results.trunc"]),
    ("out.test.aql", ["-q", "-l2", "qrels.rel_level", "results.test"]),
]


def _run(trec_eval_dir, args, capsys) -> str:
    argv = [a if a.startswith("-") else str(trec_eval_dir / a) for a in args]
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("golden", "args"), FULL)
def test_default_measures_match_golden_exactly(trec_eval_dir, capsys, golden, args):
    assert _run(trec_eval_dir, args, capsys) == (trec_eval_dir / golden).read_text()


@pytest.mark.parametrize(("golden", "args"), SUBSET)
def test_implemented_measures_match_all_trec_goldens(trec_eval_dir, capsys, golden, args):
    ours = _run(trec_eval_dir, args, capsys).splitlines()
    names = {"runid", *DEFAULT_MEASURES}
    expected = [line for line in (trec_eval_dir / golden).read_text().splitlines() if line.split()[0] in names]
    assert ours == expected
    assert len(ours) >= 30
