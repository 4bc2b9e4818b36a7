"""Story families: one result per story, however many versions of it the archive holds.

Wire archives hold the same story many times (refiled, lightly updated,
syndicated); ingest groups near-duplicates into families (index/ingest/families.py)
and the store keeps each article's family as a column.  Collapsing keeps, of
every family among the matches, its best version (by the order asked: score,
or date) and counts the others; an article without a family stands alone.
"""

from __future__ import annotations

import numpy as np

from index.search.columns import FAMILIES, family_column


def representatives(snapshot, found: np.ndarray, better: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the best match of each family, in `found`'s order; how many matches each family has).

    `better` is a sort key aligned with `found`: smaller is better (e.g. -score).
    """
    if not len(found):
        return found, np.zeros(0, np.int64)
    family = family_column(snapshot)[found]
    family = np.where(family >= 0, family, -1 - found)  # alone: a family of its own
    order = np.lexsort((found, better, family))
    first = np.ones(len(order), dtype=bool)
    first[1:] = family[order][1:] != family[order][:-1]
    heads = order[first]
    sizes = np.diff(np.append(np.flatnonzero(first), len(order)))
    keep = np.sort(heads)
    counts = np.empty(len(found), dtype=np.int64)
    counts[heads] = sizes
    return found[keep], counts[keep]


def family_name(snapshot, ordinal: int) -> str | None:
    number = int(family_column(snapshot)[ordinal])
    return FAMILIES.names[number] if number >= 0 else None
