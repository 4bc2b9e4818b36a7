"""Facet counting over a result set: source, month and entities, counted by article.

Whoosh's own grouping walks every matching document's terms on every query.
Here each segment's values are read once into arrays (index.store.segments: pairs of
article docnum and value number), and a query's counts are a numpy pass: mark
the matching documents, keep the pairs whose document is marked, count the
value numbers.  Entity values are mapped through the EntityCatalog first (one
array per catalog, from archive-wide value numbers to canonical entities), so
merged spellings count once per article.

    counts = facet_counts(searcher, arrays, docnums, catalog)    # field -> Counter
    plain_facets(counts, 20); entity_facets(counts, catalog, 20)
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass

import numpy as np

from index.query import FacetValue
from index.search.catalog import EntityCatalog
from index.store.schema import ENTITY_FIELDS
from index.store.segments import SegmentArrays, by_segment

PLAIN_FIELDS = ("source", "month")


def facet_counts(searcher, arrays: SegmentArrays, docnums: np.ndarray, catalog: EntityCatalog,
                 fields: tuple[str, ...] = PLAIN_FIELDS) -> dict[str, Counter]:
    """Articles per value: `fields` by their values, and "entity" by canonical entity key."""
    docnums = np.asarray(docnums, dtype=np.int64)
    counts = {f: Counter() for f in (*fields, "entity")}
    entity_totals = []
    for sub, offset, local in by_segment(searcher, docnums):
        reader = sub.reader()
        chosen = np.zeros(reader.doc_count_all(), dtype=bool)
        chosen[local] = True
        for fieldname in fields:
            docs, numbers, names = arrays.values(reader, fieldname)
            found = np.bincount(numbers[chosen[docs]], minlength=len(names))
            counts[fieldname].update({names[i]: int(found[i]) for i in np.flatnonzero(found)})
        docs, entities = _entity_pairs(reader, arrays, catalog)
        if len(docs):
            entity_totals.append(entities[chosen[docs]])
    if entity_totals:
        targets = _targets(catalog, arrays)
        found = np.bincount(np.concatenate(entity_totals))
        counts["entity"].update({targets.names[i]: int(found[i]) for i in np.flatnonzero(found)})
    return counts


TARGETS = 1 << 24  # room for every canonical entity; a pair is docnum * TARGETS + target number


@dataclass
class _Targets:
    """Canonical entities numbered, and `of_key`: archive-wide value number -> canonical entity number."""

    names: list[str]
    of_key: np.ndarray
    digest: str = ""  # the same for two catalogs that map every value alike


def _entity_pairs(reader, arrays: SegmentArrays, catalog: EntityCatalog) -> tuple[np.ndarray, np.ndarray]:
    """A segment's (article docnum, canonical entity number) pairs, each pair once.

    An article that names one entity in two spellings (or as a person and an org)
    counts once.  Kept per segment until the catalog maps entities differently
    (most commits leave the mapping as it was, so the pairs are reused).
    """
    keyed = [arrays.key_numbers(reader, fieldname) for fieldname in ENTITY_FIELDS]
    targets = _targets(catalog, arrays)  # after key_numbers, which may have numbered new values

    def build():
        pairs = np.unique(np.concatenate([docs.astype(np.int64) * TARGETS + targets.of_key[keys]
                                          for docs, keys in keyed]))
        return pairs // TARGETS, pairs % TARGETS
    return arrays.versioned(reader, "entity_pairs", targets.digest, build)


def _targets(catalog: EntityCatalog, arrays: SegmentArrays) -> _Targets:
    """The catalog's canonical entities as numbers for every value `arrays` has numbered (kept on the catalog)."""
    found = catalog.__dict__.get("_facet_targets")
    if found is None or len(found.of_key) < arrays.key_count:  # new values since: number them too
        number: dict[str, int] = {}
        names: list[str] = []
        of_key = np.zeros(arrays.key_count, dtype=np.int64)
        for i in range(arrays.key_count):
            key = arrays.key_name(i)
            target = catalog.canonical.get(key, key)
            if target not in number:
                number[target] = len(names)
                names.append(target)
            of_key[i] = number[target]
        # A commit that only adds values (new entities) maps the old ones as before: the segments'
        # pairs stay valid, so the version stays; a changed merge anywhere makes a new one.
        last = arrays.__dict__.get("_facet_targets")
        if last is not None and np.array_equal(of_key[:len(last.of_key)], last.of_key):
            digest = last.digest
        else:
            digest = hashlib.blake2b(of_key.tobytes(), digest_size=16).hexdigest()
        found = catalog.__dict__["_facet_targets"] = arrays.__dict__["_facet_targets"] = \
            _Targets(names, of_key, digest)
    return found


def entity_facets(counts: dict[str, Counter], catalog: EntityCatalog, limit: int) -> dict[str, list[FacetValue]]:
    """Person, org and place facets: canonical entities with their number of matching articles."""
    by_kind: dict[str, list[tuple[int, str]]] = {f: [] for f in ENTITY_FIELDS}
    for target, count in counts["entity"].items():
        by_kind[catalog.type_of.get(target, "person")].append((count, target))
    grouped: dict[str, list[FacetValue]] = {}
    for kind, found in by_kind.items():
        # Only the entities that can be in the top `limit` (ties included) are named and sorted.
        floor = heapq.nlargest(limit, (count for count, _ in found))[-1:] or [0]
        top = [FacetValue(catalog.display.get(t, t), c, t) for c, t in found if c >= floor[0]]
        grouped[kind] = sorted(top, key=lambda v: (-v.count, v.value.lower()))[:limit]
    return grouped


def plain_facets(counts: dict[str, Counter], limit: int) -> dict[str, list[FacetValue]]:
    """Source facet by count; month facet in date order (for the histogram)."""
    return {
        "source": [FacetValue(v, c) for v, c in sorted(counts["source"].items(), key=lambda i: (-i[1], i[0]))[:limit]],
        "date": [FacetValue(v, c) for v, c in sorted(counts["month"].items())],
    }
