"""The OpenSearch backend (NEWSINDEX_BACKEND=opensearch): newsindex's archive on an OpenSearch cluster.

    connection.py  the client over every configured URL; cluster failures -> Unavailable
    tokens.py      our analysis (index/text/analysis.py) as strings of terms, one slot per position
    mapping.py     the index: articles with nested passages, fields of our terms (the cluster analyses nothing)
    writing.py     Article <-> document; bulk writes acknowledged by the cluster; the generation; families
    query.py       index/search/plan.py's tree and units -> query DSL (match, rank, passages, marks)
    searching.py   one search request: hits, best passages, facets, suggestion -> SearchResult
    entities.py    the entity catalog from aggregations; entity facets through it
    suggest.py     "did you mean" with the term suggester
    backend.py     OpenSearchBackend: the Backend protocol over the above
"""

from index.backends.opensearch.backend import OpenSearchBackend

__all__ = ["OpenSearchBackend"]
