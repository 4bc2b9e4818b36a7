"""One search over one snapshot: a SearchRequest in, a SearchResult of articles out.

    plan     the query parsed and understood once (plan.py)
    match    every article the query and filters find (matching.py): the exact total
    rank     BM25F with proximity (scoring.py), or by date; only the page is sorted
    facets   counts over every match (facets.py)
    hits     the page's articles, their best passages highlighted, why each matched (passages.py)
    suggest  "did you mean" when a word is rare and a close one is common (suggest.py)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, time as dtime

import numpy as np
from whoosh.util.times import datetime_to_long

from index.query import SearchRequest, SearchResult
from index.search.columns import entity_catalog
from index.search.expand import Limits
from index.search.facets import entity_facets, facet_counts, plain_facets
from index.search.matching import Deadline, filter_mask, matching
from index.search.passages import best_passages, describe_match, make_hit
from index.search.plan import make_plan, parse
from index.search.scoring import DEFAULT, Params, score
from index.search.suggest import suggest
from index.text.aliases import Aliases


@dataclass
class Context:
    """What a search needs beyond the request: the snapshot and the archive's configuration."""

    snapshot: object
    schema: object
    aliases: Aliases
    limits: Limits = Limits()
    params: Params = DEFAULT

    @property
    def catalog(self):
        return entity_catalog(self.snapshot, self.aliases)

    @property
    def analyzer(self):
        return self.schema["text"].analyzer


def published_bounds(request: SearchRequest) -> tuple[int, int] | None:
    """The request's date range as `published` column values, or None without one."""
    if not (request.date_from or request.date_to):
        return None
    start = datetime.combine(request.date_from, dtime.min) if request.date_from else datetime(1, 1, 1)
    end = datetime.combine(request.date_to, dtime.max) if request.date_to else datetime(9999, 12, 31)
    return datetime_to_long(start), datetime_to_long(end)


def filters(request: SearchRequest, ctx: Context) -> np.ndarray:
    """Live articles passing the request's filters: sources are alternatives, every entity must appear."""
    names = [*request.entity, *request.person, *request.org, *request.place]
    return filter_mask(ctx.snapshot, request.source, [ctx.catalog.keys_for(n) for n in names],
                       published_bounds(request))


def search(request: SearchRequest, ctx: Context) -> SearchResult:
    """Run one search: rank articles, count facets, pick and highlight passages."""
    started = time.perf_counter()
    snapshot = ctx.snapshot
    deadline = Deadline(ctx.limits.time_limit)
    plan = make_plan(request, snapshot, ctx.schema, ctx.limits, ctx.aliases, ctx.catalog)
    allowed = filters(request, ctx)
    found = matching(plan.tree, snapshot, ctx.limits, allowed, deadline)
    start, stop = (request.page - 1) * request.per_page, request.page * request.per_page
    sort = "newest" if request.is_browse and request.sort == "relevance" else request.sort
    scored, partial = None, False
    if sort != "relevance":
        page = _by_date(snapshot, found, sort, start, stop)
    elif not plan.units:  # only filters and entity clauses: the newest additions first
        page = [(int(o), 0.0) for o in found[::-1][start:stop]]
    else:
        scored = score(snapshot, plan.units, params=ctx.params, limits=ctx.limits,
                       coordinate=request.match == "auto", candidates=found, exact_top=stop, deadline=deadline)
        page = scored.ranked(found, start, stop)
        partial = scored.partial
    partial = partial or deadline.cut
    best = best_passages(snapshot, plan, [o for o, _ in page], request.passages, ctx.params) if plan.units else {}
    hits = []
    for ordinal, value in page:
        hit, _ = make_hit(snapshot, ordinal, value if scored is not None else None, best.get(ordinal, []),
                          plan if plan.tree is not None else None, ctx.catalog, ctx.analyzer)
        hit.matched = describe_match(snapshot, ordinal, plan.units, hit) if scored is not None else []
        hits.append(hit)
    facets = {}
    if request.facets:
        counts = facet_counts(snapshot, found, ctx.catalog)
        facets = plain_facets(counts, request.facet_limit)
        facets.update(entity_facets(counts, ctx.catalog, request.facet_limit))
    suggestion = _suggestion(request, ctx, allowed, len(found)) if plan.tree is not None else None
    return SearchResult(
        query=request.q, total=len(found), page=request.page, per_page=request.per_page, hits=hits,
        facets=facets, partial=partial, took_ms=round((time.perf_counter() - started) * 1000, 2),
        expanded=plan.expanded, suggestion=suggestion,
    )


def _by_date(snapshot, found: np.ndarray, sort: str, start: int, stop: int) -> list[tuple[int, float]]:
    """Dated articles first, newest (or oldest) first, then in the order they were added."""
    published = snapshot.article_column("published")[found]
    dated = published != np.iinfo(np.int64).max
    order = np.lexsort((found, -published if sort == "newest" else published, ~dated))
    return [(int(found[i]), 0.0) for i in order[start:stop]]


def _suggestion(request: SearchRequest, ctx: Context, allowed: np.ndarray, original_total: int) -> dict | None:
    """{"q": corrected query, "total": articles it finds with the same filters}, or None."""
    corrected = suggest(ctx.snapshot, request.q)
    if not corrected:
        return None
    try:
        tree = parse(corrected, ctx.schema, ctx.limits, request.match)
    except Exception:
        return None
    total = len(matching(tree, ctx.snapshot, ctx.limits, allowed))
    # Worth showing only when it finds more: a word that is merely absent ("where") is no typo.
    return {"q": corrected, "total": total} if total > original_total else None
