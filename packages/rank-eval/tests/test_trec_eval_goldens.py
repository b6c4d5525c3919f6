"""trec_eval 10.0's own test suite: rank-eval's CLI prints the golden outputs line for line.

``out.test`` and ``out.comment.test`` use trec_eval's default measure set, which rank-eval covers
completely: they must match whole. The other goldens print ``all_trec``; until every measure
family is implemented, the lines of the measures rank-eval has must match exactly, in order
(367 of the 387 lines of the per-query goldens today).
"""

from __future__ import annotations

import pytest

from rank_eval.cli import main
from rank_eval.evaluate import ALL_TREC_MEASURES

FULL = [
    ("out.test", ["qrels.test", "results.test"]),
    ("out.comment.test", ["qrels.comment.test", "results.comment.test"]),
]
SUBSET = [  # (golden, arguments, lines rank-eval must reproduce at least)
    ("out.test.a", ["-m", "all_trec", "qrels.test", "results.test"], 94),
    ("out.test.aq", ["-m", "all_trec", "-q", "qrels.test", "results.test"], 367),
    ("out.test.aqc", ["-m", "all_trec", "-q", "-c", "qrels.test", "results.trunc"], 367),
    ("out.test.aqcM", ["-m", "all_trec", "-q", "-c", "-M100", "qrels.test", "results.trunc"], 367),
    # trec_eval ran this one with -mrelstring.20 too: measure parameters are not implemented yet,
    # so relstring (10 docs) is left out of the comparison here
    ("out.test.aql", ["-m", "all_trec", "-q", "-l2", "qrels.rel_level", "results.test"], 364),
]


def _run(trec_eval_dir, args, capsys) -> str:
    argv = [a if a.startswith("-") or a == "all_trec" else str(trec_eval_dir / a) for a in args]
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("golden", "args"), FULL)
def test_default_measures_match_golden_exactly(trec_eval_dir, capsys, golden, args):
    assert _run(trec_eval_dir, args, capsys) == (trec_eval_dir / golden).read_text()


@pytest.mark.parametrize(("golden", "args", "at_least"), SUBSET)
def test_implemented_measures_match_all_trec_goldens(trec_eval_dir, capsys, golden, args, at_least):
    names = {"runid", *ALL_TREC_MEASURES} - ({"relstring"} if golden == "out.test.aql" else set())
    ours = [line for line in _run(trec_eval_dir, args, capsys).splitlines() if line.split()[0] in names]
    expected = [line for line in (trec_eval_dir / golden).read_text().splitlines() if line.split()[0] in names]
    assert ours == expected
    assert len(ours) >= at_least
