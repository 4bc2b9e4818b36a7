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
  generation's catalog in two files: what searches read (`catalog.pickle`:
  merges, types and names, 11 MB in a worker at a million passages, headed by
  a digest, in pieces a worker unpickles one at a time so its searches run
  between them), and why (`catalog-explained.pickle`: each entity's rules,
  votes and spellings, pickled apart, unpickled only when `explain` asks for
  that entity: 26 MB more in every worker otherwise).  Workers look at the
  first file when it changes, in a thread, and unpickle it only when its
  digest differs from the catalog they have.  Until then a search uses the
  newest catalog the worker has: an entity new to the archive shows under its
  own key, name and type, known keys map as before.  A worker starting on a big
  archive reads the saved catalog and builds nothing.

    keeper = CatalogKeeper(aliases, saved=index_folder / "catalog.pickle")
    catalog = keeper.current(snapshot)      # one per request (index/search/run.py: Context)
"""

from __future__ import annotations

import hashlib
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
SAVED_VERSION = (3, RULES_VERSION)
_gazetteer_versions = lru_cache(maxsize=1)(library_versions)  # the table's own staleness rule: its build and libraries
SEARCH_FIELDS = ("canonical", "type_of", "display", "members")  # the saved catalog every worker reads
PIECE = 2_000  # entries of a field a saved piece holds (a few ms to unpickle at a million passages)


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
        self._explained = SavedExplanations(explained_path(saved)) if saved is not None else None
        self._read: tuple[str, EntityCatalog] | None = None  # (digest, catalog) last read from the saved file
        self._saved: tuple[EntityCatalog, str, list, dict] | None = None  # last saved: catalog, digest, pieces, why
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
                if len(catalog.canonical) >= self.inline_keys:
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
            if self._latest is None or found[1] is not self._latest[1]:
                _warm(snapshot, found[1])
            self._latest = found

    def _stamp(self):
        try:
            return self.saved.stat().st_mtime_ns if self.saved is not None else None
        except FileNotFoundError:
            return None

    def _load(self) -> tuple[int, EntityCatalog] | None:
        """The saved catalog with its generation, or None.  The catalog last read is kept when the
        file's digest is its own (a generation that changed no merge, type or name)."""
        if self.saved is None or not self.saved.exists():
            return None
        try:
            with open(self.saved, "rb") as f:
                version, generation, digest = pickle.load(f)
                if version != _saved_version():
                    log.info("entity catalog in %s is of another version: built afresh", self.saved)
                    return None
                if self._read is not None and self._read[0] == digest:
                    return generation, self._read[1]
                pieces = pickle.load(f)
            fields: dict[str, dict] = {name: {} for name in SEARCH_FIELDS}
            for name, piece in pieces:  # one at a time: this thread lets searches run between them
                fields[name].update(pickle.loads(piece))
            catalog = EntityCatalog(**fields, aliases=self.aliases, explained_by=self._explained)
            self._read = (digest, catalog)
            return generation, catalog
        except Exception:  # another version's file, or cut short: built afresh instead
            log.warning("entity catalog in %s not used", self.saved, exc_info=True)
            return None

    def _save(self, generation: int, catalog: EntityCatalog) -> None:
        """Save a generation's catalog: its explanations if they changed, then what searches read,
        with the generation, always (a worker whose catalog has the same digest only takes the
        generation: unpickling holds its interpreter lock, 0.1 s at a million passages)."""
        if self.saved is None:
            return
        last = self._saved
        if last is not None and last[0] is catalog:  # the rules did not run again (nothing they count changed)
            digest, pieces, why = last[1:]
        else:
            pieces = [(name, pickle.dumps(dict(items[i:i + PIECE]), protocol=pickle.HIGHEST_PROTOCOL))
                      for name in SEARCH_FIELDS for items in [list(getattr(catalog, name).items())]
                      for i in range(0, len(items), PIECE)]
            digest = hashlib.blake2b(b"".join(piece for _, piece in pieces), digest_size=16).hexdigest()
            why = {target: pickle.dumps(catalog.explanation(target), protocol=pickle.HIGHEST_PROTOCOL)
                   for target in catalog.members}
            if last is None or why != last[3]:
                _write(explained_path(self.saved), (_saved_version(), generation, why))
        _write(self.saved, (_saved_version(), generation, digest), pieces)
        self._saved = (catalog, digest, pieces, why)
        self._read = (digest, catalog)  # this process need not read back what it saved


def explained_path(saved: Path) -> Path:
    """Where the explanations of the catalog saved at `saved` are."""
    return saved.with_name(f"{saved.stem}-explained{saved.suffix}")


def _write(path: Path, *values) -> None:
    """Pickle `values` one after another into `path`, whole or not at all."""
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        with open(part, "wb") as f:
            for value in values:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(part, path)
    except OSError:
        log.warning("entity catalog not saved to %s", path, exc_info=True)
        part.unlink(missing_ok=True)


class SavedExplanations:
    """A builder's saved explanations, read when an entity is explained (and again once the file changed):
    each entity's record stays pickled until asked for."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._records: dict[str, bytes] = {}

    def __call__(self, target: str) -> tuple | None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with self._lock:
            if stamp != self._stamp:
                self._records, self._stamp = self._read(), stamp
            record = self._records.get(target)
        return pickle.loads(record) if record is not None else None

    def _read(self) -> dict[str, bytes]:
        try:
            with open(self.path, "rb") as f:
                version, _, records = pickle.load(f)
            return records if version == _saved_version() else {}
        except Exception:  # cut short, or another version's: explained without the saved reasons
            log.warning("entity explanations in %s not read", self.path, exc_info=True)
            return {}


def _warm(snapshot, catalog) -> None:
    """What a search derives from a new catalog (facet pairs, name endings), before searches need it."""
    for part in snapshot.parts:
        entity_pairs(part, catalog)
    catalog.endings()
