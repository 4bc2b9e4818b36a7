"""Exports: every article a search matches, as CSV or NDJSON, streamed.

    GET /api/v1/search.csv?q=Kalbajar      id,title,source,published,url,score,passage,person,org,place
    GET /api/v1/search.ndjson?q=Kalbajar   {"id": ..., "passage": ..., "entities": {"person": [...], ...}}

Rows come from the same Index.search as the JSON API, page after page (so the
ranking, filters and best passage are the same), up to NEWSINDEX_EXPORT_MAX
articles: an export is how a search is taken whole, so it may page past
NEWSINDEX_MAX_RESULTS_WINDOW, which bounds interactive paging only.  The first
page is fetched before the response starts, so a bad query is still a clean
400, and its total tells the headers whether the export was cut:

    X-Total-Count: 12873       articles the search matches
    X-Export-Limit: 10000      most articles one export returns
    X-Export-Truncated: true   fewer rows than matches (narrow the search)

CSV cells that a spreadsheet would run as a formula (starting with = + - @)
get a leading apostrophe, since these files are opened in spreadsheets.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Iterable, Iterator

from index import Hit, Index, SearchRequest, SearchResult

CSV_COLUMNS = ("id", "title", "source", "published", "url", "score", "passage", "person", "org", "place")
ENTITY_TYPES = ("person", "org", "place")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


EXPORT_PAGE = 500  # hits fetched per search while exporting: fewer, larger pages re-rank less


@dataclass
class ExportRequest(SearchRequest):
    """A SearchRequest allowed to page up to `limit` results in pages of EXPORT_PAGE.

    The interactive bounds (per_page, results window) exist to keep the JSON
    API's pages small; an export is the way to take everything, so it has its own.
    """

    limit: int = 10_000

    def check(self, max_per_page: int = 100, max_window: int = 10_000) -> None:
        super().check(max(max_per_page, EXPORT_PAGE), max(max_window, self.limit))


@dataclass
class Export:
    """An export about to stream: its first page is already fetched, so its totals are known."""

    first: SearchResult
    rows: Iterator[dict]
    limit: int

    @property
    def headers(self) -> dict[str, str]:
        truncated = self.first.total > self.limit
        headers = {"X-Total-Count": str(self.first.total), "X-Export-Limit": str(self.limit),
                   "X-Export-Truncated": "true" if truncated else "false"}
        if self.first.partial:
            headers["X-Search-Partial"] = "true"
        return headers


def start_export(index: Index, request: SearchRequest, limit: int) -> Export:
    """Run the first page now (raising InvalidQuery for a bad search) and stream the rest lazily."""
    per_page = max(1, min(EXPORT_PAGE, limit))
    base = ExportRequest(**{**vars(request), "page": 1, "per_page": per_page, "facets": False, "passages": 1},
                         limit=limit)
    first = index.search(base)
    return Export(first=first, rows=_rows(index, base, first, limit), limit=limit)


def _rows(index: Index, base: ExportRequest, first: SearchResult, limit: int) -> Iterator[dict]:
    """Every hit of the search as a flat dict, page by page, each article once, at most `limit`."""
    seen: set[str] = set()
    result, page = first, 1
    while True:
        for hit in result.hits:
            if hit.id in seen:  # a commit between two pages can shift a hit onto the next page
                continue
            seen.add(hit.id)
            yield row(hit)
            if len(seen) >= limit:
                return
        if page >= result.pages or not result.hits or page * base.per_page >= limit:
            return
        page += 1
        result = index.search(replace(base, page=page))


def utc_iso(moment: datetime | None) -> str | None:
    """RFC 3339 with the offset, as the JSON API writes it (stored dates are UTC)."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def row(hit: Hit) -> dict:
    """One exported article: metadata, score, best passage as text, entities by type."""
    return {
        "id": hit.id,
        "title": hit.title,
        "source": hit.source,
        "published": utc_iso(hit.published),
        "url": hit.url,
        "score": hit.score,
        "passage": hit.passages[0].text if hit.passages else None,
        "entities": {kind: list(hit.entities.get(kind, [])) for kind in ENTITY_TYPES},
    }


def ndjson_lines(rows: Iterable[dict]) -> Iterator[str]:
    for item in rows:
        yield json.dumps(item, ensure_ascii=False) + "\n"


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[dict]) -> Iterator[str]:
    """The header, then one CSV record per row; entity lists are joined with "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for item in rows:
        flat = {**item, **{kind: "; ".join(item["entities"][kind]) for kind in ENTITY_TYPES}}
        writer.writerow([_cell(flat[column]) for column in CSV_COLUMNS])
        yield flush()
