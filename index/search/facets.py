"""Facet counting over a result set: source, month and entities, counted by article.

Counts are numpy passes over the snapshot's columns (index/search/columns.py):
mark the matching articles, keep the values of the marked ones, `bincount`.
Entity values are canonical entities (through the EntityCatalog), so merged
spellings count once per article.

    counts = facet_counts(snapshot, ordinals, catalog)   # field -> Counter
    plain_facets(counts, 20); entity_facets(counts, catalog, 20)
"""

from __future__ import annotations

import heapq
from collections import Counter

import numpy as np

from index.query import FacetValue
from index.search.catalog import EntityCatalog
from index.search.columns import SOURCES, entity_pairs, entity_targets, month_column, month_name, source_column
from index.store.schema import ENTITY_FIELDS


def facet_counts(snapshot, ordinals: np.ndarray, catalog: EntityCatalog, entities: bool = True) -> dict[str, Counter]:
    """Articles per value: "source", "month" and "entity" (canonical entity keys)."""
    counts = {"source": Counter(), "month": Counter(), "entity": Counter()}
    if not len(ordinals):
        return counts
    sources = source_column(snapshot)[ordinals]
    found = np.bincount(sources[sources >= 0])
    counts["source"].update({SOURCES.names[i]: int(found[i]) for i in np.flatnonzero(found)})
    months = month_column(snapshot)[ordinals]
    months = months[months >= 0]
    if len(months):
        first = int(months.min())
        found = np.bincount(months - first)
        counts["month"].update({month_name(first + int(i)): int(found[i]) for i in np.flatnonzero(found)})
    if entities:
        chosen = np.zeros(snapshot.articles, dtype=bool)
        chosen[ordinals] = True
        targets = []
        for i, part in enumerate(snapshot.parts):
            articles, entity = entity_pairs(part, catalog)
            if len(articles):
                targets.append(entity[chosen[articles + snapshot.article_base[i]]])
        if targets:
            _, names, _ = entity_targets(catalog)
            found = np.bincount(np.concatenate(targets))
            counts["entity"].update({names[i]: int(found[i]) for i in np.flatnonzero(found)})
    return counts


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


DAY_US = 86_400_000_000
_EPOCH_DAYS = int((np.datetime64("1970-01-01", "D") - np.datetime64("0001-01-01", "D")).astype(np.int64))


def date_histogram(snapshot, ordinals: np.ndarray) -> list[FacetValue]:
    """Matching articles per day, month or year, whichever suits the span of their dates.

    Up to 62 days of dates are counted by day, up to four years by month, longer
    spans by year, so a histogram of a short story inside a long archive still
    has bars to choose from.  Each value's `key` says the unit.
    """
    published = snapshot.article_column("published")[ordinals]
    published = published[published != np.iinfo(np.int64).max]
    if not len(published):
        return []
    days = (published // DAY_US - _EPOCH_DAYS).astype("datetime64[D]")
    span = int((days.max() - days.min()).astype(np.int64))
    unit, fmt = ("D", "day") if span <= 62 else ("M", "month") if span <= 4 * 366 else ("Y", "year")
    binned = days.astype(f"datetime64[{unit}]")
    values, counts = np.unique(binned, return_counts=True)
    return [FacetValue(str(v), int(c), fmt) for v, c in zip(values, counts)]
