"""The search page and the article view: HTML over the same query layer as the API.

Arguments are validated by the API's own SearchArgs schema and the search is the
same Index call, so the page and the JSON can never disagree (Datasette's
habit).  Every state of the page lives in its URL (service/page_urls.py), so
the back button and a pasted link always show the same thing.  The sidebar's
filters are in service/page_filters.py, the date tools in service/histogram.py.

The results header is honest about counts: how many articles match, how many
of them hold every word, and, when versions of one story are grouped, how many
stories; the reader picks best match / all words / any word / exact phrase
there, and finds the same search as CSV, NDJSON and an Atom feed.

The pages are plain server-rendered HTML that works with JavaScript off;
`static/app.js` only adds keys, type-ahead, auto-submit and range selection on
the histogram.  Every HTML response carries a Content-Security-Policy that
allows nothing but the app's own scripts, styles and requests, so no template
may use inline scripts or `style` attributes (SVG presentation attributes are fine).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

from flask import Blueprint, current_app, render_template, request
from marshmallow import EXCLUDE

from index import SearchRequest, SearchResult
from service.api import ARGS_PARSER
from service.archive import get_index
from service.histogram import bins, histogram, period, quick_ranges
from service.page_filters import (
    FILTER_LABELS, active_filters, entity_groups, fixes_for_empty, kind_label, source_group, tag_groups, tag_label,
)
from service.page_urls import api_links, article_url, search_args, url_with
from service.schemas import SearchArgs

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")

FACET_LIMIT = 50  # values fetched per facet; the first few are shown, the rest behind "show more"
HIT_CHIPS = {"person": 3, "place": 3}  # main people and places shown on a result card
HIT_TAGS = 6  # editorial tags shown on a result card

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# -- the results header: counts, match choice, story families -------------------------------

_PHRASE = re.compile(r'^\s*"([^"]+)"\s*$')
_PLAIN_WORDS = re.compile(r"[\w'’.\-]+(?:\s+[\w'’.\-]+)+")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE)\b")


def quoted_phrase(q: str) -> str | None:
    """The words of a query that is one quoted phrase (`"joint centre"` -> `joint centre`), else None."""
    found = _PHRASE.match(q)
    return found.group(1).strip() if found and len(found.group(1).split()) > 1 else None


def match_choices(req: SearchRequest, result: SearchResult) -> dict | None:
    """The "which articles" control: best match, all words, any word, exact phrase, each with its count if known.

    Only for a query of several words.  Counts come from this very search: with
    `match=auto` or `any` the matches are the articles with any word and
    `total_all_words` those with every word; with `match=all` only the latter is known.
    """
    q = req.q.strip()
    phrase = quoted_phrase(q)
    words = phrase or q
    if len(words.split()) < 2:
        return None
    current = "phrase" if phrase else req.match
    any_count = result.total if current in ("auto", "any") else None
    all_count = result.total if current == "all" else result.total_all_words if current != "phrase" else None
    plain = bool(_PLAIN_WORDS.fullmatch(words)) and not _OPERATORS.search(words)
    best = "Articles with every word first, then those with some of them" if req.sort == "relevance" else \
        f"Articles with every word, {req.sort} first (those with some of them when none has every word)"
    choices = [
        ("auto", "Best match", any_count, best, url_with(q=words, match=None)),
        ("all", "All words", all_count, "Only articles with every word", url_with(q=words, match="all")),
        ("any", "Any word", any_count, "Articles with any of the words, best first", url_with(q=words, match="any")),
    ]
    if plain or phrase:
        choices.append(("phrase", "Exact phrase", result.total if phrase else None,
                        "Only articles with these words together, in this order",
                        url_with(q=f'"{words}"', match=None)))
    return {"current": current, "choices": [
        {"value": value, "label": label, "count": count, "help": help, "href": href, "current": value == current}
        for value, label, count, help, href in choices]}


def counts(req: SearchRequest, result: SearchResult) -> dict:
    """What the header says: articles, those with every word, and stories when versions are grouped.

    Sorted by date, a best-match search lists only the articles holding every word when some do
    (SearchRequest.lists_every_word_by_date), so the header counts those, and says how many hold
    some of the words."""
    every = result.total_all_words
    by_date = req.lists_every_word_by_date and bool(every) and every < result.total
    listed = every if by_date else result.total
    grouped = bool(req.collapse and result.stories is not None and result.stories < listed)
    return {
        "articles": listed,
        "every_word": every if every is not None and every != result.total and not quoted_phrase(req.q) else None,
        "stories": result.stories if grouped else None,
        "grouped": grouped,
        "by_date": by_date,  # then `articles` are those with every word, of `matching`
        "matching": result.total,
        "query": shown_query(req.q),
    }


def shown_query(q: str) -> str:
    """The query as the header quotes it (in <q>, which adds its own quote marks): a query that is one
    quotation is shown without its own, not as “"…"”."""
    inner = q[1:-1] if len(q) > 2 and q[0] == q[-1] == '"' else None
    return inner if inner is not None and '"' not in inner and inner.strip() else q


def newest_date(index, req: SearchRequest, result: SearchResult) -> date | None:
    """The day of the newest result: where the date shortcuts count back from.

    Free in most cases: the histogram's last bar when it counts days, or the
    first hit when the page is newest first.  Otherwise one small search,
    newest first, within the histogram's last month or year only (so it
    scores a few matches, not all of them); for several words that is the
    newest there holding all of them, as "Newest first" would list it.
    """
    found = bins(result.facets)
    if not result.total or not found:
        return None
    unit, per_bin = found
    last = max(per_bin)
    if unit == "day":
        return date.fromisoformat(last)
    sort = "newest" if req.is_browse and req.sort == "relevance" else req.sort
    hits = result.hits if sort == "newest" and req.page == 1 else None
    if not hits:
        start, end, _ = period(unit, last)
        within = replace(req, date_from=max(start, req.date_from or start), date_to=min(end, req.date_to or end),
                         sort="newest", page=1, per_page=1, facets=False, passages=0)
        hits = index.search(within).hits
    published = hits[0].published if hits else None
    return published.date() if published else None


_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def why_matched(hit) -> list[dict]:
    """What made an article match: the API's `matched` where present, else the marked words and where."""
    matched = getattr(hit, "matched", None)
    if matched:
        def field_of(m, name):
            return m.get(name) if isinstance(m, dict) else getattr(m, name, None)
        return [{"term": field_of(m, "term"), "fields": list(field_of(m, "fields") or []), "via": field_of(m, "via")}
                for m in matched]
    found: dict[str, list[str]] = {}
    for where, html in [("title", hit.title_html)] + [("passage", p.html) for p in hit.passages]:
        for word in _MARK.findall(html):
            fields = found.setdefault(word.lower(), [])
            if where not in fields:
                fields.append(where)
    return [{"term": term, "fields": fields, "via": None} for term, fields in found.items()]


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a window around the current one; None marks a gap."""
    wanted = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for n in wanted:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


# -- views -------------------------------------------------------------------------------------


def _parse_args() -> SearchRequest:
    """The same validation as the API; a bad value becomes a 400 page naming it."""
    # Unlike the API, a page ignores parameters it does not know (links from elsewhere carry utm_* and such).
    return ARGS_PARSER.parse(SearchArgs(), request, location="query", unknown=EXCLUDE)


@pages.app_context_processor
def helpers():
    return {"url_with": url_with, "article_url": article_url, "filter_labels": FILTER_LABELS, "kind_label": kind_label,
            "tag_label": tag_label}


@pages.app_template_filter("day")
def format_day(value, style: str = "%-d %b %Y") -> str:
    """A date or datetime as '26 Nov 2020'; an ISO string is parsed first, anything else shown as is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.strftime(style) if hasattr(value, "strftime") else str(value)


@pages.after_app_request
def security_headers(response):
    """CSP on every HTML response: only the app's own scripts, styles and requests."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@pages.route("/")
def search():
    """The search page: query box, results with highlighted passages, facets, histogram, filters."""
    req = _parse_args()
    req.facet_limit = FACET_LIMIT
    index = get_index()
    result = index.search(req)
    source_counts = None
    if req.source and req.facets:
        # Sources are alternatives: count them as if none were chosen, so others can be added.
        others = index.search(replace(req, source=[], page=1, per_page=1, passages=0))
        source_counts = others.facets.get("source", [])
    settings = current_app.config["SETTINGS"]
    last_page = max(1, min(result.pages, settings.max_results_window // req.per_page))
    chart = histogram(result.facets, req.date_from, req.date_to,
                      lambda start, end: url_with(**{"from": start.isoformat(), "to": end.isoformat()}))
    match = match_choices(req, result)
    return render_template(
        "search.html", result=result, req=req, counts=counts(req, result), match=match,
        sources=source_group(result, source_counts), tag_groups=tag_groups(result), facets=entity_groups(result),
        chips=active_filters(req, match_shown=match is not None), histogram=chart, quick_ranges=quick_ranges(newest_date(index, req, result)),
        fixes=fixes_for_empty(req, result, quoted_phrase(req.q)) if not result.hits else [],
        why={hit.id: why_matched(hit) for hit in result.hits} if req.q.strip() else {},
        pager=page_numbers(result.page, last_page), last_page=last_page, api=api_links(),
        carry=search_args(), hit_chips=HIT_CHIPS, hit_tags=HIT_TAGS,
        keep=[(k, v) for k, values in search_args(exclude=("q", "page")).items() for v in values],
        first=(result.page - 1) * result.per_page + 1,
    )


def _related(index, article_id: str) -> list:
    """Related articles where the index offers them (an older index has no `related`)."""
    try:
        return list(index.related(article_id, limit=5))
    except (AttributeError, NotImplementedError):
        return []


@pages.route("/articles/<path:article_id>")
def article(article_id: str):
    """One article, every match of `q` highlighted, each passage with a permalink (#p3)."""
    index = get_index()
    found = index.get(article_id)
    q = request.args.get("q", "")
    mark = index.highlighter(q)
    passages = list(zip((p.position for p in found.passages), mark.passages([p.text for p in found.passages])))
    entities: dict[str, list] = {"person": [], "org": [], "place": []}
    for entity in found.entities:  # named and typed as the archive names them (Index.get)
        if all(entity.name != e[0] for e in entities[entity.type]):
            entities[entity.type].append((entity.name, entity.mentions))
    for kind in entities:
        entities[kind].sort(key=lambda e: (-e[1], e[0].lower()))
    family = getattr(found, "family", None)
    versions = index.search(SearchRequest(family=[family], collapse=False, per_page=1, facets=False,
                                          passages=0)).total if family else 0
    return render_template("article.html", article=found, title_html=mark(found.title), passages=passages,
                           entities=entities, q=q, back=search_args(), related=_related(index, article_id),
                           tags=dict(getattr(found, "tags", None) or {}), family=family, versions=versions,
                           keep=[(k, v) for k, values in search_args(exclude=("q", "page")).items() for v in values],
                           matches=sum(html.count("<mark>") for _, html in passages))
