"""Links of the search page: every state of the page lives in its URL.

`url_with` builds the links that toggle a facet, remove a filter, pick a period
or turn a page from the current request, so the back button and a pasted link
always show the same thing.  `api_links` gives the same search as the API's
exports and feed (the "doors" from the page to /api/v1), keeping only the
arguments each of those endpoints takes.

    url_with(toggle=("person", "Putin"))        the page with that filter added or removed
    api_links()                                 {"csv": ..., "ndjson": ..., "atom": ...}
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from flask import g, request, url_for

from service.schemas import ExportArgs, FeedArgs  # the API's own schemas say what each endpoint takes

def url_with(endpoint: str = "pages.search", drop: tuple[str, ...] = (), toggle: tuple[str, str] | None = None,
             remove: tuple[str, str] | None = None, **changes) -> str:
    """The current page's URL with some arguments changed.

    `toggle=("person", "Putin")` adds or removes one value of a repeated filter,
    `remove` removes one value, `drop` removes whole arguments, and keyword
    arguments set single values (None removes; use `**{"from": ...}` for dates).
    Any change but a page turn goes back to page 1.  (A page has a hundred of
    these links, so the request's arguments and the route's path are read once.)
    """
    args = {name: list(values) for name, values in _carried().items()}
    for name in drop:
        args.pop(name, None)
    if toggle or remove:
        name, value = toggle or remove
        values = args.get(name, [])
        values = [v for v in values if v != value] if value in values else values + ([value] if toggle else [])
        args[name] = values
    for name, value in changes.items():
        args.pop(name, None)
        if value not in (None, ""):
            args[name] = [value]
    if "page" not in changes:
        args.pop("page", None)
    return with_query(_path(endpoint), args)


def article_url(article_id: str, anchor: str | None = None) -> str:
    """An article's page carrying the current search along (to mark its words and come back)."""
    query = _cached("article_query", lambda: urlencode(
        [(k, v) for k, values in _carried().items() for v in values], safe=SAFE))
    path = _cached("article_path", lambda: url_for("pages.article", article_id="-"))
    url = path[:-1] + quote(str(article_id), safe="!$&'()*+,/:;=@")  # as the route's string converter quotes it
    return f"{url}{'?' + query if query else ''}{'#' + anchor if anchor else ''}"


def _cached(name: str, make):
    cache = g.setdefault("_page_urls", {})
    if name not in cache:
        cache[name] = make()
    return cache[name]


def _carried() -> dict[str, list[str]]:
    return _cached("args", lambda: {k: v for k, v in request.args.to_dict(flat=False).items() if is_carried(k)})


def _path(endpoint: str) -> str:
    return _cached(("path", endpoint), lambda: url_for(endpoint))


def is_carried(name: str) -> bool:
    """Whether a query argument is passed on in links: not one that url_for or a route takes itself."""
    return not name.startswith("_") and name not in ("endpoint", "article_id", "values")


def search_args(exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The current search's arguments, for links that carry it along (to an article and back)."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k not in exclude and is_carried(k)}


SAFE = "!$'()*,/:;?@"  # left as they are in a query string, as werkzeug's url_for leaves them


def with_query(path: str, args: dict[str, list[str]]) -> str:
    """`path` with a query string of `args`, repeated values and order kept."""
    query = urlencode([(name, value) for name, values in args.items() for value in values], safe=SAFE)
    return f"{path}?{query}" if query else path


def api_links() -> dict[str, str]:
    """The current search as a CSV and an NDJSON export and as an Atom feed (newest first).

    Each link keeps only the parameters its endpoint takes (the API refuses
    unknown ones, while the page ignores them): no paging or facet choice in an
    export, no sort either in a feed, and no stray `utm_source`.
    """
    def taken(schema) -> dict[str, list[str]]:
        names = {f.data_key or name for name, f in schema.load_fields.items()} - {"per_page"}
        return {k: v for k, v in _carried().items() if k in names}

    return {
        "csv": with_query(url_for("api.SearchCsv"), taken(ExportArgs())),
        "ndjson": with_query(url_for("api.SearchNdjson"), taken(ExportArgs())),
        "atom": with_query(url_for("api.SearchAtom"), taken(FeedArgs())),
    }
