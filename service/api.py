"""The JSON API under /api/v1: HTTP in, one Index call, JSON out.

Views are thin on purpose: flask-smorest validates arguments with the schemas in
service/schemas.py (which also document them), the view makes one call on the
Index (or on the module that owns the concern: writes, exports, feeds), and the
response schema shapes the answer.  Keys are checked before any view runs
(service/auth.py), ETags and 304s are handled around them (service/caching.py),
and every error comes out in the one shape (service/errors.py).

    GET    /search                 ranked, highlighted, faceted; Link header and next/previous
    GET    /search.csv, .ndjson    every match, streamed (exports)
    GET    /search.atom            the newest matches as an Atom feed
    GET    /facets/<name>          facet values for type-ahead
    GET    /articles/<id>          one article
    PUT    /articles/<id>          create or replace (write key)
    DELETE /articles/<id>          remove (write key)
    POST   /articles/bulk          NDJSON, one article a line (write key)
"""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Response, current_app, g, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from index import SearchRequest, SearchResult
from service import exports, feeds, writes
from service.archive import get_index
from service.docs import SECURITY_SCHEME
from service.errors import ApiError
from service.schemas import (
    FACET_NAMES, ArticleIn, ArticleOut, BulkOut, ErrorOut, ExportArgs, FacetValuesArgs, FacetValuesOut, FeedArgs,
    HealthOut, SearchArgs, SearchOut,
)
from service.schemas import RelatedArgs, RelatedOut


class Parser(FlaskParser):
    """Invalid arguments are a 400 (webargs says 422), turned into our error shape."""

    DEFAULT_VALIDATION_STATUS = 400


ARGS_PARSER = Parser()


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ARGS_PARSER


api = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Search, read, export and write the archive.")
health = ApiBlueprint("health", __name__, description="Liveness for load balancers and scripts.")


def with_query(url: str, args: dict[str, list[str]]) -> str:
    """`url` with a query string of `args` (repeated values kept, order kept).

    Not url_for(**args): a query argument named like one of url_for's own
    (`endpoint`, `_anchor`, `_method`...) would be taken for it.
    """
    query = urlencode([(name, value) for name, values in args.items() for value in values])
    return f"{url}?{query}" if query else url


def page_links(result: SearchResult) -> dict[str, str | None]:
    """URLs of the next and previous pages of the same search, or None at either end."""
    args = request.args.to_dict(flat=False)

    def link(page: int) -> str:
        return with_query(request.path, {**args, "page": [str(page)]})

    return {
        "next": link(result.page + 1) if result.page < result.pages else None,
        "previous": link(result.page - 1) if result.page > 1 else None,
    }


def run_search(search_request: SearchRequest) -> SearchResult:
    return get_index().search(search_request)


# -- documentation helpers: what every read and every write may answer besides 200 ------------

READ_SECURITY = [{}, {SECURITY_SCHEME: []}]  # open, unless NEWSINDEX_REQUIRE_READ_KEY=1
WRITE_SECURITY = [{SECURITY_SCHEME: []}]
IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                 "description": "An ETag from an earlier answer: 304 if nothing changed since"}
ETAG_HEADER = {"ETag": {"description": "Changes when the index or the request changes", "schema": {"type": "string"}}}
NDJSON = "application/x-ndjson"


def read_endpoint(func):
    """Document a read: optional key, 304, 401/403 when read keys are required.

    (If-None-Match is declared on the route, or with api.doc on a view without
    arguments: flask-smorest lets a view's own `parameters` replace its arguments'.)
    """
    func = api.doc(security=READ_SECURITY)(func)
    func = api.alt_response(304, description="Not Modified: If-None-Match matched the current ETag")(func)
    func = api.alt_response(401, schema=ErrorOut, description="NEWSINDEX_REQUIRE_READ_KEY=1 and no key, or an unknown one")(func)
    return api.alt_response(403, schema=ErrorOut, description="NEWSINDEX_REQUIRE_READ_KEY=1 and the key lacks read scope")(func)


def write_endpoint(func):
    """Document a write: write key required, lock wait bounded (503 + Retry-After)."""
    func = api.doc(security=WRITE_SECURITY)(func)
    func = api.alt_response(401, schema=ErrorOut, description="No API key, or an unknown or revoked one")(func)
    func = api.alt_response(403, schema=ErrorOut, description="The key's scope is read only")(func)
    return api.alt_response(503, schema=ErrorOut, description="Another writer held the index lock too long; "
                            "retry after Retry-After seconds",
                            headers={"Retry-After": {"schema": {"type": "integer"}}})(func)


# -- search ---------------------------------------------------------------------------------


@api.route("/search", parameters=[IF_NONE_MATCH])
class Search(MethodView):
    @read_endpoint
    @api.arguments(SearchArgs, location="query", as_kwargs=False)
    @api.response(200, SearchOut, headers={**ETAG_HEADER, "Link": {
        "description": 'URLs of the next and previous pages (rel="next", rel="prev")', "schema": {"type": "string"}}})
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter or query")
    def get(self, search_request: SearchRequest):
        """Search articles: ranked, highlighted, with facets.

        An empty `q` browses the archive newest first.  `next` and `previous`
        (and the `Link` header) give the neighbouring pages; to take every
        result, use the CSV or NDJSON export.
        """
        result = run_search(search_request)
        g.partial = result.partial  # a cut-short answer is not kept for the next asker
        links = page_links(result)
        headers = {}
        rels = [f'<{url}>; rel="{"prev" if rel == "previous" else rel}"' for rel, url in links.items() if url]
        if rels:
            headers["Link"] = ", ".join(rels)
        payload = {**vars(result), "pages": result.pages, **links}
        return payload, 200, headers


def export_limit() -> int:
    return current_app.config["SETTINGS"].export_max


def streamed(export: exports.Export, lines, mimetype: str, filename: str) -> Response:
    headers = {**export.headers, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(stream_with_context(lines(export.rows)), mimetype=mimetype, headers=headers)


EXPORT_HEADERS = {
    **ETAG_HEADER,
    "X-Total-Count": {"description": "Articles the search matches", "schema": {"type": "integer"}},
    "X-Export-Limit": {"description": "Most articles one export returns (NEWSINDEX_EXPORT_MAX)", "schema": {"type": "integer"}},
    "X-Export-Truncated": {"description": "true when the export stopped at the limit", "schema": {"type": "string", "enum": ["true", "false"]}},
    "X-Search-Partial": {"description": "Present (true) when the query time limit cut the search short",
                         "schema": {"type": "string", "enum": ["true"]}},
}


@api.route("/search.csv", parameters=[IF_NONE_MATCH])
class SearchCsv(MethodView):
    @read_endpoint
    @api.arguments(ExportArgs, location="query", as_kwargs=False)
    @api.response(200, {"type": "string"}, content_type="text/csv", headers=EXPORT_HEADERS,
                  description="Header id,title,source,published,url,score,passage,person,org,place, then one row per article")
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter or query")
    def get(self, search_request: SearchRequest):
        """Export every matching article as CSV (streamed, at most NEWSINDEX_EXPORT_MAX).

        Same parameters as /search, without paging.  Entity columns hold names
        joined with "; ".  X-Export-Truncated says whether the limit cut it.
        """
        export = exports.start_export(get_index(), search_request, export_limit())
        return streamed(export, exports.csv_lines, "text/csv", "newsindex-search.csv")


@api.route("/search.ndjson", parameters=[IF_NONE_MATCH])
class SearchNdjson(MethodView):
    @read_endpoint
    @api.arguments(ExportArgs, location="query", as_kwargs=False)
    @api.response(200, {"type": "string"}, content_type=NDJSON, headers=EXPORT_HEADERS,
                  description='One JSON object a line: id, title, source, published, url, score, passage, '
                              'entities {person, org, place}')
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter or query")
    def get(self, search_request: SearchRequest):
        """Export every matching article as NDJSON (streamed, at most NEWSINDEX_EXPORT_MAX).

        Same parameters as /search, without paging.  X-Export-Truncated says
        whether the limit cut it.
        """
        export = exports.start_export(get_index(), search_request, export_limit())
        return streamed(export, exports.ndjson_lines, NDJSON, "newsindex-search.ndjson")


@api.route("/search.atom", parameters=[IF_NONE_MATCH])
class SearchAtom(MethodView):
    @read_endpoint
    @api.arguments(FeedArgs, location="query", as_kwargs=False)
    @api.response(200, {"type": "string"}, content_type="application/atom+xml", headers=ETAG_HEADER,
                  description="An Atom feed (RFC 4287), one entry per article, newest first")
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter or query")
    def get(self, search_request: SearchRequest):
        """A saved search as an Atom feed: the newest matching articles.

        Same parameters as /search; always newest first; `per_page` entries (default 20).
        """
        search_request.sort, search_request.facets, search_request.passages = "newest", False, 1
        index = get_index()
        result = index.search(search_request)
        last_commit = index.stats()["last_commit"]
        xml = feeds.atom_feed(
            result,
            self_url=request.url,
            page_url=with_query(url_for("pages.search", _external=True), request.args.to_dict(flat=False)),
            article_url=lambda article_id: url_for("pages.article", article_id=article_id, _external=True),
            last_commit=datetime.fromtimestamp(last_commit, timezone.utc) if last_commit else None,
        )
        return Response(xml, mimetype="application/atom+xml")


@api.route("/facets/<string:name>", parameters=[IF_NONE_MATCH, {
    "in": "path", "name": "name", "required": True, "schema": {"type": "string", "enum": list(FACET_NAMES)}}])
class FacetValues(MethodView):
    @read_endpoint
    @api.arguments(FacetValuesArgs, location="query")
    @api.response(200, FacetValuesOut, headers=ETAG_HEADER)
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter")
    @api.alt_response(404, schema=ErrorOut, description="No facet with that name")
    def get(self, args: dict, name: str):
        """Facet values for type-ahead: values with a word starting with `prefix`, and their article counts.

        Accents and case are ignored ("erd" finds Erdoğan); merged spellings
        are one value; counts are over the whole archive, most frequent first.
        """
        if name not in FACET_NAMES:
            raise ApiError(404, "not_found", f"no facet named {name!r}; facets are {', '.join(FACET_NAMES)}", "name")
        values = get_index().facet_values(name, args["prefix"], args["limit"])
        return {"name": name, "prefix": args["prefix"], "values": values}


# -- articles: read and write -----------------------------------------------------------------


@api.route("/articles/<string:article_id>")
class ArticleView(MethodView):
    @read_endpoint
    @api.doc(parameters=[IF_NONE_MATCH])
    @api.response(200, ArticleOut, headers=ETAG_HEADER)
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def get(self, article_id: str):
        """One article with its metadata, passages and entities."""
        return get_index().get(article_id)

    @write_endpoint
    @api.arguments(ArticleIn, location="json", description="The article: `body` (plain text) or `html` "
                   "(a whole page) is required; everything else is optional")
    @api.response(200, ArticleOut, description="Replaced: the stored article")
    @api.alt_response(201, schema=ArticleOut, description="Created: the stored article",
                      headers={"Location": {"schema": {"type": "string"}}})
    @api.alt_response(400, schema=ErrorOut, description="Invalid article, JSON or id")
    @api.alt_response(413, schema=ErrorOut, description="Body larger than NEWSINDEX_MAX_BULK_BYTES")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON (Content-Type: application/json)")
    def put(self, body: dict, article_id: str):
        """Create or replace the article with this id.

        Runs the same pipeline as `newsindex ingest` (passages, entities) and
        answers once the write is committed: every search that starts after
        the answer finds it.  201 when created, 200 when replaced.
        """
        if not request.is_json:
            raise ApiError(415, "unsupported_media_type", "send the article as JSON (Content-Type: application/json)")
        article, created = writes.put_article(get_index(), article_id, body)
        if created:
            return article, 201, {"Location": url_for("api.ArticleView", article_id=article_id)}
        return article

    @write_endpoint
    @api.response(204, description="Deleted")
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def delete(self, article_id: str):
        """Remove the article with this id (and its passages)."""
        writes.delete_article(get_index(), article_id)
        return "", 204


@api.route("/articles/<string:article_id>/related")
class RelatedView(MethodView):
    @read_endpoint
    @api.arguments(RelatedArgs, location="query", as_kwargs=True)
    @api.response(200, RelatedOut)
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def get(self, article_id: str, limit: int):
        """The articles most similar to this one (by its key terms), best first; never itself or a duplicate."""
        return {"id": article_id, "related": get_index().related(article_id, limit)}


@api.route("/articles/bulk")
class ArticlesBulk(MethodView):
    @write_endpoint
    @api.doc(requestBody={"required": True, "description": "NDJSON: one article (as for PUT, with an optional `id`) "
                          "a line; at most NEWSINDEX_MAX_BULK_BYTES",
                          "content": {NDJSON: {"schema": {"type": "string"}}}})
    @api.response(200, BulkOut, description="Per line: ok with created/updated, or the error for that line")
    @api.alt_response(400, schema=ErrorOut, description="The body holds no line at all")
    @api.alt_response(413, schema=ErrorOut, description="Body larger than NEWSINDEX_MAX_BULK_BYTES")
    def post(self):
        """Create or replace many articles: NDJSON, one article a line.

        A bad line does not stop the others: the answer lists every line, ok
        (created or updated) or with its error.  Valid lines are committed in
        batches of NEWSINDEX_INGEST_BATCH_SIZE before the answer is sent.
        Without an `id`, an article's id is a hash of its title and text.
        """
        settings = current_app.config["SETTINGS"]
        report = writes.bulk_write(get_index(), request.get_data(cache=False), settings.ingest_batch_size)
        return report.as_dict()


@health.route("/healthz")
class Health(MethodView):
    @health.response(200, HealthOut)
    def get(self):
        """Is the service up, and how much does it hold?"""
        stats = get_index().stats()
        return {"status": "ok", "articles": stats["articles"], "passages": stats["passages"]}
