"""From entity mentions to an article's entities: one entry per real-world name.

The NER model (index/ner.py) finds mentions in the title and each passage.  This
module folds their spellings into entities: case and accents (Erdogan =
Erdoğan), possessives ("Putin's"), a leading "the", editorial aliases
(index/aliases.py), and a surname alone merged with the full name used elsewhere
in the same article ("Aliyev" -> "Ilham Aliyev").  Each entity keeps its display
name (the fullest form seen, accents kept), the forms seen, its mention count,
and the passages it occurs in.  Merging across the archive happens when facets
are counted (index/catalog.py), so the result does not depend on ingest order.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

from index.article import Article, Entity
from index.ingest.datelines import dateline_place
from index.text.aliases import Aliases, entity_key

log = logging.getLogger(__name__)

MAX_NER_CHARS = 100_000  # longest text given to the model at once (see ner_pieces)


@dataclass
class _Group:
    key: str
    forms: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    units: set[int] = field(default_factory=set)
    fixed_type: str | None = None
    fixed_name: str | None = None

    @property
    def type(self) -> str:
        return self.fixed_type or self.types.most_common(1)[0][0]

    def absorb(self, other: "_Group") -> None:
        self.forms.update(other.forms)
        self.types.update(other.types)
        self.units |= other.units


def best_name(forms: Counter) -> str:
    """The fullest form (most words), then the one with accents, then the most frequent."""
    def rank(form: str) -> tuple:
        return (len(form.split()), sum(ord(c) > 127 for c in form), forms[form], form)
    return max(forms, key=rank)


def _clean_surface(text: str) -> str:
    text = " ".join(text.split()).strip(" \"'“”‘’.,;:()[]")
    for suffix in ("'s", "’s"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    if text.lower().startswith("the "):
        text = text[4:]
    return text.strip()


def build_entities(mentions_by_unit: Sequence[Sequence], aliases: Aliases) -> list[Entity]:
    """Fold mentions into entities.

    `mentions_by_unit[0]` are the title's mentions and `mentions_by_unit[i]` those
    of passage i-1; each mention has `.text` and `.type`.
    """
    groups: dict[str, _Group] = {}
    for unit, mentions in enumerate(mentions_by_unit):
        for mention in mentions:
            surface = _clean_surface(mention.text)
            key = entity_key(surface)
            if len(key) < 2 or not any(c.isalpha() for c in key):
                continue
            entry = aliases.lookup(key)
            if entry:
                key = entry.key
            group = groups.setdefault(key, _Group(key))
            if entry:
                group.fixed_type, group.fixed_name = entry.type, entry.name
            group.forms[surface] += 1
            group.types[mention.type] += 1
            group.units.add(unit)
    _merge_partial_names(groups)
    entities = []
    for group in groups.values():
        entities.append(Entity(
            type=group.type,
            name=group.fixed_name or best_name(group.forms),
            key=group.key,
            forms=sorted(group.forms),
            mentions=sum(group.forms.values()),
            passages=sorted(u - 1 for u in group.units if u > 0),
        ))
    entities.sort(key=lambda e: (-e.mentions, e.name))
    return entities


def _merge_partial_names(groups: dict[str, _Group]) -> None:
    """Merge "Aliyev" into "Ilham Aliyev" when that is the one longer person name ending so."""
    people = [g for g in groups.values() if g.type == "person"]
    for short in sorted(people, key=lambda g: len(g.key.split())):
        words = short.key.split()
        longer = [g for g in people if g is not short and g.key in groups and len(g.key.split()) > len(words)
                  and g.key.split()[-len(words):] == words]
        # Only the longest candidates count: "Erdogan" -> "Recep Tayyip Erdogan", not "Tayyip Erdogan".
        if longer:
            top = max(len(g.key.split()) for g in longer)
            longest = [g for g in longer if len(g.key.split()) == top]
            if len(longest) == 1 and not short.fixed_name:
                longest[0].absorb(short)
                del groups[short.key]


def _is_title_case(title: str) -> bool:
    words = [w for w in title.split() if w[:1].isalpha() and len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def ner_pieces(text: str, limit: int = MAX_NER_CHARS) -> list[str]:
    """`text` cut into pieces of at most `limit` characters, at a space where there is one.

    spaCy refuses a text over `nlp.max_length` (error E088, 1,000,000
    characters) and needs about 1 GB of memory per 100,000 characters for the
    parser; passages are short, but a "sentence" with no full stop can be long.
    """
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", limit // 2, limit)
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def extract_entities(articles: Sequence[Article], aliases: Aliases, n_process: int = 1) -> None:
    """Run NER over every article's title and passages and set `article.entities`.

    One model call for the whole batch (the model batches internally, and uses
    `n_process` processes), then the mentions are regrouped per article.  A
    unit longer than MAX_NER_CHARS goes to the model in pieces (`ner_pieces`).
    """
    from index.ingest.ner import extract_mentions  # lazy: loading the model takes a second

    texts: list[str] = []
    pieces_per_unit: list[int] = []
    units_per_article: list[int] = []
    for article in articles:
        # A Title Case headline reads as a string of names to the model ("Ceasefire Efforts"
        # as an org); its real entities recur in the text, so it is skipped.
        title = "" if _is_title_case(article.title) else article.title
        units = [title] + [p.text for p in article.passages]
        units_per_article.append(len(units))
        for unit in units:
            pieces = ner_pieces(unit)
            pieces_per_unit.append(len(pieces))
            texts.extend(pieces)
    found = iter(extract_mentions(texts, n_process=n_process, batch_size=32) if texts else [])
    by_unit = [[m for _ in range(n) for m in next(found)] for n in pieces_per_unit]
    start = 0
    for article, count in zip(articles, units_per_article):
        article.entities = build_entities(by_unit[start:start + count], aliases)
        add_dateline_place(article, aliases)  # stated, so kept when the enricher extracts again
        start += count


def add_dateline_place(article: Article, aliases: Aliases) -> None:
    """Make the place of the article's dateline one of its place entities (merged if already found)."""
    if not article.dateline:
        return
    name = dateline_place(article.dateline)
    key = entity_key(name)
    if len(key) < 2:
        return
    entry = aliases.lookup(key)
    if entry:
        key, name = entry.key, entry.name
    for entity in article.entities:
        if entity.key == key:
            if name not in entity.forms:
                entity.forms = sorted({*entity.forms, name})
            return
    article.entities.append(Entity(type=entry.type if entry else "place", name=name, key=key, forms=[name],
                                   mentions=1, passages=[]))
