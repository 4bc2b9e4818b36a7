"""Archive-wide numbers for the values of article columns (sources, entity keys, tags, story families).

Numbers are append-only and per process: a segment maps its own value numbers
to archive-wide ones once (segments never change), and a new snapshot only
concatenates.  Story families are one per article, so they are not kept as
strings: a million families' names and their dict took 66 MB of every worker.
`HashedNames` numbers a name by its 64-bit hash (Python's, per process; two
names sharing one would be collapsed as one story: about one chance in 10**8
at a million stories), kept sorted in two arrays of 16 bytes a name.
"""

from __future__ import annotations

import threading

import numpy as np

from index.arrays import in_sorted, search_sorted


class Names:
    """An append-only numbering of strings (thread-safe)."""

    def __init__(self):
        self.number: dict[str, int] = {}
        self.names: list[str] = []
        self._lock = threading.Lock()

    def of(self, names: list[str]) -> np.ndarray:
        with self._lock:
            number = self.number
            new = [name for name in dict.fromkeys(names) if name not in number]
            number.update(zip(new, range(len(self.names), len(self.names) + len(new))))
            self.names.extend(new)
            return np.fromiter(map(number.__getitem__, names), dtype=np.int64, count=len(names))


class HashedNames:
    """An append-only numbering of many strings by their hashes, without keeping the strings (thread-safe)."""

    def __init__(self):
        self._table = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # (sorted hashes, their numbers): one object
        self._lock = threading.Lock()

    def of(self, names: list[str]) -> np.ndarray:
        keys = _hashes(names)
        with self._lock:
            hashes, numbers = self._table
            new, first = np.unique(keys[~in_sorted(keys, hashes)], return_index=True)
            if len(new):
                where = np.searchsorted(hashes, new)
                fresh = len(numbers) + np.argsort(np.argsort(first))  # in the order first seen, as Names
                hashes, numbers = np.insert(hashes, where, new), np.insert(numbers, where, fresh)
                self._table = (hashes, numbers)
        return numbers[search_sorted(hashes, keys)]

    def known(self, names: list[str]) -> np.ndarray:
        """The numbers of those of `names` already numbered."""
        hashes, numbers = self._table
        keys = _hashes(names)
        keys = keys[in_sorted(keys, hashes)]
        return numbers[search_sorted(hashes, keys)]


def _hashes(names: list[str]) -> np.ndarray:
    return np.fromiter(map(hash, names), dtype=np.int64, count=len(names))


SOURCES = Names()
ENTITY_KEYS = Names()
FAMILIES = HashedNames()
TAGS = Names()  # "kind\tvalue"
