"""Validation at the edge: what may enter the archive from a file or the API, checked once.

Every parser (plain text, JSON records, JSON Lines, HTML) sends what it reads
through these functions before it builds an Article, so nothing downstream
(passages, entities, the store, Atom/CSV/HTML output) meets text it cannot
encode.  The rules:

* text is valid Unicode with no control characters but tab and newline: line
  endings (CR, CRLF), form feeds and vertical tabs become newlines, a leading
  BOM is dropped, and anything else (a lone surrogate from a JSON `"\\ud800"`, a
  NUL, a C1 control, U+FFFE/U+FFFF) rejects the field: `clean_text` raises
  InvalidArticle naming it, so a file line is skipped with its number and an
  API body is a 400;
* JSON is parsed by `parse_json`, which turns every way the parser can fail
  (bad syntax, 1,000+ levels of nesting, integers of 4,300+ digits) into one
  `BadJson` with a reason;
* a url is kept only when it is http(s) with a host (`check_url`), a date only
  when it lies in the plausible years (`check_date`); otherwise the field is
  dropped and a warning says why, the article is kept;
* sizes are `Limits`, read from the settings (NEWSINDEX_MAX_*).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from index.errors import InvalidArticle

MAX_ID_CHARS = 256  # the API's bound too: an id the API cannot address must not come in from a file

# Control characters (C0 but tab/newline, DEL, C1), lone surrogates, and the two
# non-characters XML 1.0 forbids: none of them may reach the store or an Atom feed.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")


@dataclass(frozen=True)
class Limits:
    """Size and plausibility bounds for ingest (each a setting: see config/settings.py)."""

    max_line_bytes: int = 16 * 1024 * 1024
    max_file_bytes: int = 64 * 1024 * 1024
    max_decompressed_bytes: int = 4 * 1024 * 1024 * 1024
    max_article_chars: int = 500_000
    date_min_year: int = 1800
    date_max_year: int = 2100

    @classmethod
    def from_settings(cls, settings) -> "Limits":
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})


class BadJson(ValueError):
    """A JSON text that cannot be read; the message says why (a per-line reason)."""


def describe_char(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate U+{code:04X}"
    return f"the control character U+{code:04X}"


def clean_text(value: str, field: str) -> str:
    """`value` with line endings normalised (NFC), or InvalidArticle naming `field` if it is not text.

    Raises InvalidArticle when a character listed in the module docstring remains.
    """
    if not isinstance(value, str):
        raise InvalidArticle(f"{field} must be a string", field)
    if value.startswith("\ufeff"):
        value = value[1:]
    value = _NEWLINES.sub("\n", value)
    if match := _FORBIDDEN.search(value):
        raise InvalidArticle(f"{field} contains {describe_char(match.group())} at position {match.start()}: "
                             "not valid text", field)
    return unicodedata.normalize("NFC", value)


def clean_line(value: str, field: str) -> str:
    """A one-line field (title, source, byline): `clean_text`, then whitespace collapsed to single spaces."""
    return " ".join(clean_text(value, field).split())


def check_id(value, field: str = "id") -> str | None:
    """A record's id as a string (integers are accepted), or None when it has none. Raises InvalidArticle."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidArticle("id must be a string", field)
    text = clean_text(str(value), field).strip()
    if not text or len(text) > MAX_ID_CHARS or "\n" in text or "\t" in text:
        raise InvalidArticle(f"id must be 1 to {MAX_ID_CHARS} characters on one line", field)
    return text


def check_url(value: str | None) -> tuple[str | None, str | None]:
    """(the url, None) when it is an http(s) URL with a host, else (None, a warning saying why it was dropped)."""
    if not value:
        return None, None
    url = value.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return None, f"url dropped: {url[:80]!r} is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        return None, f"url dropped: {url[:80]!r} is not an http(s) URL"
    return url, None


def check_date(value: datetime | None, limits: Limits) -> tuple[datetime | None, str | None]:
    """(the date, None) when its year is plausible, else (None, a warning saying why it was dropped)."""
    if value is None:
        return None, None
    if not limits.date_min_year <= value.year <= limits.date_max_year:
        return None, (f"date dropped: {value.isoformat()} is outside the plausible years "
                      f"{limits.date_min_year}-{limits.date_max_year}")
    return value, None


def check_size(chars: int, limits: Limits, field: str = "body") -> None:
    """Raise InvalidArticle when an article's text is over NEWSINDEX_MAX_ARTICLE_CHARS."""
    if chars > limits.max_article_chars:
        raise InvalidArticle(f"article text is {chars:,} characters, over the limit of {limits.max_article_chars:,} "
                             "(NEWSINDEX_MAX_ARTICLE_CHARS)", field)


def parse_json(text: str | bytes):
    """json.loads, with every failure as BadJson (syntax, nesting too deep, integer too long, not UTF-8)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadJson(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise BadJson("invalid JSON: nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise BadJson(f"not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})") from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion ..."
        if "digits" in str(exc):
            raise BadJson(f"invalid JSON: an integer of more than {sys.get_int_max_str_digits():,} digits") from None
        raise BadJson(f"invalid JSON: {exc}") from None


def decode_utf8(data: bytes, first: bool = False) -> str:
    """Bytes of a line or file as text (a BOM at the very start is dropped). Raises UnicodeDecodeError."""
    if first and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data.decode("utf-8")
