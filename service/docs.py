"""The API's description: the OpenAPI document and the browsable docs page.

flask-smorest builds /api/v1/openapi.json from the marshmallow schemas the
views validate with; this module serves Swagger UI at /api/docs.  Swagger UI's
JavaScript and CSS come from the `swagger-ui-bundle` package and are served by
this app under /api/docs/assets/, so the page works offline (no CDN).  The page
is ours rather than flask-smorest's because that one starts Swagger UI with an
inline script, which the app's Content-Security-Policy rightly forbids: ours
loads docs_static/swagger-init.js and sends its own policy (Swagger UI sets
inline styles, so styles may be inline; scripts may not).

`Operations` (an apispec plugin) gives every operation an `operationId` (the
names client generators turn into functions: searchArticles, putArticle...) and
the security that is true of it: writes need the bearer key, reads need it only
when NEWSINDEX_REQUIRE_READ_KEY=1 (otherwise they declare none, so Swagger UI
draws no lock on them).  `init_app` runs after every blueprint is registered and
completes the document: the bearer-key security scheme, and an entry for every
route flask-smorest does not describe itself (the HTML pages, the docs page, the
document itself), made from the view's docstring and the rule's parameters, so
that every URL the app serves is in the document (tests/test_openapi.py checks it).
"""

from __future__ import annotations

import inspect

from pathlib import Path

from flask import Blueprint, Flask, render_template_string, url_for
from flask_smorest import Api
from apispec import BasePlugin
from flask_smorest.spec.plugins import FlaskPlugin
from swagger_ui_bundle import swagger_ui_path

DOCS_PATH = "/api/docs"
SECURITY_SCHEME = "bearerKey"
STATIC_ENDPOINT_SUFFIX = "static"


assets = Blueprint("swagger_ui", __name__, static_folder=swagger_ui_path, static_url_path="/assets",
                   url_prefix=DOCS_PATH)
page = Blueprint("docs", __name__, static_folder=Path(__file__).parent / "docs_static", static_url_path="/static",
                 url_prefix=DOCS_PATH)

DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'")

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>newsindex API</title>
  <link rel="icon" type="image/png" href="{{ url_for('swagger_ui.static', filename='favicon-32x32.png') }}">
  <link rel="stylesheet" href="{{ url_for('swagger_ui.static', filename='swagger-ui.css') }}">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{{ spec_url }}"></div>
  <script src="{{ url_for('swagger_ui.static', filename='swagger-ui-bundle.js') }}"></script>
  <script src="{{ url_for('docs.static', filename='swagger-init.js') }}"></script>
</body>
</html>
"""


@page.route("")
def docs_page():
    """The browsable API description (Swagger UI, served from this app: works offline)."""
    html = render_template_string(PAGE, spec_url=url_for("api-docs.openapi_json"))
    return html, 200, {"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff"}

# operationIds of the API; other routes get one made from their endpoint and method.
OPERATION_IDS = {
    ("api.Search", "get"): "searchArticles",
    ("api.SearchCsv", "get"): "exportSearchCsv",
    ("api.SearchNdjson", "get"): "exportSearchNdjson",
    ("api.SearchAtom", "get"): "searchFeed",
    ("api.FacetValues", "get"): "listFacetValues",
    ("api.ArticleCollection", "post"): "createArticle",
    ("api.ArticleView", "get"): "getArticle",
    ("api.ArticleView", "put"): "putArticle",
    ("api.ArticleView", "patch"): "patchArticle",
    ("api.ArticleView", "delete"): "deleteArticle",
    ("api.RelatedView", "get"): "listRelatedArticles",
    ("api.ArticlesBulk", "post"): "bulkWriteArticles",
    ("api.ArticlesBulkDelete", "post"): "bulkDeleteArticles",
    ("api.ArticlesDeleteByQuery", "post"): "deleteArticlesByQuery",
    ("health.Health", "get"): "getHealth",
    ("metrics.MetricsView", "get"): "getMetrics",
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
KEYED_BLUEPRINTS = {"api"}


def operation_id(endpoint: str, method: str) -> str:
    if found := OPERATION_IDS.get((endpoint, method)):
        return found
    words = [w for w in endpoint.replace(".", "_").replace("-", "_").split("_") if w]
    return method + "".join(w[:1].upper() + w[1:] for w in words)


class Operations(BasePlugin):
    """Sets operationId and security on every operation as it is added to the document."""

    def __init__(self, require_read_key: bool):
        self.require_read_key = require_read_key

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        keyed = rule.endpoint.split(".")[0] in KEYED_BLUEPRINTS
        for method, operation in operations.items():
            if method not in ("get", "put", "post", "patch", "delete", "head", "options"):
                continue
            operation.setdefault("operationId", operation_id(rule.endpoint, method))
            if keyed and (method in WRITE_METHODS or self.require_read_key):
                operation["security"] = [{SECURITY_SCHEME: []}]
            else:
                operation.pop("security", None)


# Media types of the routes described here (everything else is HTML).
MEDIA_TYPES = {"api-docs.openapi_json": "application/json"}
TAGS = {"pages": "The search page and article pages, for people.",
        "api-docs": "This description.", "docs": "The browsable page of this description."}


def is_static(endpoint: str) -> bool:
    """Static files (CSS, JavaScript, Swagger UI's assets) are files, not API routes."""
    return endpoint == STATIC_ENDPOINT_SUFFIX or endpoint.endswith("." + STATIC_ENDPOINT_SUFFIX)


def openapi_path(rule) -> str:
    return FlaskPlugin.flaskpath2openapi(rule.rule)


def described_methods(rule) -> set[str]:
    return {m for m in rule.methods if m not in ("HEAD", "OPTIONS")}


def _operation(app: Flask, rule, method: str) -> dict:
    """An OpenAPI operation for a route flask-smorest does not know, from its view's docstring."""
    view = app.view_functions[rule.endpoint]
    doc = inspect.getdoc(getattr(view, "view_class", view)) or rule.endpoint
    summary, _, description = doc.partition("\n")
    media = MEDIA_TYPES.get(rule.endpoint, "text/html")
    schema = {"type": "object"} if media == "application/json" else {"type": "string"}
    tag = rule.endpoint.split(".")[0]
    responses = {"200": {"description": summary.strip(), "content": {media: {"schema": schema}}}}
    if rule.arguments:
        responses["404"] = {"description": "Not found", "content": {"text/html": {"schema": {"type": "string"}}}}
    operation = {"tags": [tag], "summary": summary.strip(), "responses": responses}
    if description.strip():
        operation["description"] = description.strip()
    return operation


def describe_other_routes(app: Flask, api: Api) -> None:
    """Add every non-static route missing from the document (pages, docs) to it."""
    spec = api.spec.to_dict()
    paths = spec.get("paths", {})
    tags = {t["name"] for t in spec.get("tags", [])}
    for rule in app.url_map.iter_rules():
        if is_static(rule.endpoint):
            continue
        described = paths.get(openapi_path(rule), {})
        operations = {m.lower(): _operation(app, rule, m) for m in described_methods(rule) if m.lower() not in described}
        if not operations:
            continue
        tag = rule.endpoint.split(".")[0]
        if tag not in tags:
            api.spec.tag({"name": tag, "description": TAGS.get(tag, "")})
            tags.add(tag)
        api.spec.path(rule=rule, operations=operations)


def init_app(app: Flask, api: Api) -> None:
    """Serve Swagger UI's assets, declare the key scheme, describe the remaining routes. Call last."""
    app.register_blueprint(assets)
    app.register_blueprint(page)
    api.spec.components.security_scheme(SECURITY_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "An API key from `newsindex keys create`, sent as `Authorization: Bearer KEY`. "
                       "Writes need the write scope; reads need a key only when NEWSINDEX_REQUIRE_READ_KEY=1.",
    })
    describe_other_routes(app, api)
