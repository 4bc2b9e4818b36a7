"""Held: an LRU bounded by the summed size of what it keeps, for what a snapshot (or a process) derives
for some queries: joined postings, phrase matches, parsed articles.  The queries a client may send are not
bounded, so neither would a plain cache be."""

from __future__ import annotations

import threading
from collections import OrderedDict


class Held:
    """An LRU of what a snapshot derived for some queries, bounded by `size(value)` summed (thread-safe)."""

    def __init__(self, limit: int, size):
        self.limit, self.size = limit, size
        self.items: OrderedDict = OrderedDict()
        self.total = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def kept(self, key, build):
        """The value held for `key`, else `build()` (outside the lock: a slow build blocks no one), kept."""
        found = self.get(key)
        return found if found is not None else self.put(key, build())

    def take(self, key):
        """The value held for `key`, no longer held here (None if none was)."""
        with self._lock:
            found = self.items.pop(key, None)
            if found is not None:
                self.total -= self.size(found)
            return found

    def put(self, key, value):
        """Keep `value` (or the one another thread kept first: that one is returned)."""
        with self._lock:
            if key in self.items:
                return self.items[key]
            self.items[key] = value
            self.total += self.size(value)
            while self.total > self.limit and len(self.items) > 1:
                _, old = self.items.popitem(last=False)
                self.total -= self.size(old)
            return value
