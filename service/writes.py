"""Writes through the API: one article by id (PUT/DELETE) and NDJSON bulk loads.

Every write runs the same pipeline as `newsindex ingest` (article_from_record,
then Index.put / Index.ingest: passages, entities) and returns only after the
backend's commit, which is durable when it returns (index/store/writer.py
fsyncs), so a 2xx means the article is on disk and every search that starts
afterwards finds it.  Writers in other gunicorn workers are serialised by Whoosh's lock;
waiting for it is bounded (NEWSINDEX_WRITE_LOCK_TIMEOUT) and ends in IndexBusy,
which the error handlers turn into 503 with Retry-After.

A bulk body is one JSON article per line.  Each line is parsed on its own, so
a bad line is reported in its place and the others are still written; valid
lines are committed in batches of NEWSINDEX_INGEST_BATCH_SIZE.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from marshmallow import ValidationError

from index import Article, Index, IndexBusy, InvalidArticle, article_from_record
from service.errors import ApiError, error_body
from service.schemas import ARTICLE_ID, ArticleIn


def check_article_id(article_id: str) -> None:
    """Raise ApiError 400 for an id no article may have (too long, control characters)."""
    try:
        ARTICLE_ID(article_id)
    except ValidationError as exc:
        raise ApiError(400, "invalid_parameter", str(exc.messages[0]), "id") from None


def article_from_body(body: dict, index: Index, article_id: str | None = None, origin: str = "api") -> Article:
    """Turn a validated JSON body into an Article. Raises InvalidArticle naming the field."""
    if article_id is not None and body.get("id") not in (None, article_id):
        raise InvalidArticle(f"id in the body ({body['id']!r}) differs from the id in the URL ({article_id!r})", "id")
    return article_from_record(dict(body), index.outlets, origin=origin, id=article_id)


def put_article(index: Index, article_id: str, body: dict) -> tuple[Article, bool]:
    """Create or replace one article; returns the stored article and whether it was created.

    Raises InvalidArticle (400) or IndexBusy (503).
    """
    check_article_id(article_id)
    article = article_from_body(body, index, article_id)
    created = index.put(article)
    return index.get(article_id), created


def delete_article(index: Index, article_id: str) -> None:
    """Remove one article. Raises ApiError 404 when there is no such article, IndexBusy (503)."""
    if not index.delete([article_id]):
        raise ApiError(404, "not_found", f"no article with id {article_id!r}")


# -- bulk -------------------------------------------------------------------------------


@dataclass
class BulkItem:
    line: int
    ok: bool
    status: int
    id: str | None = None
    result: str | None = None
    error: dict | None = None


@dataclass
class BulkReport:
    items: list[BulkItem] = field(default_factory=list)
    took_ms: float = 0.0

    def count(self, result: str) -> int:
        return sum(1 for item in self.items if item.result == result)

    def as_dict(self) -> dict:
        failed = sum(1 for item in self.items if not item.ok)
        return {"took_ms": round(self.took_ms, 2), "errors": failed > 0, "created": self.count("created"),
                "updated": self.count("updated"), "failed": failed, "items": self.items}


def _failure(line: int, status: int, code: str, message: str, param: str | None = None,
             article_id: str | None = None) -> BulkItem:
    return BulkItem(line, False, status, article_id, None, error_body(status, code, message, param)["error"])


def parse_bulk(data: bytes, index: Index) -> tuple[list[tuple[int, Article]], list[BulkItem]]:
    """Each non-blank line -> (line number, Article), or a failed BulkItem saying what is wrong with it."""
    articles: list[tuple[int, Article]] = []
    failures: list[BulkItem] = []
    schema = ArticleIn()
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            failures.append(_failure(number, 400, "invalid_json", "line is not UTF-8"))
            continue
        except json.JSONDecodeError as exc:
            failures.append(_failure(number, 400, "invalid_json", f"line is not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        article_id = record.get("id") if isinstance(record, dict) else None
        article_id = str(article_id) if isinstance(article_id, (str, int)) else None
        try:
            if not isinstance(record, dict):
                raise InvalidArticle("each line must be one JSON object (an article)")
            if isinstance(record.get("id"), int):
                record["id"] = str(record["id"])
            body = schema.load(record)
            if body.get("id") is not None:
                check_article_id(body["id"])
            articles.append((number, article_from_body(body, index, origin=f"bulk line {number}")))
        except ValidationError as exc:
            param, problems = next(iter(exc.messages.items()))
            text = problems[0] if isinstance(problems, list) else str(problems)
            failures.append(_failure(number, 400, "invalid_article", f"{param}: {text}", param, article_id))
        except InvalidArticle as exc:
            failures.append(_failure(number, 400, "invalid_article", str(exc), exc.field, article_id))
        except ApiError as exc:
            failures.append(_failure(number, exc.status, exc.code, exc.message, exc.param, article_id))
    return articles, failures


def bulk_write(index: Index, data: bytes, batch_size: int) -> BulkReport:
    """Write every valid line of an NDJSON body, one commit per batch; report every line.

    Raises ApiError 400 when the body holds no line at all, and IndexBusy when
    the first batch cannot get the lock (nothing was written).  When a later
    batch cannot, the lines already committed stay committed and the rest are
    reported as 503 `index_busy`, each in its place.
    """
    started = time.perf_counter()
    articles, failures = parse_bulk(data, index)
    if not articles and not failures:
        raise ApiError(400, "invalid_body", "the body holds no articles; send one JSON article per line (NDJSON)")
    written: list[BulkItem] = []
    seen: set[str] = set()  # an id repeated in one body: the first line creates, later ones replace
    for start in range(0, len(articles), batch_size):
        batch = articles[start:start + batch_size]
        existed = []
        for _, article in batch:
            existed.append(article.id in seen or index.exists(article.id))
            seen.add(article.id)
        try:
            index.ingest([article for _, article in batch], batch_size=len(batch))
        except IndexBusy as exc:
            if start == 0:
                raise
            for number, article in articles[start:]:
                written.append(_failure(number, 503, "index_busy", f"{exc}; retry this line", None, article.id))
            break
        for (number, article), was_there in zip(batch, existed):
            created = not was_there
            written.append(BulkItem(number, True, 201 if created else 200, article.id,
                                    "created" if created else "updated"))
    items = sorted([*written, *failures], key=lambda item: item.line)
    return BulkReport(items=items, took_ms=(time.perf_counter() - started) * 1000)
