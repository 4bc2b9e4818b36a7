"""Saved searches as Atom feeds: GET /api/v1/search.atom?q=... in any feed reader.

A feed is the newest articles a search matches (Index.search sorted newest
first), written by feedgen so the XML is well formed and valid Atom (RFC 4287):
the feed's id is its own URL, so the same search is the same feed; each entry's
id is a stable tag URI of the article id, so a reader never shows an article
twice, even after it is corrected.  An entry links to the article's own URL when
it has one and to its page in this archive otherwise, and carries the byline
as author, the best passage as summary, and source and entities as categories.

Atom requires an `updated` time on every entry: an article's publication time,
or, for an article without a date, the time of the index's last commit.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from feedgen.feed import FeedGenerator

from index import Hit, SearchResult

TAG_AUTHORITY = "newsindex"


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


def atom_feed(result: SearchResult, *, self_url: str, page_url: str, article_url,
              last_commit: datetime | None) -> bytes:
    """The Atom document for one search result (hits already newest first).

    `article_url(id)` is the article's page in this archive; `page_url` the
    search page showing the same search.
    """
    fallback = _aware(last_commit) if last_commit else datetime.now(timezone.utc)
    query = xml_text(result.query).strip()
    title = f"newsindex: {query}" if query else "newsindex: newest articles"
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.subtitle(f"{result.total} matching article(s); the newest {len(result.hits)} are listed")
    feed.author({"name": "newsindex"})
    feed.generator("newsindex")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    updated = [_aware(hit.published) for hit in result.hits if hit.published]
    feed.updated(max(updated, default=fallback))
    for hit in result.hits:
        _add_entry(feed, hit, article_url(hit.id), fallback)
    return feed.atom_str(pretty=True)


def _add_entry(feed: FeedGenerator, hit: Hit, page_url: str, fallback: datetime) -> None:
    entry = feed.add_entry(order="append")  # feedgen prepends by default; hits are already newest first
    entry.id(entry_id(hit.id))
    entry.title(xml_text(hit.title or hit.id))
    # One link only: feedgen 1.0 drops rel and type from entry links, so a second
    # link would be a second "alternate", which Atom forbids.
    entry.link(href=hit.url or page_url, rel="alternate")
    when = _aware(hit.published) if hit.published else fallback
    entry.updated(when)
    if hit.published:
        entry.published(when)
    if hit.byline:
        entry.author({"name": xml_text(hit.byline)})
    if hit.passages:
        entry.summary(xml_text(hit.passages[0].text))
    if hit.source:
        entry.category(term=xml_text(hit.source), label=xml_text(hit.source), scheme=category_scheme("source"))
    for kind in ("person", "org", "place"):
        for name in hit.entities.get(kind, []):
            entry.category(term=xml_text(name), label=xml_text(name), scheme=category_scheme(kind))
