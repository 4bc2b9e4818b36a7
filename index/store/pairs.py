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
"""

from __future__ import annotations

import numpy as np

from index.arrays import run_starts, span_index

PAIRED_FIELDS = ("body", "text")  # the fields proximity is scored on: articles' body, passages' text
CHUNK = 1 << 18  # occurrences paired at once: a merge of tens of millions keeps its temporaries bounded
BUCKETS = 8  # the chunks' pairs are put in pair order this many key ranges at a time
MOST_TF = np.iinfo(np.uint16).max  # a pair's tf is kept at most this (a uint16): a higher count reads as this


def pair_postings(name: str, terms: np.ndarray, ordinals: np.ndarray, positions: np.ndarray,
                  vocab_size: int) -> dict[str, np.ndarray]:
    """A field's pair arrays (see the module docstring) from its token occurrences, in any order
    (term number, -1 for a term left out of the vocabulary; ordinal; position)."""
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
        f"{name}.pair_key": pair[pair_starts],
        f"{name}.pair_off": np.append(pair_starts, len(pair)).astype(np.int32),
        f"{name}.pair_docs": doc,
        f"{name}.pair_tfs": tfs,
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


def pairs_of_segment(data, name: str) -> dict[str, np.ndarray]:
    """A field's pair arrays made from a segment's own postings and positions (a segment written before
    pairs were indexed: what a merge would make of it, without analysing its text again)."""
    off = np.asarray(data[f"{name}.term_off"], dtype=np.int64)
    tfs = np.asarray(data[f"{name}.tfs"], dtype=np.int64)
    terms = np.repeat(np.repeat(np.arange(len(off) - 1), np.diff(off)), tfs)
    ordinals = np.repeat(np.asarray(data[f"{name}.docs"], dtype=np.int64), tfs)
    return pair_postings(name, terms, ordinals, np.asarray(data[f"{name}.pos"]), len(off) - 1)
