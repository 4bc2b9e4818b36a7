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

from index.text.aliases import Aliases, entity_key
from index.ingest.entities import best_name
from index.store.schema import ENTITY_FIELDS


@dataclass
class EntityCatalog:
    canonical: dict[str, str] = field(default_factory=dict)  # key -> canonical key
    type_of: dict[str, str] = field(default_factory=dict)  # canonical key -> person | org | place
    display: dict[str, str] = field(default_factory=dict)  # canonical key -> display name
    members: dict[str, list[str]] = field(default_factory=dict)  # canonical key -> every key merged into it

    @classmethod
    def from_counts(cls, type_counts: dict[str, Counter], forms: dict[str, Counter], aliases: Aliases
                    ) -> "EntityCatalog":
        """Merge keys as the module docstring says.

        `type_counts`: key -> articles naming it as each type; `forms`: key -> how
        often each display form was seen.  Plain dicts: the store sums them.
        """

        def majority(counter: Counter) -> str:
            return counter.most_common(1)[0][0]

        canonical = {key: key for key in type_counts}
        people = [k for k, c in type_counts.items() if majority(c) == "person"]
        ending_with = _by_ending(people)
        for short in people:
            if aliases.lookup(short):  # an editorial entry is an entity of its own
                continue
            longer = ending_with.get(tuple(short.split()), [])
            if longer:
                top = max(len(k.split()) for k in longer)
                longest = [k for k in longer if len(k.split()) == top]
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
        if "_ending_with" not in self.__dict__:
            self._ending_with = _by_ending(self.members)
        matches = self._ending_with.get(tuple(key.split()), [])
        return matches[0] if len(matches) == 1 else None

    def keys_for(self, name: str) -> list[str]:
        """Every indexed key that means the same entity as `name` (just its own key if unknown)."""
        target = self.resolve(name)
        return sorted(self.members.get(target, [target])) if target else [entity_key(name)]


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
