"""Writes through the API: one article (PUT, POST, PATCH, DELETE), NDJSON bulk loads, bulk deletes.

Every write runs the same pipeline as `newsindex ingest` (article_from_record,
then Index.put / Index.ingest: passages, entities) and returns only after the
backend's commit, which is durable when it returns (index/store/writer.py
fsyncs), so a 2xx means the article is on disk and every search that starts
afterwards finds it.  Whether an article was created or replaced, and which of
a bulk delete's ids existed, is decided under the index's write lock, so of two
concurrent creates of one id exactly one is told 201.  Writers in other
gunicorn workers are serialised by Whoosh's lock; waiting for it is bounded
(NEWSINDEX_WRITE_LOCK_TIMEOUT) and ends in IndexBusy (503 with Retry-After);
a full disk is IndexFull (507).

A bulk body is one JSON article per line.  Each line is parsed on its own, so
a bad line is reported in its place and the others are still written; valid
lines are committed in batches of NEWSINDEX_INGEST_BATCH_SIZE, and a line
identical to the stored article is reported `unchanged` and not rewritten.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field

from marshmallow import ValidationError

from index import Article, Index, IndexBusy, InvalidArticle, SearchRequest, article_from_record
from index.errors import IndexFull
from service import exports
from service.bodies import BodyError, parse_json
from service.errors import ApiError, error_body
from service.schemas import ArticleIn

# Ids that name endpoints under /api/v1/articles/, and so cannot name an article there.
RESERVED_IDS = frozenset({"bulk", "bulk-delete", "delete-by-query"})
MAX_ID_LENGTH = 256
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
INVALID_TEXT = "the article holds text that is not valid Unicode (a lone surrogate such as \\ud800)"
RESULTS = {"added": ("created", 201), "updated": ("updated", 200), "unchanged": ("unchanged", 200)}


def id_problem(article_id: str) -> str | None:
    """Why `article_id` cannot be an article's id over HTTP, or None when it can.

    Ids may contain `/` (routes take the rest of the path), but not segments a
    client would rewrite (empty, `.`, `..`), nor the names of the endpoints.
    """
    if not 1 <= len(article_id) <= MAX_ID_LENGTH:
        return f"id must be 1 to {MAX_ID_LENGTH} characters"
    if CONTROL.search(article_id):
        return "id must not contain control characters"
    if article_id in RESERVED_IDS or article_id.endswith("/related"):
        return f"id {article_id!r} is reserved: it names an endpoint"
    if any(part in ("", ".", "..") for part in article_id.split("/")):
        return "id must not start or end with /, contain //, or have . or .. between slashes"
    return None


def check_article_id(article_id: str) -> None:
    """Raise ApiError 400 for an id no article may have."""
    if problem := id_problem(article_id):
        raise ApiError(400, "invalid_parameter", problem, "id")


def article_from_body(body: dict, index: Index, article_id: str | None = None, origin: str = "api") -> Article:
    """Turn a validated JSON body into an Article. Raises InvalidArticle naming the field."""
    if article_id is not None and body.get("id") not in (None, article_id):
        raise InvalidArticle(f"id in the body ({body['id']!r}) differs from the id in the URL ({article_id!r})", "id")
    return article_from_record(dict(body), index.outlets, origin=origin, id=article_id)


def put_article(index: Index, article_id: str, body: dict) -> tuple[Article, bool]:
    """Create or replace one article; returns the stored article and whether it was created.

    Raises ApiError/InvalidArticle (400), IndexBusy (503) or IndexFull (507).
    """
    check_article_id(article_id)
    article = article_from_body(body, index, article_id)
    created = index.put(article)
    return index.get(article_id), created


def post_article(index: Index, body: dict) -> Article:
    """Create an article under a new generated id; returns it as stored."""
    if body.get("id") is not None:
        raise ApiError(400, "invalid_article", "POST generates the id; to choose one, "
                       "PUT /api/v1/articles/{id}", "id")
    article_id = uuid.uuid4().hex
    article = article_from_body(body, index, article_id)
    index.put(article)
    return index.get(article_id)


def patch_article(index: Index, article_id: str, patch: dict) -> Article:
    """Change some fields of a stored article (JSON merge patch) and run the pipeline again.

    Raises NotFound (404), InvalidArticle (400), IndexBusy (503) or IndexFull (507).
    """
    stored = index.get(article_id)
    if patch.get("id") not in (None, article_id):
        raise InvalidArticle(f"id in the body ({patch['id']!r}) differs from the id in the URL ({article_id!r})", "id")
    record = {"title": stored.title, "body": stored.body, "source": stored.source, "url": stored.url,
              "byline": stored.byline,
              "published": exports.utc_iso(stored.published)}
    if "html" in patch:
        record.pop("body")
        if "title" not in patch:
            record.pop("title")
    record.update({name: value for name, value in patch.items() if name != "id"})
    article = article_from_record({k: v for k, v in record.items() if v is not None}, index.outlets,
                                  origin="api", id=article_id)
    if "body" not in patch and "html" not in patch:
        article.summary = stored.summary
    index.put(article)
    return index.get(article_id)


def delete_article(index: Index, article_id: str) -> None:
    """Remove one article. Raises ApiError 404 when there is no such article, IndexBusy (503)."""
    if article_id not in index.remove([article_id]):
        raise ApiError(404, "not_found", f"no article with id {article_id!r}")


def delete_ids(index: Index, ids: list[str]) -> dict:
    """Remove many articles in one commit; report each id as deleted or not_found."""
    started = time.perf_counter()
    existed = index.remove(ids)
    items = [{"id": article_id, "result": "deleted" if article_id in existed else "not_found"}
             for article_id in dict.fromkeys(ids)]
    deleted = sum(1 for item in items if item["result"] == "deleted")
    return {"took_ms": _ms(started), "deleted": deleted, "not_found": len(items) - deleted, "items": items}


def delete_matching(index: Index, request: SearchRequest, limit: int, dry_run: bool = False) -> dict:
    """Remove every article a search matches (at most `limit` per call), in one commit.

    A search that names nothing (no query, no filter, no date) is refused:
    emptying the archive is not something to do by leaving a field out.
    """
    started = time.perf_counter()
    filters = (request.source, request.entity, request.person, request.org, request.place,
               request.date_from, request.date_to)
    if request.is_browse and not any(filters):
        raise ApiError(400, "invalid_body", "this would delete every article: give a query (q) or a filter", "q")
    export = exports.start_export(index, request, limit)
    ids = [row["id"] for row in export.rows]
    existed = set() if dry_run else index.remove(ids)
    removed = ids if dry_run else [article_id for article_id in ids if article_id in existed]
    return {"took_ms": _ms(started), "dry_run": dry_run, "matched": export.first.total,
            "deleted": 0 if dry_run else len(removed), "ids": removed,
            "partial": export.first.partial, "truncated": export.first.total > limit}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


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
                "updated": self.count("updated"), "unchanged": self.count("unchanged"), "failed": failed,
                "items": self.items}


def _failure(line: int, status: int, code: str, message: str, param: str | None = None,
             article_id: str | None = None) -> BulkItem:
    return BulkItem(line, False, status, article_id, None, error_body(status, code, message, param)["error"])


def parse_line(number: int, raw: bytes, index: Index, schema: ArticleIn) -> Article | BulkItem:
    """One NDJSON line -> an Article, or a failed BulkItem saying what is wrong with it."""
    try:
        record = parse_json(raw)
    except BodyError as exc:
        return _failure(number, 400, "invalid_json", f"line {exc}")
    article_id = record.get("id") if isinstance(record, dict) else None
    article_id = str(article_id) if isinstance(article_id, (str, int)) and not isinstance(article_id, bool) else None
    try:
        if not isinstance(record, dict):
            raise InvalidArticle("each line must be one JSON object (an article)")
        if isinstance(record.get("id"), int) and not isinstance(record["id"], bool):
            record["id"] = str(record["id"])
        body = schema.load(record)
        if body.get("id") is not None:
            check_article_id(body["id"])
        return article_from_body(body, index, origin=f"bulk line {number}")
    except ValidationError as exc:
        param, problems = next(iter(exc.messages.items()))
        text = problems[0] if isinstance(problems, list) else str(problems)
        return _failure(number, 400, "invalid_article", f"{param}: {text}", str(param), article_id)
    except InvalidArticle as exc:
        return _failure(number, 400, "invalid_article", str(exc), exc.field, article_id)
    except ApiError as exc:
        return _failure(number, exc.status, exc.code, exc.message, exc.param, article_id)
    except RecursionError:
        return _failure(number, 400, "invalid_json", "line is nested too deeply", None, article_id)
    except UnicodeError:
        return _failure(number, 400, "invalid_article", INVALID_TEXT, None, article_id)


def parse_bulk(data: bytes, index: Index) -> tuple[list[tuple[int, Article]], list[BulkItem]]:
    """Each non-blank line -> (line number, Article), or a failed BulkItem saying what is wrong with it."""
    articles: list[tuple[int, Article]] = []
    failures: list[BulkItem] = []
    schema = ArticleIn()
    for number, raw in enumerate(data.split(b"\n"), 1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte order mark opens the body, not the first article
        if not raw.strip():
            continue
        parsed = parse_line(number, raw, index, schema)
        if isinstance(parsed, BulkItem):
            failures.append(parsed)
        else:
            articles.append((number, parsed))
    return articles, failures


def bulk_write(index: Index, data: bytes, batch_size: int) -> BulkReport:
    """Write every valid line of an NDJSON body, one commit per batch; report every line.

    Raises ApiError 400 when the body holds no line at all, and IndexBusy or
    IndexFull when the first batch cannot be written (nothing was).  When a later
    batch cannot, the lines already committed stay committed and the rest are
    reported with 503 `index_busy` or 507 `insufficient_storage`, each in its place.
    """
    started = time.perf_counter()
    articles, failures = parse_bulk(data, index)
    if not articles and not failures:
        raise ApiError(400, "invalid_body", "the body holds no articles; send one JSON article per line (NDJSON)")
    batches: list[dict[str, str]] = []  # each committed batch's outcome per id, in order
    try:
        index.ingest([article for _, article in articles], batch_size=batch_size,
                     on_batch=lambda report: batches.append(report.outcomes))
    except (IndexBusy, IndexFull) as exc:
        if not batches:
            raise
        written = len(batches) * batch_size
        status, code = (503, "index_busy") if isinstance(exc, IndexBusy) else (507, "insufficient_storage")
        failures += [_failure(number, status, code, f"{exc}; retry this line", None, article.id)
                     for number, article in articles[written:]]
        articles = articles[:written]
    items = failures + _written_items(articles, batches, batch_size)
    return BulkReport(items=sorted(items, key=lambda item: item.line), took_ms=(time.perf_counter() - started) * 1000)


def _written_items(articles: list[tuple[int, Article]], batches: list[dict[str, str]], batch_size: int) -> list[BulkItem]:
    """Per written line: created, updated or unchanged.

    Within a batch the last line of an id is the version stored; an id seen
    earlier in the same body was created (or updated) by its first line, so
    the later lines report `updated`.
    """
    items, seen = [], set()
    for position, (number, article) in enumerate(articles):
        outcome = batches[position // batch_size].get(article.id, "updated")
        if article.id in seen:
            outcome = "updated" if outcome != "unchanged" else outcome
        seen.add(article.id)
        result, status = RESULTS[outcome]
        items.append(BulkItem(number, True, status, article.id, result))
    return items
