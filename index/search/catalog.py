"""The archive's entity catalog: which keys are one entity, of what type, shown how, and why.

Every endpoint shows entities through it (facets, filters, type-ahead, search
hits, exports, feeds, `Index.get`), so a value has one name and one type
everywhere.  It is built from plain counts:

    catalog = EntityCatalog.from_counts(type_counts, forms, aliases, evidence)

`type_counts` is {key: {"person"|"org"|"place": articles}}, `forms` {key: {name:
articles}} and `evidence` {string: articles} (merged variants and contexts,
index/ingest/evidence.py); the embedded backend keeps them summed over its
segments (index/search/catalog_keeper.py), and any other store can feed the
same dicts.  The rules that join keys, each with
its reason, are in index/search/entity_merges.py; `explain(name)` lists an
entity's variants and why each was joined (GET /api/v1/entities/<type>/<name>).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Mapping

from index.article import ENTITY_TYPES, Entity
from index.ingest.evidence import Evidence, parse_evidence
from index.ingest.place_names import place_names
from index.search.entity_merges import Merger
from index.text.aliases import Aliases, entity_key


@dataclass
class EntityCatalog:
    canonical: dict[str, str] = field(default_factory=dict)  # key -> canonical key
    type_of: dict[str, str] = field(default_factory=dict)  # canonical key -> person | org | place
    display: dict[str, str] = field(default_factory=dict)  # canonical key -> display name
    members: dict[str, list[str]] = field(default_factory=dict)  # canonical key -> every key merged into it
    why: dict[str, tuple[str, str]] = field(default_factory=dict)  # joined key -> (rule, detail)
    type_why: dict[str, str] = field(default_factory=dict)  # canonical key -> why this type
    votes: dict[str, Counter] = field(default_factory=dict)  # canonical key -> type votes that counted
    evidence: Evidence = field(default_factory=Evidence)
    aliases: Aliases = field(default_factory=Aliases)
    # A catalog read from a builder's file holds only what searches read; `explain` asks this for the rest.
    explained_by: Callable[[str], tuple | None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_counts(cls, type_counts: Mapping[str, Mapping[str, int]], forms: Mapping[str, Mapping[str, int]],
                    aliases: Aliases, evidence: Mapping[str, int] | None = None) -> "EntityCatalog":
        """Merge keys by the rules of index/search/entity_merges.py over plain counts.

        `type_counts`: key -> articles naming it as each type; `forms`: key -> how
        often each display name was seen; `evidence`: evidence string -> articles
        (index/ingest/evidence.py: merged variants and contexts).  The store sums them.
        """
        parsed = parse_evidence(evidence or {})
        for key, names in forms.items():
            parsed.names[key].update(names)
        return cls.from_evidence(type_counts, parsed, aliases)

    @classmethod
    def from_evidence(cls, type_counts: Mapping[str, Mapping[str, int]], parsed: Evidence,
                      aliases: Aliases) -> "EntityCatalog":
        """The same over evidence already parsed, its names holding the forms too
        (index/search/catalog_keeper.py keeps it so across commits).  Neither is changed."""
        merged = Merger({k: Counter(v) for k, v in type_counts.items()}, parsed, aliases).run()
        members: dict[str, list[str]] = defaultdict(list)
        for key, target in merged.canonical.items():
            if key in type_counts or key == target:
                members[target].append(key)
        return cls(canonical=merged.canonical, type_of=merged.type_of, display=merged.display,
                   members={t: sorted(keys) for t, keys in members.items()}, why=merged.why,
                   type_why=merged.type_why, votes=merged.votes, evidence=parsed, aliases=aliases)

    def type_and_name(self, entity) -> tuple[str, str]:
        """How the archive shows one article's entity: (type, display name) after merging."""
        return self._shown(entity.key, entity.type, entity.name)

    def _shown(self, key: str, kind: str, name: str) -> tuple[str, str]:
        target = self.canonical.get(key, key)
        return self.type_of.get(target, kind), self.display.get(target, name)

    def names_by_type(self, entities: list[dict]) -> dict[str, list[str]]:
        """A stored article's entities (as stored: dicts) by type, each named as the archive shows it, once."""
        shown: dict[str, list[str]] = {kind: [] for kind in ENTITY_TYPES}
        for item in entities:
            kind, name = self._shown(item["key"], item["type"], item["name"])
            if name not in shown[kind]:
                shown[kind].append(name)
        return shown

    def canonical_entities(self, entities: list[Entity]) -> list[Entity]:
        """An article's entities as the archive shows them: canonical key, name and type, variants merged."""
        merged: dict[str, Entity] = {}
        for entity in entities:
            target = self.canonical.get(entity.key, entity.key)
            kind, name = self.type_and_name(entity)
            found = merged.get(target)
            if found is None:
                merged[target] = Entity(type=kind, name=name, key=target, forms=list(entity.forms),
                                        mentions=entity.mentions, passages=list(entity.passages))
            else:
                found.forms = sorted(set(found.forms) | set(entity.forms))
                found.mentions += entity.mentions
                found.passages = sorted(set(found.passages) | set(entity.passages))
        return sorted(merged.values(), key=lambda e: (-e.mentions, e.name))

    def resolve(self, name: str) -> str | None:
        """The canonical key for a display name or any spelling of it, or None if unknown."""
        key = entity_key(name)
        if key in self.canonical:
            return self.canonical[key]
        # A name no article used, but the alias file or the gazetteer knows ("America").
        entry = self.aliases.lookup(key)
        place = None if entry else place_names().lookup(key)
        known = entry.key if entry else place.key if place and not place.is_code else None
        if known in self.canonical:
            return self.canonical[known]
        # A surname or shorter form never indexed on its own: the one entity whose name ends so.
        matches = self.endings().get(tuple(key.split()), [])
        return matches[0] if len(matches) == 1 else None

    def endings(self) -> dict[tuple[str, ...], list[str]]:
        """Last words -> the canonical keys ending with them (built on first use, 0.1 s at a million passages)."""
        if "_ending_with" not in self.__dict__:
            self._ending_with = _by_ending(self.members)
        return self._ending_with

    def keys_for(self, name: str) -> list[str]:
        """Every indexed key that means the same entity as `name` (just its own key if unknown)."""
        target = self.resolve(name)
        return sorted(self.members.get(target, [target])) if target else [entity_key(name)]

    def explain(self, name: str) -> dict | None:
        """An entity's canonical value, type (and why) and every variant joined into it, with the reason.

        None when no entity is known by `name`.  Variants list each key merged
        into the entity: the names it was seen as, the articles naming it so,
        and the rule and evidence that joined it ("acronym": "54 article(s) use
        IMF as its acronym (International Monetary Fund)").
        """
        target = self.resolve(name)
        if target is None or target not in self.members:
            return None
        why, type_why, votes, names = self.explanation(target)
        variants = []
        for key in self.members[target]:
            seen = Counter(names.get(key, {}))
            rule, detail = why.get(key, ("canonical" if key == target else "same spelling", ""))
            variants.append({"key": key, "names": [n for n, _ in seen.most_common(5)],
                             "articles": sum(seen.values()), "reason": rule, "detail": detail})
        variants.sort(key=lambda v: (v["key"] != target, -v["articles"], v["key"]))
        return {"key": target, "name": self.display.get(target, target), "type": self.type_of.get(target),
                "type_reason": type_why, "type_votes": dict(Counter(votes).most_common()),
                "articles": sum(v["articles"] for v in variants), "variants": variants}

    def explanation(self, target: str) -> tuple[dict, str, dict, dict]:
        """Why a canonical entity is what it is: (member key -> (rule, detail) that joined it, why its type,
        its type votes, member key -> the names it was seen as, with articles).  Plain dicts: a builder
        saves one per entity (index/search/catalog_keeper.py), and workers read them only here."""
        if self.explained_by is not None:
            return self.explained_by(target) or ({}, "", {}, {})
        members = self.members.get(target, [target])
        names = self.evidence.names
        return ({k: self.why[k] for k in members if k in self.why}, self.type_why.get(target, ""),
                dict(self.votes.get(target, {})), {k: dict(names[k]) for k in members if k in names})


def _by_ending(keys) -> dict[tuple[str, ...], list[str]]:
    """Last words -> the keys that end with them and are longer ("erdogan" -> ["recep tayyip erdogan", ...]).

    One pass over the keys, instead of comparing every key with every other (35,000
    entity keys at a million passages made that 86 seconds a commit).
    """
    ending_with: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in keys:
        words = tuple(key.split())
        for start in range(1, len(words)):
            ending_with[words[start:]].append(key)
    return ending_with
