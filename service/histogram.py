"""The search page's date tools: the histogram of matching articles and the "last 7 days" shortcuts.

The index's `histogram` facet already picks its unit from the span of the
matches' dates (days up to about two months, months up to four years, years
beyond: index/search/facets.py), so a short story inside a long archive still
has bars to choose from.  Here its values become bars drawn as inline SVG on
the server: empty periods are filled in, each non-empty bar is a link to its
own period (so the chart works with JavaScript off), and each carries its
first and last day so static/app.js can select a range across bars (drag, or
click a first and a second bar) through the page's from/to form.

Shortcuts count back from the newest article of the current results, not from
today: over an archive, "the past week" of the wall clock holds nothing.

    histogram(facets, date_from, date_to, link) -> Histogram | None
    quick_ranges(newest) -> [(label, from, to, title)]
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable

UNITS = ("day", "month", "year")
MAX_MONTH_BARS = 120  # the month-only `date` facet of an older backend: a longer span is drawn by year
MIN_BAR = 3.0  # a non-empty bar is at least this tall, so one article beside thousands still shows


@dataclass(frozen=True)
class Bar:
    """One bar: a day, month or year, its count, its place in the SVG and its link."""

    label: str
    count: int
    start: date
    end: date
    x: float
    y: float
    width: float
    height: float
    href: str | None
    selected: bool = False


@dataclass
class Histogram:
    bars: list[Bar]
    width: int
    height: int
    unit: str  # "day", "month" or "year"
    first: str
    last: str
    peak: int = 0


def period(unit: str, key: str) -> tuple[date, date, str]:
    """(first day, last day, label) of one bin: "1987-03-02" day, "1987-03" month or "1987" year."""
    if unit == "day":
        day = date.fromisoformat(key)
        return day, day, day.strftime("%-d %b %Y")
    if unit == "month":
        year, month = map(int, key.split("-"))
        start = date(year, month, 1)
        return start, date(year, month, monthrange(year, month)[1]), start.strftime("%B %Y")
    year = int(key)
    return date(year, 1, 1), date(year, 12, 31), str(year)


def _following(unit: str, key: str) -> str:
    start, end, _ = period(unit, key)
    after = end + timedelta(days=1)
    return {"day": after.isoformat(), "month": after.strftime("%Y-%m"), "year": str(after.year)}[unit]


def bins(facets: dict) -> tuple[str, dict[str, int]] | None:
    """(unit, counts by bin key) from the `histogram` facet, or from the month-only `date` facet."""
    adaptive = [v for v in facets.get("histogram") or [] if getattr(v, "key", None) in UNITS]
    if adaptive:
        return adaptive[0].key, {v.value: v.count for v in adaptive}
    months = {v.value: v.count for v in facets.get("date") or [] if re.fullmatch(r"\d{4}-\d{2}", v.value)}
    if not months:
        return None
    first, last = min(months), max(months)
    if (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1 <= MAX_MONTH_BARS:
        return "month", months
    years: dict[str, int] = {}
    for key, count in months.items():
        years[key[:4]] = years.get(key[:4], 0) + count
    return "year", years


def histogram(facets: dict, date_from: date | None, date_to: date | None,
              link: Callable[[date, date], str], width: int = 240, height: int = 64) -> Histogram | None:
    """Bars of matching articles per day, month or year, empty periods included.

    `link(start, end)` gives the URL of the search narrowed to one period; the
    bar whose period is exactly the current date filter is marked selected.
    """
    found = bins(facets)
    if not found:
        return None
    unit, counts = found
    keys, key, last = [], min(counts), max(counts)
    while key <= last:
        keys.append(key)
        key = _following(unit, key)
    peak = max(counts.values())
    # A short span keeps bars a readable width, centred, rather than one bar filling the chart.
    slot = width / max(len(keys), 12)
    offset = (width - slot * len(keys)) / 2
    gap = min(2.0, slot * 0.2)
    bars = []
    for i, key in enumerate(keys):
        start, end, label = period(unit, key)
        count = counts.get(key, 0)
        h = round(max((height - 2) * count / peak, MIN_BAR), 2) if count else 0.0
        bars.append(Bar(label, count, start, end, x=round(offset + i * slot, 2), y=round(height - h, 2),
                        width=round(max(slot - gap, 0.5), 2), height=h,
                        href=link(start, end) if count else None,
                        selected=(date_from == start and date_to == end)))
    return Histogram(bars=bars, width=width, height=height, unit=unit, first=bars[0].label, last=bars[-1].label,
                     peak=peak)


def quick_ranges(newest: date | None) -> list[tuple[str, str, str, str]]:
    """(label, from, to, description) of the shortcuts, counted back from `newest` (the newest result).

    Both ends are inclusive: "7 days" to 12 March is 6-12 March.
    """
    if newest is None:
        return []
    out = []
    for label, days in (("7 days", 7), ("30 days", 30), ("year", 365)):
        start = newest - timedelta(days=days - 1)
        out.append((label, start.isoformat(), newest.isoformat(),
                    f"{start.strftime('%-d %b %Y')} to {newest.strftime('%-d %b %Y')}"))
    return out
