"""Every marshmallow schema of the API: query arguments, bodies, responses, errors.

The same objects validate requests, shape responses and generate
/api/v1/openapi.json (through flask-smorest), so the description cannot drift
from the behaviour.  `SearchArgs` loads straight into an `index.SearchRequest`.
"""

from __future__ import annotations

from datetime import timezone

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from index import SearchRequest
from index.query import MATCHES, MODES, SORT_ALIASES, SORTS

MAX_PER_PAGE = 100


class UtcDateTime(fields.DateTime):
    """An RFC 3339 date-time: stored dates carry no zone and are UTC, so the offset is written out."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class SearchArgs(Schema):
    """Query-string arguments of /api/v1/search (and of the search page and exports)."""

    q = fields.String(load_default="", metadata={"description": 'Whoosh query syntax: words, "phrases", AND/OR/NOT, title:, source:'})
    source = fields.List(fields.String(), load_default=list, metadata={"description": "Only these sources (repeat for several: any of them)"})
    entity = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this entity, any type (repeat: all must match)"})
    person = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this person (repeat: all must match)"})
    org = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this organisation"})
    place = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this place"})
    date_from = fields.Date(data_key="from", load_default=None, metadata={"description": "Published on or after (YYYY-MM-DD)"})
    date_to = fields.Date(data_key="to", load_default=None, metadata={"description": "Published on or before (YYYY-MM-DD)"})
    sort = fields.String(load_default="relevance", validate=validate.OneOf([*SORTS, *SORT_ALIASES]),
                         metadata={"description": "relevance (default), newest or oldest"})
    match = fields.String(load_default="auto", validate=validate.OneOf(MATCHES),
                          metadata={"description": "auto (all words rank first), all (strict AND) or any (OR)"})
    mode = fields.String(load_default="hybrid", validate=validate.OneOf(MODES), metadata={"description": (
        "hybrid (default): BM25 mixed with passage vectors where the index has them, and close articles that share "
        "no word with a plain query are found too; lexical: BM25 only (NEWSINDEX_SEMANTIC=0 makes every search lexical)")})
    recency = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=10, error="recency must be between 0 and 10"), metadata={"description": (
        "Boost recent articles in relevance ranking: each score is multiplied by 1 + recency x 0.5 ** (days "
        "older than the archive's newest article / 30); 0 (default): pure relevance. Ignored when sorting by date")})
    feedback = fields.Boolean(load_default=True, metadata={"description": (
        "Pseudo-relevance feedback: a query of up to 3 words is widened with the words of its 10 best results, "
        "listed in expanded with via \"feedback\" (false: the words as typed)")})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="page must be 1 or more"))
    per_page = fields.Integer(load_default=10, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"per_page must be between 1 and {MAX_PER_PAGE}"))
    facets = fields.Boolean(load_default=True, metadata={"description": "Include facet counts"})

    @validates_schema
    def check_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("from must not be after to", "from")

    @post_load
    def to_request(self, data, **kwargs) -> SearchRequest:
        return SearchRequest(**data)


class ExportArgs(SearchArgs):
    """The search arguments of /api/v1/search.csv and .ndjson: every match, so no page."""

    class Meta:
        exclude = ("page", "per_page", "facets")


class FeedArgs(SearchArgs):
    """The search arguments of /api/v1/search.atom: always newest first."""

    class Meta:
        exclude = ("page", "sort", "facets")

    per_page = fields.Integer(load_default=20, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"per_page must be between 1 and {MAX_PER_PAGE}"),
        metadata={"description": "Number of entries (the newest matching articles)"})


FACET_NAMES = ("source", "person", "org", "place")


class FacetValuesArgs(Schema):
    """Query-string arguments of /api/v1/facets/<name> (type-ahead)."""

    prefix = fields.String(load_default="", validate=validate.Length(max=100, error="prefix must be at most 100 characters"),
                           metadata={"description": "Start of any word of the value; accents and case are ignored"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100, error="limit must be between 1 and 100"))


ARTICLE_ID = validate.And(
    validate.Length(min=1, max=256, error="id must be 1 to 256 characters"),
    validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="id must not contain control characters"),
)


class ArticleIn(Schema):
    """The body of PUT /api/v1/articles/<id> and of each line of a bulk request."""

    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently lost text

    id = fields.String(metadata={"description": "Optional; must equal the id in the URL (bulk: the article's id)"})
    title = fields.String(metadata={"description": "Headline (default: the first line of the body)"})
    body = fields.String(metadata={"description": "Plain text; paragraphs separated by blank lines"})
    html = fields.String(metadata={"description": "A whole web page instead of `body`: the article text is extracted"})
    source = fields.String(allow_none=True, metadata={"description": "Outlet; known spellings are normalised"})
    published = fields.String(allow_none=True, metadata={"description": "Publication date or time (ISO 8601 preferred)"})
    url = fields.String(allow_none=True)
    byline = fields.String(allow_none=True)


class PassageOut(Schema):
    position = fields.Integer(required=True)
    html = fields.String(required=True, metadata={"description": "HTML-escaped text with <mark> highlights"})
    score = fields.Float(allow_none=True)


class EntitiesByType(Schema):
    person = fields.List(fields.String())
    org = fields.List(fields.String())
    place = fields.List(fields.String())


class HitOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    title_html = fields.String()
    source = fields.String(allow_none=True)
    date = fields.Function(lambda hit: hit.published.date().isoformat() if hit.published else None, allow_none=True)
    published = UtcDateTime(allow_none=True)
    url = fields.String(allow_none=True)
    byline = fields.String(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "Relevance score (null when sorted by date)"})
    passages = fields.List(fields.Nested(PassageOut))
    entities = fields.Nested(EntitiesByType)
    matched = fields.List(fields.Nested(lambda: MatchedOut()), metadata={"description": "Why this matched"})


class FacetValueOut(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class FacetsOut(Schema):
    source = fields.List(fields.Nested(FacetValueOut))
    date = fields.List(fields.Nested(FacetValueOut), metadata={"description": "Articles per month (YYYY-MM)"})
    person = fields.List(fields.Nested(FacetValueOut))
    org = fields.List(fields.Nested(FacetValueOut))
    place = fields.List(fields.Nested(FacetValueOut))


class SuggestionOut(Schema):
    q = fields.String(required=True, metadata={"description": "The corrected query"})
    total = fields.Integer(required=True, metadata={"description": "How many articles it finds"})


class ExpansionOut(Schema):
    term = fields.String(required=True, metadata={"description": "The query word or phrase that is an alias"})
    to = fields.List(fields.String(), required=True, metadata={"description": "The names it was expanded to"})
    via = fields.String(metadata={"description": "What expanded it: the alias file's entry, \"entity\" (the entity catalog's spellings) or \"feedback\" (words of the top results)"})


class SearchOut(Schema):
    query = fields.String()
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer()
    partial = fields.Boolean(metadata={"description": "True when the time limit cut the search short"})
    took_ms = fields.Float()
    results = fields.List(fields.Nested(HitOut), attribute="hits", data_key="results")
    facets = fields.Nested(FacetsOut)
    suggestion = fields.Nested(SuggestionOut, allow_none=True, metadata={"description": "Did you mean ...?"})
    expanded = fields.List(fields.Nested(ExpansionOut), metadata={"description": "Alias expansions applied"})
    semantic = fields.String(metadata={"description": (
        "on: passage vectors were mixed into the ranking; pending: some articles are not embedded yet and rank by "
        "their words alone (all of them right after an ingest: the answer is then lexical); off: lexical only "
        "(mode=lexical, NEWSINDEX_SEMANTIC=0, a browse or a sort by date)")})
    next = fields.String(allow_none=True)
    previous = fields.String(allow_none=True)


class EntityOut(Schema):
    type = fields.String(required=True)
    name = fields.String(required=True)
    key = fields.String()
    forms = fields.List(fields.String())
    mentions = fields.Integer()
    passages = fields.List(fields.Integer())


class ArticlePassageOut(Schema):
    position = fields.Integer()
    text = fields.String()


class ArticleOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    summary = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    published = UtcDateTime(allow_none=True)
    date = fields.Function(lambda a: a.published.date().isoformat() if a.published else None, allow_none=True)
    url = fields.String(allow_none=True)
    byline = fields.String(allow_none=True)
    body = fields.String()
    passages = fields.List(fields.Nested(ArticlePassageOut))
    entities = fields.List(fields.Nested(EntityOut))


class BulkItemOut(Schema):
    """What happened to one line of a bulk request."""

    line = fields.Integer(required=True, metadata={"description": "1-based line number in the request body"})
    ok = fields.Boolean(required=True)
    id = fields.String(allow_none=True)
    status = fields.Integer(required=True, metadata={"description": "201 created, 200 replaced, or the error status"})
    result = fields.String(allow_none=True, metadata={"description": "created or updated (null on error)"})
    error = fields.Nested(lambda: ErrorDetail(), allow_none=True)


class BulkOut(Schema):
    took_ms = fields.Float(required=True)
    errors = fields.Boolean(required=True, metadata={"description": "True when at least one line failed"})
    created = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    items = fields.List(fields.Nested(BulkItemOut), required=True)


class FacetValuesOut(Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    values = fields.List(fields.Nested(FacetValueOut), required=True)


class HealthOut(Schema):
    status = fields.String()
    articles = fields.Integer()
    passages = fields.Integer()


class ErrorDetail(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)
    param = fields.String(allow_none=True)


class ErrorOut(Schema):
    """The one error shape (service/errors.py builds it)."""

    class Meta:
        unknown = INCLUDE

    error = fields.Nested(ErrorDetail, required=True)


class MatchedOut(Schema):
    term = fields.String(required=True, metadata={"description": "A query word or phrase, as typed"})
    fields_ = fields.List(fields.String(), data_key="fields", attribute="fields",
                          metadata={"description": "Where it was found: title, passage, entity"})
    via = fields.String(allow_none=True, metadata={"description": "The alias whose expansion made it match"})


class RelatedArgs(Schema):
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=50, error="limit must be between 1 and 50"))


class RelatedItemOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    source = fields.String(allow_none=True)
    published = fields.DateTime(allow_none=True)
    score = fields.Float()


class RelatedOut(Schema):
    id = fields.String(required=True, metadata={"description": "The article the others are related to"})
    related = fields.List(fields.Nested(RelatedItemOut), required=True)
