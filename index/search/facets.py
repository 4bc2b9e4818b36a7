"""Facet counting over a result set: source, month and entities, counted by article.

Counts are numpy passes over the snapshot's columns (index/search/columns.py):
mark the matching articles, keep the values of the marked ones (or, for a
narrow result, read only its articles' values), `bincount`.  Entity values
are canonical entities (through the EntityCatalog), so merged spellings count
once per article; only the few that can make a facet's top are named.

    plain_facets(facet_counts(snapshot, ordinals, catalog, entities=False), 20)
    found = entity_counts(snapshot, ordinals, chosen_mask(snapshot, ordinals), catalog)
    entity_facets(found, catalog, 20)                     # person, org, place
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from index.arrays import kth_largest, run_starts, tally
from index.query import FacetValue
from index.search.catalog import EntityCatalog
from index.search.columns import SOURCES, chosen_counts, entity_pairs_by_article, entity_targets, source_column
from index.search.dates import NO_DAY, day_column, month_name
from index.store.schema import ENTITY_FIELDS


def facet_counts(snapshot, ordinals: np.ndarray, catalog: EntityCatalog, entities: bool = True,
                 days: tuple[int, np.ndarray] | None = None) -> dict[str, Counter]:
    """Articles per value: "source", "month" and "entity" (canonical entity keys); `days`: `day_counts`
    of the same ordinals, where the caller has them (the months are counted from them)."""
    counts = {"source": Counter(), "month": Counter(), "entity": Counter()}
    if not len(ordinals):
        return counts
    first, found = tally(source_column(snapshot)[ordinals])
    counts["source"].update({SOURCES.names[first + i]: int(found[i]) for i in np.flatnonzero(found)})
    first, per_day = days if days is not None else day_counts(snapshot, ordinals)
    months, per_month = _grouped(first, per_day, "M")
    counts["month"].update({month_name(month + 1970 * 12): count
                            for month, count in zip(months.astype(np.int64).tolist(), per_month.tolist())})
    if entities:
        found = entity_counts(snapshot, ordinals, chosen_mask(snapshot, ordinals), catalog)
        _, names, _ = entity_targets(catalog)
        counts["entity"].update({names[i]: int(found[i]) for i in np.flatnonzero(found)})
    return counts


def day_counts(snapshot, ordinals: np.ndarray) -> tuple[int, np.ndarray]:
    """(first day, articles per day from it) of the dated `ordinals`: what the month facet and the
    histogram are both grouped from, counted once."""
    return tally(day_column(snapshot)[ordinals], NO_DAY + 1)


def _grouped(first: int, per_day: np.ndarray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(each month or year holding articles, as datetime64 of `unit`; its articles) from `day_counts`."""
    held = np.flatnonzero(per_day)
    if not len(held):
        return np.zeros(0, f"datetime64[{unit}]"), np.zeros(0, np.int64)
    binned = (held + first).astype("datetime64[D]").astype(f"datetime64[{unit}]")
    starts = run_starts(binned)
    return binned[starts], np.add.reduceat(per_day[held], starts)


def chosen_mask(snapshot, ordinals: np.ndarray) -> np.ndarray:
    """A mask over the snapshot's articles, True at `ordinals`."""
    chosen = np.zeros(snapshot.articles, dtype=bool)
    chosen[ordinals] = True
    return chosen


def entity_counts(snapshot, ordinals: np.ndarray, chosen: np.ndarray, catalog: EntityCatalog) -> np.ndarray:
    """Articles among `ordinals` (sorted; `chosen` is their mask) per canonical entity number
    (`entity_targets`' numbering), each article once."""
    return chosen_counts(snapshot, ordinals, chosen, lambda part: entity_pairs_by_article(part, catalog))


def entity_facets(found: np.ndarray, catalog: EntityCatalog, limit: int) -> dict[str, list[FacetValue]]:
    """Person, org and place facets from `entity_counts`: canonical entities with their number of
    matching articles, most first.  Only the entities that can be in the top `limit` (ties
    included) are named and sorted; the rest stay numbers."""
    _, names, _ = entity_targets(catalog)
    kinds = target_kinds(catalog)[:len(found)]
    grouped: dict[str, list[FacetValue]] = {}
    for code, kind in enumerate(ENTITY_FIELDS):
        chosen = np.flatnonzero((found > 0) & (kinds == code))
        if limit <= 0 or not len(chosen):
            grouped[kind] = []
            continue
        counts = found[chosen]
        if len(chosen) > limit:
            floor = kth_largest(counts, limit)
            chosen = chosen[counts >= floor]
        top = [FacetValue(catalog.display.get(names[t], names[t]), int(found[t]), names[t]) for t in chosen.tolist()]
        grouped[kind] = sorted(top, key=lambda v: (-v.count, v.value.lower()))[:limit]
    return grouped


def target_kinds(catalog: EntityCatalog) -> np.ndarray:
    """The facet (index into ENTITY_FIELDS) of every canonical entity number, kept on the catalog
    and extended as `entity_targets` numbers new entities."""
    _, names, _ = entity_targets(catalog)
    kinds = catalog.__dict__.get("_target_kinds")
    if kinds is None or len(kinds) < len(names):
        start = 0 if kinds is None else len(kinds)
        code = {kind: i for i, kind in enumerate(ENTITY_FIELDS)}
        added = np.fromiter((code[catalog.type_of.get(t, "person")] for t in names[start:]), dtype=np.int8,
                            count=len(names) - start)
        kinds = catalog.__dict__["_target_kinds"] = added if kinds is None else np.concatenate([kinds, added])
    return kinds


def plain_facets(counts: dict[str, Counter], limit: int) -> dict[str, list[FacetValue]]:
    """Source facet by count; month facet in date order (for the histogram)."""
    return {
        "source": [FacetValue(v, c) for v, c in sorted(counts["source"].items(), key=lambda i: (-i[1], i[0]))[:limit]],
        "date": [FacetValue(v, c) for v, c in sorted(counts["month"].items())],
    }


def date_histogram(snapshot, ordinals: np.ndarray, days: tuple[int, np.ndarray] | None = None) -> list[FacetValue]:
    """Matching articles per day, month or year, whichever suits the span of their dates.

    Up to 62 days of dates are counted by day, up to four years by month, longer
    spans by year, so a histogram of a short story inside a long archive still
    has bars to choose from.  Each value's `key` says the unit.  Counted by day
    first (`day_counts`, or the caller's `days`), then only the days that have articles are grouped.
    """
    first, per_day = days if days is not None else day_counts(snapshot, ordinals)
    if not per_day.any():
        return []
    span = len(per_day) - 1
    unit, fmt = ("D", "day") if span <= 62 else ("M", "month") if span <= 4 * 366 else ("Y", "year")
    bins, counts = _grouped(first, per_day, unit)
    return [FacetValue(label, count, fmt) for label, count in zip(np.datetime_as_string(bins).tolist(), counts.tolist())]
