"""Searching: a SearchRequest in, a SearchResult of articles out.

The query is parsed with Whoosh's syntax (words, "phrases", AND/OR/NOT,
`field:value`) over article titles and bodies and ranked with BM25F.  Filters
(source, entities, dates) are added as clauses that narrow without scoring.
index.search.matching finds every matching article (the exact total, and the document
numbers facets are counted from) under a time limit; index.search.scoring ranks them;
index.search.facets counts them.  Then, for the articles on the page only, the same
query runs over their passages to pick and highlight the best one to three.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from typing import Any

import numpy as np
from whoosh import query as Q
from whoosh.qparser import AndGroup, FieldAliasPlugin, FuzzyTermPlugin, MultifieldParser, OrGroup
from whoosh.util.times import datetime_to_long

from index.text.aliases import Aliases
from index.text.analysis import fold, terms as analysis_terms
from index.article import Article
from index.search.catalog import EntityCatalog
from index.errors import InvalidQuery
from index.query import FacetValue, Hit, PassageHit, SearchRequest, SearchResult
from index.search.facets import entity_facets, facet_counts, plain_facets
from index.text.highlight import highlight
from index.search.matching import Deadline, FilterOnly, matching_docs
from index.store.schema import ARTICLE, ENTITY_FIELDS
from index.store.segments import SegmentArrays, by_segment, global_array, global_postings
from index.search.suggest import suggest
from index.search.scoring import (ARTICLE_FIELDS, DEFAULT as DEFAULT_PARAMS, PASSAGE_FIELDS, AliasOr, Match, Params,
                           query_units, score_documents)

# Fields a query may name, and the index field each one searches.
QUERY_FIELDS = {"title": "title", "body": "body", "text": "body", "source": "source_text", "byline": "byline"}
MAX_EXPANSIONS = 1024  # terms a prefix, wildcard or fuzzy query may expand to


@dataclass
class SearchContext:
    """What a search needs beyond the request: an open searcher and the archive-level caches."""

    searcher: Any
    catalog: EntityCatalog
    arrays: SegmentArrays
    aliases: Aliases
    time_limit: float = 2.0
    max_query_length: int = 1000
    max_query_terms: int = 64
    allow_leading_wildcards: bool = False
    params: Params = DEFAULT_PARAMS


def published_bounds(request: SearchRequest) -> tuple[int, int] | None:
    """The request's date range as `published` column values, or None without one."""
    if not (request.date_from or request.date_to):
        return None
    start = datetime.combine(request.date_from, dtime.min) if request.date_from else datetime(1, 1, 1)
    end = datetime.combine(request.date_to, dtime.max) if request.date_to else datetime(9999, 12, 31)
    return datetime_to_long(start), datetime_to_long(end)


def parse_query(text: str, schema, ctx: SearchContext, match: str = "auto") -> Q.Query:
    """Parse a user query into a Whoosh query over title and body; InvalidQuery if it cannot run."""
    if len(text) > ctx.max_query_length:
        raise InvalidQuery(f"q is longer than {ctx.max_query_length} characters")
    group = AndGroup if match == "all" else OrGroup
    parser = MultifieldParser(["title", "body"], schema, group=group)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(FieldAliasPlugin({"body": ["text"], "source_text": ["source"]}))
    try:
        parsed = parser.parse(text)
    except Exception as exc:  # Whoosh raises assorted errors on odd syntax
        raise InvalidQuery(f"q could not be parsed: {exc}") from None
    _check_query(parsed, ctx)
    return bind_negations(parsed)


def bind_negations(node: Q.Query) -> Q.Query:
    """Make NOT exclude in every match mode.

    With OR as the default group, `pashinian NOT putin` parses as
    Or([pashinian, Not(putin)]), which finds every article without putin.  An Or
    with NOT clauses becomes And([Or(the others), Not(Or(the negated))]).
    """
    node = node.apply(bind_negations) if not node.is_leaf() else node
    if isinstance(node, Q.Or):
        negated = [c.query for c in node.subqueries if isinstance(c, Q.Not)]
        positive = [c for c in node.subqueries if not isinstance(c, Q.Not)]
        if negated and positive:
            keep = positive[0] if len(positive) == 1 else node.__class__(positive, boost=node.boost)
            # And+Not, not AndNot: Whoosh's AndNotMatcher lets some excluded documents through.
            return Q.And([keep, Q.Not(negated[0] if len(negated) == 1 else Q.Or(negated))])
    return node


def _check_query(parsed: Q.Query, ctx: SearchContext) -> None:
    terms = 0
    allowed = set(QUERY_FIELDS.values())
    for sub in parsed.leaves():
        fieldname = getattr(sub, "fieldname", None)
        if fieldname and fieldname not in allowed:
            raise InvalidQuery(
                f"unknown field '{fieldname}:'; searchable fields are {', '.join(sorted(QUERY_FIELDS))}")
        if isinstance(sub, (Q.Wildcard, Q.Prefix)) and not ctx.allow_leading_wildcards:
            pattern = getattr(sub, "text", "")
            if isinstance(sub, Q.Wildcard) and pattern[:1] in ("*", "?"):
                raise InvalidQuery("leading wildcards (such as *stan) are not allowed; put letters before the *")
        terms += len(getattr(sub, "words", None) or [1])
    if terms > ctx.max_query_terms:
        raise InvalidQuery(f"q has {terms} terms; at most {ctx.max_query_terms} are allowed")
    reader = ctx.searcher.reader()
    for sub in parsed.leaves():
        if isinstance(sub, Q.MultiTerm):
            expanded = 0
            for _ in sub._btexts(reader):
                expanded += 1
                if expanded > MAX_EXPANSIONS:
                    raise InvalidQuery(f"'{sub}' matches more than {MAX_EXPANSIONS} words; make it more specific")


def expand_aliases(parsed: Q.Query, aliases: Aliases, catalog: EntityCatalog) -> tuple[Q.Query, list[dict]]:
    """Let a word or phrase that names an editorial alias find the entity's other names too.

    "pashinian" becomes (pashinian OR "Nikol Pashinyan" OR ... OR person:<any key merged
    into that entity>), in the same place in the query, so AND/NOT keep their meaning;
    the entity clause also finds an article that names him only as "Pashinyan".
    Returns the new query and what was expanded: [{"term": ..., "to": [names]}].
    """
    if not len(aliases):
        return parsed, []
    by_terms = aliases.by_terms()
    expanded: dict[str, list[str]] = {}

    def rewrite(node: Q.Query) -> Q.Query:
        words = None
        if isinstance(node, Q.Term) and node.fieldname in ("title", "body"):
            words = (node.text,)
        elif isinstance(node, Q.Phrase) and node.fieldname in ("title", "body"):
            words = tuple(node.words)
        if words is None:
            return node.apply(rewrite)
        entry = by_terms.get(words)
        if entry is None:
            return node
        named = {tuple(analysis_terms(n)): n for n in reversed(entry.names)}
        expanded[named[words].lower()] = entry.names
        alternatives = [Q.Term(node.fieldname, t[0]) if len(t) == 1 else Q.Phrase(node.fieldname, list(t))
                        for t in named if t and t != words]
        keys = catalog.keys_for(entry.name)
        alternatives += [Q.Term(f, k) for f in ENTITY_FIELDS for k in keys]
        return AliasOr([node, *alternatives], via=entry.name)

    rewritten = rewrite(parsed)
    return rewritten, [{"term": term, "to": names} for term, names in expanded.items()]


def to_passages(text_query: Q.Query) -> Q.Query:
    """The same query over passage text: title and body clauses become `text` clauses."""
    def rename(node: Q.Query) -> Q.Query:
        if getattr(node, "fieldname", None) in ("title", "body"):
            node = node.copy()
            node.fieldname = "text"
            return node
        return node.apply(rename)
    return rename(text_query)


def date_filter(reader, date_from: date | None, date_to: date | None) -> Q.Query:
    """Articles published in the months that [date_from, date_to] touches (either end open).

    One term per month (one posting list each): Whoosh's own DateRange expands
    into thousands of numeric terms and cost about 200-500 ms on Reuters.  The
    exact day at either edge is then checked per document by index.search.matching
    (with `published_bounds`), so the answer is exact.
    """
    first = date_from.strftime("%Y-%m") if date_from else ""
    last = date_to.strftime("%Y-%m") if date_to else "9999-99"
    months = []
    if "month" in reader.indexed_field_names():
        months = [m for m in (b.decode("utf-8") for b in reader.lexicon("month")) if first <= m <= last]
    # No month in range: a term no document has (a NullQuery would be dropped from the And).
    return Q.Or([Q.Term("month", m) for m in months]) if months else Q.Term("month", "none")


def build_filters(request: SearchRequest, catalog: EntityCatalog, reader) -> list[Q.Query]:
    """Filter clauses: sources are alternatives (OR); every entity named must appear (AND)."""
    clauses: list[Q.Query] = []
    if request.source:
        clauses.append(Q.Or([Q.Term("source", s) for s in request.source]))
    for name in [*request.entity, *request.person, *request.org, *request.place]:
        keys = catalog.keys_for(name)
        clauses.append(Q.Or([Q.Term(f, k) for f in ENTITY_FIELDS for k in keys]))
    if request.date_from or request.date_to:
        clauses.append(date_filter(reader, request.date_from, request.date_to))
    return clauses


def _filters_only(clauses: list[Q.Query]) -> list[Q.Query]:
    return [FilterOnly(c) for c in clauses]


def search(request: SearchRequest, ctx: SearchContext) -> SearchResult:
    """Run one search: rank articles, count facets, pick and highlight passages."""
    started = time.perf_counter()
    searcher = ctx.searcher
    filters = build_filters(request, ctx.catalog, searcher.reader())
    text_query = None if request.is_browse else parse_query(request.q, searcher.schema, ctx, request.match)
    if text_query is Q.NullQuery:  # only stop words: browse, as for an empty query
        text_query = None
    expanded: list[dict] = []
    if text_query is not None:
        text_query, expanded = expand_aliases(text_query, ctx.aliases, ctx.catalog)
    parts = [Q.Term("kind", ARTICLE)] if text_query is None else [text_query, FilterOnly(Q.Term("kind", ARTICLE))]
    article_query = Q.And(parts + _filters_only(filters))

    limit = request.page * request.per_page
    sort = "newest" if request.is_browse and request.sort == "relevance" else request.sort
    units = query_units(text_query, request.q) if text_query is not None else []
    partial = False
    matches: dict[int, Match] = {}
    if sort == "relevance":
        docnums, page_docs, matches, partial = _rank(article_query, units, request, ctx)
    else:
        docnums, page_docs, partial = _collect_by_date(article_query, sort, limit, request, ctx)

    terms = highlight_terms(text_query, searcher) if text_query is not None else set()
    pairs = phrase_pairs(text_query) if text_query is not None else set()
    best = _best_passages(page_docs, units, ctx, request.passages) if text_query is not None else {}
    hits = []
    for docnum, score in page_docs:
        stored = searcher.stored_fields(docnum)
        hit = _make_hit(stored, score if sort == "relevance" and text_query is not None else None,
                        best.get(stored["article_id"], []), terms, ctx.catalog, searcher.schema["text"].analyzer,
                        pairs)
        hit.matched = describe_match(matches.get(docnum), units, hit)
        hits.append(hit)

    facets: dict[str, list[FacetValue]] = {}
    if request.facets and request.facet_names:
        counts = facet_counts(searcher, ctx.arrays, docnums, ctx.catalog)
        found = {**plain_facets(counts, request.facet_limit), **entity_facets(counts, ctx.catalog, request.facet_limit)}
        facets = {name: found.get(name, []) for name in request.facet_names}  # every asked-for key, even empty
    return SearchResult(
        query=request.q, total=len(docnums), page=request.page, per_page=request.per_page,
        hits=hits, facets=facets, partial=partial, took_ms=round((time.perf_counter() - started) * 1000, 2),
        expanded=expanded, suggestion=_suggestion(request, ctx, filters, len(docnums)) if text_query is not None else None,
    )


def _suggestion(request: SearchRequest, ctx: SearchContext, filters: list[Q.Query], original_total: int) -> dict | None:
    """{"q": corrected query, "total": articles it finds with the same filters}, or None."""
    corrected = suggest(ctx.searcher, request.q)
    if not corrected:
        return None
    try:
        parsed = parse_query(corrected, ctx.searcher.schema, ctx, request.match)
    except InvalidQuery:
        return None
    query = Q.And([parsed, FilterOnly(Q.Term("kind", ARTICLE)), *_filters_only(filters)])
    total = len(matching_docs(ctx.searcher, ctx.arrays, query)[0])
    # Worth showing only when it finds more: a word that is merely absent ("where") is no typo.
    return {"q": corrected, "total": total} if total > original_total else None


def _rank(article_query: Q.Query, units, request: SearchRequest, ctx: SearchContext):
    """Find the matching articles (index.search.matching, under the time limit); index.search.scoring orders them.

    Returns (all docnums, page, matches, partial).
    """
    searcher = ctx.searcher
    deadline = Deadline(ctx.time_limit)
    docnums, partial = matching_docs(searcher, ctx.arrays, article_query, deadline, published_bounds(request))
    start, stop = (request.page - 1) * request.per_page, request.page * request.per_page
    if not units:  # browse, or only filters and entity clauses: newest first among equals
        return docnums, [(int(d), 0.0) for d in docnums[::-1][start:stop]], {}, partial
    scored = score_documents(searcher, ctx.arrays, units, docnums, ARTICLE_FIELDS, ctx.params,
                             coordinate=request.match == "auto", exact_top=stop, deadline=deadline)
    page = scored.ranked(start, stop)
    return docnums, page, {d: scored.match(d) for d, _ in page}, partial or scored.partial


def _collect_by_date(article_query: Q.Query, sort: str, limit: int, request: SearchRequest, ctx: SearchContext):
    """The matches sorted by date, dated articles first: (all docnums, page, whether the time limit cut it short)."""
    searcher = ctx.searcher
    docnums, partial = matching_docs(searcher, ctx.arrays, article_query, Deadline(ctx.time_limit),
                                     published_bounds(request))
    published = global_array(searcher, ctx.arrays, "published")[docnums]
    dated = np.isin(docnums, global_postings(searcher, ctx.arrays, "dated", "1")[0], assume_unique=True)
    order = np.lexsort((docnums, -published if sort == "newest" else published, ~dated))
    page = [(int(docnums[i]), 0.0) for i in order[(request.page - 1) * request.per_page:limit]]
    return docnums, page, partial


def phrase_pairs(text_query: Q.Query) -> set[tuple[str, str]]:
    """Consecutive words of every phrase in the query, so a phrase is marked as one span."""
    return {pair for node in text_query.leaves() if isinstance(node, Q.Phrase)
            for pair in zip(node.words, node.words[1:])}


def highlight_terms(text_query: Q.Query, searcher) -> set[str]:
    """The index terms a query matches in text fields (prefixes and fuzzy terms expanded)."""
    found = set()
    for fieldname, btext in to_passages(text_query).existing_terms(searcher.reader(), phrases=True, expand=True):
        if fieldname == "text":
            found.add(btext.decode("utf-8") if isinstance(btext, bytes) else btext)
    return found


def _best_passages(page_docs, units, ctx: SearchContext, per_article: int) -> dict[str, list]:
    """For the articles on the page, their best-scoring passages for the query (same scoring as articles)."""
    if not page_docs or per_article < 1 or not units:
        return {}
    searcher = ctx.searcher
    candidates = np.setdiff1d(passages_of(searcher, ctx.arrays, [d for d, _ in page_docs]), [d for d, _ in page_docs])
    passage_units = query_units(to_passages(_units_query(units)))
    scored = score_documents(searcher, ctx.arrays, passage_units, candidates, PASSAGE_FIELDS, ctx.params)
    best: dict[str, list] = {}
    for docnum, score in scored.ranked():
        if score <= 0:
            break
        stored = searcher.stored_fields(docnum)
        bucket = best.setdefault(stored["article_id"], [])
        if len(bucket) < per_article:
            bucket.append((stored["position"], stored["text"], score))
    return best


def passages_of(searcher, arrays: SegmentArrays, article_docnums: list[int]) -> np.ndarray:
    """Global docnums of the documents sharing `article_id` with these articles (their passages, themselves).

    An article and its passages are written by one writer into one segment, and
    merges move whole segments, so each is looked up in its article's segment only.
    """
    found = []
    for sub, offset, local in by_segment(searcher, np.sort(np.asarray(article_docnums, dtype=np.int64))):
        reader = sub.reader()
        for docnum in local.tolist():
            ids, _ = arrays.postings(reader, "article_id", reader.stored_fields(docnum)["article_id"])
            found.append(ids.astype(np.int64) + offset)
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _units_query(units) -> Q.Query:
    """The units back as one Or query (their alternatives), for renaming to passage text."""
    return Q.Or([AliasOr(u.alternatives, via=u.via) if len(u.alternatives) > 1 else u.alternatives[0]
                 for u in units])


def describe_match(match: Match | None, units, hit: "Hit") -> list[dict]:
    """Why an article matched, in words: each query term or phrase, the fields it was found in, the alias used."""
    if match is None:
        return []
    names = [fold(n) for kind in hit.entities.values() for n in kind]
    described = []
    for unit in units:
        found = match.fields.get(unit.label)
        if not found:
            continue
        fields = []
        if "title" in found:
            fields.append("title")
        if found & {"body", "text"}:
            fields.append("passage")
        label = fold(unit.label.strip('"'))
        if "entity" in found or any(label == n or label in n.split() or (" " in label and label in n) for n in names):
            fields.append("entity")
        described.append({"term": unit.label, "fields": fields, "via": match.via.get(unit.label)})
    return described


def _make_hit(stored: dict, score: float | None, passages, terms: set[str], catalog: EntityCatalog,
              analyzer=None, pairs: set[tuple[str, str]] = frozenset()) -> Hit:
    article = Article.from_dict(json.loads(stored["data"]))
    if not passages and article.passages:
        lead = article.passages[0]
        passages = [(lead.position, lead.text, None)]
    entities: dict[str, list[str]] = {t: [] for t in ENTITY_FIELDS}
    for entity in article.entities:
        kind, name = catalog.type_and_name(entity)
        if name not in entities[kind]:
            entities[kind].append(name)
    return Hit(
        id=article.id, title=article.title, title_html=highlight(article.title, terms, analyzer, pairs),
        source=article.source, published=article.published, url=article.url, byline=article.byline,
        score=round(score, 4) if score is not None else None,
        passages=[PassageHit(position=p, html=highlight(text, terms, analyzer, pairs), text=text,
                             score=round(s, 4) if s is not None else None) for p, text, s in passages],
        entities=entities,
    )
