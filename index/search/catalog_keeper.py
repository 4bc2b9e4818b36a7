"""The embedded backend's entity catalog, kept current as commits come, without stalling searches.

The catalog's rules (index/search/entity_merges.py) read archive-wide sums:
per key its type votes and names, and the parsed evidence strings.  At a
million passages those sums hold over a million context strings, and summing
and parsing them from scratch took 10 s a commit.  So:

* **Sums move with the segments** (`EntitySums`): a new snapshot adds the
  counts of its new segments and subtracts those of the segments it no longer
  has (merged away); only what changed is parsed.  The sums after any sequence
  of commits equal a build from scratch (tests/test_catalog_keeper.py).
* **The rules run on the latest sums**: synchronously while the archive is
  small (under INLINE_KEYS entity keys: tests, a newsroom's first weeks), so
  a write's entities are merged by the next search.  On a bigger archive a
  search after a commit gets the newest catalog already built, and one
  background thread builds the next; it starts no sooner than REST_RATIO times
  its last build time after that build ended, so the rules take at most a
  tenth of one core however fast writes come (the OpenSearch backend's rule too).  An entity new to the archive
  shows under its own key, name and type until then; known keys map as before.
* **A big archive's catalog is saved** (`catalog.pickle` in the index folder,
  its merges and names) after each build, so a process starting on it answers
  at once with the last saved catalog and builds its own behind.

    keeper = CatalogKeeper(aliases, newest=store.snapshot, saved=index_folder / "catalog.pickle")
    catalog = keeper.current(snapshot)      # one per request (index/search/run.py: Context)
    keeper.wait()                           # tests and benches: the background build, if any, done
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

from index.ingest.evidence import Evidence, parse_evidence
from index.search.catalog import EntityCatalog
from index.search.columns import entity_pairs, segment_entity_counts

log = logging.getLogger(__name__)

INLINE_KEYS = 5_000
REST_RATIO = 10
SAVED_VERSION = 1
SAVED_FIELDS = ("canonical", "type_of", "display", "members", "why", "type_why", "votes")


class EntitySums:
    """Archive-wide entity counts over a set of segments, moved by segment deltas."""

    def __init__(self):
        self.type_counts: dict[str, Counter] = {}  # key -> {type: articles}
        self.evidence = Evidence()  # names (forms and "key=Name" terms), links, contexts
        self._segments: dict[str, tuple] = {}  # segment key -> its counts (kept to subtract them later)

    def advance(self, parts) -> bool:
        """Move the sums to exactly these segments; False when they already were."""
        now = {part.key: part for part in parts}
        added = [segment_entity_counts(now[k].data) for k in now if k not in self._segments]
        removed = [self._segments[k] for k in self._segments if k not in now]
        if not added and not removed:
            return False
        types: dict[str, Counter] = defaultdict(Counter)
        forms: dict[str, Counter] = defaultdict(Counter)
        terms: Counter = Counter()
        for counts, seen, found in added:
            for key, by_type in counts.items():
                types[key].update(by_type)
            for key, names in seen.items():
                forms[key].update(names)
            terms.update(found)
        for counts, seen, found in removed:
            for key, by_type in counts.items():
                types[key].subtract(by_type)
            for key, names in seen.items():
                forms[key].subtract(names)
            terms.subtract(found)
        delta = parse_evidence({t: n for t, n in terms.items() if n} if removed else terms)
        for key, names in forms.items():
            delta.names[key].update(names)
        _apply(self.type_counts, types)
        _apply(self.evidence.names, delta.names)
        _apply(self.evidence.links, delta.links)
        _apply(self.evidence.contexts, delta.contexts)
        self._segments = {k: (self._segments[k] if k in self._segments else segment_entity_counts(now[k].data))
                          for k in now}
        return True


def _apply(target: dict[str, Counter], delta: dict[str, Counter]) -> None:
    """Add `delta` into `target`, replacing (never mutating) each changed Counter: catalogs built
    earlier keep reading theirs while this runs.  Entries that reach zero go."""
    for key, changes in delta.items():
        old = target.get(key)
        if old is None:
            updated = Counter({name: n for name, n in changes.items() if n > 0})
        else:
            updated = old.copy()
            for name, n in changes.items():
                updated[name] += n
            if any(n <= 0 for n in changes.values()):
                updated = +updated
        if updated:
            target[key] = updated
        else:
            target.pop(key, None)


def exact_catalog(snapshot, aliases) -> EntityCatalog:
    """A catalog built from scratch for exactly this snapshot, kept on it (a search on an
    older snapshot; tests)."""
    def build():
        sums = EntitySums()
        sums.advance(snapshot.parts)
        return EntityCatalog.from_evidence(sums.type_counts, sums.evidence, aliases)
    return snapshot.derived("catalog", build)


class CatalogKeeper:
    """The newest catalog of one index, built as the module docstring says."""

    def __init__(self, aliases, newest: Callable[[], object], saved: Path | None = None,
                 inline_keys: int = INLINE_KEYS):
        self.aliases = aliases
        self.newest = newest  # -> the store's newest snapshot
        self.saved = saved  # where a big archive's last catalog is kept for the next process start
        self.inline_keys = inline_keys
        self._sums = EntitySums()
        self._build_lock = threading.Lock()  # one build at a time: the sums are not shared
        self._latest: tuple[int, EntityCatalog] | None = self._load()  # (generation, catalog)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()  # never held during a build: a search must not wait
        self._took = 0.0
        self._ended = 0.0

    def current(self, snapshot) -> EntityCatalog:
        """The catalog to use with `snapshot` (its own, or the newest built while the next one builds)."""
        latest = self._latest
        if latest is not None and latest[0] == snapshot.generation:
            return latest[1]
        if latest is None or len(latest[1].canonical) < self.inline_keys:
            return self._build(snapshot)
        if latest[0] < snapshot.generation:
            self._start_background()
        return latest[1]

    def wait(self, timeout: float | None = None) -> None:
        """Until the background build (if one runs) has published its catalog."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _build(self, snapshot) -> EntityCatalog:
        with self._build_lock:
            latest = self._latest
            if latest is not None and latest[0] == snapshot.generation:
                return latest[1]
            started = time.perf_counter()
            self._sums.advance(snapshot.parts)
            sums = self._sums
            catalog = EntityCatalog.from_evidence(sums.type_counts, sums.evidence, self.aliases)
            for part in snapshot.parts:  # the facet pairs of the new mapping, before searches need them
                entity_pairs(part, catalog)
            self._took, self._ended = time.perf_counter() - started, time.perf_counter()
            if self._took > 1:
                log.info("entity catalog rebuilt in %.1f s (%d keys)", self._took, len(catalog.canonical))
            if latest is None or latest[0] < snapshot.generation:
                self._latest = (snapshot.generation, catalog)
                if len(catalog.canonical) >= self.inline_keys:
                    self._save(catalog)
            return catalog

    # -- the saved catalog: a big archive's processes start with it while they build their own ------

    def _load(self) -> tuple[int, EntityCatalog] | None:
        """The catalog the last build saved, as generation -1 (older than any snapshot), or None."""
        if self.saved is None or not self.saved.exists():
            return None
        try:
            with open(self.saved, "rb") as f:
                version, fields = pickle.load(f)
            if version != SAVED_VERSION:
                return None
            names = fields.pop("names")
            return -1, EntityCatalog(**fields, evidence=Evidence(names=names), aliases=self.aliases)
        except Exception:  # another version's file, or cut short: built afresh instead
            log.warning("entity catalog in %s not used", self.saved, exc_info=True)
            return None

    def _save(self, catalog: EntityCatalog) -> None:
        """Keep the catalog's merges and names (not its evidence: only `explain` reads names)."""
        if self.saved is None:
            return
        fields = {name: getattr(catalog, name) for name in SAVED_FIELDS}
        fields["names"] = dict(catalog.evidence.names)
        part = self.saved.with_name(f"{self.saved.name}.{os.getpid()}.part")
        try:
            with open(part, "wb") as f:
                pickle.dump((SAVED_VERSION, fields), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(part, self.saved)  # whole or not at all; the newest build wins
        except OSError:
            log.warning("entity catalog not saved to %s", self.saved, exc_info=True)
            part.unlink(missing_ok=True)

    def _start_background(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._catch_up, name="entity-catalog", daemon=True)
            self._thread.start()

    def _catch_up(self) -> None:
        """Build for the newest snapshot until a build is current, resting between builds."""
        try:
            while True:
                rest = self._ended + REST_RATIO * self._took - time.perf_counter()
                if rest > 0:
                    time.sleep(rest)
                snapshot = self.newest()
                latest = self._latest
                if latest is not None and latest[0] >= snapshot.generation:
                    return
                self._build(snapshot)
        except Exception:  # a search keeps the catalog it has; the next commit tries again
            log.exception("entity catalog build failed")
