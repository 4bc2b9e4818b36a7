"""Matching: which documents a Whoosh query finds, as numpy arrays, segment by segment.

Whoosh's matchers decide a Boolean query one document at a time, in Python;
on a million-passage archive a two-word OR visits tens of thousands of
documents that way.  Here the common query nodes become boolean masks over the
documents (a term or phrase is its posting list, AND is `&`, OR is `|`, NOT is
`~`), built from the cached arrays of index.store.segments.  Nodes this module does
not know ask Whoosh for their documents, segment by segment, so the answer is
always the one Whoosh would give.

Documents are evaluated in chunks of whole segments (CHUNK_DOCS documents or
more) and the clock is checked between chunks: past the deadline the chunks
already done are the answer, and the caller reports it as partial.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from whoosh import query as Q
from whoosh.matching import WrappingMatcher

from index.search.scoring import AliasOr, expansions
from index.store.segments import SegmentArrays, global_array, global_postings, phrase_key


class FilterOnly(Q.WrappingQuery):
    """A clause that narrows the matches but adds nothing to their scores.

    Unlike ConstantScoreQuery it does not materialise every matching id first,
    so a filter such as `kind:article` costs nothing on a large index.
    """

    def _rewrap(self, child):
        return self.__class__(child)

    def matcher(self, searcher, context=None):
        return _ZeroScore(self.child.matcher(searcher, context))


class _ZeroScore(WrappingMatcher):
    def _replacement(self, newchild):
        return self.__class__(newchild)

    def score(self):
        return 0.0

    def supports_block_quality(self):
        return False

    def max_quality(self):
        return 0.0


class Deadline:
    """A point in time after which a search stops and answers with what it has."""

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def expired(self) -> bool:
        return time.monotonic() >= self.at


CHUNK_DOCS = 250_000  # documents evaluated at once; the deadline is checked between chunks


@dataclass
class _Chunk:
    """Consecutive segments of a searcher, evaluated together: global docnums [start, end)."""

    searcher: object
    arrays: SegmentArrays
    start: int
    end: int
    leaves: list

    def mask(self, ids: np.ndarray) -> np.ndarray:
        """A mask of this chunk's documents from sorted global docnums."""
        mask = np.zeros(self.end - self.start, dtype=bool)
        lo, hi = np.searchsorted(ids, (self.start, self.end))
        mask[ids[lo:hi] - self.start] = True
        return mask


def _chunks(searcher, arrays: SegmentArrays) -> list[_Chunk]:
    chunks, leaves, start = [], [], 0
    for sub, offset in searcher.leaf_searchers():
        if not leaves:
            start = offset
        leaves.append((sub, offset))
        end = offset + sub.reader().doc_count_all()
        if end - start >= CHUNK_DOCS:
            chunks.append(_Chunk(searcher, arrays, start, end, leaves))
            leaves = []
    if leaves:
        chunks.append(_Chunk(searcher, arrays, start, end, leaves))
    return chunks


def matching_docs(searcher, arrays: SegmentArrays, query: Q.Query, deadline: Deadline | None = None,
                  published: tuple[int, int] | None = None) -> tuple[np.ndarray, bool]:
    """(sorted global docnums of live documents matching `query`, whether the deadline cut it short).

    `published` bounds (inclusive, as the `published` column stores them) drop
    documents dated outside them.
    """
    found = []
    live = global_array(searcher, arrays, "live")
    dates = global_array(searcher, arrays, "published") if published is not None else None
    for chunk in _chunks(searcher, arrays):
        if deadline is not None and found and deadline.expired():
            return _join(found), True
        mask = _mask(query, chunk) & live[chunk.start:chunk.end]
        if dates is not None:
            in_chunk = dates[chunk.start:chunk.end]
            mask &= (in_chunk >= published[0]) & (in_chunk <= published[1])
        found.append(np.flatnonzero(mask).astype(np.int64) + chunk.start)
    return _join(found), False


def _join(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _mask(node: Q.Query, chunk: _Chunk) -> np.ndarray:
    """True for each document of a chunk that `node` matches (deletions not yet removed)."""
    size = chunk.end - chunk.start
    if isinstance(node, Q.Term):
        return _terms_mask(chunk, node.fieldname, [node.text])
    if isinstance(node, Q.Phrase):
        return _terms_mask(chunk, node.fieldname, [phrase_key(node)])
    if isinstance(node, Q.MultiTerm):
        return _terms_mask(chunk, node.fieldname, expansions(node, chunk.searcher.reader(), limit=None))
    if type(node) is Q.And:
        mask = np.ones(size, dtype=bool)
        for child in node.subqueries:
            mask &= _mask(child, chunk)
            if not mask.any():
                break
        return mask
    if type(node) in (Q.Or, AliasOr) and not node.minmatch:
        mask = np.zeros(size, dtype=bool)
        for child in node.subqueries:
            mask |= _mask(child, chunk)
        return mask
    if isinstance(node, Q.Not):
        return ~_mask(node.query, chunk)
    if isinstance(node, Q.AndNot):
        return _mask(node.a, chunk) & ~_mask(node.b, chunk)
    if isinstance(node, FilterOnly):
        return _mask(node.child, chunk)
    if node is Q.NullQuery:
        return np.zeros(size, dtype=bool)
    if isinstance(node, Q.Every) and not node.fieldname:
        return np.ones(size, dtype=bool)
    # Anything else: Whoosh's own matcher, segment by segment.
    mask = np.zeros(size, dtype=bool)
    for sub, offset in chunk.leaves:
        ids = np.fromiter(sub.docs_for_query(node), dtype=np.int64)
        mask[ids + (offset - chunk.start)] = True
    return mask


def _terms_mask(chunk: _Chunk, fieldname: str, texts) -> np.ndarray:
    mask = np.zeros(chunk.end - chunk.start, dtype=bool)
    for text in texts:
        mask |= chunk.mask(global_postings(chunk.searcher, chunk.arrays, fieldname, text)[0])
    return mask
