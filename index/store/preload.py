"""Preloading: a memory map's pages mapped into this process ahead of use (SegmentData.preload).

Linux 5.14's MADV_POPULATE_READ, else MADV_WILLNEED (read ahead into the page
cache only), a chunk at a time; called through ctypes, which lets go of the GIL
for the call (mmap.madvise keeps it: searches in the worker's other threads
stalled up to 6 ms a chunk while it warmed).
"""

from __future__ import annotations

import ctypes
import errno
import mmap
from contextlib import suppress

import numpy as np

_POPULATE = [getattr(mmap, "MADV_POPULATE_READ", 22), getattr(mmap, "MADV_WILLNEED", 3)]
_MADVISE = getattr(ctypes.CDLL(None, use_errno=True), "madvise", None)
if _MADVISE is not None:
    _MADVISE.argtypes, _MADVISE.restype = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int], ctypes.c_int
PRELOAD_CHUNK = 8 * 2 ** 20


def mapping(array: np.ndarray) -> mmap.mmap | None:
    """The memory map under an array made by `map_npy`, or None (read whole, or derived)."""
    base = array.base
    while base is not None and not isinstance(base, mmap.mmap):
        base = base.obj if isinstance(base, memoryview) else getattr(base, "base", None)
    return base


def preload_map(mapped: mmap.mmap) -> int:
    """Map a memory map's pages into this process, a chunk at a time (see the module docstring); its bytes."""
    for start in range(0, len(mapped), PRELOAD_CHUNK):
        if not _advise(mapped, start, min(PRELOAD_CHUNK, len(mapped) - start)):
            break
    return len(mapped)


def _advise(mapped: mmap.mmap, start: int, length: int) -> bool:
    """Advise a chunk of a map to be preloaded (the first advice the kernel knows); False if none can be."""
    address = np.frombuffer(mapped, np.uint8).ctypes.data + start  # a map starts on a page
    while _POPULATE and _MADVISE is not None:
        advice = _POPULATE[0]
        if _MADVISE(address, length, advice) == 0:
            return True
        if ctypes.get_errno() != errno.EINVAL:  # the file cut short under us, a signal: leave the rest to faults
            return False
        with suppress(ValueError):  # a kernel before 5.14 (or no Linux): read ahead instead, else nothing
            _POPULATE.remove(advice)
    return False
