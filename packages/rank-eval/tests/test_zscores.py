"""Z-scores (``-Z``): the file reader's errors, the transform against a naive reference, and
trec_eval's rules for queries and measures missing from the file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import reference

from rank_core import ParseError, RankTypeError, RankValueError
from rank_eval import ALL_TREC_MEASURES, evaluate
from rank_eval.cli import main
from rank_eval.judgment_groups import evaluate_judgment_groups
from rank_eval.zscores import MISSING_ZSCORE, ZScores, format_zscores, read_zscores, to_zscores

COUNTS = {"num_ret", "num_rel", "num_rel_ret", "num_nonrel_judged_ret"}


def _naive_z(value, pair):
    """trec_eval's convert_zscores rule for one value."""
    if pair is None:
        return -1000000.0
    mean, stddev = pair
    if stddev != 0:
        return (value - mean) / stddev
    return 0.0 if value == mean else -1000000.0


def _random_table(rng, evaluation):
    """Means and stddevs for most (query, measure) pairs: one query left out entirely, some
    measures left out, some zero stddevs, some means equal to the value."""
    table = {}
    for i, qid in enumerate(evaluation.query_ids.tolist()):
        if i == 1:
            continue  # a query the file lacks
        row = table.setdefault(qid, {})
        for name in [*evaluation.per_query, "gm_map", "gm_bpref"]:
            values = evaluation.per_query.get(name)
            if (values is not None and values.dtype.kind == "U") or rng.random() < 0.1:
                continue
            value = float(values[i]) if values is not None else 0.0
            kind = rng.random()
            if kind < 0.1:
                row[name] = (value, 0.0)
            elif kind < 0.2:
                row[name] = (value + 1.0, 0.0)
            else:
                row[name] = (float(rng.normal()), float(rng.uniform(0.1, 3)))
    return table


@pytest.mark.parametrize("seed", range(10))
def test_matches_naive_reference(seed, tmp_path):
    rng = np.random.default_rng(seed)
    run, qrels = reference.random_case(rng)
    evaluation = evaluate(qrels, run, ["all_trec"], complete=bool(seed % 2))
    table = _random_table(rng, evaluation)
    path = tmp_path / "zscores"
    path.write_text("".join(f"{q}\t{m} {mean!r}   {sd!r}\n" for q, row in table.items() for m, (mean, sd) in row.items()))
    z = to_zscores(evaluation, path)
    assert z.query_ids.tolist() == evaluation.query_ids.tolist()
    queries = evaluation.query_ids.tolist()
    n = len(queries)
    expected_names = [name if name == "runid" or name.startswith("relstring") else "Z" + name for name in ALL_TREC_MEASURES]
    assert list(z.measures) == expected_names
    for name in ALL_TREC_MEASURES:
        if name == "runid":
            assert z.summary[name] == evaluation.summary[name]
        elif name.startswith("relstring"):
            assert z.per_query[name].tolist() == evaluation.per_query[name].tolist()
        elif name == "num_q":
            assert z.summary["Znum_q"] == n
        elif name in ("gm_map", "gm_bpref"):
            base = evaluation.per_query["map" if name == "gm_map" else "bpref"].tolist()
            logs = [math.log(max(v, 1e-5)) for v in base]
            zs = [_naive_z(v, table.get(q, {}).get(name)) for q, v in zip(queries, logs, strict=True)]
            assert z.summary["Z" + name] == pytest.approx(math.exp(sum(zs) / n), rel=1e-12, abs=1e-300)
            assert "Z" + name not in z.per_query
        else:
            values = evaluation.per_query[name].tolist()
            zs = [_naive_z(v, table.get(q, {}).get(name)) for q, v in zip(queries, values, strict=True)]
            assert z.per_query["Z" + name].tolist() == pytest.approx(zs, rel=1e-12, abs=1e-12), name
            total = sum(zs) if name in COUNTS else sum(zs) / n
            assert z.summary["Z" + name] == pytest.approx(total, rel=1e-12, abs=1e-9), name


def test_query_missing_from_the_file_gets_the_missing_value_everywhere():
    qrels = {"q1": {"a": 1}, "q2": {"a": 1}}
    run = {"q1": {"a": 1.0}, "q2": {"a": 1.0, "b": 0.5}}
    evaluation = evaluate(qrels, run, ["map", "num_ret"])
    z = to_zscores(evaluation, {"q1": {"map": (0.5, 0.25), "num_ret": (2, 1)}})
    assert z.per_query["Zmap"].tolist() == [2.0, MISSING_ZSCORE]
    assert z.per_query["Znum_ret"].tolist() == [-1.0, MISSING_ZSCORE]
    assert z.summary["Zmap"] == (2.0 + MISSING_ZSCORE) / 2
    assert z.summary["Znum_ret"] == -1.0 + MISSING_ZSCORE  # counts: summed, as trec_eval does
    assert MISSING_ZSCORE == -1000000.0


def test_measure_missing_and_zero_stddev_rules():
    evaluation = evaluate({"q": {"a": 1, "b": 0}}, {"q": {"a": 1.0, "b": 0.5}}, ["map", "P_1", "P_2", "recip_rank"])
    z = to_zscores(evaluation, {"q": {"map": (1.0, 0.0), "P_1": (0.5, 0.0), "recip_rank": (0.5, 0.5)}})
    assert z.per_query["Zmap"].tolist() == [0.0]  # stddev 0 and value == mean
    assert z.per_query["ZP_1"].tolist() == [MISSING_ZSCORE]  # stddev 0, value != mean
    assert z.per_query["ZP_2"].tolist() == [MISSING_ZSCORE]  # no line for P_2
    assert z.per_query["Zrecip_rank"].tolist() == [1.0]


def test_geometric_means_without_lines_summarise_to_zero_and_with_lines_need_their_base():
    evaluation = evaluate({"q": {"a": 1}}, {"q": {"a": 1.0}}, ["gm_map"])
    assert to_zscores(evaluation, {"q": {"P_5": (0, 1)}}).summary == {"Zgm_map": 0.0}
    with pytest.raises(RankValueError, match="evaluate map too") as error:
        to_zscores(evaluation, {"q": {"gm_map": (0, 1)}})
    assert isinstance(error.value, ValueError)
    both = evaluate({"q": {"a": 1, "b": 1}}, {"q": {"a": 1.0}}, ["map", "gm_map"])
    z = to_zscores(both, {"q": {"gm_map": (-1.0, 2.0)}})
    assert z.summary["Zgm_map"] == pytest.approx(math.exp((math.log(0.5) + 1.0) / 2.0))


def test_ir_measures_names_are_looked_up_by_their_trec_eval_name():
    evaluation = evaluate({"q": {"a": 1}}, {"q": {"a": 1.0}}, ["nDCG@10"])
    z = to_zscores(evaluation, ZScores.from_dict({"q": {"ndcg_cut_10": (0.5, 0.25)}}))
    assert z.measures == ("ZnDCG@10",)
    assert z.per_query["ZnDCG@10"].tolist() == [2.0]


def test_judgment_group_evaluations_convert_too():
    evaluation = evaluate_judgment_groups({"g": {"q": {"a": 1}}}, {"q": {"a": 1.0}}, ["qrels_jg"])
    z = to_zscores(evaluation, {"q": {"map_avgjg": (0.0, 0.5)}})
    assert z.measures[:3] == ("runid", "Znum_q", "Zmap_avgjg")
    assert z.per_query["Zmap_avgjg"].tolist() == [2.0]
    assert z.summary["ZP_avgjg_5"] == MISSING_ZSCORE


def test_format_pads_z_names_as_trec_eval():
    evaluation = evaluate({"q": {"a": 1}}, {"q": {"a": 1.0}}, ["num_ret", "num_nonrel_judged_ret", "relstring"])
    z = to_zscores(evaluation, {"q": {"num_ret": (0.0, 1.0), "num_nonrel_judged_ret": (0, 1)}})
    lines = list(format_zscores(z, per_query=True))
    assert lines == [
        "Znum_ret               \tq\t1.0000",
        "relstring             \tq\t'1'",
        "Znum_nonrel_judged_ret \tq\t0.0000",
        "Znum_ret               \tall\t1.0000",
        "Znum_nonrel_judged_ret \tall\t0.0000",
    ]


def test_reader_skips_blank_and_comment_lines(tmp_path):
    path = tmp_path / "z"
    path.write_text("# reference runs\n\n301 map 0.25 0.5\n  301\tP_5  1e-1 2\n302 map -1 0")
    table = read_zscores(path)
    assert table.table == {"301": {"map": (0.25, 0.5), "P_5": (0.1, 2.0)}, "302": {"map": (-1.0, 0.0)}}
    assert table.path == str(path)
    assert table.reference("301", "P_5") == (0.1, 2.0)
    assert table.reference("303", "map") is None


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("301 map 0.1 0.2\n301 P_5 0.1\n", 2, "expected 4 fields"),
        ("301 map 0.1 0.2 extra\n", 1, "expected 4 fields"),
        ("301 map 0.1 0.2\n\n301 P_5 x 0.2\n", 3, "mean must be a decimal number"),
        ("301 map 0.1 nan\n", 1, "stddev must be finite"),
        ("301 map 0.1 0.2\n302 map 0 1\n301 map 0.3 0.2\n", 3, "given twice (first on line 1)"),
        ("301 map 0.1 0.2\n301 P\x005 1 1\n", 2, "NUL byte"),
        (b"301 map 0.1 0.2\n30\xff map 1 1\n", 2, "invalid UTF-8"),
    ],
)
def test_malformed_lines_raise_with_path_and_line(tmp_path, content, line, message):
    path = tmp_path / "zscores"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ParseError) as error:
        read_zscores(path)
    assert isinstance(error.value, ValueError)
    assert (error.value.path, error.value.line) == (str(path), line)
    assert message in error.value.message


@pytest.mark.parametrize("content", ["", "# only a comment\n\n"])
def test_empty_file_raises(tmp_path, content):
    path = tmp_path / "zscores"
    path.write_text(content)
    with pytest.raises(ParseError, match="no z-score lines") as error:
        read_zscores(path)
    assert isinstance(error.value, ValueError)
    assert error.value.line is None


def test_bad_arguments_raise(tmp_path):
    evaluation = evaluate({"q": {"a": 1}}, {"q": {"a": 1.0}}, ["map"])
    with pytest.raises(ParseError) as error:
        to_zscores(evaluation, tmp_path / "absent")
    assert isinstance(error.value, ValueError)
    with pytest.raises(RankTypeError) as type_error:
        to_zscores(evaluation, 3.5)
    assert isinstance(type_error.value, TypeError)
    with pytest.raises(RankTypeError):
        to_zscores({"map": 1.0}, {"q": {}})
    with pytest.raises(RankValueError) as value_error:
        to_zscores(evaluation, {"q": {"map": (1.0,)}})
    assert isinstance(value_error.value, ValueError)
    with pytest.raises(RankValueError):
        to_zscores(evaluation, {"q": {"map": (1.0, float("inf"))}})


def test_cli_prints_missing_values_and_exits_2_on_a_bad_file(trec_eval_dir, tmp_path, capsys):
    path = tmp_path / "z"
    path.write_text("301 map 0.1 0.2\n")
    qrels, run = str(trec_eval_dir / "qrels.test"), str(trec_eval_dir / "results.test")
    assert main(["-q", "-m", "map", "-Z", str(path), qrels, run]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "Zmap                   \t302\t-1000000.0000"
    path.write_text("301 map 0.1\n")
    assert main(["-Z", str(path), qrels, run]) == 2
    assert f"{path}:1: expected 4 fields" in capsys.readouterr().err


def test_readme_example_prints_what_it_says(capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Z-scores (-Z)", 1)[1]
    exec(re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1), {})
    assert capsys.readouterr().out == "[2.] [-1000000.]\n" + "Zmap" + " " * 19 + "\tall\t2.0000\n"
