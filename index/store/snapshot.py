"""A snapshot: one generation of the index, and everything derived from it.

A search runs over one Snapshot from start to end, so a commit meanwhile
cannot mix two generations in one answer.  A snapshot is built from the one
before it: segments it shares with it keep their (memory-mapped) arrays and
their live masks if their deletions are the same, so a commit costs what it
changed.  Whatever a search derives from a generation (global columns, joined
posting lists, the entity catalog, finished results) is kept *on the snapshot*
and dies with it: that is the one rule for when derived state is stale.  What
every search reads once is `derived`; what depends on the query (a term's joined
postings, an entity's mask, a phrase's matches, a term's df) is `held` in LRUs of
bounded size, as the queries a client may send are not.

Articles are numbered across the snapshot by concatenating the segments'
article ordinals (segment i's articles start at `article_base[i]`); passages
likewise.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.store import whoosh_io
from index.store.held import Held
from index.store.building import MAX_TERM_BYTES, TEXT_FIELDS
from index.store.schema import article_data
from index.store.segment import SegmentData

JOINED_POSTINGS_HELD = 4_000_000  # postings of joined lists kept per snapshot (40 MB): NEWSINDEX_POSTINGS_CACHE
ENTRY_COST = 50  # keeping a list costs this many 10-byte postings more (its key and arrays: 500 bytes), empty or not
QUERY_ARRAYS_HELD = 32 * 2 ** 20  # bytes of entity masks and phrase matches kept per snapshot
FACTS_HELD = 50_000  # a term's df, numbers or score bound counts one, a pattern's words one each: per snapshot (~20 MB)
ARTICLES_HELD = 4 * 2 ** 20  # characters of stored articles kept parsed, per process (~1,300 wire stories, ~10 MB)


_ARTICLES = Held(ARTICLES_HELD, lambda found: found[1])  # (segment key, document) -> (article dict, its length)


def nbytes(value) -> int:
    """Bytes of an array or of a tuple of arrays, and of keeping it (an empty one costs too)."""
    return (sum(v.nbytes for v in value) if isinstance(value, tuple) else value.nbytes) + ENTRY_COST * 10


@dataclass
class Part:
    """One segment of a snapshot: its Whoosh segment, its arrays, and which ordinals are live."""

    segment: object
    data: SegmentData
    deleted: int
    article_live: np.ndarray
    passage_live: np.ndarray

    @property
    def key(self) -> str:
        return whoosh_io.segment_key(self.segment)

    @property
    def live_count(self) -> int:
        """Articles of the segment not deleted."""
        return self.data.articles - self.deleted


def make_part(segment, data: SegmentData, previous: Part | None = None) -> Part:
    """A Part, reusing `previous`'s live masks when the segment's deletions have not changed."""
    deleted = segment.deleted_count()
    if previous is not None and previous.deleted == deleted:
        return Part(segment, data, deleted, previous.article_live, previous.passage_live)
    article_live = np.ones(data.articles, dtype=bool)
    if deleted:  # a Whoosh document number is the article's ordinal; its passages go with it
        article_live[np.fromiter(segment.deleted_docs(), dtype=np.int64, count=deleted)] = False
    passage_live = article_live[data["passage_article"]] if deleted else np.ones(data.passages, dtype=bool)
    return Part(segment, data, deleted, article_live, passage_live)


class Snapshot:
    """One generation's segments, with per-generation caches (see the module docstring)."""

    def __init__(self, generation: int, parts: list[Part], readers, previous: "Snapshot | None" = None,
                 postings_held: int = JOINED_POSTINGS_HELD):
        self.generation = generation
        self.parts = parts
        self._readers = readers  # segment key -> Whoosh SegmentReader (for stored fields), shared
        self.article_base = np.cumsum([0] + [p.data.articles for p in parts])
        self.passage_base = np.cumsum([0] + [p.data.passages for p in parts])
        self._ends = (self.article_base[1:].tolist(), self.passage_base[1:].tolist())  # each part's, for `locate`
        self.articles = int(self.article_base[-1])  # ordinals, deleted included
        self.passages = int(self.passage_base[-1])
        self.lock = threading.RLock()
        self.cache: dict = {}  # derived per-generation data, keyed by what it is
        # Counted with what an entry itself costs: a client asking for words the archive lacks keeps empty lists.
        self._joined = Held(postings_held, lambda found: len(found[0]) + ENTRY_COST)
        self._query_arrays = Held(QUERY_ARRAYS_HELD, nbytes)
        # Small facts about what queries asked (a term's df, its score bound, a pattern's words): bounded,
        # as a client may ask for any number of different words within one generation.
        self.facts = Held(FACTS_HELD, lambda value: len(value) + 1 if isinstance(value, list) else 1)
        # Joined lists of the snapshot before are taken over for the segments both share at their start (all
        # of them after a commit that only added; the big old ones after a merge of the small new ones).  Only
        # its lists are kept here, not the snapshot: its columns go as soon as its last search ends.
        shared = _shared_start(parts, previous.parts) if previous is not None else 0
        self._extends = (previous._joined, shared, len(previous.parts)) if shared else None
        if previous is not None:
            previous._extends = None  # one generation back at most: no chain of old lists kept alive

    # -- per-generation caching -------------------------------------------------

    def derived(self, key, build):
        """`build()` once per snapshot (and key); later callers get the same object."""
        found = self.cache.get(key)
        if found is None:
            with self.lock:
                found = self.cache.get(key)
                if found is None:
                    found = self.cache[key] = build()
        return found

    def held(self, key, build):
        """`build()` kept while used, within QUERY_ARRAYS_HELD bytes per snapshot (an entity's mask, a
        phrase's matches): the least recently used go first."""
        return self._query_arrays.kept(key, build)

    def held_already(self, key):
        """What `held` keeps for `key`, or None: for a caller that has a cheaper way than building it whole."""
        return self._query_arrays.get(key)

    # -- columns over the whole snapshot -------------------------------------------

    def article_column(self, name: str) -> np.ndarray:
        """A per-article array of every segment, concatenated (e.g. "published")."""
        return self.derived(("article", name), lambda: _concat([p.data[name] for p in self.parts],
                                                                  self.parts and self.parts[0].data[name].dtype))

    def lengths(self, fieldname: str) -> np.ndarray:
        """Quantised lengths of a field over all articles (title, body) or passages (text), made on each call:
        only BM25's norms (kept per snapshot) are made from them."""
        return _concat([p.data.lengths(fieldname) for p in self.parts], np.float32)

    def live_articles(self) -> np.ndarray:
        return self.derived("article_live", lambda: _concat([p.article_live for p in self.parts], bool))

    def live_passages(self) -> np.ndarray:
        return self.derived("passage_live", lambda: _concat([p.passage_live for p in self.parts], bool))

    def counts(self) -> dict:
        """Live articles and passages, and the articles whose entities are still to be extracted."""
        return self.derived("counts", lambda: {
            "articles": int(sum(int(p.article_live.sum()) for p in self.parts)),
            "passages": int(sum(int(p.passage_live.sum()) for p in self.parts)),
            "pending": int(self.pending_articles().sum()),
            "unembedded": int(self.unembedded_articles().sum())})

    def pending_articles(self) -> np.ndarray:
        """A mask of the live articles waiting for enrichment."""
        return self.derived("pending", lambda: self.article_column("pending").astype(bool) & self.live_articles())

    def unembedded_articles(self) -> np.ndarray:
        """A mask of the live articles whose passages have no vectors yet (index/enrichment.py embeds them)."""
        return self.derived("unembedded", lambda: ~self.article_column("embedded").astype(bool) & self.live_articles())

    def to_enrich(self, vectors: bool) -> np.ndarray:
        """A mask of the live articles the enricher has work on: entities pending, or (`vectors`) vectors missing."""
        return self.pending_articles() | self.unembedded_articles() if vectors else self.pending_articles()

    def avg_length(self, fieldname: str) -> float:
        """Average field length over articles (title, body) or passages (text), deleted included as Whoosh counts."""
        def build() -> float:
            total = sum(p.data.length_sum(fieldname) for p in self.parts)
            return max(1.0, total / max(1, self.size(fieldname)))
        return self.derived(("avg_length", fieldname), build)

    def size(self, fieldname: str) -> int:
        """How many documents a field's ordinals number: passages for "text", else articles (deleted included)."""
        return self.passages if fieldname == "text" else self.articles

    # -- postings -----------------------------------------------------------------

    def df(self, fieldname: str, term: str) -> int:
        """Articles (or passages) holding a term, deleted ones included (as Whoosh counts)."""
        return self.facts.kept(("df", fieldname, term), lambda: sum(
            p.data.df(fieldname, number) for p, number in zip(self.parts, self.numbers(term))))

    def numbers(self, term: str) -> tuple[int, ...]:
        """The term's number in each segment's vocabulary (-1 where it is not), looked up once per snapshot:
        a search reads a word's postings, bound, positions and highlights in every segment."""
        return self.facts.kept(("numbers", term), lambda: tuple(p.data.lookup(term) for p in self.parts))

    def postings(self, fieldname: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(global ordinals, tfs) of a term's live postings in every segment, in ordinal order.

        Joined lists are kept per snapshot in an LRU bounded by `postings_held` postings.
        """
        def build():
            numbers = self.numbers(term)
            return self._join(fieldname, (fieldname, term), lambda i, data: data.postings(fieldname, numbers[i]))
        return self._joined.kept((fieldname, term), build)

    def has_pairs(self, fieldname: str) -> bool:
        """Whether every segment indexes the field's adjacent word pairs (index/store/pairs.py)."""
        return self.derived(("has_pairs", fieldname), lambda: all(p.data.has_pairs(fieldname) for p in self.parts))

    def pair_postings(self, fieldname: str, left: str, right: str) -> tuple[np.ndarray, np.ndarray]:
        """(global ordinals, tfs) of the live documents where term `left` is followed by term `right`,
        joined and kept like a term's postings (only when `has_pairs`)."""
        key = (fieldname, left, right)

        def build():
            firsts, seconds = self.numbers(left), self.numbers(right)
            return self._join(fieldname, key, lambda i, data: data.pair_postings(fieldname, firsts[i], seconds[i]))
        return self._joined.kept(key, build)

    def quote_postings(self, fieldname: str, words: tuple[str, str], spellings: tuple[str, str]
                       ) -> tuple[np.ndarray, np.ndarray] | None:
        """(global ordinals, tfs) of the live documents holding a two-word quote (its terms, spelt so), joined
        and kept like a term's postings; None unless every segment's quote pairs can tell (`has_quotes`, and no
        spelling standing for two words: Segment.quote_postings)."""
        if not self.derived(("has_quotes", fieldname), lambda: all(p.data.has_quotes(fieldname) for p in self.parts)):
            return None
        key = ("quote", fieldname, words, spellings)
        found = self._joined.get(key)
        if found is not None:
            return found
        terms = list(zip(*map(self.numbers, words)))
        spelt = list(zip(*map(self.numbers, spellings)))
        lists = [part.data.quote_postings(fieldname, terms[i], spelt[i]) for i, part in enumerate(self.parts)]
        if any(listed is None for listed in lists):
            return None
        return self._joined.kept(key, lambda: self._join(fieldname, key, lambda i, data: lists[i]))

    def _join(self, fieldname: str, key: tuple, read):
        """The live postings `read(part number, segment data)` gives in every segment, as global ordinals, joined."""
        bases = self.passage_base if fieldname == "text" else self.article_base
        pieces, start = [], 0  # (local ordinals, their base, tfs): written once into the joined arrays
        if self._extends is not None:
            before, shared, before_parts = self._extends
            found = before.take(key)  # taken, not copied: one generation's lists held at a time
            if found is not None:
                cut = len(found[0])
                if shared < before_parts:  # only the shared segments' postings: ordinals below their end
                    cut = int(np.searchsorted(found[0], bases[shared]))
                pieces, start = [(found[0][:cut], 0, found[1][:cut])], shared
        for i, part in enumerate(self.parts[start:], start):
            local, tf = read(i, part.data)
            if len(local) and part.deleted:  # else nothing deleted: no mask to read
                live = (part.passage_live if fieldname == "text" else part.article_live)[local]
                local, tf = local[live], tf[live]
            if len(local):
                pieces.append((local, int(bases[i]), tf))
        ids = np.empty(sum(len(p[0]) for p in pieces), np.int64)
        tfs = np.empty(len(ids), np.result_type(np.uint16, *(p[2].dtype for p in pieces)))
        at = 0
        for local, base, tf in pieces:
            np.add(local, base, out=ids[at:at + len(local)])
            tfs[at:at + len(local)] = tf
            at += len(local)
        return ids, tfs

    def positions(self, fieldname: str, term: str, ordinals: np.ndarray, spelling: str | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(global ordinal, position) of a term's occurrences within the given sorted global ordinals.

        With `spelling`, only the occurrences spelt so (a quote checked word for word).
        """
        bases = self.passage_base if fieldname == "text" else self.article_base
        docs, positions = [], []
        numbers, spelt_as = self.numbers(term), self.numbers(spelling) if spelling is not None else None
        for i, part, local in self.by_part(ordinals, bases):
            spelt = None
            if spelt_as is not None:
                spelt = spelt_as[i]
                if spelt < 0:
                    continue
            found_docs, found_pos = part.data.positions(fieldname, numbers[i], local, spelt)
            if len(found_docs):
                docs.append(found_docs.astype(np.int64) + bases[i])
                positions.append(found_pos)
        if not docs:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return np.concatenate(docs), np.concatenate(positions)

    def spellings(self, fieldname: str, term: str, first: int = 200) -> Counter:
        """How a term is spelt in its first `first` documents of each segment: {spelling: occurrences}.
        A stemmed term stands for several words ("product": products, production, productivity)."""
        found: Counter = Counter()
        for part, number in zip(self.parts, self.numbers(term)):
            found.update(part.data.spellings(fieldname, number, first))
        return found

    def by_part(self, ordinals: np.ndarray, bases: np.ndarray | None = None):
        """(part number, part, local ordinals) for each segment holding some of the sorted global ordinals."""
        bases = self.article_base if bases is None else bases
        bounds = np.searchsorted(ordinals, bases)
        for i, part in enumerate(self.parts):
            if bounds[i + 1] > bounds[i]:
                yield i, part, (ordinals[bounds[i]:bounds[i + 1]] - bases[i]).astype(np.int64)

    def locate(self, ordinal: int, passages: bool = False) -> tuple[int, Part, int]:
        """(part number, part, local ordinal) of a global article (or passage) ordinal."""
        ends = self._ends[passages]  # bisect on a list, not numpy, for one ordinal
        i = bisect.bisect_right(ends, ordinal)
        return i, self.parts[i], ordinal - (ends[i - 1] if i else 0)

    def occurrences(self, fieldname: str, ordinals: list[int], terms) -> dict[int, list]:
        """Where `terms` occur in titles ("title", article ordinals) or passages ("text", passage ordinals):
        ordinal -> [(term, position, startchar, endchar, spelling)], what highlighting marks, read from the
        segments instead of analysing the texts again.  An ordinal is left out when its segment keeps no
        characters (written before they were kept) or a word is too long for the arrays: its text is analysed."""
        terms = sorted(terms)
        if not ordinals or not terms or any(len(t.encode("utf-8")) > MAX_TERM_BYTES for t in terms):
            return {}
        bases = self.passage_base if fieldname == "text" else self.article_base
        found: dict[int, list] = {}
        numbers = [self.numbers(term) for term in terms]
        for i, part, local in self.by_part(np.array(sorted(set(ordinals)), dtype=np.int64), bases):
            data = part.data
            if not data.keeps_characters(fieldname):
                continue
            base = int(bases[i])
            mine = {o + base: [] for o in local.tolist()}
            for which, doc, position, spelt, start, end in data.spans(fieldname, [each[i] for each in numbers], local):
                if spelt < 0:  # a spelling too long for the arrays
                    mine.pop(doc + base, None)
                elif doc + base in mine:
                    mine[doc + base].append((terms[which], position, start, end, data.term(spelt)))
            found.update(mine)
        return found

    # -- stored fields ----------------------------------------------------------------

    def stored(self, ordinal: int) -> dict:
        """Whoosh's stored fields of an article."""
        _, part, local = self.locate(ordinal)
        return self._readers(part.segment).stored_fields(local)

    def article(self, ordinal: int) -> dict:
        """An article as stored (Article.to_dict), parsed; read-only, as it is shared.

        Reading one (Whoosh's column, zlib, pickle, then its JSON) costs ~30 us, a search page
        reads ten and the articles a newsroom is reading come back in search after search, so
        the recently read are kept parsed.  A segment's stored articles never change: kept by
        segment and document, an entry is never stale, only crowded out."""
        _, part, local = self.locate(ordinal)
        key = (part.key, local)
        found = _ARTICLES.get(key)
        if found is None:
            text = self._readers(part.segment).stored_fields(local)["data"]
            found = _ARTICLES.put(key, (article_data(text), len(text)))
        return found[0]

    def terms(self):
        """Every term of every segment (sorted per segment; a term may repeat across segments)."""
        for part in self.parts:
            yield from (bytes(t).decode("utf-8") for t in part.data.vocab)


def _shared_start(parts: list[Part], before: list[Part]) -> int:
    """How many segments `parts` and `before` share at their start, with the same deletions."""
    shared = 0
    for a, b in zip(parts, before):
        if not (a.data is b.data and a.article_live is b.article_live and a.passage_live is b.passage_live):
            break
        shared += 1
    return shared


def _concat(arrays: list[np.ndarray], dtype) -> np.ndarray:
    if not arrays:
        return np.zeros(0, dtype=dtype or np.int64)
    return np.concatenate(arrays)


__all__ = ["Part", "Snapshot", "make_part", "TEXT_FIELDS"]
