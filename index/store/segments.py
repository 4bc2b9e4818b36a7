"""Segment arrays: a Whoosh segment's postings, lengths and values as numpy arrays, read once.

Whoosh walks posting lists one document at a time in Python, which is fine for
the top ten of a small archive and far too slow for ranking and faceting every
match of a million-passage one.  A segment never changes once written (only
its deletions grow), so this module reads what searching needs from each
segment once and keeps it (SegmentArrays, one per Index):

    postings(reader, field, text)  ->  (local docnums, term frequencies); a phrase when text is a tuple of words
    lengths(reader, field)         ->  field length of every document
    published(reader)              ->  the `published` column (int64 max when undated)
    kind(reader, kind)             ->  which live documents are articles / passages
    values(reader, field)          ->  (docnum, value number) pairs of an article field, and the value strings
    key_numbers(reader, field)     ->  the same values as archive-wide numbers (entity facets)
    summed_term_counts(leaves, f)  ->  documents per term over all segments (the entity catalog)

Postings are read block by block (Whoosh's W3 format pickles up to 128 ids and
weights per block) instead of posting by posting, and kept in an LRU bounded by
`max_postings` postings (each list also counts ENTRY_COST for its overhead).
Everything is keyed by segment id (and deletions where they matter), so a
commit that adds a segment leaves the rest warm; `retain` forgets segments that
merges removed.  global_postings and global_array give the same across every
segment of a searcher, in global document numbers.

This reads Whoosh's W3 codec below its public API (pinned: Whoosh-Reloaded
2.7.x); tests/test_segments.py checks every reader here against Whoosh's own.
"""

from __future__ import annotations

import threading
import zlib
from collections import Counter, OrderedDict
from pickle import loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.util.numeric import _length_byte_cache

from index.store.schema import ARTICLE

_BYTE_TO_LENGTH = np.asarray(_length_byte_cache, dtype=np.float32)
_EMPTY = (np.zeros(0, np.int32), np.zeros(0, np.float32))
_BIG_ENDIAN = {"Q": ">u8", "q": ">i8", "I": ">u4", "i": ">i4"}  # Whoosh's numeric column type codes
UNCACHED_FIELDS = frozenset({"doc_id", "article_id"})  # one document per term: nothing to gain
ENTRY_COST = 64  # a cached list's own overhead, in postings (8 bytes each), so many short lists count too


def segment_key(reader) -> str:
    """A name for the segment behind a leaf reader (id(reader) for readers without one)."""
    key = reader.__dict__.get("_newsindex_segment")
    if key is None:
        segment = reader.segment() if hasattr(reader, "segment") else None
        key = reader.__dict__["_newsindex_segment"] = (
            segment.segment_id() if segment is not None else f"reader-{id(reader)}")
    return key


def _leaf_matcher(reader, fieldname: str, text: str):
    """Whoosh's raw matcher for a term (deleted documents included), or None if absent."""
    if (fieldname, text) not in reader:
        return None
    btext = reader._text_to_bytes(fieldname, text)
    return reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format)


def _blocks(matcher, wanted: np.ndarray | None = None):
    """(docnums, weights, values) of each block of a W3 posting list, decoded a block at a time.

    With `wanted` (sorted docnums), blocks holding none of them are skipped undecoded
    (a block's header says its last docnum).
    """
    last = -1  # the last docnum of the block before
    while matcher.is_active():
        if wanted is not None:
            at = np.searchsorted(wanted, last, side="right")
            if at == len(wanted):
                return
            if wanted[at] > matcher._maxid:
                last = matcher._maxid
                matcher._next_block()
                continue
        last = matcher._maxid
        raw = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
        block_ids, block_weights, values = loads(zlib.decompress(raw) if matcher._compression else raw)
        count = matcher._blocklength
        ids = np.asarray(block_ids, dtype=np.int64)
        if not matcher._byteids:
            ids = np.cumsum(ids)
        if block_weights is None:
            weights = np.ones(count, np.float32)
        elif isinstance(block_weights, float):
            weights = np.full(count, block_weights, np.float32)
        else:
            weights = np.asarray(block_weights, dtype=np.float32)
        yield ids, weights, values
        matcher._next_block()


def read_postings(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """All postings of a term in one leaf reader, deleted documents included: (docnums, weights)."""
    matcher = _leaf_matcher(reader, fieldname, text)
    if matcher is None:
        return _EMPTY
    if not isinstance(matcher, W3LeafMatcher):  # short lists are stored inline in the term info
        pairs = list(matcher.items_as("weight"))
        return (np.fromiter((d for d, _ in pairs), np.int32, len(pairs)),
                np.fromiter((w for _, w in pairs), np.float32, len(pairs)))
    blocks = list(_blocks(matcher))
    return (np.concatenate([ids for ids, _, _ in blocks]).astype(np.int32),
            np.concatenate([weights for _, weights, _ in blocks]))


def read_positions(reader, fieldname: str, text: str, wanted: np.ndarray) -> dict[int, list[int]]:
    """docnum -> word positions of a term, for the `wanted` (sorted) documents that hold it."""
    matcher = _leaf_matcher(reader, fieldname, text)
    found: dict[int, list[int]] = {}
    if matcher is None or not len(wanted):
        return found
    decode = reader.schema[fieldname].format.decode_positions
    if not isinstance(matcher, W3LeafMatcher):  # a list inline in the term info: (docnum, value) pairs
        wanted_set = set(wanted.tolist())
        for docnum, value in matcher.all_items():
            if docnum in wanted_set:
                found[docnum] = decode(value)
        return found
    for ids, _, values in _blocks(matcher, wanted):
        for i in np.flatnonzero(np.isin(ids, wanted, assume_unique=True)):
            found[int(ids[i])] = decode(values[i])
    return found


def _field_postings(reader, fieldname: str):
    """(term, docnums as a sequence) for every term of a field in one segment, in one pass over its term dictionary.

    Short posting lists live inside the term dictionary entry itself; reading them
    from there, rather than looking each term up again, is what makes this fast
    for entity fields with thousands of one-article terms per segment.
    """
    if fieldname not in reader.indexed_field_names():
        return
    terms = reader._terms
    fmt = reader.schema[fieldname].format
    for (field, btext), info in terms.items_from(fieldname, b""):
        if field != fieldname:
            return
        if info.is_inlined():
            ids = info.inlined_postings()[0]
        else:
            matcher = terms._codec.postings_reader(terms._postfile, info, fmt)
            ids = np.concatenate([block for block, _, _ in _blocks(matcher)]).tolist() if isinstance(
                matcher, W3LeafMatcher) else list(matcher.all_ids())
        yield btext.decode("utf-8"), ids


def phrase_key(phrase) -> tuple:
    """How a Whoosh Phrase is named to `SegmentArrays.postings`: its words, and its slop unless exact."""
    return tuple(phrase.words) + ((phrase.slop,) if phrase.slop != 1 else ())


def read_phrase(reader, fieldname: str, words: tuple[str, ...], slop: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A phrase's postings in one leaf reader, as if it were a term: (docnums, occurrences).

    Documents holding every word are found from the posting lists; the words'
    positions are then read for those documents only.  An exact phrase (slop 1)
    counts the starts where each word follows the one before; other slops ask
    Whoosh's span matcher.
    """
    if slop != 1:
        from whoosh.query import Phrase
        from whoosh.searching import Searcher
        matcher = Phrase(fieldname, list(words), slop=slop).matcher(Searcher(reader, closereader=False))
        ids, counts = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            counts.append(len(matcher.spans()) or 1)
            matcher.next()
        return np.asarray(ids, dtype=np.int32), np.asarray(counts, dtype=np.float32)
    common = None
    for word in words:
        ids = read_postings(reader, fieldname, word)[0]
        common = ids if common is None else common[np.isin(common, ids, assume_unique=True)]
        if not len(common):
            return _EMPTY
    positions = [read_positions(reader, fieldname, word, common) for word in dict.fromkeys(words)]
    by_word = dict(zip(dict.fromkeys(words), positions))
    ids, counts = [], []
    for docnum in common.tolist():
        first = by_word[words[0]][docnum]
        later = [set(by_word[w][docnum]) for w in words[1:]]
        count = sum(1 for p in first if all(p + i in rest for i, rest in enumerate(later, 1)))
        if count:
            ids.append(docnum)
            counts.append(count)
    return np.asarray(ids, dtype=np.int32), np.asarray(counts, dtype=np.float32)


class SegmentArrays:
    """The per-segment array cache shared by every search of one Index (thread-safe)."""

    def __init__(self, max_postings: int = 10_000_000) -> None:
        self.max_postings = max_postings
        self._postings: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0  # postings held in the LRU
        self._other: dict[tuple, object] = {}
        self._numbers: dict[str, int] = {}  # archive-wide numbers of field values (key_numbers)
        self._names: list[str] = []
        self._sums: dict[str, tuple[dict, Counter]] = {}  # summed_term_counts, per field
        self._versioned: dict[tuple, tuple[str, object]] = {}  # (segment, what) -> (version, array)
        self._lock = threading.RLock()

    # -- postings ----------------------------------------------------------------

    def postings(self, reader, fieldname: str, text: str | tuple) -> tuple[np.ndarray, np.ndarray]:
        """(local docnums, weights) of a term's live postings in one leaf reader.

        `text` may also be a phrase: a tuple of words, optionally ending with a
        slop other than 1 (`("crude", "oil")`, `("oil", "price", 3)`); its weights
        are its occurrences.
        """
        if fieldname in UNCACHED_FIELDS:
            ids, weights = read_postings(reader, fieldname, text)
        else:
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
        if isinstance(text, tuple):
            slop = text[-1] if isinstance(text[-1], int) else 1
            found = read_phrase(reader, fieldname, tuple(w for w in text if isinstance(w, str)), slop)
        else:
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
        """Kept until `retain` drops the segment (key[0]) after a merge removed it."""
        found = self._other.get(key)
        if found is None:
            found = build()
            with self._lock:
                self._other[key] = found
        return found

    def live(self, reader) -> np.ndarray:
        """True for each document of the segment that is not deleted."""
        def build():
            live = np.ones(reader.doc_count_all(), dtype=bool)
            deleted = list(reader.deleted_docs_set) if reader.has_deletions() else []
            live[np.asarray(deleted, dtype=np.int64)] = False
            return live
        return self.versioned(reader, "live", reader.doc_count_all() - reader.doc_count(), build)

    def kind(self, reader, kind: str = ARTICLE) -> np.ndarray:
        """True for each live document of this kind (article or passage)."""
        def build():
            mask = np.zeros(reader.doc_count_all(), dtype=bool)
            mask[self._raw_postings(reader, "kind", kind)[0]] = True
            return mask & self.live(reader)
        return self.versioned(reader, f"kind:{kind}", reader.doc_count_all() - reader.doc_count(), build)

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
            try:  # a fixed-width big-endian column: read in one go
                stored = min(count, column._count)
                raw = np.frombuffer(column._dbfile.get(column._basepos, stored * column._fixedlen),
                                    dtype=_BIG_ENDIAN[column._typecode]).astype(np.uint64)
                values = np.full(count, top, dtype=np.int64)
                values[:stored] = np.minimum(raw, np.uint64(top)).astype(np.int64)
                return values
            except (AttributeError, KeyError):
                return np.fromiter((min(v or 0, top) for v in column), dtype=np.int64, count=count)
        return self._cached((segment_key(reader), "published"), build)

    def values(self, reader, fieldname: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The values of an article field: (docnums, value numbers) pairs and the value strings.

        Read from the field's postings, one term at a time, for article documents
        (passages repeat their article's values).  Deleted documents are included;
        callers count only the documents they were given.
        """
        def build():
            is_article = np.zeros(reader.doc_count_all(), dtype=bool)
            is_article[self._raw_postings(reader, "kind", ARTICLE)[0]] = True
            docs, numbers, names = [], [], []
            for name, ids in _field_postings(reader, fieldname):
                docs.extend(ids)
                numbers.extend([len(names)] * len(ids))
                names.append(name)
            if not docs:
                return np.zeros(0, np.int32), np.zeros(0, np.int32), []
            docs, numbers = np.asarray(docs, dtype=np.int32), np.asarray(numbers, dtype=np.int32)
            keep = is_article[docs]
            return docs[keep], numbers[keep], names
        return self._cached((segment_key(reader), "values", fieldname), build)

    def article_ids(self, reader) -> frozenset[str]:
        """The article ids present in a segment (deleted ones included), from its `article_id` terms."""
        def build():
            if "article_id" not in reader.indexed_field_names():
                return frozenset()
            return frozenset(t.decode("utf-8") for t in reader.lexicon("article_id"))
        return self._cached((segment_key(reader), "article_ids"), build)

    def versioned(self, reader, what: str, version, build):
        """One array per segment that depends on something else (`version`: the catalog's mapping, the
        number of deletions): rebuilt when that changes, the old one dropped."""
        key = (segment_key(reader), what)
        found = self._versioned.get(key)
        if found is None or found[0] != version:
            found = (version, build())
            with self._lock:
                self._versioned[key] = found
        return found[1]

    def key_numbers(self, reader, fieldname: str) -> tuple[np.ndarray, np.ndarray]:
        """`values` of a field with each value as an archive-wide number (see `key_name`): (docnums, numbers).

        The numbers never change, so a new entity catalog maps every segment's values
        with one array lookup instead of a dictionary lookup per value and segment.
        """
        def build():
            docs, numbers, names = self.values(reader, fieldname)
            with self._lock:
                mapped = np.fromiter((self._key_number(n) for n in names), dtype=np.int64, count=len(names))
            return docs, mapped[numbers] if len(names) else np.zeros(0, np.int64)
        return self._cached((segment_key(reader), "keys", fieldname), build)

    def _key_number(self, name: str) -> int:
        if name not in self._numbers:
            self._numbers[name] = len(self._names)
            self._names.append(name)
        return self._numbers[name]

    def key_name(self, number: int) -> str:
        return self._names[number]

    @property
    def key_count(self) -> int:
        return len(self._names)

    def summed_term_counts(self, leaf_readers, fieldname: str) -> Counter:
        """Documents per term of a field over all these segments, updated by the segments that changed.

        After a commit most segments are the same; their counts are not summed again.
        """
        with self._lock:
            previous = self._sums.get(fieldname)
        wanted = {segment_key(leaf): leaf for leaf in leaf_readers}
        if previous is not None and previous[0].keys() == wanted.keys():
            return previous[1]  # the same segments (a commit that only deleted): the same sums
        if previous is None:
            previous = ({}, Counter())
        held, total = dict(previous[0]), Counter(previous[1])
        for key in [k for k in held if k not in wanted]:
            total.subtract(held.pop(key))
        for key, leaf in wanted.items():
            if key not in held:
                held[key] = self.term_counts(leaf, fieldname)
                total.update(held[key])
        total = +total  # drop terms whose count fell to zero
        with self._lock:
            self._sums[fieldname] = (held, total)
        return total

    def term_counts(self, reader, fieldname: str) -> dict[str, int]:
        """Every term of a field in one segment with the number of documents holding it (deleted ones too)."""
        def build():
            if fieldname not in reader.indexed_field_names():
                return {}
            return {btext.decode("utf-8"): info.doc_frequency() for btext, info in reader.iter_field(fieldname)}
        return self._cached((segment_key(reader), "terms", fieldname), build)

    def retain(self, segments: set[str]) -> None:
        """Forget everything cached for segments not in `segments` (merged away or deleted)."""
        with self._lock:
            for key in [k for k in self._postings if k[0] not in segments]:
                self._held -= len(self._postings.pop(key)[0]) + ENTRY_COST
            for cache in (self._other, self._versioned):
                for key in [k for k in cache if k[0] not in segments]:
                    del cache[key]

    def stats(self) -> dict:
        """How much the cache holds (for metrics and the soak's memory report)."""
        return {"postings_lists": len(self._postings), "postings": self._held, "arrays": len(self._other)}



# -- the same, across every segment of a searcher, in global document numbers ----------


GLOBAL_POSTINGS_HELD = 4_000_000  # postings of joined lists kept per searcher (32 MB)


def global_postings(searcher, arrays: SegmentArrays, fieldname: str, text: str | tuple) -> tuple[np.ndarray, np.ndarray]:
    """(global docnums, weights) of a term's live postings in every segment, in docnum order.

    Joining a few hundred segments' lists costs more than the arithmetic on them,
    so joined lists are kept on the searcher (until the next commit replaces it).
    """
    held = searcher.__dict__.setdefault("_newsindex_postings", OrderedDict())
    key = (fieldname, text)
    with arrays._lock:
        if key in held:
            held.move_to_end(key)
            return held[key]
    found = _join_postings(searcher, arrays, fieldname, text)
    with arrays._lock:
        held[key] = found
        total = sum(len(ids) for ids, _ in held.values())
        while total > GLOBAL_POSTINGS_HELD and len(held) > 1:
            total -= len(held.popitem(last=False)[1][0])
    return found


def _join_postings(searcher, arrays: SegmentArrays, fieldname: str, text: str | tuple):
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
    """A per-document array (`lengths` of a field, `published`, `live`) over the whole searcher.

    Kept on the searcher, which lives until the next commit.
    """
    cache = searcher.__dict__.setdefault("_newsindex_arrays", {})
    key = (what, fieldname)
    if key not in cache:
        read = {"lengths": lambda r: arrays.lengths(r, fieldname), "published": arrays.published,
                "live": arrays.live}[what]
        parts = [read(sub.reader()) for sub, _ in searcher.leaf_searchers()]
        cache[key] = np.concatenate(parts) if parts else np.zeros(0)
    return cache[key]
