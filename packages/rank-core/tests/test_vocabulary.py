from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import RankValueError, Vocabulary
from rank_core._text import factorize_utf8, unicode_from_utf8, utf8_from_unicode

# ids as they occur: any text without whitespace or NUL, including non-ASCII
ids_strategy = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=30
)


@settings(deadline=None, max_examples=200)
@given(st.lists(ids_strategy, max_size=60))
def test_factorize_matches_sorted_unique(values):
    vocab, codes = Vocabulary.factorize(values)
    expected = sorted(set(values))  # Python sorts str by code point, like trec_eval's strcmp on UTF-8
    assert vocab.ids.tolist() == expected
    assert vocab.decode(codes).tolist() == values


@settings(deadline=None, max_examples=200)
@given(st.lists(ids_strategy, min_size=1, max_size=60))
def test_factorize_file_tokens_matches_python(values):
    encoded = [v.encode("utf-8") for v in values]
    buf = np.frombuffer(b" ".join(encoded), dtype=np.uint8)
    lengths = np.array([len(e) for e in encoded])
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    ends = starts + lengths
    codes, first = factorize_utf8(buf, starts, ends)
    vocab = Vocabulary._from_utf8(buf, starts[first], ends[first])
    assert vocab.decode(codes).tolist() == values  # decoded row by row, before any materialisation
    assert vocab.ids.tolist() == sorted(set(values))
    assert [vocab[c] for c in range(len(vocab))] == vocab.ids.tolist()


@settings(deadline=None, max_examples=200)
@given(st.lists(ids_strategy, max_size=40), st.lists(ids_strategy, max_size=40))
def test_merge_and_encode_on_utf8_bytes(left, right):
    a, b = Vocabulary(left), Vocabulary(right)
    union, (to_union_a, to_union_b) = Vocabulary.merge(a, b)
    assert union.ids.tolist() == sorted(set(left) | set(right))
    assert union.decode(to_union_a).tolist() == a.ids.tolist()
    assert union.decode(to_union_b).tolist() == b.ids.tolist()
    probe = left + right + ["\u2603-absent"]
    expected = [sorted(set(left)).index(v) if v in set(left) else -1 for v in probe]
    assert a.encode(probe, missing="ignore").tolist() == expected


@settings(deadline=None, max_examples=200)
@given(st.lists(ids_strategy, max_size=40))
def test_utf8_round_trip(values):
    ids = np.array(values, dtype=str) if values else np.empty(0, dtype="U1")
    data, offsets = utf8_from_unicode(ids)
    assert data.tobytes() == "".join(values).encode("utf-8")
    ascii = bool(data.max(initial=0) < 0x80)
    assert unicode_from_utf8(data, offsets[:-1], offsets[1:], ascii=ascii).tolist() == values


def test_shared_prefixes_and_ties_sort_correctly():
    values = ["msmarco_passage_10", "msmarco_passage_9", "msmarco_passage_1", "msmarco_passage_",
              "msmarco_passage_10", "a", "msmarco_passage_100000000000000000000001",
              "msmarco_passage_100000000000000000000000"]
    vocab, codes = Vocabulary.factorize(values)
    assert vocab.ids.tolist() == sorted(set(values))
    assert vocab.decode(codes).tolist() == values


def test_encode_decode_and_membership():
    vocab = Vocabulary(["b", "a", "c", "a"])
    assert list(vocab) == ["a", "b", "c"]
    assert len(vocab) == 3
    assert "b" in vocab and "z" not in vocab and 3 not in vocab
    assert vocab.encode(["c", "a"]).tolist() == [2, 0]
    assert vocab.encode(["c", "zz", "0"], missing="ignore").tolist() == [2, -1, -1]
    with pytest.raises(RankValueError, match="'zz'"):
        vocab.encode(["zz"])
    with pytest.raises(RankValueError, match="missing must be one of"):
        vocab.encode(["a"], missing="drop")
    assert vocab[1] == "b"
    assert Vocabulary().encode(["a"], missing="ignore").tolist() == [-1]


def test_union_and_order_preserving_remap():
    a = Vocabulary(["d1", "d3", "d5"])
    b = Vocabulary(["d2", "d3", "d9"])
    union = a.union(b)
    assert union.ids.tolist() == ["d1", "d2", "d3", "d5", "d9"]
    mapping = a.remap_to(union)
    assert union.decode(mapping).tolist() == a.ids.tolist()
    assert np.all(np.diff(mapping) > 0)
    assert a.union(a) is a
    assert a.union(Vocabulary(["d1"])) is a
    assert a.remap_to(a).tolist() == [0, 1, 2]
    with pytest.raises(RankValueError):
        union.remap_to(a)
    assert a == Vocabulary(["d5", "d1", "d3"]) and a != b


def test_ids_are_read_only():
    vocab = Vocabulary(["x"])
    with pytest.raises(ValueError, match="read-only"):
        vocab.ids[0] = "y"
