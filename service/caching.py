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

Finished searches are cached once, in the index: on the snapshot of the
generation they were computed from (index/backends/whoosh.py), so a commit
retires them with everything else derived from that generation.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request

from service.archive import get_index

ETAG_ENDPOINTS = {
    "api.Search", "api.ArticleView", "api.SearchCsv", "api.SearchNdjson", "api.SearchAtom", "api.FacetValues",
    "api.EntityView",
}


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
    tags = request.if_none_match
    if tags.is_strong(g.etag) or tags.is_weak(g.etag):  # a tag is only given out with a 200: the request is valid
        return _not_modified(g.etag)
    if request.if_none_match.star_tag:
        g.star = True  # "any version": 304 only once the view has shown there is one (not for a 400)
        return None
    return None


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _after(response: Response) -> Response:
    etag = g.pop("etag", None)
    if etag and g.pop("star", False) and response.status_code == 200:
        response.close()
        return _not_modified(etag)
    if etag and response.status_code == 200:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
