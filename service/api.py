"""The JSON API under /api/v1: HTTP in, one Index call, JSON out.

Views are thin on purpose: flask-smorest validates arguments with the schemas in
service/schemas.py (which also document them), the view makes one call on the
Index, and the response schema shapes the answer.
"""

from __future__ import annotations

from flask import request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser

from index import SearchRequest, SearchResult
from service.archive import get_index
from service.schemas import ArticleOut, ErrorOut, HealthOut, SearchArgs, SearchOut


class Parser(FlaskParser):
    """Invalid arguments are a 400 (webargs says 422), turned into our error shape."""

    DEFAULT_VALIDATION_STATUS = 400


ARGS_PARSER = Parser()


class ApiBlueprint(Blueprint):
    ARGUMENTS_PARSER = ARGS_PARSER


api = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="Search and read the archive.")
health = ApiBlueprint("health", __name__, description="Liveness for load balancers and scripts.")


def page_links(result: SearchResult) -> dict[str, str | None]:
    """URLs of the next and previous pages of the same search, or None at either end."""
    args = request.args.to_dict(flat=False)

    def link(page: int) -> str:
        return url_for(request.endpoint, **{**args, "page": page}, **(request.view_args or {}))

    return {
        "next": link(result.page + 1) if result.page < result.pages else None,
        "previous": link(result.page - 1) if result.page > 1 else None,
    }


def run_search(search_request: SearchRequest) -> SearchResult:
    return get_index().search(search_request)


@api.route("/search")
class Search(MethodView):
    @api.arguments(SearchArgs, location="query", as_kwargs=False)
    @api.response(200, SearchOut)
    @api.alt_response(400, schema=ErrorOut, description="Invalid parameter or query")
    def get(self, search_request: SearchRequest):
        """Search articles: ranked, highlighted, with facets.

        An empty `q` browses the archive newest first.
        """
        result = run_search(search_request)
        links = page_links(result)
        headers = {}
        rels = [f'<{url}>; rel="{rel}"' for rel, url in links.items() if url]
        if rels:
            headers["Link"] = ", ".join(rels)
        payload = {**vars(result), "pages": result.pages, **links}
        return payload, 200, headers


@api.route("/articles/<string:article_id>")
class ArticleView(MethodView):
    @api.response(200, ArticleOut)
    @api.alt_response(404, schema=ErrorOut, description="No article with that id")
    def get(self, article_id: str):
        """One article with its metadata, passages and entities."""
        return get_index().get(article_id)


@health.route("/healthz")
class Health(MethodView):
    @health.response(200, HealthOut)
    def get(self):
        """Is the service up, and how much does it hold?"""
        stats = get_index().stats()
        return {"status": "ok", "articles": stats["articles"], "passages": stats["passages"]}
