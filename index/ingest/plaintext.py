"""Plain-text articles as newsrooms drop them in a folder: find the article in the noise.

A saved article is a headline (or a long standfirst with no headline), perhaps an
outlet's header line above it, photo captions repeated with and without a credit,
"READ MORE:" links, a dateline, and trailing tags or "Source: ..." lines.  This
module turns such text into an Article's title, summary, body, source, date and
byline, and removes what is not the article.  A field the text does not state
stays None: nothing is invented.

`parse_plain_text(text)` finds the parts and `article_from_text` makes the
Article (validated text, reflowed lines, a leading dateline as the place); the
helpers below each handle one kind of line, in the order the parser applies them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from index.article import Article, content_id
from index.errors import InvalidArticle
from index.ingest.datelines import split_dateline
from index.ingest.dates import dateline_date, find_date
from index.ingest.outlets import Outlets
from index.ingest.reflow import reflow
from index.ingest.validate import Limits, check_date, check_size, check_url, clean_text
from index.text.analysis import fold

# A headline is short and does not read as a sentence; a longer first line is a standfirst.
MAX_TITLE_WORDS = 25

_READ_MORE = re.compile(r"^(?:read more|read also|also read|related|see also|more on this|watch)\s*[:>-]", re.IGNORECASE)
_CAPTION_CREDIT = re.compile(r"^(?:picture|photo|image|file photo|photograph)s?\s*(?:from|by|:|credit)\b.{0,80}$", re.IGNORECASE)
_SOURCE_LINE = re.compile(r"^(?:source|sources)\s*:\s*(?P<source>.+?)\.?$", re.IGNORECASE)
_ORIGINALLY = re.compile(
    r"^(?:this (?:article|story|report) )?(?:was )?(?:originally|first) (?:appeared|published|ran) (?:in|on|by) "
    r"(?P<source>.+?)(?: on (?P<date>.+?))?\.?$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+(?P<byline>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}(?:\s+(?:and|&)\s+[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})?)\s*(?:[,|-].*)?$")
_URL_LINE = re.compile(r"^(?:(?:url|link|originally published at|read it at)\s*:?\s*)?(?P<url>https?://\S+)$", re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"^(?:editor'?s? picks?|most read|most popular|related (?:articles|news|stories)|advertisement|"
    r"share (?:this|on).*|follow us.*|subscribe.*|sign up.*|tags?\s*:.*|keywords?\s*:.*|all rights reserved.*|"
    r"copyright .*|©.*|comments?|leave a comment|you may also like|recommended)\.?$",
    re.IGNORECASE,
)
# Words an outlet's header line uses and a headline does not.
_HEADER_WORDS = re.compile(r"\b(?:news|newspaper|english|edition|opinion|breaking|latest|online|homepage)\b|\s[|•]\s", re.IGNORECASE)
# A trailing credit on a caption: "... 2020. (AP)" is the same caption as "... 2020."
_CREDIT_SUFFIX = re.compile(r"\s*\((?:AP|AFP|Reuters|EPA|Getty(?: Images)?|AA|Photo|File)[^)]{0,30}\)\s*$", re.IGNORECASE)


@dataclass
class PlainText:
    """What the parser found; Article fields are filled from it."""

    title: str
    summary: str | None
    body: str
    source: str | None
    published: datetime | None
    byline: str | None
    url: str | None


def _line_key(line: str) -> str:
    """The form under which two lines count as the same (case, accents, credit, punctuation ignored)."""
    return re.sub(r"\W+", " ", fold(_CREDIT_SUFFIX.sub("", line))).strip()


def _is_tag_list(line: str) -> bool:
    """'Nagorno-Karabakh, Armenia, Azerbaijan, Russia': short capitalised items, no sentence."""
    items = [i.strip() for i in line.split(",")]
    if len(items) < 3 or line.rstrip().endswith((".", "!", "?", "”", '"')):
        return False
    return all(item and len(item.split()) <= 4 and item[0].isupper() for item in items)


def _is_header(lines: list[str], outlets: Outlets) -> bool:
    """Is lines[0] an outlet's header line rather than the headline?

    It is when it names a known outlet or uses header words ("News", "English",
    "|") and the next line looks like the real headline: short, or repeated below.
    """
    if len(lines) < 2:
        return False
    first, second = lines[0], lines[1]
    names_outlet = outlets.find(first) is not None
    has_header_words = bool(_HEADER_WORDS.search(first))
    second_repeated = any(_line_key(line) == _line_key(second) for line in lines[2:6])
    second_is_headline = len(second.split()) <= MAX_TITLE_WORDS and not second.endswith(".")
    return (names_outlet or has_header_words) and (second_repeated or (names_outlet and has_header_words and second_is_headline))


def _header_source(line: str, outlets: Outlets) -> str | None:
    """The outlet a header line names: a known outlet, else the words before its header words."""
    known = outlets.find(line)
    if known:
        return known
    head = _HEADER_WORDS.split(line, maxsplit=1)[0].strip(" -|•:")
    return head or None


def parse_plain_text(text: str, outlets: Outlets) -> PlainText:
    """Split a plain-text article into title, summary, body and metadata.

    Raises ValueError when no article text is left (an empty or boilerplate-only file).
    """
    text = reflow(unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")))
    # Every kind of space made one (an em space run reached the line patterns whole: quadratic in some of them)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ValueError("no text")

    source = published = byline = url = None

    if _is_header(lines, outlets):
        source = _header_source(lines[0], outlets)
        lines = lines[1:]

    kept: list[str] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        if match := _SOURCE_LINE.match(line):
            source = source or outlets.normalise(match.group("source"))
            continue
        if match := _ORIGINALLY.match(line):
            source = source or outlets.normalise(match.group("source"))
            if match.group("date"):
                published = published or find_date(match.group("date"))
            continue
        if index < 8 and (stated := dateline_date(line)):
            published = published or stated
            continue
        if match := _BYLINE.match(line):
            byline = byline or match.group("byline")
            continue
        if match := _URL_LINE.match(line):
            url = url or match.group("url")
            continue
        if _READ_MORE.match(line) or _CAPTION_CREDIT.match(line) or _BOILERPLATE.match(line):
            continue
        key = _line_key(line)
        if not key or key in seen:
            continue  # repeated headline or caption
        seen.add(key)
        kept.append(line)

    while kept and (_is_tag_list(kept[-1]) or _BOILERPLATE.match(kept[-1])):
        kept.pop()
    if not kept:
        raise ValueError("no article text after removing boilerplate")

    first = kept[0]
    words = len(first.split())
    is_headline = words <= 12 or (words <= MAX_TITLE_WORDS and not first.endswith((".", "!", "?")))
    if is_headline and len(kept) > 1:
        title, summary, body_lines = first, None, kept[1:]
    else:
        # A standfirst with no headline: it is the summary, stands in as title, and stays text.
        title, summary, body_lines = first, first, kept
    return PlainText(
        title=title,
        summary=summary,
        body="\n\n".join(body_lines),
        source=source,
        published=published,
        byline=byline,
        url=url,
    )


def article_from_text(text: str, outlets: Outlets, origin: str | None = None, id: str | None = None,
                      source: str | None = None, limits: Limits | None = None) -> Article:
    """One plain-text article; `source` fills in when the text names none.

    Raises InvalidArticle when the text is not valid (control characters), is
    over the size limit, or has nothing readable left.
    """
    limits = limits or Limits()
    text = clean_text(text, "text")
    check_size(len(text), limits, "text")
    try:
        parsed = parse_plain_text(text, outlets)
    except ValueError as exc:
        raise InvalidArticle(str(exc), "body") from None
    place, agency, body = split_dateline(parsed.body, outlets.find)
    if not body.strip():
        body = parsed.body
    warnings = []
    published, warning = check_date(parsed.published, limits)
    warnings += [warning] if warning else []
    url, warning = check_url(parsed.url)
    warnings += [warning] if warning else []
    return Article(
        id=id or content_id(parsed.title, parsed.body),
        title=parsed.title,
        summary=parsed.summary,
        body=body,
        source=parsed.source or outlets.normalise(source or agency),
        published=published,
        byline=parsed.byline,
        url=url,
        origin=origin,
        dateline=place,
        warnings=warnings,
    )
