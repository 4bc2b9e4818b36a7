"""Giving freed heap memory back to the system, so a long-running worker does not keep what it let go.

numpy arrays of a replaced snapshot (joined postings, masks, columns) are freed
into glibc's heap, which keeps the pages mapped: without a trim a worker's
memory only grows across commits.  `malloc_trim` returns the free pages; it runs
outside the GIL and costs a few milliseconds, once per new snapshot.  Elsewhere
than glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util

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
