"""Merging segments in the background, so that an archive that grows every minute stays a few segments.

Every write adds a segment.  A tiered policy, in the spirit of Lucene's
TieredMergePolicy, keeps their number bounded: segments are grouped in tiers
of size (articles, in powers of TIER_FACTOR above FLOOR); once a tier holds
SEGMENTS_PER_TIER segments, they are merged into one of the next tier, and a
segment that is mostly deletions is rewritten alone.

A merge never holds the write lock while it works: it reads the segments of
one snapshot, writes the merged segment and its arrays under a private name
(index/store/whoosh_io.py, building.py), then takes the lock only to swap them
in, carrying over deletions made meanwhile; if a segment was merged away by
someone else, the merge is dropped.  One merger runs per index (an OS file
lock), as a background process that writers start when the policy asks:

    python -m index.store.merging INDEX_DIR
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from index import processes
from index.article import Article
from index.store import building, whoosh_io, writer
from index.store.arrays_merge import merge_arrays
from index.store.schema import stored_article
from index.store.snapshot import Part

log = logging.getLogger(__name__)

FLOOR = 1_000  # articles: smaller segments all count as the lowest tier
TIER_FACTOR = 10
SEGMENTS_PER_TIER = 10
EXPUNGE_SHARE = 0.4  # a segment with this share of deleted articles is rewritten on its own
LOCK_NAME = "MERGELOCK"


def tier(part: Part) -> int:
    return int(np.log(max(FLOOR, part.live_count) / FLOOR) / np.log(TIER_FACTOR))


def choose(parts: list[Part]) -> list[Part] | None:
    """The segments to merge next, or None when the index is as it should be.

    A merge takes a tier's SEGMENTS_PER_TIER smallest segments, and only when the
    largest of them is no larger than the others together: the lowest tier spans
    every size below FLOOR * TIER_FACTOR, and without that rule a segment of a few
    thousand articles was rewritten with every nine one-article writes.  So each
    time an article is rewritten its segment at least doubles: a write costs
    O(log n) rewrites, never the size of the segment it lands beside.
    """
    tiers: dict[int, list[Part]] = {}
    for part in parts:
        tiers.setdefault(tier(part), []).append(part)
    for level in sorted(tiers):
        window = sorted(tiers[level], key=lambda p: p.live_count)[:SEGMENTS_PER_TIER]
        if len(window) == SEGMENTS_PER_TIER and window[-1].live_count <= sum(p.live_count for p in window[:-1]):
            return window
    for part in parts:  # an empty segment (left by merges before empty merges were dropped) goes too
        if not part.data.articles or 1 - part.article_live.mean() >= EXPUNGE_SHARE:
            return [part]
    return None


def merge(store, parts: list[Part], timeout: float = 60.0) -> bool:
    """Merge these segments of the current snapshot into one; False if the index moved on first."""
    if not any(part.article_live.any() for part in parts):  # every article deleted: they go, no empty segment comes
        return _commit(store, parts, None, {}, lambda: None, timeout)
    ix = store.ix
    side = whoosh_io.side_writer(ix)
    docmaps: dict[str, np.ndarray] = {}
    sources = []
    dropped: list[Article] = []  # deleted articles, not carried over: their entity counts leave with them
    try:
        base = 0
        for part in parts:
            live = part.article_live  # a Whoosh document is an article
            reader = whoosh_io.segment_reader(ix, part.segment)
            try:
                side.add_reader(reader)  # copies the live documents, in order
                dropped += [stored_article(reader.stored_fields(int(d))) for d in np.flatnonzero(~live)]
            finally:
                reader.close()
            docmap = np.full(len(live), -1, dtype=np.int64)
            docmap[live] = base + np.arange(int(live.sum()))
            base += int(live.sum())
            docmaps[part.key] = docmap
            sources.append((part.data, live))
        merged = whoosh_io.finish_side_segment(side)
    except BaseException:
        whoosh_io.cancel_side_segment(side)
        raise
    key = whoosh_io.segment_key(merged)
    built = writer.arrays_dir(store.path) / f"build-{key}"
    building.save(built, *merge_arrays(sources, dropped))
    if not _commit(store, parts, merged, docmaps, lambda: os.replace(built, writer.arrays_dir(store.path) / key), timeout):
        writer._discard(ix, [(merged, built)])
        return False
    return True


def _commit(store, parts: list[Part], merged, docmaps: dict, place, timeout: float) -> bool:
    """Swap `parts` for `merged` (None: drop them) in one generation, `place()` putting its arrays in
    first and the parts' arrays retired; False if a part was merged away by someone else meanwhile."""
    def before_toc(segments) -> None:
        place()
        writer.retire(store.path, {whoosh_io.segment_key(s) for s in segments})

    started = time.time()
    _, generation = whoosh_io.commit(store.ix, timeout, replace=([p.segment for p in parts], merged, docmaps),
                                     before_toc=before_toc)
    if generation:
        writer.sync(store.path, since=started)
    return bool(generation)


def merge_until_done(store, timeout: float = 60.0) -> int:
    """Merge while the policy asks; returns how many merges were made."""
    done = 0
    while True:
        parts = choose(store.snapshot().parts)
        if parts is None:
            return done
        started = time.perf_counter()
        if merge(store, parts, timeout):
            done += 1
            log.info("merged %d segments in %.1f s", len(parts), time.perf_counter() - started)
        writer.sweep(store.path, store.ix)


def optimize(store, segments: int = 1, timeout: float = 60.0) -> int:
    """Merge until at most `segments` segments are left, the smallest together (Whoosh's `optimize`,
    Lucene's forceMerge): after a bulk import, a search pays its per-segment costs fewer times.

    Waits for a background merger to finish first and holds its lock, so the two never merge the
    same segments; writes go on meanwhile (a merge that meets one is made again).  Returns how many
    merges were made."""
    done, segments = 0, max(1, segments)
    with processes.holding(store.path, LOCK_NAME, wait=True):
        while True:
            parts = store.snapshot().parts
            if len(parts) <= segments:
                return done
            smallest = {p.key for p in sorted(parts, key=lambda p: p.live_count)[:len(parts) - segments + 1]}
            if merge(store, [p for p in parts if p.key in smallest], timeout):  # in the snapshot's order
                done += 1
            writer.sweep(store.path, store.ix)


def needs_merge(store) -> bool:
    return choose(store.snapshot().parts) is not None


def start_background(path: Path) -> None:
    """Start a merger process for this index unless one is running (it exits when nothing is left)."""
    processes.start("index.store.merging", path, LOCK_NAME)


def main(path: str) -> int:
    from index.store.store import Store
    with processes.running_alone(Path(path), LOCK_NAME, "merger", nice=10) as mine:
        if not mine:
            return 0  # another merger is at work
        store = Store.open(path)
        try:
            merge_until_done(store)
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
