"""One segment's arrays, memory-mapped: what a search reads from a segment.

Written once by index/store/building.py beside the Whoosh segment they mirror
and never changed, so every process maps the same pages and opening a segment
costs a few file opens, not a read of its contents.  Deletions are not here:
they are Whoosh's (the snapshot turns them into live masks).

    segment.lookup("crude")                -> term number, or -1
    segment.postings("body", t)            -> (article ordinals, tfs)
    segment.positions("body", t, ordinals) -> (ordinal, position) pairs of the term in those ordinals
    segment.prefix_range(b"oil")           -> term numbers starting with "oil"
    segment.pair_postings("body", c, b)  -> (article ordinals, times term c ("central") precedes term b)
    segment.quote_postings("body", (c, b), (s, t)) -> the same for spellings s, t: a quote's counts (or None)
"""

from __future__ import annotations

import json
import mmap
import os
import re
import threading
from functools import cached_property
from pathlib import Path

import numpy as np

from index.arrays import found_in, span_index, sums_before
from index.store.building import BLOCK, FORMAT, LISTS, TEXT_FIELDS, quantise
from index.store.preload import mapping, preload_map

_LOADING = threading.Lock()
# Arrays smaller than this are read, not mapped: Python's mmap keeps a duplicate of its file's
# descriptor, and with ~50 arrays a segment, 373 small segments (a merger that kept dying) held
# 19,404 descriptors; a one-article segment's arrays are a few bytes each.
READ_BELOW = 64 * 1024
_EMPTY_I = np.zeros(0, np.int32)
_EMPTY_U = np.zeros(0, np.uint16)


_HEADER = re.compile(r"\{'descr': '([<>|=][a-zA-Z]\d*)', 'fortran_order': (True|False), 'shape': \(((?:\d+, ?)*\d*)\), \} *\n")


def _read_header(f, version: tuple[int, int]):
    """(shape, fortran_order, dtype) of a .npy header, the file left at the data.

    The header numpy writes for a plain array is parsed with a regular expression: numpy's
    reader runs ast.literal_eval on it, a tenth of a millisecond a header, which for a
    new segment's 62 arrays was most of what mapping it cost.  Anything else goes to numpy.
    """
    start = f.tell()
    size = int.from_bytes(f.read(2 if version == (1, 0) else 4), "little")
    found = _HEADER.fullmatch(f.read(size).decode("latin1"))
    if found is not None:
        shape = tuple(int(n) for n in found.group(3).replace(" ", "").split(",") if n)
        return shape, found.group(2) == "True", np.dtype(found.group(1))
    f.seek(start)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(f)


def map_npy(path: str) -> np.ndarray:
    """A read-only array over a memory map of a .npy file (what np.load(mmap_mode="r") gives), or
    read whole when under READ_BELOW bytes.

    A plain ndarray over the map, not numpy's memmap subclass: that costs a Python call per
    slice, and opening one resolves its path, which made mapping a new segment's 62 arrays
    most of what a commit costs a worker.  The caller holds _LOADING (a header numpy parses
    itself goes through ast.literal_eval, not thread-safe in CPython 3.11.7).
    """
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):  # 3.0 (utf-8 field names): numpy's own reader
            return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        shape, fortran_order, dtype = _read_header(f, version)
        offset = f.tell()
        if dtype.hasobject:
            raise ValueError(f"{path}: object arrays are not mapped")
        count = int(np.prod(shape, dtype=np.int64))
        if count == 0:
            empty = np.zeros(shape, dtype=dtype)
            empty.flags.writeable = False
            return empty
        if count * dtype.itemsize < READ_BELOW:  # read: a map holds a file descriptor for its lifetime
            array = np.frombuffer(f.read(count * dtype.itemsize), dtype=dtype, count=count)  # read-only
            return array.reshape(shape, order="F" if fortran_order else "C")
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    array = np.frombuffer(mapped, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")


def arrays_folder(arrays: Path, key: str) -> Path:
    """A segment's arrays folder: `arrays/<key>`, or, once a merge has replaced the segment, the newest
    folder it was retired to (`gone-<key>-<time>`, removed later by writer.sweep)."""
    live = arrays / key
    if live.exists():
        return live
    retired = sorted(arrays.glob(f"gone-{key}-*"))
    return retired[-1] if retired else live


class Meta(dict):
    """A segment's metadata: the small part read on open, each value list (building.LISTS) on first use."""

    def __init__(self, directory: Path, small: dict):
        super().__init__(small)
        self._directory = directory
        self._lock = threading.Lock()

    def __missing__(self, key: str):
        if key not in LISTS:
            raise KeyError(key)
        with self._lock:
            if not dict.__contains__(self, key):
                dict.__setitem__(self, key, json.loads(self._read(f"{key}.json")))
        return dict.__getitem__(self, key)

    def read(self, key: str):
        """A value list without keeping it (the caller keeps what it derives: a million passages' names are MBs)."""
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        if key not in LISTS:
            raise KeyError(key)
        return json.loads(self._read(f"{key}.json"))

    def _read(self, name: str) -> str:
        for attempt in range(3):  # a merge may retire the folder between our look and our read
            try:
                return self._file(name).read_text(encoding="utf-8")
            except FileNotFoundError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _file(self, name: str) -> Path:
        return arrays_folder(self._directory.parent, self._directory.name) / name

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class SegmentData:
    """The arrays of one segment (see building.py for their meaning)."""

    def __init__(self, directory: Path, segment_id: str):
        self.directory = Path(directory)
        self.id = segment_id
        self._arrays: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._preloaded = False
        self.meta = Meta(self.directory, json.loads((self.directory / "meta.json").read_text(encoding="utf-8")))
        if self.meta.get("format") != FORMAT:
            raise ValueError(f"segment arrays in {self.directory} have format {self.meta.get('format')}, not {FORMAT}")
        self.articles: int = self.meta["articles"]
        self.passages: int = self.meta["passages"]
        # Mapped all at once: a merge may remove the folder later, and mapped files outlive their names.
        # One thread at a time: numpy reads each header with ast.literal_eval, and CPython 3.11.7's AST
        # constructor raises SystemError ("recursion depth mismatch") when two threads build ASTs at once.
        with _LOADING:
            for entry in os.scandir(self.directory):
                if entry.name.endswith(".npy"):
                    self._arrays[entry.name[:-4]] = map_npy(entry.path)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def get(self, name: str) -> np.ndarray | None:
        """The array, or None when the segment has none by that name (an older version's)."""
        return self._arrays.get(name)

    def preload(self, whoosh_file: mmap.mmap | None = None) -> int:
        """Map every page of the segment's arrays (and of its Whoosh file: stored articles, read for a
        page's hits) into this process now; bytes advised (0 if done before).

        What Elasticsearch's `index.store.preload` does: a search's first read of a mapped page costs a
        page fault (5-10 us on this VM; looking up one word pair in nine segments faulted 35-70 times,
        0.2-0.8 ms against 0.03 once mapped; a stored article 215 us the first time, 29 after), so a
        worker's first questions cost 1.5-2x the same questions asked again.  The pages are the page
        cache's, shared by every worker: nothing is copied."""
        with self._lock:
            if self._preloaded:
                return 0
            self._preloaded = True
        return sum(preload_map(m) for m in self.maps(whoosh_file))

    def maps(self, whoosh_file: mmap.mmap | None = None) -> list[mmap.mmap]:
        """The memory maps the segment is read through (its arrays', and its Whoosh file's when given)."""
        maps = [m for m in map(mapping, self._arrays.values()) if m is not None] + [whoosh_file]
        return list({id(m): m for m in maps if m is not None}.values())

    # -- vocabulary -----------------------------------------------------------

    @cached_property
    def vocab(self) -> np.ndarray:
        return self["vocab"]

    def lookup(self, term: str) -> int:
        """The term's number in this segment, or -1."""
        key = term.encode("utf-8")
        vocab = self.vocab
        at = int(np.searchsorted(vocab, key))
        return at if at < len(vocab) and vocab[at] == key else -1

    def prefix_range(self, prefix: str) -> range:
        """Term numbers of every term starting with `prefix` (the vocabulary is sorted)."""
        key = prefix.encode("utf-8")
        start = int(np.searchsorted(self.vocab, key))
        stop = int(np.searchsorted(self.vocab, key + b"\xff"))
        return range(start, stop)

    def term(self, number: int) -> str:
        return bytes(self.vocab[number]).decode("utf-8")

    # -- postings ---------------------------------------------------------------

    def df(self, fieldname: str, number: int) -> int:
        """Ordinals holding the term in the field (deleted ones included, as Whoosh counts)."""
        if number < 0:
            return 0
        off = self[f"{fieldname}.term_off"]
        return int(off[number + 1] - off[number])

    def postings(self, fieldname: str, number: int) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, tfs) of a term in a field, deleted ordinals included, in ordinal order."""
        if number < 0:
            return _EMPTY_I, _EMPTY_U
        off = self[f"{fieldname}.term_off"]
        start, stop = int(off[number]), int(off[number + 1])
        return self[f"{fieldname}.docs"][start:stop], self[f"{fieldname}.tfs"][start:stop]

    # -- word pairs (index/store/pairs.py) ----------------------------------------

    def has_pairs(self, fieldname: str) -> bool:
        """Whether the field's adjacent word pairs are indexed (segments written before they were are not)."""
        return self._has_pair_list(f"{fieldname}.pair")

    def has_quotes(self, fieldname: str) -> bool:
        """Whether the field's quote pairs (pairs of spellings) are indexed."""
        return f"{fieldname}.spelt_term" in self._arrays and self._has_pair_list(f"{fieldname}.quote")

    def _has_pair_list(self, prefix: str) -> bool:
        return all(f"{prefix}_{name}" in self._arrays for name in ("key", "off", "docs", "tfs"))

    def pair_postings(self, fieldname: str, first: int, second: int) -> tuple[np.ndarray, np.ndarray]:
        """(ordinals, tfs) of the field's documents where term number `first` is followed by term number `second`."""
        return self._pair_list(f"{fieldname}.pair", first, second)

    def quote_postings(self, fieldname: str, terms: tuple[int, int], spellings: tuple[int, int]
                       ) -> tuple[np.ndarray, np.ndarray] | None:
        """(ordinals, tfs) of the field's documents holding a two-word quote (the words' term numbers and
        spelling numbers), or None where a spelling also stands for another term here: count from positions."""
        if min(*terms, *spellings) < 0:
            return _EMPTY_I, _EMPTY_U
        spelt = [int(self[f"{fieldname}.spelt_term"][s]) for s in spellings]
        if -2 in spelt:
            return None
        if spelt != list(terms):  # a spelling never written here for the quoted word
            return _EMPTY_I, _EMPTY_U
        return self._pair_list(f"{fieldname}.quote", *spellings)

    def _pair_list(self, prefix: str, first: int, second: int) -> tuple[np.ndarray, np.ndarray]:
        if first < 0 or second < 0:
            return _EMPTY_I, _EMPTY_U
        keys = self[f"{prefix}_key"]
        key = first * len(self.vocab) + second
        at = int(np.searchsorted(keys, key))
        if at == len(keys) or keys[at] != key:
            return _EMPTY_I, _EMPTY_U
        off = self[f"{prefix}_off"]
        start, stop = int(off[at]), int(off[at + 1])
        return self[f"{prefix}_docs"][start:stop], self[f"{prefix}_tfs"][start:stop]

    def positions(self, fieldname: str, number: int, ordinals: np.ndarray | None = None, spelling: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(ordinal, position) of every occurrence of a term, in the given sorted ordinals only (None: all).

        With `spelling` (a vocabulary number), only the occurrences spelt so.
        """
        docs, index = self._occurrences(fieldname, number, ordinals)
        if not len(index):
            return _EMPTY_I, _EMPTY_I
        positions = self[f"{fieldname}.pos"][index].astype(np.int32)
        if spelling is not None:
            keep = self[f"{fieldname}.spelling"][index] == spelling
            docs, positions = docs[keep], positions[keep]
        return docs, positions

    def keeps_characters(self, fieldname: str) -> bool:
        """Whether the field's occurrences have their characters (segments written before they were kept have not)."""
        return f"{fieldname}.start" in self._arrays

    def spans(self, fieldname: str, numbers: list[int], ordinals: np.ndarray) -> list[tuple[int, ...]]:
        """[(which term, ordinal, position, spelling number, startchar, endchar)] of the occurrences of several
        terms (`which` indexes `numbers`) in the sorted ordinals, term by term in ordinal then position order
        (a field that `keeps_characters`).  For a page's few ordinals: the occurrences are listed in Python
        and their columns read with one gather each, fewer numpy calls than joining arrays term by term."""
        rows = []
        for which, number in enumerate(numbers):
            for doc, start, count in self._few_postings(fieldname, number, ordinals):
                rows.extend((which, doc, at) for at in range(start, start + count))
        if not rows:
            return []
        index = np.fromiter((row[2] for row in rows), np.int64, len(rows))
        columns = (self[f"{fieldname}.{name}"][index].tolist() for name in ("pos", "spelling", "start", "end"))
        return [(which, doc, *rest) for (which, doc, _), *rest in zip(rows, *columns)]

    def spellings(self, fieldname: str, number: int, first: int) -> dict[str, int]:
        """How the term is spelt in its first `first` postings of the field: {spelling: occurrences}."""
        docs, _ = self.postings(fieldname, number)
        _, index = self._occurrences(fieldname, number, docs[:first])
        numbers, counts = np.unique(self[f"{fieldname}.spelling"][index], return_counts=True)
        return {self.term(int(n)): int(c) for n, c in zip(numbers, counts) if n >= 0}

    def _few_postings(self, fieldname: str, number: int, ordinals: np.ndarray) -> list[tuple[int, int, int]]:
        """[(ordinal, index of its first occurrence, occurrences)] of a term's postings in a few sorted ordinals
        (`_posting_starts` for a page: one binary search, and each hit's preceding occurrences summed)."""
        if number < 0:
            return []
        docs, tfs = self.postings(fieldname, number)
        base = int(self[f"{fieldname}.term_pos"][number])
        found = []
        for at, ordinal in zip(docs.searchsorted(ordinals).tolist(), ordinals.tolist()):
            if at < len(docs) and docs[at] == ordinal:
                found.append((ordinal, base + int(tfs[:at].sum(dtype=np.int64)), int(tfs[at])))
        return found

    def _occurrences(self, fieldname: str, number: int, ordinals: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(ordinal, index into the field's per-occurrence arrays) of a term's occurrences in `ordinals`."""
        docs, starts, counts = self._posting_starts(fieldname, number, ordinals)
        return np.repeat(docs, counts), span_index(starts, counts)

    def _posting_starts(self, fieldname: str, number: int, ordinals: np.ndarray | None
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ordinal, index of its first occurrence in the field's per-occurrence arrays, occurrences) of each
        posting of a term in `ordinals` (None: all).

        A posting's occurrences start after those of the postings before it: for a few ordinals
        (a page's passages) they are counted only up to the last one asked for."""
        if number < 0:
            return _EMPTY_I, _EMPTY_I, _EMPTY_I
        docs, tfs = self.postings(fieldname, number)
        if ordinals is None:
            counts = tfs.astype(np.int64)
            starts = np.cumsum(counts) - counts
        else:
            local = ordinals.astype(docs.dtype, copy=False)  # a segment's ordinals fit its postings' type
            at = found_in(local, docs, self.passages if fieldname == "text" else self.articles)
            if not len(at):
                return _EMPTY_I, _EMPTY_I, _EMPTY_I
            counts = tfs[at].astype(np.int64)
            starts = sums_before(tfs, at)
            docs = docs[at]
        return docs, starts + int(self[f"{fieldname}.term_pos"][number]), counts

    def block_bounds(self, fieldname: str, number: int) -> tuple[np.ndarray, np.ndarray]:
        """(largest tf, shortest length) of each block of BLOCK postings of a term."""
        first = self._block_base(fieldname)
        start, stop = int(first[number]), int(first[number + 1])
        return self[f"{fieldname}.block_maxtf"][start:stop], self[f"{fieldname}.block_minlen"][start:stop]

    def _block_base(self, fieldname: str) -> np.ndarray:
        key = f"{fieldname}.block_base"
        found = self._arrays.get(key)
        if found is None:
            counts = np.diff(self[f"{fieldname}.term_off"])
            found = np.concatenate([[0], np.cumsum(-(-counts // BLOCK))])
            self._arrays[key] = found
        return found

    def lengths(self, fieldname: str) -> np.ndarray:
        """Length of the field in each ordinal, quantised as Whoosh scores it (float32)."""
        key = f"{fieldname}.quantised"
        found = self._arrays.get(key)
        if found is None:
            found = self._arrays[key] = quantise(self[f"{fieldname}.lengths"])
        return found

    def length_sum(self, fieldname: str) -> float:
        """Total exact length of a field over every ordinal (deleted included, as Whoosh counts)."""
        key = f"{fieldname}.length_sum"
        if key not in self.meta:
            self.meta[key] = float(np.asarray(self[f"{fieldname}.lengths"], dtype=np.float64).sum())
        return self.meta[key]

    @property
    def fields(self) -> tuple[str, ...]:
        return TEXT_FIELDS
