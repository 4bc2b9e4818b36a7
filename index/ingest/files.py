"""Files and folders -> Articles: plain text, JSON, JSON Lines (gzipped too) and HTML.

`read_articles(paths, outlets)` walks files and folders and yields an `Article`
for every article it can read and a `Skipped` (where, and why) for every file,
line or folder it cannot: unreadable, not UTF-8, binary, empty, malformed,
over a size limit, a dangling symlink, a symlink leading out of the folder
named.  Nothing stops the batch: a bad line costs that line, a bad file that file.

JSON Lines are read as bytes, a bounded line at a time, and decoded and parsed
per line, so one invalid UTF-8 line or one line that breaks the JSON parser
loses only itself, and a small .gz that expands to a huge line cannot take
more memory than NEWSINDEX_MAX_LINE_BYTES.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from index.article import Article
from index.errors import InvalidArticle
from index.ingest.html import article_from_html
from index.ingest.outlets import Outlets
from index.ingest.plaintext import article_from_text
from index.ingest.records import FieldMap, article_from_record
from index.ingest.validate import BadJson, Limits, decode_utf8, parse_json

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}
JSON_SUFFIXES = {".json"}
HTML_SUFFIXES = {".html", ".htm"}
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Skipped:
    """A file (or a line of one, or a folder) that was not ingested, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class Reader:
    """What every parser of one ingest shares: outlets, the corpus-wide source, field names, limits."""

    outlets: Outlets
    source: str | None = None
    field_map: FieldMap = FieldMap()
    limits: Limits = Limits()

    def record(self, record, origin: str) -> Article:
        return article_from_record(record, self.outlets, origin=origin, source=self.source,
                                   field_map=self.field_map, limits=self.limits)


def _skip(path: Path | str, reason: str) -> Skipped:
    log.warning("skipped %s: %s", path, reason)
    return Skipped(str(path), reason)


def _suffix(path: Path) -> str:
    suffixes = "".join(path.suffixes[-2:]).lower()
    return suffixes if suffixes in JSONL_SUFFIXES else path.suffix.lower()


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Every file named, and every file below every folder named, in a stable order.

    Hidden files and folders are left out.  Below a folder, symlinks are not
    followed out of it: a dangling symlink, a symlink to a file outside the
    folder, a symlinked folder and a folder that cannot be read are each a
    Skipped with the reason.  A file named directly is read as named.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_symlink() and not path.exists():
            yield _skip(path, "dangling symlink (its target does not exist)")
        else:
            yield path


def _walk(root: Path) -> Iterator[Path | Skipped]:
    real_root = root.resolve()
    errors: list[OSError] = []
    for folder, dirs, files in os.walk(root, onerror=errors.append):
        while errors:
            error = errors.pop()
            yield _skip(error.filename or folder, f"unreadable folder: {error.strerror or error}")
        here = Path(folder)
        dirs.sort()
        for name in list(dirs):
            if name.startswith("."):
                dirs.remove(name)
            elif (here / name).is_symlink():
                dirs.remove(name)
                yield _skip(here / name, "symlink to a folder: not followed")
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            if path.is_symlink():
                target = path.resolve()
                if not target.exists():
                    yield _skip(path, "dangling symlink (its target does not exist)")
                    continue
                if not target.is_relative_to(real_root):
                    yield _skip(path, f"symlink to a file outside {root}: not followed")
                    continue
                if not target.is_file():
                    yield _skip(path, "symlink to something that is not a file: not followed")
                    continue
            elif not path.is_file():
                yield _skip(path, "not a regular file")
                continue
            yield path
    while errors:
        error = errors.pop()
        yield _skip(error.filename or root, f"unreadable folder: {error.strerror or error}")


def read_articles(paths: Iterable[str | Path], outlets: Outlets, source: str | None = None,
                  settings=None) -> Iterator[Article | Skipped]:
    """Yield an Article or a Skipped for everything under `paths` (see module docstring).

    `source` is the corpus-wide source for articles that state none; `settings`
    (default: from the environment) gives the field map and the size limits.
    Raises ValueError when NEWSINDEX_FIELD_MAP is malformed.
    """
    if settings is None:
        from config.settings import Settings
        settings = Settings.from_env()
    reader = Reader(outlets, source or None, FieldMap.parse(settings.field_map), Limits.from_settings(settings))
    return _read_all(paths, reader)


def _read_all(paths: Iterable[str | Path], reader: Reader) -> Iterator[Article | Skipped]:
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from read_file(item, reader)


def read_file(path: Path, reader: Reader) -> Iterator[Article | Skipped]:
    """The articles of one file, and a Skipped for each part that could not be read."""
    suffix = _suffix(path)
    try:
        if suffix in JSONL_SUFFIXES:
            yield from _read_jsonl(path, reader)
        elif suffix in JSON_SUFFIXES:
            yield from _read_json(path, reader)
        elif suffix in HTML_SUFFIXES:
            yield article_from_html(_read_text(path, reader.limits), reader.outlets, origin=str(path),
                                    defaults={"source": reader.source} if reader.source else None,
                                    limits=reader.limits)
        elif suffix in TEXT_SUFFIXES or not suffix:
            yield article_from_text(_read_text(path, reader.limits), reader.outlets, origin=str(path),
                                    source=reader.source, limits=reader.limits)
        else:
            yield _skip(path, f"unsupported file type {suffix!r}")
    except (OSError, UnicodeDecodeError, ValueError, InvalidArticle, EOFError, zlib.error) as exc:
        yield _skip(path, _reason(exc))


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
        return f"damaged gzip file: {exc}"
    if isinstance(exc, OSError):
        return f"unreadable: {exc.strerror or exc}"
    return str(exc)


def _read_bytes(path: Path, limits: Limits) -> bytes:
    """The whole file. Raises ValueError for empty, oversized or binary files."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > limits.max_file_bytes:
        raise ValueError(f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} (NEWSINDEX_MAX_FILE_BYTES)")
    with path.open("rb") as handle:
        data = handle.read(limits.max_file_bytes + 1)
    if b"\x00" in data[:8192]:
        raise ValueError("binary file")
    return data


def _read_text(path: Path, limits: Limits) -> str:
    """The file as text (a BOM is dropped). Raises ValueError for binary, empty or oversized files."""
    text = decode_utf8(_read_bytes(path, limits), first=True)
    if not text.strip():
        raise ValueError("empty file")
    return text


def _read_json(path: Path, reader: Reader) -> Iterator[Article | Skipped]:
    try:
        data = parse_json(decode_utf8(_read_bytes(path, reader.limits), first=True))
    except BadJson as exc:
        yield _skip(path, str(exc))
        return
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, 1):
        where = f"{path}[{number}]" if isinstance(data, list) else str(path)
        try:
            yield reader.record(record, where)
        except InvalidArticle as exc:
            yield _skip(where, str(exc))


class _Expanded(Exception):
    """A .gz file expanded past NEWSINDEX_MAX_DECOMPRESSED_BYTES."""


def iter_lines(stream: BinaryIO, max_line_bytes: int, max_total_bytes: int | None = None
               ) -> Iterator[tuple[int, bytes | None]]:
    """(line number, the line's bytes without its newline) for each line; None for a line over `max_line_bytes`.

    Memory stays within `max_line_bytes` plus one chunk however long a line is.
    Raises _Expanded once more than `max_total_bytes` have been read.
    """
    buffer = bytearray()
    overlong = False
    number = 0
    total = 0
    while chunk := stream.read(CHUNK_BYTES):
        total += len(chunk)
        if max_total_bytes is not None and total > max_total_bytes:
            raise _Expanded(number)
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            number += 1
            if overlong or len(buffer) + end - start > max_line_bytes:
                yield number, None
            else:
                buffer += chunk[start:end]
                yield number, bytes(buffer)
            buffer.clear()
            overlong = False
            start = end + 1
        if not overlong:
            buffer += chunk[start:]
            if len(buffer) > max_line_bytes:
                overlong = True
                buffer.clear()
    if buffer or overlong:
        yield number + 1, None if overlong else bytes(buffer)


def _read_jsonl(path: Path, reader: Reader) -> Iterator[Article | Skipped]:
    limits = reader.limits
    compressed = path.suffix.lower() == ".gz"
    with (gzip.open(path, "rb") if compressed else path.open("rb")) as stream:
        try:
            for number, raw in iter_lines(stream, limits.max_line_bytes,
                                          limits.max_decompressed_bytes if compressed else None):
                item = _jsonl_line(path, number, raw, reader)
                if item is not None:
                    yield item
        except _Expanded as exc:
            yield _skip(path, f"expands to more than {limits.max_decompressed_bytes:,} bytes "
                              f"(NEWSINDEX_MAX_DECOMPRESSED_BYTES): lines after {exc.args[0]} not read")


def _jsonl_line(path: Path, number: int, raw: bytes | None, reader: Reader) -> Article | Skipped | None:
    where = f"{path}:{number}"
    if raw is None:
        return _skip(where, f"line longer than {reader.limits.max_line_bytes:,} bytes (NEWSINDEX_MAX_LINE_BYTES)")
    try:
        text = decode_utf8(raw, first=number == 1)
    except UnicodeDecodeError as exc:
        return _skip(where, f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1})")
    if not text.strip():
        return None
    try:
        return reader.record(parse_json(text), where)
    except (BadJson, InvalidArticle) as exc:
        return _skip(where, str(exc))
