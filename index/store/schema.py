"""The Whoosh schema: one stored document per article, found by its id.

Whoosh is the store of record: it keeps each article's JSON (title, body,
metadata, passages, entities), its checksum, which articles are deleted, the
generations and the write lock.  Everything a search reads (postings,
positions, lengths, dates, sources, entities, tags, families) is in the
segment arrays written beside each segment (index/store/building.py), so
Whoosh indexes only what finds an article: its id, and its story-family band
keys (index/ingest/families.py).  Passages are not Whoosh documents: they
live and die with their article.
"""

from __future__ import annotations

import json

import orjson
from whoosh.fields import ID, KEYWORD, STORED, SchemaClass

from index.article import Article

ARTICLE = "article"
ENTITY_FIELDS = ("person", "org", "place")


class NewsSchema(SchemaClass):
    kind = ID(stored=True)  # "article" (kept so that older indexes read alike)
    doc_id = ID(unique=True, stored=True)  # the article id
    article_id = ID(stored=True)  # the same id: what a write deletes by
    checksum = ID(stored=True)  # what the stored version was built from: unchanged articles are skipped
    lsh = KEYWORD(commas=True, lowercase=False, scorable=False)  # no longer written: band keys are in the arrays
    data = STORED()  # the article's JSON, passages and entities included


def stored_article(stored: dict) -> Article:
    """The article a document's stored fields hold (`data`: Article.to_dict as JSON)."""
    return Article.from_dict(article_data(stored["data"]))


def article_data(text: str) -> dict:
    """A stored article's JSON as a dict: by orjson (twice as fast), or by the standard library where orjson
    refuses it (a lone surrogate, which an article's text may carry and `json` reads back as it wrote it)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
