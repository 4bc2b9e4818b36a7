"""Story families: one result per story, however many versions of it the archive holds.

Wire archives hold the same story many times (refiled, lightly updated,
syndicated); ingest groups near-duplicates into families (index/ingest/families.py)
and the store keeps each article's family as a column.  Collapsing keeps, of
every family among the matches, its best version (by the order asked: score,
or date) and counts the others; an article without a family stands alone.
"""

from __future__ import annotations

import numpy as np

from index.arrays import kth_smallest
from index.search.columns import family_column


def collapsed_top(family: np.ndarray, found: np.ndarray, better: np.ndarray, start: int, stop: int,
                  archive_sizes: np.ndarray, versions: int = 1) -> tuple[np.ndarray, np.ndarray, int]:
    """The `start:stop` best families among the matches `found`: (positions in `found` of each one's
    best version, in order; how many matches each of those families has; how many families match).

    `family` (each match's family number, -1 alone: `family_column(snapshot)[found]`) and `better`
    (smaller is better, e.g. -score; ties by ordinal) are aligned with `found`.
    Only a prefix of the best matches is sorted, grown until it holds `stop` families: a family's
    best version is its first match in that order, so the prefix's first families are the page's.
    The first prefix is as many times longer as the archive has `versions` of a story (`versions_per_story`).
    `archive_sizes` (each family number's articles in the archive, `family_sizes`): the families are counted
    by marks, and only the page's families of more than one article are counted among the matches.
    """
    alone = family < 0
    total = _stories(family, alone, len(archive_sizes))
    size = min(len(found), max(4 * stop, 64) * versions)
    while True:
        if size < len(found):
            floor = kth_smallest(better, size)
            within = np.flatnonzero(better <= floor)  # every match as good as the floor: a whole prefix
        else:
            within = np.arange(len(found))
        order = within[np.lexsort((found[within], better[within]))]
        key = np.where(alone[order], -1 - found[order], family[order])  # alone: a family of its own
        _, first = np.unique(key, return_index=True)
        heads = order[np.sort(first)]
        if len(heads) >= stop or len(within) == len(found):
            break
        size *= 4
    page = heads[start:stop]
    sizes = np.ones(len(page), dtype=np.int64)
    grouped = ~alone[page]
    for row in np.flatnonzero(grouped):  # a family of one article in the archive is one here
        number = family[page[row]]
        sizes[row] = np.count_nonzero(family == number) if archive_sizes[number] > 1 else 1
    return page, sizes, total


def versions_per_story(snapshot) -> int:
    """Articles per story in this archive, rounded (an article without a family is a story of one).

    How much deeper than a page the exact ranking must go for the page to hold that many
    stories: where every story is on file ten times, the best forty articles are four stories.
    Made once per snapshot."""
    def build() -> int:
        family = family_column(snapshot)
        stories = int(np.count_nonzero(family < 0)) + int(np.count_nonzero(family_sizes(snapshot)))
        return max(1, round(len(family) / stories)) if stories else 1
    return snapshot.derived(("versions_per_story",), build)


def family_sizes(snapshot) -> np.ndarray:
    """Articles of each family number in the snapshot, deleted ones too (made once per snapshot)."""
    def build() -> np.ndarray:
        family = family_column(snapshot)
        return np.bincount(family[family >= 0], minlength=int(family.max(initial=-1)) + 1)
    return snapshot.derived(("family_sizes",), build)


def _stories(family: np.ndarray, alone: np.ndarray, numbers: int) -> int:
    """How many stories the matches are: each alone, and each family number marked once (one byte a number)."""
    marked = np.zeros(numbers, dtype=bool)
    marked[family if not alone.any() else family[~alone]] = True
    return int(np.count_nonzero(alone)) + int(np.count_nonzero(marked))
