"""Facet value search, for type-ahead: which sources, people, organisations or places
start with what the user has typed, and in how many articles of the archive each appears.

    facet_values(snapshot, catalog, "person", "erd", 10)
    -> [FacetValue("Recep Tayyip Erdoğan", 5, "recep tayyip erdogan")]

A prefix matches the start of any word of a value's display name, or of any
spelling merged into it (so "pashini" finds "Nikol Pashinyan" when "Pashinian"
was seen), ignoring case and accents ("erd" finds Erdoğan).  Entities are
counted through the EntityCatalog, so merged spellings are one value and an
article naming two of them counts once; counts are over live article documents
of the whole archive, most frequent first.

Counting reads every article's values, so the counts are kept on the snapshot
(a commit makes new ones) and shared by every prefix typed until then.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from index.query import FacetValue
from index.search.catalog import EntityCatalog
from index.search.facets import facet_counts
from index.store.schema import ENTITY_FIELDS
from index.text.analysis import fold

FACET_NAMES = ("source", *ENTITY_FIELDS)


def normalise(text: str) -> str:
    """The comparison form of a name or prefix: folded, punctuation as spaces ("Nagorno-Karabakh" -> "nagorno karabakh")."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def word_starts(text: str) -> list[str]:
    """`text` from the start of each of its words: "recep tayyip erdogan" -> [that, "tayyip erdogan", "erdogan"]."""
    return [text[m.start():] for m in re.finditer(r"\b\w", text)]


def matches(prefix: str, names: list[str]) -> bool:
    """Does a normalised prefix start any word of any of these names?"""
    if not prefix:
        return True
    return any(start.startswith(prefix) for name in names for start in word_starts(normalise(name)))


def archive_counts(snapshot, catalog: EntityCatalog) -> dict[str, Counter]:
    """Articles per value for every facet name over the whole archive (kept on the snapshot).

    Entity values are canonical keys; an article counts once per canonical entity.
    """
    def build():
        found = facet_counts(snapshot, np.flatnonzero(snapshot.live_articles()), catalog)
        counts: dict[str, Counter] = {name: Counter() for name in FACET_NAMES}
        counts["source"] = found["source"]
        for target, count in found["entity"].items():
            counts[catalog.type_of.get(target, "person")][target] = count
        return counts
    return snapshot.derived(("archive_counts", id(catalog)), build)


def facet_values(snapshot, catalog: EntityCatalog, name: str, prefix: str = "", limit: int = 10) -> list[FacetValue]:
    """The values of facet `name` matching `prefix`, most frequent first, at most `limit`.

    Raises ValueError for a name that is not one of FACET_NAMES.
    """
    if name not in FACET_NAMES:
        raise ValueError(f"no facet named {name!r}; facets are {', '.join(FACET_NAMES)}")
    counts = archive_counts(snapshot, catalog)
    wanted = normalise(prefix)
    found = []
    for value, count in counts[name].items():
        if name == "source":
            display, names = value, [value]
        else:
            display = catalog.display.get(value, value)
            names = [display, *catalog.members.get(value, [value])]
        if matches(wanted, names):
            found.append(FacetValue(display, count, None if name == "source" else value))
    found.sort(key=lambda v: (-v.count, fold(v.value)))
    return found[:max(0, limit)]
