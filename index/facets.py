"""Facet counting over a result set: source, month and entities, counted by article.

Whoosh's own grouping walks every matching document's terms on every query.
Here each segment's values are read once into arrays (index.segments: pairs of
article docnum and value number), and a query's counts are a numpy pass: mark
the matching documents, keep the pairs whose document is marked, count the
value numbers.  Entity values are mapped through the EntityCatalog first, so
merged spellings count once per article.

    counts = facet_counts(searcher, arrays, docnums, catalog)    # field -> Counter
    plain_facets(counts, 20); entity_facets(counts, catalog, 20)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.catalog import EntityCatalog
from index.schema import ENTITY_FIELDS
from index.segments import SegmentArrays, by_segment, segment_key

PLAIN_FIELDS = ("source", "month")


@dataclass(frozen=True)
class FacetValue:
    value: str  # what a filter takes (display name, or "2020-11")
    count: int  # number of matching articles
    key: str | None = None  # entity key, for entity facets


def facet_counts(searcher, arrays: SegmentArrays, docnums: np.ndarray, catalog: EntityCatalog,
                 fields: tuple[str, ...] = PLAIN_FIELDS) -> dict[str, Counter]:
    """Articles per value: `fields` by their values, and "entity" by canonical entity key."""
    docnums = np.asarray(docnums, dtype=np.int64)
    counts = {f: Counter() for f in (*fields, "entity")}
    targets = _Targets.of(catalog)
    entity_totals = []
    for sub, offset, local in by_segment(searcher, docnums):
        reader = sub.reader()
        chosen = np.zeros(reader.doc_count_all(), dtype=bool)
        chosen[local] = True
        for fieldname in fields:
            docs, numbers, names = arrays.values(reader, fieldname)
            found = np.bincount(numbers[chosen[docs]], minlength=len(names))
            counts[fieldname].update({names[i]: int(found[i]) for i in np.flatnonzero(found)})
        pairs = []
        for fieldname in ENTITY_FIELDS:
            docs, numbers, names = arrays.values(reader, fieldname)
            keep = chosen[docs]
            if keep.any():
                mapped = targets.numbers(segment_key(reader), fieldname, names)
                pairs.append(docs[keep].astype(np.int64) * targets.size + mapped[numbers[keep]])
        if pairs:  # one per (article, canonical entity), however many spellings the article used
            entity_totals.append(np.unique(np.concatenate(pairs)) % targets.size)
    if entity_totals:
        found = np.bincount(np.concatenate(entity_totals), minlength=targets.size)
        counts["entity"].update({targets.keys[i]: int(found[i]) for i in np.flatnonzero(found)})
    return counts


class _Targets:
    """Canonical entity keys numbered, and each segment's entity values mapped to them (per catalog)."""

    size = 1 << 24  # room for every canonical entity; a pair is docnum * size + target

    def __init__(self, catalog: EntityCatalog):
        self.catalog = catalog
        self.number: dict[str, int] = {}
        self.keys: list[str] = []
        self._mapped: dict[tuple, np.ndarray] = {}

    @classmethod
    def of(cls, catalog: EntityCatalog) -> "_Targets":
        found = catalog.__dict__.get("_facet_targets")
        if found is None:
            found = catalog.__dict__["_facet_targets"] = cls(catalog)
        return found

    def numbers(self, segment: str, fieldname: str, names: list[str]) -> np.ndarray:
        key = (segment, fieldname)
        if key not in self._mapped:
            canonical = self.catalog.canonical
            self._mapped[key] = np.fromiter((self._number(canonical.get(n, n)) for n in names),
                                            dtype=np.int64, count=len(names))
        return self._mapped[key]

    def _number(self, target: str) -> int:
        if target not in self.number:
            self.number[target] = len(self.keys)
            self.keys.append(target)
        return self.number[target]


def entity_facets(counts: dict[str, Counter], catalog: EntityCatalog, limit: int) -> dict[str, list[FacetValue]]:
    """Person, org and place facets: canonical entities with their number of matching articles."""
    grouped: dict[str, list[FacetValue]] = {f: [] for f in ENTITY_FIELDS}
    for target, count in counts["entity"].items():
        kind = catalog.type_of.get(target, "person")
        grouped[kind].append(FacetValue(catalog.display.get(target, target), count, target))
    for kind in grouped:
        grouped[kind] = sorted(grouped[kind], key=lambda v: (-v.count, v.value.lower()))[:limit]
    return grouped


def plain_facets(counts: dict[str, Counter], limit: int) -> dict[str, list[FacetValue]]:
    """Source facet by count; month facet in date order (for the histogram)."""
    return {
        "source": [FacetValue(v, c) for v, c in sorted(counts["source"].items(), key=lambda i: (-i[1], i[0]))[:limit]],
        "date": [FacetValue(v, c) for v, c in sorted(counts["month"].items())],
    }
