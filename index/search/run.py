"""One search over one snapshot: a SearchRequest in, a SearchResult of articles out.

    plan     the query parsed and understood once (plan.py)
    match    every article the query and filters find (matching.py): the exact total
    rank     BM25F with proximity (scoring.py), or by date; only the page is sorted
    mix      with hybrid on, BM25 mixed with passage vectors, which may add articles (semantic.py)
    facets   counts over every match (facets.py)
    hits     the page's articles, their best passages highlighted, why each matched (passages.py)
    suggest  "did you mean" when a word is rare and a close one is common (suggest.py)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property
from datetime import datetime, time as dtime
from typing import Callable

import numpy as np
from whoosh.util.times import datetime_to_long

from index.arrays import kth_smallest, union
from index.query import RECENCY_HALF_LIFE_DAYS, FacetValue, SearchRequest, SearchResult
from index.search.collapse import collapsed_top, family_sizes, versions_per_story
from index.search.catalog_keeper import exact_catalog
from index.search.columns import family_column, family_mask, pair_mask, tag_counts
from index.search.expand import Limits
from index.search.facets import (chosen_mask, date_histogram, day_counts, entity_counts, entity_facets,
                                 facet_counts, plain_facets)
from index.search.dates import UNDATED
from index.search.matching import Deadline, filter_mask, matching, term_mask
from index.search.passages import Marks, best_passages, describe_matches, make_hit
from index.search.parsing import parse
from index.search.plan import make_plan
from index.search.scoring import DEFAULT, Params, Scored, score
from index.search import query_vectors
from index.search import semantic as dense
from index.search.feedback import FEEDBACK, Feedback, expansion
from index.search.suggest import suggest
from index.text.aliases import Aliases


@dataclass
class Context:
    """What a search needs beyond the request: the snapshot and the archive's configuration."""

    snapshot: object
    aliases: Aliases
    limits: Limits = Limits()
    params: Params = DEFAULT
    semantic: bool = False  # NEWSINDEX_SEMANTIC: passage vectors may be mixed into relevance ranking
    hybrid: dense.Hybrid = dense.HYBRID
    feedback: Feedback = FEEDBACK  # max_units 0: no pseudo-relevance feedback (NEWSINDEX_FEEDBACK=0)

    catalogs: object = None  # the backend's CatalogKeeper; None: a catalog built for this snapshot

    @cached_property
    def catalog(self):
        """The entity catalog, one for the whole request (index/search/catalog_keeper.py)."""
        return exact_catalog(self.snapshot, self.aliases) if self.catalogs is None \
            else self.catalogs.current(self.snapshot)



def published_bounds(request: SearchRequest) -> tuple[int, int] | None:
    """The request's date range as `published` column values, or None without one."""
    if not (request.date_from or request.date_to):
        return None
    start = datetime.combine(request.date_from, dtime.min) if request.date_from else datetime(1, 1, 1)
    end = datetime.combine(request.date_to, dtime.max) if request.date_to else datetime(9999, 12, 31)
    return datetime_to_long(start), datetime_to_long(end)


def filters(request: SearchRequest, ctx: Context) -> np.ndarray:
    """Live articles passing the request's filters: sources are alternatives, every entity and tag must appear."""
    names = [*request.entity, *request.person, *request.org, *request.place]
    mask = filter_mask(ctx.snapshot, request.source, [ctx.catalog.keys_for(n) for n in names],
                       published_bounds(request))
    for tag in request.tag:
        kind, _, value = tag.partition(":")
        mask &= pair_mask(ctx.snapshot, "tag", (f"{kind}\t{value}",))
    if request.family:
        mask &= family_mask(ctx.snapshot, request.family)
    return mask


def search(request: SearchRequest, ctx: Context) -> SearchResult:
    """Run one search: rank articles, count facets, pick and highlight passages."""
    started = time.perf_counter()
    snapshot = ctx.snapshot
    deadline = Deadline(ctx.limits.time_limit)
    plan = make_plan(request, snapshot, ctx.limits, ctx.aliases, ctx.catalog)
    allowed = filters(request, ctx)
    sort = "newest" if request.is_browse and request.sort == "relevance" else request.sort
    hybrid = ctx.semantic and request.mode == "hybrid" and sort == "relevance" and bool(plan.units)
    if SHORT_CUT and not allowed.any():  # e.g. dates before the archive begins: nothing to match, rank or mark
        return _nothing_allowed(request, ctx, plan, hybrid, started)
    vector = None  # the query's vector, started now (its layers on another thread) and taken at the mix
    if hybrid and dense.any_embedded(snapshot):  # else the mix would rank by words alone: the query is not encoded
        vector = query_vectors.vector_soon(_vector_text(plan, request), ctx.hybrid.queries_held)
    found = matching(plan.tree, snapshot, ctx.limits, allowed, deadline)
    scored = None
    stop = request.page * request.per_page
    units, expanded = plan.units, list(plan.expanded)
    if sort == "relevance" and 0 < len(plan.units) <= ctx.feedback.max_units and request.feedback \
            and dense.is_plain(plan):
        units, found, words = _feedback(snapshot, plan, ctx, request, found, allowed, deadline)
        if words:
            expanded.append({"term": request.q, "to": words, "via": "feedback"})
    if plan.units:  # exact only as deep as the page (a few more when stories collapse); by date, no ranking
        exact = stop * (COLLAPSE_DEPTH + versions_per_story(snapshot) - 1) if request.collapse else stop
        exact = max(exact, ctx.hybrid.depth) if hybrid else exact
        exact = None if request.recency > 0 else exact  # the boost reorders: every score exact
        scored = _score(snapshot, units, ctx, request, found, exact if sort == "relevance" else 1, deadline)
    state, counted = "off", None  # counted: (the matches, their facets) when counted before the mix
    if hybrid and not scored.partial:
        state = dense.status(snapshot)
        if vector is not None:
            add = _vectors_may_add(plan, request, scored, found)
            if not add:  # the mix keeps the matches: count their facets while the query's vector is made
                counted = (found, _facets(snapshot, found, ctx, request))
            mixed = _mix(snapshot, plan, request, ctx, scored, found, allowed, vector, add)
            if mixed is None:  # the model cannot be loaded here: words alone
                state = "unavailable"
            else:
                scored, found = mixed
    if scored is not None and request.recency > 0 and sort == "relevance":
        scored = _boost_recent(snapshot, scored, request.recency)
    all_words = scored.holding(found, len(plan.units)) if scored is not None else None
    pool = found
    if request.lists_every_word_by_date and all_words is not None and all_words.any():
        pool = found[all_words]  # by date, only the articles that hold every word: not every one-word match
    page, versions, paged = _page(snapshot, pool, sort, scored, request)
    while sort == "relevance" and scored is not None and page and page[-1][1] < scored.exact_floor:
        # A story's best version lay deeper than the exact top: rank deeper, everything at the last.
        exact = None if exact * DEEPER >= len(found) else exact * DEEPER
        scored = _score(snapshot, units, ctx, request, found, exact, deadline)
        page, versions, paged = _page(snapshot, pool, sort, scored, request)
    ordinals = [ordinal for ordinal, _ in page]
    best = best_passages(snapshot, plan, ordinals, request.passages, ctx.params) if plan.units else {}
    hits = []
    marks = Marks(snapshot, plan if plan.tree is not None else None, ordinals, best)
    for (ordinal, value), count in zip(page, versions):
        hit = make_hit(snapshot, ordinal, value if scored is not None and sort == "relevance" else None,
                       best.get(ordinal, []), marks, ctx.catalog)
        hit.versions = count
        hits.append(hit)
    if scored is not None:
        describe_matches(snapshot, plan.units, hits, ordinals)
    facets = counted[1] if counted is not None and counted[0] is found else _facets(snapshot, found, ctx, request)
    suggestion = _suggestion(request, ctx, allowed, len(found)) if plan.tree is not None else None
    return SearchResult(
        query=request.q, total=len(found), page=request.page, per_page=request.per_page, hits=hits,
        facets=facets, partial=deadline.cut or (scored is not None and scored.partial),
        took_ms=round((time.perf_counter() - started) * 1000, 2), expanded=expanded, suggestion=suggestion,
        total_all_words=int(all_words.sum()) if all_words is not None else None, stories=paged,
        semantic=state,
    )


SHORT_CUT = True  # answer at once when the filters leave no article (off: every step runs, as a test compares)


def _nothing_allowed(request: SearchRequest, ctx: Context, plan, hybrid: bool, started: float) -> SearchResult:
    """What `search` answers when the filters leave no article, without matching or ranking: no hit, the
    facets' every key empty, no suggestion (a correction finds nothing either)."""
    none = np.zeros(0, dtype=np.int64)
    return SearchResult(
        query=request.q, total=0, page=request.page, per_page=request.per_page, hits=[],
        facets=_facets(ctx.snapshot, none, ctx, request),
        partial=False, took_ms=round((time.perf_counter() - started) * 1000, 2), expanded=list(plan.expanded),
        suggestion=None, total_all_words=0 if plan.units else None, stories=0,
        semantic=dense.status(ctx.snapshot) if hybrid else "off",
    )


COLLAPSE_DEPTH = 4  # with stories collapsed, the exact top is this many times the page's depth (and its stories' versions)
DEEPER = 8  # and when the page's stories have more versions than that, this many times deeper again


def _feedback(snapshot, plan, ctx: Context, request: SearchRequest, found: np.ndarray, allowed: np.ndarray,
              deadline) -> tuple[list, np.ndarray, list[str]]:
    """(the units widened by feedback.py, the matches with the articles its words find, its words)."""
    first = _score(snapshot, plan.units, ctx, request, found, ctx.feedback.docs, deadline)
    extra, words = expansion(snapshot, plan.units, first.ranked(found, 0, ctx.feedback.docs), ctx.feedback)
    if not extra:
        return plan.units, found, []
    if ctx.feedback.widen and request.match != "all":
        mask = np.zeros(snapshot.articles, dtype=bool)
        for fieldname in ("title", "body"):
            mask |= term_mask(snapshot, fieldname, [u.alternatives[0].text for u in extra])
        found = union(found, np.flatnonzero(mask & allowed))
    return plan.units + extra, found, words


def _score(snapshot, units, ctx: Context, request: SearchRequest, found: np.ndarray, exact_top: int | None, deadline):
    ranked = request.sort == "relevance" or request.is_browse
    params = ctx.params if ranked else replace(ctx.params, proximity=0.0)  # by date, only which words each holds
    return score(snapshot, units, params=params, limits=ctx.limits, coordinate=request.match == "auto",
                 candidates=found, exact_top=exact_top, deadline=deadline)


def _vector_text(plan, request: SearchRequest) -> str:
    """What the query's vector is made of: the words as typed, or its units' words when it has syntax."""
    return request.q if dense.is_plain(plan) else " ".join(u.label for u in plan.units)


def _vectors_may_add(plan, request: SearchRequest, scored: Scored, found: np.ndarray) -> bool:
    """Vectors may add articles to a plain query's matches when no article holds every word, but one holds
    some: a query none of whose words the archive knows (a typo, a made-up word) is close only to noise,
    and gets its suggestion instead."""
    return dense.is_plain(plan) and request.match != "all" and len(found) > 0 \
        and not scored.holding(found, len(plan.units)).any()


def _mix(snapshot, plan, request: SearchRequest, ctx: Context, scored: Scored, found: np.ndarray,
         allowed: np.ndarray, vector: Callable[[], np.ndarray | None], add: bool) -> tuple[Scored, np.ndarray] | None:
    """BM25 mixed with the passage vectors (semantic.py): the mixed scores, and the matches with any
    additions (`add`: `_vectors_may_add`); None when `vector()`, the query's vector, cannot be had here.

    What needs no vector is done before waiting for it (its layers run on another thread): when no
    article may join, reading the lexical top's passages."""
    lexical = scored.of(found)
    top = dense.top_of(lexical, found, ctx.hybrid.rerank) if ctx.hybrid.rerank else None  # else every passage
    passages = dense.read_passages(snapshot, top) if top is not None and not add else None
    query = vector()
    if query is None:
        return None
    if top is not None and add:  # the lexical top, and the passages nearest by their vectors' signs
        near = dense.closest_by_signs(snapshot, query, allowed, ctx.hybrid.by_signs)
        if near is not None:  # else a segment has no signs: every passage is read
            passages = dense.read_passages(snapshot, top, near)
    cosines = dense.best_cosines(passages, query) if passages is not None else dense.article_cosines(snapshot, query)
    matches, mixed = dense.mix(found, lexical, cosines, allowed, add, ctx.hybrid)
    units_found = np.zeros(len(matches), dtype=np.int32)  # an article joined by its vector holds no word
    words = slice(None) if matches is found else np.searchsorted(matches, found)
    units_found[words] = scored.counts(found)
    if len(plan.units) <= ctx.hybrid.feedback_max_units:
        if matches is not found:  # the same scores over the matches: an addition has none
            widened = np.zeros(len(matches))
            widened[words] = lexical
            lexical = widened
        mixed = dense.mix_again(snapshot, query, matches, lexical, cosines, mixed, allowed, passages, ctx.hybrid)
    return Scored(mixed, matches, scored.partial, units_found, scored.pruned, unheld=scored.unheld), matches


def _boost_recent(snapshot, scored: Scored, recency: float) -> Scored:
    """Scores times 1 + recency x 0.5 ** (days older than the archive's newest article / RECENCY_HALF_LIFE_DAYS).

    Undated articles are not boosted; the newest is measured in the archive, not on the clock,
    so an archive of 1987 works like this morning's.
    """
    published = snapshot.article_column("published")
    dated = published != UNDATED
    if not dated.any():
        return scored
    newest = published[dated & snapshot.live_articles()].max(initial=published[dated].min())
    ordinals = scored.docs if scored.docs is not None else np.arange(len(scored.scores))
    days = (newest - published[ordinals]) / 86_400_000_000  # published counts microseconds
    factor = np.where(dated[ordinals], 1 + recency * 0.5 ** (np.maximum(days, 0) / RECENCY_HALF_LIFE_DAYS), 1.0)
    boosted = np.where(scored.scores > 0, scored.scores * factor, scored.scores)
    return replace(scored, scores=boosted, exact_floor=-np.inf)


def _page(snapshot, pool: np.ndarray, sort: str, scored, request: SearchRequest):
    """(the page's (ordinal, score) pairs, each one's versions, how many results are paged through)."""
    start, stop = (request.page - 1) * request.per_page, request.page * request.per_page
    if not len(pool):
        return [], [], 0
    if sort == "relevance" and scored is not None:
        better = -scored.of(pool)
    elif sort == "relevance":  # only filters and entity clauses: the newest additions first
        better = -pool.astype(np.float64)
    else:
        published = snapshot.article_column("published")[pool]
        dated = published != UNDATED
        better = np.where(dated, -published.astype(np.float64) if sort == "newest" else published, np.inf)
    family = family_column(snapshot)[pool] if request.collapse else None
    if family is not None and (family >= 0).any():
        order, versions, total = collapsed_top(family, pool, better, start, stop, family_sizes(snapshot),
                                               versions_per_story(snapshot))
    else:
        order = _top(pool, better, start, stop)
        versions, total = np.ones(len(order), dtype=np.int64), len(pool)
    scores = scored.of(pool[order]) if scored is not None else np.zeros(len(order))
    return [(int(pool[i]), float(v)) for i, v in zip(order, scores)], versions.tolist(), total


def _top(ordinals: np.ndarray, better: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Positions of the `start:stop` best (smallest `better`, then smallest ordinal); only the top is sorted."""
    within = np.arange(len(ordinals))
    if stop < len(ordinals):
        floor = kth_smallest(better, stop)
        within = np.flatnonzero(better <= floor)
    return within[np.lexsort((ordinals[within], better[within]))][start:stop]


def _facets(snapshot, found: np.ndarray, ctx: Context, request: SearchRequest) -> dict:
    """The facets asked for (`facet_names`), each counted over every match; only those are counted."""
    if not (request.facets and request.facet_names):
        return {}
    asked, limit = set(request.facet_names), request.facet_limit
    facets: dict = {}
    days = day_counts(snapshot, found) if asked & {"source", "date"} else None  # the months' and the histogram's
    if asked & {"source", "date"}:
        facets.update(plain_facets(facet_counts(snapshot, found, ctx.catalog, entities=False, days=days), limit))
    chosen = chosen_mask(snapshot, found) if asked & {"person", "org", "place", "tag"} else None
    if asked & {"person", "org", "place"}:
        facets.update(entity_facets(entity_counts(snapshot, found, chosen, ctx.catalog), ctx.catalog, limit))
    if "tag" in asked:
        tags = sorted(tag_counts(snapshot, found, chosen).items(), key=lambda item: (-item[1], item[0]))[:limit]
        facets["tag"] = [FacetValue(tag.split("\t", 1)[1], count, tag.split("\t", 1)[0]) for tag, count in tags]
    chosen_facets = {name: facets.get(name, []) for name in request.facet_names}  # every asked-for key, even empty
    if "date" in asked:
        chosen_facets["histogram"] = date_histogram(snapshot, found, days)  # the date facet's adaptive bars (search page)
    return chosen_facets


def _suggestion(request: SearchRequest, ctx: Context, allowed: np.ndarray, original_total: int) -> dict | None:
    """{"q": corrected query, "total": articles it finds with the same filters}, or None."""
    corrected = suggest(ctx.snapshot, request.q)
    if not corrected:
        return None
    try:
        tree = parse(corrected, ctx.limits, request.match)
    except Exception:
        return None
    total = len(matching(tree, ctx.snapshot, ctx.limits, allowed))
    # Worth showing only when it finds more: a word that is merely absent ("where") is no typo.
    return {"q": corrected, "total": total} if total > original_total else None
