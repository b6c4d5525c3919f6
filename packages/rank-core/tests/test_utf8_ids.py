"""rank-core 1.1: ids as UTF-8 slices (``utf8_ids``), run files without a doc vocabulary
(``parse_run_rows``), and the fast paths behind ``from_dict`` / query-id factorisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import ParseError, RankTypeError, RankValueError, Run, Vocabulary, threads
from rank_core._text import factorize_utf8, utf8_from_unicode
from rank_core.io_trec import parse_run, parse_run_rows
from rank_core.validation import as_id_array
from rank_core.vocabulary import utf8_ids, utf8_ids_from_joined

# any text, NUL and lone surrogates included: the fast path must step aside for those
any_text = st.text(max_size=6)


def slices(ids) -> list[bytes]:
    return [ids.data[s:e].tobytes() for s, e in zip(ids.starts.tolist(), ids.ends.tolist(), strict=True)]


def general_path(values) -> list[bytes]:
    """What rank-core 1.0 did: a numpy unicode array, encoded code point by code point."""
    data, offsets = utf8_from_unicode(as_id_array(list(values), name="ids"))
    return [data[s:e].tobytes() for s, e in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)]


@settings(deadline=None, max_examples=300)
@given(st.lists(st.one_of(any_text, st.integers(-5, 5)), max_size=12))
def test_utf8_ids_are_as_id_array_encoded(values):
    try:
        expected = general_path(values)
    except (RankTypeError, RankValueError) as error:
        with pytest.raises(type(error)) as info:
            utf8_ids(values, name="ids")
        assert str(info.value) == str(error)
        return
    assert slices(utf8_ids(values, name="ids")) == expected
    assert slices(utf8_ids(np.array(values, dtype=object), name="ids")) == expected
    assert slices(utf8_ids(iter(values), name="ids")) == expected


@settings(deadline=None, max_examples=200)
@given(st.lists(any_text, max_size=12))
def test_joined_text_is_split_back_or_declined(values):
    ids = utf8_ids_from_joined("\x00".join(values), len(values))
    valid = all(v and "\x00" not in v and not any("\ud800" <= c <= "\udfff" for c in v) for v in values)
    if not values or not valid:
        assert ids is None
    else:
        assert slices(ids) == [v.encode() for v in values]


@pytest.mark.parametrize("n", [1, 2, 3, 200_000])
def test_joined_text_of_many_ids(n):
    values = [f"doc-{i}-é" if i % 7 else f"d{i}" for i in range(n)]
    assert slices(utf8_ids_from_joined("\x00".join(values), n)) == [v.encode() for v in values]
    assert utf8_ids_from_joined("\x00".join(values), n + 1) is None
    assert utf8_ids_from_joined("\x00".join(values) + "\x00", n) is None


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from(["q1", "q10", "q2", "é", "a"]), min_size=1, max_size=40), st.integers(1, 4))
def test_factorize_runs_matches_plain_factorize(values, repeat):
    values = [v for v in values for _ in range(repeat)]  # runs of equal ids, as in a run file
    encoded = [v.encode() for v in values]
    buf = np.frombuffer(b" ".join(encoded), dtype=np.uint8)
    lengths = np.array([len(e) for e in encoded])
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    ends = starts + lengths
    codes, first = factorize_utf8(buf, starts, ends, runs=True)
    plain_codes, plain_first = factorize_utf8(buf, starts, ends)
    assert codes.tolist() == plain_codes.tolist()
    assert [values[i] for i in first.tolist()] == [values[i] for i in plain_first.tolist()] == sorted(set(values))


def test_vocabulary_utf8_slices():
    vocab, codes = Vocabulary.factorize(["b", "é", "a", "b"])
    assert slices(vocab.utf8()) == [b"a", b"b", "é".encode()]
    assert slices(vocab.utf8(codes)) == [b"b", "é".encode(), b"a", b"b"]


def test_from_dict_with_the_fast_path_equals_from_arrays():
    run = {"q2": {"b": 1.0, "é": 2.0, "a": 2.0}, "q1": {"中": 0.5}, "q3": {}}
    built = Run.from_dict(run)
    assert built.to_dict() == {"q1": {"中": 0.5}, "q2": {"é": 2.0, "a": 2.0, "b": 1.0}, "q3": {}}
    pairs = [(q, d, s) for q, docs in run.items() for d, s in docs.items()]
    assert built.doc_ids.tolist() == Run.from_arrays(*zip(*pairs, strict=True)).doc_ids.tolist()


@pytest.mark.parametrize(
    ("run", "error", "message"),
    [
        ({"q": {"d": 1.0, "": 2.0}}, RankValueError, "empty ids"),
        ({"q": {"d": 1.0, 2.5: 2.0}}, RankTypeError, "found float 2.5 at index 1"),
        ({"q": {1: 1.0, "1": 2.0}}, RankValueError, r"duplicate \(query, doc\) pair \('q', '1'\) at rows 0 and 1"),
    ],
)
def test_from_dict_errors_are_unchanged(run, error, message):
    with pytest.raises(error, match=message):
        Run.from_dict(run)


def write(tmp_path, text: bytes):
    path = tmp_path / "run.trec"
    path.write_bytes(text)
    return path


def test_parse_run_rows_keeps_doc_ids_as_file_slices(tmp_path):
    path = write(tmp_path, "q2 Q0 é 1 2.5 a\nq1 Q0 b 1 1 b\nq2 Q0 a 2 -inf c\n".encode())
    rows = parse_run_rows(path)
    full = parse_run(path)
    assert rows.query_ids.tolist() == full.query_ids.tolist() == ["q1", "q2"]
    assert rows.query_codes.tolist() == full.query_codes.tolist() == [1, 0, 1]
    assert (rows.block_starts.tolist(), rows.block_codes.tolist()) == ([0, 1, 2, 3], [1, 0, 1])
    assert slices(rows.docs) == ["é".encode(), b"b", b"a"]
    assert full.doc_vocab.decode(full.doc_codes).tolist() == ["é", "b", "a"]
    assert rows.scores.tolist() == full.values.tolist() == [2.5, 1.0, -np.inf]
    assert (rows.tag, rows.path) == (full.tag, full.path) == ("c", str(path))


def assert_rows_like_parse_run(rows, full):
    assert rows.query_ids.tolist() == full.query_ids.tolist()
    assert rows.query_codes.tolist() == full.query_codes.tolist()
    assert [b.decode() for b in slices(rows.docs)] == full.doc_vocab.decode(full.doc_codes).tolist()
    assert rows.scores.tobytes() == full.values.tobytes()
    assert (rows.tag, rows.path) == (full.tag, full.path)


LAYOUTS = [
    "q1 Q0 a 1 1.5 t\nq1 Q0 b 2 1 t\n",
    "q1 Q0 a 1 1.5 t",  # no final newline
    "\n# comment\n  q1\tQ0  a 1 1.5 t extra fields\n\n#q2 Q0 b 1 1 t\nq10 Q0 b 1 -0.0 u\r\n",
    "q2 Q0 a 1 1 t\nq1 Q0 a 1 2 t\nq2 Q0 b 2 0.5 t\n",  # a query in two blocks
    "qé Q0 dé 1 1e400 t\nqé Q0 d中 2 -inf t\nq😀 Q0 x 1 0.12345678901234567890123 t\n",  # slow-path scores
]


@pytest.mark.parametrize("text", LAYOUTS)
def test_parse_run_rows_reads_what_parse_run_reads(text):
    assert_rows_like_parse_run(parse_run_rows(text.encode()), parse_run(text.encode()))


def test_parse_run_rows_reads_rare_slow_path_scores_in_its_single_pass(monkeypatch):
    text = "q Q0 a 1 5.960464477539063e-08 t\nq Q0 b 2 -inf t\nq Q0 c 3 0.12345678901234567890123 t\nq Q0 d 4 1 t\n"
    expected = parse_run(text.encode())
    import rank_core.io_trec as io_trec

    def general_reader(*args):
        raise AssertionError("the general reader was used")

    monkeypatch.setattr(io_trec, "_run_rows_of_columns", general_reader)
    assert_rows_like_parse_run(parse_run_rows(text.encode()), expected)


@pytest.mark.parametrize("n_threads", [1, 2])
def test_parse_run_rows_of_a_file_in_many_chunks(tmp_path, n_threads):
    rng = np.random.default_rng(0)
    lines = []
    for q in rng.permutation(300).tolist():
        for d in range(int(rng.integers(1, 3000))):
            lines.append(f"q{q} Q0 doc-{d}-{q} {d} {rng.random():.6f} tag{q}\n")
            if rng.random() < 0.001:
                lines.append("# a comment\n\n")
    path = tmp_path / "big.trec"
    path.write_text("".join(lines), encoding="utf-8")
    assert path.stat().st_size > 8 << 20  # several chunks of >= 1 MiB
    with threads(n_threads):
        assert_rows_like_parse_run(parse_run_rows(path), parse_run(path))


@pytest.mark.parametrize(
    "text",
    [
        b"q Q0 d 1 1 t\nq Q0 e 2\n",
        b"q Q0 d\xff 1 1 t\nq Q0 e 2 x t\n",  # the docno is reported before the score
        b"q Q0 e 1 1 t\nq Q0 d\xfe 1 1 t\nq Q0 c\xff 1 1 t\n",  # the first invalid docno in sorted order
        b"q Q0 d 1 nan t\n",
        b"# nothing\n",
        b"q Q0 d 1 1 t\nq\xff Q0 e 1 1 t\n",
        b"q Q0 d 1 1 t\nq Q0 e 1 inf t\nq Q0 f 1 1.5e t\n",  # a slow-path score, then a bad one
    ],
)
def test_parse_run_rows_raises_what_parse_run_raises(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ParseError) as expected:
        parse_run(path)
    with pytest.raises(ParseError) as raised:
        parse_run_rows(path)
    assert (str(raised.value), raised.value.line) == (str(expected.value), expected.value.line)


def test_parse_run_rows_leaves_duplicates_to_run(tmp_path):
    path = write(tmp_path, b"q Q0 d 1 1 t\nq Q0 d 2 0.5 t\n")
    assert slices(parse_run_rows(path).docs) == [b"d", b"d"]
    with pytest.raises(ParseError, match="duplicate"):
        Run.from_trec(path)
