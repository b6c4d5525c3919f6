"""trec_eval 10.0's own test suite: rank-eval's CLI prints the golden outputs byte for byte.

Each case is a quicktest command of ``quicktest_commands.txt`` with ``trec_eval`` replaced by
``rank-eval``.
"""

from __future__ import annotations

import shlex

import pytest

from rank_eval.cli import main

QUICKTESTS = [
    ("out.test", "test/qrels.test test/results.test"),
    ("out.test", "test/qrels.test.with-comments test/results.test"),
    ("out.comment.test", "test/qrels.comment.test test/results.comment.test"),
    ("out.test.a", "-m all_trec test/qrels.test test/results.test"),
    ("out.test.aq", "-m all_trec -q test/qrels.test test/results.test"),
    ("out.test.aqc", "-m all_trec -q -c test/qrels.test test/results.trunc"),
    ("out.test.aqcM", "-m all_trec -q -c -M100 test/qrels.test test/results.trunc"),
    ("out.test.aql", "-m all_trec -mrelstring.20 -q -l2 test/qrels.rel_level test/results.test"),
    ("out.test.meas_params",
     "-q -miprec_at_recall..10,.20,.25,.75,.50 -m P.5,7,3 -m recall.20,2000 -m Rprec_mult.5.0,0.2,0.35 "
     "-mutility.2,-1,0,0 -m 11pt_avg..25,.5,.75 -mndcg.1=3,2=9,4=4.5 -mndcg_cut.10,20,23.4 "
     "-msuccess.2,5,20 test/qrels.test test/results.test"),
    ("out.test.qrels_jg", "-m qrels_jg -q -R qrels_jg test/qrels.123 test/results.test"),
    ("out.test.qrels_jg", "-m qrels_jg -q -R qrels_jg test/qrels.comments.123 test/results.test"),
    ("out.test.aqZ", "-q -m all_trec -Z test/zscores_file test/qrels.test test/results.test"),
    ("out.test.prefs", "-m all_prefs -q -R prefs test/prefs.test test/prefs.results.test"),
    ("out.test.prefs", "-m all_prefs -q -R prefs test/prefs.comment.test test/prefs.results.test"),
    ("out.test.qrels_prefs", "-m all_prefs -q -R qrels_prefs test/qrels.test test/results.test"),
]


def _run(trec_eval_dir, command, capsys) -> str:
    argv = [str(trec_eval_dir / a.removeprefix("test/")) if a.startswith("test/") else a for a in shlex.split(command)]
    assert main(argv) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("golden", "command"), QUICKTESTS)
def test_quicktest_output_matches_golden(trec_eval_dir, capsys, golden, command):
    assert _run(trec_eval_dir, command, capsys) == (trec_eval_dir / golden).read_text()


def test_quicktest_list_matches_trec_eval_suite(trec_eval_dir):
    """The commands above are exactly the suite's own."""
    lines = (trec_eval_dir / "quicktest_commands.txt").read_text().splitlines()
    commands = [line.strip()[len("./trec_eval "):] for line in lines if line.strip().startswith("./trec_eval")]
    ours = {f"{command} | diff - test/{golden}" for golden, command in QUICKTESTS}
    missing = [c for c in commands if " ".join(c.split()) not in {" ".join(o.split()) for o in ours}]
    assert missing == []
    assert len(QUICKTESTS) == len(commands)
