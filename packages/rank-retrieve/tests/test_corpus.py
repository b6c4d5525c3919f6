"""read_corpus / read_queries on hand-written files, and the four shared collections' sizes."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import shared_collections  # tests/shared_collections.py, on sys.path through conftest.py
from hypothesis import given, settings
from hypothesis import strategies as st

from rank_core import ParseError, RankTypeError, RankValueError
from rank_core.testing import shared_data_dir
from rank_retrieve.corpus import Documents, read_corpus, read_queries


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _parse_error(call: Callable[..., object], *args: object, **kwargs: object) -> ParseError:
    with pytest.raises(ParseError) as info:
        call(*args, **kwargs)
    assert isinstance(info.value, RankValueError)
    assert isinstance(info.value, ValueError)
    return info.value


# ----------------------------------------------------------------------------------------- BEIR


def test_beir_corpus_joins_title_and_text(tmp_path: Path) -> None:
    path = _write(tmp_path / "corpus.jsonl", "\n".join([
        json.dumps({"_id": "d1", "title": "Graph search", "text": "Breadth first.", "metadata": {}}),
        json.dumps({"_id": "d2", "title": "", "text": "No title here."}),
        "",
        json.dumps({"_id": 3, "text": "An integer id and no title field."}),
        json.dumps({"_id": "d4", "title": "Only a title", "text": ""}),
    ]) + "\n")
    docs = read_corpus(path)
    assert isinstance(docs, Documents)
    assert docs.ids == ["d1", "d2", "3", "d4"]
    assert docs.texts == [
        "Graph search Breadth first.", "No title here.", "An integer id and no title field.", "Only a title",
    ]


def test_beir_queries_and_pyserini_jsonl(tmp_path: Path) -> None:
    queries = _write(tmp_path / "queries.jsonl", '{"_id": "q1", "text": "what is bm25", "metadata": {}}\n'
                     '{"_id": "q2", "text": "sparse retrieval"}\n')
    assert read_queries(queries) == Documents(["q1", "q2"], ["what is bm25", "sparse retrieval"])
    pyserini = _write(tmp_path / "docs.json", '{"id": "a", "contents": "first doc"}\n{"id": "b", "contents": "second"}\n')
    assert read_corpus(pyserini) == Documents(["a", "b"], ["first doc", "second"])


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"text": "no id"}', "no '_id'"),
        ('{"_id": "", "text": "empty id"}', "bad document id"),
        ('{"_id": null, "text": "null id"}', "no '_id'"),
        ('{"_id": "x"}', "no 'text'"),
        ('{"_id": "x", "text": 5}', "must be strings"),
    ],
)
def test_beir_malformed_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path / "corpus.jsonl", '{"_id": "ok", "text": "fine"}\n\n' + line + "\n")
    error = _parse_error(read_corpus, path)
    assert error.path == str(path)
    assert error.line == 3
    assert message in error.message
    assert f"{path}:3:" in str(error)


# ------------------------------------------------------------------------------------------ TSV


def test_tsv(tmp_path: Path) -> None:
    path = _write(tmp_path / "collection.tsv", "0\tThe first passage.\r\n1\tHas\ta tab inside\n\n 2 \t  padded text  \n")
    assert read_corpus(path) == Documents(["0", "1", "2"], ["The first passage.", "Has\ta tab inside", "padded text"])
    assert read_queries(path).ids == ["0", "1", "2"]


def test_gzip_is_detected_by_content(tmp_path: Path) -> None:
    content = "d1\tcompressed text\nd2\tmore\n"
    named = tmp_path / "collection.tsv.gz"
    named.write_bytes(gzip.compress(content.encode()))
    unnamed = tmp_path / "collection.bin"
    unnamed.write_bytes(gzip.compress(content.encode()))
    expected = Documents(["d1", "d2"], ["compressed text", "more"])
    assert read_corpus(named) == expected
    assert read_corpus(unnamed) == expected
    jsonl = tmp_path / "queries.jsonl.gz"
    jsonl.write_bytes(gzip.compress(b'{"_id": "q", "text": "zipped query"}\n'))
    assert read_queries(jsonl) == Documents(["q"], ["zipped query"])


@pytest.mark.parametrize(("content", "line"), [("a\tok\nno tab here\n", 2), ("a\tok\n\n\t text without id\n", 3)])
def test_tsv_malformed_line(tmp_path: Path, content: str, line: int) -> None:
    path = _write(tmp_path / "bad.tsv", content)
    error = _parse_error(read_corpus, path)
    assert (error.path, error.line) == (str(path), line)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.text(st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8),
        st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=30),
        min_size=1, max_size=20,
    )
)
def test_tsv_round_trip(records: dict[str, str]) -> None:
    """What is written as ``id<TAB>text`` lines reads back as written (text stripped)."""
    records = {k.strip(): v for k, v in records.items() if k.strip()}
    if not records:
        return
    data = "".join(f"{key}\t{value}\n" for key, value in records.items()).encode()
    docs = read_corpus(data, format="tsv")
    assert docs.ids == list(records)
    assert docs.texts == [value.strip() for value in records.values()]


# ----------------------------------------------------------------------------------------- TREC

TREC_DOCS = """\
<DOC>
<DOCNO> FT911-1 </DOCNO>
<HEADLINE>Markets &amp; money</HEADLINE>
<TEXT>
Shares rose <b>sharply</b>   today.
</TEXT>
</DOC>

<doc>
<docno>FT911-2</docno>
lower-case tags, a &lt; b and 3 < 4
<!-- a comment -->
</doc>
"""


def test_trec_documents(tmp_path: Path) -> None:
    path = _write(tmp_path / "docs.trec", TREC_DOCS)
    assert read_corpus(path) == Documents(
        ["FT911-1", "FT911-2"],
        ["Markets & money Shares rose sharply today.", "lower-case tags, a < b and 3 < 4"],
    )


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("<DOC>\n<DOCNO>1</DOCNO>\nok\n</DOC>\n<DOC>\nno number\n</DOC>\n", 5, "without <DOCNO>"),
        ("<DOC>\n<DOCNO>1</DOCNO>\nok\n</DOC>\n<DOC>\n<DOCNO> </DOCNO>\n</DOC>\n", 5, "empty <DOCNO>"),
        ("<DOC>\n<DOCNO>1</DOCNO>\n</DOC>\nstray\n<DOC>\n<DOCNO>2</DOCNO>\n</DOC>\n", 4, "text outside <DOC>"),
        ("<DOC>\n<DOCNO>1</DOCNO>\n</DOC>\n<DOC>\n<DOCNO>2</DOCNO>\nnever closed\n", 4, "<DOC> without </DOC>"),
        ("<DOC>\n<DOCNO>1</DOCNO>\n<DOC>\n<DOCNO>2</DOCNO>\n</DOC>\n", 3, "inside another"),
        ("<DOCNO>1</DOCNO>\n</DOC>\n", 1, "</DOC> without <DOC>"),
    ],
)
def test_trec_malformed(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = _write(tmp_path / "docs.trec", content)
    error = _parse_error(read_corpus, path)
    assert (error.path, error.line) == (str(path), line)
    assert message in error.message


VASWANI_TOPICS = """\
<top>
<num>1</num><title>
MEASUREMENT OF DIELECTRIC CONSTANT
</title>
</top>
<top>
<num>2</num><title>
WAVEGUIDE FED RADIATIONS
</title>
</top>
"""

CLASSIC_TOPICS = """\
<top>

<head> Tipster Topic Description
<num> Number: 301
<title> International Organized Crime

<desc> Description:
Identify organizations that participate in international crime.

<narr> Narrative:
A relevant document must name the organization.

</top>

<top>
<num> Number: 302 <title> Topic: Poliomyelitis and Post-Polio
<desc> Description: Is the disease under control?
<narr> Narrative: Relevant documents give numbers.
</top>
"""

CACM_TOPICS = """\
<DOC>
<DOCNO> 1 </DOCNO>


 What articles exist which deal with TSS (Time Sharing System), an
operating system for IBM computers?

</DOC>
<DOC>
<DOCNO> 2 </DOCNO>
 I am interested in articles written either by Prieve or Udo Pooch
</DOC>
"""


def test_trec_topics(tmp_path: Path) -> None:
    vaswani = _write(tmp_path / "query-text.trec", VASWANI_TOPICS)
    assert read_queries(vaswani) == Documents(["1", "2"], ["MEASUREMENT OF DIELECTRIC CONSTANT", "WAVEGUIDE FED RADIATIONS"])
    classic = _write(tmp_path / "topics.301-302.txt", CLASSIC_TOPICS)
    assert read_queries(classic) == Documents(["301", "302"], ["International Organized Crime", "Poliomyelitis and Post-Polio"])
    assert read_queries(classic, fields=("title", "desc")).texts == [
        "International Organized Crime Identify organizations that participate in international crime.",
        "Poliomyelitis and Post-Polio Is the disease under control?",
    ]
    assert read_queries(classic, fields="narr").texts[1] == "Relevant documents give numbers."
    cacm = _write(tmp_path / "topics.cacm.txt", CACM_TOPICS)
    assert read_queries(cacm) == Documents(["1", "2"], [
        "What articles exist which deal with TSS (Time Sharing System), an operating system for IBM computers?",
        "I am interested in articles written either by Prieve or Udo Pooch",
    ])


def test_trec_topics_errors(tmp_path: Path) -> None:
    no_num = _write(tmp_path / "a.trec", "<top>\n<num>1</num><title>x</title>\n</top>\n<top>\n<title>y</title>\n</top>\n")
    error = _parse_error(read_queries, no_num)
    assert (error.line, "without a <num>" in error.message) == (4, True)
    vaswani = _write(tmp_path / "b.trec", VASWANI_TOPICS)
    error = _parse_error(read_queries, vaswani, fields=("title", "desc"))
    assert "topic '1' has no <desc>" in error.message
    with pytest.raises(RankValueError) as info:
        read_queries(vaswani, fields="description")
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankValueError):
        read_queries(vaswani, fields=())
    tsv = _write(tmp_path / "q.tsv", "1\tquery\n")
    assert "TREC <top> topics only" in _parse_error(read_queries, tsv, fields="desc").message


# ------------------------------------------------------------------------------ formats, sources


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("corpus.txt", '{"_id": "a", "text": "json"}\n', "json"),
        ("corpus.txt", "  \n<DOC><DOCNO>a</DOCNO>sgml</DOC>\n", "sgml"),
        ("corpus", "a\ttsv\n", "tsv"),
        ("corpus.dat.gz", "a\ttsv\n", "tsv"),
        ("corpus.TSV", "a\t{tsv}\n", "{tsv}"),
        ("corpus.jsonl", '{"_id": "a", "text": "<b>json</b>"}\n', "<b>json</b>"),
    ],
)
def test_auto_detection(tmp_path: Path, name: str, content: str, expected: str) -> None:
    data = content.encode()
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert read_corpus(tmp_path / name) == Documents(["a"], [expected])


def test_forced_format(tmp_path: Path) -> None:
    path = _write(tmp_path / "corpus.txt", "<DOC>\t<DOCNO>x</DOCNO></DOC>\n")
    assert read_corpus(path, format="tsv") == Documents(["<DOC>"], ["<DOCNO>x</DOCNO></DOC>"])
    assert read_corpus(path, format="trec") == Documents(["x"], [""])
    error = _parse_error(read_corpus, path, format="beir")
    assert (error.line, "invalid JSON" in error.message) == (1, True)
    with pytest.raises(RankValueError) as info:
        read_corpus(path, format="csv")  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_bytes_and_file_objects() -> None:
    expected = Documents(["1", "2"], ["one", "two"])
    assert read_corpus(b"1\tone\n2\ttwo\n") == expected
    assert read_corpus(io.BytesIO(b"1\tone\n2\ttwo")) == expected
    assert read_corpus(io.StringIO("\ufeff1\tone\n2\ttwo\n")) == expected
    with pytest.raises(RankTypeError) as info:
        read_corpus(42)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.tsv"
    error = _parse_error(read_corpus, path)
    assert error.path == str(path)
    assert "cannot read" in error.message


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("c.tsv", "a\tx\nb\ty\na\tz\n", 3),
        ("c.jsonl", '{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n', 2),
        ("c.trec", "<DOC><DOCNO>a</DOCNO></DOC>\n<DOC>\n<DOCNO>b</DOCNO></DOC>\n<DOC>\n<DOCNO>a</DOCNO>\n</DOC>\n", 4),
    ],
)
def test_duplicate_ids(tmp_path: Path, name: str, content: str, line: int) -> None:
    path = _write(tmp_path / name, content)
    error = _parse_error(read_corpus, path)
    assert error.line == line
    assert "'a' appears twice (first on line 1)" in error.message


def test_duplicate_query_ids(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.tsv", "q1\tx\nq1\ty\n")
    assert "query id 'q1' appears twice" in _parse_error(read_queries, path).message


@pytest.mark.parametrize(("name", "content"), [("c.tsv", ""), ("c.tsv", "\n  \n"), ("c.jsonl", "\n"), ("c.trec", "  \n")])
def test_empty_file(tmp_path: Path, name: str, content: str) -> None:
    path = _write(tmp_path / name, content)
    error = _parse_error(read_corpus, path)
    assert error.path == str(path)
    assert "no document found" in error.message
    assert "no query found" in _parse_error(read_queries, path).message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.tsv"
    path.write_bytes("a\tok\nb\tcaf\u00e9\n".encode("latin-1"))
    error = _parse_error(read_corpus, path)
    assert (error.line, "not UTF-8" in error.message) == (2, True)


# ------------------------------------------------------------------------------ shared collections


@pytest.mark.parametrize(
    ("name", "n_docs", "n_empty_docs", "n_queries", "n_judged_queries"),
    [
        ("scifact", 5183, 0, 300, 300),
        ("cranfield", 1400, 2, 225, 225),  # records 471 and 995 of cran.all.1400 have no text
        ("cacm", 3204, 0, 64, 52),
        ("vaswani", 11429, 0, 93, 93),
    ],
)
def test_shared_collection_sizes(name: str, n_docs: int, n_empty_docs: int, n_queries: int, n_judged_queries: int) -> None:
    folder, load = shared_collections.COLLECTIONS[name]
    corpus, queries, qrels = load(shared_data_dir(folder, tests_dir=Path(__file__).parent))
    assert len(corpus.ids) == len(set(corpus.ids)) == len(corpus.texts) == n_docs
    assert len(queries.ids) == len(queries.texts) == n_queries
    assert len(qrels) == n_judged_queries
    assert set(qrels.query_ids.tolist()) <= set(queries.ids)
    assert all(queries.texts)
    assert sum(not text for text in corpus.texts) == n_empty_docs
    assert set(qrels.doc_ids.tolist()) <= set(corpus.ids)


def test_cacm_ids_match_the_qrels() -> None:
    corpus, _, qrels = shared_collections.load_cacm(shared_data_dir("cacm", tests_dir=Path(__file__).parent))
    assert corpus.ids[:2] == ["CACM-1", "CACM-2"]
    assert corpus.ids[-1] == "CACM-3204"
    assert corpus.texts[0].startswith("Preliminary Report-International Algebraic Language CACM December, 1958")
    assert "CACM-1410" in qrels["1"].doc_ids


def test_cranfield_conventions() -> None:
    folder = shared_data_dir("cranfield", tests_dir=Path(__file__).parent)
    corpus, queries, qrels = shared_collections.load_cranfield(folder)
    assert corpus.ids[:2] == ["1", "2"]
    assert corpus.texts[0].startswith("experimental investigation of the aerodynamics of a wing in a slipstream . "
                                      "experimental investigation")
    # query ids are positions: the third query of cran.qry is .I 004
    assert queries.ids[2] == "3"
    assert queries.texts[2].startswith("what problems of heat conduction in composite slabs")
    # codes {1: 4, 2: 3, 3: 2, 4: 1, -1: 0}: cranqrel's first line is "1 184 2"
    assert dict(zip(qrels["1"].doc_ids.tolist(), qrels["1"].relevance.tolist(), strict=True))["184"] == 3
    assert set(qrels.relevance.tolist()) == {0, 1, 2, 3, 4}
