from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import RankValueError, Vocabulary
from rank_core._text import factorize_byte_tokens

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
    vocab, codes, bad = factorize_byte_tokens(buf, starts, starts + lengths)
    assert bad == -1
    assert vocab.tolist() == sorted(set(values))
    assert vocab[codes].tolist() == values


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
