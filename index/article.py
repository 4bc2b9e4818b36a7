"""The plain data that flows through newsindex: Article -> Passage + Entity.

Parsers (index/ingest/) produce Articles with text and metadata; passages.py
splits them; entities.py attaches Entities; the index stores all three and
gives them back from `Index.get`.  Nothing here knows about files or Whoosh.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone

ENTITY_TYPES = ("person", "org", "place")


@dataclass
class Entity:
    """One entity of an article: canonical name, the key it is faceted by, how it appeared."""

    type: str  # person | org | place
    name: str  # display name: the fullest form seen, accents kept
    key: str  # folded, lower-case form: what facets and filters use
    forms: list[str] = field(default_factory=list)  # surface forms seen in this article
    mentions: int = 0
    passages: list[int] = field(default_factory=list)  # positions of the passages it occurs in


@dataclass
class Passage:
    """A chunk of 60-120 words cut on sentence boundaries; `position` counts from 0."""

    position: int
    text: str


@dataclass
class Article:
    """A parsed article. Empty metadata stays None: nothing is ever invented.

    `published` is a naive datetime in UTC (a stated offset is applied at
    ingest), so the store and every comparison see one time scale.  `body` is
    paragraphs separated by blank lines, each paragraph one line (hard-wrapped
    text is reflowed at ingest).  `dateline` is the place a dateline names
    ("New York"), `tags` the record's hand-assigned tag lists by kind
    ({"places": ["usa"], "topics": ["crude"]}), kept apart from the extracted
    `entities`.  `family` is the id of its story family (itself when it has no
    near-duplicate) and `signature` the MinHash it was grouped by (index/ingest/families.py).
    `warnings` say what ingest dropped (a non-http url, an implausible date); they are not stored.
    """

    id: str
    title: str
    body: str
    source: str | None = None
    published: datetime | None = None
    url: str | None = None
    byline: str | None = None
    summary: str | None = None
    origin: str | None = None  # file path (or "api") it came from
    first_seen: datetime | None = None  # UTC time this id was first stored (kept across updates)
    enriched: bool = True  # False while its entities are still to be extracted (index/enrichment.py)
    passages: list[Passage] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    dateline: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    family: str | None = None
    signature: str | None = None
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)

    def to_dict(self) -> dict:
        data = asdict(self)
        del data["warnings"]
        data["published"] = self.published.isoformat() if self.published else None
        data["first_seen"] = self.first_seen.isoformat() if self.first_seen else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Article":
        """The inverse of to_dict; keys it does not know are ignored, an offset in `published` is applied."""
        known = {f.name for f in fields(cls)} - {"warnings"}
        data = {k: v for k, v in data.items() if k in known}
        data["published"] = stored_time(data.get("published"))
        first_seen = data.get("first_seen")
        data["first_seen"] = datetime.fromisoformat(first_seen) if first_seen else None
        data["passages"] = [Passage(**p) for p in data.get("passages", [])]
        data["entities"] = [Entity(**e) for e in data.get("entities", [])]
        data["tags"] = {k: list(v) for k, v in (data.get("tags") or {}).items()}
        return cls(**data)

    @property
    def lsh(self) -> list[str]:
        """The story-family band keys of `signature` (index/ingest/families.py); [] without one."""
        if not self.signature:
            return []
        from index.ingest.families import band_keys  # lazy: numpy and the MinHash parameters

        return band_keys(self.signature)

    @property
    def word_count(self) -> int:
        return len(self.body.split())


def stored_time(value: str | None) -> datetime | None:
    """A time as stored (`to_dict`'s ISO text) as `Article.published` holds it: naive UTC, or None."""
    return utc_naive(datetime.fromisoformat(value)) if value else None


def utc_naive(value: datetime) -> datetime:
    """A datetime as naive UTC (the form `Article.published` holds)."""
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:  # at the calendar's edge (year 1 or 9999)
        return value.replace(tzinfo=None)


def content_id(title: str, body: str) -> str:
    """A stable id for an article with none: a hash of its normalised text.

    Whitespace and case are folded first, so re-saving a file with other line
    endings or spacing gives the same id (and so an update, not a duplicate).
    """
    normalised = re.sub(r"\s+", " ", f"{title}\n{body}").strip().lower()
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]
