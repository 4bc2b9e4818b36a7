"""Matching: which documents a Whoosh query finds, as numpy arrays, segment by segment.

Whoosh's matchers decide a Boolean query one document at a time, in Python;
on a million-passage archive a two-word OR visits tens of thousands of
documents that way.  Here the common query nodes become boolean masks over a
segment's documents (a term or phrase is its posting list, AND is `&`, OR is
`|`, NOT is `~`), built from the cached arrays of index.segments.  Nodes this
module does not know ask Whoosh for their documents in that segment, so the
answer is always the one Whoosh would give.

The clock is checked between segments: past the deadline the segments already
done are the answer, and the caller reports it as partial.
"""

from __future__ import annotations

import time

import numpy as np
from whoosh import query as Q
from whoosh.matching import WrappingMatcher

from index.scoring import AliasOr
from index.segments import SegmentArrays, phrase_key


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


def matching_docs(searcher, arrays: SegmentArrays, query: Q.Query, deadline: Deadline | None = None,
                  published: tuple[int, int] | None = None) -> tuple[np.ndarray, bool]:
    """(sorted global docnums of live documents matching `query`, whether the deadline cut it short).

    `published` bounds (inclusive, as the `published` column stores them) drop
    documents dated outside them.
    """
    found = []
    for sub, offset in searcher.leaf_searchers():
        if deadline is not None and found and deadline.expired():
            return _join(found), True
        reader = sub.reader()
        mask = _mask(query, sub, arrays) & arrays.live(reader)
        if published is not None:
            dates = arrays.published(reader)
            mask &= (dates >= published[0]) & (dates <= published[1])
        found.append(np.flatnonzero(mask).astype(np.int64) + offset)
    return _join(found), False


def _join(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


def _mask(node: Q.Query, sub, arrays: SegmentArrays) -> np.ndarray:
    """True for each document of one segment that `node` matches (deletions not yet removed)."""
    reader = sub.reader()
    size = reader.doc_count_all()
    if isinstance(node, Q.Term):
        return _terms_mask(reader, arrays, node.fieldname, [node.text], size)
    if isinstance(node, Q.Phrase):
        return _terms_mask(reader, arrays, node.fieldname, [phrase_key(node)], size)
    if isinstance(node, Q.MultiTerm) and not isinstance(node, Q.Phrase):
        texts = [t.decode("utf-8") if isinstance(t, bytes) else t for t in node._btexts(reader)]
        return _terms_mask(reader, arrays, node.fieldname, texts, size)
    if type(node) is Q.And:
        mask = np.ones(size, dtype=bool)
        for child in node.subqueries:
            mask &= _mask(child, sub, arrays)
            if not mask.any():
                break
        return mask
    if type(node) in (Q.Or, AliasOr) and not node.minmatch:
        mask = np.zeros(size, dtype=bool)
        for child in node.subqueries:
            mask |= _mask(child, sub, arrays)
        return mask
    if isinstance(node, Q.Not):
        return ~_mask(node.query, sub, arrays)
    if isinstance(node, Q.AndNot):
        return _mask(node.a, sub, arrays) & ~_mask(node.b, sub, arrays)
    if isinstance(node, FilterOnly):
        return _mask(node.child, sub, arrays)
    if node is Q.NullQuery:
        return np.zeros(size, dtype=bool)
    if isinstance(node, Q.Every) and not node.fieldname:
        return np.ones(size, dtype=bool)
    # Anything else: Whoosh's own matcher, in this segment only.
    mask = np.zeros(size, dtype=bool)
    ids = np.fromiter(sub.docs_for_query(node), dtype=np.int64)
    mask[ids] = True
    return mask


def _terms_mask(reader, arrays: SegmentArrays, fieldname: str, texts, size: int) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    for text in texts:
        ids, _ = arrays.postings(reader, fieldname, text)
        mask[ids] = True
    return mask
