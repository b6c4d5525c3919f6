"""Preference measures (``-R prefs``, ``-R qrels_prefs``, ``-m all_prefs``).

Expected values come from trec_eval's goldens or from ``reference_prefs``, a naive transcription
of trec_eval's definitions that is itself checked against the goldens below.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import reference_prefs as reference
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rank_core import (
    NonFiniteInputError,
    ParseError,
    Qrels,
    RankTypeError,
    RankValueError,
    Run,
    threads,
)
from rank_eval.cli import main
from rank_eval.prefs import (
    ALL_PREFS_MEASURES,
    PREFS_MEASURES,
    PreferenceJudgments,
    evaluate_prefs,
    is_prefs_measure,
    plan_prefs,
    prefs_from_qrels,
    read_prefs,
)
from rank_eval.trec_format import format_trec_eval


def _assert_matches_reference(evaluation, expected):
    """Every per-query value equal to the reference's (bit for bit), and the summary as trec_eval
    forms it: counts summed, ratios summed in query order and divided by the number of queries."""
    assert evaluation.query_ids.tolist() == list(expected)
    for i, qid in enumerate(evaluation.query_ids.tolist()):
        for name in PREFS_MEASURES:
            assert evaluation.per_query[name][i] == expected[qid][name], (qid, name)
    for name in PREFS_MEASURES:
        total = 0.0
        for qid in expected:
            total += expected[qid][name]
        wanted = total if name.startswith("prefs_num_prefs") else total / len(expected)
        assert evaluation.summary[name] == wanted, name
    assert evaluation.summary["num_q"] == len(expected)


@pytest.mark.parametrize("seed", range(60))
def test_matches_reference_on_random_cases(seed):
    """Several groups, one- and several-subgroup groups, negative and fractional levels, score
    ties, unjudged and unretrieved docs; every third case with ``complete``, every fourth cut."""
    rng = np.random.default_rng(seed)
    records, run = reference.random_case(rng)
    complete = seed % 3 == 0
    max_docs = int(rng.integers(0, 6)) if seed % 4 == 0 else None
    expected = reference.evaluate(records, run, complete=complete, max_docs=max_docs)
    judgments = PreferenceJudgments.from_records(records)
    if not expected:
        with pytest.raises(RankValueError, match="no query is in both"):
            evaluate_prefs(judgments, run, complete=complete, max_docs=max_docs)
        return
    evaluation = evaluate_prefs(judgments, run, complete=complete, max_docs=max_docs)
    _assert_matches_reference(evaluation, expected)


@st.composite
def _cases(draw):
    docs = [f"d{i}" for i in range(draw(st.integers(1, 7)))]
    records = []
    for q in range(draw(st.integers(1, 3))):
        for g in range(draw(st.integers(1, 3))):
            n_subgroups = draw(st.integers(1, 3))
            hidden = {doc: draw(st.sampled_from([-1.0, 0.0, 1.0, 2.0])) for doc in docs}  # keeps groups consistent
            for s in range(n_subgroups):
                members = draw(st.lists(st.sampled_from(docs), min_size=1, max_size=len(docs), unique=True))
                for doc in members:
                    level = hidden[doc] if n_subgroups > 1 else draw(st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0]))
                    records.append((f"q{q}", f"g{g}", f"s{s}", doc, level))
    run = {}
    for q in range(draw(st.integers(1, 4))):
        ranked = draw(st.lists(st.sampled_from([*docs, "x", "y"]), unique=True, max_size=len(docs) + 2))
        run[f"q{q}"] = {doc: float(draw(st.integers(0, 2))) for doc in ranked}
    return records, run


@settings(deadline=None, max_examples=150)
@given(_cases(), st.booleans(), st.one_of(st.none(), st.integers(0, 4)))
def test_matches_reference_hypothesis(case, complete, max_docs):
    records, run = case
    expected = reference.evaluate(records, run, complete=complete, max_docs=max_docs)
    assume(expected)
    evaluation = evaluate_prefs(PreferenceJudgments.from_records(records), run, complete=complete, max_docs=max_docs)
    _assert_matches_reference(evaluation, expected)
    for name in PREFS_MEASURES[3:]:
        assert ((evaluation.per_query[name] >= 0) & (evaluation.per_query[name] <= 1)).all(), name


def _golden_values(path):
    """``{qid: {measure: printed text}}`` of a trec_eval ``-q`` output."""
    values: dict[str, dict[str, str]] = {}
    for line in path.read_text().splitlines():
        name, qid, text = (part.strip() for part in line.split("\t"))
        values.setdefault(qid, {})[name] = text
    return values


def _printed(name, value):
    return str(int(value)) if name.startswith("prefs_num_prefs") else f"{value:6.4f}"


@pytest.mark.parametrize(
    ("judgments", "run", "golden", "from_qrels"),
    [("prefs.test", "prefs.results.test", "out.test.prefs", False),
     ("qrels.test", "results.test", "out.test.qrels_prefs", True)],
)
def test_reference_reproduces_goldens(trec_eval_dir, judgments, run, golden, from_qrels):
    """The oracle itself prints trec_eval's per-query numbers (a check on the reference)."""
    read = prefs_from_qrels if from_qrels else read_prefs
    records = read(trec_eval_dir / judgments).to_records()
    ranking = Run.from_trec(trec_eval_dir / run).to_dict()
    expected = _golden_values(trec_eval_dir / golden)
    ours = reference.evaluate(records, ranking)
    assert sorted(ours) == sorted(q for q in expected if q != "all")
    for qid, values in ours.items():
        assert {name: _printed(name, v) for name, v in values.items()} == expected[qid], qid


def test_golden_summary_through_the_api(trec_eval_dir):
    evaluation = evaluate_prefs(trec_eval_dir / "prefs.test", trec_eval_dir / "prefs.results.test")
    expected = _golden_values(trec_eval_dir / "out.test.prefs")["all"]
    assert evaluation.measures == ALL_PREFS_MEASURES
    assert list(format_trec_eval(evaluation)) == [
        f"{name:<22}\tall\t{expected[name]}" for name in ALL_PREFS_MEASURES
    ]


# ---------------------------------------------------------------- reading prefs files


def test_comment_lines_and_hash_inside_a_field(trec_eval_dir):
    plain = read_prefs(trec_eval_dir / "prefs.test").to_records()
    commented = read_prefs(trec_eval_dir / "prefs.comment.test").to_records()
    assert len(commented) == len(plain)
    differing = [(a, b) for a, b in zip(plain, commented, strict=True) if a != b]
    assert differing == [(("2.EC.A", "0", "0", "CR93E-10505", 0.0), ("2.EC.A", "0", "0", "CR93E-10505#37", 0.0))]


def test_reader_keeps_records_and_physical_lines():
    data = b"# header\n\nq2 g s d1 1\n  q1\tg  s d2 0.5\r\nq1 g s d1 -1\n"
    judgments = read_prefs(data)
    assert len(judgments) == 2
    assert judgments.to_records() == [
        ("q1", "g", "s", "d2", 0.5), ("q1", "g", "s", "d1", -1.0), ("q2", "g", "s", "d1", 1.0),
    ]
    assert judgments.lines.tolist() == [4, 5, 3]
    again = PreferenceJudgments.from_records(judgments.to_records())
    assert again.to_records() == judgments.to_records()


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b"q g s d 1\nq g s d\n", 2, "expected 5 fields"),
        (b"# comment\n\nq g s d 1 extra\n", 3, "expected 5 fields"),
        (b"q g s d 1\nq g s e high\n", 2, "not a finite number"),
        (b"q g s d nan\n", 1, "not a finite number"),
        (b"q g s d inf\n", 1, "not a finite number"),
        (b"q g s d 1e999\n", 1, "not a finite number"),
        (b"q g s d 1_0\n", 1, "not a finite number"),
        (b"q g s d 1\nq g s \xff 1\n", 2, "UTF-8"),
        (b"q g s d 1\nq g s\0 e 1\n", 2, "NUL"),
        (b"q g s d 1\nq g t d 2\nq g s d 0\n", 3, "appears twice in subgroup 's' of group 'g' for query 'q' .first on line 1"),
    ],
)
def test_malformed_lines_raise_parse_error(tmp_path, data, line, message):
    path = tmp_path / "bad.prefs"
    path.write_bytes(data)
    with pytest.raises(ParseError, match=message) as caught:
        read_prefs(path)
    assert isinstance(caught.value, ValueError)
    assert caught.value.line == line
    assert caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n   # another\n"])
def test_empty_prefs_file_raises(data):
    with pytest.raises(ParseError, match="no prefs lines") as caught:
        read_prefs(data)
    assert isinstance(caught.value, ValueError)
    assert caught.value.line is None


def test_records_are_validated():
    with pytest.raises(RankValueError, match="records is empty"):
        PreferenceJudgments.from_records([])
    with pytest.raises(RankValueError, match="record 1 must be"):
        PreferenceJudgments.from_records([("q", "g", "s", "d", 1.0), ("q", "g", "d", 1.0)])
    with pytest.raises(RankTypeError, match="rel_level of record 0") as caught:
        PreferenceJudgments.from_records([("q", "g", "s", "d", "1")])
    assert isinstance(caught.value, TypeError)
    with pytest.raises(RankTypeError, match="got bool"):
        PreferenceJudgments.from_records([("q", "g", "s", "d", True)])
    with pytest.raises(NonFiniteInputError, match="record 1") as caught:
        PreferenceJudgments.from_records([("q", "g", "s", "d", 1.0), ("q", "g", "s", "e", float("nan"))])
    assert isinstance(caught.value, ValueError)
    with pytest.raises(RankValueError, match="records 0 and 2"):
        PreferenceJudgments.from_records([("q", "g", "s", "d", 1), ("q", "g", "s", "e", 0), ("q", "g", "s", "d", 1)])


# ---------------------------------------------------------------- qrels as preferences


def test_qrels_prefs_keeps_the_iter_column_as_judgment_groups(tmp_path):
    path = tmp_path / "groups.qrels"
    path.write_text("1 alice a 2\n1 alice b 0\n1 bob a 0\n1 bob b 1\n1 bob c 1\n2 alice c 1\n2 alice a -1\n")
    records = prefs_from_qrels(path).to_records()
    assert sorted(records) == sorted([
        ("1", "alice", "0", "a", 2.0), ("1", "alice", "0", "b", 0.0), ("1", "bob", "0", "a", 0.0),
        ("1", "bob", "0", "b", 1.0), ("1", "bob", "0", "c", 1.0), ("2", "alice", "0", "c", 1.0),
        ("2", "alice", "0", "a", -1.0),
    ])
    run = {"1": {"a": 3.0, "b": 2.0, "c": 2.0, "z": 1.0}, "2": {"a": 1.0}}
    expected = reference.evaluate(records, run)
    _assert_matches_reference(evaluate_prefs(path, run, from_qrels=True), expected)


def test_qrels_prefs_from_objects_have_one_group(trec_eval_dir):
    from_file = prefs_from_qrels(trec_eval_dir / "qrels.test")  # its iter column is always 0
    from_object = prefs_from_qrels(Qrels.from_trec(trec_eval_dir / "qrels.test"))
    from_dict = prefs_from_qrels(Qrels.from_trec(trec_eval_dir / "qrels.test").to_dict())
    assert from_object.to_records() == from_file.to_records() == from_dict.to_records()


def test_qrels_prefs_errors(tmp_path):
    path = tmp_path / "dup.qrels"
    path.write_text("1 g a 1\n1 h a 0\n1 g a 0\n")
    with pytest.raises(ParseError, match="first on line 1") as caught:
        prefs_from_qrels(path)
    assert caught.value.line == 3
    path.write_text("1 g a 1\n1 g b x\n")
    with pytest.raises(ParseError) as caught:
        prefs_from_qrels(path)
    assert caught.value.line == 2 and isinstance(caught.value, ValueError)
    with pytest.raises(RankValueError, match="no judgment"):
        prefs_from_qrels({"q": {}})


# ---------------------------------------------------------------- semantics


def test_preference_order_breaks_score_ties_by_doc_id_ascending():
    """trec_eval's prefs code ranks tied docs a, b (the other measures: b, a)."""
    records = [("q", "g", "s", "a", 1.0), ("q", "g", "s", "b", 0.0)]
    run = {"q": {"b": 1.0, "a": 1.0}}
    expected = reference.evaluate(records, run)
    assert reference.preference_ranking(run["q"]) == ["a", "b"]
    _assert_matches_reference(evaluate_prefs(PreferenceJudgments.from_records(records), run), expected)
    # -M1 keeps a, not b, from the tie
    expected = reference.evaluate(records, run, max_docs=1)
    _assert_matches_reference(evaluate_prefs(PreferenceJudgments.from_records(records), run, max_docs=1), expected)


def test_conflicting_subgroups_raise():
    cycle = [("q", "u", "s1", "a", 2), ("q", "u", "s1", "b", 1), ("q", "u", "s2", "b", 2),
             ("q", "u", "s2", "c", 1), ("q", "u", "s3", "c", 2), ("q", "u", "s3", "a", 1)]
    with pytest.raises(reference.Inconsistent):
        reference.evaluate(cycle, {"q": {"a": 1.0}})
    with pytest.raises(RankValueError, match="judgment group 'u' of query 'q' prefers doc") as caught:
        evaluate_prefs(PreferenceJudgments.from_records(cycle), {"q": {"a": 1.0}})
    assert isinstance(caught.value, ValueError)
    # the same preferences split over several groups are fine: groups may disagree
    split = [(q, f"u{i // 2}", s, doc, level) for i, (q, _, s, doc, level) in enumerate(cycle)]
    _assert_matches_reference(
        evaluate_prefs(PreferenceJudgments.from_records(split), {"q": {"a": 1.0, "c": 0.5}}),
        reference.evaluate(split, {"q": {"a": 1.0, "c": 0.5}}),
    )


def test_zero_and_positive_level_in_one_group_raises(tmp_path):
    path = tmp_path / "zero.prefs"
    path.write_text("q u s1 a 0\nq u s1 b 1\nq u s2 a 3\nq u s2 c 1\n")
    message = re.escape(f"judgment group 'u' of query 'q' in {path} gives doc 'a' rel_level 0")
    with pytest.raises(RankValueError, match=message) as caught:
        evaluate_prefs(path, {"q": {"a": 1.0}})
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, ParseError)
    with pytest.raises(reference.Inconsistent):
        reference.evaluate(read_prefs(path).to_records(), {"q": {"a": 1.0}})


def test_queries_without_ranking_and_empty_rankings():
    records = [("q1", "g", "s", "a", 1.0), ("q1", "g", "s", "b", 0.0), ("q2", "g", "s", "a", 2.0),
               ("q2", "g", "s", "c", 0.0)]
    judgments = PreferenceJudgments.from_records(records)
    run = {"q1": {}, "q9": {"a": 1.0}}
    _assert_matches_reference(evaluate_prefs(judgments, run), reference.evaluate(records, run))
    _assert_matches_reference(
        evaluate_prefs(judgments, run, complete=True), reference.evaluate(records, run, complete=True)
    )
    with pytest.raises(RankValueError, match="no query is in both") as caught:
        evaluate_prefs(judgments, {"q9": {"a": 1.0}})
    assert isinstance(caught.value, ValueError)
    with pytest.raises(RankValueError, match="no query is in both"):
        evaluate_prefs(judgments, {})


def test_input_types():
    with pytest.raises(RankTypeError, match="from_qrels=True") as caught:
        evaluate_prefs({"q": {"a": 1}}, {"q": {"a": 1.0}})
    assert isinstance(caught.value, TypeError)
    with pytest.raises(RankTypeError):
        evaluate_prefs(PreferenceJudgments.from_records([("q", "g", "s", "a", 1)]), 42)
    with pytest.raises(RankValueError, match="max_docs"):
        evaluate_prefs(PreferenceJudgments.from_records([("q", "g", "s", "a", 1)]), {"q": {"a": 1.0}}, max_docs=-1)


# ---------------------------------------------------------------- measure names


def test_measure_sets_and_order():
    assert plan_prefs("all_prefs") == ALL_PREFS_MEASURES == ("runid", "num_q", *PREFS_MEASURES)
    assert plan_prefs(["prefs"]) == ("runid", "num_q", *PREFS_MEASURES[:6])
    assert plan_prefs(["prefs_pair_imp", "num_q", "prefs_simp", "prefs_simp"]) == ("num_q", "prefs_simp", "prefs_pair_imp")
    records = [("q", "g", "s", "a", 1.0), ("q", "g", "s", "b", 0.0)]
    evaluation = evaluate_prefs(PreferenceJudgments.from_records(records), {"q": {"b": 2.0}}, ["prefs_avgjg", "runid"])
    assert evaluation.measures == ("runid", "prefs_avgjg")
    assert set(evaluation.per_query) == {"prefs_avgjg"}
    assert evaluation["runid"] == ""
    assert evaluate_prefs(PreferenceJudgments.from_records(records), {"q": {}}, None).measures == ALL_PREFS_MEASURES


def test_same_values_whatever_the_thread_count():
    records, run = reference.random_case(np.random.default_rng(7))
    judgments = PreferenceJudgments.from_records(records)
    with threads(1):
        single = evaluate_prefs(judgments, run, complete=True)
    several = evaluate_prefs(judgments, run, complete=True)
    for name in PREFS_MEASURES:
        assert single.per_query[name].tobytes() == several.per_query[name].tobytes()


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("prefs_simpp", "unknown preference measure 'prefs_simpp'; did you mean prefs_simp"),
        ("all_pref", "did you mean all_prefs"),
        ("map", "'map' needs qrels, not preference judgments"),
        ("P.5", "'P.5' needs qrels"),
        ("prefs_simp.5", "prefs_simp takes no parameters"),
        ("all_prefs.1", "all_prefs takes no parameters"),
    ],
)
def test_bad_measure_names(request_, message):
    with pytest.raises(RankValueError, match=message) as caught:
        plan_prefs([request_])
    assert isinstance(caught.value, ValueError)


def test_measure_name_types_and_family_test():
    with pytest.raises(RankTypeError):
        plan_prefs([3])
    assert is_prefs_measure("all_prefs") and is_prefs_measure("prefs") and is_prefs_measure("prefs_pair_ret")
    assert not is_prefs_measure("runid") and not is_prefs_measure("map") and not is_prefs_measure("P.5")


# ---------------------------------------------------------------- command line


def _cli(trec_eval_dir, command, capsys):
    argv = [str(trec_eval_dir / a.removeprefix("test/")) if a.startswith("test/") else a for a in shlex.split(command)]
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_defaults_to_all_prefs(trec_eval_dir, capsys):
    default = _cli(trec_eval_dir, "-R prefs test/prefs.test test/prefs.results.test", capsys)
    explicit = _cli(trec_eval_dir, "-m all_prefs -R prefs test/prefs.test test/prefs.results.test", capsys)
    assert default[0] == 0 and default == explicit


def test_cli_complete_and_max_docs(trec_eval_dir, capsys):
    code, out, _ = _cli(trec_eval_dir, "-R prefs -c -M3 -q test/prefs.test test/prefs.results.test", capsys)
    assert code == 0
    evaluation = evaluate_prefs(
        trec_eval_dir / "prefs.test", trec_eval_dir / "prefs.results.test", complete=True, max_docs=3
    )
    assert out == "".join(line + "\n" for line in format_trec_eval(evaluation, per_query=True))
    records = read_prefs(trec_eval_dir / "prefs.test").to_records()
    ranking = Run.from_trec(trec_eval_dir / "prefs.results.test").to_dict()
    _assert_matches_reference(evaluation, reference.evaluate(records, ranking, complete=True, max_docs=3))


def test_cli_prefs_measure_without_prefs_format(trec_eval_dir, capsys):
    code, out, err = _cli(trec_eval_dir, "-m all_prefs test/qrels.test test/results.test", capsys)
    assert (code, out) == (2, "")
    assert "all_prefs needs preference judgments: add -R prefs or -R qrels_prefs" in err


def test_cli_reports_prefs_errors(tmp_path, trec_eval_dir, capsys):
    path = tmp_path / "bad.prefs"
    path.write_text("q g s d 1\nq g s\n")
    code, out, err = _cli(trec_eval_dir, f"-R prefs {path} test/prefs.results.test", capsys)
    assert (code, out) == (2, "")
    assert f"{path}:2: expected 5 fields" in err


def test_readme_example(capsys):
    """The README's preference example prints what the reference computes."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Preference measures", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    expected = reference.evaluate(namespace["prefs"].to_records(), namespace["run"])["q1"]
    names = ("prefs_simp", "prefs_pair", "prefs_avgjg")
    assert capsys.readouterr().out == " ".join(repr(expected[name]) for name in names) + "\n"
