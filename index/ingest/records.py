"""JSON records -> Articles: one set of rules for JSON files, JSON Lines and the API.

A record's fields are found under the names exports commonly use, with no
configuration (`FIELDS` below: `headline` for the title, `publisher` or
`feed` for the source, `author` for the byline, `link` for the url, `date` for
published, and the tag lists `places`, `people`, `orgs`, `topics`,
`exchanges`, `tags`, `keywords`, `categories`).  Any other name is declared
with the NEWSINDEX_FIELD_MAP setting ("body=content,title=headline,
tags.region=regions"), tried before the usual ones.  Fields the record has and
no rule names are ignored.

Every string goes through index/ingest/validate.py; the body is reflowed
(index/ingest/reflow.py) and loses a leading dateline, which becomes
`Article.dateline` (index/ingest/datelines.py); a record with no source takes
the corpus-wide one (`newsindex ingest --source Reuters`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

from index.article import Article, content_id
from index.errors import InvalidArticle
from index.ingest.datelines import parse_dateline, split_dateline, strip_sign_off
from index.ingest.dates import parse_date
from index.ingest.outlets import Outlets
from index.ingest.reflow import reflow
from index.ingest.validate import Limits, check_date, check_id, check_size, check_url, clean_line, clean_text

# Article field -> record fields that hold it, first present wins.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "title": ("title", "headline"),
    "body": ("body", "text", "content"),
    "html": ("html",),
    "summary": ("summary", "description", "standfirst"),
    "source": ("source", "publisher", "feed", "outlet"),
    "published": ("published", "date", "published_at", "pubdate"),
    "url": ("url", "link"),
    "byline": ("byline", "author", "authors"),
    "dateline": ("dateline",),
}
# Tag kind -> record fields; each holds a list of strings (or one string).
TAG_FIELDS: dict[str, tuple[str, ...]] = {
    kind: (kind,) for kind in ("places", "people", "orgs", "topics", "exchanges", "tags", "keywords", "categories")
}
MAX_TAGS = 200  # values of one kind
MAX_TAG_CHARS = 200
MAX_TITLE_FALLBACK = 200  # characters of the body's first line used as a missing title


@dataclass(frozen=True)
class FieldMap:
    """Where each Article field and tag kind is found in a record (defaults, plus declared names first)."""

    fields: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(FIELDS))
    tags: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(TAG_FIELDS))

    @classmethod
    def parse(cls, spec: str) -> "FieldMap":
        """'body=content,title=headline,tags.region=regions' -> a FieldMap. Raises ValueError naming a bad pair."""
        fields_, tags = dict(FIELDS), dict(TAG_FIELDS)
        for pair in filter(None, (p.strip() for p in (spec or "").split(","))):
            target, sep, name = (part.strip() for part in pair.partition("="))
            if not sep or not target or not name:
                raise ValueError(f"field map entry {pair!r} is not target=field")
            if target.startswith("tags.") and len(target) > 5:
                kind = target[5:]
                tags[kind] = (name, *(n for n in tags.get(kind, ()) if n != name))
            elif target in fields_:
                fields_[target] = (name, *(n for n in fields_[target] if n != name))
            else:
                raise ValueError(f"field map entry {pair!r}: unknown target {target!r} "
                                 f"(one of {', '.join(FIELDS)}, or tags.KIND)")
        return cls(fields_, tags)


DEFAULT_FIELD_MAP = FieldMap()


def _pick(record: dict, names: tuple[str, ...]) -> tuple[str | None, object]:
    """(the record field used, its value) for the first of `names` present and not empty."""
    for name in names:
        value = record.get(name)
        if value not in (None, "", []):
            return name, value
    return None, None


def _string(record: dict, names: tuple[str, ...], target: str, one_line: bool = True) -> str | None:
    name, value = _pick(record, names)
    if name is None:
        return None
    if target == "byline" and isinstance(value, list):  # "authors": ["A", "B"]
        if not all(isinstance(v, str) for v in value):
            raise InvalidArticle(f"{name} must be a string or a list of strings", name)
        value = ", ".join(v.strip() for v in value if v.strip())
    if not isinstance(value, str):
        raise InvalidArticle(f"{name} must be a string", name)
    text = clean_line(value, name) if one_line else clean_text(value, name).strip()
    return text or None


def _tags(record: dict, field_map: FieldMap) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for kind, names in field_map.tags.items():
        name, value = _pick(record, names)
        if name is None:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise InvalidArticle(f"{name} must be a list of strings", name)
        if len(values) > MAX_TAGS:
            raise InvalidArticle(f"{name} has {len(values)} values, more than {MAX_TAGS}", name)
        kept: list[str] = []
        for raw in values:
            tag = clean_line(raw, name)
            if len(tag) > MAX_TAG_CHARS:
                raise InvalidArticle(f"{name} has a value longer than {MAX_TAG_CHARS} characters", name)
            if tag and tag not in kept:
                kept.append(tag)
        if kept:
            tags[kind] = kept
    return tags


def article_from_record(record: dict, outlets: Outlets, origin: str | None = None, id: str | None = None,
                        source: str | None = None, field_map: FieldMap | None = None,
                        limits: Limits | None = None) -> Article:
    """One JSON article (a JSON Lines line, an element of a .json file, or an API body).

    `source` is the corpus-wide source for a record that names none; `limits`
    default to the NEWSINDEX_* settings of the environment.  Raises
    InvalidArticle naming the record's field when a value is unusable; fields
    that are dropped instead (a non-http url, an implausible date) leave a
    warning in `article.warnings`.
    """
    if not isinstance(record, dict):
        raise InvalidArticle("an article must be a JSON object")
    field_map = field_map or DEFAULT_FIELD_MAP
    limits = limits or environment_limits()
    names = field_map.fields
    warnings: list[str] = []

    article_id = check_id(id) if id is not None else check_id(_pick(record, names["id"])[1], "id")
    title = _string(record, names["title"], "title") or ""
    html = _string(record, names["html"], "html", one_line=False)
    raw_body = _pick(record, names["body"])
    body = _string(record, names["body"], "body", one_line=False)
    check_size(len(title) + len(body or "") + len(html or ""), limits, raw_body[0] or "body")
    stated_source = _string(record, names["source"], "source")
    byline = _string(record, names["byline"], "byline")
    summary = _string(record, names["summary"], "summary")
    dateline = parse_dateline(_string(record, names["dateline"], "dateline"))
    url, warning = check_url(_string(record, names["url"], "url"))
    warnings += [warning] if warning else []
    published, warning = _published(record, names["published"], limits)
    warnings += [warning] if warning else []
    tags = _tags(record, field_map)

    if html and not body:
        from index.ingest.html import article_from_html  # trafilatura is slow to import: only when needed

        defaults = {"title": title, "published": published, "source": stated_source or source, "url": url,
                    "byline": byline, "dateline": dateline}
        article = article_from_html(html, outlets, origin, id=article_id, defaults=defaults, limits=limits)
        article.tags = tags
        article.warnings = warnings + article.warnings
        return article

    body = reflow(strip_sign_off(body or ""), starts_cut=True)  # first: reflowing joins a sign-off to the last sentence
    place, agency, body = split_dateline(body, outlets.find)
    dateline = dateline or place
    if not body.strip():
        raise InvalidArticle("article has no body text", "body")
    title = title or body.split("\n", 1)[0][:MAX_TITLE_FALLBACK]
    return Article(
        id=article_id or content_id(title, body),
        title=title,
        body=body,
        source=outlets.normalise(stated_source or source or agency),
        published=published,
        url=url,
        byline=byline,
        summary=summary,
        origin=origin,
        dateline=dateline,
        tags=tags,
        warnings=warnings,
    )


def environment_limits() -> Limits:
    """The size and date limits the NEWSINDEX_* settings of the environment declare.

    Kept per set of NEWSINDEX_* values: building Settings for every record of a bulk ingest
    was a twentieth of its time."""
    return _limits_for(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("NEWSINDEX_"))))


@functools.lru_cache(maxsize=8)
def _limits_for(environ: tuple[tuple[str, str], ...]) -> Limits:
    from config.settings import Settings

    return Limits.from_settings(Settings.from_env(dict(environ)))


def _published(record: dict, names: tuple[str, ...], limits: Limits):
    """(the publication date in UTC or None, a warning when a stated date was dropped)."""
    name, value = _pick(record, names)
    if name is None:
        return None, None
    if not isinstance(value, str):
        raise InvalidArticle(f"{name} must be a date string", name)
    text = clean_line(value, name)
    published = parse_date(text) if text else None
    if text and published is None:
        raise InvalidArticle(f"{name} is not a date: {text[:80]!r}", name)
    return check_date(published, limits)
