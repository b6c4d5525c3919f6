"""evaluate()'s fast input path against the straightforward one (rank-core Run and Qrels objects).

For runs given as dicts or TREC files, ``_fast_rankings`` must give exactly the queries, labels
and order of ``_rankings_of_tables``, or decline (None) and leave the input to it; every bad
input must raise what the straightforward path raises (class, builtin base and message).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import (
    NonFiniteInputError,
    ParseError,
    Qrels,
    RankTypeError,
    RankValueError,
    Run,
    ShapeMismatchError,
    threads,
)
from rank_eval import evaluate
from rank_eval._ingest import _fast_rankings, _rankings_of_tables, labelled_rankings

# prefixes of one another, multi-byte UTF-8 (2, 3 and 4 bytes), ASCII above and below the digits
PIECES = ["a", "ab", "b", "Z", "0", "é", "中", "😀", "-", "~"]
SCORES = [-math.inf, -1.5, -0.0, 0.0, 0.25, 1.0, 2.0, math.inf]
LABELS = [-2, -1, 0, 0, 1, 2, 3]


def random_ids(rng: np.random.Generator, n: int, prefix: str) -> list[str]:
    ids: set[str] = set()
    while len(ids) < n:
        ids.add(prefix + "".join(rng.choice(PIECES, size=rng.integers(1, 4))))
    return sorted(ids)


def random_case(rng: np.random.Generator) -> tuple[dict, dict]:
    """``(run, qrels)``: score ties (+-0, +-inf), unicode ids, queries on one side only, empty
    rankings, unjudged (negative) labels; sizes from 0 to ~80 docs per query."""
    queries = random_ids(rng, int(rng.integers(2, 9)), "q")
    pool = random_ids(rng, int(rng.integers(5, 120)), "")
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    tied = rng.random() < 0.7
    for qid in rng.permutation(queries).tolist():  # dict order is not query order
        if rng.random() < 0.85:
            docs = rng.choice(pool, size=int(rng.integers(0, min(80, len(pool)) + 1)), replace=False)
            scores = rng.choice(SCORES, size=docs.size) if tied else rng.normal(size=docs.size)
            run[qid] = dict(zip(docs.tolist(), scores.tolist(), strict=True))
        if rng.random() < 0.85:
            judged = rng.choice(pool, size=int(rng.integers(1, min(40, len(pool)) + 1)), replace=False)
            qrels[qid] = {doc: int(rng.choice(LABELS)) for doc in judged.tolist()}
    common = sorted(run.keys() & qrels.keys())
    if not common:  # at least one query to evaluate
        qid = queries[0]
        run.setdefault(qid, {pool[0]: 1.0})
        qrels.setdefault(qid, {pool[0]: 1})
    return run, qrels


def write_run(run: dict, path: Path, rng: np.random.Generator, *, grouped: bool) -> Path:
    """A TREC file of ``run``: queries one after the other, or all lines shuffled."""
    lines = [f"{qid} Q0 {doc} 0 {score!r} tag-{qid}\n" for qid, docs in run.items() for doc, score in docs.items()]
    if not grouped:
        lines = [lines[i] for i in rng.permutation(len(lines))]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def assert_same(fast, slow) -> None:
    assert fast is not None, "the fast path declined an input it should take"
    assert fast.query_ids.tolist() == slow.query_ids.tolist()
    assert fast.offsets.tolist() == slow.offsets.tolist()
    assert fast.labels.tolist() == slow.labels.tolist()
    assert fast.qrels_of_query.tolist() == slow.qrels_of_query.tolist()
    assert fast.qrels == slow.qrels
    assert fast.run_name == slow.run_name


OPTIONS = st.tuples(st.booleans(), st.sampled_from([None, 0, 1, 3, 50]), st.booleans())


@settings(deadline=None, max_examples=150)
@given(st.integers(0, 2**32 - 1), OPTIONS)
def test_dicts_give_the_labels_of_run_objects(seed, options):
    run, qrels = random_case(np.random.default_rng(seed))
    complete, max_docs, judged_only = options
    fast = _fast_rankings(qrels, run, complete, max_docs, judged_only)
    assert_same(fast, _rankings_of_tables(Qrels.from_dict(qrels), Run.from_dict(run), complete, max_docs, judged_only))


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32 - 1), OPTIONS, st.booleans())
def test_files_give_the_labels_of_run_objects(tmp_path_factory, seed, options, grouped):
    rng = np.random.default_rng(seed)
    run, qrels = random_case(rng)
    run = {qid: docs for qid, docs in run.items() if docs}  # a file has no empty ranking
    if not run.keys() & qrels.keys():
        return
    path = write_run(run, tmp_path_factory.mktemp("runs") / "run.trec", rng, grouped=grouped)
    complete, max_docs, judged_only = options
    fast = _fast_rankings(qrels, path, complete, max_docs, judged_only)
    assert_same(fast, _rankings_of_tables(qrels, Run.from_trec(path), complete, max_docs, judged_only))
    assert fast.run_name == Run.from_trec(path).name


def test_ties_are_broken_by_doc_id_bytes_descending():
    docs = ["a", "ab", "b", "é", "z", "中", "😀", "Z"]  # code point order is UTF-8 byte order
    run = {"q": dict.fromkeys(docs, 1.0) | {"top": 2.0, "-0": -0.0, "+0": 0.0}}
    qrels = {"q": {doc: i for i, doc in enumerate([*docs, "top", "-0", "+0"])}}
    rankings = _fast_rankings(qrels, run, False, None, False)
    expected = [qrels["q"][d] for d in ["top", *sorted(docs, reverse=True), "-0", "+0"]]
    assert rankings.labels.tolist() == expected


def test_many_judged_docs_take_the_binary_search():
    rng = np.random.default_rng(7)
    docs = [f"d{i}" for i in range(2000)]
    run = {"q": dict(zip(docs, rng.choice([0.0, 1.0, 2.5, 3.0], size=2000).tolist(), strict=True))}
    qrels = {"q": {doc: int(rng.integers(-2, 4)) for doc in rng.choice(docs, size=600, replace=False).tolist()}}
    for options in [(False, None, False), (False, 1500, True), (True, 10, False)]:
        assert_same(_fast_rankings(qrels, run, *options), _rankings_of_tables(qrels, run, *options))


def test_runs_without_any_row():
    qrels = {"q": {"d": 1}, "r": {"d": 0}}
    for complete in (False, True):
        assert_same(_fast_rankings(qrels, {"q": {}}, complete, None, False), _rankings_of_tables(qrels, {"q": {}}, complete, None, False))


def test_complete_keeps_judged_queries_without_a_ranking():
    run = {"b": {"x": 1.0}, "zz": {"x": 1.0}, "a": {}}
    qrels = {"c": {"x": 1}, "a": {"x": 1}, "b": {"x": 0, "y": -1}}
    for complete in (False, True):
        fast = _fast_rankings(qrels, run, complete, None, False)
        assert_same(fast, _rankings_of_tables(qrels, run, complete, None, False))
    assert fast.query_ids.tolist() == ["a", "b", "c"]
    assert fast.offsets.tolist() == [0, 0, 1, 1]


def test_integer_query_ids_are_read_as_text():
    run = {7: {"a": 1.0, "b": 2.0}, "8": {"a": 0.5}}
    qrels = {"7": {"b": 1}, "8": {"a": 0}}
    fast = _fast_rankings(qrels, run, False, None, False)
    assert_same(fast, _rankings_of_tables(qrels, run, False, None, False))
    assert fast.query_ids.tolist() == ["7", "8"]


def test_results_do_not_depend_on_the_thread_count():
    run, qrels = random_case(np.random.default_rng(3))
    with threads(1):
        one = _fast_rankings(qrels, run, True, None, False)
    assert_same(_fast_rankings(qrels, run, True, None, False), one)


@pytest.mark.parametrize(
    "run",
    [
        {"q": {1: 1.0, "d": 0.5}},  # integer doc ids: Run.from_dict turns them into text
        {1: {"d": 1.0}, "1": {"e": 2.0}},  # one query to Run.from_dict
        {"q": {"a\x00b": 1.0}},  # a NUL inside an id
        {"q": {"a\ud800": 1.0}},  # a lone surrogate
    ],
)
def test_inputs_the_fast_path_leaves_to_run_objects(run):
    qrels = {"q": {"d": 1, "a": 0}, "1": {"e": 1}}
    assert _fast_rankings(qrels, run, False, None, False) is None
    expected = _rankings_of_tables(qrels, run, False, None, False)
    assert_same(labelled_rankings(qrels, run, False, None, False), expected)


def test_run_objects_and_dataframes_take_the_straightforward_path():
    pandas = pytest.importorskip("pandas")
    run, qrels = random_case(np.random.default_rng(5))
    frame = Run.from_dict(run).to_pandas()
    assert _fast_rankings(qrels, Run.from_dict(run), False, None, False) is None
    assert _fast_rankings(qrels, frame, False, None, False) is None
    assert isinstance(frame, pandas.DataFrame)


def test_evaluate_from_dicts_and_files_equals_evaluate_from_objects(tmp_path):
    rng = np.random.default_rng(11)
    run, qrels = random_case(rng)
    run = {qid: docs for qid, docs in run.items() if docs}
    path = write_run(run, tmp_path / "run.trec", rng, grouped=False)
    measures = ["all_trec", "nDCG@10", "RR@5", "ERR@20"]
    expected = evaluate(Qrels.from_dict(qrels), Run.from_trec(path), measures, complete=True)
    for source in (path, run):
        result = evaluate(qrels, source, measures, complete=True)
        assert result.query_ids.tolist() == expected.query_ids.tolist()
        for name, values in expected.per_query.items():
            assert np.array_equal(result.per_query[name], values), name
        assert result.summary.keys() == expected.summary.keys()
        if source is path:
            assert result.summary == expected.summary


def _error_of(call):
    try:
        call()
    except Exception as error:  # the error itself is what is compared
        return error
    raise AssertionError("no error was raised")


GOOD_QRELS = {"q": {"d": 1}}

DICT_ERRORS = [
    ({"q": {"d": float("nan")}}, GOOD_QRELS, NonFiniteInputError, ValueError),
    ({"q": {"d": "1.5"}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {"d": True, "e": False}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {"d": None}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {"d": [1.0]}}, GOOD_QRELS, ShapeMismatchError, ValueError),
    ({"q": {"": 1.0}}, GOOD_QRELS, RankValueError, ValueError),
    ({"q": {"d": 1.0, "": 2.0}}, GOOD_QRELS, RankValueError, ValueError),
    ({"q": {1.5: 1.0}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {b"d": 1.0}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {"d": 1.0}, 2.5: {"d": 1.0}}, GOOD_QRELS, RankTypeError, TypeError),
    ({"": {"d": 1.0}}, GOOD_QRELS, RankValueError, ValueError),
    ({"q": [("d", 1.0)]}, GOOD_QRELS, RankTypeError, TypeError),
    ({"q": {1: 1.0, "1": 2.0}}, GOOD_QRELS, RankValueError, ValueError),  # a duplicate once ids are text
    # the run's errors come first, then the qrels'
    ({"q": {"d": float("nan")}}, {"q": {"d": 1.5}}, NonFiniteInputError, ValueError),
    ({"q": {"d": 1.0}}, {"q": {"d": 1.5}}, RankValueError, ValueError),
    ({"q": {"d": 1.0}}, {"q": {"": 1}}, RankValueError, ValueError),
    ({"q": {"d": 1.0}}, [("q", "d", 1)], RankTypeError, TypeError),
    ({"other": {"d": 1.0}}, GOOD_QRELS, RankValueError, ValueError),  # nothing to evaluate
]


@pytest.mark.parametrize(("run", "qrels", "error", "base"), DICT_ERRORS)
def test_bad_dicts_raise_what_run_objects_raise(run, qrels, error, base):
    expected = _error_of(lambda: _rankings_of_tables(qrels, run, False, None, False))
    raised = _error_of(lambda: evaluate(qrels, run, ["map"]))
    assert type(raised) is type(expected) is error
    assert isinstance(raised, base)
    assert str(raised) == str(expected)


FILE_ERRORS = [
    ("q Q0 d 1 1.0 t\nq Q0 e 2 0.5 t\nq Q0 d 3 0.2 t\n", ParseError, 3),  # duplicate doc
    ("q Q0 d 1 1.0 t\nr Q0 d 1 1.0 t\nq Q0 d 2 0.5 t\n", ParseError, 3),  # duplicate, query split
    ("q Q0 d 1 1.0 t\nq Q0 e 2\n", ParseError, 2),  # too few fields
    ("q Q0 d 1 1.0 t\nq Q0 e 2 nan t\n", ParseError, 2),
    ("q Q0 d 1 1.7x t\n", ParseError, 1),
    ("q Q0 d\xff 1 1.0 t\n", ParseError, 1),  # not UTF-8
    ("q Q0 d 1 1.0 t\nq Q0 e\x00 2 0.5 t\n", ParseError, 2),
    ("# nothing\n\n", ParseError, None),
    ("r Q0 d 1 1.0 t\n", RankValueError, None),  # nothing to evaluate
]


@pytest.mark.parametrize(("text", "error", "line"), FILE_ERRORS)
def test_bad_files_raise_what_run_objects_raise(tmp_path, text, error, line):
    path = tmp_path / "run.trec"
    path.write_bytes(text.encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff"))
    expected = _error_of(lambda: _rankings_of_tables(GOOD_QRELS, path, False, None, False))
    raised = _error_of(lambda: evaluate(GOOD_QRELS, path, ["map"]))
    assert type(raised) is type(expected) is error
    assert isinstance(raised, ValueError)
    assert str(raised) == str(expected)
    if error is ParseError:
        assert raised.path == str(path)
        assert raised.line == line


def test_a_missing_file_raises_a_parse_error(tmp_path):
    raised = _error_of(lambda: evaluate(GOOD_QRELS, tmp_path / "absent.trec", ["map"]))
    assert isinstance(raised, ParseError)
    assert isinstance(raised, ValueError)
    assert raised.path == str(tmp_path / "absent.trec")
