"""The search page and the article view: HTML over the same query layer as the API.

Arguments are validated by the API's own SearchArgs schema and the search is the
same Index call, so the page and the JSON can never disagree (Datasette's
habit).  Every state of the page lives in its URL: `url_with` builds the links
that toggle a facet, remove a filter, pick a month or turn a page, so the back
button and a pasted link always show the same thing.

The pages are plain server-rendered HTML that works with JavaScript off;
`static/app.js` only adds keys, type-ahead and auto-submit.  Every HTML
response carries a Content-Security-Policy that allows nothing but the app's
own scripts, styles and requests, so no template may use inline scripts or
`style` attributes (SVG presentation attributes are fine).
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, render_template, request, url_for
from marshmallow import EXCLUDE
from werkzeug.datastructures import MultiDict

from index import SearchRequest, SearchResult
from service.api import ARGS_PARSER
from service.archive import get_index
from service.schemas import SearchArgs

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/static")

FILTER_PARAMS = ("source", "person", "org", "place", "entity")
FILTER_LABELS = {"source": "Source", "person": "Person", "org": "Organisation", "place": "Place", "entity": "Entity"}
FACETS = (("source", "Sources"), ("person", "People"), ("org", "Organisations"), ("place", "Places"))
FACET_LIMIT = 50  # values fetched per facet; the first FACET_SHOWN are shown, the rest behind "show more"
FACET_SHOWN = 8
HIT_CHIPS = {"person": 3, "place": 3}  # main people and places shown on a result card
MAX_MONTH_BARS = 120  # a longer span is drawn by year

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


# -- URLs ------------------------------------------------------------------------------


def url_with(endpoint: str = "pages.search", drop: tuple[str, ...] = (), toggle: tuple[str, str] | None = None,
             remove: tuple[str, str] | None = None, **changes) -> str:
    """The current page's URL with some arguments changed.

    `toggle=("person", "Putin")` adds or removes one value of a repeated filter,
    `remove` removes one value, `drop` removes whole arguments, and keyword
    arguments set single values (None removes; use `**{"from": ...}` for dates).
    Any change but a page turn goes back to page 1.
    """
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if _is_carried(k)])
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


def _is_carried(name: str) -> bool:
    """Whether a query argument is passed on in links: not one that url_for or a route takes itself."""
    return not name.startswith("_") and name not in ("endpoint", "article_id", "values")


def search_args(exclude: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The current search's arguments, for links that carry it along (to an article and back)."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k not in exclude and _is_carried(k)}


# -- the date histogram ------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of the histogram: a month (or year), its count, its place in the SVG and its link."""

    label: str
    count: int
    start: date
    end: date
    x: float
    y: float
    width: float
    height: float
    href: str | None
    selected: bool = False


@dataclass
class Histogram:
    bars: list[Bar]
    width: int
    height: int
    unit: str  # "month" or "year"
    first: str
    last: str
    peak: int = 0


def _months(first: str, last: str) -> list[str]:
    """Every YYYY-MM from `first` to `last`, inclusive."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def histogram(months: list, date_from: date | None, date_to: date | None,
              width: int = 240, height: int = 64) -> Histogram | None:
    """Bars of matching articles per month (per year over long spans), empty months included.

    `months` is the `date` facet: FacetValues of "YYYY-MM" in date order.  Each
    non-empty bar links to the search narrowed to its month; the bar of the
    currently selected month is marked.
    """
    counts = {v.value: v.count for v in months if re.fullmatch(r"\d{4}-\d{2}", v.value)}
    if not counts:
        return None
    span = _months(min(counts), max(counts))
    unit = "month"
    buckets: list[tuple[str, int, date, date]] = []
    if len(span) > MAX_MONTH_BARS:
        unit = "year"
        years: dict[int, int] = {}
        for key, count in counts.items():
            years[int(key[:4])] = years.get(int(key[:4]), 0) + count
        for year in range(min(years), max(years) + 1):
            buckets.append((str(year), years.get(year, 0), date(year, 1, 1), date(year, 12, 31)))
    else:
        for key in span:
            year, month = map(int, key.split("-"))
            start = date(year, month, 1)
            buckets.append((start.strftime("%B %Y"), counts.get(key, 0), start,
                            date(year, month, monthrange(year, month)[1])))
    peak = max(count for _, count, _, _ in buckets)
    # A short span keeps bars a readable width, centred, rather than one bar filling the chart.
    slot = width / max(len(buckets), 12)
    offset = (width - slot * len(buckets)) / 2
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, (label, count, start, end) in enumerate(buckets):
        h = round((height - 2) * count / peak, 2) if count else 0.0
        href = url_with(**{"from": start.isoformat(), "to": end.isoformat()}) if count else None
        bars.append(Bar(label, count, start, end, x=round(offset + i * slot, 2), y=round(height - h, 2),
                        width=round(max(slot - gap, 0.5), 2), height=h, href=href,
                        selected=(date_from == start and date_to == end)))
    return Histogram(bars=bars, width=width, height=height, unit=unit, first=buckets[0][0],
                     last=buckets[-1][0], peak=peak)


def quick_ranges(today: date) -> list[tuple[str, str, str]]:
    """(label, from, to) of the ranges offered next to the date inputs, relative to today."""
    return [(label, (today - timedelta(days=days)).isoformat(), today.isoformat())
            for label, days in (("Past 7 days", 7), ("Past 30 days", 30), ("Past year", 365))]


# -- facets, chips and fixes ------------------------------------------------------------------


@dataclass
class FacetEntry:
    value: str
    count: int | None
    selected: bool
    href: str


def facet_groups(result: SearchResult, req: SearchRequest, source_counts: list | None) -> list[dict]:
    """The sidebar: each facet's values with counts, selected ones first and always present.

    `source_counts` are the source counts computed without the source filter (sources
    are alternatives, so the others stay selectable); None when no source is selected.
    """
    groups = []
    for name, label in FACETS:
        values = source_counts if name == "source" and source_counts is not None else result.facets.get(name, [])
        chosen = request.args.getlist(name)
        entries = [FacetEntry(v.value, v.count, v.value in chosen, url_with(toggle=(name, v.value))) for v in values]
        seen = {e.value for e in entries}
        # A filter that is on stays visible (and removable) even if it fell outside the top values.
        entries += [FacetEntry(v, result.total if name != "source" else None, True, url_with(toggle=(name, v)))
                    for v in chosen if v not in seen]
        entries.sort(key=lambda e: not e.selected)
        if entries:
            groups.append({"name": name, "label": label, "shown": entries[:FACET_SHOWN],
                           "more": entries[FACET_SHOWN:], "selected": len(chosen)})
    return groups


def active_filters(req: SearchRequest) -> list[dict]:
    """Removable chips for every filter in the URL (entities, sources, dates, match)."""
    chips = [{"label": f"{FILTER_LABELS[name]}: {value}", "href": url_with(remove=(name, value))}
             for name in FILTER_PARAMS for value in request.args.getlist(name)]
    if req.date_from or req.date_to:
        span = f"{req.date_from or '…'} – {req.date_to or '…'}"
        chips.append({"label": f"Date: {span}", "href": url_with(drop=("from", "to"))})
    if req.match != "auto":
        chips.append({"label": f"Match: {req.match}", "href": url_with(match=None)})
    return chips


def fixes_for_empty(req: SearchRequest, result: SearchResult) -> list[dict]:
    """For a search with no results: the nearest searches that have some, with their counts.

    Each fix drops one filter, switches to `match=any`, or follows the spelling
    suggestion; only fixes that find something are offered.
    """
    index = get_index()
    candidates: list[tuple[str, str, SearchRequest]] = []
    for name in FILTER_PARAMS:
        for value in getattr(req, name):
            smaller = replace(req, **{name: [v for v in getattr(req, name) if v != value]})
            candidates.append((f"without {FILTER_LABELS[name].lower()} “{value}”",
                               url_with(remove=(name, value)), smaller))
    if req.date_from or req.date_to:
        candidates.append(("at any date", url_with(drop=("from", "to")), replace(req, date_from=None, date_to=None)))
    if req.q.strip() and len(req.q.split()) > 1 and req.match != "any":
        candidates.append(("matching any of the words", url_with(match="any"), replace(req, match="any")))
    fixes = []
    for label, href, candidate in candidates[:6]:
        found = index.search(replace(candidate, page=1, per_page=1, facets=False, passages=0)).total
        if found:
            fixes.append({"label": label, "href": href, "total": found})
    suggestion = getattr(result, "suggestion", None)
    if suggestion and suggestion.get("q"):
        fixes.insert(0, {"label": f"for “{suggestion['q']}”", "href": url_with(q=suggestion["q"]),
                         "total": suggestion.get("total")})
    return fixes


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
    return {"url_with": url_with, "filter_labels": FILTER_LABELS}


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
    today = date.today()
    return render_template(
        "search.html", result=result, req=req,
        facets=facet_groups(result, req, source_counts), chips=active_filters(req),
        histogram=histogram(result.facets.get("date", []), req.date_from, req.date_to),
        quick_ranges=quick_ranges(today), fixes=fixes_for_empty(req, result) if not result.hits else [],
        why={hit.id: why_matched(hit) for hit in result.hits} if req.q.strip() else {},
        pager=page_numbers(result.page, last_page), last_page=last_page,
        carry=search_args(), hit_chips=HIT_CHIPS,
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
    passages = [(p.position, mark(p.text)) for p in found.passages]
    entities: dict[str, list] = {"person": [], "org": [], "place": []}
    for entity in found.entities:  # named and typed as the archive names them (Index.get)
        if all(entity.name != e[0] for e in entities[entity.type]):
            entities[entity.type].append((entity.name, entity.mentions))
    for kind in entities:
        entities[kind].sort(key=lambda e: (-e[1], e[0].lower()))
    return render_template("article.html", article=found, title_html=mark(found.title), passages=passages,
                           entities=entities, q=q, back=search_args(), related=_related(index, article_id),
                           keep=[(k, v) for k, values in search_args(exclude=("q", "page")).items() for v in values],
                           matches=sum(html.count("<mark>") for _, html in passages))
