"""The embedded backend's entity catalog, kept current as commits come, without stalling searches.

The catalog's rules (index/search/entity_merges.py) read archive-wide sums:
per key its type votes and names, and the parsed evidence strings.  At a
million passages those sums hold over a million context strings, and summing
and parsing them from scratch took 10 s a commit, in every worker.  So:

* **Sums move with the segments** (`EntitySums`): a new snapshot adds the
  counts of its new segments and subtracts those of the segments it no longer
  has (merged away); only what changed is parsed.  The sums after any sequence
  of commits equal a build from scratch (tests/test_catalog_keeper.py).
* **A small archive** (under INLINE_KEYS entity keys: tests, a newsroom's first
  weeks) builds its catalog in the worker, on the first search of each
  generation, so a write's entities are merged by the next search.
* **A big archive's catalog is built by one process** for every worker
  (index/search/catalog_builder.py, started by the first worker that meets a
  generation newer than the catalog it has).  It keeps the sums and saves each
  catalog that differs from the last with its generation (`catalog.pickle` in
  the index folder: merges and names, a few MB at a million passages); workers
  load the file when it changes, in a thread.  Until then a search uses the newest catalog the worker
  has: an entity new to the archive shows under its own key, name and type,
  known keys map as before.  A worker starting on a big archive reads the
  saved catalog and builds nothing.

    keeper = CatalogKeeper(aliases, saved=index_folder / "catalog.pickle")
    catalog = keeper.current(snapshot)      # one per request (index/search/run.py: Context)
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from index import processes
from index.ingest.evidence import Evidence, parse_evidence
from index.ingest.place_names import library_versions
from index.search.catalog import EntityCatalog
from index.search.columns import entity_pairs, segment_entity_counts
from index.search.entity_merges import RULES_VERSION

log = logging.getLogger(__name__)

INLINE_KEYS = 5_000
BUILDER_LOCK = "CATALOGLOCK"
LOOK_EVERY = 0.2
ASK_EVERY = 5.0
# A saved catalog is stale when its format or the rules that made it change: the merge rules
# (bump RULES_VERSION in index/search/entity_merges.py) or the gazetteer table they read (`_saved_version`).
SAVED_VERSION = (2, RULES_VERSION)
_gazetteer_versions = lru_cache(maxsize=1)(library_versions)  # the table's own staleness rule: its build and libraries
SAVED_FIELDS = ("canonical", "type_of", "display", "members", "why", "type_why", "votes")


def _saved_version() -> tuple:
    """What a saved catalog must have been made by to be read: SAVED_VERSION and the gazetteer's versions."""
    return (*SAVED_VERSION, *sorted(_gazetteer_versions().items()))


class EntitySums:
    """Archive-wide entity counts over a set of segments, moved by segment deltas."""

    def __init__(self):
        self.type_counts: dict[str, Counter] = {}  # key -> {type: articles}
        self.evidence = Evidence()  # names (forms and "key=Name" terms), links, contexts
        self._segments: dict[str, tuple] = {}  # segment key -> its counts (kept to subtract them later)

    def advance(self, parts) -> bool:
        """Move the sums to exactly these segments; whether what they count changed (not when the new
        segments name no entity, as a wire's lower-case correction or an article before enrichment)."""
        now = {part.key: part for part in parts}
        added = {k: segment_entity_counts(p.data) for k, p in now.items() if k not in self._segments}
        removed = [self._segments[k] for k in self._segments if k not in now]
        if not added and not removed:
            return False
        types: dict[str, Counter] = defaultdict(Counter)
        forms: dict[str, Counter] = defaultdict(Counter)
        terms: Counter = Counter()
        for group, add in ((added.values(), Counter.update), (removed, Counter.subtract)):
            for counts, seen, found in group:
                for key, by_type in counts.items():
                    add(types[key], by_type)
                for key, names in seen.items():
                    add(forms[key], names)
                add(terms, found)
        delta = parse_evidence({t: n for t, n in terms.items() if n} if removed else terms)
        for key, names in forms.items():
            delta.names[key].update(names)
        _apply(self.type_counts, types)
        _apply(self.evidence.names, delta.names)
        _apply(self.evidence.links, delta.links)
        _apply(self.evidence.contexts, delta.contexts)
        self._segments = {k: self._segments[k] if k in self._segments else added[k] for k in now}
        return any(any(c.values()) for c in types.values()) or any(any(c.values()) for c in forms.values()) \
            or any(terms.values())

    def catalog(self, aliases) -> EntityCatalog:
        """The catalog of these sums (the rules of index/search/entity_merges.py)."""
        return EntityCatalog.from_evidence(self.type_counts, self.evidence, aliases)


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
        return sums.catalog(aliases)
    return snapshot.derived("catalog", build)


class CatalogKeeper:
    """The newest catalog of one index, as the module docstring says."""

    def __init__(self, aliases, saved: Path | None = None, inline_keys: int = INLINE_KEYS):
        self.aliases = aliases
        self.saved = saved  # a big archive's catalog, saved by its builder (or its first worker)
        self.inline_keys = inline_keys
        self.took = 0.0  # seconds the last build took
        self._sums = EntitySums()
        self._build_lock = threading.Lock()  # one build at a time: the sums are not shared
        self._loaded = self._stamp()
        self._latest: tuple[int, EntityCatalog] | None = self._load()  # (generation, catalog)
        self._loader: threading.Thread | None = None
        self._looked = self._asked = -ASK_EVERY

    @property
    def generation(self) -> int:
        """The generation of the newest catalog here (-1: none)."""
        latest = self._latest
        return latest[0] if latest is not None else -1

    def current(self, snapshot) -> EntityCatalog:
        """The catalog to use with `snapshot`: its own, or the newest one here while the next is built."""
        latest = self._latest
        if latest is not None and latest[0] == snapshot.generation:
            return latest[1]
        if latest is None or len(latest[1].canonical) < self.inline_keys:
            catalog = self.build(snapshot)
            _warm(snapshot, catalog)
            if len(catalog.canonical) >= self.inline_keys:
                self._sums = EntitySums()  # big: the builder process keeps the sums from now on
            return catalog
        if latest[0] < snapshot.generation:
            self._follow(snapshot)
        return self._latest[1]

    def build(self, snapshot) -> EntityCatalog:
        """Move the sums to `snapshot`, run the rules, keep (and on a big archive save) the catalog."""
        with self._build_lock:
            latest = self._latest
            if latest is not None and latest[0] == snapshot.generation:
                return latest[1]
            started = time.perf_counter()
            changed = self._sums.advance(snapshot.parts)
            catalog = self._sums.catalog(self.aliases) if changed or latest is None else latest[1]  # rules rerun only on news
            self.took = time.perf_counter() - started
            if self.took > 1:
                log.info("entity catalog built in %.1f s (%d keys)", self.took, len(catalog.canonical))
            if latest is None or latest[0] < snapshot.generation:
                self._latest = (snapshot.generation, catalog)
                if len(catalog.canonical) >= self.inline_keys and not (latest and same_catalog(latest[1], catalog)):
                    self._save(snapshot.generation, catalog)
            return catalog

    # -- a big archive: the builder's saved catalog ------------------------------------------------

    def _follow(self, snapshot) -> None:
        """Load the saved catalog if it changed (looked at every LOOK_EVERY s), and have the builder
        make the next (asked at most every ASK_EVERY s: a builder that cannot start is not retried
        at every search)."""
        now = time.monotonic()
        if self.saved is None or now - self._looked < LOOK_EVERY:
            return
        self._looked = now
        if self._stamp() != self._loaded and (self._loader is None or not self._loader.is_alive()):
            self._loader = threading.Thread(target=self._reload, args=(snapshot,), name="entity-catalog",
                                            daemon=True)
            self._loader.start()
        if now - self._asked >= ASK_EVERY:
            self._asked = now
            try:
                processes.start("index.search.catalog_builder", self.saved.parent, BUILDER_LOCK,
                                str(self.aliases.path or ""))
            except OSError:  # a read-only index folder: searches go on with the catalog they have
                log.warning("no entity catalog builder for %s", self.saved.parent, exc_info=True)

    def _reload(self, snapshot) -> None:
        stamp = self._stamp()
        found = self._load()
        self._loaded = stamp
        if found is not None and found[0] > self.generation:
            _warm(snapshot, found[1])
            self._latest = found

    def _stamp(self):
        try:
            return self.saved.stat().st_mtime_ns if self.saved is not None else None
        except FileNotFoundError:
            return None

    def _load(self) -> tuple[int, EntityCatalog] | None:
        """The saved catalog with its generation, or None."""
        if self.saved is None or not self.saved.exists():
            return None
        try:
            with open(self.saved, "rb") as f:
                found = pickle.load(f)
            if not (isinstance(found, tuple) and found[0] == _saved_version()):
                log.info("entity catalog in %s is of another version: built afresh", self.saved)
                return None
            _, generation, fields = found
            names = fields.pop("names")
            return generation, EntityCatalog(**fields, evidence=Evidence(names=names), aliases=self.aliases)
        except Exception:  # another version's file, or cut short: built afresh instead
            log.warning("entity catalog in %s not used", self.saved, exc_info=True)
            return None

    def _save(self, generation: int, catalog: EntityCatalog) -> None:
        """Keep the catalog's merges and names (not its evidence: only `explain` reads names)."""
        if self.saved is None:
            return
        fields = {name: getattr(catalog, name) for name in SAVED_FIELDS}
        fields["names"] = dict(catalog.evidence.names)
        part = self.saved.with_name(f"{self.saved.name}.{os.getpid()}.part")
        try:
            with open(part, "wb") as f:
                pickle.dump((_saved_version(), generation, fields), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(part, self.saved)  # whole or not at all
        except OSError:
            log.warning("entity catalog not saved to %s", self.saved, exc_info=True)
            part.unlink(missing_ok=True)


def same_catalog(a: EntityCatalog, b: EntityCatalog) -> bool:
    """Would `b` save as `a` did (merges, types, names, votes)?  A commit without entities (or with
    only known ones in known proportions) changes nothing, and then the builder saves nothing:
    every worker unpickles a saved catalog holding its interpreter lock (0.3-0.5 s at a million
    passages), which a search arriving meanwhile waits out."""
    if a is b:  # the rules did not run again (nothing they count changed)
        return True
    return all(getattr(a, name) == getattr(b, name) for name in SAVED_FIELDS) \
        and dict(a.evidence.names) == dict(b.evidence.names)


def _warm(snapshot, catalog) -> None:
    """What a search derives from a new catalog (facet pairs, name endings), before searches need it."""
    for part in snapshot.parts:
        entity_pairs(part, catalog)
    catalog.endings()
