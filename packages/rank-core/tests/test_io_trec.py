from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pytest
import reference
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import ParseError, Qrels, RankValueError, Run
from rank_core.io_trec import atomic_binary_writer, atomic_writer

RUN_FILES = ["results.test", "results.trunc", "results.comment.test", "results-302.test", "prefs.results.test"]
QRELS_FILES = [
    "qrels.test", "qrels.test.with-comments", "qrels.comment.test", "qrels.rel_level", "qrels-302.test"
]
GROUP_FILES = ["qrels.123", "qrels.comments.123"]


# ---------------------------------------------------------------- every shared trec_eval file


@pytest.mark.parametrize("name", RUN_FILES)
def test_reads_every_run_file_like_the_reference(trec_eval_dir, name, tmp_path):
    path = trec_eval_dir / name
    run = Run.from_trec(path)
    expected = reference.read_run(path)
    assert run.to_dict() == expected
    for qid in expected:
        assert run[qid].doc_ids.tolist() == reference.trec_eval_order(expected[qid])
    # round trip through the writer, plain and gzip
    for out in (tmp_path / "out.txt", tmp_path / "out.txt.gz"):
        run.to_trec(out)
        again = Run.from_trec(out)
        assert again == run
        assert again.name == run.name


@pytest.mark.parametrize("name", QRELS_FILES)
def test_reads_every_qrels_file_like_the_reference(trec_eval_dir, name, tmp_path):
    path = trec_eval_dir / name
    qrels = Qrels.from_trec(path)
    assert qrels.to_dict() == reference.read_qrels(path)
    qrels.to_trec(tmp_path / "q.txt")
    assert Qrels.from_trec(tmp_path / "q.txt") == qrels


@pytest.mark.parametrize("name", GROUP_FILES)
def test_judgment_group_files(trec_eval_dir, name):
    path = trec_eval_dir / name
    with pytest.raises(ParseError, match=r"judged twice.*groups_from_trec"):
        Qrels.from_trec(path)
    groups = Qrels.groups_from_trec(path)
    expected: dict[str, dict[str, dict[str, int]]] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            qid, group, doc, rel = line.split()
            expected.setdefault(group, {}).setdefault(qid, {})[doc] = int(rel)
    assert {g: q.to_dict() for g, q in groups.items()} == expected


def test_comment_variants_read_the_same_data(trec_eval_dir):
    plain = Qrels.from_trec(trec_eval_dir / "qrels.test").to_dict()
    commented = Qrels.from_trec(trec_eval_dir / "qrels.test.with-comments").to_dict()
    # the commented copy renames one docno to hold a '#': CR93E-1860 -> CR#93E-1860
    assert commented["301"].pop("CR#93E-1860") == plain["301"].pop("CR93E-1860")
    assert commented == plain
    assert "CR93E-3103#37" in Qrels.groups_from_trec(trec_eval_dir / "qrels.comments.123")["0"]["301"].doc_ids


def test_matches_pytrec_eval_parsers(trec_eval_dir):
    pytrec_eval = pytest.importorskip("pytrec_eval")
    with (trec_eval_dir / "results.test").open() as f:
        assert Run.from_trec(trec_eval_dir / "results.test").to_dict() == pytrec_eval.parse_run(f)
    with (trec_eval_dir / "qrels.test").open() as f:
        assert Qrels.from_trec(trec_eval_dir / "qrels.test").to_dict() == pytrec_eval.parse_qrel(f)


# ---------------------------------------------------------------- accepted variations


def test_sources_paths_bytes_file_objects_and_gzip(tmp_path):
    text = "q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1 tag\n"
    expected = {"q1": {"d1": 2.5, "d2": 1.0}}
    (tmp_path / "run").write_text(text)
    (tmp_path / "run.gz").write_bytes(gzip.compress(text.encode()))
    (tmp_path / "disguised.txt").write_bytes(gzip.compress(text.encode()))  # detected by content
    for source in (
        tmp_path / "run", str(tmp_path / "run"), tmp_path / "run.gz", tmp_path / "disguised.txt",
        text.encode(), io.BytesIO(text.encode()), io.StringIO(text),
    ):
        assert Run.from_trec(source).to_dict() == expected


def test_layout_tolerance():
    text = (
        b"# leading comment\n"
        b"\n"
        b"   \t \n"
        b"  q1\tQ0   d1 \t 1   2.5 tag extra fields ignored\r\n"
        b"   # indented comment\n"
        b"q1 Q0 d#2 2 -1e-3 tag"  # no final newline; '#' inside a docno is data
    )
    run = Run.from_trec(text)
    assert run.to_dict() == {"q1": {"d1": 2.5, "d#2": -0.001}}
    assert run.name == "tag"


def test_name_override_and_last_tag():
    run = Run.from_trec(b"q Q0 a 1 1 first\nq Q0 b 2 0 last\n")
    assert run.name == "last"  # trec_eval keeps the last line's tag
    assert Run.from_trec(b"q Q0 a 1 1 t\n", name="mine").name == "mine"


def test_rank_column_is_ignored():
    run = Run.from_trec(b"q Q0 a 1 0.5 t\nq Q0 b 2 0.9 t\nq Q0 c 3 0.9 t\n")
    assert run["q"].doc_ids.tolist() == ["c", "b", "a"]


def test_utf8_ids():
    run = Run.from_trec("q Q0 caf\u00e9 1 1 t\nq Q0 \u65e5\u672c 2 2 t\nq Q0 cafe 3 1 t\n".encode())
    assert run["q"].doc_ids.tolist() == ["\u65e5\u672c", "caf\u00e9", "cafe"]


SCORE_TEXTS = [
    "0", "-0", "+1", "1.", ".5", "-.5e-3", "1E+5", "12345678901234567890", "0.1234567890123456789",
    "1e308", "1e-320", "2.2250738585072014e-308", "inf", "-Infinity", "4.35",
    # 16-19 digits: the exact 128-bit path, including halfway cases that round to even
    "9007199254740993", "9007199254740995", "18014398509481986", "18014398509481990",
    "9007199254740993e-3", "0.30000000000000004", "19.108850619610203", "1.7976931348623157e+19",
    "9999999999999999999", "0.9999999999999999999", "4.4501477170144023e-18", "1152921504606846977e-19",
]


@pytest.mark.parametrize("text", SCORE_TEXTS)
def test_score_parsing_is_exact(text):
    run = Run.from_trec(f"q Q0 d 1 {text} t\n".encode())
    assert run.scores[0] == float(text)
    assert np.signbit(run.scores[0]) == np.signbit(float(text))


@pytest.mark.parametrize("exponent", range(-60, 61, 7))
def test_scores_around_powers_of_two(exponent):
    edge = 2.0**exponent
    values = [edge, np.nextafter(edge, 0), np.nextafter(edge, np.inf)]
    texts = [t for v in values for t in (repr(float(v)), f"{v:.18e}", f"{v:.17g}")]
    data = "".join(f"q Q0 d{i} 1 {t} x\n" for i, t in enumerate(texts)).encode()
    parsed = Run.from_trec(data).to_dict()["q"]
    assert [parsed[f"d{i}"] for i in range(len(texts))] == [float(t) for t in texts]


@settings(deadline=None, max_examples=300)
@given(st.floats(allow_nan=False))
def test_float_round_trip_is_lossless(value):
    run = Run.from_trec(f"q Q0 d 1 {value!r} t\nq Q0 e 2 {value:.6f} t\n".encode())
    assert run.to_dict()["q"] == {"d": value, "e": float(f"{value:.6f}")}


@settings(deadline=None, max_examples=300)
@given(
    st.from_regex(r"\A[+-]?([0-9]{1,25}(\.[0-9]{0,25})?|\.[0-9]{1,25})([eE][+-]?[0-9]{1,3})?\Z", fullmatch=True)
)
def test_any_decimal_text_parses_like_python(text):
    assert Run.from_trec(f"q Q0 d 1 {text} t\n".encode()).scores[0] == float(text)


# ---------------------------------------------------------------- malformed input


def _error(data: bytes, reader=Run.from_trec) -> ParseError:
    with pytest.raises(ParseError) as info:
        reader(data)
    assert isinstance(info.value, ValueError)
    return info.value


def test_too_few_columns():
    err = _error(b"q Q0 a 1 1 t\n# c\nq Q0 b 2 1\n")
    assert err.line == 3
    assert "expected 6 fields" in str(err) and "found 5" in str(err)
    assert _error(b"q 0 d\n", Qrels.from_trec).line == 1


def test_too_many_qrels_columns():
    err = _error(b"q 0 a 1\nq 0 b 1 extra\n", Qrels.from_trec)
    assert err.line == 2 and "found 5" in str(err)


def test_non_numeric_score():
    for bad in (b"high", b"1.5x", b"1,5", b"0x10", b"1_000", b"e5", b"1e", b"--1", b"nanx", b".inf",
                b"-.nan", b"infinit", b"1e5.5", b"."):
        err = _error(b"q Q0 a 1 1 t\n\nq Q0 b 2 " + bad + b" t\n")
        assert err.line == 3, bad
        assert "is not a number" in str(err)


def test_nan_score():
    err = _error(b"q Q0 a 1 NaN t\n")
    assert err.line == 1 and "NaN" in str(err)


def test_non_integer_relevance():
    for bad in (b"1.0", b"one", b"-", b"1e2"):
        err = _error(b"q 0 a 1\nq 0 b " + bad + b"\n", Qrels.from_trec)
        assert err.line == 2 and "not an integer" in str(err)


def test_duplicate_pair_names_both_lines(tmp_path):
    path = tmp_path / "dup.run"
    path.write_bytes(b"q Q0 a 1 1 t\nq Q0 b 2 1 t\nr Q0 a 1 1 t\n# note\nq Q0 a 3 0.5 t\n")
    with pytest.raises(ParseError) as info:
        Run.from_trec(path)
    err = info.value
    assert (err.path, err.line) == (str(path), 5)
    assert "duplicate doc 'a' for query 'q' (first seen on line 1)" in str(err)
    assert _error(b"q 0 a 1\nq 0 a 0\n", Qrels.from_trec).line == 2


def test_empty_and_comment_only_files(tmp_path):
    for data in (b"", b"\n\n  \n", b"# only a comment\n"):
        err = _error(data)
        assert err.line is None and "empty" in str(err)
        assert _error(data, Qrels.from_trec).line is None


def test_binary_garbage():
    rng = np.random.default_rng(7)
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    for reader in (Run.from_trec, Qrels.from_trec):
        _error(garbage, reader)
    err = _error(b"q Q0 a 1 1 t\nq Q0 b\x00c 2 1 t\n")
    assert err.line == 2 and "NUL" in str(err)
    err = _error(b"q Q0 a 1 1 t\nq Q0 \xff\xfe 2 1 t\n")
    assert err.line == 2 and "UTF-8" in str(err)
    err = _error(b"q 0 a 1\n\xc3\x28 0 b 1\n", Qrels.from_trec)
    assert err.line == 2 and "query id" in str(err)


def test_missing_file_and_corrupt_gzip(tmp_path):
    err = _error(tmp_path / "absent.txt")  # type: ignore[arg-type]
    assert err.path == str(tmp_path / "absent.txt") and err.line is None
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b\x08garbage")
    assert "gzip" in str(_error(tmp_path / "bad.gz"))  # type: ignore[arg-type]


# ---------------------------------------------------------------- writing


def test_written_format(tmp_path):
    run = Run.from_dict({"q2": {"b": 0.5, "a": 0.5}, "q1": {"x": 1e-7}}, name="sys")
    run.to_trec(tmp_path / "r")
    assert (tmp_path / "r").read_text() == "q1 Q0 x 1 1e-07 sys\nq2 Q0 b 1 0.5 sys\nq2 Q0 a 2 0.5 sys\n"
    run.to_trec(tmp_path / "r", tag="other")
    assert (tmp_path / "r").read_text().split("\n")[0].endswith(" other")
    Qrels.from_dict({"q": {"b": 2, "a": -1}}).to_trec(tmp_path / "q")
    assert (tmp_path / "q").read_text() == "q 0 a -1\nq 0 b 2\n"


def test_unwritable_ids_are_rejected_and_existing_file_kept(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("precious\n")
    for bad_run, match in (
        (Run.from_dict({"q": {"doc one": 1.0}}), "whitespace"),
        (Run.from_dict({"#q": {"d": 1.0}}), "comment"),
    ):
        with pytest.raises(RankValueError, match=match):
            bad_run.to_trec(target)
    with pytest.raises(RankValueError, match="tag"):
        Run.from_dict({"q": {"d": 1.0}}).to_trec(target, tag="two words")
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_atomic_writer_keeps_original_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("original\n")
    with pytest.raises(RuntimeError), atomic_writer(target) as out:
        out.write("partial")
        raise RuntimeError("disk full")
    assert target.read_text() == "original\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_writer(target) as out:
        out.write("new\n")
    assert target.read_text() == "new\n"


def test_atomic_binary_writer_keeps_original_on_failure(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"original")
    target.chmod(0o600)
    with pytest.raises(RuntimeError), atomic_binary_writer(target) as out:
        out.write(b"partial")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]
    with atomic_binary_writer(target) as out:
        out.write(b"\x89PNG new")
    assert target.read_bytes() == b"\x89PNG new"
    assert target.stat().st_mode & 0o777 == 0o600  # the old file's permissions are kept


def test_large_file_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    n_queries, per_query = 50, 400
    queries = np.repeat([f"q{i}" for i in range(n_queries)], per_query)
    docs = np.array([f"doc{x}" for x in rng.integers(0, 5000, n_queries * per_query)])
    pairs = dict.fromkeys(zip(queries.tolist(), docs.tolist(), strict=True))  # drop repeated pairs
    q, d = map(np.array, zip(*pairs, strict=True))
    scores = np.round(rng.normal(size=q.size), 3)
    run = Run.from_arrays(q, d, scores)
    path: Path = tmp_path / "big.run"
    run.to_trec(path)
    assert Run.from_trec(path) == run
    assert Run.from_trec(path).to_dict() == reference.read_run(path)


def _big_run_text(n_lines: int, seed: int) -> list[str]:
    """A run of about ``n_lines`` lines with comments and blank lines sprinkled in."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_lines):
        if i % 997 == 0:
            lines.append("# a comment line")
        if i % 1499 == 0:
            lines.append("   ")
        lines.append(f"q{i // 500} Q0 doc{rng.integers(0, 10**9)}x{i} {i % 500 + 1} {rng.normal():.6f} sys")
    return lines


@pytest.mark.parametrize("n_threads", [1, 2])
def test_multi_chunk_parsing_matches_reference(tmp_path, n_threads):
    """Files over a few MiB are split in parallel chunks: rows, order and line numbers hold across them."""
    from rank_core import threads

    lines = _big_run_text(120_000, seed=n_threads)  # ~5 MiB: several chunks
    path = tmp_path / "big.run"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 4 * 2**20
    with threads(n_threads):
        run = Run.from_trec(path)
    assert run.to_dict() == reference.read_run(path)

    # a malformed line late in the file (in a later chunk) is reported with its physical number
    bad_at = len(lines) - 10
    broken = [*lines[:bad_at], "q1 Q0 only-four-fields 1", *lines[bad_at:]]
    path.write_text("\n".join(broken) + "\n")
    with threads(n_threads), pytest.raises(ParseError) as info:
        Run.from_trec(path)
    assert info.value.line == bad_at + 1
    # with a second malformed line early on, the first one in the file wins
    path.write_text("\n".join([*broken[:5], "q0 Q0 d", *broken[5:]]) + "\n")
    with threads(n_threads), pytest.raises(ParseError) as info:
        Run.from_trec(path)
    assert info.value.line == 6
    # a bad value (checked after the structure of every line) in a later chunk
    path.write_text("\n".join([*lines[:bad_at], "q1 Q0 late 1 high sys", *lines[bad_at:]]) + "\n")
    with threads(n_threads), pytest.raises(ParseError, match="'high' is not a number") as info:
        Run.from_trec(path)
    assert info.value.line == bad_at + 1
