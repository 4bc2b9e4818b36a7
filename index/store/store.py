"""The store: one index folder (Whoosh's segments and their arrays), its snapshots and its writes.

    store = Store.open(path, create=True)
    store.write([(article, checksum)], remove=[...])   # one commit, durable on return
    snap = store.snapshot()                            # the newest generation, cheaply refreshed

`snapshot()` looks at the newest TOC generation on every call (a stat of the
folder, and a listing when it changed); when another process has committed, the next snapshot is built from
the current one, reusing every unchanged segment (index/store/snapshot.py).
Whoosh segment readers, needed only for stored fields, are opened on first use
and kept while their segment lives.

A served worker prepares new generations in the background instead
(`prepare_in_background`): a thread that looks for a new generation every
WATCH_EVERY seconds, or a search that meets one first, starts a thread that
builds its snapshot and has the search layer derive what searches need
(columns, norms, facet pairs); searches meanwhile read the snapshot they have,
for at most STALE_AT_MOST seconds, then wait for the new one.  The
process that wrote prepares its own commit before the write returns, and
`snapshot(fresh=True)` (reads by id, stats, writes' checks) always has the
newest.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
from whoosh.index import EmptyIndexError, LockError

from index import processes
from index.arrays import unique
from index.article import Article
from index.errors import Stale
from index.heap import Trimmer
from index.store import merging, whoosh_io, writer
from index.store.building import band_hash, save
from index.store.schema import NewsSchema
from index.store.segment import SegmentData, arrays_folder
from index.store.snapshot import JOINED_POSTINGS_HELD, Snapshot, make_part
from index.store.upgrade import rebuild_arrays, upgraded

log = logging.getLogger(__name__)

STALE_AT_MOST = 0.5  # seconds a search may read the generation before a newer one while that one is prepared
READERS_KEPT = 30.0  # seconds a dropped segment's reader stays open for requests on older snapshots
WATCH_EVERY = 0.005  # seconds between a served worker's looks for another process's commit (a stat each)
MERGE_LOOK_EVERY = 10.0  # seconds between a served worker's looks for segments piled up with no merger running
MERGE_OVERDUE = 4 * merging.SEGMENTS_PER_TIER  # more segments than the policy leaves in use (soaks: 16): a merger died


def _folder_size(path: Path) -> int:
    """Bytes of every file below `path`; files a merge or a commit removes meanwhile are skipped."""
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            try:
                total += os.stat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                continue
    return total


def _last_commit(path: Path) -> float | None:
    """When the newest generation's TOC was written; a TOC a commit removes between listing and reading is skipped
    (a /healthz beside concurrent writers answered 500 with FileNotFoundError)."""
    times = []
    for toc in path.glob("*.toc"):
        try:
            times.append(toc.stat().st_mtime)
        except FileNotFoundError:
            continue
    return max(times, default=None)


class Store:
    """See the module docstring."""

    def __init__(self, path: Path, ix, write_lock_timeout: float = 10.0, merge: str = "background",
                 postings_held: int = JOINED_POSTINGS_HELD):
        self.path = Path(path)
        self.ix = ix
        self.write_lock_timeout = write_lock_timeout
        self.merge_mode = merge  # "background" (a merger process), "inline" (before write() returns) or "off"
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._readers: dict[str, object] = {}
        self._retired: list[tuple[float, object]] = []  # (when, reader) of segments no longer current
        self.postings_held = postings_held  # NEWSINDEX_POSTINGS_CACHE
        self._prepare: Callable[[Snapshot], None] | None = None  # see prepare_in_background
        self._preparing: threading.Thread | None = None
        self._stale_since: float | None = None  # when a search first met a generation newer than the snapshot
        self._next_lock = threading.Lock()
        self._watching: threading.Thread | None = None  # see prepare_in_background
        self._closed = threading.Event()
        self.sweeper = writer.Sweeper(path, ix)  # retired files removed after writes, on a thread
        self._latest = whoosh_io.GenerationWatch(ix)
        self._trimmer = Trimmer()  # the memory of replaced snapshots, returned now and then (index/heap.py)

    @classmethod
    def open(cls, path: str | Path, create: bool = False, write_lock_timeout: float = 10.0,
             merge: str = "background", postings_held: int = JOINED_POSTINGS_HELD) -> "Store":
        """Open the index at `path`, creating it if asked. Raises FileNotFoundError without one."""
        path = Path(path)
        processes.allow_open_files()
        from whoosh import index as whoosh_index
        if whoosh_index.exists_in(str(path)):
            ix = whoosh_io.open_index(str(path))
        elif create:
            path.mkdir(parents=True, exist_ok=True)
            try:
                ix = whoosh_io.create_index(str(path), NewsSchema())
            except LockError:  # another process is creating it right now
                time.sleep(0.5)
                ix = whoosh_io.open_index(str(path))
        else:
            raise FileNotFoundError(f"no index at {path}; run `newsindex ingest PATH` first")
        writer.arrays_dir(path).mkdir(exist_ok=True)
        return cls(path, ix, write_lock_timeout, merge, postings_held)

    def close(self) -> None:
        self._closed.set()
        self.sweeper.close()
        with self._lock:
            for reader in [*self._readers.values(), *(reader for _, reader in self._retired)]:
                reader.close()
            self._readers.clear()
            self._retired.clear()
            self._snapshot = None
            self.ix.close()

    # -- reading -------------------------------------------------------------------

    def generation(self) -> int:
        try:
            return self._latest()
        except EmptyIndexError:
            return -1

    def snapshot(self, fresh: bool = True) -> Snapshot:
        """The newest generation, or (`fresh=False`, while it is prepared in the background) the one
        before it for at most STALE_AT_MOST seconds (see the module docstring)."""
        current = self._snapshot
        if current is not None and current.generation == self.generation():
            return current
        if not fresh and current is not None and self._prepare is not None and self._prepared_soon():
            return current
        preparing = self._preparing
        if preparing is not None and preparing is not threading.current_thread():
            preparing.join(timeout=30)  # the snapshot it prepares is the one wanted: wait, not build twice
        for attempt in range(5):
            try:
                return self._refresh()
            except OSError:  # a commit removed a segment of the TOC just read: read the next one
                if attempt == 4:
                    raise
                time.sleep(0.05)

    def preload(self, snapshot: Snapshot, budget: int) -> int:
        """Map the pages of the snapshot's segments (arrays, Whoosh's files) into this process (SegmentData.preload),
        unless they are over `budget` bytes: an index the page cache cannot hold would only push itself out."""
        files = [(part.data, whoosh_io.mapped_file(self._reader(part.segment))) for part in snapshot.parts]
        if sum(len(m) for data, file in files for m in data.maps(file)) > budget:
            return 0
        return sum(data.preload(file) for data, file in files)

    def prepare_in_background(self, prepare: Callable[[Snapshot], None], every: float = WATCH_EVERY) -> None:
        """From now on, have `prepare(snapshot)` derive what searches need from each new generation
        before searches read it (a served worker: see the module docstring), and look for one
        `every` seconds (a stat of the folder), so that the preparing starts when another
        process commits, not when the next search meets it (0: only then)."""
        self._prepare = prepare
        if every > 0 and self._watching is None:
            self._watching = threading.Thread(target=self._watch, args=(every,), name="newsindex-watch", daemon=True)
            self._watching.start()

    def _watch(self, every: float) -> None:
        merge_look = time.monotonic() + MERGE_LOOK_EVERY
        while not self._closed.wait(every):
            self._trimmer.due()
            try:
                current = self._snapshot
                if current is not None and current.generation < self.generation() and not self._closed.is_set():
                    self._prepared_soon()
                if time.monotonic() >= merge_look:
                    merge_look = time.monotonic() + MERGE_LOOK_EVERY
                    self._merge_if_overdue()
            except Exception:  # the index folder went away, a TOC was half written: look again later
                log.debug("watching for new generations", exc_info=True)

    def _merge_if_overdue(self) -> None:
        """Start a merger when segments have piled up past what the policy leaves: writes start one
        as they commit, but a merger that dies (killed, out of memory) leaves the pile as it is
        until the next write, and a pile of hundreds slows every search."""
        current = self._snapshot
        if self.merge_mode == "background" and current is not None and len(current.parts) > MERGE_OVERDUE \
                and merging.choose(current.parts) is not None:
            merging.start_background(self.path)

    def _prepared_soon(self) -> bool:
        """Start preparing the newest generation if no thread is; may a search still read the snapshot before it?"""
        with self._next_lock:
            now = time.monotonic()
            if self._stale_since is None:
                self._stale_since = now
            if self._preparing is None or not self._preparing.is_alive():
                thread = threading.Thread(target=self._prepare_next, name="newsindex-next-snapshot", daemon=True)
                thread.start()  # before it is shared: a thread not yet started cannot be joined
                self._preparing = thread
            return now - self._stale_since < STALE_AT_MOST

    def _prepare_next(self) -> None:
        try:
            snapshot = self._build()
            if snapshot is not None:
                self._prepare(snapshot)
                self._publish(snapshot)
        except Exception:  # e.g. a merge removed a segment just read: the next search builds it itself
            log.warning("preparing the next snapshot failed", exc_info=True)

    def _refresh(self) -> Snapshot:
        """Build and publish the newest generation's snapshot (prepared first when this process is served)."""
        snapshot = self._build()
        if snapshot is not None:
            if self._prepare is not None:
                self._prepare(snapshot)
            self._publish(snapshot)
        return self._snapshot

    def _build(self) -> Snapshot | None:
        """The newest generation's snapshot, built from the current one (None when that is the newest)."""
        with self._lock:
            current = self._snapshot
            generation, segments = whoosh_io.toc(self.ix)
            if current is not None and current.generation >= generation:
                return None
            previous = {part.key: part for part in current.parts} if current else {}
            parts = []
            for segment in segments:
                key = whoosh_io.segment_key(segment)
                old = previous.get(key)
                data = old.data if old is not None else self._segment_data(segment)
                parts.append(make_part(segment, data, old))
                self._reader(segment)  # opened now: a merge may delete the segment's files later
            return Snapshot(generation, parts, self._reader, previous=current, postings_held=self.postings_held)

    def _publish(self, snapshot: Snapshot) -> None:
        """Make `snapshot` the current one, unless a newer one already is."""
        with self._lock:
            if self._snapshot is not None and self._snapshot.generation >= snapshot.generation:
                return
            self._snapshot = snapshot
            keys = {part.key for part in snapshot.parts}
            now = time.monotonic()
            # A request still on an older snapshot may be reading a segment this one dropped (merged away):
            # its reader is closed only READERS_KEPT seconds later, never under the request's feet.
            self._retired += [(now, self._readers.pop(key)) for key in [k for k in self._readers if k not in keys]]
            while self._retired and now - self._retired[0][0] > READERS_KEPT:
                self._retired.pop(0)[1].close()
        with self._next_lock:
            self._stale_since = None
        self._trimmer.freed()  # the snapshot before the last and its arrays are gone now

    def _reader(self, segment):
        key = whoosh_io.segment_key(segment)
        found = self._readers.get(key)
        if found is None:
            with self._lock:
                found = self._readers.get(key)
                if found is None:
                    found = self._readers[key] = whoosh_io.segment_reader(self.ix, segment)
        return found

    def _segment_data(self, segment) -> SegmentData:
        """The arrays of a segment, rebuilt from its stored articles if they are missing or outdated."""
        key = whoosh_io.segment_key(segment)
        directory = writer.arrays_dir(self.path) / key
        for attempt in range(2):  # a merge may retire the folder between our look and our read
            try:
                return upgraded(SegmentData(arrays_folder(writer.arrays_dir(self.path), key), key))
            except (FileNotFoundError, ValueError) as exc:
                problem = exc
        log.warning("rebuilding the arrays of segment %s (%s)", key, problem)
        built = writer.arrays_dir(self.path) / f"build-{key}-{os.getpid()}"
        save(built, *rebuild_arrays(self.ix, segment))
        shutil.rmtree(directory, ignore_errors=True)
        try:
            os.replace(built, directory)
        except OSError:  # another process rebuilt it first
            shutil.rmtree(built, ignore_errors=True)
        return SegmentData(directory, key)

    def find(self, article_id: str, snap: Snapshot | None = None) -> tuple[int, dict] | None:
        """(global ordinal, stored fields) of the live article with this id, or None."""
        snap = snap or self.snapshot()
        for i, part in enumerate(snap.parts):
            reader = self._reader(part.segment)
            if ("doc_id", article_id) not in reader:
                continue
            for docnum in reader.postings("doc_id", article_id).all_ids():  # an article's docnum is its ordinal
                if docnum < len(part.article_live) and part.article_live[docnum]:
                    return int(snap.article_base[i]) + docnum, reader.stored_fields(docnum)
        return None

    def pending(self, limit: int, vectors: bool = False) -> list[tuple[str, str]]:
        """(id, checksum) of up to `limit` articles waiting for enrichment (`vectors`: or for embeddings), oldest first."""
        snap = self.snapshot()
        found = []
        for ordinal in np.flatnonzero(snap.to_enrich(vectors))[:limit]:
            stored = snap.stored(int(ordinal))
            found.append((stored["article_id"], stored.get("checksum") or ""))
        return found

    def with_band_keys(self, band_keys: list[str], per_key: int | None = None) -> list[dict]:
        """Stored fields of the live articles holding any of these story-family band keys (the segments' arrays);
        with `per_key`, of each key only that many of each segment, the last stored."""
        wanted = unique(np.asarray([band_hash(k) for k in band_keys], dtype=np.uint64))
        snap = self.snapshot()
        found = []
        for part in snap.parts:
            hashes, articles = part.data["band_hash"], part.data["band_article"]
            lo, hi = np.searchsorted(hashes, wanted), np.searchsorted(hashes, wanted, side="right")
            holding = [np.zeros(0, np.int32)]
            for a, b in zip(lo, hi):  # a key's articles, in the order stored (sorted_bands)
                live = articles[a:b][part.article_live[articles[a:b]]]
                holding.append(live[-per_key:] if per_key else live)
            local = unique(np.concatenate(holding))
            reader = self._reader(part.segment)
            found.extend(reader.stored_fields(int(d)) for d in local)
        return found

    def checksums(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored checksums of the live articles among `ids`."""
        snap = self.snapshot()
        found = {}
        for article_id in ids:
            hit = self.find(article_id, snap)
            if hit is not None:
                found[article_id] = hit[1].get("checksum") or ""
        return found

    def stats(self) -> dict:
        snap = self.snapshot()
        size = _folder_size(self.path)
        return {**snap.counts(), "segments": len(snap.parts), "generation": snap.generation, "size_bytes": size,
                "last_commit": _last_commit(self.path)}

    # -- writing -------------------------------------------------------------------

    def write(self, articles: Sequence[Article], checksums: Sequence[str], remove: Iterable[str] = (),
              processes: int = 1, expect: dict[str, str] | None = None) -> set[str]:
        """One commit (index/store/writer.py); returns the ids that existed before it.

        With `expect` (id -> checksum), the commit happens only if each of those
        articles is still stored with that checksum (checked under the lock);
        otherwise it raises Stale naming the ones that changed, and nothing is written.
        """
        def check() -> None:
            snap = self.snapshot()  # under the lock: the newest generation, which nobody can change now
            changed = [i for i, checksum in expect.items()
                       if (found := self.find(i, snap)) is None or found[1].get("checksum") != checksum]
            if changed:
                raise Stale(changed)

        existed = writer.write(self.ix, self.path, self.write_lock_timeout, list(zip(articles, checksums)),
                               remove, processes=processes, check=check if expect else None)
        if self._prepare is not None:
            self.snapshot()  # this process's next search reads its own write, prepared
        self.sweeper.soon()  # off the write's path: the write is committed and synced
        self.merge(wait=self.merge_mode == "inline")
        return existed

    def merge(self, wait: bool = False) -> int:
        """Merge segments as the policy asks (index/store/merging.py): now, or in a background process."""
        if self.merge_mode == "off" and not wait:
            return 0
        if wait:
            return merging.merge_until_done(self, self.write_lock_timeout)
        if merging.needs_merge(self):
            merging.start_background(self.path)
        return 0

    def optimize(self, segments: int = 1) -> int:
        """Merge down to at most `segments` segments now (merging.optimize); returns the merges made."""
        return merging.optimize(self, segments, self.write_lock_timeout)
