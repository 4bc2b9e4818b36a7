"""The Whoosh schema: one index, two kinds of document.

An *article* document carries the whole text (title and body) and is what search
ranks, counts and facets, so totals and facet counts are numbers of articles.
A *passage* document carries one passage's text and is what highlighting shows
and what picks the best passages of a hit.  Both carry the article's metadata
(source, date, entities) so every filter applies to either kind.

The stored `data` field of an article holds its full JSON (passages, entities),
so `Index.get` needs no second store and a commit updates everything at once.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, SchemaClass

from index.store.analyzed import Replay
from index.text.analysis import keyword_analyzer, text_analyzer

ARTICLE = "article"
PASSAGE = "passage"
ENTITY_FIELDS = ("person", "org", "place")
TITLE_BOOST = 1.0


class NewsSchema(SchemaClass):
    kind = ID(stored=True)  # "article" or "passage"
    doc_id = ID(unique=True, stored=True)  # article id, or "<article id>#<position>"
    article_id = ID(stored=True)
    # Full text: `title` and `body` on articles, `text` on passages; one analyzer for all.
    # Their tokens are analysed once per article (index/store/analyzed.py) and played back to Whoosh.
    title = TEXT(analyzer=Replay(text_analyzer()), field_boost=TITLE_BOOST, phrase=True)
    body = TEXT(analyzer=Replay(text_analyzer()), phrase=True)
    text = TEXT(analyzer=Replay(text_analyzer()), phrase=True, stored=True)
    position = NUMERIC(stored=True)
    # Metadata for filters, facets and sorting.
    source = ID(stored=True)  # display name, exact ("TRT World")
    source_text = TEXT(analyzer=keyword_analyzer())  # what `source:trt` searches
    byline = TEXT(analyzer=keyword_analyzer())
    published = DATETIME(stored=True, sortable=True)
    month = ID()  # "2020-11": the date facet
    dated = ID(sortable=True)  # "1" or "0": undated articles sort last, newest or oldest first
    # Entities: folded keys ("recep tayyip erdogan"), one list per type; `entity_forms`
    # holds "key=Display name" pairs so facets can show names with their accents.
    person = KEYWORD(commas=True, lowercase=False, scorable=False)
    org = KEYWORD(commas=True, lowercase=False, scorable=False)
    place = KEYWORD(commas=True, lowercase=False, scorable=False)
    entity_forms = KEYWORD(commas=True, lowercase=False, scorable=False)
    lsh = KEYWORD(commas=True, lowercase=False, scorable=False)  # story-family band keys (index/ingest/families.py)
    checksum = ID(stored=True)  # what the stored version was built from: unchanged articles are skipped
    data = STORED()  # the article's JSON (articles only)
