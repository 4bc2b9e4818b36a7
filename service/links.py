"""Absolute URLs in answers, built on the configured public base URL, never on the Host header.

`next`, `previous`, the `Link` header, `Location` after a create and every link
in an Atom feed are absolute, so a client follows them as they are.  Their base
is NEWSINDEX_PUBLIC_URL (`https://news.example.org`, or with a path behind a
proxy, `https://example.org/archive`), or the address the service binds to when
that is unset.  The request's Host header is never used: whoever sends a request
cannot make the service hand out links to another site (a cached or forwarded
answer would carry them to everyone).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, request, url_for


def base_url() -> str:
    return current_app.config["SETTINGS"].base_url


def absolute(path: str, args: dict[str, list[str]] | None = None) -> str:
    """The public URL of `path` (an app path such as /api/v1/search) with a query string of `args`.

    `args` keeps repeated values and their order.  Not url_for(**args): a query
    argument named like one of url_for's own (`endpoint`, `_anchor`...) would be
    taken for it.
    """
    query = urlencode([(name, value) for name, values in (args or {}).items() for value in values])
    return base_url() + path + (f"?{query}" if query else "")


def absolute_for(endpoint: str, **values) -> str:
    """The public URL of a route (url_for without a host)."""
    return base_url() + url_for(endpoint, **values)


def current_url(**changes: list[str]) -> str:
    """The public URL of the current request, with some query arguments replaced."""
    return absolute(request.path, {**request.args.to_dict(flat=False), **changes})


def page_links(page: int, pages: int) -> dict[str, str | None]:
    """Public URLs of the next and previous pages of the current search, or None at either end."""
    return {
        "next": current_url(page=[str(page + 1)]) if page < pages else None,
        "previous": current_url(page=[str(page - 1)]) if page > 1 else None,
    }


def link_header(links: dict[str, str | None]) -> str | None:
    """An RFC 8288 Link header for the pages in `links` (rel="next", rel="prev")."""
    rels = [f'<{url}>; rel="{"prev" if rel == "previous" else rel}"' for rel, url in links.items() if url]
    return ", ".join(rels) or None
