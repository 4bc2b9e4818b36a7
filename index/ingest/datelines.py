"""Datelines: the place a wire story was filed from, as a field or as the body's first words.

"NEW YORK, March 3 - Stocks rose..." says where the story was filed; it is
metadata, not text.  `parse_dateline(field)` reads a record's dateline field
("SALVADOR, Feb 26", "PLYMOUTH MEETING, Pa, June 1"), `split_dateline(body)`
takes one off the start of a body ("ANKARA (Reuters) - ..." too) and returns
the place, the agency named in brackets if any, and the body without it;
`strip_sign_off(body)` takes the agency's sign-off off its end ("REUTER").
Places are shown in title case ("New York", "Mt. Laurel, N.J.");
`dateline_place(dateline)` is the place itself, without the state or country
after it, as an entity name ("Mt. Laurel").
"""

from __future__ import annotations

import re

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?")
_DATE = rf"{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?"
# An upper-case place, then up to two short qualifiers ("Pa", "N.J.", "Calif.").
_PLACE = r"[A-Z][A-Z.'&]*(?:[ -][A-Z][A-Z.'&]*){0,3}(?:,\s*[A-Z][A-Za-z.]{0,14}(?:\s[A-Z][A-Za-z.]{0,14})?){0,2}"
_BODY_DATELINE = re.compile(
    rf"^(?P<place>{_PLACE})\s*(?:\((?P<agency>[A-Za-z][\w .&-]{{1,30}})\)\s*)?"
    rf"(?(agency)(?:,\s*{_DATE}\s*)?|,\s*{_DATE}\s*)[-–—]+\s+(?=\S)")


def display_place(text: str) -> str:
    """'NEW YORK' -> 'New York', 'MT. LAUREL, N.J.' -> 'Mt. Laurel, N.J.'; mixed case is left alone."""
    def word(match: re.Match) -> str:
        token = match.group()  # two letters stay as they are ("UK") unless abbreviated ("MT."); "ZÜRICH" too
        if not token.isupper() or len(token) == 2 and not token.endswith("."):
            return token
        return token[0] + token[1:].lower()
    shown = re.sub(r"\b[^\W\d_]{2,}\b\.?", word, " ".join(text.split()))
    return re.sub(r"(?<=[a-z])'S\b", "'s", shown)  # "ST. JOHN'S" -> "St. John's"


# What a dateline field's place may hold: a letter first (any script's), then no digit, bracket or table sign.
_PLACE_FIELD = re.compile(r"^[^\W\d_][^\d()\[\]<>{}*=|]*$")
_MONTH_PREFIXES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_LAST_WORDS = frozenset("of at in on for to by as the and per from".split())  # "As of April 7": words, not a place
_DASHES = ("-", "--", "–", "—")  # a dash standing alone: text follows ("HAMBURG, March 4 - Vereins")
MAX_DATELINE = 120  # a longer field is no dateline (and is never read)


def parse_dateline(value: str | None) -> str | None:
    """The place of a dateline field ("SALVADOR, Feb 26" -> "Salvador"), or None when it holds none.

    The place runs up to the date: the first word holding a digit, less a month before it however
    written ("FEb 26", "MARCH 2", "2 March"), or up to a dash before text.  Reuters' converter left
    a bare date or a table's words in some fields ("APRIL 7", "MAR8 --", "(totals", "us 7.8015",
    "As of April 7"): no place.  Read word by word, no pattern that could backtrack.
    """
    if not value or not value.strip() or len(value) > MAX_DATELINE:
        return None
    words = " ".join(value.split()).strip(" ,-–—*").split(" ")  # "****LONDON, March 5": the wire's marks
    while len(words) > 1 and len(words[0]) == 1 and words[0].islower():
        words = words[1:]  # "c CHICAGO, March 9": a stray letter before it
    cut = next((i for i, w in enumerate(words) if w in _DASHES or any(c.isdigit() for c in w)), None)
    dated = False
    if cut is not None:
        at_date = words[cut] not in _DASHES  # cut at a word holding a digit, not at a dash before text
        words = words[:cut]
        if at_date and words and words[-1].lower().startswith(_MONTH_PREFIXES):
            words, dated = words[:-1], True  # the month, however written ("FEb", "MARCH", "Marc")
    place = " ".join(words).strip(" ,-–—")
    if len(place) < 2 or not _PLACE_FIELD.match(place) or place.split()[-1].lower() in _LAST_WORDS:
        return None
    if not place[0].isupper():  # "peoria, april 7" is a place, dated; "us 7.8015", "overnight 4 1/2" are not
        return place.title() if dated and place.islower() else None
    return display_place(place)


# Words of a unit in brackets after a table's name: "TOKYO RUBBER (YEN PER KILO) - APRIL 08" is no dateline.
_UNIT_WORDS = frozenset("per in pct cts dlrs dlr mln bln tonnes tonne lb kilo kg".split())


def split_dateline(body: str, known_agency=None) -> tuple[str | None, str | None, str]:
    """(place, agency, rest of the body) when the body opens with a dateline, else (None, None, body).

    A bracket after the place is an agency when `known_agency(name)` knows it (the outlets
    list), or when it reads as a name: no digits, no words of a unit ("YEN PER KILO").
    """
    match = _BODY_DATELINE.match(body)
    if not match:
        return None, None, body
    agency = (match.group("agency") or "").strip() or None
    if agency and not (known_agency and known_agency(agency)) and \
            (any(c.isdigit() for c in agency) or _UNIT_WORDS & set(agency.lower().split())):
        return None, None, body
    return display_place(match.group("place")), agency, body[match.end():]


# The wire's sign-off on a line of its own at the end ("REUTER", "Reuter^M": a carriage return written out).
SIGN_OFFS = ("reuters", "reuter", "afp", "ap")


def strip_sign_off(body: str) -> str:
    """The body without an agency's sign-off line at its end, which is no text (and no person "REUTER^M").

    Read from the end: the sign-off, then the blank run before it back to its first line break,
    which is where the body ends (a pattern searched after every line break took quadratic time
    on a body of blank lines)."""
    core = body.rstrip()
    core = core[:-2] if core.endswith("^M") else core
    word = next((w for w in SIGN_OFFS if core[-len(w):].lower() == w), None)
    if word is None:
        return body
    before = core[:-len(word)]
    blank = len(before.rstrip())  # where the blank run before the sign-off starts
    newline = before.find("\n", blank)
    return body[:newline] if newline >= 0 else body


def dateline_place(dateline: str) -> str:
    """The place of a dateline without its qualifiers: 'Mt. Laurel, N.J.' -> 'Mt. Laurel'."""
    return dateline.split(",", 1)[0].strip()
