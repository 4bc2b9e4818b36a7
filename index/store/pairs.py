"""Adjacent word pairs as postings of their own: the proximity bonus without reading positions.

A long query's proximity bonus (index/search/proximity.py) counts, in each
article, how often a query word is followed by the next one.  Read from word
positions, that is a few dozen array operations per word, segment and chunk of
candidates: most of a long query's time at Reuters 10x, for ranking articles
and again for picking the page's passages.  So the adjacent pairs of the body
(articles) and of the text (passages) are indexed as the segment is written
(and merged), like terms:

    {field}.pair_key    sorted distinct keys, left term number * vocabulary size + right term number
    {field}.pair_off    CSR offsets: pair k's postings are pair_off[k]:pair_off[k + 1]
    {field}.pair_docs   ordinals holding the pair, in ordinal order (int32)
    {field}.pair_tfs    occurrences of the left term followed by the right one there (uint16)

A pair's tf is what index/search/positions.py's `pair_counts` gives with slop 1:
an occurrence of the left term counts once if the right term is at the next
position (two tokens may share a position: a compound and its parts).

A quote is matched word for word ("interest rates", not "interest rate"), so
two-word quotes have pairs of their own, keyed by the words' spellings (their
vocabulary numbers too), in titles, bodies and passages:

    {field}.quote_key, quote_off, quote_docs, quote_tfs   as above, of spelling numbers
    {field}.spelt_term   for each vocabulary number used as a spelling, the one term it is
                         spelt for in the field (-1: none, -2: several)

A quote pair's tf is the quote's count only where each spelling stands for the
quoted word's term alone (`spelt_term`): else the reader counts from positions.
"""

from __future__ import annotations

import numpy as np

from index.arrays import run_starts, span_index

PAIRED_FIELDS = ("body", "text")  # the fields proximity is scored on: articles' body, passages' text
QUOTED_FIELDS = ("title", "body", "text")  # the fields a quote is counted in
CHUNK = 1 << 18  # occurrences paired at once: a merge of tens of millions keeps its temporaries bounded
BUCKETS = 8  # the chunks' pairs are put in pair order this many key ranges at a time
MOST_TF = np.iinfo(np.uint16).max  # a pair's tf is kept at most this (a uint16): a higher count reads as this


def pair_postings(name: str, terms: np.ndarray, ordinals: np.ndarray, positions: np.ndarray,
                  vocab_size: int) -> dict[str, np.ndarray]:
    """A field's pair arrays (see the module docstring) from its token occurrences, in any order
    (term number, -1 for a term left out of the vocabulary; ordinal; position)."""
    return _pair_arrays(f"{name}.pair", terms, ordinals, positions, vocab_size)


def quote_postings(name: str, terms: np.ndarray, spellings: np.ndarray, ordinals: np.ndarray,
                   positions: np.ndarray, vocab_size: int) -> dict[str, np.ndarray]:
    """A field's quote pairs and `spelt_term` (see the module docstring) from its token occurrences, in
    any order (term number and spelling number, -1 for one left out of the vocabulary; ordinal; position)."""
    return {**_pair_arrays(f"{name}.quote", spellings, ordinals, positions, vocab_size),
            f"{name}.spelt_term": spelt_terms(terms, spellings, vocab_size)}


def spelt_terms(terms: np.ndarray, spellings: np.ndarray, vocab_size: int) -> np.ndarray:
    """For each vocabulary number, the term its occurrences as a spelling stand for: -1 if none, -2 if
    several (a spelling read as two words at one place, or left out of the vocabulary as a term)."""
    found = np.full(vocab_size, -1, dtype=np.int64)
    spelt = spellings >= 0
    spellings, terms = spellings[spelt], terms[spelt]
    found[spellings] = terms  # one of them, then every occurrence checked against it
    several = np.zeros(vocab_size, dtype=bool)
    several[spellings[found[spellings] != terms]] = True
    found[several] = -2
    return found.astype(np.int32)


def _pair_arrays(prefix: str, terms: np.ndarray, ordinals: np.ndarray, positions: np.ndarray,
                 vocab_size: int) -> dict[str, np.ndarray]:
    keys = ordinals.astype(np.int64) << 32
    keys |= positions
    keep = terms >= 0
    if not keep.all():
        terms, keys = terms[keep], keys[keep]
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    terms = terms[order].astype(np.int32, copy=False)  # a term number fits: one occurrence's 4 bytes fewer
    del order
    pieces, start = [], 0
    while start < len(keys):  # a chunk ends where an ordinal does: no pair crosses two
        stop = min(start + CHUNK, len(keys))
        if stop < len(keys):
            ordinal = int(keys[stop] >> 32)
            stop = int(np.searchsorted(keys, ordinal << 32))
            if stop <= start:  # one ordinal longer than a chunk
                stop = int(np.searchsorted(keys, (ordinal + 1) << 32))
        pieces.append(_within(terms[start:stop], keys[start:stop], vocab_size))
        start = stop
    del terms, keys
    pair, doc, tfs = _in_pair_order(pieces)
    del pieces
    pair_starts = run_starts(pair) if len(pair) else np.zeros(0, np.int64)
    return {
        f"{prefix}_key": pair[pair_starts],
        f"{prefix}_off": np.append(pair_starts, len(pair)).astype(np.int32),
        f"{prefix}_docs": doc,
        f"{prefix}_tfs": tfs,
    }


def _in_pair_order(pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """The chunks' (pair key, ordinal, tf) postings, each chunk in (pair, ordinal) order and the chunks in
    ordinal order, as one list in (pair, ordinal) order: a key range at a time, written into the result, so
    the whole list is never held twice (a merge's largest arrays: a posting for every pair in every text)."""
    total = sum(len(p[0]) for p in pieces)
    pair, doc, tfs = np.empty(total, np.int64), np.empty(total, np.int32), np.empty(total, np.uint16)
    if not total:
        return pair, doc, tfs
    sample = np.sort(np.concatenate([p[0][::max(1, len(p[0]) // 64)] for p in pieces if len(p[0])]))
    cuts = sample[(np.arange(1, BUCKETS) * len(sample)) // BUCKETS]
    bounds = np.unique(np.concatenate(([0], cuts, [max(int(p[0][-1]) for p in pieces if len(p[0])) + 1])))
    at = 0
    for low, high in zip(bounds[:-1], bounds[1:]):
        spans = [(p, *p[0].searchsorted((low, high))) for p in pieces]
        keys = np.concatenate([p[0][a:b] for p, a, b in spans])
        order = np.argsort(keys, kind="stable")  # the chunks are in ordinal order: (pair, ordinal) order
        end = at + len(keys)
        pair[at:end] = keys[order]
        doc[at:end] = np.concatenate([p[1][a:b] for p, a, b in spans])[order]
        tfs[at:end] = np.minimum(np.concatenate([p[2][a:b] for p, a, b in spans])[order], MOST_TF)
        at = end
    return pair, doc, tfs


def _within(terms: np.ndarray, keys: np.ndarray, vocab_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair key, ordinal, tf) of each pair's postings among occurrences sorted by `keys` (ordinal << 32 |
    position), in (pair, ordinal) order."""
    after = keys + 1  # each occurrence's next position, in the same ordinal
    low, high = np.searchsorted(keys, after, "left"), np.searchsorted(keys, after, "right")
    left = np.repeat(np.arange(len(keys)), high - low)
    right = span_index(low, high - low)
    pair = terms[left].astype(np.int64) * vocab_size + terms[right]
    doc = keys[left] >> 32
    # One count per left occurrence and right term, then one posting per (pair, ordinal): `left` is in
    # order, and `doc` with it, so a stable sort by pair orders by (pair, ordinal, left occurrence).
    order = np.argsort(pair, kind="stable")
    pair, doc, left = pair[order], doc[order], left[order]
    distinct = np.ones(len(pair), dtype=bool)
    distinct[1:] = (pair[1:] != pair[:-1]) | (left[1:] != left[:-1])
    pair, doc = pair[distinct], doc[distinct]
    first = np.ones(len(pair), dtype=bool)
    first[1:] = (pair[1:] != pair[:-1]) | (doc[1:] != doc[:-1])
    starts = np.flatnonzero(first)
    return pair[starts], doc[starts].astype(np.int32), np.diff(np.append(starts, len(pair))).astype(np.uint32)


def pairs_of_segment(data, name: str, quotes: bool = False) -> dict[str, np.ndarray]:
    """A field's pair arrays (`quotes`: its quote pairs) made from a segment's own postings and positions
    (a segment written before they were indexed: what a merge would make of it, without analysing its
    text again)."""
    off = np.asarray(data[f"{name}.term_off"], dtype=np.int64)
    tfs = np.asarray(data[f"{name}.tfs"], dtype=np.int64)
    terms = np.repeat(np.repeat(np.arange(len(off) - 1), np.diff(off)), tfs)
    ordinals = np.repeat(np.asarray(data[f"{name}.docs"], dtype=np.int64), tfs)
    positions = np.asarray(data[f"{name}.pos"])
    if quotes:
        spellings = np.asarray(data[f"{name}.spelling"], dtype=np.int64)
        return quote_postings(name, terms, spellings, ordinals, positions, len(off) - 1)
    return pair_postings(name, terms, ordinals, positions, len(off) - 1)
