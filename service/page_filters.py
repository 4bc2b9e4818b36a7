"""The search page's filters: the sidebar's facet groups, the active-filter chips, and fixes for no results.

Two kinds of facet stand side by side and never mix: editorial tags (the
archive's own hand-assigned lists: topics, places, people, orgs..., filtered
with `tag=kind:value`) and the entities extracted from the text (`person`,
`org`, `place`).  A wire archive's tags are its most reliable facets, so they
come first.  Every value is a link that toggles its filter (state in the URL,
service/page_urls.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import request

from index import SearchRequest, SearchResult
from service.archive import get_index
from service.page_urls import url_with

ENTITY_PARAMS = ("source", "person", "org", "place", "entity")
FILTER_LABELS = {"source": "Source", "person": "Person", "org": "Organisation", "place": "Place", "entity": "Entity"}
ENTITY_FACETS = (("person", "People"), ("org", "Organisations"), ("place", "Places"))
TAG_KINDS = {"topics": "Topics", "places": "Places", "people": "People", "orgs": "Organisations",
             "exchanges": "Exchanges", "companies": "Companies", "keywords": "Keywords", "categories": "Categories",
             "tags": "Tags"}
FACET_SHOWN = 8  # the rest of a facet's values are behind "show more"


def kind_label(kind: str) -> str:
    return TAG_KINDS.get(kind, kind.replace("_", " ").capitalize())


def tag_label(tag: str) -> str:
    """ "topics:crude" -> "Topics: crude" (the chip and aria wording of an editorial tag)."""
    kind, _, value = tag.partition(":")
    return f"{kind_label(kind)}: {value}"


@dataclass
class FacetEntry:
    value: str  # what is shown
    count: int | None
    selected: bool
    href: str


def _group(name: str, label: str, param: str, filter_label: str, values: list[tuple[str, str, int | None]],
           chosen: list[str], total: int | None, api: str | None = None) -> dict | None:
    """One sidebar section: `values` are (shown, filter value, count); chosen ones first and always present."""
    entries = [FacetEntry(shown, count, value in chosen, url_with(toggle=(param, value)))
               for shown, value, count in values]
    seen = {value for _, value, _ in values}
    # A filter that is on stays visible (and removable) even if it fell outside the top values.
    entries += [FacetEntry(value.partition(":")[2] if param == "tag" else value, total, True,
                           url_with(toggle=(param, value))) for value in chosen if value not in seen]
    entries.sort(key=lambda e: not e.selected)
    if not entries:
        return None
    return {"name": name, "label": label, "filter_label": filter_label, "api": api, "shown": entries[:FACET_SHOWN],
            "more": entries[FACET_SHOWN:], "selected": sum(e.selected for e in entries)}


def source_group(result: SearchResult, source_counts: list | None) -> list[dict]:
    """Sources, counted without the source filter when one is on (they are alternatives)."""
    values = source_counts if source_counts is not None else result.facets.get("source", [])
    group = _group("source", "Sources", "source", "Source", [(v.value, v.value, v.count) for v in values],
                   request.args.getlist("source"), None, api="source")
    return [group] if group else []


def entity_groups(result: SearchResult) -> list[dict]:
    """People, organisations and places named in the text (extracted entities)."""
    groups = []
    for name, label in ENTITY_FACETS:
        values = [(v.value, v.value, v.count) for v in result.facets.get(name, [])]
        group = _group(name, label, name, FILTER_LABELS[name], values, request.args.getlist(name),
                       result.total, api=name)
        if group:
            groups.append(group)
    return groups


def tag_groups(result: SearchResult) -> list[dict]:
    """Editorial tags, one section per kind (topics first), values filtering with `tag=kind:value`."""
    by_kind: dict[str, list[tuple[str, str, int]]] = {}
    for v in result.facets.get("tag", []):
        by_kind.setdefault(v.key or "tags", []).append((v.value, f"{v.key or 'tags'}:{v.value}", v.count))
    chosen = request.args.getlist("tag")
    for tag in chosen:
        by_kind.setdefault(tag.partition(":")[0], [])
    order = list(TAG_KINDS)
    groups = []
    for kind in sorted(by_kind, key=lambda k: (order.index(k) if k in order else len(order), k)):
        group = _group(f"tag-{kind}", kind_label(kind), "tag", f"{kind_label(kind)} tag", by_kind[kind],
                       [t for t in chosen if t.partition(":")[0] == kind], result.total)
        if group:
            groups.append(group)
    return groups


def active_filters(req: SearchRequest, match_shown: bool = False) -> list[dict]:
    """Removable chips for every filter in the URL (sources, entities, tags, story, dates, match).

    The match mode has no chip when the page's match control already shows it (`match_shown`).
    """
    chips = [{"label": f"{FILTER_LABELS[name]}: {value}", "href": url_with(remove=(name, value))}
             for name in ENTITY_PARAMS for value in request.args.getlist(name)]
    chips += [{"label": tag_label(tag), "href": url_with(remove=("tag", tag))} for tag in request.args.getlist("tag")]
    if req.family:
        chips.append({"label": "Story: versions of one story" if len(req.family) == 1 else
                      f"Story: versions of {len(req.family)} stories", "href": url_with(drop=("family",))})
    if req.date_from or req.date_to:
        span = " – ".join(d.strftime("%-d %b %Y") if d else "…" for d in (req.date_from, req.date_to))
        if req.date_from and req.date_from == req.date_to:
            span = req.date_from.strftime("%-d %b %Y")
        chips.append({"label": f"Date: {span}", "href": url_with(drop=("from", "to"))})
    if req.match != "auto" and not match_shown:
        chips.append({"label": f"Match: {req.match}", "href": url_with(match=None)})
    return chips


def fixes_for_empty(req: SearchRequest, result: SearchResult, unquoted: str | None) -> list[dict]:
    """For a search with no results: the nearest searches that have some, with their counts.

    Each fix drops one filter, searches the words of a quoted phrase, switches
    to `match=any`, or follows the spelling suggestion; only fixes that find
    something are offered.
    """
    index = get_index()
    candidates: list[tuple[str, str, SearchRequest]] = []
    for name in ENTITY_PARAMS:
        for value in getattr(req, name):
            smaller = replace(req, **{name: [v for v in getattr(req, name) if v != value]})
            candidates.append((f"without {FILTER_LABELS[name].lower()} “{value}”",
                               url_with(remove=(name, value)), smaller))
    for tag in req.tag:
        candidates.append((f"without the tag “{tag_label(tag)}”", url_with(remove=("tag", tag)),
                           replace(req, tag=[t for t in req.tag if t != tag])))
    if req.family:
        candidates.append(("in every story", url_with(drop=("family",)), replace(req, family=[])))
    if req.date_from or req.date_to:
        candidates.append(("at any date", url_with(drop=("from", "to")), replace(req, date_from=None, date_to=None)))
    if unquoted:
        candidates.append(("for the words, not the exact phrase", url_with(q=unquoted), replace(req, q=unquoted)))
    elif req.q.strip() and len(req.q.split()) > 1 and req.match != "any":
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
