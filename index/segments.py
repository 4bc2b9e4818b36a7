"""Segment arrays: a Whoosh segment's postings, lengths and values as numpy arrays, read once.

Whoosh walks posting lists one document at a time in Python, which is fine for
the top ten of a small archive and far too slow for ranking and faceting every
match of a million-passage one.  A segment never changes once written (only
its deletions grow), so this module reads what searching needs from each
segment once and keeps it:

    postings(reader, field, text)  ->  (local docnums, term frequencies)
    lengths(reader, field)         ->  field length of every document
    published(reader)              ->  the `published` column (int64 max when undated)
    kind(reader, kind)             ->  which live documents are articles / passages
    values(reader, field)          ->  (docnum, value number) pairs of an article field, and the value strings

Postings are read block by block (Whoosh's W3 format pickles up to 128 ids and
weights per block) instead of posting by posting, and kept in an LRU bounded by
`max_postings` postings (each list also counts ENTRY_COST for its overhead).  Everything is keyed by segment id (and deletions where
they matter), so a commit that adds a segment leaves the rest of the cache warm.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from pickle import loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import _length_byte_cache

from index.schema import ARTICLE

_BYTE_TO_LENGTH = np.asarray(_length_byte_cache, dtype=np.float32)
_EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))
ENTRY_COST = 64  # a cached list's own overhead, in postings (8 bytes each), so many short lists count too


def segment_key(reader) -> str:
    """A name for the segment behind a leaf reader (id(reader) for readers without one)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


def read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term in one leaf reader, deleted documents included: (docnums, weights)."""
    if (fieldname, text) not in reader:
        return _EMPTY
    btext = reader._text_to_bytes(fieldname, text)
    matcher = reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)
    if not isinstance(matcher, W3LeafMatcher):  # short lists are stored inline in the term info
        pairs = list(matcher.items_as("weight"))
        return (np.fromiter((d for d, _ in pairs), np.int32, len(pairs)),
                np.fromiter((w for _, w in pairs), np.float32, len(pairs)))
    ids, weights = [], []
    while matcher.is_active():
        raw = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        block_ids, block_weights, _ = loads(zlib.decompress(raw) if matcher._compression else raw)
        count = matcher._blocklength
        block = np.asarray(block_ids, dtype=np.int64)
        ids.append(block if matcher._byteids else np.cumsum(block))
        if block_weights is None:
            weights.append(np.ones(count, np.float32))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights, np.float32))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float32))
        matcher._next_block()
    return np.concatenate(ids).astype(np.int32), np.concatenate(weights)


class SegmentArrays:
    """The per-segment array cache shared by every search of one Index (thread-safe)."""

    def __init__(self, max_postings: int = 10_000_000) -> None:
        self.max_postings = max_postings
        self._postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0  # postings held in the LRU
        self._other: dict[tuple, object] = {}
        self._lock = threading.Lock()

    # -- postings ----------------------------------------------------------------

    def postings(self, reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(local docnums, weights) of a term's live postings in one leaf reader."""
        ids, weights = self._raw_postings(reader, fieldname, text)
        if len(ids) and reader.has_deletions():
            keep = self.live(reader)[ids]
            ids, weights = ids[keep], weights[keep]
        return ids, weights

    def _raw_postings(self, reader, fieldname: str, text: str):
        key = (segment_key(reader), fieldname, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        found = read_postings(reader, fieldname, text)
        with self._lock:
            if key not in self._postings:
                self._postings[key] = found
                self._held += len(found[0]) + ENTRY_COST
                while self._held > self.max_postings and len(self._postings) > 1:
                    _, (old, _) = self._postings.popitem(last=False)
                    self._held -= len(old) + ENTRY_COST
        return found

    # -- per-document arrays ------------------------------------------------------

    def _cached(self, key: tuple, build):
        found = self._other.get(key)
        if found is None:
            found = build()
            with self._lock:
                if len(self._other) > 8192:  # segments come and go with merges; forget old ones
                    self._other.clear()
                self._other[key] = found
        return found

    def live(self, reader) -> np.ndarray:
        """True for each document of the segment that is not deleted."""
        def build():
            live = np.ones(reader.doc_count_all(), dtype=bool)
            deleted = list(reader.deleted_docs_set) if reader.has_deletions() else []
            live[np.asarray(deleted, dtype=np.int64)] = False
            return live
        return self._cached((segment_key(reader), "live", reader.doc_count_all() - reader.doc_count()), build)

    def kind(self, reader, kind: str = ARTICLE) -> np.ndarray:
        """True for each live document of this kind (article or passage)."""
        def build():
            mask = np.zeros(reader.doc_count_all(), dtype=bool)
            mask[self._raw_postings(reader, "kind", kind)[0]] = True
            return mask & self.live(reader)
        return self._cached((segment_key(reader), "kind", kind, reader.doc_count_all() - reader.doc_count()), build)

    def lengths(self, reader, fieldname: str) -> np.ndarray:
        """Length of `fieldname` in every document (as Whoosh stores it: one byte, log-scaled)."""
        def build():
            count = reader.doc_count_all()
            try:  # Whoosh's W3 codec: one length byte per document, read in one go
                codes = np.zeros(count, dtype=np.uint8)
                column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
                if column is not None:
                    stored = min(count, column._count)
                    codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
                return _BYTE_TO_LENGTH[codes]
            except AttributeError:  # another codec: ask document by document
                return np.fromiter((reader.doc_field_length(d, fieldname, 0) or 0 for d in range(count)),
                                   dtype=np.float32, count=count)
        return self._cached((segment_key(reader), "length", fieldname), build)

    def published(self, reader) -> np.ndarray:
        """The `published` column as int64 (Whoosh's datetime longs); the largest int64 where undated."""
        def build():
            count = reader.doc_count_all()
            if not reader.has_column("published"):
                return np.zeros(count, dtype=np.int64)
            column = reader.column_reader("published", translate=False)
            top = np.iinfo(np.int64).max  # Whoosh stores "no date" as the column type's maximum
            return np.fromiter((min(v or 0, top) for v in column), dtype=np.int64, count=count)
        return self._cached((segment_key(reader), "published"), build)

    def values(self, reader, fieldname: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The values of an article field: (docnums, value numbers) pairs and the value strings.

        Read from the field's postings, one term at a time, for article documents
        (passages repeat their article's values).  Deleted documents are included;
        callers count only the documents they were given.
        """
        def build():
            articles = self._raw_postings(reader, "kind", ARTICLE)[0]
            docs, numbers, names = [], [], []
            if fieldname in reader.indexed_field_names():
                for btext in reader.lexicon(fieldname):
                    ids = read_postings(reader, fieldname, btext.decode("utf-8"))[0]
                    ids = ids[np.isin(ids, articles, assume_unique=True)]
                    if len(ids):
                        docs.append(ids)
                        numbers.append(np.full(len(ids), len(names), np.int32))
                        names.append(btext.decode("utf-8"))
            if not docs:
                return np.zeros(0, np.int32), np.zeros(0, np.int32), []
            return np.concatenate(docs), np.concatenate(numbers), names
        return self._cached((segment_key(reader), "values", fieldname), build)

    def stats(self) -> dict:
        """How much the cache holds (for metrics and the soak's memory report)."""
        return {"postings_lists": len(self._postings), "postings": self._held, "arrays": len(self._other)}



# -- the same, across every segment of a searcher, in global document numbers ----------


def global_postings(searcher, arrays: SegmentArrays, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(global docnums, weights) of a term's live postings in every segment, in docnum order."""
    ids, weights = [], []
    for sub, offset in searcher.leaf_searchers():
        local, w = arrays.postings(sub.reader(), fieldname, text)
        if len(local):
            ids.append(local.astype(np.int64) + offset)
            weights.append(w)
    if not ids:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(ids), np.concatenate(weights)


def by_segment(searcher, docnums: np.ndarray):
    """(subsearcher, offset, local docnums) for each segment holding some of the sorted global `docnums`."""
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves] + [np.iinfo(np.int64).max]
    bounds = np.searchsorted(docnums, offsets)
    for i, (sub, offset) in enumerate(leaves):
        if bounds[i + 1] > bounds[i]:
            yield sub, offset, docnums[bounds[i]:bounds[i + 1]] - offset


def global_array(searcher, arrays: SegmentArrays, what: str, fieldname: str = "") -> np.ndarray:
    """A per-document array (`lengths` of a field, `published`) over the whole searcher.

    Kept on the searcher, which lives until the next commit.
    """
    cache = searcher.__dict__.setdefault("_newsindex_arrays", {})
    key = (what, fieldname)
    if key not in cache:
        parts = [arrays.lengths(sub.reader(), fieldname) if what == "lengths" else arrays.published(sub.reader())
                 for sub, _ in searcher.leaf_searchers()]
        cache[key] = np.concatenate(parts) if parts else np.zeros(0)
    return cache[key]
