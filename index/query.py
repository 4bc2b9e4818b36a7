"""What a search asks and what it answers: the contract every backend honours.

`SearchRequest` is checked once here (`check`), whatever backend runs it;
`SearchResult` with its `Hit`s, `PassageHit`s and `FacetValue`s is what the
service turns into JSON, HTML, CSV and Atom.  Plain data: nothing here knows
Whoosh, OpenSearch or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from index.errors import InvalidQuery

SORTS = ("relevance", "newest", "oldest")
SORT_ALIASES = {"date": "newest", "score": "relevance"}
MATCHES = ("auto", "all", "any")
FACETS = ("source", "date", "person", "org", "place", "tag")  # "date": articles per month (YYYY-MM)
MODES = ("hybrid", "lexical")
MAX_RECENCY = 10.0
RECENCY_HALF_LIFE_DAYS = 30.0


@dataclass
class SearchRequest:
    """What to search for. Every field has a browse-friendly default."""

    q: str = ""
    source: list[str] = field(default_factory=list)
    entity: list[str] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    org: list[str] = field(default_factory=list)
    place: list[str] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "relevance"
    match: str = "auto"
    page: int = 1
    per_page: int = 10
    tag: list[str] = field(default_factory=list)  # editorial tags, "kind:value" ("topics:crude"); all must match
    family: list[str] = field(default_factory=list)  # only these story families (the versions of a story)
    facets: bool = True
    facet_limit: int = 20
    facet_names: tuple[str, ...] = FACETS  # which facets to count (each is always in the answer, maybe empty)
    passages: int = 3
    collapse: bool = True  # one result per story family, with its number of versions
    recency: float = 0.0  # relevance x (1 + recency x 0.5 ** (days older than the newest article / 30)); 0: off
    feedback: bool = False  # short queries also ranked with the words of their best results (index/search/feedback.py);
    # off by default: on the news sets it measured below the words alone (bench/RESULTS.md)
    mode: str = "hybrid"  # hybrid: BM25 mixed with passage vectors where the index has them; lexical: BM25 only

    def check(self, max_per_page: int = 100, max_window: int = 10_000) -> None:
        """Raise InvalidQuery (naming the parameter) for values no search can honour."""
        self.sort = SORT_ALIASES.get(self.sort, self.sort)
        if self.sort not in SORTS:
            raise InvalidQuery(f"sort must be one of {', '.join(SORTS)}", "sort")
        if self.match not in MATCHES:
            raise InvalidQuery(f"match must be one of {', '.join(MATCHES)}", "match")
        if not 0 <= self.recency <= MAX_RECENCY:
            raise InvalidQuery(f"recency must be between 0 and {MAX_RECENCY}", "recency")
        if self.mode not in MODES:
            raise InvalidQuery(f"mode must be one of {', '.join(MODES)}", "mode")
        if self.page < 1:
            raise InvalidQuery("page must be 1 or more", "page")
        if not 1 <= self.per_page <= max_per_page:
            raise InvalidQuery(f"per_page must be between 1 and {max_per_page}", "per_page")
        if self.page * self.per_page > max_window:
            raise InvalidQuery(
                f"page * per_page must not exceed {max_window}; use the CSV or NDJSON export to take every result",
                "page")
        if unknown := [name for name in self.facet_names if name not in FACETS]:
            raise InvalidQuery(f"unknown facet {unknown[0]!r}; facets are {', '.join(FACETS)}", "facets")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidQuery("from must not be after to", "from")

    @property
    def is_browse(self) -> bool:
        return not self.q.strip()

    @property
    def lists_every_word_by_date(self) -> bool:
        """Sorted by date, a best-match search lists only the articles holding every word, when some do:
        not every one-word match by date (match=any lists them all).  Both backends and the page's header."""
        return self.sort != "relevance" and self.match == "auto" and not self.is_browse


@dataclass(frozen=True)
class FacetValue:
    value: str  # what a filter takes (display name, or "2020-11")
    count: int  # number of matching articles
    key: str | None = None  # entity key, for entity facets


@dataclass
class PassageHit:
    position: int
    html: str  # escaped text with <mark> highlights
    text: str
    score: float | None = None


@dataclass
class Hit:
    id: str
    title: str
    title_html: str
    source: str | None
    published: datetime | None
    url: str | None
    byline: str | None
    score: float | None
    passages: list[PassageHit]
    entities: dict[str, list[str]]
    matched: list[dict] = field(default_factory=list)  # [{"term", "fields", "via"}]: why this matched
    family: str | None = None  # the story family (near-duplicate versions of one story)
    versions: int = 1  # matching articles of that family (1 when it stands alone, or when not collapsed)
    tags: dict[str, list[str]] = field(default_factory=dict)  # editorial tags, by kind


@dataclass
class SearchResult:
    query: str
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    partial: bool = False
    took_ms: float = 0.0
    suggestion: dict | None = None
    expanded: list[dict] = field(default_factory=list)
    total_all_words: int | None = None  # of `total`, the articles holding every word asked (None: no words)
    stories: int | None = None  # story families among the matches: what is paged through when collapsed
    semantic: str = "off"  # "on": vectors mixed in; "pending": some articles not embedded yet (ranked by words); "off"

    @property
    def pages(self) -> int:
        shown = self.stories if self.stories is not None else self.total
        return max(1, -(-shown // self.per_page))


@dataclass
class RelatedArticle:
    id: str
    title: str
    source: str | None
    published: datetime | None
    score: float
