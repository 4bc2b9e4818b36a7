"""The engine behind the Index facade: what a storage-and-search backend must do.

The facade (index/facade.py) owns everything that understands articles:
parsing, passages, entities, aliases, checksums.  A backend receives finished
articles and answers searches; it never parses a file or runs a model.  Two
implement this protocol:

    index.backends.whoosh.WhooshBackend          embedded, on one disk (the default)
    index.backends.opensearch.OpenSearchBackend  an OpenSearch cluster

Every write is all or nothing and durable when the call returns; every read
sees every write acknowledged before it started.  Errors are the ones in
index/errors.py (NotFound, InvalidQuery, IndexBusy, Unavailable).
"""

from __future__ import annotations

from typing import Iterable, Protocol, Sequence

from index.article import Article
from index.query import FacetValue, RelatedArticle, SearchRequest, SearchResult
from index.text.highlight import Highlighter


class Backend(Protocol):
    name: str

    def write(self, articles: Sequence[Article], checksums: Sequence[str], remove: Iterable[str] = (),
              processes: int = 1, expect: dict[str, str] | None = None) -> set[str]:
        """Store each article (replacing any with its id) with its checksum, remove the `remove` ids, commit.

        Returns the ids (written or removed) that existed before, decided atomically with the write.
        With `expect` (id -> checksum) nothing is written unless those articles are
        still stored with those checksums; else it raises Stale naming the others.
        """

    def family_candidates(self, band_keys: list[str]) -> list[tuple]:
        """(id, family, signature, published) of the stored articles sharing any of these story-family band keys."""

    def pending(self, limit: int, vectors: bool = False) -> list[tuple[str, str]]:
        """(id, checksum) of up to `limit` articles whose entities (`vectors`: or passage vectors) are still
        to be computed, oldest first."""

    def checksums(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored checksum of each of `ids` that exists (what an unchanged re-ingest is checked against)."""

    def get(self, article_id: str) -> Article | None:
        """The stored article as written, or None."""

    def delete(self, ids: Iterable[str]) -> int:
        """Remove these articles; returns how many existed."""

    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, facet and highlight (request already checked). Raises InvalidQuery."""

    def facet_values(self, name: str, prefix: str, limit: int) -> list[FacetValue]:
        """Values of a facet with a word starting with `prefix`, with their article counts over the archive."""

    def related(self, article_id: str, limit: int) -> list[RelatedArticle]:
        """The articles most similar to one article, best first. Raises NotFound."""

    def highlighter(self, q: str) -> Highlighter:
        """What `q` marks: called on a text, its HTML-escaped, marked form; `.passages(texts)` marks an article's
        passages in order, a quote across two of them included (index/text/highlight.py)."""

    def catalog(self):
        """The archive's entity catalog (index/search/catalog.py): canonical names and types."""

    def share_catalog(self) -> None:
        """After entities were extracted: make the catalog other processes will read, where the backend shares
        one between processes (the embedded one saves it beside the index; OpenSearch's lives in each process)."""

    def generation(self) -> int:
        """A number that changes with every commit (caches and ETags)."""

    def stats(self) -> dict:
        """articles, passages, segments, generation, size_bytes, last_commit."""

    def optimize(self, segments: int = 1) -> int:
        """Merge the storage down to at most `segments` segments (after a bulk import); returns the merges made."""

    def warm(self, follow: bool = False) -> None:
        """Read what the first searches would otherwise read (`follow`: and of each new generation)."""

    def close(self) -> None:
        ...
