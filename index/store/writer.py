"""Writing: articles -> a new segment (Whoosh's and its arrays), committed in one generation.

A write first builds its segment without holding the index lock: each article
is stored in a Whoosh segment under a private name (index/store/whoosh_io.py)
and analysed once for the segment's arrays (index/store/building.py).  A large batch is split across processes, one
segment each.  Then, under the lock, one commit deletes every earlier version
of the articles written (and the ids removed), adds the new segments, and
writes the next TOC; the files are fsynced before the call returns, so an
acknowledged write survives a crash or power loss.  Whatever fails before the
TOC is written leaves the index as it was (side files are removed, or swept
later by `sweep`).
"""

from __future__ import annotations

import errno
import json
import logging
import multiprocessing
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Iterable, Sequence

from index.article import Article
from index.errors import IndexFull
from index.store import building, whoosh_io
from index.store.analyzed import analyse_article
from index.store.schema import ARTICLE

log = logging.getLogger(__name__)

ARRAYS = "arrays"  # folder of segment arrays inside the index folder
PARALLEL_MIN = 400  # articles per process below which a batch is written in one process
SIDE_MAX_AGE = 6 * 3600  # seconds after which a side file no writer finished is swept
GONE_AFTER = 300  # seconds the arrays of a segment that left the index are kept for readers still opening them


def arrays_dir(path: Path) -> Path:
    return Path(path) / ARRAYS


def write(ix, path: Path, timeout: float, articles: Sequence[tuple[Article, str]], remove: Iterable[str] = (),
          processes: int = 1, check=None) -> set[str]:
    """Write (article, checksum) pairs over any earlier versions and remove `remove`, in one commit.

    Returns the ids (of both) that existed before.  `check()` runs under the lock
    before anything changes and may raise to cancel.  Raises IndexBusy when the
    lock cannot be had in `timeout` seconds, IndexFull when the disk is full.
    """
    remove = list(remove)
    if not articles and not remove:
        return set()
    started = time.time()
    built: list[tuple[object, Path]] = []
    try:
        built = _build(ix, path, articles, processes) if articles else []
        ids = [a.id for a, _ in articles] + remove

        def place_arrays(segments) -> None:  # under the lock, just before the TOC is written
            for segment, built_dir in built:
                os.replace(built_dir, arrays_dir(path) / whoosh_io.segment_key(segment))
            retire(path, {whoosh_io.segment_key(s) for s in segments})

        existed, _ = whoosh_io.commit(ix, timeout, add=[s for s, _ in built], delete_ids=ids, before_toc=place_arrays,
                                      check=check)
        sync(path, since=started)
        return existed
    except OSError as exc:
        _discard(ix, built)
        if exc.errno == errno.ENOSPC:
            raise IndexFull(f"the disk holding the index at {path} is full; nothing was written") from None
        raise
    except BaseException:
        _discard(ix, built)
        raise


def _build(ix, path: Path, articles: Sequence[tuple[Article, str]], processes: int) -> list[tuple[object, Path]]:
    """One segment per chunk of articles: (Whoosh segment, its arrays' folder), not yet committed."""
    chunks = max(1, min(processes, len(articles) // PARALLEL_MIN))
    if chunks == 1:
        return [build_segment(ix, path, articles)]
    size = -(-len(articles) // chunks)
    parts = [list(articles[i:i + size]) for i in range(0, len(articles), size)]
    with multiprocessing.get_context("fork").Pool(len(parts)) as pool:
        return pool.starmap(_build_in_child, [(str(path), part) for part in parts])


def _build_in_child(path: str, articles: list[tuple[Article, str]]):
    return build_segment(whoosh_io.open_index(path), Path(path), articles)


def build_segment(ix, path: Path, articles: Sequence[tuple[Article, str]]) -> tuple[object, Path]:
    """Write one side segment and its arrays; returns (segment, arrays folder). Nothing is committed."""
    writer = whoosh_io.side_writer(ix)
    builder = building.SegmentBuilder()
    try:
        for article, checksum in articles:
            writer.add_document(**document(article, checksum))
            builder.add(article, analyse_article(article))
        segment = whoosh_io.finish_side_segment(writer)
    except BaseException:
        whoosh_io.cancel_side_segment(writer)
        raise
    built_dir = arrays_dir(path) / f"build-{whoosh_io.segment_key(segment)}"
    building.save(built_dir, *builder.build())
    return segment, built_dir


def _discard(ix, built: list[tuple[object, Path]]) -> None:
    """Remove the files of segments built but never committed."""
    for segment, built_dir in built:
        shutil.rmtree(built_dir, ignore_errors=True)
        _remove_segment_files(Path(ix.storage.folder), whoosh_io.segment_key(segment))


def _remove_segment_files(path: Path, key: str) -> None:
    for name in whoosh_io.segment_files(str(path), key):
        try:
            os.remove(path / name)
        except OSError:
            pass


def retire(path: Path, live_keys: set[str]) -> None:
    """Under the write lock: move the arrays of segments leaving the index to `gone-<key>-<time>`.

    A process that read the previous TOC may still be opening them; `sweep` removes
    them, and the segment's Whoosh files, once they are GONE_AFTER seconds old.
    """
    folder = arrays_dir(path)
    for entry in os.scandir(folder):
        name = entry.name
        if not name.startswith(("build-", "gone-")) and not name.endswith(".tmp") and name not in live_keys:
            target = folder / f"gone-{name}-{int(time.time())}"
            try:
                os.replace(entry.path, target)
            except OSError:  # retired already this second (a reader rebuilt it since): one copy is enough
                if not target.exists():
                    raise
                shutil.rmtree(entry.path, ignore_errors=True)


def sweep(path: Path, ix) -> None:
    """Remove retired arrays and side files that no running writer can still need.

    A committed segment keeps its side name (SIDE<random>_<key>.seg) for good, so a
    side file is old debris only when its segment is neither in the index's TOC nor
    has placed arrays; age alone once deleted every segment written 6 hours before.
    """
    folder = arrays_dir(path)
    _, segments = whoosh_io.toc(ix)
    kept = {whoosh_io.segment_key(s) for s in segments} | {e.name for e in os.scandir(folder)}
    now = time.time()
    for entry in os.scandir(folder):
        name = entry.name
        try:
            if name.startswith("gone-"):
                if now - int(name.rsplit("-", 1)[1]) > GONE_AFTER:
                    _remove_segment_files(path, name.split("-")[1])
                    shutil.rmtree(entry.path, ignore_errors=True)
            elif (name.startswith("build-") or name.endswith(".tmp")) and now - entry.stat().st_mtime > SIDE_MAX_AGE:
                shutil.rmtree(entry.path, ignore_errors=True)
        except FileNotFoundError:  # another writer placed or removed it meanwhile
            continue
    for name in os.listdir(path):
        if name.startswith(whoosh_io.SIDE_PREFIX) and name.partition("_")[2].split(".")[0] not in kept:
            full = os.path.join(path, name)
            try:
                if now - os.stat(full).st_mtime > SIDE_MAX_AGE:
                    shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
            except OSError:
                pass


class Sweeper:
    """`sweep` on a thread after a commit, not in the write's path; one sweep at a time a process.

    What the sweep removes is debris no reader needs (its rules are of time and of the TOC, not
    of who calls it).  In line, the first write to a copy of a built 10x index took 1.5 s
    unloaded and 8 s under load: 4,900 files of the build's retired merges unlinked before the
    write was acknowledged.  A write while a sweep runs leaves its debris to the next sweep; a
    sweep cut short (the process ends) leaves the rest to the next one too."""

    def __init__(self, path: Path, ix):
        self.path, self.ix = path, ix
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False

    def soon(self) -> None:
        with self._lock:
            if self._closed or (self._thread is not None and self._thread.is_alive()):
                return
            self._thread = threading.Thread(target=self._sweep, name="newsindex-sweep", daemon=True)
            self._thread.start()

    def _sweep(self) -> None:
        try:
            sweep(self.path, self.ix)
        except Exception:  # debris left is swept by the next write's sweep; never let it end the process
            log.exception("sweeping retired files in %s failed", self.path)

    def wait(self, timeout: float | None = None) -> None:
        """Until this process's sweep, if one runs, is over (or `timeout` seconds)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def close(self, timeout: float = 60.0) -> None:
        with self._lock:
            self._closed = True
        self.wait(timeout)


def sync(path: Path, since: float) -> None:
    """fsync the files written since `since`, then the directory, so a commit survives power loss."""
    for entry in os.scandir(path):
        try:
            if entry.is_file() and entry.stat().st_mtime >= since - 1:
                building.fsync_path(entry.path)
        except FileNotFoundError:  # a merge removed it meanwhile
            continue
    building.fsync_path(str(path))


def document(article: Article, checksum: str) -> dict:
    """The Whoosh document of one article: its id, checksum and JSON (band keys live in the arrays)."""
    return dict(kind=ARTICLE, doc_id=article.id, article_id=article.id, checksum=checksum,
                data=json.dumps(article.to_dict(), ensure_ascii=False))


def stored_article(searcher, article_id: str) -> dict | None:
    """The stored fields of an article, or None (looked up by `doc_id` alone: one term)."""
    stored = searcher.document(doc_id=article_id)
    return stored if stored and stored.get("kind") == ARTICLE else None


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC
