"""Giving freed heap memory back to the system, so a long-running worker does not keep what it let go.

numpy arrays of a replaced snapshot (joined postings, masks, columns) are freed
into glibc's heap, which keeps the pages mapped: without a trim a worker that
goes quiet keeps the memory of its busiest moment.  `malloc_trim` returns the
free pages; it runs outside the GIL and costs a few milliseconds.  But pages
returned are pages the next search faults in again: trimming after every new
snapshot made the first search after each commit cost twice a warm one at a
million passages (page faults, most of them on this hypervisor's reclaimed
memory; bench/RESULTS.md, 2026-12-01).  So a `Trimmer` trims at most every
TRIM_EVERY seconds, once something was freed: a busy worker reuses its free
pages meanwhile, a quiet one gives them back within that time.  Elsewhere than
glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

TRIM_EVERY = 30.0  # seconds between trims at most

_LIBC = None


def _libc():
    global _LIBC
    if _LIBC is None:
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
        except OSError:
            libc = None
        _LIBC = libc if libc is not None and hasattr(libc, "malloc_trim") else False
    return _LIBC


def release_freed_memory() -> None:
    """Return the heap's free pages to the system (glibc's malloc_trim)."""
    libc = _libc()
    if libc:
        libc.malloc_trim(0)


class Trimmer:
    """Trims the heap when memory was freed, at most every `every` seconds.

    `freed()` says something large was let go (a snapshot replaced) and trims if one is due;
    `due()`, called from time to time by a thread that is there anyway (the store's watch for
    commits), trims what is still owed once the time has come.
    """

    def __init__(self, every: float = TRIM_EVERY):
        self.every = every
        self._last = float("-inf")
        self._owed = False
        self._lock = threading.Lock()

    def freed(self) -> None:
        with self._lock:
            self._owed = True
        self.due()

    def due(self) -> None:
        with self._lock:
            now = time.monotonic()
            if not self._owed or now - self._last < self.every:
                return
            self._owed, self._last = False, now
        release_freed_memory()
