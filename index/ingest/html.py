"""Saved web pages -> Articles: trafilatura finds the main text and the page's metadata.

Navigation, cookie banners, related links, comments and footers are left out.
The extracted text is reflowed like any other (a page may hold hard-wrapped
text in a <pre>), its metadata validated like a record's (index/ingest/validate.py).
"""

from __future__ import annotations

from datetime import datetime

from index.article import Article, content_id
from index.errors import InvalidArticle
from index.ingest.datelines import split_dateline
from index.ingest.dates import parse_date
from index.ingest.outlets import Outlets
from index.ingest.reflow import reflow
from index.ingest.validate import Limits, check_date, check_size, check_url, clean_line, clean_text


def _extract(html: str) -> dict | None:
    import trafilatura  # lazy: only HTML needs it, and it is slow to import

    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_tables=False,
                                          favor_precision=True)
    except (ValueError, TypeError, AttributeError, RecursionError, LookupError):
        return None  # a page lxml or trafilatura cannot make sense of: no article text
    if doc is None:
        return None
    return doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)


def _meta(data: dict, name: str) -> str | None:
    """A metadata string from the page, or None when it is missing or not valid text (it is only a hint)."""
    value = data.get(name)
    if not isinstance(value, str):
        return None
    try:
        return clean_line(value, name) or None
    except InvalidArticle:
        return None


def article_from_html(html: str, outlets: Outlets, origin: str | None = None, id: str | None = None,
                      defaults: dict | None = None, limits: Limits | None = None) -> Article:
    """One saved web page. `defaults` (from a record or API body) win over what the page says.

    Raises InvalidArticle when the page is not valid text, is over the size
    limit, or holds no article text.
    """
    limits = limits or Limits()
    html = clean_text(html, "html")
    check_size(len(html), limits, "html")
    data = _extract(html)
    body = reflow(clean_text(data.get("text") or "", "html")) if data else ""
    if not body.strip():
        raise InvalidArticle("no article text found in the HTML page", "html")
    defaults = defaults or {}
    warnings: list[str] = []
    place, agency, body = split_dateline(body, outlets.find)
    title = defaults.get("title") or _meta(data, "title") or body.split("\n", 1)[0][:200].strip()
    published = defaults.get("published")
    if published is None and (stated := _meta(data, "date")):
        published, warning = check_date(parse_date(stated), limits)
        warnings += [warning] if warning else []
    url = defaults.get("url")
    if url is None:
        url, warning = check_url(_meta(data, "url"))
        warnings += [warning] if warning else []
    return Article(
        id=id or content_id(title, body),
        title=title,
        body=body,
        source=outlets.normalise(defaults.get("source") or _meta(data, "sitename") or agency),
        published=published if isinstance(published, datetime) else None,
        byline=defaults.get("byline") or _meta(data, "author"),
        url=url,
        summary=_meta(data, "description"),
        origin=origin,
        dateline=defaults.get("dateline") or place,
        warnings=warnings,
    )
