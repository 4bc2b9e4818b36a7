"""Reading articles from files: plain text, JSON, JSON Lines and HTML.

`read_articles(paths, outlets)` walks files and folders and yields an `Article`
for every article it can read and a `Skipped` (path and reason) for every file
or line it cannot: unreadable, not UTF-8, binary, empty, malformed.  A bad file
never stops the batch.  `article_from_record` turns one JSON object (a JSON Lines
line or an API body) into an Article, so files and the API share one set of rules.
"""

from __future__ import annotations

import gzip
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Iterator

from index.article import Article, content_id
from index.ingest.dates import parse_date
from index.errors import InvalidArticle
from index.ingest.outlets import Outlets
from index.ingest.plaintext import parse_plain_text

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt", ".text", ".md"}
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"}
JSON_SUFFIXES = {".json"}
HTML_SUFFIXES = {".html", ".htm"}
MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """A file (or a line of one) that was not ingested, and why."""

    path: str
    reason: str


def _suffix(path: Path) -> str:
    suffixes = "".join(path.suffixes[-2:]).lower()
    return suffixes if suffixes in JSONL_SUFFIXES else path.suffix.lower()


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every file named, and every file below every folder named, in a stable order."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from (p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith("."))
        else:
            yield path


def read_articles(paths: Iterable[str | Path], outlets: Outlets) -> Iterator[Article | Skipped]:
    """Yield an Article or a Skipped for everything under `paths` (see module docstring)."""
    for path in iter_files(paths):
        suffix = _suffix(path)
        try:
            if suffix in JSONL_SUFFIXES:
                yield from _read_jsonl(path, outlets)
            elif suffix in JSON_SUFFIXES:
                yield from _read_json(path, _read_text(path), outlets)
            elif suffix in HTML_SUFFIXES:
                yield article_from_html(_read_text(path), outlets, origin=str(path))
            elif suffix in TEXT_SUFFIXES or not suffix:
                yield article_from_text(_read_text(path), outlets, origin=str(path))
            else:
                yield _skip(path, f"unsupported file type {suffix!r}")
        except (OSError, UnicodeDecodeError, ValueError, InvalidArticle) as exc:
            yield _skip(path, _reason(exc))


def _skip(path: Path | str, reason: str) -> Skipped:
    log.warning("skipped %s: %s", path, reason)
    return Skipped(str(path), reason)


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
    if isinstance(exc, OSError):
        return f"unreadable: {exc.strerror or exc}"
    return str(exc)


def _read_text(path: Path) -> str:
    """The file as text. Raises ValueError for binary, empty or oversized files."""
    size = path.stat().st_size
    if size == 0:
        raise ValueError("empty file")
    if size > MAX_FILE_BYTES:
        raise ValueError(f"file larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise ValueError("binary file")
    text = data.decode("utf-8")
    if not text.strip():
        raise ValueError("empty file")
    return text


def article_from_text(text: str, outlets: Outlets, origin: str | None = None, id: str | None = None) -> Article:
    """One plain-text article. Raises InvalidArticle when nothing readable is left."""
    try:
        parsed = parse_plain_text(text, outlets)
    except ValueError as exc:
        raise InvalidArticle(str(exc), "body") from None
    return Article(
        id=id or content_id(parsed.title, parsed.body),
        title=parsed.title,
        summary=parsed.summary,
        body=parsed.body,
        source=parsed.source,
        published=parsed.published,
        byline=parsed.byline,
        url=parsed.url,
        origin=origin,
    )


def article_from_html(html: str, outlets: Outlets, origin: str | None = None, id: str | None = None,
                      defaults: dict | None = None) -> Article:
    """One saved web page: trafilatura finds the main text and the page's metadata.

    Navigation, cookie banners, related links, comments and footers are left out.
    `defaults` (from an API body) win over what the page says.
    """
    import trafilatura  # lazy: only HTML needs it, and it is slow to import

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False,
                                      favor_precision=True)
    if doc is None:
        raise InvalidArticle("no article text found in the HTML page", "html")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    body = (data.get("text") or "").strip()
    if not body:
        raise InvalidArticle("no article text found in the HTML page", "html")
    defaults = defaults or {}
    title = (defaults.get("title") or data.get("title") or body.split("\n", 1)[0]).strip()
    published = defaults.get("published") or (parse_date(data["date"]) if data.get("date") else None)
    source = defaults.get("source") or data.get("sitename") or None
    return Article(
        id=id or content_id(title, body),
        title=title,
        body=body,
        source=outlets.normalise(source),
        published=published if isinstance(published, datetime) or published is None else parse_date(str(published)),
        byline=defaults.get("byline") or data.get("author") or None,
        url=defaults.get("url") or data.get("url") or None,
        summary=data.get("description") or None,
        origin=origin,
    )


def article_from_record(record: dict, outlets: Outlets, origin: str | None = None, id: str | None = None) -> Article:
    """One JSON article (`id`, `title`, `body` or `html`, optional `source`, `published`, `url`, `byline`).

    `text`/`content` are read as the body and `date` as `published` when those
    are absent, so common exports load as they are.  Raises InvalidArticle
    naming the field when a value is unusable.
    """
    if not isinstance(record, dict):
        raise InvalidArticle("an article must be a JSON object")
    article_id = id or record.get("id")
    if article_id is not None and not isinstance(article_id, (str, int)):
        raise InvalidArticle("id must be a string", "id")
    published_raw = record.get("published", record.get("date"))
    published = None
    if published_raw not in (None, ""):
        if not isinstance(published_raw, str) or not (published := parse_date(published_raw)):
            raise InvalidArticle(f"published is not a date: {published_raw!r}", "published")
    for name in ("title", "body", "html", "source", "url", "byline", "text", "content"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise InvalidArticle(f"{name} must be a string", name)
    title = (record.get("title") or "").strip()
    if record.get("html") and not record.get("body"):
        defaults = {"title": title, "published": published, "source": record.get("source"),
                    "url": record.get("url"), "byline": record.get("byline")}
        return article_from_html(record["html"], outlets, origin, id=str(article_id) if article_id else None,
                                 defaults=defaults)
    body = (record.get("body") or record.get("text") or record.get("content") or "").strip()
    if not body:
        raise InvalidArticle("article has no body text", "body")
    title = title or body.split("\n", 1)[0][:200]
    return Article(
        id=str(article_id) if article_id not in (None, "") else content_id(title, body),
        title=title,
        body=body,
        source=outlets.normalise(record.get("source")),
        published=published,
        url=record.get("url") or None,
        byline=record.get("byline") or None,
        origin=origin,
    )


def _read_jsonl(path: Path, outlets: Outlets) -> Iterator[Article | Skipped]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield article_from_record(json.loads(line), outlets, origin=where)
            except json.JSONDecodeError as exc:
                yield _skip(where, f"invalid JSON: {exc.msg}")
            except InvalidArticle as exc:
                yield _skip(where, str(exc))


def _read_json(path: Path, text: str, outlets: Outlets) -> Iterator[Article | Skipped]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield _skip(path, f"invalid JSON: {exc.msg} (line {exc.lineno})")
        return
    records = data if isinstance(data, list) else [data]
    for number, record in enumerate(records, 1):
        where = f"{path}[{number}]" if isinstance(data, list) else str(path)
        try:
            yield article_from_record(record, outlets, origin=where)
        except InvalidArticle as exc:
            yield _skip(where, str(exc))
