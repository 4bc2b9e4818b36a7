"""Every use of Whoosh below its public API, in one place, checked when an index opens.

newsindex keeps Whoosh as the store of record (segments, stored fields,
deletions, generations, the write lock) but needs five things Whoosh does not
offer publicly:

* **Zero-copy, thread-safe segment files.**  Whoosh wraps each file of a
  compound segment in a `BufferFile` whose `BytesIO(memoryview)` copies the
  bytes (a worker held the whole index in private memory), and whose one file
  position is shared by every thread (two threads reading one segment raced:
  `EOFError: Ran out of input`).  `MemoryReader` reads the memory map in place
  with a position per thread.
* **Segments written outside the lock** (parallel ingest, background merges):
  a writer under a private index name (`SIDE<random>`), so another writer's
  commit, which deletes the files of `MAIN_` segments it does not know, leaves
  them alone.  The segment keeps that name once committed (a compound file
  records its parts' names), and newsindex removes its files itself when it
  leaves the index (index/store/writer.py: `retire`, `sweep`).
* **Committing a chosen list of segments** (new ones added, merged ones
  replaced, deletions carried over) in one new TOC generation.
* **The TOC itself** (generation and segment list) without opening readers.
* **A compound segment's memory map** (`mapped_file`), so a warming worker can map its pages in
  (the stored articles a page reads) before searches fault them in one by one.

`check(ix)` verifies each of these names against the installed Whoosh when an
index opens and raises WhooshMismatch naming what is missing: a Whoosh upgrade
fails loudly instead of silently running slow or wrong.
"""

from __future__ import annotations

import mmap
import os
import threading
import time
import uuid
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.filedb import structfile
from whoosh.filedb.compound import CompoundStorage
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from index.errors import IndexBusy

MAIN = "MAIN"  # Whoosh's default index name
SIDE_PREFIX = "SIDE"


class WhooshMismatch(RuntimeError):
    """The installed Whoosh lacks something this module relies on."""


# -- zero-copy, thread-safe reading ----------------------------------------------------


class MemoryReader:
    """A read-only file over a buffer: no copy, one position per thread."""

    def __init__(self, buf):
        self._buf = buf
        self._local = threading.local()

    @property
    def _pos(self) -> int:
        return getattr(self._local, "pos", 0)

    @_pos.setter
    def _pos(self, value: int) -> None:
        self._local.pos = value

    def read(self, size: int = -1) -> bytes:
        start = self._pos
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        self._pos = end
        return bytes(self._buf[start:end])

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        start = self._pos
        limit = len(self._buf) if size is None or size < 0 else min(len(self._buf), start + size)
        end = start
        while end < limit:
            chunk = bytes(self._buf[end:min(limit, end + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(chunk)
        return self.read(end - start)

    def seek(self, offset: int, whence: int = 0) -> int:
        base = (0, self._pos, len(self._buf))[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        self._buf = b""


def _buffer_file_init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self.file = MemoryReader(buf)
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def install() -> None:
    """Make Whoosh read compound segments through MemoryReader (idempotent)."""
    structfile.BufferFile.__init__ = _buffer_file_init


# -- the TOC -----------------------------------------------------------------------------


def open_index(path: str):
    install()
    ix = whoosh_index.open_dir(path)
    check(ix)
    return ix


def create_index(path: str, schema):
    install()
    ix = whoosh_index.create_in(path, schema)
    check(ix)
    return ix


def read_toc(ix):
    """The newest TOC.  Whoosh lists the generations, then opens the newest one's file, which a commit in
    another process may delete in between (it keeps only the newest): then the next newest is read.
    A listing made while another process commits can also miss both TOCs, the new one being renamed
    in as the old one is deleted (a directory read is not atomic with a rename: 2 of 1,201 writes
    failed so in a soak at Reuters 1x): an index with no TOC is looked at again before it is believed."""
    for attempt in range(20):
        try:
            return ix._read_toc()
        except (FileNotFoundError, whoosh_index.EmptyIndexError):
            if attempt == 19:
                raise
            time.sleep(0.01)


def toc(ix) -> tuple[int, list]:
    """(generation, segments) of the newest TOC, read without opening any segment."""
    info = read_toc(ix)
    return info.generation, list(info.segments)


class GenerationWatch:
    """The index's newest TOC generation, with the folder listed again only once it has changed.

    Whoosh finds the generation by listing the folder and matching every name.  A served
    worker asks on every request, and with the files of segments merged away (kept
    writer.GONE_AFTER seconds for readers still opening them) that listing grew to a tenth
    of a worker's time.  A new TOC is renamed into the folder, which changes the folder's
    mtime; a listing is trusted only once the mtime it saw is RACY_NS old, so a TOC written
    within the same clock tick as the listing is not missed.
    """

    RACY_NS = 50_000_000

    def __init__(self, ix):
        self._ix = ix
        self._folder = ix.storage.folder
        self._seen: tuple[int, int] | None = None  # (folder mtime, generation listed under it)

    def __call__(self) -> int:
        """The newest generation (raises whoosh's EmptyIndexError when there is none)."""
        try:
            mtime = os.stat(self._folder).st_mtime_ns
        except OSError:
            mtime = None
        seen = self._seen
        if seen is not None and seen[0] == mtime:
            return seen[1]
        generation = self._ix.latest_generation()
        if generation < 0:  # no TOC listed: maybe a listing that crossed a commit (see read_toc)
            generation = read_toc(self._ix).generation
        trusted = mtime is not None and time.time_ns() - mtime > self.RACY_NS
        self._seen = (mtime, generation) if trusted else None
        return generation


def segment_key(segment) -> str:
    """The random part of a segment's name: the same before and after it is committed."""
    return segment.segid


def segment_reader(ix, segment) -> SegmentReader:
    # not ix.schema: it opens the newest TOC without read_toc's retry, and another process may delete it
    return SegmentReader(ix.storage, read_toc(ix).schema, segment)


def mapped_file(reader: SegmentReader) -> mmap.mmap | None:
    """The memory map Whoosh reads a compound segment's file through (stored fields, terms, postings),
    for preloading its pages; None for a segment Whoosh reads otherwise (not compound, not mappable)."""
    storage = reader.storage()
    compound = getattr(storage, "a", None)  # OverlayStorage(compound file, folder)
    return getattr(compound, "_source", None) if isinstance(compound, CompoundStorage) else None


# -- writing outside the lock, committing under it ----------------------------------------


class _SideIndex:
    """What SegmentWriter reads from an index, under a private name (files SIDE<random>_<segid>.*)."""

    def __init__(self, ix):
        self.storage = ix.storage
        self.indexname = f"{SIDE_PREFIX}{uuid.uuid4().hex[:12]}"
        self._ix = ix

    def _read_toc(self):
        return read_toc(self._ix)


def side_writer(ix) -> SegmentWriter:
    """A writer of one new segment that takes no lock and that other writers' commits leave alone."""
    return SegmentWriter(_SideIndex(ix), _lk=False)


def finish_side_segment(writer: SegmentWriter):
    """Close a side writer's segment (flushed, compound) and return it; nothing is committed."""
    segment = writer._finalize_segment()
    writer._finish()
    return segment


def cancel_side_segment(writer: SegmentWriter) -> None:
    writer._close_segment()
    writer._finish()
    for name in list(writer.storage):
        if name.startswith(writer.indexname + "_"):
            writer.storage.delete_file(name)


def segment_files(folder: str, key: str) -> list[str]:
    """The files of the segment with this key, whatever index name it carries."""
    return [name for name in os.listdir(folder) if f"_{key}." in name and not name.startswith("_")]


def commit(ix, timeout: float, add: Iterable = (), delete_ids: Iterable[str] = (),
           replace: tuple[list, object, dict] | None = None, before_toc=None, check=None) -> tuple[set[str], int]:
    """One new generation: delete `delete_ids` (every document with that article_id), add side segments.

    `replace` = (old segments, merged segment, {old segment key: [new docnum of each old docnum or -1]})
    swaps merged segments for their merge, carrying over deletions made since the
    merge began (a merged segment of None, with no docnum maps, drops them: every article in them was deleted);
    it is skipped (returning no change) if an old segment is gone.
    `check()` runs first under the lock and may raise to cancel the commit;
    `before_toc(segments)` runs under the lock just before the TOC is written.
    Returns (ids that existed, new generation).  Raises IndexBusy.
    """
    try:
        writer = SegmentWriter(ix, timeout=timeout, delay=0.05)
    except LockError:
        raise IndexBusy(f"the index is locked by another writer (waited {timeout:g} s)") from None
    try:
        if check is not None:
            check()
        existed = set()
        for article_id in delete_ids:
            if writer.delete_by_term("article_id", article_id):
                existed.add(article_id)
        segments = list(writer.segments)
        if replace is not None:
            old, merged, docmaps = replace
            keys = [segment_key(s) for s in segments]
            if not all(segment_key(s) in keys for s in old):
                writer.cancel()
                return existed, 0
            for segment in segments:
                docmap = docmaps.get(segment_key(segment))
                if docmap is not None:
                    for docnum in segment.deleted_docs():
                        if docmap[docnum] >= 0:
                            merged.delete_document(int(docmap[docnum]))
            gone = {segment_key(s) for s in old}
            segments = [s for s in segments if segment_key(s) not in gone]
            add = [merged, *add] if merged is not None else list(add)
        segments.extend(add)
        if before_toc is not None:
            before_toc(segments)
        writer._close_segment()
        writer._commit_toc(segments)
        generation = writer.generation
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    writer._finish()
    return existed, generation


# -- the check ----------------------------------------------------------------------------


def check(ix) -> None:
    """Raise WhooshMismatch if any name this module relies on is missing from the installed Whoosh."""
    missing = [name for owner, name in (
        (ix, "_read_toc"), (ix, "storage"), (ix, "indexname"),
        (SegmentWriter, "_finalize_segment"), (SegmentWriter, "_close_segment"),
        (SegmentWriter, "_commit_toc"), (SegmentWriter, "_finish"),
        (structfile.BufferFile, "get"),
    ) if not hasattr(owner, name)]
    try:
        _, segments = toc(ix)
    except AttributeError as exc:
        missing.append(f"TOC ({exc})")
        segments = []
    for segment in segments[:1]:
        for name in ("segid", "indexname", "segment_id", "deleted_docs", "delete_document", "doc_count_all"):
            if not hasattr(segment, name):
                missing.append(f"Segment.{name}")
        if segment.is_compound():  # mapped_file: OverlayStorage(CompoundStorage with its map, folder)
            reader = segment_reader(ix, segment)
            try:
                if not isinstance(getattr(reader.storage(), "a", None), CompoundStorage) or \
                        not hasattr(reader.storage().a, "_source"):
                    missing.append("SegmentReader.storage().a._source (a compound file's map)")
            finally:
                reader.close()
    if missing:
        raise WhooshMismatch(f"the installed Whoosh lacks {', '.join(missing)}; newsindex needs Whoosh-Reloaded 2.7.x")
