"""Tokenizer tests: every token stream is checked against an independent oracle.

The oracle is the regular expression bm25s and scikit-learn use,
``re.findall(r"(?u)\\b\\w\\w+\\b", text.lower())``, followed by a plain set lookup for
stopwords and PyStemmer's ``stemWord`` per token; and bm25s's own tokenizer where the settings
match. Real text: SciFact and Cranfield from ``shared/data`` (skipped when absent, unless
``RANK_REQUIRE_SHARED_DATA=1``); odd Unicode from hypothesis.
"""

from __future__ import annotations

import json
import pickle
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rank_retrieve.tokenize as tokenize_module
from rank_core import OptionalDependencyError, RankTypeError, RankValueError, threads
from rank_core.testing import shared_data_dir
from rank_retrieve.tokenize import STOPWORD_LANGUAGES, TokenizedBatch, Tokenizer, stopwords

#: Characters that trip tokenizers: case mappings that change length or depend on context
#: (İ, final sigma), combining marks, digits in several scripts, underscore, emoji, CJK, Arabic,
#: zero-width joiner, NUL, astral letters, a lone surrogate, a soft hyphen, titlecase letters.
TRICKY = [
    "İ", "ß", "ẞ", "Σ", "ς", "σ", "\u0301", "\u0307", "0", "9", "٣", "²", "Ⅻ", "_", "😀", "👩\u200d💻",
    "中", "文", "ب", "ع", "\u200d", "\x00", "\U0001d400", "\U0001d41a", "\U0010ffff", "\ud800", "\u00ad",
    "ǅ", "ﬁ", "a", "B", "é", "É", " ", "\n", "\t", "-", "'", ".", "ÅÄÖ",
]  # fmt: skip


def reference_tokens(
    text: str,
    *,
    lower: bool = True,
    stop: Iterable[str] = (),
    stem: Callable[[str], str] | None = None,
    min_length: int = 2,
) -> list[str]:
    """The naive oracle: regex split, then a set lookup, then stem token by token."""
    if lower:
        text = text.lower()
    pattern = r"(?u)\b\w\w+\b" if min_length == 2 else rf"(?u)\b\w{{{min_length},}}\b"
    stop = set(stop)
    tokens = [token for token in re.findall(pattern, text) if token not in stop]
    return [stem(token) for token in tokens] if stem is not None else tokens


def english_stemmer() -> Callable[[str], str]:
    snowball = pytest.importorskip("Stemmer")
    return snowball.Stemmer("english").stemWord


def read_scifact() -> list[str]:
    path = shared_data_dir("scifact", tests_dir=Path(__file__).parent) / "corpus.jsonl"
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return [record["title"] + " " + record["text"] for record in records]


def read_cranfield() -> list[str]:
    path = shared_data_dir("cranfield", tests_dir=Path(__file__).parent) / "cran.all.1400"
    records = re.split(r"^\.I ", path.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return [record for record in records if record.strip()]


@pytest.fixture(scope="module")
def scifact() -> list[str]:
    return read_scifact()


@pytest.fixture(scope="module")
def cranfield() -> list[str]:
    return read_cranfield()


def check_batch(batch: TokenizedBatch, expected: list[list[str]]) -> None:
    """``batch`` holds exactly ``expected`` and keeps the vocabulary invariants."""
    token_ids, offsets, vocabulary = batch
    assert token_ids.dtype == np.int32 and offsets.dtype == np.int64
    assert offsets.shape == (len(expected) + 1,) and offsets[0] == 0
    assert np.all(np.diff(offsets) >= 0) and offsets[-1] == token_ids.size
    terms = [vocabulary[term] for term in token_ids.tolist()]
    assert [terms[offsets[i] : offsets[i + 1]] for i in range(len(expected))] == expected
    assert_vocabulary_invariants(token_ids, vocabulary)


def assert_vocabulary_invariants(token_ids: np.ndarray, vocabulary: list[str]) -> None:
    """Ids are in range, every term is used, ids appear in first-occurrence order, no repeats."""
    assert len(set(vocabulary)) == len(vocabulary)
    if token_ids.size:
        assert token_ids.min() >= 0 and token_ids.max() < len(vocabulary)
    _, first_positions = np.unique(token_ids, return_index=True)
    assert len(first_positions) == len(vocabulary)  # every entry used
    assert np.all(np.diff(first_positions) > 0)  # id t first appears before id t + 1


# ---- the token streams against the regex oracle --------------------------------------------


@pytest.mark.parametrize("corpus_name", ["scifact", "cranfield"])
@pytest.mark.parametrize("stop", [None, "english"])
def test_real_corpora_match_the_regex(request, corpus_name: str, stop: str | None) -> None:
    texts = request.getfixturevalue(corpus_name)
    words = stopwords(stop) if stop else ()
    expected = [reference_tokens(text, stop=words) for text in texts]
    check_batch(Tokenizer(stopwords=stop).encode(texts), expected)


@pytest.mark.parametrize("corpus_name", ["scifact", "cranfield"])
def test_real_corpora_stemmed_match_pystemmer_per_token(request, corpus_name: str) -> None:
    stem = english_stemmer()
    texts = request.getfixturevalue(corpus_name)
    expected = [reference_tokens(text, stop=stopwords("english"), stem=stem) for text in texts]
    check_batch(Tokenizer(stopwords="english", stemmer="english").encode(texts), expected)


def text_lists(pieces: st.SearchStrategy[str], *, max_pieces: int, max_texts: int) -> st.SearchStrategy[list[str]]:
    """Lists of texts, each a concatenation of pieces (some pieces are several characters)."""
    text = st.lists(pieces, max_size=max_pieces).map("".join)
    return st.lists(text, max_size=max_texts)


@given(
    texts=text_lists(st.one_of(st.sampled_from(TRICKY), st.characters()), max_pieces=40, max_texts=8),
    lower=st.booleans(),
    min_length=st.integers(1, 4),
)
@settings(deadline=None, max_examples=300)
def test_unicode_matches_the_regex(texts: list[str], lower: bool, min_length: int) -> None:
    expected = [reference_tokens(text, lower=lower, min_length=min_length) for text in texts]
    tokenizer = Tokenizer(lower=lower, stopwords=None, min_length=min_length)
    check_batch(tokenizer.encode(texts), expected)
    assert tokenizer.tokenize(texts) == expected


@given(
    texts=text_lists(st.sampled_from([*TRICKY, "is", "the", "The", "ΣΑΣ "]), max_pieces=30, max_texts=6),
    stop=st.lists(st.sampled_from(["the", "is", "σας", "ß", "a", "é", "The"]), max_size=4),
)
@settings(deadline=None, max_examples=200)
def test_unicode_with_stopwords_and_stemming(texts: list[str], stop: list[str]) -> None:
    stem = english_stemmer()
    expected = [reference_tokens(text, stop=stop, stem=stem) for text in texts]
    check_batch(Tokenizer(stopwords=stop, stemmer="english").encode(texts), expected)


def test_lowercasing_is_per_text() -> None:
    # str.lower() turns a word-final Σ into ς; a text boundary ends the word.
    texts = ["ΟΔΟΣ", "ΣΑΣ", "İSTANBUL", "Straße STRASSE"]
    expected = [reference_tokens(text) for text in texts]
    assert expected[0] == ["οδος"] and expected[2] == ["stanbul"]
    assert Tokenizer(stopwords=None).tokenize(texts) == expected


def test_many_new_terms_in_one_document_grow_the_table() -> None:
    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyzéß中"))
    words = ["".join(rng.choice(letters, size=rng.integers(2, 30))) for _ in range(20_000)]
    texts = [" ".join(words), "", " ".join(words[::-1][:500]), "x"]
    check_batch(Tokenizer(stopwords=None).encode(texts), [reference_tokens(text) for text in texts])


@pytest.mark.parametrize("n_threads", [1, 2])
def test_blocks_and_threads_give_the_same_batch(
    monkeypatch: pytest.MonkeyPatch, cranfield: list[str], n_threads: int
) -> None:
    whole = Tokenizer().encode(cranfield)  # one block
    monkeypatch.setattr(tokenize_module, "_BLOCK_CHARS", 5000)  # about 300 blocks
    with threads(n_threads):
        blocked = Tokenizer().encode(cranfield)
    np.testing.assert_array_equal(blocked.token_ids, whole.token_ids)
    np.testing.assert_array_equal(blocked.offsets, whole.offsets)
    assert blocked.vocabulary == whole.vocabulary


# ---- parity with bm25s ---------------------------------------------------------------------


@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("stemmed", [False, True])
def test_bm25s_parity(scifact: list[str], lower: bool, stemmed: bool) -> None:
    bm25s = pytest.importorskip("bm25s")
    snowball = pytest.importorskip("Stemmer")
    texts = [*scifact[:1500], "", "The THE the", "Ünïcödé ΣΑΣ"]
    words = sorted(stopwords("english_snowball"))
    theirs = bm25s.tokenize(
        texts,
        lower=lower,
        stopwords=words,
        stemmer=snowball.Stemmer("english") if stemmed else None,
        return_ids=False,
        show_progress=False,
    )
    ours = Tokenizer(lower=lower, stopwords=words, stemmer="english" if stemmed else None).tokenize(texts)
    assert ours == theirs


def test_english_is_bm25s_default_list() -> None:
    bm25s_stopwords = pytest.importorskip("bm25s.stopwords")
    assert stopwords("english") == frozenset(bm25s_stopwords.STOPWORDS_EN)
    # bm25s's lists for these languages are NLTK's copies of the same Snowball lists
    for language, theirs in [
        ("dutch", bm25s_stopwords.STOPWORDS_DUTCH),
        ("italian", bm25s_stopwords.STOPWORDS_ITALIAN),
        ("norwegian", bm25s_stopwords.STOPWORDS_NORWEGIAN),
        ("swedish", bm25s_stopwords.STOPWORDS_SWEDISH),
    ]:
        assert stopwords(language) == frozenset(theirs), language


# ---- settings and edge cases ---------------------------------------------------------------


def test_stopword_languages_and_codes() -> None:
    assert "english" in STOPWORD_LANGUAGES and "german" in STOPWORD_LANGUAGES
    for language in STOPWORD_LANGUAGES:
        words = stopwords(language)
        assert words and all(isinstance(word, str) and word == word.strip() for word in words)
    assert stopwords("en") == stopwords("english") == stopwords("EN")
    assert stopwords("de") == stopwords("german")
    assert "und" in stopwords("german") and "the" in stopwords("english")
    assert Tokenizer(stopwords="de").stopwords == stopwords("german")


def test_unknown_stopword_language() -> None:
    with pytest.raises(RankValueError) as info:
        Tokenizer(stopwords="klingon")
    assert isinstance(info.value, ValueError)
    assert "klingon" in str(info.value) and "english" in str(info.value) and "german" in str(info.value)
    with pytest.raises(RankValueError):
        stopwords("xx")


def test_custom_stopwords_and_none() -> None:
    texts = ["the cat and the hat", "Cat HAT"]
    assert Tokenizer(stopwords=["cat"]).tokenize(texts) == [reference_tokens(t, stop=["cat"]) for t in texts]
    assert Tokenizer(stopwords=iter(["hat"])).tokenize(texts) == [reference_tokens(t, stop=["hat"]) for t in texts]
    assert Tokenizer(stopwords=None).tokenize(texts) == [reference_tokens(t) for t in texts]
    assert Tokenizer(stopwords=[]).tokenize(texts) == [reference_tokens(t) for t in texts]


def test_lower_false_is_case_sensitive() -> None:
    texts = ["The cat THE the Cat"]
    tokenizer = Tokenizer(lower=False, stopwords=["the", "cat"])
    assert tokenizer.tokenize(texts) == [reference_tokens(texts[0], lower=False, stop=["the", "cat"])]
    assert tokenizer.tokenize(texts) == [["The", "THE", "Cat"]]


@pytest.mark.parametrize("min_length", [1, 3])
def test_min_length(scifact: list[str], min_length: int) -> None:
    texts = [*scifact[:300], "a b c ab abc abcd é ß 中 中文"]
    expected = [reference_tokens(text, stop=stopwords("english"), min_length=min_length) for text in texts]
    check_batch(Tokenizer(min_length=min_length).encode(texts), expected)


def test_empty_texts_and_empty_corpus() -> None:
    batch = Tokenizer().encode(["", "the and", "", "word", ""])
    check_batch(batch, [[], [], [], ["word"], []])
    assert batch.offsets.tolist() == [0, 0, 0, 0, 1, 1]
    nothing = Tokenizer().encode(["", "  ", "!!"])
    assert nothing.token_ids.size == 0 and nothing.vocabulary == [] and nothing.offsets.tolist() == [0, 0, 0, 0]
    for corpus in ([], (), iter([]), np.array([], dtype=str)):
        empty = Tokenizer().encode(corpus)
        assert empty.token_ids.size == 0 and empty.offsets.tolist() == [0] and empty.vocabulary == []
        assert Tokenizer().tokenize(corpus) == []


def test_other_sequence_types() -> None:
    texts = ["Alpha beta", "beta GAMMA"]
    expected = [reference_tokens(text) for text in texts]
    assert Tokenizer().tokenize(tuple(texts)) == expected
    assert Tokenizer().tokenize(np.array(texts)) == expected
    assert Tokenizer().tokenize(text for text in texts) == expected


def test_callable_stemmer_runs_once_per_distinct_word() -> None:
    calls: list[str] = []

    def first_three(word: str) -> str:
        calls.append(word)
        return word[:3]

    texts = ["Running runner runs running", "runner ran"]
    batch = Tokenizer(stopwords=None, stemmer=first_three).encode(texts)
    check_batch(batch, [reference_tokens(text, stem=lambda word: word[:3]) for text in texts])
    assert sorted(calls) == sorted({"running", "runner", "runs", "ran"})
    assert batch.vocabulary == ["run", "ran"]


def test_stemmer_returning_non_strings() -> None:
    with pytest.raises(RankTypeError) as info:
        Tokenizer(stemmer=len).encode(["some words"])
    assert isinstance(info.value, TypeError)


def test_pretokenized_input_is_passed_through() -> None:
    corpus = [["The", "the", "Running", "ß", "x"], [], ("a b", "The", ""), ["the"]]
    tokenizer = Tokenizer(stopwords="english", stemmer=lambda word: word.upper())
    expected = [list(document) for document in corpus]
    check_batch(tokenizer.encode(corpus), expected)
    assert tokenizer.tokenize(corpus) == expected


@pytest.mark.parametrize(
    ("corpus", "position"),
    [
        (["text", ["token"]], "corpus[1]"),
        ([["token"], "text"], "corpus[1]"),
        (["text", None], "corpus[1]"),
        (["a", "b", 3], "corpus[2]"),
        ([["a"], ["b", 2]], "corpus[1][1]"),
        ([["a"], [["nested"]]], "corpus[1][0]"),
        ([b"bytes"], "corpus[0]"),
    ],
)
def test_bad_document_types(corpus: list, position: str) -> None:
    with pytest.raises(RankTypeError) as info:
        Tokenizer().encode(corpus)
    assert isinstance(info.value, TypeError)
    assert position in str(info.value)


@pytest.mark.parametrize("corpus", ["a single text", b"bytes", 42, None])
def test_bad_corpus_types(corpus: object) -> None:
    with pytest.raises(RankTypeError) as info:
        Tokenizer().encode(corpus)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("options", "error", "base"),
    [
        ({"min_length": 0}, RankValueError, ValueError),
        ({"min_length": 2.0}, RankTypeError, TypeError),
        ({"min_length": True}, RankTypeError, TypeError),
        ({"lower": "yes"}, RankTypeError, TypeError),
        ({"stopwords": 3}, RankTypeError, TypeError),
        ({"stopwords": ["ok", 3]}, RankTypeError, TypeError),
        ({"stopwords": b"en"}, RankTypeError, TypeError),
        ({"stemmer": 3}, RankTypeError, TypeError),
    ],
)
def test_bad_settings(options: dict, error: type[Exception], base: type[Exception]) -> None:
    with pytest.raises(error) as info:
        Tokenizer(**options)
    assert isinstance(info.value, base)


def test_unknown_stemmer_language() -> None:
    pytest.importorskip("Stemmer")
    with pytest.raises(RankValueError) as info:
        Tokenizer(stemmer="klingon")
    assert isinstance(info.value, ValueError)
    assert "klingon" in str(info.value) and "english" in str(info.value)


def test_missing_pystemmer_raises_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "Stemmer", None)  # makes `import Stemmer` fail
    with pytest.raises(OptionalDependencyError) as info:
        Tokenizer(stemmer="english")
    assert isinstance(info.value, ImportError)
    assert 'pip install "rank-retrieve[stem]"' in str(info.value)
    Tokenizer(stemmer=str.lower)  # a callable stemmer needs no extra


# ---- configuration, pickling, progress -----------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lower": False, "stopwords": None, "min_length": 1},
        {"stopwords": "de"},
        {"stopwords": ["zeta", "alpha", "alpha"], "min_length": 3},
        {"stemmer": "english"},
    ],
)
def test_config_round_trip(options: dict) -> None:
    if "stemmer" in options:
        pytest.importorskip("Stemmer")
    tokenizer = Tokenizer(**options)
    config = json.loads(json.dumps(tokenizer.to_config()))
    again = Tokenizer.from_config(config)
    assert again.to_config() == tokenizer.to_config()
    texts = ["Die Katze and the cats, alpha zeta ZETA", "Straße über"]
    assert again.tokenize(texts) == tokenizer.tokenize(texts)


def test_config_names_the_canonical_language() -> None:
    assert Tokenizer(stopwords="EN").to_config()["stopwords"] == "english"


def test_callable_stemmer_has_no_config() -> None:
    with pytest.raises(RankValueError) as info:
        Tokenizer(stemmer=str.lower).to_config()
    assert isinstance(info.value, ValueError) and "callable" in str(info.value)


def test_from_config_rejects_bad_configs() -> None:
    with pytest.raises(RankValueError) as info:
        Tokenizer.from_config({"lower": True, "colour": "blue"})
    assert isinstance(info.value, ValueError) and "colour" in str(info.value)
    with pytest.raises(RankTypeError) as type_info:
        Tokenizer.from_config([("lower", True)])
    assert isinstance(type_info.value, TypeError)


def test_pickle_round_trip() -> None:
    pytest.importorskip("Stemmer")
    tokenizer = Tokenizer(stopwords="english", stemmer="english")
    again = pickle.loads(pickle.dumps(tokenizer))
    texts = ["The running cats were running"]
    assert again.tokenize(texts) == tokenizer.tokenize(texts)


def test_deterministic_and_progress(capsys: pytest.CaptureFixture[str], cranfield: list[str]) -> None:
    first = Tokenizer().encode(cranfield, show_progress=False)
    second = Tokenizer().encode(cranfield, show_progress=True)
    np.testing.assert_array_equal(first.token_ids, second.token_ids)
    assert first.vocabulary == second.vocabulary
    assert "Tokenizing" in capsys.readouterr().err


def test_repr() -> None:
    assert "stopwords='english'" in repr(Tokenizer())
    assert "<2 words>" in repr(Tokenizer(stopwords=["a", "b"]))
