"""Per-client rate limits on searches and writes (flask-limiter).

Settings: `rate_limit` ("120/minute", "10/second;500/hour", ...; off when empty) and
`rate_limit_loopback` (off by default, so local tools, benchmarks and the soak test on
127.0.0.1 are never throttled).  One budget per client address covers every search
(the JSON search and its exports and feeds, the search page) and every write
(PUT, POST, PATCH, DELETE under /api/); reading one article, facet type-ahead, the
OpenAPI document, /healthz and /metrics are not counted.

Past the limit the answer is our one error shape, 429 `rate_limited`, with
`Retry-After` (seconds until the window frees a request).  Counts live in each
worker's memory: with N gunicorn workers a client may get up to N times the budget
when its connections spread over workers (set `RATELIMIT_STORAGE_URI`, e.g. a redis
URL, in the Flask config for one shared budget).
"""

from __future__ import annotations

import ipaddress
import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from limits import parse_many

from config.settings import SettingsError
from service.errors import ApiError

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SEARCH_ENDPOINTS = frozenset({"api.Search", "api.SearchCsv", "api.SearchNdjson", "api.SearchAtom", "pages.search"})


def is_counted() -> bool:
    """Whether the current request spends the client's budget (a search or a write)."""
    if request.endpoint in SEARCH_ENDPOINTS:
        return True
    return request.method in WRITE_METHODS and request.path.startswith("/api/")


def is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_exempt() -> bool:
    """Requests the limit leaves alone: not a search or write, or loopback unless configured."""
    settings = current_app.config["SETTINGS"]
    if not is_counted():
        return True
    return is_loopback(request.remote_addr) and not settings.rate_limit_loopback


def on_breach(limit: RequestLimit) -> None:
    """Answer 429 in the one error shape, telling the client when to retry."""
    # reset_at is a whole second rounded up: clamp to the window, so "1/minute" never says 61 s.
    retry_after = min(limit.limit.get_expiry(), max(1, math.ceil(limit.reset_at - time.time())))
    raise ApiError(429, "rate_limited",
                   f"too many requests: the limit is {limit.limit}; retry after {retry_after} s",
                   headers={"Retry-After": str(retry_after)})


def init_app(app: Flask) -> Limiter | None:
    """Install the limiter when `rate_limit` is set; returns it (None when off).

    Raises SettingsError when `rate_limit` does not parse, so a typo stops start-up.
    """
    settings = app.config["SETTINGS"]
    if not settings.rate_limit.strip():
        return None
    try:
        parse_many(settings.rate_limit)
    except ValueError:
        raise SettingsError(f"NEWSINDEX_RATE_LIMIT={settings.rate_limit!r}: expected e.g. '120/minute' "
                            "or '10/second;500/hour'") from None
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter = Limiter(
        get_remote_address,
        app=app,
        application_limits=[settings.rate_limit],
        application_limits_exempt_when=is_exempt,
        on_breach=on_breach,
        strategy="moving-window",
    )
    app.extensions["newsindex_limiter"] = limiter
    return limiter
