"""An article's entity while its mentions are folded (index/ingest/entities.py): one key, its forms and votes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from index.text.aliases import Aliases, entity_key


@dataclass
class Group:
    """One entity of an article being built: the forms and type votes of its mentions, and the units naming it
    (0 the title, i + 1 passage i); an editorial alias fixes its type and name."""

    key: str
    forms: Counter = field(default_factory=Counter)
    types: Counter = field(default_factory=Counter)
    units: set[int] = field(default_factory=set)
    fixed_type: str | None = None
    fixed_name: str | None = None

    @property
    def type(self) -> str:
        return self.fixed_type or self.types.most_common(1)[0][0]

    def absorb(self, other: "Group") -> None:
        """Take in a variant: its forms and passages, not its type votes (the full name decides)."""
        self.forms.update(other.forms)
        self.units |= other.units


def alias_key(name: str, aliases: Aliases) -> str:
    """The key a name is known by: its alias entry's, or its own."""
    key = entity_key(name)
    entry = aliases.lookup(key)
    return entry.key if entry else key
