"""Saved searches as Atom feeds: GET /api/v1/search.atom?q=... in any feed reader.

A feed is the newest articles a search matches (Index.search sorted newest
first), written by feedgen so the XML is well formed and valid Atom (RFC 4287):
the feed's id is its own URL, so the same search is the same feed; each entry's
id is a stable tag URI of the article id, so a reader never shows an article
twice, even after it is corrected.  An entry links to the article's own URL when
it has one and to its page in this archive otherwise, and carries the byline
as author, the best passage as summary, and source and entities as categories.

Atom requires an `updated` time on every entry: an article's publication time,
or, for an article without a date, the time this archive first stored it
(`first_seen`, kept across updates), never the time of the last commit: an
unrelated write must not make a reader think every entry changed.  The feed's
own `updated` is its newest entry's.  Title and subtitle say which search the
feed follows: the query and every filter.  Links are absolute URLs on the
public base URL (service/links.py), never on the request's Host header, and
only http(s) article URLs become links.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from index import Hit, Index, NotFound, SearchRequest, SearchResult
from service.responses import web_url

TAG_AUTHORITY = "newsindex"
# The stamp of an undated article stored before first-seen stamps existed: fixed, so it never moves.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)
FILTER_LABELS = (("source", "source"), ("entity", "entity"), ("person", "person"), ("org", "organisation"),
                 ("place", "place"))


def entry_id(article_id: str) -> str:
    """A stable, globally unique id for an article's entry (RFC 4151 tag URI)."""
    return f"tag:{TAG_AUTHORITY},2026:article:{xml_text(article_id)}"


# Characters XML 1.0 cannot carry at all (a query may contain them; text rarely does).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot hold."""
    return NOT_XML.sub("", text)


def category_scheme(kind: str) -> str:
    """The scheme IRI of a category: source, person, org or place."""
    return f"tag:{TAG_AUTHORITY},2026:{kind}"


def _aware(moment: datetime) -> datetime:
    """Stored dates carry no zone; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def describe_search(request: SearchRequest) -> tuple[str, str]:
    """(title, filters): the query as typed, and its filters and dates in words."""
    query = xml_text(request.q).strip()
    parts = []
    for name, label in FILTER_LABELS:
        values = [xml_text(v) for v in getattr(request, name)]
        if values:
            joiner = " or " if name == "source" else " and "
            parts.append(f"{label}: {joiner.join(values)}")
    if request.date_from or request.date_to:
        parts.append(f"published {request.date_from or '…'} to {request.date_to or '…'}")
    if request.match != "auto":
        parts.append(f"match: {request.match}")
    return (f"“{query}”" if query else "newest articles"), "; ".join(parts)


def first_seen_of(index: Index, ids: list[str]) -> dict[str, datetime]:
    """When each article was first stored (for undated entries); a vanished one is left out."""
    found = {}
    for article_id in ids:
        try:
            found[article_id] = index.get(article_id).first_seen or UNKNOWN_TIME
        except NotFound:  # deleted since the search
            continue
    return found


def atom_feed(result: SearchResult, request: SearchRequest, *, self_url: str, page_url: str, article_url,
              first_seen: dict[str, datetime]) -> bytes:
    """The Atom document for one search result (hits already newest first).

    `article_url(id)` is the article's page in this archive; `page_url` the
    search page showing the same search; `first_seen` the first-stored time of
    each undated hit.
    """
    query, filters = describe_search(request)
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(f"newsindex: {query}" + (f" ({filters})" if filters else ""))
    feed.subtitle(f"{result.total} article(s) matching {query}" + (f", {filters}" if filters else "")
                  + f"; the newest {len(result.hits)} are listed")
    feed.author({"name": "newsindex"})
    feed.generator("newsindex")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    times = {hit.id: entry_time(hit, first_seen) for hit in result.hits}
    feed.updated(max(times.values(), default=UNKNOWN_TIME))
    for hit in result.hits:
        _add_entry(feed, hit, article_url(hit.id), times[hit.id])
    return feed.atom_str(pretty=True)


def entry_time(hit: Hit, first_seen: dict[str, datetime]) -> datetime:
    """An entry's `updated`: the article's own date, else when it was first stored."""
    if hit.published:
        return _aware(hit.published)
    return _aware(first_seen.get(hit.id) or UNKNOWN_TIME)


def is_web_url(url: str | None) -> bool:
    """Only http(s) URLs XML can hold become links (never javascript:, data:, vbscript: ...)."""
    return web_url(url) is not None and not NOT_XML.search(url)


def _add_entry(feed: FeedGenerator, hit: Hit, page_url: str, when: datetime) -> None:
    entry = feed.add_entry(order="append")  # feedgen prepends by default; hits are already newest first
    entry.id(entry_id(hit.id))
    entry.title(xml_text(hit.title or "").strip() or xml_text(hit.id).strip() or "(untitled)")
    # One link only: feedgen 1.0 drops rel and type from entry links, so a second
    # link would be a second "alternate", which Atom forbids.
    entry.link(href=web_url(hit.url) if is_web_url(hit.url) else page_url, rel="alternate")
    entry.updated(when)
    if hit.published:
        entry.published(when)
    if hit.byline and xml_text(hit.byline).strip():
        entry.author({"name": xml_text(hit.byline).strip()})
    if hit.passages:
        entry.summary(xml_text(hit.passages[0].text))
    for kind, names in (("source", [hit.source] if hit.source else []),
                        *((kind, hit.entities.get(kind, [])) for kind in ("person", "org", "place"))):
        for name in names:
            if term := xml_text(name).strip():
                entry.category(term=term, label=term, scheme=category_scheme(kind))
