"""The OpenSearch backend (NEWSINDEX_BACKEND=opensearch): newsindex's archive on an OpenSearch cluster.

    connection.py  the client over every configured URL; cluster failures -> Unavailable
    mapping.py     the index: analysis mirroring index/text/analysis.py, articles with nested passages
    writing.py     Article <-> document; bulk writes acknowledged by the cluster; the generation
    query.py       the user's query (Whoosh syntax) -> query DSL, units, highlight terms, aliases
    searching.py   one search request: hits, best passages, facets, suggestion -> SearchResult
    entities.py    the entity catalog from aggregations; entity facets through it
    suggest.py     "did you mean" with the term suggester
    backend.py     OpenSearchBackend: the Backend protocol over the above
"""

from index.backends.opensearch.backend import OpenSearchBackend

__all__ = ["OpenSearchBackend"]
