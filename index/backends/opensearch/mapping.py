"""The OpenSearch index: its analysis (our own terms, handed over ready-made) and its mapping.

One index of articles, each with its passages as nested documents.  Nested,
not separate passage documents: a search then finds the page's articles and
their best passages in one request (a nested query with inner_hits), and an
article with its passages is written and replaced as one Lucene block, so a
reader never sees an article without its passages.  Aggregations and counts
at the top level see articles only, which is what totals and facets count.

The cluster does not analyse text: index/text/analysis.py does, at write time,
and each text field is indexed from a string of slots, one per position
(tokens.py).  Its only analyzer puts those terms back at their positions:

    news_terms   whitespace tokenizer | pattern_capture `([^|]+)` (each alternative of a
                 slot at the slot's position) | stop ["|"] (an empty slot: a gap)

so both backends index the same terms at the same positions, whatever their
analysis becomes.  Every indexed text field comes twice: `*_terms` (what words
are searched by: stems) and `*_spelt` (folded spellings at the same positions:
quotes, word for word).  Queries send terms, split on whitespace only.  The
stored text (title, body, passages.text) is kept for display, not indexed.

A second, small index (<prefix>meta) holds one document whose version is the
archive's generation (see writing.py).
"""

from __future__ import annotations

from index.backends.opensearch.tokens import GAP


def analysis() -> dict:
    return {
        "filter": {
            "news_alternatives": {"type": "pattern_capture", "preserve_original": False, "patterns": ["([^|]+)"]},
            "news_gap": {"type": "stop", "stopwords": [GAP], "ignore_case": False},
        },
        "analyzer": {
            "news_terms": {"type": "custom", "tokenizer": "whitespace", "filter": ["news_alternatives", "news_gap"]},
        },
    }


TEXT = {"type": "text", "analyzer": "news_terms", "search_analyzer": "whitespace"}
STORED_TEXT = {"type": "text", "index": False}  # shown, not searched: its `*_terms` are
KEYWORD = {"type": "keyword"}
STORED_ONLY = {"type": "object", "enabled": False}

# Bump when what a document holds changes: an index of another format must be ingested again.
# 2: our own terms as slots (tokens.py), `*_spelt` fields, story-family band keys; 3: entity evidence.
FORMAT = 3

ARTICLE_MAPPING = {
    "dynamic": "strict",
    "_meta": {"newsindex_format": FORMAT},
    "properties": {
        "id": KEYWORD,
        "title": STORED_TEXT, "title_terms": TEXT, "title_spelt": TEXT,
        "body": STORED_TEXT, "body_terms": TEXT, "body_spelt": TEXT,
        "source": KEYWORD,  # display name, exact: the facet and the filter
        "source_text": TEXT,  # what `source:trt` searches (folded, not stemmed, as ours)
        "byline": TEXT,
        "published": {"type": "date"},
        # Entity keys ("recep tayyip erdogan") by type, and all of them (filters and facets: an
        # article counts once per key whatever type it was given); "key=Display name" forms.
        "person": KEYWORD, "org": KEYWORD, "place": KEYWORD, "entity": KEYWORD,
        "entity_forms": KEYWORD,
        "entity_evidence": KEYWORD,  # index/ingest/evidence.py: what the catalog merges by
        "lsh": KEYWORD,  # story-family band keys: finds the candidates of a new article's family
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
                "text": STORED_TEXT, "terms": TEXT, "spelt": TEXT,
                "entity": KEYWORD,  # keys of the entities named in this passage
            },
        },
        "lead": STORED_ONLY,  # the first passage, shown when no passage matched
        "data": STORED_ONLY,  # the rest of the Article as JSON (entities, url, summary, origin...)
    },
}

META_MAPPING = {"dynamic": "strict", "properties": {"last_commit": {"type": "double"}}}


def format_of(mapping: dict) -> int:
    """The format of an existing articles index, from its mapping (1: before formats were recorded)."""
    return int((mapping.get("_meta") or {}).get("newsindex_format", 1))


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
