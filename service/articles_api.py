"""The article routes of the JSON API: read one, and every write (on the `api` blueprint).

    POST   /articles                   create, with a generated id (201 + Location)
    GET    /articles/<id>              one article
    PUT    /articles/<id>              create or replace (201 created, 200 replaced)
    PATCH  /articles/<id>              change some fields (JSON merge patch)
    DELETE /articles/<id>              remove
    GET    /articles/<id>/related      the most similar articles
    POST   /articles/bulk              NDJSON, one article a line
    POST   /articles/bulk-delete       {"ids": [...]}: remove many in one commit
    POST   /articles/delete-by-query   remove what a search matches (admin key)

Ids may contain `/` (the routes take the rest of the path).  Writes need a key
of write scope (service/auth.py), deleting by query one of admin scope; the
work itself is in service/writes.py.
"""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView

from service import auth, writes
from service.api import ETAG_HEADER, IF_NONE_MATCH, NDJSON, api, read_endpoint, write_endpoint
from service.archive import get_index
from service.errors import ApiError
from service.links import absolute_for
from service.schemas import ARTICLE_EXAMPLE, ArticleIn, ArticleOut, ArticlePatch, ErrorOut, RelatedArgs, RelatedOut
from service.write_schemas import BulkDeleteIn, BulkDeleteOut, BulkOut, DeleteByQueryIn, DeleteByQueryOut

# Media types a bulk body may be labelled with (no label at all is fine too).
NDJSON_TYPES = {NDJSON, "application/jsonl", "application/x-jsonlines", "application/jsonlines", "text/plain",
                "application/octet-stream", "application/x-www-form-urlencoded"}
ID_PARAM = {"in": "path", "name": "article_id", "required": True, "schema": {"type": "string"},
            "description": "The article's id (may contain /)", "example": "cms-2021-0042"}


# OpenAPI links: what a client (or schemathesis' stateful tests) can do next with a written article.
ARTICLE_LINKS = {
    "GetArticle": {"operationId": "getArticle", "parameters": {"article_id": "$response.body#/id"},
                   "description": "Read the article back"},
    "PatchArticle": {"operationId": "patchArticle", "parameters": {"article_id": "$response.body#/id"},
                     "description": "Change some of its fields"},
    "DeleteArticle": {"operationId": "deleteArticle", "parameters": {"article_id": "$response.body#/id"},
                      "description": "Remove it"},
}


def require_json() -> None:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the article as JSON (Content-Type: application/json)")


def location(article_id: str) -> dict:
    return {"Location": absolute_for("api.ArticleView", article_id=article_id)}


def refuse_reserved(article_id: str) -> None:
    """PUT /articles/bulk and the like reach here when the method is not the endpoint's: never an article."""
    if article_id in writes.RESERVED_IDS:
        raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {request.path}; it takes POST",
                       headers={"Allow": "POST"})


@api.route("/articles")
class ArticleCollection(MethodView):
    @write_endpoint
    @api.arguments(ArticleIn, location="json", example=ARTICLE_EXAMPLE,
                   description="The article, as for PUT, without an id: the service makes one")
    @api.response(201, ArticleOut, description="Created: the stored article (Location gives its URL)",
                  headers={"Location": {"description": "Absolute URL of the new article", "schema": {"type": "string"}}})
    @api.alt_response(400, schema=ErrorOut, description="Invalid article (the field is named)")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON")
    @api.doc(responses={201: {"links": ARTICLE_LINKS}})
    def post(self, body: dict):
        """Create an article under a new generated id.

        Same body and pipeline as PUT; use PUT to choose the id yourself.
        """
        require_json()
        article = writes.post_article(get_index(), body)
        return article, 201, location(article.id)


@api.route("/articles/<path:article_id>", parameters=[ID_PARAM])
class ArticleView(MethodView):
    @read_endpoint
    @api.doc(parameters=[IF_NONE_MATCH])
    @api.response(200, ArticleOut, headers=ETAG_HEADER)
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def get(self, article_id: str):
        """One article with its metadata, passages and entities."""
        return get_index().get(article_id)

    @write_endpoint
    @api.arguments(ArticleIn, location="json", example=ARTICLE_EXAMPLE,
                   description="The article: `body` (plain text) or `html` (a whole page), and optional metadata")
    @api.response(200, ArticleOut, description="Replaced: the stored article")
    @api.alt_response(201, schema=ArticleOut, description="Created: the stored article",
                      headers={"Location": {"description": "Absolute URL of the new article", "schema": {"type": "string"}}})
    @api.alt_response(400, schema=ErrorOut, description="Invalid article (the field is named)")
    @api.alt_response(405, schema=ErrorOut, description="The id names an endpoint (bulk, bulk-delete, delete-by-query)")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON")
    @api.doc(responses={200: {"links": ARTICLE_LINKS}, 201: {"links": ARTICLE_LINKS}})
    def put(self, body: dict, article_id: str):
        """Create or replace the article with this id.

        Runs the same pipeline as `newsindex ingest` (passages, entities) and
        answers once the write is committed: every search that starts after
        the answer finds it.  201 when created, 200 when replaced; of two
        concurrent creates of one id exactly one is 201.
        """
        refuse_reserved(article_id)
        require_json()
        article, created = writes.put_article(get_index(), article_id, body)
        if created:
            return article, 201, location(article_id)
        return article

    @write_endpoint
    @api.arguments(ArticlePatch, location="json", example={"title": "Corrected headline", "byline": None},
                   description="The fields to change (JSON merge patch, RFC 7396): null clears an optional one")
    @api.response(200, ArticleOut, description="Updated: the stored article")
    @api.alt_response(400, schema=ErrorOut, description="Invalid field (named)")
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON")
    def patch(self, patch: dict, article_id: str):
        """Change some fields of an article; the others stay as stored.

        The changed article runs through the pipeline again (passages,
        entities).  Send `application/merge-patch+json` or `application/json`.
        """
        refuse_reserved(article_id)
        require_json()
        return writes.patch_article(get_index(), article_id, patch)

    @write_endpoint
    @api.response(204, description="Deleted")
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def delete(self, article_id: str):
        """Remove the article with this id (and its passages)."""
        refuse_reserved(article_id)
        writes.delete_article(get_index(), article_id)
        return "", 204


@api.route("/articles/<path:article_id>/related", parameters=[ID_PARAM])
class RelatedView(MethodView):
    @read_endpoint
    @api.arguments(RelatedArgs, location="query", as_kwargs=True)
    @api.response(200, RelatedOut)
    @api.alt_response(400, schema=ErrorOut, description="Invalid or unknown parameter")
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def get(self, article_id: str, limit: int):
        """The articles most like this one, by key terms and meaning; never itself, a copy or its story's versions."""
        return {"id": article_id, "related": get_index().related(article_id, limit)}


BULK_EXAMPLE = ('{"id": "cms-2021-0043", "title": "Ceasefire monitors arrive", "body": "Officers opened the centre."}\n'
                '{"id": "cms-2021-0044", "body": "President Ilham Aliyev welcomed the mission.", '
                '"published": "2021-01-30T09:00:00+02:00"}\n')


@api.route("/articles/bulk")
class ArticlesBulk(MethodView):
    @write_endpoint
    @api.doc(requestBody={"required": True, "description": "NDJSON: one article (as for PUT, with an optional `id`) "
                          "a line; at most NEWSINDEX_MAX_BULK_BYTES",
                          "content": {NDJSON: {"schema": {"type": "string"}, "example": BULK_EXAMPLE}}})
    @api.response(200, BulkOut, description="Per line: created, updated or unchanged, or the error for that line")
    @api.alt_response(400, schema=ErrorOut, description="The body holds no line at all")
    @api.alt_response(415, schema=ErrorOut, description="Not NDJSON (a JSON array is refused: send one article a line)")
    def post(self):
        """Create or replace many articles: NDJSON, one article a line.

        A bad line does not stop the others: the answer lists every line,
        created, updated, unchanged (identical to the stored article, not
        rewritten) or with its error.  Valid lines are committed in batches of
        NEWSINDEX_INGEST_BATCH_SIZE before the answer is sent.  Without an
        `id`, an article's id is a hash of its title and text.
        """
        if request.mimetype and request.mimetype not in NDJSON_TYPES:
            hint = " (a JSON array is not accepted)" if request.is_json else ""
            raise ApiError(415, "unsupported_media_type", f"send NDJSON{hint}: one JSON article a line, with "
                           f"Content-Type: {NDJSON}")
        settings = current_app.config["SETTINGS"]
        report = writes.bulk_write(get_index(), request.get_data(cache=False), settings.ingest_batch_size)
        return report.as_dict()


@api.route("/articles/bulk-delete")
class ArticlesBulkDelete(MethodView):
    @write_endpoint
    @api.arguments(BulkDeleteIn, location="json")
    @api.response(200, BulkDeleteOut, description="Per id: deleted or not_found")
    @api.alt_response(400, schema=ErrorOut, description="Invalid body")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON")
    def post(self, body: dict):
        """Remove many articles by id, in one commit."""
        require_json()
        return writes.delete_ids(get_index(), body["ids"])


@api.route("/articles/delete-by-query")
class ArticlesDeleteByQuery(MethodView):
    @write_endpoint
    @api.arguments(DeleteByQueryIn, location="json", example={"q": "ceasefire", "source": ["Daily Sabah"],
                                                               "to": "2020-12-31", "dry_run": True})
    @api.response(200, DeleteByQueryOut, description="What was removed (or would be, on a dry run)")
    @api.alt_response(400, schema=ErrorOut, description="Invalid search, or one that names nothing (every article)")
    @api.alt_response(415, schema=ErrorOut, description="The body is not JSON")
    def post(self, body: dict):
        """Remove every article a search matches (needs a key of admin scope).

        The body takes the search's selecting parameters (q, source, entity,
        person, org, place, from, to, match) as JSON.  At most
        NEWSINDEX_EXPORT_MAX articles go per request (`truncated` says when more
        match); `dry_run` only reports.  A search naming nothing is refused.
        """
        auth.require("admin")
        require_json()
        limit = current_app.config["SETTINGS"].export_max
        return writes.delete_matching(get_index(), body["request"], limit, body["dry_run"])
