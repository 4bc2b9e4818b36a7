"""ETags for read responses, and 304 Not Modified for a matching If-None-Match.

An answer depends on the request's URL and on what the index holds, and the
index changes only by a commit; so the tag is a hash of the index's generation
(which every commit advances, the same in every worker since it is read from
disk), the index directory's identity, and the full request path with its
query string.  The tag is computed *before* the view runs: a matching
If-None-Match is answered 304 without searching at all, and a response is never
labelled with a newer generation than the data it was built from.

`init_app` hooks this in for the endpoints listed in ETAG_ENDPOINTS; responses
also say `Cache-Control: no-cache` so caches keep them but revalidate each time.

The same tag keys a small per-worker cache of finished JSON bodies
(BODY_ENDPOINTS, NEWSINDEX_RESULT_CACHE_SIZE entries): the same search asked
again before the next commit is answered without searching or serialising.
Keys and rate limits are checked before it (see the order in create_app).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request

from service.archive import get_index

ETAG_ENDPOINTS = {
    "api.Search", "api.ArticleView", "api.SearchCsv", "api.SearchNdjson", "api.SearchAtom", "api.FacetValues",
}


BODY_ENDPOINTS = {"api.Search", "api.ArticleView", "api.FacetValues"}
KEPT_HEADERS = ("Content-Type", "Link")
_bodies_lock = threading.Lock()


def _bodies() -> OrderedDict:
    """This app's cache of finished bodies (one per app: tests build many apps in one process)."""
    return current_app.extensions.setdefault("newsindex_bodies", OrderedDict())


def current_etag() -> str:
    """The tag the current GET request's answer will carry."""
    index = get_index()
    identity = index.identity()
    raw = f"{identity}:{index.generation()}:{request.full_path}".encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:32]


def _before():
    if request.method not in ("GET", "HEAD") or request.endpoint not in ETAG_ENDPOINTS:
        return None
    g.etag = current_etag()
    if request.if_none_match.contains(g.etag) or request.if_none_match.star_tag:
        response = Response(status=304)
        response.set_etag(g.etag)
        response.headers["Cache-Control"] = "no-cache"
        return response
    if request.endpoint in BODY_ENDPOINTS:
        bodies = _bodies()
        with _bodies_lock:
            cached = bodies.get(g.etag)
            if cached is not None:
                bodies.move_to_end(g.etag)
        if cached is not None:
            body, headers = cached
            return Response(body, status=200, headers=headers)
    return None


def _after(response: Response) -> Response:
    etag = g.pop("etag", None)
    if etag and response.status_code == 200:
        limit = current_app.config["SETTINGS"].result_cache_size
        cacheable = not response.is_streamed and not g.pop("partial", False)
        if request.endpoint in BODY_ENDPOINTS and limit > 0 and cacheable:
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            bodies = _bodies()
            with _bodies_lock:
                bodies[etag] = (response.get_data(), headers)
                while len(bodies) > limit:
                    bodies.popitem(last=False)
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
