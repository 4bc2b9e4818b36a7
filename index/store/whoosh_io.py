"""One fix to Whoosh, applied when the index package is imported.

Whoosh opens a compound segment (`*.seg`) with mmap, then wraps each file inside
it in a `BufferFile` whose `BytesIO(memoryview)` *copies* the bytes: opening a
searcher read the whole index into every process's private memory (1.1 GB
for the 1.5 GB Reuters 10x index, in each gunicorn worker).  Here the wrapper
reads from the memory map instead, so the pages stay in the shared OS page
cache and a worker holds only what it has computed.
"""

from __future__ import annotations

from whoosh.filedb import structfile


class MemoryReader:
    """A read-only, zero-copy file over a buffer (what BytesIO would be if it did not copy)."""

    def __init__(self, buf):
        self._buf = buf
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        data = bytes(self._buf[self._pos:end])
        self._pos = end
        return data

    def readinto(self, target) -> int:
        data = self.read(len(target))
        target[:len(data)] = data
        return len(data)

    def readline(self, size: int = -1) -> bytes:
        limit = len(self._buf) if size is None or size < 0 else min(len(self._buf), self._pos + size)
        end = self._pos
        while end < limit:
            chunk = bytes(self._buf[end:min(limit, end + 4096)])
            found = chunk.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(chunk)
        return self.read(end - self._pos)

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


structfile.BufferFile.__init__ = _buffer_file_init
