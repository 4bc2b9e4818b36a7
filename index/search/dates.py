"""Article dates over a whole snapshot: the day and month of every article, and the articles of a date range.

A segment's days, months and its articles in day order are derived once from its
`published` column and kept with the segment (columns.segment_cache: a segment never
changes); a snapshot only concatenates the columns, and a date range is looked up in each
segment's day order, so a commit costs no sort of the whole archive.

    day_column(snapshot)        days since 1970-01-01 (int32, NO_DAY when undated)
    month_column(snapshot)      year * 12 + month - 1 (-1 when undated)
    day_mask(snapshot, a, b)    the articles published from day a to day b
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from index.arrays import search_sorted
from index.search.columns import joined_column, segment_cache
from index.store.building import UNDATED  # the `published` value of an undated article

NO_DAY = np.iinfo(np.int32).min  # the day of an undated article
_DAY_US = 86_400_000_000
_EPOCH_DAYS = (np.datetime64("1970-01-01", "D") - np.datetime64("0001-01-01", "D")).astype(np.int64)
MARK_SHARE = 8  # a range is marked from the day order when it holds at most 1/8 of the articles


def day_column(snapshot) -> np.ndarray:
    """Days since 1970-01-01 of every article (int32, NO_DAY when undated), for filters and the histogram."""
    return joined_column(snapshot, "day_column", _segment_days)


def month_column(snapshot) -> np.ndarray:
    """Months since year 0 (year * 12 + month - 1) of every article, -1 when undated."""
    return joined_column(snapshot, "month_column", _segment_months)


def days_between(start: int, end: int) -> tuple[int, int] | None:
    """The day column's (first, last) day of a `published` range of whole days (a date filter's), else None."""
    if start % _DAY_US or (end + 1) % _DAY_US:
        return None
    return int(start // _DAY_US - _EPOCH_DAYS), int(end // _DAY_US - _EPOCH_DAYS)


def day_mask(snapshot, first: int, last: int) -> np.ndarray:
    """Articles published from day `first` to day `last` (a new mask).  A range holding few of the archive's
    articles marks them from each segment's articles in day order (two binary searches a segment) instead
    of comparing every article's day twice; a wide range compares."""
    column = day_column(snapshot)
    pieces = []
    for base, part in zip(snapshot.article_base.tolist(), snapshot.parts):
        order, days = segment_day_order(part.data)
        start, stop = search_sorted(days, first), search_sorted(days, last, "right")
        pieces.append((base, order[start:stop]))
    if sum(len(found) for _, found in pieces) * MARK_SHARE > len(column):
        return (column >= first) & (column <= last)
    mask = np.zeros(len(column), dtype=bool)
    for base, found in pieces:
        mask[base:][found] = True  # a view of the segment's articles: no offsets added
    return mask


def segment_day_order(data) -> tuple[np.ndarray, np.ndarray]:
    """(a segment's articles in day order, their days), made once per segment."""
    cache = segment_cache(data)
    if "day_order" not in cache:
        days = _segment_days(data)
        order = np.argsort(days, kind="stable").astype(np.int32)
        cache["day_order"] = (order, days[order])
    return cache["day_order"]


def _segment_days(data) -> np.ndarray:
    cache = segment_cache(data)
    if "days" not in cache:
        published = np.asarray(data["published"])
        cache["days"] = np.where(published != UNDATED, published // _DAY_US - _EPOCH_DAYS, NO_DAY).astype(np.int32)
    return cache["days"]


def _segment_months(data) -> np.ndarray:
    cache = segment_cache(data)
    if "months" not in cache:
        days = _segment_days(data)
        dated = days != NO_DAY
        months = np.where(dated, days, 0).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        cache["months"] = np.where(dated, months + 1970 * 12, -1).astype(np.int32)
    return cache["months"]


@lru_cache(maxsize=4096)  # a facet names the same few hundred months search after search
def month_name(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"
