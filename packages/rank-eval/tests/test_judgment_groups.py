"""Judgment-group measures (``-R qrels_jg``) against a naive reference, trec_eval's goldens and
the plain measures; errors of the judgment-group qrels file and of measure names."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import reference

from rank_core import ParseError, Qrels, RankTypeError, RankValueError
from rank_eval import evaluate, format_trec_eval
from rank_eval.cli import main
from rank_eval.judgment_groups import (
    JUDGMENT_GROUP_MEASURES,
    evaluate_judgment_groups,
    read_judgment_groups,
)

CUTOFFS = [5, 10, 15, 20, 30, 100, 200, 500, 1000]
MULTIPLES = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0]


def _random_groups(rng):
    """A run with score ties and three judgment groups (names out of byte order on purpose) that
    judge overlapping subsets of queries and docs, with graded, 0 and -1 labels."""
    run: dict[str, dict[str, float]] = {}
    groups: dict[str, dict[str, dict[str, int]]] = {"b": {}, "10": {}, "9": {}}
    for q in range(10):
        qid = f"q{q}"
        if q != 9:  # q9 only in the qrels
            docs = rng.choice(50, size=rng.integers(1, 40), replace=False)
            run[qid] = {f"d{x}": float(rng.integers(0, 5)) for x in docs}
        judging = [g for g in groups if rng.random() < 0.6] or ["9"]
        if q == 8:  # q8 in the run only
            judging = []
        for g in judging:
            judged = rng.choice(50, size=rng.integers(1, 30), replace=False)
            groups[g][qid] = {f"d{x}": int(rng.choice([-1, 0, 0, 1, 2, 3])) for x in judged}
    return run, {g: judged for g, judged in groups.items() if judged}


def _expected(run, groups, *, level, complete, max_docs, judged_only):
    ordered = [groups[g] for g in sorted(groups, key=str.encode)]
    judged = sorted({qid for group in ordered for qid in group})
    queries = judged if complete else [q for q in judged if q in run]
    return queries, {
        qid: reference.judgment_group_values(
            run.get(qid), [group[qid] for group in ordered if qid in group],
            cutoffs=CUTOFFS, multiples=MULTIPLES, level=level, max_docs=max_docs, judged_only=judged_only,
        )
        for qid in queries
    }


@pytest.mark.parametrize("seed", range(16))
def test_matches_naive_reference(seed):
    rng = np.random.default_rng(seed)
    run, groups = _random_groups(rng)
    options = {
        "level": int(rng.integers(0, 3)),
        "complete": bool(rng.integers(2)),
        "max_docs": [None, 7, 25][int(rng.integers(3))],
        "judged_only": bool(rng.integers(2)),
    }
    result = evaluate_judgment_groups(
        groups, run, relevance_level=options["level"], complete=options["complete"],
        max_docs=options["max_docs"], judged_only=options["judged_only"],
    )
    queries, expected = _expected(run, groups, **options)
    assert result.query_ids.tolist() == queries
    assert result.measures == JUDGMENT_GROUP_MEASURES
    assert result.summary["num_q"] == len(queries)
    for name in JUDGMENT_GROUP_MEASURES[2:]:
        wanted = [expected[q][name] for q in queries]
        assert result.per_query[name].tolist() == pytest.approx(wanted, abs=1e-12), name
        assert result.summary[name] == pytest.approx(sum(wanted) / len(wanted), abs=1e-12), name


@pytest.mark.parametrize("seed", range(4))
def test_one_group_equals_the_plain_measures(seed):
    run, qrels = reference.random_case(np.random.default_rng(seed))
    jg = evaluate_judgment_groups({"0": qrels}, run, ["map_avgjg", "P_avgjg.3,10", "Rprec_mult_avgjg.0.5,1.5"])
    plain = evaluate(qrels, run, ["map", "P.3,10", "Rprec_mult.0.5,1.5"])
    assert jg.query_ids.tolist() == plain.query_ids.tolist()
    renamed = {"map_avgjg": "map", "P_avgjg_3": "P_3", "P_avgjg_10": "P_10",
               "Rprec_mult_avgjg_0.50": "Rprec_mult_0.50", "Rprec_mult_avgjg_1.50": "Rprec_mult_1.50"}
    assert jg.measures == tuple(renamed)
    for name, plain_name in renamed.items():
        assert jg.per_query[name].tolist() == plain.per_query[plain_name].tolist()


def test_a_query_averages_only_over_the_groups_that_judged_it():
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}, "q2": {"a": 1.0}}
    groups = {"u1": {"q1": {"a": 1, "c": 0}, "q2": {"a": 1}}, "u2": {"q1": {"b": 1, "c": 1}}}
    result = evaluate_judgment_groups(groups, run, ["map_avgjg", "P_avgjg_1"])
    # q1: u1 AP 1, u2 AP (1/2 + 2/3) / 2; q2: u1 only, AP 1
    assert result.per_query["map_avgjg"].tolist() == pytest.approx([(1 + 7 / 12) / 2, 1.0])
    assert result.per_query["P_avgjg_1"].tolist() == pytest.approx([0.5, 1.0])


def test_a_doc_is_judged_per_group_with_judged_only():
    run = {"q1": {"a": 3.0, "b": 2.0, "c": 1.0}}
    groups = {"u1": {"q1": {"c": 1}}, "u2": {"q1": {"a": 0, "c": 1}}}
    result = evaluate_judgment_groups(groups, run, ["P_avgjg_1", "P_avgjg_2"], judged_only=True)
    # u1 keeps [c]: P_1 = 1, P_2 = 1/2; u2 keeps [a, c]: P_1 = 0, P_2 = 1/2
    assert result.per_query["P_avgjg_1"].tolist() == [0.5]
    assert result.per_query["P_avgjg_2"].tolist() == [0.5]


def test_golden_through_the_python_api(trec_eval_dir):
    result = evaluate_judgment_groups(trec_eval_dir / "qrels.123", trec_eval_dir / "results.test")
    lines = "".join(line + "\n" for line in format_trec_eval(result, per_query=True))
    assert lines == (trec_eval_dir / "out.test.qrels_jg").read_text()


def test_names_parameters_and_order():
    run = {"q1": {"a": 1.0}}
    groups = {"g": {"q1": {"a": 1}}}
    result = evaluate_judgment_groups(groups, run, ["Rprec_mult_avgjg_1.00", "P_avgjg.20,2", "map_avgjg", "runid"])
    assert result.measures == ("runid", "map_avgjg", "P_avgjg_2", "P_avgjg_20", "Rprec_mult_avgjg_1.00")
    assert result.per_query["P_avgjg_2"].tolist() == [0.5]
    assert result.summary["runid"] == ""


def test_groups_read_from_a_mapping_of_qrels_objects():
    qrels = Qrels.from_dict({"q1": {"a": 1, "b": 0}})
    groups = read_judgment_groups({"z": qrels, "a": {"q1": {"b": 1}}})
    assert list(groups) == ["a", "z"]
    assert groups["z"] is qrels


@pytest.mark.parametrize(("name", "hint"), [("map", "map_avgjg"), ("P.5", "P_avgjg"), ("P_avgj", "P_avgjg"), ("ndcg", None)])
def test_unknown_measures_raise_with_close_matches(name, hint):
    with pytest.raises(RankValueError) as error:
        evaluate_judgment_groups({"g": {"q": {"a": 1}}}, {"q": {"a": 1.0}}, [name])
    assert isinstance(error.value, ValueError)
    assert repr(name) in str(error.value)
    if hint:
        assert f"did you mean {hint}" in str(error.value)


def test_bad_parameters_and_arguments_raise():
    groups, run = {"g": {"q": {"a": 1}}}, {"q": {"a": 1.0}}
    with pytest.raises(RankValueError):
        evaluate_judgment_groups(groups, run, ["P_avgjg.0"])
    with pytest.raises(RankTypeError) as error:
        evaluate_judgment_groups(42, run)
    assert isinstance(error.value, TypeError)
    with pytest.raises(RankValueError, match="no query is in both"):
        evaluate_judgment_groups(groups, {"other": {"a": 1.0}})
    with pytest.raises(RankValueError, match="holds no group"):
        evaluate_judgment_groups({}, run)


def test_malformed_qrels_jg_file_names_path_and_line(tmp_path):
    path = tmp_path / "qrels.jg"
    path.write_text("1 u1 d1 1\n# comment\n1 u2 d1\n")
    with pytest.raises(ParseError) as error:
        evaluate_judgment_groups(path, {"1": {"d1": 1.0}})
    assert isinstance(error.value, ValueError)
    assert (error.value.path, error.value.line) == (str(path), 3)


def test_a_doc_judged_twice_by_one_group_raises_but_by_two_groups_is_fine(tmp_path):
    path = tmp_path / "qrels.jg"
    path.write_text("1 u1 d1 1\n1 u2 d1 0\n1 u1 d2 0\n1 u1 d1 0\n")
    with pytest.raises(ParseError) as error:
        evaluate_judgment_groups(path, {"1": {"d1": 1.0}})
    assert isinstance(error.value, ValueError)
    assert error.value.line == 4
    path.write_text("1 u1 d1 1\n1 u2 d1 0\n")
    result = evaluate_judgment_groups(path, {"1": {"d1": 1.0}}, ["map_avgjg"])
    assert result.per_query["map_avgjg"].tolist() == [0.5]


def test_cli_errors_exit_2(trec_eval_dir, capsys):
    args = ["-R", "qrels_jg", str(trec_eval_dir / "qrels.123"), str(trec_eval_dir / "results.test")]
    assert main(["-m", "map", *args]) == 2
    assert "map_avgjg" in capsys.readouterr().err
    assert main(args) == 0  # without -m: the qrels_jg set
    assert capsys.readouterr().out.splitlines()[-1].startswith("Rprec_mult_avgjg_2.00")


def test_readme_example_prints_what_it_says(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Judgment groups (-R qrels_jg)", 1)[1]
    exec(re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1), {})
    assert capsys.readouterr().out == "[0.79166667]\n"
