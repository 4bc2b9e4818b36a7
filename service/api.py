"""The JSON API under /api/v1: HTTP in, one Index call, JSON out (reads; writes in service/articles_api.py).

Views are thin on purpose: flask-smorest validates arguments with the schemas in
service/schemas.py (which also document them), the view makes one call on the
Index (or on the module that owns the concern: writes, exports, feeds), and the
response schema shapes the answer.  Keys are checked before any view runs
(service/auth.py), ETags and 304s are handled around them (service/caching.py),
and every error comes out in the one shape (service/errors.py).  An unknown
query parameter is a 400 naming it, as an unknown field of a body is.

    GET    /search                 ranked, highlighted, faceted; Link header and next/previous
    GET    /search.csv, .ndjson    every match, streamed (exports)
    GET    /search.atom            the newest matches as an Atom feed
    GET    /facets/<name>          facet values for type-ahead
    GET    /healthz                liveness and counts
"""

from __future__ import annotations

from flask import Response, current_app, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from index import SearchRequest
from service import exports, feeds, links
from service.archive import get_index
from service.bodies import BodyError, parse_json
from service.errors import ApiError
from service.schemas import (
    FACET_NAMES, ErrorOut, ExportArgs, FacetValuesArgs, FacetValuesOut, FeedArgs, HealthOut, SearchArgs, SearchOut,
)

UNKNOWN_FIELD = "Unknown field."


class Parser(FlaskParser):
    """webargs, with our rules: a 400 (not 422) in our error shape, unknown query parameters refused,
    and JSON bodies read by service/bodies.py (so no body can raise past a 400)."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE, "querystring": RAISE}

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not is_json_request(req):
            if data:
                raise ApiError(415, "unsupported_media_type", "send the body as JSON (Content-Type: application/json)")
            return core.missing
        try:
            return parse_json(data)
        except BodyError as exc:
            raise ApiError(400, "invalid_json", f"the request body is {exc}") from None

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        for location, problems in error.messages.items():
            if location not in ("query", "querystring") or not isinstance(problems, dict):
                continue
            unknown = sorted(str(name) for name, text in problems.items() if text == [UNKNOWN_FIELD])
            if unknown:
                known = sorted(f.data_key or name for name, f in schema.load_fields.items())
                names = ", ".join(repr(name) for name in unknown)
                raise ApiError(400, "invalid_parameter",
                               f"unknown parameter{'s' if len(unknown) > 1 else ''} {names}; "
                               f"this endpoint takes {', '.join(known) or 'no parameters'}", unknown[0])
        super().handle_error(error, req, schema, error_status_code=error_status_code, error_headers=error_headers)


ARGS_PARSER = Parser()


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ARGS_PARSER


api = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Search, read, export and write the archive.")
health = ApiBlueprint("health", __name__, description="Liveness for load balancers and scripts.")


# -- documentation helpers: what every read and every write may answer besides 200 ------------
# (Which operations need a key, and ids for client generators, are set by service/docs.py.)

IF_NONE_MATCH = {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                 "description": "An ETag from an earlier answer: 304 if nothing changed since"}
ETAG_HEADER = {"ETag": {"description": "Changes when the index or the request changes", "schema": {"type": "string"}}}
NDJSON = "application/x-ndjson"


def read_endpoint(func):
    """Document a read: 304, and 401/403 when read keys are required.

    (If-None-Match is declared on the route, or with api.doc on a view without
    arguments: flask-smorest lets a view's own `parameters` replace its arguments'.)
    """
    func = api.alt_response(304, description="Not Modified: If-None-Match matched the current ETag")(func)
    func = api.alt_response(401, schema=ErrorOut, description="NEWSINDEX_REQUIRE_READ_KEY=1 and no key, or an unknown one")(func)
    return api.alt_response(403, schema=ErrorOut, description="NEWSINDEX_REQUIRE_READ_KEY=1 and the key lacks read scope")(func)


def write_endpoint(func):
    """Document a write: key required, lock wait bounded (503 + Retry-After), disk full (507)."""
    func = api.alt_response(401, schema=ErrorOut, description="No API key, or an unknown or revoked one")(func)
    func = api.alt_response(403, schema=ErrorOut, description="The key's scope is too small")(func)
    func = api.alt_response(413, schema=ErrorOut, description="Body larger than NEWSINDEX_MAX_BULK_BYTES")(func)
    func = api.alt_response(507, schema=ErrorOut, description="The disk holding the index is full; nothing was written")(func)
    return api.alt_response(503, schema=ErrorOut, description="Another writer held the index lock too long; "
                            "retry after Retry-After seconds",
                            headers={"Retry-After": {"schema": {"type": "integer"}}})(func)


# -- search ---------------------------------------------------------------------------------


@api.route("/search", parameters=[IF_NONE_MATCH])
class Search(MethodView):
    @read_endpoint
    @api.arguments(SearchArgs, location="query", as_kwargs=False)
    @api.response(200, SearchOut, headers={**ETAG_HEADER, "Link": {
        "description": 'Absolute URLs of the next and previous pages (rel="next", rel="prev")',
        "schema": {"type": "string"}}})
    @api.alt_response(400, schema=ErrorOut, description="Invalid or unknown parameter, or a query that cannot run")
    def get(self, search_request: SearchRequest):
        """Search articles: ranked, highlighted, with facets.

        An empty `q` browses the archive newest first.  `next` and `previous`
        (and the `Link` header) are absolute URLs of the neighbouring pages; to
        take every result, use the CSV or NDJSON export.  `took_ms` is the time
        the whole request took.
        """
        result = get_index().search(search_request)
        page_links = links.page_links(result.page, result.pages)
        headers = {}
        if link := links.link_header(page_links):
            headers["Link"] = link
        return {**vars(result), "pages": result.pages, **page_links}, 200, headers


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
        xml = feeds.atom_feed(
            result, search_request,
            self_url=links.current_url(),
            page_url=links.absolute(url_for("pages.search"), request.args.to_dict(flat=False)),
            article_url=lambda article_id: links.absolute_for("pages.article", article_id=article_id),
            first_seen=feeds.first_seen_of(index, [hit.id for hit in result.hits if not hit.published]),
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


@health.route("/healthz")
class Health(MethodView):
    @health.response(200, HealthOut)
    def get(self):
        """Is the service up, and how much does it hold?"""
        stats = get_index().stats()
        return {"status": "ok", "articles": stats["articles"], "passages": stats["passages"],
                "entities_pending": stats.get("pending", 0)}
