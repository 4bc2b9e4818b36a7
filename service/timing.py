"""The edges of every request: how long it took, and whether its request line and headers are too big.

`took_ms` in an answer is the time of the whole request as the app saw it:
from the first before_request hook (keys, rate limits, the cache) to the body
being ready, not only the search.  A cached body carries the time of the
request that made it, so the figure is rewritten in every JSON answer that
has one, cached or not.

An over-long URL is a 414 and an over-large header block a 431, in the one
error shape, checked before anything else.  gunicorn is configured with larger
limits than these (config/gunicorn.conf.py), so the app is the one that sees
and answers them; only requests past gunicorn's own limits get its plain answer.
"""

from __future__ import annotations

import re
import time

from flask import Flask, Response, g, request

from service.errors import ApiError

MAX_URL_BYTES = 8000  # gunicorn's limit_request_line is 8190
MAX_HEADER_BYTES = 8000  # one header; gunicorn's limit_request_field_size is 16380
MAX_HEADERS_TOTAL = 32_000
TOOK_MS = re.compile(rb'"took_ms":\s*-?[0-9][0-9.eE+-]*')


def _start() -> None:
    g.request_started = time.perf_counter()
    environ = request.environ
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    if len(raw_uri) > MAX_URL_BYTES:
        raise ApiError(414, "uri_too_long", f"the URL is longer than {MAX_URL_BYTES:,} bytes; send fewer or shorter "
                       "parameters")
    total = 0
    for name, value in request.headers.items():
        size = len(name) + len(value) + 4
        total += size
        if size > MAX_HEADER_BYTES or total > MAX_HEADERS_TOTAL:
            raise ApiError(431, "request_header_fields_too_large",
                           f"a header is over {MAX_HEADER_BYTES:,} bytes or all of them over {MAX_HEADERS_TOTAL:,}",
                           name if size > MAX_HEADER_BYTES else None)


def elapsed_ms() -> float:
    started = g.get("request_started")
    return round((time.perf_counter() - started) * 1000, 2) if started else 0.0


def _stamp(response: Response) -> Response:
    """Write the whole request's time into a JSON answer's `took_ms`."""
    if response.is_streamed or response.mimetype != "application/json" or response.status_code != 200:
        return response
    body = response.get_data()
    if b'"took_ms"' in body[:200]:  # a top-level key, near the start (keys keep their order)
        response.set_data(TOOK_MS.sub(f'"took_ms": {elapsed_ms()}'.encode(), body, count=1))
    return response


def init_app(app: Flask) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_stamp)
