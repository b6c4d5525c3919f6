from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import trec_eval_order

from rank_core import (
    NonFiniteInputError,
    ParseError,
    Qrels,
    RankTypeError,
    RankValueError,
    Run,
    ShapeMismatchError,
    align,
)

RUN = {"q2": {"d1": 0.5, "d2": 1.5, "d3": 0.5}, "q1": {"a": 3.0}, "q10": {"z": -1.0, "y": float("inf")}}


def test_from_dict_orders_queries_and_rows_like_trec_eval():
    run = Run.from_dict(RUN, name="bm25")
    assert run.query_ids.tolist() == ["q1", "q10", "q2"]  # string order, as trec_eval
    assert run["q2"].doc_ids.tolist() == ["d2", "d3", "d1"]  # tie 0.5: doc id descending
    assert run["q2"].scores.tolist() == [1.5, 0.5, 0.5]
    assert run["q10"].doc_ids.tolist() == ["y", "z"]
    assert (len(run), run.n_rows, run.name) == (3, 6, "bm25")
    assert run.offsets.tolist() == [0, 1, 3, 6]
    assert run.counts().tolist() == [1, 2, 3]
    assert run.ranks().tolist() == [1, 1, 2, 1, 2, 3]
    assert list(run) == ["q1", "q10", "q2"]
    assert "q2" in run and "q3" not in run and 2 not in run
    with pytest.raises(KeyError):
        run["q3"]


@settings(deadline=None, max_examples=100)
@given(
    st.dictionaries(
        st.sampled_from(["1", "2", "10", "b"]),
        st.dictionaries(st.text("abcxyz019", min_size=1, max_size=4), st.sampled_from([0.0, 1.0, 2.5, -1.0]), max_size=12),
        max_size=4,
    )
)
def test_row_order_matches_reference(data):
    run = Run.from_dict(data)
    for qid, ranking in data.items():
        assert run[qid].doc_ids.tolist() == trec_eval_order(ranking)
    assert run.to_dict() == data


def test_constructors_agree():
    by_dict = Run.from_dict(RUN)
    rows = [(q, d, s) for q, docs in RUN.items() for d, s in docs.items()]
    rng = np.random.default_rng(0)
    rows = [rows[i] for i in rng.permutation(len(rows))]
    q, d, s = map(list, zip(*rows, strict=True))
    assert Run.from_arrays(q, d, s) == by_dict
    frame = pd.DataFrame({"query_id": q, "doc_id": d, "score": s})
    assert Run.from_pandas(frame) == by_dict
    renamed = frame.rename(columns={"query_id": "q_id"})
    assert Run.from_pandas(renamed, query_col="q_id") == by_dict


def test_to_dict_and_to_pandas_round_trip():
    run = Run.from_dict(RUN)
    assert run.to_dict() == {k: dict(sorted(v.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)) for k, v in RUN.items()}
    frame = run.to_pandas()
    assert list(frame.columns) == ["query_id", "doc_id", "score", "rank"]
    assert Run.from_pandas(frame) == run
    assert frame["rank"].tolist() == run.ranks().tolist()


def test_integer_ids_become_text():
    run = Run.from_arrays([1, 1, 2], [7, 8, 7], [0.1, 0.2, 0.3])
    assert run.query_ids.tolist() == ["1", "2"]
    assert run["1"].doc_ids.tolist() == ["8", "7"]


def test_empty_and_single():
    empty = Run.from_dict({})
    assert (len(empty), empty.n_rows, empty.to_dict()) == (0, 0, {})
    assert Run.from_dict({"q": {}}).to_dict() == {"q": {}}
    single = Run.from_dict({"q": {"d": 1.0}})
    assert single.top_k(0).to_dict() == {"q": {}}
    assert single.top_k(5) == single


def test_top_k():
    run = Run.from_dict(RUN)
    top = run.top_k(2)
    assert top.to_dict() == {"q1": {"a": 3.0}, "q10": {"y": float("inf"), "z": -1.0}, "q2": {"d2": 1.5, "d3": 0.5}}
    assert top.name == run.name
    with pytest.raises(RankValueError):
        run.top_k(-1)
    with pytest.raises(RankTypeError):
        run.top_k(2.0)


def test_bad_inputs():
    with pytest.raises(NonFiniteInputError, match="scores") as info:
        Run.from_dict({"q": {"d": float("nan")}})
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankValueError, match=r"duplicate \(query, doc\) pair \('q', 'd'\) at rows 0 and 2") as info:
        Run.from_arrays(["q", "q", "q"], ["d", "e", "d"], [1.0, 2.0, 3.0])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ShapeMismatchError, match="doc_ids has 1, score has 2") as info:
        Run.from_arrays(["q", "q"], ["d"], [1.0, 2.0])
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankTypeError, match="mapping") as info:
        Run.from_dict({"q": [("d", 1.0)]})
    assert isinstance(info.value, TypeError)
    with pytest.raises(RankTypeError):
        Run.from_dict([("q", "d", 1.0)])
    with pytest.raises(RankTypeError, match="must hold numbers"):
        Run.from_dict({"q": {"d": "high"}})
    with pytest.raises(RankTypeError, match="found float"):
        Run.from_dict({1.5: {"d": 1.0}})
    with pytest.raises(RankValueError, match="column"):
        Run.from_pandas(pd.DataFrame({"qid": ["q"], "doc_id": ["d"], "score": [1.0]}))
    with pytest.raises(RankTypeError):
        Run.from_pandas({"query_id": ["q"]})
    with pytest.raises(RankTypeError, match="from_"):
        Run()


def test_immutability():
    run = Run.from_dict(RUN)
    for array in (run.scores, run.doc_codes, run.offsets, run.query_ids, run.doc_ids):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[0]


def test_align_shares_one_vocabulary():
    run = Run.from_dict({"q1": {"d3": 1.0, "d1": 2.0}, "q2": {"d9": 1.0}})
    qrels = Qrels.from_dict({"q1": {"d1": 1, "d2": 0}, "q3": {"d3": 2}})
    aligned_run, aligned_qrels = align(run, qrels)
    assert aligned_run.doc_vocab is aligned_qrels.doc_vocab
    assert aligned_run == run and aligned_qrels == qrels  # same content
    vocab = aligned_run.doc_vocab
    assert vocab.decode(aligned_run.doc_codes).tolist() == run.doc_ids.tolist()
    assert vocab.decode(aligned_qrels.doc_codes).tolist() == qrels.doc_ids.tolist()
    assert qrels.query_positions(run.query_ids).tolist() == [0, -1]
    assert aligned_run.name == run.name


def test_same_result_whatever_the_thread_count():
    from rank_core import threads

    rng = np.random.default_rng(11)
    queries = rng.integers(0, 40, 5000).astype(str)
    docs = np.char.add("d", rng.integers(0, 300, 5000).astype(str))
    pairs = dict.fromkeys(zip(queries.tolist(), docs.tolist(), strict=True))
    q, d = map(np.array, zip(*pairs, strict=True))
    scores = rng.integers(0, 5, q.size).astype(float)  # many ties
    with threads(1):
        serial = Run.from_arrays(q, d, scores)
    parallel = Run.from_arrays(q, d, scores)
    assert serial == parallel
    assert np.array_equal(serial.doc_codes, parallel.doc_codes)


def test_from_trec_negated_rank_reads_the_rank_column() -> None:
    text = b"q1 Q0 a 1 0.2 t\nq1 Q0 b 3 0.9 t\nq2 Q0 c 7 1.0 t\n"
    run = Run.from_trec(text, scores="negated_rank")
    assert run.to_dict() == {"q1": {"a": -1.0, "b": -3.0}, "q2": {"c": -7.0}}
    assert run["q1"].doc_ids.tolist() == ["a", "b"]  # the file's rank order, not its scores'
    with pytest.raises(RankValueError, match="scores must be one of"):
        Run.from_trec(text, scores="rank")
    with pytest.raises(ParseError, match="rank 'x' is not a number") as info:
        Run.from_trec(b"q1 Q0 a 1 0.2 t\nq1 Q0 b x 0.9 t\n", scores="negated_rank")
    assert info.value.line == 2 and isinstance(info.value, ValueError)


def test_from_ranked_codes_checks_in_linear_time() -> None:
    run = Run.from_dict(RUN, name="x")
    same = Run.from_ranked_codes(run.query_ids, run.offsets, run.doc_codes, run.scores, run.doc_vocab, name="x")
    assert same == run and same.name == "x"
    q2 = slice(int(run.offsets[2]), int(run.offsets[3]))
    swapped = run.doc_codes.copy()
    swapped[q2] = swapped[q2][[0, 2, 1]]  # the 0.5 tie now by doc id ascending
    with pytest.raises(RankValueError, match="query 'q2' are not ranked"):
        Run.from_ranked_codes(run.query_ids, run.offsets, swapped, run.scores, run.doc_vocab)
    with pytest.raises(RankValueError, match="sorted and distinct"):
        Run.from_ranked_codes(run.query_ids[::-1], run.offsets, run.doc_codes, run.scores, run.doc_vocab)
    with pytest.raises(ShapeMismatchError, match="offsets must rise"):
        Run.from_ranked_codes(run.query_ids, run.offsets[:-1], run.doc_codes, run.scores, run.doc_vocab)
    with pytest.raises(RankValueError, match="range of doc_vocab"):
        Run.from_ranked_codes(run.query_ids, run.offsets, run.doc_codes + 100, run.scores, run.doc_vocab)
    nan = run.scores.copy()
    nan[0] = np.nan
    with pytest.raises(NonFiniteInputError):
        Run.from_ranked_codes(run.query_ids, run.offsets, run.doc_codes, nan, run.doc_vocab)
