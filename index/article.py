"""The plain data that flows through newsindex: Article -> Passage + Entity.

Parsers (documents.py) produce Articles with text and metadata; passages.py
splits them; entities.py attaches Entities; the index stores all three and
gives them back from `Index.get`.  Nothing here knows about files or Whoosh.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime

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
    """A parsed article. Empty metadata stays None: nothing is ever invented."""

    id: str
    title: str
    body: str
    source: str | None = None
    published: datetime | None = None
    url: str | None = None
    byline: str | None = None
    summary: str | None = None
    origin: str | None = None  # file path (or "api") it came from
    enriched: bool = True  # False while its entities are still to be extracted (index/enrichment.py)
    passages: list[Passage] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Article":
        data = dict(data)
        published = data.get("published")
        data["published"] = datetime.fromisoformat(published) if published else None
        data["passages"] = [Passage(**p) for p in data.get("passages", [])]
        data["entities"] = [Entity(**e) for e in data.get("entities", [])]
        return cls(**data)

    @property
    def word_count(self) -> int:
        return len(self.body.split())


def content_id(title: str, body: str) -> str:
    """A stable id for an article with none: a hash of its normalised text.

    Whitespace and case are folded first, so re-saving a file with other line
    endings or spacing gives the same id (and so an update, not a duplicate).
    """
    normalised = re.sub(r"\s+", " ", f"{title}\n{body}").strip().lower()
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]
