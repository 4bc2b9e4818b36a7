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
from service import archive, auth, caching, cors, docs, errors, limits, metrics
from service.schemas import ErrorOut
from service.api import api as api_blueprint
from service.api import health as health_blueprint
from service.pages import pages as pages_blueprint


class NewsApi(Api):
    """flask-smorest's Api, documenting errors with our one error shape."""

    ERROR_SCHEMA = ErrorOut


def create_app(settings: Settings | None = None) -> Flask:
    """Build a configured app. Raises AliasFileError/SettingsError on bad configuration."""
    settings = settings or Settings.from_env()
    load_aliases(settings.aliases)  # a malformed alias file stops start-up, naming file and line
    logging.basicConfig(level=settings.log_level.upper())

    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.max_bulk_bytes,
        JSON_SORT_KEYS=False,
        API_TITLE="newsindex",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="v1/openapi.json",
    )
    app.json.sort_keys = False
    archive.init_app(app)
    auth.init_app(app)  # first: a 304 or a CORS answer must not skip the key check
    limits.init_app(app)  # rate limits on searches and writes (NEWSINDEX_RATE_LIMIT), before any cached answer
    caching.init_app(app)
    cors.init_app(app, settings.cors_origins)

    api = NewsApi(app)
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
