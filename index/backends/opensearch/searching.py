"""One search over OpenSearch: a SearchRequest in, one request out, a SearchResult back.

The request carries everything at once: the query over articles (query.py)
with the filters as non-scoring clauses, a nested query over the passages of
the page's articles whose inner_hits are their best one to three passages,
facets as aggregations (source terms, a month date_histogram, entity keys
merged through the catalog by entities.py), and the "did you mean" suggester
(suggest.py).  Highlighting is ours (index/text/highlight.py): OpenSearch says
which passages matched, we escape them and mark the words, as the Whoosh
backend does, so both backends produce the same HTML.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable
from datetime import datetime, time as dtime

from opensearchpy import OpenSearch

from index.article import stored_time
from index.backends.opensearch import suggest
from index.backends.opensearch.connection import Names, search as run_search, translated
from index.backends.opensearch.entities import entity_aggregation, entity_facets
from index.backends.opensearch.query import QueryPlan, parse_only, plan_query
from index.query import FacetValue, Hit, PassageHit, SearchRequest, SearchResult
from index.search.catalog import EntityCatalog
from index.search.expand import Limits
from index.search.passages import quote_across, shown_fields
from index.text.aliases import Aliases
from index.text.highlight import Highlighter
from index.text.analysis import fold

HIT_SOURCE = ["title", "lead", "data", "family", "has_family"]


@dataclass
class Context:
    client: OpenSearch
    names: Names
    catalog: EntityCatalog
    aliases: Aliases
    limits: Limits
    time_limit: float = 2.0
    families: bool = False  # whether any article has a story family (collapsing is then worth a request)
    entity_idf: Callable[[tuple[str, ...]], float] | None = None  # how rare an entity is (alias clauses' score)


def filters(request: SearchRequest, catalog: EntityCatalog) -> list[dict]:
    """Sources are alternatives (any of them); every entity named must appear; dates are inclusive days."""
    clauses: list[dict] = []
    if request.source:
        clauses.append({"terms": {"source": list(request.source)}})
    for name in [*request.entity, *request.person, *request.org, *request.place]:
        clauses.append({"terms": {"entity": catalog.keys_for(name)}})
    if request.date_from or request.date_to:
        bounds = {}
        if request.date_from:
            bounds["gte"] = datetime.combine(request.date_from, dtime.min).isoformat()
        if request.date_to:
            bounds["lte"] = datetime.combine(request.date_to, dtime.max).isoformat(timespec="milliseconds")
        clauses.append({"range": {"published": bounds}})
    for tag in request.tag:  # "kind:value"; every one must be there
        clauses.append({"term": {"tag": tag}})
    if request.family:
        clauses.append({"terms": {"family": list(request.family)}})
    return clauses


def sort_of(request: SearchRequest, plan: QueryPlan | None, scored: bool) -> tuple[str, list]:
    """The sort asked (browse: newest), as OpenSearch sort keys; ties in arrival order, as the Whoosh backend."""
    sort = "newest" if request.is_browse and request.sort == "relevance" else request.sort
    if sort == "relevance":
        # Without anything ranked (only filters, NOT or field:value clauses): the newest additions first.
        return sort, [{"_score": "desc"}, {"added": "asc"}] if scored else [{"added": "desc"}]
    order = "desc" if sort == "newest" else "asc"
    return sort, [{"published": {"order": order, "missing": "_last"}}, {"added": "asc"}]


def search(request: SearchRequest, ctx: Context) -> SearchResult:
    started = time.perf_counter()
    plan = None if request.is_browse else plan_query(request.q, request.match, ctx.aliases, ctx.catalog,
                                                      ctx.limits, ctx.entity_idf)
    narrowing = filters(request, ctx.catalog)
    found = {"bool": {"filter": ([plan.match()] if plan else []) + narrowing}}
    scoring = plan.scoring() if plan is not None and plan.units else None
    should = [scoring] if scoring else []
    if scoring and request.passages > 0:
        best = {"nested": {"path": "passages", "query": plan.scoring(passages=True), "score_mode": "max",
                           "ignore_unmapped": True,
                           "inner_hits": {"size": request.passages,
                                          "_source": ["passages.position", "passages.text"]}}}
        # Optional and worthless to the score: it only brings each hit's best passages.
        should.append({"constant_score": {"filter": best, "boost": 0}})
    query = {"bool": {**found["bool"], "should": should}} if should else found
    sort, order = sort_of(request, plan, scoring is not None)
    # By date, only the articles holding every word asked are listed (when any does), as the Whoosh backend.
    every = plan.every() if scoring is not None else None
    listed = every if every is not None and request.lists_every_word_by_date else None
    while True:
        body = _body(request, ctx, query, order, plan, every, listed)
        response = run_search(ctx.client, ctx.names.articles, body)
        aggs = response.get("aggregations", {})
        if listed is None or aggs["all_words"]["doc_count"]:
            break
        listed = None  # none holds every word: list them all

    hits = [_hit(raw, plan, ctx.catalog, scored=sort == "relevance" and scoring is not None)
            for raw in response["hits"]["hits"]]
    total = aggs["found"]["doc_count"] if "found" in aggs else response["hits"]["total"]["value"]
    listed_total = response["hits"]["total"]["value"]
    facets: dict[str, list[FacetValue]] = {}
    if request.facets and request.facet_names:
        facets["source"] = [FacetValue(b["key"], b["doc_count"]) for b in aggs["source"]["buckets"]]
        facets["date"] = [FacetValue(b["key_as_string"], b["doc_count"]) for b in aggs["date"]["buckets"]
                          if b["doc_count"]]
        keys = {b["key"]: b["doc_count"] for b in aggs["entity"]["buckets"]}
        facets.update(entity_facets(ctx.client, ctx.names, found, keys, ctx.catalog, request.facet_limit))
        facets["histogram"] = histogram(aggs)
        facets["tag"] = [FacetValue(b["key"].split(":", 1)[-1], b["doc_count"], b["key"].split(":", 1)[0])
                         for b in aggs["tag"]["buckets"]]
        chosen = {name: facets.get(name, []) for name in request.facet_names}  # every asked-for key, even empty
        if "date" in request.facet_names:
            chosen["histogram"] = facets["histogram"]  # the date facet's adaptive bars, for the search page
        facets = chosen
    suggestion = None
    words = suggest.candidates(request.q) if plan is not None else []
    if words:
        suggestion = _suggestion(request, ctx, words, aggs, narrowing, total)
    stories = listed_total
    if "stories" in aggs:
        counted = aggs["stories"].get("n", aggs["stories"])
        stories = min(listed_total, counted["value"])
    return SearchResult(
        query=request.q, total=total, page=request.page, per_page=request.per_page, hits=hits, facets=facets,
        partial=bool(response.get("timed_out")), took_ms=round((time.perf_counter() - started) * 1000, 2),
        suggestion=suggestion, expanded=plan.expanded if plan else [],
        total_all_words=aggs["all_words"]["doc_count"] if "all_words" in aggs else None,
        stories=stories,
    )


def _body(request: SearchRequest, ctx: Context, query: dict, order: list, plan: QueryPlan | None,
          every: dict | None, listed: dict | None) -> dict:
    """The one search request: the page, its passages, the counts and facets."""
    body = {
        "query": query,
        "from": (request.page - 1) * request.per_page,
        "size": request.per_page,
        "sort": order,
        "track_total_hits": True,
        # a phrase's page also reads the passages: one may run across a paragraph break (passages.quote_across)
        "_source": HIT_SOURCE + ["passages.position", "passages.text"] if plan is not None and plan.marks.phrases
        else HIT_SOURCE,
        "timeout": f"{max(1, int(ctx.time_limit * 1000))}ms",
        "aggs": {},
    }
    aggs = body["aggs"]
    if listed is not None:  # the page lists only these; totals and facets count every match
        body["post_filter"] = listed
        aggs["found"] = {"filter": {"match_all": {}}}
    if request.collapse and ctx.families:  # one result per story family: its best version, and how many match
        body["collapse"] = {"field": "family", "inner_hits": {"name": "versions", "size": 0}}
        stories = {"cardinality": {"field": "family", "precision_threshold": 40_000}}
        aggs["stories"] = {"filter": listed, "aggs": {"n": stories}} if listed is not None else stories
    if every is not None:
        aggs["all_words"] = {"filter": every}
    if request.facets and request.facet_names:
        aggs.update({
            "source": {"terms": {"field": "source", "size": request.facet_limit,
                                 "order": [{"_count": "desc"}, {"_key": "asc"}]}},
            "date": {"date_histogram": {"field": "published", "calendar_interval": "month", "format": "yyyy-MM",
                                        "min_doc_count": 1}},
            "entity": entity_aggregation(),
            # The adaptive histogram: by day up to 62 days of dates, by month up to four years, else by year.
            "span": {"stats": {"field": "published"}},
            "by_day": {"date_histogram": {"field": "published", "calendar_interval": "day", "format": "yyyy-MM-dd",
                                          "min_doc_count": 1}},
            "by_year": {"date_histogram": {"field": "published", "calendar_interval": "year", "format": "yyyy",
                                           "min_doc_count": 1}},
            "tag": {"terms": {"field": "tag", "size": request.facet_limit,
                              "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        })
    words = suggest.candidates(request.q) if plan is not None else []
    if words:
        aggs.update(suggest.parts(words))
    if not aggs:
        del body["aggs"]
    return body


def histogram(aggs: dict) -> list[FacetValue]:
    """Matching articles per day, month or year, whichever suits the span of their dates (each value's key says)."""
    span = aggs["span"]
    if not span.get("count"):
        return []
    days = int(span["max"] // 86_400_000) - int(span["min"] // 86_400_000)
    name, unit = ("by_day", "day") if days <= 62 else ("date", "month") if days <= 4 * 366 else ("by_year", "year")
    return [FacetValue(b["key_as_string"], b["doc_count"], unit) for b in aggs[name]["buckets"] if b["doc_count"]]


def count(ctx: Context, q: str, match: str, narrowing: list[dict]) -> int:
    """Articles a query finds as parsed (nothing dropped or expanded) with these filters, as the Whoosh backend's."""
    query = {"bool": {"filter": [parse_only(q, match, ctx.limits), *narrowing]}}
    with translated("search"):
        response = ctx.client.count(index=ctx.names.articles, body={"query": query})
    return int(response["count"])


def _suggestion(request: SearchRequest, ctx: Context, words, aggs: dict, narrowing, total: int) -> dict | None:
    corrected = suggest.corrected_query(ctx.client, ctx.names, request.q, words, aggs)
    if not corrected:
        return None
    try:
        found = count(ctx, corrected, request.match, narrowing)
    except Exception:  # a correction that cannot be searched is no suggestion
        return None
    # Worth showing only when it finds more: a word that is merely absent ("where") is no typo.
    return {"q": corrected, "total": found} if found > total else None


def _hit(raw: dict, plan: QueryPlan | None, catalog: EntityCatalog, scored: bool) -> Hit:
    source = raw["_source"]
    data = source.get("data") or {}
    marked = plan.marks.highlighter() if plan is not None else Highlighter()
    passages = []
    inner = raw.get("inner_hits", {}).get("passages", {}).get("hits", {}).get("hits", [])
    for passage in inner:
        text = passage["_source"]["text"]
        passages.append(PassageHit(position=passage["_source"]["position"], html=marked(text), text=text,
                                   score=round(passage["_score"], 4) if passage.get("_score") is not None else None))
    if not passages:  # a quote across a paragraph break (none without phrases or quotes)
        passages = quote_across(source.get("passages") or [], marked.phrases, marked.quotes)
    if not passages and source.get("lead"):
        lead = source["lead"]
        passages.append(PassageHit(position=lead["position"], html=marked(lead["text"]), text=lead["text"]))
    title = source.get("title") or ""
    hit = Hit(
        id=raw["_id"], title=title, title_html=marked(title), source=data.get("source"),
        published=stored_time(data.get("published")), url=data.get("url"),
        byline=data.get("byline"), score=round(raw["_score"], 4) if scored and raw.get("_score") is not None else None,
        passages=passages, entities=catalog.names_by_type(data.get("entities") or []),
    )
    hit.matched = describe_match(raw.get("matched_queries") or [], plan, hit) if plan and plan.units else []
    hit.family = source.get("family") if source.get("has_family") else None
    versions = raw.get("inner_hits", {}).get("versions", {}).get("hits", {}).get("total", {})
    hit.versions = int(versions.get("value", 1)) if versions else 1
    hit.tags = dict(data.get("tags") or {})
    return hit


def describe_match(names: list[str], plan: QueryPlan, hit: Hit) -> list[dict]:
    """Why an article matched: each unit, the fields it was found in, the alias used (index/search/passages.py's)."""
    found: dict[int, set[str]] = {}
    via: dict[int, bool] = {}
    for name in names:
        number, _, rest = name.partition(":")
        if not number.startswith("u") or not number[1:].isdigit():
            continue
        fieldname, _, alternative = rest.partition(":")
        unit = int(number[1:])
        found.setdefault(unit, set()).add(fieldname)
        via[unit] = via.get(unit, False) or alternative not in ("", "0")
    entity_names = [fold(n) for kind in hit.entities.values() for n in kind]
    described = []
    for number, unit in enumerate(plan.units):
        fields_found = found.get(number)
        if not fields_found:
            continue
        described.append({"term": unit.label, "fields": shown_fields(fields_found, unit.label, entity_names),
                          "via": unit.via if via.get(number) and unit.via else None})
    return described
