"""One error shape for every error the service returns.

    {"error": {"status": 400, "code": "invalid_parameter",
               "message": "per_page must be between 1 and 100", "param": "per_page"}}

`error_body` builds it; callers may add keys inside "error" but never remove
these four.  `init_app` registers handlers so that our own ApiError, the index's
domain errors, Flask's own 404/405/413, argument validation failures and any
unexpected exception all come out in this shape (as HTML on the search pages).
A 500 never shows a traceback: it is logged, and the body says only that it happened.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from index.errors import AliasFileError, IndexBusy, IndexFull, InvalidArticle, InvalidQuery, NotFound, Unavailable

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    406: "not_acceptable", 409: "conflict", 411: "length_required", 413: "payload_too_large",
    414: "uri_too_long", 415: "unsupported_media_type", 422: "invalid_parameter",
    431: "request_header_fields_too_large", 429: "rate_limited", 500: "internal_error", 503: "unavailable",
    507: "insufficient_storage",
}


class ApiError(Exception):
    """An error a view raises on purpose: status, stable code, message a person can act on."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.headers = headers or {}


def error_body(status: int, code: str, message: str, param: str | None = None) -> dict:
    """The one error payload. Keys may be added inside "error"; these four are always there."""
    return {"error": {"status": status, "code": code, "message": message, "param": param}}


def _respond(err: ApiError):
    if _wants_html():
        return render_template("error.html", error=err), err.status, err.headers
    response = jsonify(error_body(err.status, err.code, err.message, err.param))
    response.status_code = err.status
    response.headers.update(err.headers)
    return response


def _wants_html() -> bool:
    """Pages (not /api/, not /healthz) get an HTML error page."""
    path = request.path
    return not (path.startswith("/api/") or path in ("/healthz", "/metrics"))


def from_validation(exc: HTTPException) -> ApiError:
    """Lift webargs/marshmallow field errors into code `invalid_parameter` with `param`."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    for where, location in messages.items():  # {"query": {"per_page": ["..."]}}
        # Problems with a JSON body are problems with the article it carries.
        code = "invalid_article" if where == "json" else "invalid_parameter"
        if isinstance(location, list):  # webargs: {"json": ["Invalid JSON body."]}
            if where == "json":
                return ApiError(400, "invalid_json", "the request body is not valid JSON")
            return ApiError(400, code, str(location[0]) if location else "invalid request")
        if isinstance(location, dict):
            for param, problems in location.items():
                text = problems[0] if isinstance(problems, list) and problems else str(problems)
                if isinstance(text, dict):  # nested (list item) errors
                    text = next(iter(text.values()))
                    text = text[0] if isinstance(text, list) else str(text)
                param = str(param)
                if param == "_schema":  # a whole-body error: not a JSON object
                    return ApiError(400, code, "the request body must be one JSON object (an article)"
                                    if where == "json" else str(text))
                message = text if str(text).startswith(param) else f"{param}: {text}"
                return ApiError(400, code, message, param)
    return ApiError(400, "invalid_parameter", "invalid request parameters")


def _from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    if status in (400, 422) and getattr(exc, "data", None) and "messages" in exc.data:
        return from_validation(exc)
    message = exc.description or exc.name
    if status == 404:
        message = f"no route for {request.path}; see /api/v1/openapi.json for the API"
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path}"
    elif status == 413:
        limit = current_app.config["SETTINGS"].max_bulk_bytes
        message = f"request body larger than {limit:,} bytes (NEWSINDEX_MAX_BULK_BYTES); nothing was written"
    headers = dict(exc.get_headers()) if hasattr(exc, "get_headers") else {}
    headers.pop("Content-Type", None)
    return ApiError(status, CODES.get(status, "error"), message, headers=headers)


def init_app(app: Flask) -> None:
    """Register the handlers; call last in create_app so they win over extensions' own."""

    @app.errorhandler(ApiError)
    def handle_api_error(err: ApiError):
        return _respond(err)

    @app.errorhandler(InvalidQuery)
    def handle_invalid_query(err: InvalidQuery):
        code = "invalid_query" if err.param == "q" else "invalid_parameter"
        return _respond(ApiError(400, code, str(err), err.param))

    @app.errorhandler(InvalidArticle)
    def handle_invalid_article(err: InvalidArticle):
        return _respond(ApiError(400, "invalid_article", str(err), err.field))

    @app.errorhandler(NotFound)
    def handle_not_found(err: NotFound):
        return _respond(ApiError(404, "not_found", str(err)))

    @app.errorhandler(IndexBusy)
    def handle_busy(err: IndexBusy):
        return _respond(ApiError(503, "index_busy", f"{err}; retry shortly",
                                 headers={"Retry-After": str(err.retry_after)}))

    @app.errorhandler(Unavailable)
    def handle_unavailable(err: Unavailable):
        log.warning("search cluster unavailable on %s %s: %s", request.method, request.path, err)
        return _respond(ApiError(503, "unavailable", f"{err}; retry shortly",
                                 headers={"Retry-After": str(err.retry_after)}))

    @app.errorhandler(UnicodeError)
    def handle_bad_text(err: UnicodeError):
        # Text the ingest edge let through but UTF-8 cannot hold (a lone surrogate): the body's fault.
        return _respond(ApiError(400, "invalid_article", "the article holds text that is not valid Unicode "
                                 "(a lone surrogate such as \\ud800)"))

    @app.errorhandler(IndexFull)
    def handle_full(err: IndexFull):
        log.error("disk full: %s", err)
        return _respond(ApiError(507, "insufficient_storage", str(err)))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        return _respond(_from_http(exc))

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, AliasFileError):
            log.error("alias file: %s", exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(ApiError(500, "internal_error", "internal error; it has been logged"))
