"""The search page and the article view: HTML over the same query layer as the API.

Arguments are validated by the API's own SearchArgs schema and the search is the
same Index call, so the page and the JSON can never disagree (Datasette's
habit).  Every state of the page lives in its URL; `url_with` builds the links
that toggle a facet, remove a filter or turn a page.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from index import SearchRequest
from service.archive import get_index
from service.api import ARGS_PARSER
from service.schemas import SearchArgs

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")

FILTER_PARAMS = ("source", "person", "org", "place", "entity")
FILTER_LABELS = {"source": "Source", "person": "Person", "org": "Organisation", "place": "Place", "entity": "Entity"}


def url_with(endpoint: str = "pages.search", drop: tuple[str, ...] = (), toggle: tuple[str, str] | None = None,
             remove: tuple[str, str] | None = None, **changes) -> str:
    """The current page's URL with some arguments changed.

    `toggle=("person", "Putin")` adds or removes one value of a repeated filter,
    `remove` removes one value, `drop` removes whole arguments, and keyword
    arguments set single values (None removes).  Any change but a page turn
    goes back to page 1.
    """
    args = MultiDict(request.args)
    for name in drop:
        args.poplist(name)
    if toggle or remove:
        name, value = toggle or remove
        values = args.getlist(name)
        values = [v for v in values if v != value] if value in values else values + ([value] if toggle else [])
        args.setlist(name, values)
    for name, value in changes.items():
        args.poplist(name)
        if value not in (None, ""):
            args[name] = value
    if "page" not in changes:
        args.poplist("page")
    return url_for(endpoint, **args.to_dict(flat=False))


def _parse_args() -> SearchRequest:
    """The same validation as the API; a bad value becomes a 400 page naming it."""
    return ARGS_PARSER.parse(SearchArgs(), request, location="query")


@pages.app_context_processor
def helpers():
    return {"url_with": url_with, "filter_labels": FILTER_LABELS, "today": date.today()}


@pages.route("/")
def search():
    """The search page: query box, results with highlighted passages, facets, filters."""
    search_request = _parse_args()
    index = get_index()
    result = index.search(search_request)
    active = [(name, value) for name in FILTER_PARAMS for value in request.args.getlist(name)]
    return render_template("search.html", result=result, req=search_request, active=active)


@pages.route("/articles/<string:article_id>")
def article(article_id: str):
    """One article, every match of `q` highlighted, each passage with a permalink (#p3)."""
    index = get_index()
    found = index.get(article_id)
    q = request.args.get("q", "")
    mark = index.highlighter(q)
    passages = [(p.position, mark(p.text)) for p in found.passages]
    catalog = index.catalog()
    entities: dict[str, list] = {"person": [], "org": [], "place": []}
    for entity in found.entities:
        target = catalog.canonical.get(entity.key, entity.key)
        kind = catalog.type_of.get(target, entity.type)
        name = catalog.display.get(target, entity.name)
        if all(name != e[0] for e in entities[kind]):
            entities[kind].append((name, entity.mentions))
    return render_template("article.html", article=found, title_html=mark(found.title), passages=passages,
                           entities=entities, q=q)
