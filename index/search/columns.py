"""Article columns over a whole snapshot: sources, families, entities, tags, as numbers for masks and counts
(dates: index/search/dates.py).

Values are numbered archive-wide, append-only and per process (numbering.py), so a
segment maps its own value numbers to archive-wide ones once (segments never
change) and a new snapshot only concatenates.  Entities are counted through
the entity catalog: each segment's (article, entity key) pairs become
(article, canonical entity) pairs, each once per article, kept per segment
until the catalog maps that segment's keys differently (most commits only add
entities, which leaves old mappings as they were).
"""

from __future__ import annotations

import hashlib
import threading
import weakref

import numpy as np

from index.arrays import owner_offsets, rows_between, unique
from index.search.numbering import ENTITY_KEYS, FAMILIES, SOURCES, TAGS, HashedNames, Names


def segment_cache(data) -> dict:
    """What is derived from one segment's arrays, kept with it (a segment never changes)."""
    return data.__dict__.setdefault("_columns", {})


def _numbers(data, meta_key: str, names: Names | HashedNames) -> np.ndarray:
    cache = segment_cache(data)
    if meta_key not in cache:
        cache[meta_key] = names.of(data.meta.read(meta_key))
    return cache[meta_key]


# -- sources and families: one value per article ------------------------------------------------


def value_column(snapshot, column: str, meta_key: str, names: Names | HashedNames) -> np.ndarray:
    """Archive-wide value number of every article for an article column (-1 without a value)."""
    return joined_column(snapshot, ("column", column), lambda data: _segment_values(data, column, meta_key, names))


def joined_column(snapshot, key, of_segment) -> np.ndarray:
    """A per-article column of every segment (`of_segment(data)`, made once per segment), concatenated
    once per snapshot: a commit adds only its own segment's."""
    def build():
        parts = [of_segment(part.data) for part in snapshot.parts]
        return np.concatenate(parts) if parts else np.zeros(0, np.int32)
    return snapshot.derived(key, build)


def _segment_values(data, column: str, meta_key: str, names: Names | HashedNames) -> np.ndarray:
    """A segment's article column in archive-wide value numbers, made once per segment (a commit
    then only concatenates)."""
    cache = segment_cache(data)
    if ("values", column) not in cache:
        local = np.asarray(data[column], dtype=np.int64)
        numbers = _numbers(data, meta_key, names)
        values = np.where(local >= 0, numbers[np.maximum(local, 0)] if len(numbers) else -1, -1)
        cache[("values", column)] = values.astype(np.int32)  # int32: one per article, per segment and per snapshot
    return cache[("values", column)]


def source_column(snapshot) -> np.ndarray:
    return value_column(snapshot, "source", "sources", SOURCES)


def family_column(snapshot) -> np.ndarray:
    return value_column(snapshot, "family", "families", FAMILIES)


def source_mask(snapshot, sources: list[str]) -> np.ndarray:
    column = source_column(snapshot)  # first: numbers the values
    return np.isin(column, [SOURCES.number[s] for s in sources if s in SOURCES.number])


def family_mask(snapshot, families: list[str]) -> np.ndarray:
    column = family_column(snapshot)
    return np.isin(column, FAMILIES.known(families))


# -- passages ----------------------------------------------------------------------------------


def passage_starts(snapshot) -> np.ndarray:
    """Each article's first passage ordinal, the passage count last: article `o`'s passages are `[o]` up to
    `[o + 1]` (a segment writes them together); counted once per segment, a commit adds only its own."""
    def build() -> np.ndarray:
        parts = [_segment_passage_starts(p.data)[:-1] + int(base) for p, base in zip(snapshot.parts, snapshot.passage_base)]
        return np.concatenate([*parts, np.array([snapshot.passages], np.int64)])
    return snapshot.derived(("passage_starts",), build)


def _segment_passage_starts(data) -> np.ndarray:
    cache = segment_cache(data)
    if "passage_starts" not in cache:
        cache["passage_starts"] = owner_offsets(data["passage_article"], data.articles).astype(np.int64)
    return cache["passage_starts"]


# -- entities ----------------------------------------------------------------------------------


PAIRS = {  # (article array, value array, value names in meta, archive-wide numbering)
    "entity": ("entity_article", "entity_key", "entity_keys", ENTITY_KEYS),
    "tag": ("tag_article", "tag_value", "tags", TAGS),
}


def _pairs_by_value(data, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(archive-wide value numbers, sorted; their articles) of a segment's (article, value) pairs."""
    cache = segment_cache(data)
    if ("pairs", kind) not in cache:
        article_key, value_key, names_key, names = PAIRS[kind]
        local = np.asarray(data[value_key], dtype=np.int64)
        values = _numbers(data, names_key, names)[local] if len(local) else np.zeros(0, np.int64)
        order = np.argsort(values, kind="stable")  # int32 kept: a million passages' pairs are tens of MB
        cache[("pairs", kind)] = (values[order].astype(np.int32), np.asarray(data[article_key], dtype=np.int32)[order])
    return cache[("pairs", kind)]


def pair_mask(snapshot, kind: str, values: tuple[str, ...]) -> np.ndarray:
    """Articles holding any of these values (entity keys of any type, or tags)."""
    def build():
        names = PAIRS[kind][3]
        mask = np.zeros(snapshot.articles, dtype=bool)
        pairs = [_pairs_by_value(part.data, kind) for part in snapshot.parts]  # first: numbers the values
        wanted = np.asarray(sorted(names.number[v] for v in values if v in names.number), dtype=np.int64)
        if not len(wanted):
            return mask
        for i, (sorted_values, articles) in enumerate(pairs):
            lo, hi = np.searchsorted(sorted_values, wanted), np.searchsorted(sorted_values, wanted, side="right")
            for a, b in zip(lo, hi):
                mask[articles[a:b] + snapshot.article_base[i]] = True
        return mask
    return snapshot.held((kind, "mask", values), build)


def entity_mask(snapshot, keys: tuple[str, ...]) -> np.ndarray:
    return pair_mask(snapshot, "entity", keys)


def tag_counts(snapshot, ordinals: np.ndarray, chosen: np.ndarray) -> dict[str, int]:
    """Tag ("kind\tvalue") -> articles among `ordinals` (sorted; `chosen` is their mask) carrying it."""
    counts = chosen_counts(snapshot, ordinals, chosen, tag_pairs_by_article)
    return {TAGS.names[i]: int(counts[i]) for i in np.flatnonzero(counts)}


def tag_pairs_by_article(part) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A segment's (local article, archive-wide tag number) pairs by article, with where each
    article's pairs start (see `chosen_counts`), made once per segment."""
    data = part.data
    cache = segment_cache(data)
    if "tags_by_article" not in cache:
        articles = np.asarray(data["tag_article"], dtype=np.int32)  # written article by article
        local = np.asarray(data["tag_value"], dtype=np.int64)
        values = _numbers(data, "tags", TAGS)[local] if len(local) else np.zeros(0, np.int64)
        cache["tags_by_article"] = (articles, values.astype(np.int32), owner_offsets(articles, data.articles))
    return cache["tags_by_article"]


# Up to this share of a segment's articles chosen, their pairs are read through the offsets; above it,
# every pair through the mask is cheaper (a segment of 256,654 articles and 1.47 million entity pairs,
# counts included: at 5% 0.44 against 2.83 ms, at 30% 2.33 against 4.12, at 70% 4.88 against 4.71).
ROWS_SHARE = 0.6


def chosen_counts(snapshot, ordinals: np.ndarray, chosen: np.ndarray, pairs) -> np.ndarray:
    """Chosen articles per value (entity or tag number) over their pairs: counts indexed by value.

    `ordinals` are the chosen articles (sorted, live), `chosen` their mask over the snapshot, and
    `pairs(part)` a segment's (articles, values, offsets) by article.  Per segment, the cheapest
    of three reads: most of the live articles chosen (a browse, a long query), the segment's live
    total less the rows of the articles *not* chosen; else, up to ROWS_SHARE of its articles,
    only the chosen articles' rows (through the offsets); otherwise every row through the
    segment's slice of the mask.
    """
    plus, minus, totals = [], [], []
    for i, part, local in snapshot.by_part(ordinals):
        segment_pairs = pairs(part)
        articles, values, offsets = segment_pairs
        if not len(articles):
            continue
        size = part.data.articles
        base = int(snapshot.article_base[i])
        mask = chosen[base:base + size]
        total = live_totals(part, segment_pairs) if 2 * len(local) > part.live_count else None
        if total is not None:
            rest = np.flatnonzero(part.article_live & ~mask)
            minus.append(values[rows_between(offsets[rest], offsets[rest + 1])])
            totals.append(total)
        elif len(local) < ROWS_SHARE * size:
            plus.append(values[rows_between(offsets[local], offsets[local + 1])])
        else:
            plus.append(values[mask[articles]])
    width = max([int(held[-1]) + 1 for held, _ in totals if len(held)] + [int(v.max()) + 1 for v in plus if len(v)] + [0])
    counts = np.bincount(np.concatenate(plus), minlength=width) if plus else np.zeros(width, dtype=np.int64)
    for held, total in totals:
        counts[held] += total
    if minus:
        counts -= np.bincount(np.concatenate(minus), minlength=width)
    return counts


TOTALS_FROM = 10_000  # articles in a segment worth keeping its live totals for (smaller: the mask read)


def live_totals(part, pairs: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(values held, live articles holding each) of a segment's pairs, or None for a segment under
    TOTALS_FROM articles (read through the mask instead).

    Kept with the segment for these values (one catalog version's numbering) and this live
    mask: a commit recounts only the segments it changed, and preparing a generation
    (index/search/prepare.py) counts them before searches would.  Sparse, int32: a segment
    names a fraction of the archive's entities.
    """
    articles, values, _ = pairs
    if part.data.articles < TOTALS_FROM or not len(articles):
        return None
    kept: list = segment_cache(part.data).setdefault("live_totals", [])
    for found_values, found_live, total in kept:  # weak: an old catalog's pairs are not kept alive here
        if found_values() is values and found_live() is part.article_live:
            return total
    counts = np.bincount(values[part.article_live[articles]])
    held = np.flatnonzero(counts)
    total = (held.astype(np.int32), counts[held].astype(np.int32))
    kept.append((weakref.ref(values), weakref.ref(part.article_live), total))
    del kept[:-4]  # entities and tags, for the snapshot in use and the one being prepared
    return total


def entity_targets(catalog) -> tuple[np.ndarray, list[str], str]:
    """(canonical entity number of every archive-wide key number, canonical keys, version).

    The version stays the same from one catalog to the next while the keys that
    existed before map as they did (new keys may be added): segment pairs built
    for the old version stay right.  Keys numbered since the last call (a commit's
    new segment) are added to the catalog's table, not the whole table redone.
    """
    found = catalog.__dict__.get("_targets")
    if found is not None and len(found[0]) == len(ENTITY_KEYS.names):
        return found
    with _TARGETS_LOCK:  # one thread extends the table; the others then find it done
        return _extend_targets(catalog)


_TARGETS_LOCK = threading.Lock()


def _extend_targets(catalog) -> tuple[np.ndarray, list[str], str]:
    found = catalog.__dict__.get("_targets")
    count = len(ENTITY_KEYS.names)
    if found is not None and len(found[0]) == count:
        return found
    if found is None:
        start, number, names, of_key = 0, {}, [], np.zeros(count, dtype=np.int64)
    else:
        start, number, names = len(found[0]), catalog.__dict__["_target_numbers"], list(found[1])
        of_key = np.concatenate([found[0], np.zeros(count - start, dtype=np.int64)])
    for i, key in enumerate(ENTITY_KEYS.names[start:count], start):
        target = catalog.canonical.get(key, key)
        if target not in number:
            number[target] = len(names)
            names.append(target)
        of_key[i] = number[target]
    last = found or _LAST.get("targets")
    if last is not None and len(last[0]) <= len(of_key) and np.array_equal(of_key[:len(last[0])], last[0]) \
            and names[:len(last[1])] == last[1]:
        version = last[2]
    else:
        version = hashlib.blake2b(of_key.tobytes() + "\n".join(names).encode(), digest_size=12).hexdigest()
    catalog.__dict__["_target_numbers"] = number
    found = catalog.__dict__["_targets"] = _LAST["targets"] = (of_key, names, version)
    return found


_LAST: dict = {}


def entity_pairs(part, catalog) -> tuple[np.ndarray, np.ndarray]:
    """A segment's (local article, canonical entity number) pairs: see `entity_pairs_by_article`."""
    articles, targets, _ = entity_pairs_by_article(part, catalog)
    return articles, targets


def entity_pairs_by_article(part, catalog) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A segment's (local article, canonical entity number) pairs, each pair once, by article,
    with where each article's pairs start (`owner_offsets`: a few articles' pairs are read
    without a pass over all).

    A segment holds each (article, key) once, so only keys sharing their canonical
    entity with another key can make a pair twice ("U.S." and "United States" in one
    article): only those are made unique.  Two versions are kept per segment: while a
    new catalog's pairs are built in the background, searches still count with the
    one before it.
    """
    data = part.data
    keys = _numbers(data, "entity_keys", ENTITY_KEYS)  # first: it may number new keys
    of_key, names, version = entity_targets(catalog)
    kept: dict = segment_cache(data).setdefault("entity_pairs", {})
    found = kept.get(version)
    if found is None:
        local = np.asarray(data["entity_key"])
        articles = np.asarray(data["entity_article"], dtype=np.int32)  # the mapped column itself when int32
        if len(local):
            targets = of_key[keys[local]].astype(np.int32)  # int32 kept: tens of MB at a million passages
            shared = (np.bincount(of_key, minlength=len(names)) > 1)[targets]
            if shared.any():
                pairs = unique(articles[shared].astype(np.int64) * (1 << 24) + targets[shared])
                articles = np.concatenate([articles[~shared], (pairs >> 24).astype(np.int32)])
                targets = np.concatenate([targets[~shared], (pairs & ((1 << 24) - 1)).astype(np.int32)])
                order = np.argsort(articles, kind="stable")  # by article again, as the column is
                found = (articles[order], targets[order])
            else:
                found = (articles, targets)
        else:
            found = (np.zeros(0, np.int32), np.zeros(0, np.int32))
        found = (*found, owner_offsets(found[0], data.articles))
        while len(kept) >= 2:
            kept.pop(next(iter(kept)))
        kept[version] = found
    return found


def segment_entity_counts(data) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, int]]:
    """A segment's {key: {type: articles}}, {key: {form: count}} and {evidence: articles}, computed once."""
    cache = segment_cache(data)
    if "entity_counts" not in cache:
        keys, types = np.asarray(data["entity_key"], dtype=np.int64), np.asarray(data["entity_type"], dtype=np.int64)
        counts: dict[str, dict[str, int]] = {}
        if len(keys):
            combined, found = np.unique(keys * 3 + types, return_counts=True)
            names = data.meta["entity_keys"]
            for value, count in zip(combined.tolist(), found.tolist()):
                counts.setdefault(names[value // 3], {})[ENTITY_TYPES[value % 3]] = count
        cache["entity_counts"] = (counts, data.meta.get("entity_forms", {}), data.meta.get("entity_evidence", {}))
    return cache["entity_counts"]


ENTITY_TYPES = ("person", "org", "place")
