"""Every marshmallow schema of the API: query arguments, bodies, responses, errors.

The same objects validate requests, shape responses and generate
/api/v1/openapi.json (through flask-smorest), so the description cannot drift
from the behaviour.  `SearchArgs` loads straight into an `index.SearchRequest`.
"""

from __future__ import annotations

from datetime import timezone

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema

from index import SearchRequest
from index.query import FACETS, MATCHES, MODES, SORTS

MAX_PER_PAGE = 100
MAX_FACET_SIZE = 100



def _tags() -> fields.Dict:
    """An article's editorial tags, in a search hit and in the article alike."""
    return fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "The archive's editorial tags by kind ({\"topics\": [\"crude\"]}), as ingested"})

class UtcDateTime(fields.DateTime):
    """An ISO 8601 / RFC 3339 date-time with its offset: stored dates carry no zone and are UTC."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("example", "2021-01-30T07:00:00+00:00")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class FacetChoice(fields.String):
    """`facets`: which facets to count, as a comma-separated list (`source,person`).

    `true` (the default) is every facet, `false` or `none` none of them; an
    unknown name is an error naming it.  Loads as (count facets?, names).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if text in ("", "true", "1", "all"):
            return True, FACETS
        if text in ("false", "0", "none"):
            return False, ()
        names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
        unknown = [name for name in names if name not in FACETS]
        if unknown:
            raise ValidationError(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACETS)} "
                                  "(or true / false)")
        return bool(names), names


class FilterArgs(Schema):
    """What selects articles: the query, its filters and dates (searches, exports, feeds, delete by query)."""

    q = fields.String(load_default="", metadata={
        "description": 'Whoosh query syntax: words, "phrases", AND/OR/NOT, title:, source:, prefix*, fuzzy~',
        "example": "Kalbajar"})
    source = fields.List(fields.String(), load_default=list, metadata={"description": "Only these sources (repeat for several: any of them)"})
    entity = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this entity, any type (repeat: all must match)"})
    person = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this person (repeat: all must match)"})
    org = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this organisation (repeat: all must match)"})
    place = fields.List(fields.String(), load_default=list, metadata={"description": "Only articles naming this place (repeat: all must match)"})
    tag = fields.List(fields.String(validate=validate.Regexp(
        r"^[^:]+:.+", error="tag must be kind:value, such as topics:crude")), load_default=list, metadata={
        "description": "Only articles with this editorial tag, kind:value such as topics:crude (repeat: all must match)"})
    family = fields.List(fields.String(), load_default=list, metadata={
        "description": "Only the versions of this story family (its id, the `family` of a hit)"})
    date_from = fields.Date(data_key="from", load_default=None, metadata={
        "description": "Published on or after this day (ISO 8601 date, YYYY-MM-DD; days are UTC)", "example": "2020-11-01"})
    date_to = fields.Date(data_key="to", load_default=None, metadata={
        "description": "Published on or before this day (ISO 8601 date, YYYY-MM-DD; days are UTC)", "example": "2021-01-31"})
    match = fields.String(load_default="auto", validate=validate.OneOf(MATCHES),
                          metadata={"description": "auto (articles with every word first), all (strict AND) or any (OR)"})

    @validates_schema
    def check_dates(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError("from must not be after to", "from")

    @post_load
    def to_request(self, data, **kwargs) -> SearchRequest:
        data = dict(data)
        if "facets" in data:
            data["facets"], data["facet_names"] = data["facets"]
        if "facet_limit" in data and data["facet_limit"] is None:
            del data["facet_limit"]
        return SearchRequest(**data)


class SearchArgs(FilterArgs):
    """Query-string arguments of /api/v1/search (and of the search page and exports)."""

    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS),
                         metadata={"description": "relevance (default), newest or oldest"})
    mode = fields.String(load_default="hybrid", validate=validate.OneOf(MODES), metadata={"description": (
        "hybrid (default): BM25 mixed with passage vectors where the index has them, and close articles that share "
        "no word with a plain query are found too; lexical: BM25 only (NEWSINDEX_SEMANTIC=0 makes every search lexical)")})
    recency = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=10, error="recency must be between 0 and 10"), metadata={"description": (
        "Boost recent articles in relevance ranking: each score is multiplied by 1 + recency x 0.5 ** (days "
        "older than the archive's newest article / 30); 0 (default): pure relevance. Ignored when sorting by date")})
    feedback = fields.Boolean(load_default=False, metadata={"description": (
        "Pseudo-relevance feedback: a query of up to 3 words is also ranked with the words of its 10 best results, "
        "listed in expanded with via \"feedback\" (default false: it measured below the words alone on news)")})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, error="page must be 1 or more"),
                          metadata={"description": "1-based page number; page * per_page is at most 10,000"})
    per_page = fields.Integer(load_default=10, validate=validate.Range(
        min=1, max=MAX_PER_PAGE, error=f"per_page must be between 1 and {MAX_PER_PAGE}"),
        metadata={"description": "Results per page (1-100)"})
    facets = FacetChoice(load_default=(True, FACETS), metadata={
        "description": f"Facets to count, comma-separated ({', '.join(FACETS)}); true (default) for all, "
                       "false for none.  Every facet asked for is in the answer, an empty list when nothing matches.",
        "example": "source,person"})
    facet_limit = fields.Integer(data_key="facet_size", load_default=20, validate=validate.Range(
        min=1, max=MAX_FACET_SIZE, error=f"facet_size must be between 1 and {MAX_FACET_SIZE}"),
        metadata={"description": f"Values per facet, most frequent first (1-{MAX_FACET_SIZE}, default 20); "
                                 "the date facet lists every month"})
    collapse = fields.Boolean(load_default=True, metadata={
        "description": "true (default): one result per story family, the best of its versions, with `versions`; "
                       "false: every version"})


class ExportArgs(SearchArgs):
    """The search arguments of /api/v1/search.csv and .ndjson: every match, so no page."""

    class Meta:
        exclude = ("page", "per_page", "facets", "facet_limit")


class FeedArgs(SearchArgs):
    """The search arguments of /api/v1/search.atom: always newest first."""

    class Meta:
        exclude = ("page", "sort", "facets", "facet_limit")

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


ARTICLE_EXAMPLE = {
    "title": "Ceasefire monitors arrive in Aghdam", "source": "Daily Sabah", "published": "2021-01-30T09:00:00+02:00",
    "url": "https://www.dailysabah.com/example", "byline": "A. Reporter",
    "body": "Turkish and Russian officers opened the joint monitoring centre near Aghdam on Saturday.\n\n"
            "President Ilham Aliyev welcomed the mission.",
}


class ArticleIn(Schema):
    """The body of PUT /api/v1/articles/<id>, POST /api/v1/articles and of each line of a bulk request."""

    class Meta:
        unknown = RAISE  # a misspelt field is an error, not silently lost text

    id = fields.String(metadata={"description": "Optional; must equal the id in the URL (bulk: the article's id)"})
    title = fields.String(allow_none=True, metadata={"description": "Headline (default: the first line of the body)",
                                    "example": ARTICLE_EXAMPLE["title"]})
    body = fields.String(metadata={"description": "Plain text; paragraphs separated by blank lines",
                                   "example": ARTICLE_EXAMPLE["body"]})
    html = fields.String(metadata={"description": "A whole web page instead of `body`: the article text is extracted"})
    source = fields.String(allow_none=True, metadata={"description": "Outlet; known spellings are normalised",
                                                      "example": "Daily Sabah"})
    published = fields.String(allow_none=True, metadata={
        "description": "Publication date or time, ISO 8601 (an offset is kept: stored in UTC)",
        "example": ARTICLE_EXAMPLE["published"]})
    url = fields.String(allow_none=True, metadata={"description": "The article's own http(s) URL",
                                                   "example": ARTICLE_EXAMPLE["url"]})
    byline = fields.String(allow_none=True, metadata={"example": "A. Reporter"})


class ArticlePatch(ArticleIn):
    """The body of PATCH /api/v1/articles/<id> (JSON merge patch, RFC 7396).

    Fields present replace the stored ones, `null` clears an optional one
    (source, published, url, byline); fields left out stay as they are.
    """

    class Meta:
        unknown = RAISE


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
    published = UtcDateTime(allow_none=True, metadata={"description": "Publication time, ISO 8601 with offset (UTC)"})
    url = fields.String(allow_none=True)
    byline = fields.String(allow_none=True)
    score = fields.Float(allow_none=True, metadata={"description": "Relevance score (null when sorted by date)"})
    passages = fields.List(fields.Nested(PassageOut))
    entities = fields.Nested(EntitiesByType)
    matched = fields.List(fields.Nested(lambda: MatchedOut()), metadata={"description": "Why this matched"})
    family = fields.String(allow_none=True, metadata={
        "description": "The story family (near-duplicate versions of one story): pass it as `family` to list them"})
    versions = fields.Integer(metadata={
        "description": "Matching versions of this story family (1 alone, and with collapse=false)"})
    tags = _tags()


class FacetValueOut(Schema):
    value = fields.String(required=True)
    count = fields.Integer(required=True)


class FacetsOut(Schema):
    source = fields.List(fields.Nested(FacetValueOut))
    date = fields.List(fields.Nested(FacetValueOut), metadata={"description": "Articles per month (YYYY-MM)"})
    person = fields.List(fields.Nested(FacetValueOut))
    org = fields.List(fields.Nested(FacetValueOut))
    place = fields.List(fields.Nested(FacetValueOut))
    tag = fields.List(fields.Nested(FacetValueOut), metadata={"description": "Editorial tags, kind:value"})


class SuggestionOut(Schema):
    q = fields.String(required=True, metadata={"description": "The corrected query"})
    total = fields.Integer(required=True, metadata={"description": "How many articles it finds"})


class ExpansionOut(Schema):
    term = fields.String(required=True, metadata={"description": "The query word or phrase that is an alias"})
    to = fields.List(fields.String(), required=True, metadata={"description": "The names it was expanded to"})
    via = fields.String(metadata={"description": "What expanded it: the alias file's entry, \"entity\" (the entity catalog's spellings) or \"feedback\" (words of the top results)"})


class SearchOut(Schema):
    took_ms = fields.Float(metadata={"description": "Time the whole request took, in milliseconds"})
    query = fields.String()
    total = fields.Integer(required=True, metadata={"description": "Articles that match"})
    total_all_words = fields.Integer(allow_none=True, metadata={"description": (
        "Of `total`, the articles holding every word or phrase asked (null for a search without words; with "
        "match=all it equals total)")})
    stories = fields.Integer(allow_none=True, metadata={"description": (
        "What `pages` pages through: the stories among the matches when versions of one story are grouped "
        "(collapse, the default: one result per story), else each article counts as one. Sorted by date, a "
        "best-match search (match=auto) lists only the articles holding every word when some do "
        "(`total_all_words`)")})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(metadata={"description": "Pages of per_page results: of stories when grouped, else of articles"})
    partial = fields.Boolean(metadata={"description": "True when the time limit cut the search short"})
    results = fields.List(fields.Nested(HitOut), attribute="hits", data_key="results")
    facets = fields.Nested(FacetsOut)
    suggestion = fields.Nested(SuggestionOut, allow_none=True, metadata={"description": "Did you mean ...?"})
    expanded = fields.List(fields.Nested(ExpansionOut), metadata={"description": "Alias expansions applied"})
    semantic = fields.String(metadata={"description": (
        "on: passage vectors were mixed into the ranking; pending: some articles are not embedded yet and rank by "
        "their words alone (all of them right after an ingest: the answer is then lexical); off: lexical only "
        "(mode=lexical, NEWSINDEX_SEMANTIC=0, a browse or a sort by date); unavailable: the archive has vectors "
        "but the sentence model cannot be loaded on this server (its log says why): lexical only")})
    next = fields.String(allow_none=True, metadata={"description": "Absolute URL of the next page (null on the last)"})
    previous = fields.String(allow_none=True, metadata={"description": "Absolute URL of the previous page (null on the first)"})


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
    published = UtcDateTime(allow_none=True, metadata={"description": "Publication time, ISO 8601 with offset (UTC)"})
    first_seen = UtcDateTime(allow_none=True, metadata={"description": "When this archive first stored the article"})
    url = fields.String(allow_none=True)
    byline = fields.String(allow_none=True)
    body = fields.String()
    passages = fields.List(fields.Nested(ArticlePassageOut))
    entities = fields.List(fields.Nested(EntityOut))
    family = fields.String(allow_none=True, metadata={
        "description": "Its story family (versions of one story): `family=<it>&collapse=false` in a search lists them"})
    tags = _tags()


class FacetValuesOut(Schema):
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    values = fields.List(fields.Nested(FacetValueOut), required=True)


class HealthOut(Schema):
    status = fields.String()
    articles = fields.Integer()
    passages = fields.Integer()
    entities_pending = fields.Integer(metadata={"description": "Articles whose entities the background enricher "
                                                               "has still to extract (they are searchable by their words)"})


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
    published = UtcDateTime(allow_none=True)
    score = fields.Float()


class RelatedOut(Schema):
    id = fields.String(required=True, metadata={"description": "The article the others are related to"})
    related = fields.List(fields.Nested(RelatedItemOut), required=True)
