"""Tokenisation kernels: one pass over UTF-8 text that finds word runs and interns them.

The text of a batch of documents arrives as one UTF-8 byte buffer with each document's end
offset. :func:`scan_documents` decodes code points, classifies each with a precomputed table of
Python's ``\\w`` (``is_word``), and gives every run of at least ``min_length`` word characters a
term id from an open-addressing hash table over the run's bytes (FNV-1a, bytes compared on a
hash match). Ids are handed out in first-occurrence order; no Python object is made per token.

The term table is plain arrays owned by the caller:

- ``slots`` (int32, a power-of-two length): a term id, or ``EMPTY_SLOT``;
- ``term_hashes`` (uint64): each term's hash;
- ``term_bounds`` (int64, one longer than ``term_hashes``): term ``t``'s bytes are
  ``term_bytes[term_bounds[t]:term_bounds[t + 1] - 1]``; the byte after each term is
  ``TERM_SEPARATOR``, so the vocabulary decodes with one ``split``.

The kernels never reallocate these (a kernel that rebinds arrays inside its loop runs about ten
times slower): when the table is full, :func:`scan_documents` stops before the document it was
in and says so, the caller grows the table (:func:`rehashed` for the slots) and resumes there.
Terms added by the interrupted document stay, so ids are unchanged by the restart.

Terms ``0 .. n_reserved - 1`` are interned before the scan (the stopwords): a run matching one of
them is dropped, and every other term ``t`` is emitted as ``t - n_reserved``.
"""

from __future__ import annotations

import numpy as np

from rank_retrieve._jit import kernel

EMPTY_SLOT = -1
#: A space: never a word character, so it can never be part of a term.
TERM_SEPARATOR = 0x20
FNV_OFFSET_BASIS = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


@kernel
def _home_slot(hash_value, mask):
    # FNV-1a's low bits mix the last bytes weakly: fold the high bits in.
    return np.int64((hash_value ^ (hash_value >> np.uint64(29))) & np.uint64(mask))


@kernel
def _find_slot(data, start, end, hash_value, slots, term_hashes, term_bounds, term_bytes):
    """The slot holding term ``data[start:end]``, or the empty slot where it would go."""
    mask = slots.size - 1
    slot = _home_slot(hash_value, mask)
    length = end - start
    while True:
        term = slots[slot]
        if term == EMPTY_SLOT:
            return slot
        if term_hashes[term] == hash_value:
            term_start = term_bounds[term]
            if term_bounds[term + 1] - 1 - term_start == length:
                same = True
                for k in range(length):
                    if term_bytes[term_start + k] != data[start + k]:
                        same = False
                        break
                if same:
                    return slot
        slot = (slot + 1) & mask


@kernel
def _has_room(n_terms, bytes_end, slots, term_hashes, term_bytes):
    """Whether one more term ending at ``bytes_end`` in ``term_bytes`` fits, keeping the
    table's load factor at or below 1/2."""
    return 2 * (n_terms + 1) <= slots.size and n_terms + 1 < term_hashes.size and bytes_end <= term_bytes.size


@kernel
def _add_term(data, start, end, hash_value, slot, slots, term_hashes, term_bounds, term_bytes, term):
    """Store ``data[start:end]`` as term ``term`` at the empty ``slot`` (room was checked)."""
    bytes_start = term_bounds[term]
    bytes_end = bytes_start + (end - start) + 1
    term_bytes[bytes_start : bytes_end - 1] = data[start:end]
    term_bytes[bytes_end - 1] = TERM_SEPARATOR
    term_bounds[term + 1] = bytes_end
    term_hashes[term] = hash_value
    slots[slot] = term


@kernel
def rehashed(slots, term_hashes, n_terms, size):
    """A ``size``-slot table (a power of two) holding the ``n_terms`` terms of ``slots``."""
    grown = np.full(size, EMPTY_SLOT, dtype=np.int32)
    mask = size - 1
    for term in range(n_terms):
        slot = _home_slot(term_hashes[term], mask)
        while grown[slot] != EMPTY_SLOT:
            slot = (slot + 1) & mask
        grown[slot] = term
    return grown


@kernel
def intern_spans(data, starts, ends, slots, term_hashes, term_bounds, term_bytes, n_terms, ids):
    """Intern the byte spans ``data[starts[i]:ends[i]]`` into a table with room for all of them,
    writing each span's term id into ``ids``; returns the new number of terms."""
    for i in range(starts.size):
        hash_value = FNV_OFFSET_BASIS
        for position in range(starts[i], ends[i]):
            hash_value = (hash_value ^ np.uint64(data[position])) * FNV_PRIME
        slot = _find_slot(data, starts[i], ends[i], hash_value, slots, term_hashes, term_bounds, term_bytes)
        if slots[slot] == EMPTY_SLOT:
            _add_term(data, starts[i], ends[i], hash_value, slot, slots, term_hashes, term_bounds, term_bytes, n_terms)
            n_terms += 1
        ids[i] = slots[slot]
    return n_terms


@kernel
def scan_documents(
    data,
    doc_ends,
    first_doc,
    is_word,
    min_length,
    n_reserved,
    slots,
    term_hashes,
    term_bounds,
    term_bytes,
    n_terms,
    token_ids,
    doc_offsets,
):
    """Tokenise documents ``first_doc, first_doc + 1, ...`` of ``data`` (valid UTF-8; document
    ``i`` is ``data[doc_ends[i - 1]:doc_ends[i]]``).

    Writes each document's term ids (minus ``n_reserved``; reserved terms dropped) into
    ``token_ids`` from ``doc_offsets[first_doc]`` on (room for ``data.size // min_length``
    tokens is enough) and its end into ``doc_offsets[doc + 1]``.

    Returns ``(next_doc, n_terms, bytes_needed)``: ``next_doc == doc_ends.size`` when every
    document is done; otherwise the table had no room for a new term of document ``next_doc``
    whose bytes would end at ``bytes_needed``: grow it and call again from ``next_doc``.
    """
    n_tokens = doc_offsets[first_doc]
    position = doc_ends[first_doc - 1] if first_doc > 0 else 0
    for doc in range(first_doc, doc_ends.size):
        doc_end = doc_ends[doc]
        run_start = -1  # byte where the current run of word characters began, -1 outside a run
        run_length = 0  # in code points
        hash_value = FNV_OFFSET_BASIS
        while position <= doc_end:
            # One step past the last character closes a run that reaches the document's end.
            word = False
            width = 1
            if position < doc_end:
                lead = data[position]
                if lead < 0x80:
                    code_point = np.int64(lead)
                elif lead < 0xE0:
                    width = 2
                    code_point = (np.int64(lead & 0x1F) << 6) | np.int64(data[position + 1] & 0x3F)
                elif lead < 0xF0:
                    width = 3
                    code_point = (
                        (np.int64(lead & 0x0F) << 12)
                        | (np.int64(data[position + 1] & 0x3F) << 6)
                        | np.int64(data[position + 2] & 0x3F)
                    )
                else:
                    width = 4
                    code_point = (
                        (np.int64(lead & 0x07) << 18)
                        | (np.int64(data[position + 1] & 0x3F) << 12)
                        | (np.int64(data[position + 2] & 0x3F) << 6)
                        | np.int64(data[position + 3] & 0x3F)
                    )
                word = is_word[code_point]
            if word:
                if run_start < 0:
                    run_start = position
                    run_length = 0
                    hash_value = FNV_OFFSET_BASIS
                run_length += 1
                for k in range(width):
                    hash_value = (hash_value ^ np.uint64(data[position + k])) * FNV_PRIME
            elif run_start >= 0:
                if run_length >= min_length:
                    slot = _find_slot(
                        data, run_start, position, hash_value, slots, term_hashes, term_bounds, term_bytes
                    )
                    term = slots[slot]
                    if term == EMPTY_SLOT:
                        bytes_end = term_bounds[n_terms] + position - run_start + 1
                        if not _has_room(n_terms, bytes_end, slots, term_hashes, term_bytes):
                            return doc, n_terms, bytes_end
                        term = n_terms
                        _add_term(
                            data, run_start, position, hash_value, slot, slots, term_hashes, term_bounds, term_bytes, term
                        )
                        n_terms += 1
                    if term >= n_reserved:
                        token_ids[n_tokens] = term - n_reserved
                        n_tokens += 1
                run_start = -1
            position += width
        position = doc_end
        doc_offsets[doc + 1] = n_tokens
    return doc_ends.size, n_terms, 0
