"""What each article tells the archive about its entities: the evidence the catalog merges by.

The store counts, per key, the articles naming it as each type and the names it
was shown as (index/store/building.py).  This module adds the rest, as plain
strings the store counts the same way (segment metadata `entity_evidence`),
summed across the archive by the catalog (index/search/catalog.py), so merging
depends on counts only, never on ingest order:

    variant>key       a spelling with another key was merged into it in this article:
                      an acronym ("imf>international monetary fund"), a short name
                      defined in the text ("petrobras>petroleo brasileiro sa"), a
                      surname ("nakasone>yasuhiro nakasone") or an editorial alias
    key#year#a|b|c    a person's context in this article (or of a short name that
                      may be a surname the model mistyped): its year ("-" when
                      undated) and its CONTEXT_SIZE most-mentioned organisations and
                      places; identical contexts of one name add up

    terms = entity_evidence(article)          # at write time
    evidence = parse_evidence(summed_counts)  # in the catalog: counts are articles

Keys never contain "=", ">", "#", "|" or "," (index.text.aliases.entity_key),
so a term parses one way only ("key=Name" terms, the names, are read too).
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from index.article import Article
from index.text.aliases import entity_key

CONTEXT_SIZE = 4


@dataclass
class Evidence:
    """Parsed evidence, counts in articles."""

    names: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> Name -> n
    links: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # variant -> key -> n
    contexts: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # key -> (year, others) -> n

    def articles(self, key: str) -> int:
        """Articles in which `key` was an entity under its own key."""
        return sum(self.names.get(key, {}).values())


def entity_evidence(article: Article) -> list[str]:
    """The evidence strings of one article (see the module docstring), each once."""
    terms: dict[str, None] = {}
    for entity in article.entities:
        for form in entity.forms:
            variant = entity_key(form)
            if variant and variant != entity.key:
                terms[f"{variant}>{entity.key}"] = None
    year = str(article.published.year) if article.published else "-"
    others = sorted((e for e in article.entities if e.type != "person"), key=lambda e: (-e.mentions, e.key))
    context = [e.key for e in others[:CONTEXT_SIZE]]
    for entity in article.entities:
        if context and (entity.type == "person" or _may_be_a_surname(entity)):
            others = sorted(k for k in context if k != entity.key)
            if others:
                terms[f"{entity.key}#{year}#{'|'.join(others)}"] = None
    return list(terms)


def _may_be_a_surname(entity) -> bool:
    """A one- or two-word name the model did not call a person that may still be one
    ("Douglas" as ORG): not an acronym, not a gazetteer place."""
    from index.ingest.place_names import place_names

    return (len(entity.key.split()) <= 2 and not entity.name.isupper()
            and place_names().lookup(entity.key) is None)


def parse_evidence(counts: dict[str, int]) -> Evidence:
    """Evidence from summed term counts ({term: articles}); unknown terms are ignored."""
    evidence = Evidence()
    groups: dict[str, frozenset] = {}  # one set per distinct context: the same one recurs year after year
    for term, count in counts.items():
        if "=" in term:
            key, _, name = term.partition("=")
            evidence.names[key][name] += count
        elif ">" in term:
            variant, _, key = term.partition(">")
            evidence.links[variant][key] += count
        elif "#" in term:
            key, year, others = (term.split("#", 2) + ["", ""])[:3]
            group = groups.get(others)
            if group is None:
                group = groups[others] = frozenset(others.split("|"))
            evidence.contexts[key][(sys.intern(year), group)] += count
    return evidence
