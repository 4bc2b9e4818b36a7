"""The archive's entity catalog: which keys are one entity, of what type, shown how.

Built from the index vocabulary once per searcher generation (cheap: it reads
lexicons, not documents).  Across the archive, a shorter person name merges into
the one longest person name that ends with it ("Erdogan" and "Tayyip Erdogan"
into "Recep Tayyip Erdogan"), an editorial alias into its entry, and an entity's
type is the type most of its mentions were given.  Facets count by canonical
entity and filters expand a name to every key merged into it, so merged
spellings are one facet value, whatever order articles arrived in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from index.aliases import Aliases, entity_key
from index.entities import best_name
from index.schema import ENTITY_FIELDS


@dataclass
class EntityCatalog:
    canonical: dict[str, str] = field(default_factory=dict)  # key -> canonical key
    type_of: dict[str, str] = field(default_factory=dict)  # canonical key -> person | org | place
    display: dict[str, str] = field(default_factory=dict)  # canonical key -> display name
    members: dict[str, list[str]] = field(default_factory=dict)  # canonical key -> every key merged into it

    @classmethod
    def build(cls, reader, aliases: Aliases) -> "EntityCatalog":
        """Read the entity lexicons of `reader` and merge keys as the module docstring says."""
        type_counts: dict[str, Counter] = defaultdict(Counter)
        for fieldname in ENTITY_FIELDS:
            if fieldname not in reader.schema or not reader.indexed_field_names():
                continue
            for btext, info in reader.iter_field(fieldname):
                type_counts[btext.decode("utf-8")][fieldname] += info.doc_frequency()
        forms: dict[str, Counter] = defaultdict(Counter)
        for btext, info in reader.iter_field("entity_forms"):
            key, _, name = btext.decode("utf-8").partition("=")
            forms[key][name] += info.doc_frequency()

        def majority(counter: Counter) -> str:
            return counter.most_common(1)[0][0]

        canonical = {key: key for key in type_counts}
        people = [k for k, c in type_counts.items() if majority(c) == "person"]
        by_words = {k: k.split() for k in people}
        for short in people:
            if aliases.lookup(short):  # an editorial entry is an entity of its own
                continue
            words = by_words[short]
            longer = [k for k in people if len(by_words[k]) > len(words) and by_words[k][-len(words):] == words]
            if longer:
                top = max(len(by_words[k]) for k in longer)
                longest = [k for k in longer if len(by_words[k]) == top]
                if len(longest) == 1:
                    canonical[short] = longest[0]
        members: dict[str, list[str]] = defaultdict(list)
        for key, target in canonical.items():
            members[target].append(key)
        catalog = cls(canonical=canonical, members=dict(members))
        for target, keys in members.items():
            total = Counter()
            names = Counter()
            for key in keys:
                total.update(type_counts[key])
                names.update(forms.get(key, {}))
            entry = aliases.lookup(target)
            catalog.type_of[target] = entry.type if entry else majority(total)
            catalog.display[target] = entry.name if entry else (best_name(names) if names else target)
        return catalog

    def type_and_name(self, entity) -> tuple[str, str]:
        """How the archive shows one article's entity: (type, display name) after merging."""
        target = self.canonical.get(entity.key, entity.key)
        return self.type_of.get(target, entity.type), self.display.get(target, entity.name)

    def resolve(self, name: str) -> str | None:
        """The canonical key for a display name or any spelling of it, or None if unknown."""
        key = entity_key(name)
        if key in self.canonical:
            return self.canonical[key]
        # A surname or shorter form never indexed on its own: the one entity whose name ends so.
        words = key.split()
        matches = [k for k in self.members if len(k.split()) > len(words) and k.split()[-len(words):] == words]
        return matches[0] if len(matches) == 1 else None

    def keys_for(self, name: str) -> list[str]:
        """Every indexed key that means the same entity as `name` (just its own key if unknown)."""
        target = self.resolve(name)
        return sorted(self.members.get(target, [target])) if target else [entity_key(name)]
