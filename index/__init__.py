"""newsindex's index layer: documents, analysis, the Whoosh schema and searching.

Knows nothing of HTTP.  The public surface is small on purpose; the CLI, the
Flask service and the benchmarks use only these names:

    Index            open an archive; ingest, search, get, put, delete, related, stats
    SearchRequest    what to search for (query, filters, sort, page)
    SearchResult     ranked articles with highlighted passages and facets
    Article          a parsed article (title, body, metadata, passages, entities)
    read_articles    files and folders -> Articles (and Skipped, with reasons)
    parse_json       JSON text as ingest reads it (BadJson says why not), for bodies that carry articles
    errors           NotFound, InvalidQuery, InvalidArticle, IndexBusy, Unavailable, AliasFileError
"""

import index.store.whoosh_io  # noqa: F401  (first: every Whoosh file opened after it reads without copying)
from index.article import Article, Entity, Passage
from index.ingest.documents import Skipped, article_from_record, read_articles
from index.ingest.validate import BadJson, parse_json
from index.facade import Index, IngestReport
from index.errors import AliasFileError, IndexBusy, InvalidArticle, InvalidQuery, NotFound, Unavailable
from index.query import FACETS, MATCHES, SORTS, FacetValue, Hit, PassageHit, RelatedArticle, SearchRequest, SearchResult

__all__ = [
    "FACETS", "MATCHES", "SORTS", "AliasFileError", "Article", "BadJson", "Entity", "FacetValue", "Hit",
    "Index", "IndexBusy", "IngestReport", "InvalidArticle", "InvalidQuery", "NotFound", "Passage",
    "PassageHit", "RelatedArticle", "SearchRequest", "SearchResult", "Skipped", "Unavailable",
    "article_from_record", "parse_json", "read_articles",
]
