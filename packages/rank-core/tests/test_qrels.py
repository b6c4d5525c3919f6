from __future__ import annotations

import pandas as pd
import pytest

from rank_core import Qrels, RankTypeError, RankValueError

QRELS = {"q1": {"d2": 1, "d1": 0, "d3": -1}, "q2": {"x": 3}}


def test_from_dict_keeps_all_labels_sorted_by_doc():
    qrels = Qrels.from_dict(QRELS)
    assert qrels.query_ids.tolist() == ["q1", "q2"]
    assert qrels["q1"].doc_ids.tolist() == ["d1", "d2", "d3"]
    assert qrels["q1"].relevance.tolist() == [0, 1, -1]
    assert qrels.relevance.dtype.name == "int64"
    assert qrels.to_dict() == {"q1": {"d1": 0, "d2": 1, "d3": -1}, "q2": {"x": 3}}


def test_constructors_agree():
    rows = [(q, d, r) for q, docs in QRELS.items() for d, r in docs.items()]
    q, d, r = map(list, zip(*reversed(rows), strict=True))
    qrels = Qrels.from_dict(QRELS)
    assert Qrels.from_arrays(q, d, r) == qrels
    assert Qrels.from_arrays(q, d, [float(x) for x in r]) == qrels
    frame = pd.DataFrame({"query_id": q, "doc_id": d, "relevance": r})
    assert Qrels.from_pandas(frame) == qrels
    assert Qrels.from_pandas(qrels.to_pandas()) == qrels
    assert list(qrels.to_pandas().columns) == ["query_id", "doc_id", "relevance"]


def test_bad_inputs():
    with pytest.raises(RankValueError, match="integers") as info:
        Qrels.from_dict({"q": {"d": 0.5}})
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankValueError, match="duplicate") as info:
        Qrels.from_arrays(["q", "q"], ["d", "d"], [1, 0])
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankTypeError, match="must hold numbers") as info:
        Qrels.from_dict({"q": {"d": None}})
    assert isinstance(info.value, TypeError)
