"""Finding and parsing the publication date an article states.

Only dates the text states are used, and only in the places a publication date
is written (a dateline line of its own, "originally appeared ... on DATE",
"Published: DATE"); a date inside a photo caption or a sentence is not the
article's date.  Parsing is dateparser's; a string it cannot read fully (day,
month and year) gives None rather than a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?,?\s+)?"
_TIME = r"(?:\s*(?:-|,|at)?\s*\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*(?:GMT|UTC|[A-Z]{2,4}))?)?"
DATE_PATTERN = re.compile(
    rf"\b{_WEEKDAY}(?:\d{{1,2}}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]\d{{2}}:\d{{2}}(?::\d{{2}})?)?){_TIME}",
    re.IGNORECASE,
)
_PUBLISHED_PREFIX = re.compile(r"^(?:published|posted|updated|last updated|date)\s*(?:on|:)?\s*", re.IGNORECASE)


@lru_cache(maxsize=4096)
def parse_date(text: str) -> datetime | None:
    """Parse one stated date ("13 Jan 2021", "November 26, 2020", "2021-01-13T10:00").

    Returns a naive datetime in UTC (a stated offset is applied: 09:00+02:00 is
    07:00; a time with no offset is taken as UTC), or None when the string does
    not hold a full day-month-year date.  ISO 8601 is read directly; the rest
    goes to dateparser.
    """
    text = text.strip()
    if not text or len(text) > 100:
        return None
    try:
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    import dateparser  # imported lazily: it takes a moment to load its locale data

    try:
        value = dateparser.parse(
            text,
            languages=["en"],
            settings={"REQUIRE_PARTS": ["day", "month", "year"], "STRICT_PARSING": True,
                      "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": False},
        )
    except Exception:  # noqa: BLE001  dateparser fails in many ways on odd input; an unreadable date is None
        return None
    return to_utc(value) if value else None


def to_utc(value: datetime) -> datetime:
    """A naive datetime in UTC: an aware one is converted, a naive one is taken to be UTC already."""
    if value.tzinfo is not None:
        try:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 pushed past the calendar's edge: implausible anyway
            value = value.replace(tzinfo=None)
    return value


def find_date(text: str) -> datetime | None:
    """The first full date written in `text`, parsed; None when there is none."""
    for match in DATE_PATTERN.finditer(text):
        value = parse_date(match.group().strip(" ,-"))
        if value:
            return value
    return None


def is_dateline(line: str) -> bool:
    """True when a line is a date and little else ("Thursday, 26 November, 2020 - 05:45")."""
    stripped = _PUBLISHED_PREFIX.sub("", line.strip())
    match = DATE_PATTERN.search(stripped)
    return bool(match) and len(match.group().strip()) >= 0.7 * len(stripped.strip(" .|-")) and find_date(stripped) is not None


def dateline_date(line: str) -> datetime | None:
    """The date of a dateline or "Published: ..." line, else None."""
    return find_date(line) if is_dateline(line) else None
