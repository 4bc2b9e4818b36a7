"""Facet counting over a result set: source, month and entities, counted by article.

Whoosh's own grouping walks every matching document's terms on every query.
Segments never change once written, so this module reads each segment's values
once (per field, from its postings), keeps them, and a query's facet counts are
then a pass over the matching document numbers.  Entity counts are folded
through the EntityCatalog so merged spellings count once per article.
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter
from dataclasses import dataclass

from whoosh.query import Term

from index.catalog import EntityCatalog
from index.schema import ARTICLE, ENTITY_FIELDS



@dataclass(frozen=True)
class FacetValue:
    value: str  # what a filter takes (display name, or "2020-11")
    count: int  # number of matching articles
    key: str | None = None  # entity key, for entity facets


class SegmentValues:
    """Per-segment cache of docnum -> field values, for article documents only."""

    def __init__(self) -> None:
        # (segment id, field) -> docnum -> values; (segment id, "kind") -> its article docnums.
        self._cache: dict[tuple[str, str], dict | frozenset] = {}
        self._lock = threading.Lock()

    def values(self, subsearcher, fieldname: str) -> dict[int, tuple[str, ...]]:
        reader = subsearcher.reader()
        segment = reader.segment() if hasattr(reader, "segment") else None
        cache_key = (segment.segment_id() if segment else str(id(reader)), fieldname)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        articles = self._articles(subsearcher, cache_key[0])
        values: dict[int, list[str]] = {}
        if fieldname in reader.indexed_field_names():
            for btext in reader.lexicon(fieldname):
                text = btext.decode("utf-8")
                for docnum in reader.postings(fieldname, btext).all_ids():
                    if docnum in articles:
                        values.setdefault(docnum, []).append(text)
        frozen = {doc: tuple(vals) for doc, vals in values.items()}
        with self._lock:
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[cache_key] = frozen
        return frozen

    def _articles(self, subsearcher, segment_id: str) -> frozenset[int]:
        """The segment's article documents, read once for all its fields."""
        cache_key = (segment_id, "kind")
        cached = self._cache.get(cache_key)
        if cached is None:
            cached = frozenset(subsearcher.docs_for_query(Term("kind", ARTICLE)))
            with self._lock:
                self._cache[cache_key] = cached
        return cached

    def count(self, searcher, docnums, fields=("source", "month")) -> dict[str, Counter]:
        """Counter of values per field over the given global document numbers."""
        leaves = searcher.leaf_searchers()
        offsets = [offset for _, offset in leaves]
        docs = sorted(docnums)
        counts = {f: Counter() for f in fields}
        for i, (sub, offset) in enumerate(leaves):
            end = offsets[i + 1] if i + 1 < len(offsets) else None
            lo = bisect.bisect_left(docs, offset)
            hi = bisect.bisect_left(docs, end) if end is not None else len(docs)
            if lo == hi:
                continue
            for fieldname in fields:
                table = self.values(sub, fieldname)
                counter = counts[fieldname]
                for doc in docs[lo:hi]:
                    counter.update(table.get(doc - offset, ()))
        return counts


def entity_facets(searcher, docnums, values: SegmentValues, catalog: EntityCatalog, limit: int) -> dict[str, list[FacetValue]]:
    """Person, org and place facets: canonical entities with their number of matching articles."""
    per_article: dict[str, set[int]] = {}
    leaves = searcher.leaf_searchers()
    offsets = [offset for _, offset in leaves]
    for doc in docnums:
        i = bisect.bisect_right(offsets, doc) - 1
        sub, offset = leaves[i]
        for fieldname in ENTITY_FIELDS:
            for key in values.values(sub, fieldname).get(doc - offset, ()):
                target = catalog.canonical.get(key, key)
                per_article.setdefault(target, set()).add(doc)
    grouped: dict[str, list[FacetValue]] = {f: [] for f in ENTITY_FIELDS}
    for target, docs in per_article.items():
        kind = catalog.type_of.get(target, "person")
        grouped[kind].append(FacetValue(catalog.display.get(target, target), len(docs), target))
    for kind in grouped:
        grouped[kind] = sorted(grouped[kind], key=lambda v: (-v.count, v.value.lower()))[:limit]
    return grouped


def plain_facets(counts: dict[str, Counter], limit: int) -> dict[str, list[FacetValue]]:
    """Source facet by count; month facet in date order (for the histogram)."""
    return {
        "source": [FacetValue(v, c) for v, c in sorted(counts["source"].items(), key=lambda i: (-i[1], i[0]))[:limit]],
        "date": [FacetValue(v, c) for v, c in sorted(counts["month"].items())],
    }
