"""The ``rank-eval`` command beyond the quicktest goldens: -n, long options, -v, the compare subcommand."""

from __future__ import annotations

import pytest

from rank_eval import __version__, compare_cli
from rank_eval.cli import main


def _out(argv, capsys) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_nosummary_prints_only_the_query_lines(trec_eval_dir, capsys):
    files = [str(trec_eval_dir / "qrels.test"), str(trec_eval_dir / "results.test")]
    full = _out(["-q", "-m", "all_trec", *files], capsys).splitlines()
    only_queries = _out(["-q", "-n", "-m", "all_trec", *files], capsys).splitlines()
    assert only_queries == [line for line in full if line.split("\t")[1] != "all"]
    assert len(only_queries) < len(full)
    assert _out(["-n", *files], capsys) == ""


def test_long_options_are_trec_eval_s(trec_eval_dir, capsys):
    files = [str(trec_eval_dir / "qrels.test"), str(trec_eval_dir / "results.trunc")]
    short = _out(["-q", "-c", "-M100", "-l2", "-J", "-m", "P.5", "-m", "map", *files], capsys)
    long = _out(["--query_eval_wanted", "--complete_rel_info_wanted", "--Max_retrieved_per_topic", "100",
                 "--level_for_rel", "2", "--Judged_docs_only", "--measure", "P.5", "--measure", "map", *files], capsys)
    assert short == long
    assert "P_5" in short


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["-v"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rank-eval {__version__}"


def test_compare_subcommand(trec_eval_dir, capsys):
    args = [str(trec_eval_dir / "qrels.test"), str(trec_eval_dir / "results.test"),
            str(trec_eval_dir / "results.trunc"), "-m", "map", "--test", "t-test"]
    assert compare_cli.main(args) == 0
    direct = capsys.readouterr().out
    assert _out(["compare", *args], capsys) == direct
    assert "map" in direct
