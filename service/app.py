"""The Flask application factory: `create_app()` is what gunicorn runs.

Nothing happens at import time.  The factory reads Settings (from the
environment unless a test passes its own), wires API keys (checked before
anything else answers), ETags, CORS, the API (flask-smorest, which also serves
the OpenAPI document and the docs page), the search pages, the rest of the
description, and the error handlers, in that order; the index itself is opened
per worker on first use (service/archive.py).
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from config.settings import Settings
from index.text.aliases import load_aliases
from service import archive, articles_api, auth, bodies, caching, cors, docs, errors, limits, metrics, timing
from service.responses import SafeResponse, web_url
from service.schemas import ErrorOut
from service.api import api as api_blueprint
from service.api import health as health_blueprint
from service.pages import pages as pages_blueprint

assert articles_api  # imported for its routes on the api blueprint

DESCRIPTION = """A searchable index of news articles: ranked, highlighted, faceted search over
articles and their passages, with the people, organisations and places they name.

Reads are open unless the service runs with NEWSINDEX_REQUIRE_READ_KEY=1; writes need
an API key (`newsindex keys create --scope write`) sent as `Authorization: Bearer KEY`,
and deleting by query one of admin scope.  Every error has one JSON shape:
`{"error": {"status", "code", "message", "param"}}`.  Dates are ISO 8601 with an
offset (UTC); links in answers (`next`, `Link`, `Location`) are absolute."""


class NewsApi(Api):
    """flask-smorest's Api, documenting errors with our one error shape."""

    ERROR_SCHEMA = ErrorOut

    def _register_pagination_header(self):
        """No flask-smorest pagination here: its header (and schema) would sit unused in the document."""


def create_app(settings: Settings | None = None) -> Flask:
    """Build a configured app. Raises AliasFileError/SettingsError on bad configuration."""
    settings = settings or Settings.from_env()
    load_aliases(settings.aliases)  # a malformed alias file stops start-up, naming file and line
    logging.basicConfig(level=settings.log_level.upper())

    app = Flask(__name__)
    app.response_class = SafeResponse  # a lone surrogate in stored text is shown, never a 500
    app.jinja_env.filters["web_url"] = web_url
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_bulk_bytes,
        JSON_SORT_KEYS=False,
        API_TITLE="newsindex",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": DESCRIPTION, "license": {"name": "MIT"}},
            "servers": [{"url": settings.base_url, "description": "This service (NEWSINDEX_PUBLIC_URL)"}],
        },
    )
    app.json.sort_keys = False
    archive.init_app(app)
    timing.init_app(app)  # first: took_ms and the size of the request line and headers
    auth.init_app(app)  # then keys: a 304 or a CORS answer must not skip the key check
    app.before_request(bodies.buffer_body)  # after the key check: strangers cannot make us read 16 MiB
    limits.init_app(app)  # rate limits on searches and writes (NEWSINDEX_RATE_LIMIT), before any cached answer
    caching.init_app(app)
    cors.init_app(app, settings.cors_origins)

    api = NewsApi(app, spec_kwargs={"extra_plugins": [docs.Operations(settings.require_read_key)]})
    api.register_blueprint(api_blueprint)
    api.register_blueprint(health_blueprint)
    app.register_blueprint(pages_blueprint)
    metrics.init_app(app, api)  # /metrics, and request counts and latencies
    docs.init_app(app, api)  # after every route exists: describes the ones flask-smorest does not
    errors.init_app(app)  # last: our handlers replace flask-smorest's
    return app


def serve() -> Flask:
    """The app as gunicorn runs it in each worker: `create_app()`, then warm the index in the background."""
    app = create_app()
    if app.config["SETTINGS"].warm:
        archive.warm_in_background(app)
    return app
