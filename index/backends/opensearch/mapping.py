"""The OpenSearch index: its analysis (a mirror of index/text/analysis.py) and its mapping.

One index of articles, each with its passages as nested documents.  Nested,
not separate passage documents: a search then finds the page's articles and
their best passages in one request (a nested query with inner_hits), and an
article with its passages is written and replaced as one Lucene block, so a
reader never sees an article without its passages.  Aggregations and counts
at the top level see articles only, which is what totals and facets count.

The analyzers are built from index/text/analysis.py's own constants (token
pattern, stop list), so the two backends turn a word into the same term:

    news_text     pattern tokenizer (TOKEN_PATTERN, Unicode \\w) | lowercase | asciifolding
                  | stop (Whoosh's list) | snowball English (Porter2, as Whoosh's StemFilter)
    news_keyword  the same without stop words and stemming (source, byline)

A second, small index (<prefix>meta) holds one document whose version is the
archive's generation (see writing.py).
"""

from __future__ import annotations

from whoosh.analysis import StopFilter

from index.text.analysis import TOKEN_PATTERN, text_analyzer


def stop_words() -> list[str]:
    """The stop words of the Whoosh text analyzer, read from the analyzer itself."""
    for item in getattr(text_analyzer(), "items", []):
        if isinstance(item, StopFilter):
            return sorted(item.stops)
    return []


def analysis() -> dict:
    return {
        "tokenizer": {
            "news_words": {"type": "pattern", "pattern": TOKEN_PATTERN, "group": 0,
                           "flags": "UNICODE_CHARACTER_CLASS"},
        },
        "filter": {
            "news_stop": {"type": "stop", "stopwords": stop_words(), "ignore_case": False},
            "news_stem": {"type": "snowball", "language": "English"},
        },
        "analyzer": {
            "news_text": {"type": "custom", "tokenizer": "news_words",
                          "filter": ["lowercase", "asciifolding", "news_stop", "news_stem"]},
            "news_keyword": {"type": "custom", "tokenizer": "news_words", "filter": ["lowercase", "asciifolding"]},
        },
    }


TEXT = {"type": "text", "analyzer": "news_text"}
KEYWORD = {"type": "keyword"}
STORED_ONLY = {"type": "object", "enabled": False}

ARTICLE_MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD,
        "title": TEXT,
        "body": TEXT,
        "source": KEYWORD,  # display name, exact: the facet and the filter
        "source_text": {"type": "text", "analyzer": "news_keyword"},  # what `source:trt` searches
        "byline": {"type": "text", "analyzer": "news_keyword"},
        "published": {"type": "date"},
        # Entity keys ("recep tayyip erdogan") by type, and all of them (filters and facets: an
        # article counts once per key whatever type it was given); "key=Display name" forms.
        "person": KEYWORD, "org": KEYWORD, "place": KEYWORD, "entity": KEYWORD,
        "entity_forms": KEYWORD,
        "family": KEYWORD,  # story family (the article's own id when it has none): for collapse
        "has_family": {"type": "boolean"},  # whether it has a family of its own
        "tag": KEYWORD,  # editorial tags, "kind:value"
        "enriched": {"type": "boolean"},  # false while its entities are still to be extracted
        "checksum": {"type": "keyword", "index": False},
        "content_hash": KEYWORD,  # folded title and body: related articles leave exact duplicates out
        "added": {"type": "long"},  # write time in ns: ties in date order keep arrival order
        "passage_count": {"type": "integer"},
        "passages": {
            "type": "nested",
            "properties": {
                "position": {"type": "integer"},
                "text": TEXT,
                "entity": KEYWORD,  # keys of the entities named in this passage
            },
        },
        "lead": STORED_ONLY,  # the first passage, shown when no passage matched
        "data": STORED_ONLY,  # the rest of the Article as JSON (entities, url, summary, origin...)
    },
}

META_MAPPING = {"dynamic": "strict", "properties": {"last_commit": {"type": "double"}}}


def article_index_body(shards: int, replicas: int, max_window: int) -> dict:
    return {
        "settings": {
            "index": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # A write is visible when refresh=wait_for returns; a short interval keeps that short.
                "refresh_interval": "1s",
                "max_result_window": max_window,
            },
            "analysis": analysis(),
        },
        "mappings": ARTICLE_MAPPING,
    }


def meta_index_body(replicas: int) -> dict:
    return {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": replicas}},
            "mappings": META_MAPPING}
