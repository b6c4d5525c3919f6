"""Text to term ids: the tokenizer in front of the BM25 indexes.

:class:`Tokenizer` splits texts the way bm25s and scikit-learn's ``CountVectorizer`` do
(``re.findall(r"(?u)\\b\\w\\w+\\b", text.lower())``), drops stopwords, optionally stems with
Snowball (PyStemmer, the ``[stem]`` extra) or any ``str -> str`` callable, and returns a batch
of term ids over a vocabulary in first-occurrence order (:class:`TokenizedBatch`).

How it is fast: texts are lowercased and encoded to UTF-8 by Python (C loops), then one numba
kernel scans the bytes, finds the runs of word characters with a table of ``\\w`` over every
code point, and interns each run in a hash table over its bytes; no Python object is made per
token. Stopwords are interned first, so their occurrences are dropped in the same pass. Only the
distinct terms are decoded to ``str`` and only they go through the stemmer.

A large corpus is cut into blocks of consecutive documents, each scanned into a table of its own
by worker threads (the kernel releases the GIL) while Python encodes the next blocks; the
blocks' vocabularies are then merged in block order, so ids are the same whatever the number of
threads (``numba.get_num_threads()``, set with ``rank_core.threads``).
"""

from __future__ import annotations

import collections
import contextlib
import copy
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError
from rank_core.optional import require
from rank_core.progress import progress_bar
from rank_retrieve._kernels.tokenize import (
    EMPTY_SLOT,
    TERM_SEPARATOR,
    intern_spans,
    rehashed,
    scan_documents,
)
from rank_retrieve._stopwords import ISO_CODES, LISTS

__all__ = ["STOPWORD_LANGUAGES", "TokenizedBatch", "Tokenizer", "stopwords"]

#: Languages with a built-in stopword list (ISO 639-1 codes such as ``"en"`` are accepted too).
STOPWORD_LANGUAGES: tuple[str, ...] = tuple(sorted(LISTS))

#: Characters per block of documents scanned on its own: blocks let worker threads share a
#: corpus; each costs a merge of its vocabulary (about 10% more work in all at this size).
_BLOCK_CHARS = 1 << 22
#: ``show_progress=None`` shows a bar from this many documents on.
_PROGRESS_THRESHOLD = 100_000
_CONFIG_KEYS = ("lower", "stopwords", "stemmer", "min_length")


class TokenizedBatch(NamedTuple):
    """Documents as term ids: document ``i`` is ``token_ids[offsets[i]:offsets[i + 1]]``.

    ``vocabulary[t]`` is the term with id ``t``; ids are numbered in order of first occurrence
    and every term occurs at least once.
    """

    token_ids: NDArray[np.int32]
    offsets: NDArray[np.int64]
    vocabulary: list[str]


def stopwords(language: str) -> frozenset[str]:
    """The built-in stopword list of ``language`` (a name from :data:`STOPWORD_LANGUAGES` or
    its ISO 639-1 code, e.g. ``"en"``)."""
    return frozenset(LISTS[_stopword_language(language)].split())


def _stopword_language(language: str) -> str:
    name = language.lower()
    name = ISO_CODES.get(name, name)
    if name not in LISTS:
        raise RankValueError(
            f"no stopword list for {language!r}; available: {', '.join(STOPWORD_LANGUAGES)} "
            f"(or their codes {', '.join(sorted(ISO_CODES))}), or pass your own words"
        )
    return name


@functools.cache
def _word_characters() -> NDArray[np.bool_]:
    """``is_word[c]``: code point ``c`` matches ``re``'s ``\\w`` (``str.isalnum()`` or ``_``).

    Asking ``re`` itself, over a string of every code point, keeps the table identical to the
    regex for this Python's Unicode version. Surrogates are not word characters (and cannot be
    decoded from UTF-32, so they are replaced by a space first).
    """
    code_points = np.arange(0x110000, dtype=np.uint32)
    code_points[0xD800:0xE000] = ord(" ")
    everything = code_points.astype("<u4").tobytes().decode("utf-32-le")
    spans = np.array([match.span() for match in re.finditer(r"\w+", everything)], dtype=np.int64)
    edges = np.zeros(0x110001, dtype=np.int8)
    edges[spans[:, 0]] += 1
    edges[spans[:, 1]] -= 1
    return np.cumsum(edges[:-1], dtype=np.int8).astype(np.bool_)


def _utf8(text: str) -> bytes:
    # surrogatepass: a lone surrogate (which str allows) encodes instead of raising; the scan
    # decodes it as a non-word code point.
    return text.encode("utf-8", "surrogatepass")


class _TermTable:
    """The kernels' hash table of terms (see :mod:`rank_retrieve._kernels.tokenize`), with the
    stopwords interned first as reserved terms."""

    def __init__(self, reserved: Sequence[str]) -> None:
        self.slots = np.full(1024, EMPTY_SLOT, dtype=np.int32)
        self.term_hashes = np.empty(512, dtype=np.uint64)
        self.term_bounds = np.zeros(513, dtype=np.int64)
        self.term_bytes = np.empty(4096, dtype=np.uint8)
        self.n_terms = 0
        encoded = [_utf8(word) for word in reserved]
        lengths = np.array([len(word) for word in encoded], dtype=np.int64)
        ends = np.cumsum(lengths)
        self.intern(np.frombuffer(b"".join(encoded), dtype=np.uint8), ends - lengths, ends)
        self.n_reserved = self.n_terms

    def copy(self) -> _TermTable:
        table = copy.copy(self)
        table.slots, table.term_hashes, table.term_bounds, table.term_bytes = (a.copy() for a in self._arrays())
        return table

    def _arrays(self) -> tuple[NDArray[Any], ...]:
        return self.slots, self.term_hashes, self.term_bounds, self.term_bytes

    def _reserve(self, n_terms: int, n_bytes: int) -> None:
        """Grow the table until ``n_terms`` more terms of ``n_bytes`` bytes in all fit."""
        slots = self.slots.size
        while 2 * (self.n_terms + n_terms) > slots:
            slots *= 2
        if slots > self.slots.size:
            self.slots = rehashed(self.slots, self.term_hashes, self.n_terms, slots)
        if self.n_terms + n_terms >= self.term_hashes.size:
            size = max(2 * self.term_hashes.size, self.n_terms + n_terms + 1)
            self.term_hashes = _grown(self.term_hashes, size)
            self.term_bounds = _grown(self.term_bounds, size + 1)
        bytes_end = self.term_bounds[self.n_terms] + n_bytes
        if bytes_end > self.term_bytes.size:
            self.term_bytes = _grown(self.term_bytes, max(bytes_end, 2 * self.term_bytes.size))

    def intern(self, data: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> NDArray[np.int32]:
        """Term ids of the byte spans ``data[starts[i]:ends[i]]``, adding the new ones."""
        self._reserve(starts.size, int(np.sum(ends - starts)) + starts.size)
        ids = np.empty(starts.size, dtype=np.int32)
        self.n_terms = intern_spans(data, starts, ends, *self._arrays(), self.n_terms, ids)
        return ids

    def merge(self, other: _TermTable) -> NDArray[np.int32]:
        """Intern ``other``'s unreserved terms in id order; returns their ids here, unreserved."""
        bounds = other.term_bounds[other.n_reserved : other.n_terms + 1]
        return self.intern(other.term_bytes, bounds[:-1], bounds[1:] - 1) - self.n_reserved

    def scan(
        self, data: NDArray[np.uint8], doc_ends: NDArray[np.int64], min_length: int
    ) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        """Token ids and token offsets of the documents ending at ``doc_ends`` in ``data``."""
        is_word = _word_characters()
        token_ids = np.empty(data.size // min_length, dtype=np.int32)
        offsets = np.zeros(doc_ends.size + 1, dtype=np.int64)
        doc = 0
        while True:
            doc, self.n_terms, bytes_needed = scan_documents(
                data, doc_ends, doc, is_word, min_length, self.n_reserved,
                *self._arrays(), self.n_terms, token_ids, offsets,
            )  # fmt: skip
            if doc == doc_ends.size:
                return token_ids[: offsets[-1]], offsets
            self._reserve(1, bytes_needed - self.term_bounds[self.n_terms])

    def vocabulary(self) -> list[str]:
        """The terms that are not reserved, by id (one decode and one split)."""
        if self.n_terms == self.n_reserved:
            return []
        start = self.term_bounds[self.n_reserved]
        end = self.term_bounds[self.n_terms] - 1  # without the last separator
        text = self.term_bytes[start:end].tobytes().decode("utf-8", "surrogatepass")
        return text.split(chr(TERM_SEPARATOR))


def _grown(array: NDArray[Any], size: int) -> NDArray[Any]:
    grown = np.empty(size, dtype=array.dtype)
    grown[: array.size] = array
    return grown


def _encode(texts: Sequence[str], lower: bool) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """One UTF-8 buffer of ``texts`` (lowercased each on its own, as ``str.lower`` sees a
    final sigma only within its text) and each text's end offset in it."""
    encoded = [_utf8(text.lower()) for text in texts] if lower else [_utf8(text) for text in texts]
    ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


@functools.lru_cache(maxsize=32)
def _stopword_table(words: frozenset[str]) -> _TermTable:
    """An empty term table with ``words`` reserved; copied for each block, never changed."""
    return _TermTable(sorted(words))


def _blocks(texts: list[str]) -> list[list[str]]:
    """Runs of consecutive texts of about ``_BLOCK_CHARS`` characters (a longer text alone)."""
    if sum(map(len, texts)) <= _BLOCK_CHARS:
        return [texts]
    ends = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)))
    cuts = np.searchsorted(ends, np.arange(_BLOCK_CHARS, int(ends[-1]), _BLOCK_CHARS), side="right")
    bounds = [0, *np.unique(cuts[(cuts > 0) & (cuts < len(texts))]).tolist(), len(texts)]
    return [texts[start:stop] for start, stop in itertools.pairwise(bounds)]


class _BlockResult(NamedTuple):
    table: _TermTable
    token_ids: NDArray[np.int32]
    offsets: NDArray[np.int64]


def _scan_block(
    empty_table: _TermTable, texts: NDArray[np.uint8], doc_ends: NDArray[np.int64], min_length: int
) -> _BlockResult:
    table = empty_table.copy()
    return _BlockResult(table, *table.scan(texts, doc_ends, min_length))


def _scanned_blocks(
    blocks: list[list[str]], empty_table: _TermTable, lower: bool, min_length: int
) -> Iterator[_BlockResult]:
    """Each block scanned into a table of its own, in block order.

    With several blocks, worker threads scan (the kernel releases the GIL) while this thread
    encodes the next blocks; at most two blocks per worker wait, which bounds the memory.
    """
    if len(blocks) == 1:
        yield _scan_block(empty_table, *_encode(blocks[0], lower), min_length)
        return
    n_workers = numba.get_num_threads()
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        pending: collections.deque[Future[_BlockResult]] = collections.deque()
        for block in blocks:
            pending.append(pool.submit(_scan_block, empty_table, *_encode(block, lower), min_length))
            if len(pending) > 2 * n_workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


class Tokenizer:
    """Split texts into words, drop stopwords, stem; texts become term ids (:meth:`encode`).

    Parameters
    ----------
    lower
        Lowercase each text first (``str.lower``, Unicode-aware).
    stopwords
        A language from :data:`STOPWORD_LANGUAGES` (or its ISO code, ``"en"``), your own words,
        or ``None``. The default ``"english"`` is the 33-word list bm25s, Pyserini and Lucene
        use. A token is dropped when it equals a stopword before stemming (after lowercasing
        when ``lower``; with ``lower=False`` the match is case-sensitive, as in bm25s).
    stemmer
        ``None``, a Snowball algorithm name as PyStemmer knows it (``"english"``, ``"german"``,
        ...; needs ``pip install "rank-retrieve[stem]"``), or any callable ``str -> str``. Only
        the distinct words of a batch are stemmed; words with equal stems become one term.
    min_length
        Shortest token kept, in code points. ``2`` (the default) gives exactly
        ``re.findall(r"(?u)\\b\\w\\w+\\b", text)``, bm25s's and scikit-learn's pattern.

    Tokens are the maximal runs of word characters (Python's ``\\w``: letters, digits, marks that
    ``str.isalnum`` accepts, and ``_``). Pre-tokenised input (a list of token lists) is passed
    through as it is: no lowercasing, stopwords or stemming.
    """

    def __init__(
        self,
        *,
        lower: bool = True,
        stopwords: str | Iterable[str] | None = "english",
        stemmer: str | Callable[[str], str] | None = None,
        min_length: int = 2,
    ) -> None:
        if not isinstance(lower, (bool, np.bool_)):
            raise RankTypeError(f"lower must be a bool, got {type(lower).__name__} {lower!r}")
        if isinstance(min_length, bool) or not isinstance(min_length, (int, np.integer)):
            raise RankTypeError(f"min_length must be an int, got {type(min_length).__name__} {min_length!r}")
        if min_length < 1:
            raise RankValueError(f"min_length must be >= 1, got {min_length}")
        self.lower = bool(lower)
        self.min_length = int(min_length)
        self._stopword_setting, self._stopwords = _stopword_setting(stopwords)
        self.stemmer = stemmer
        self._stem_words = _stemming_function(stemmer)

    @property
    def stopwords(self) -> frozenset[str]:
        """The words this tokenizer drops."""
        return self._stopwords

    def __repr__(self) -> str:
        stopwords = self._stopword_setting
        if isinstance(stopwords, list):
            stopwords = f"<{len(stopwords)} words>"
        return (
            f"Tokenizer(lower={self.lower}, stopwords={stopwords!r}, stemmer={self.stemmer!r}, "
            f"min_length={self.min_length})"
        )

    def __getstate__(self) -> dict[str, Any]:
        # A PyStemmer object does not pickle: keep its name and make it again on unpickling.
        state = self.__dict__.copy()
        if isinstance(self.stemmer, str):
            del state["_stem_words"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_stem_words" not in state:
            self._stem_words = _stemming_function(self.stemmer)

    def encode(self, corpus: Iterable[str] | Iterable[Sequence[str]], *, show_progress: bool | None = None) -> TokenizedBatch:
        """Term ids of every document of ``corpus`` (texts, or token lists passed through).

        An empty text gives an empty document. ``show_progress``: a tqdm bar; ``None`` shows one
        from 100,000 documents on.
        """
        documents, pretokenized = _documents(corpus)
        if pretokenized:
            return _encode_token_lists(documents)
        return self._encode_texts(documents, show_progress)

    def _encode_in(
        self, corpus: Iterable[str] | Iterable[Sequence[str]], vocabulary: Mapping[str, int]
    ) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        """``(ids, offsets)`` of ``corpus``'s terms in a fixed ``vocabulary`` (an index's), ``-1``
        for a term outside it. Token lists are looked up directly, one lookup per token; texts are
        encoded, then their batch vocabulary is mapped."""
        documents, pretokenized = _documents(corpus)
        if pretokenized:
            return _lookup_token_lists(documents, vocabulary)
        batch = self._encode_texts(documents, show_progress=False)
        known = np.array([vocabulary.get(term, -1) for term in batch.vocabulary], dtype=np.int32)
        return known[batch.token_ids], batch.offsets

    def _encode_texts(self, documents: list[str], show_progress: bool | None) -> TokenizedBatch:
        if not documents:
            return TokenizedBatch(np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64), [])
        token_ids, offsets, vocabulary = self._scan(documents, show_progress)
        if self._stem_words is not None and vocabulary:
            token_ids, vocabulary = self._stem(token_ids, vocabulary)
        return TokenizedBatch(token_ids, offsets, vocabulary)

    def tokenize(self, corpus: Iterable[str] | Iterable[Sequence[str]]) -> list[list[str]]:
        """The tokens of every document as strings: :meth:`encode` without the ids."""
        token_ids, offsets, vocabulary = self.encode(corpus, show_progress=False)
        terms = np.array(vocabulary, dtype=object)[token_ids].tolist() if vocabulary else []
        bounds = offsets.tolist()
        return [terms[start:end] for start, end in itertools.pairwise(bounds)]

    def to_config(self) -> dict[str, Any]:
        """The settings as a JSON-serialisable dict, for :meth:`from_config`.

        Raises :class:`~rank_core.RankValueError` for a callable stemmer, which has no portable
        description.
        """
        if self.stemmer is not None and not isinstance(self.stemmer, str):
            raise RankValueError(
                f"a Tokenizer with a callable stemmer ({self.stemmer!r}) cannot be saved as a "
                "config: only a stemmer named by its Snowball language can; stem the texts "
                "yourself and pass token lists, or use stemmer='<language>'"
            )
        return {
            "lower": self.lower,
            "stopwords": self._stopword_setting,
            "stemmer": self.stemmer,
            "min_length": self.min_length,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Tokenizer:
        """A tokenizer from :meth:`to_config`'s dict."""
        if not isinstance(config, dict):
            raise RankTypeError(f"config must be a dict from Tokenizer.to_config(), got {type(config).__name__}")
        unknown = sorted(set(config) - set(_CONFIG_KEYS))
        if unknown:
            raise RankValueError(
                f"unknown Tokenizer config keys {unknown}; expected some of {list(_CONFIG_KEYS)}"
            )
        return cls(**config)

    def _scan(
        self, texts: list[str], show_progress: bool | None
    ) -> tuple[NDArray[np.int32], NDArray[np.int64], list[str]]:
        """Scan the texts block by block; the first block's table becomes the corpus's, and the
        others' terms are merged into it in block order, so ids are in first-occurrence order."""
        blocks = _blocks(texts)
        token_parts: list[NDArray[np.int32]] = []
        offset_parts: list[NDArray[np.int64]] = [np.zeros(1, dtype=np.int64)]
        n_tokens = 0
        corpus_table: _TermTable | None = None
        # Even a disabled tqdm bar costs tens of microseconds: none at all for a query.
        quiet = show_progress is False or (show_progress is None and len(texts) < _PROGRESS_THRESHOLD)
        with contextlib.nullcontext() if quiet else progress_bar(
            True, total=len(texts), size=len(texts), threshold=_PROGRESS_THRESHOLD,
            desc="Tokenizing", unit="doc",
        ) as bar:  # fmt: skip
            for table, token_ids, offsets in _scanned_blocks(
                blocks, _stopword_table(self._stopwords), self.lower, self.min_length
            ):
                if corpus_table is None:
                    corpus_table = table
                else:
                    token_ids = corpus_table.merge(table)[token_ids]
                token_parts.append(token_ids)
                offset_parts.append(offsets[1:] + n_tokens)
                n_tokens += token_ids.size
                if bar is not None:
                    bar.update(offsets.size - 1)
        assert corpus_table is not None  # there is at least one block
        token_ids = np.concatenate(token_parts) if len(token_parts) > 1 else token_parts[0].copy()
        return token_ids, np.concatenate(offset_parts), corpus_table.vocabulary()

    def _stem(self, token_ids: NDArray[np.int32], words: list[str]) -> tuple[NDArray[np.int32], list[str]]:
        """Stem the distinct ``words`` once each and merge words with equal stems; stems keep
        the first-occurrence order of their first word."""
        stems = self._stem_words(words)
        stem_ids: dict[str, int] = {}
        remap = np.fromiter(
            (stem_ids.setdefault(stem, len(stem_ids)) for stem in stems), dtype=np.int32, count=len(words)
        )
        for stem in stem_ids:
            if type(stem) is not str:
                raise RankTypeError(f"the stemmer must return str, got {type(stem).__name__} {stem!r}")
        return remap[token_ids], list(stem_ids)


def _stopword_setting(stopwords: Any) -> tuple[str | list[str] | None, frozenset[str]]:
    """``(config value, word set)``: a language's canonical name, or the sorted words, or None."""
    if stopwords is None:
        return None, frozenset()
    if isinstance(stopwords, str):
        language = _stopword_language(stopwords)
        return language, frozenset(LISTS[language].split())
    if isinstance(stopwords, bytes) or not isinstance(stopwords, Iterable):
        raise RankTypeError(
            "stopwords must be a language name, an iterable of words or None, got "
            f"{type(stopwords).__name__} {stopwords!r}"
        )
    words = frozenset(stopwords)
    for word in words:
        if not isinstance(word, str):
            raise RankTypeError(f"stopwords must all be str, got {type(word).__name__} {word!r}")
    return sorted(words), words


def _stemming_function(stemmer: Any) -> Callable[[list[str]], list[str]] | None:
    """A function stemming a list of words, or None for no stemming."""
    if stemmer is None:
        return None
    if isinstance(stemmer, str):
        snowball = require("Stemmer", feature="Snowball stemming", distribution="rank-retrieve", extra="stem")
        try:
            # No cache: each call stems distinct words, and the LRU cache only slows that down.
            return snowball.Stemmer(stemmer, 0).stemWords
        except KeyError:
            raise RankValueError(
                f"PyStemmer has no stemmer {stemmer!r}; available: {', '.join(snowball.algorithms())}"
            ) from None
    if callable(stemmer):
        return lambda words: [stemmer(word) for word in words]
    raise RankTypeError(
        f"stemmer must be a Snowball language name, a callable str -> str or None, got {type(stemmer).__name__}"
    )


def _documents(corpus: Any) -> tuple[list[Any], bool]:
    """``corpus`` as a list, and whether it is pre-tokenised; checks every item's type."""
    if isinstance(corpus, (str, bytes)):
        raise RankTypeError(
            f"corpus must be a sequence of texts or of token lists, got a single {type(corpus).__name__} "
            "(wrap one text in a list)"
        )
    if isinstance(corpus, np.ndarray):
        documents = corpus.tolist()
    elif isinstance(corpus, Iterable):
        documents = list(corpus)
    else:
        raise RankTypeError(f"corpus must be a sequence of texts or of token lists, got {type(corpus).__name__}")
    if not documents:
        return documents, False
    pretokenized = isinstance(documents[0], (list, tuple))
    expected = (list, tuple) if pretokenized else str
    if pretokenized or not all(type(document) is str for document in documents):
        for position, document in enumerate(documents):
            if not isinstance(document, expected):
                kind = "token lists (list[str])" if pretokenized else "texts (str)"
                raise RankTypeError(
                    f"corpus[{position}] is {type(document).__name__}, but corpus[0] makes this a corpus of "
                    f"{kind}; every document must be of the same kind"
                )
    return documents, pretokenized


def _encode_token_lists(documents: list[Sequence[str]]) -> TokenizedBatch:
    """Ids of pre-tokenised documents, tokens taken as they are."""
    term_ids: dict[str, int] = {}
    try:
        token_ids = np.fromiter(
            (term_ids.setdefault(token, len(term_ids)) for document in documents for token in document),
            dtype=np.int32,
        )
        well_typed = all(isinstance(term, str) for term in term_ids)
    except TypeError:  # an unhashable token
        well_typed = False
    if not well_typed:
        _raise_for_non_str_token(documents)
    return TokenizedBatch(token_ids, _offsets(documents), list(term_ids))


def _lookup_token_lists(
    documents: list[Sequence[str]], vocabulary: Mapping[str, int]
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """:meth:`Tokenizer._encode_in` for token lists, tokens taken as they are."""
    tokens = [token for document in documents for token in document]
    try:
        ids = np.fromiter(map(vocabulary.get, tokens, itertools.repeat(-1)), dtype=np.int32, count=len(tokens))
    except TypeError:  # an unhashable token
        _raise_for_non_str_token(documents)
        raise
    if any(not isinstance(tokens[i], str) for i in np.flatnonzero(ids < 0).tolist()):
        _raise_for_non_str_token(documents)  # known tokens are the vocabulary's strings
    return ids, _offsets(documents)


def _raise_for_non_str_token(documents: list[Sequence[Any]]) -> None:
    for position, document in enumerate(documents):
        for index, token in enumerate(document):
            if not isinstance(token, str):
                raise RankTypeError(
                    f"corpus[{position}][{index}] is {type(token).__name__} {token!r}; tokens must be str"
                )


def _offsets(documents: list[Sequence[Any]]) -> NDArray[np.int64]:
    lengths = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
    offsets = np.zeros(len(documents) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets
