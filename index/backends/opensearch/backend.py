"""The OpenSearch backend: the Backend protocol (index/backend.py) over an OpenSearch cluster.

    NEWSINDEX_BACKEND=opensearch NEWSINDEX_OPENSEARCH_URL=http://a:9200,http://b:9200 newsindex serve

The facade still parses, splits and tags articles; this stores them in
<prefix>articles (mapping.py), writes through writing.py, searches through
searching.py.  Everything a worker keeps (the entity catalog, finished results,
stats) is keyed by the generation, which every read asks the cluster for (one
real-time get), so a write acknowledged by one worker is seen by every worker's
next search.  Errors: Unavailable when the cluster cannot answer (503), never a
traceback.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Iterable, Sequence

from opensearchpy import exceptions as os_errors

from config.settings import Settings
from index.article import Article, stored_time
from index.backends.opensearch import writing
from index.backends.opensearch.connection import Names, connect, search as run_search, translated
from index.backends.opensearch.entities import Catalogs, entity_facets
from index.backends.opensearch.mapping import FORMAT, article_index_body, format_of, meta_index_body
from index.backends.opensearch.query import plan_query
from index.backends.opensearch.searching import Context, search
from index.errors import NotFound
from index.ingest.families import CANDIDATES_PER_KEY
from index.query import FacetValue, RelatedArticle, SearchRequest, SearchResult
from index.search.expand import Limits
from index.search.facet_values import FACET_NAMES, matches, normalise
from index.text.aliases import Aliases
from index.text.analysis import fold
from index.text.highlight import Highlighter

log = logging.getLogger(__name__)

RELATED_TERMS = 20  # key terms of an article that find its neighbours, as the Whoosh backend


def entity_idf(counts: dict, keys: tuple[str, ...]) -> float:
    """BM25's idf of the articles naming an entity (any of its keys), as the Whoosh backend scores an alias's entity."""
    n = counts.get("articles", 0)
    df = min(n, sum(counts["entity"].get(k, 0) for k in keys))
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


class IndexFormatError(RuntimeError):
    """The cluster holds this archive in a format this version cannot search."""


class OpenSearchBackend:
    """See the module docstring and index/backend.py."""

    name = "opensearch"

    def __init__(self, client, names: Names, settings: Settings, aliases: Aliases):
        self.client = client
        self.names = names
        self.settings = settings
        self.aliases = aliases
        self.path = Path(settings.index_dir)
        self.catalogs = Catalogs(client, names, aliases)
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()
        self._stats: tuple[int, dict] | None = None
        self._uuid: str | None = None
        self._families: tuple[int, bool] | None = None

    @classmethod
    def open(cls, settings: Settings, aliases: Aliases, create: bool = False) -> "OpenSearchBackend":
        """Connect, creating the indexes if asked. Raises FileNotFoundError without them, Unavailable."""
        client = connect(settings)
        names = Names.of(settings.opensearch_prefix)
        # The local directory holds no index, only the lock that keeps one enricher per archive on this machine.
        Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
        with translated("open"):
            exists = client.indices.exists(index=names.articles) and client.indices.exists(index=names.meta)
        if not exists:
            if not create:
                raise FileNotFoundError(f"no OpenSearch index {names.articles} at {settings.opensearch_url}; "
                                        "run `newsindex ingest PATH` first")
            cls._create(client, names, settings)
        else:
            cls._check_format(client, names)
        return cls(client, names, settings, aliases)

    @staticmethod
    def _check_format(client, names: Names) -> None:
        """Refuse an index written by another version of this backend (its fields differ): ingest it again."""
        with translated("open"):
            found = client.indices.get_mapping(index=names.articles)
        mapping = next(iter(found.values()))["mappings"]
        if format_of(mapping) != FORMAT:
            raise IndexFormatError(
                f"OpenSearch index {names.articles} has format {format_of(mapping)}, this version needs {FORMAT}: "
                f"ingest the archive again under another NEWSINDEX_OPENSEARCH_PREFIX (or delete {names.articles} "
                f"and {names.meta})")

    @staticmethod
    def _create(client, names: Names, settings: Settings) -> None:
        window = max(settings.max_results_window, settings.export_max + settings.max_per_page)
        bodies = {names.articles: article_index_body(settings.opensearch_shards, settings.opensearch_replicas, window),
                  names.meta: meta_index_body(settings.opensearch_replicas)}
        for index, body in bodies.items():
            with translated("create"):
                try:
                    client.indices.create(index=index, body=body, wait_for_active_shards="all")
                except os_errors.RequestError as exc:  # another worker created it meanwhile
                    if "resource_already_exists" not in str(exc.error):
                        raise
        with translated("create"):
            client.cluster.health(index=f"{names.articles},{names.meta}",
                                  wait_for_status="yellow", timeout="60s", request_timeout=90)

    def close(self) -> None:
        self.client.close()

    def identity(self) -> str:
        """The articles index's uuid: a re-created index is another archive (ETags)."""
        if self._uuid is None:
            with translated("read"):
                found = self.client.indices.get_settings(index=self.names.articles, name="index.uuid")
            self._uuid = next(iter(found.values()))["settings"]["index"]["uuid"]
        return self._uuid

    def drop(self) -> None:
        """Delete this archive's indexes (tests and benches)."""
        with translated("drop"):
            self.client.indices.delete(index=f"{self.names.articles},{self.names.meta}", ignore_unavailable=True)

    # -- reading --------------------------------------------------------------

    def generation(self) -> int:
        return writing.generation(self.client, self.names)[0]

    def catalog(self, gen: int | None = None):
        return self.catalogs.current(self.generation() if gen is None else gen)[0]

    def share_catalog(self) -> None:
        """Nothing: each process builds its catalog from the cluster's aggregations (entities.py)."""

    def context(self, gen: int) -> Context:
        s = self.settings
        catalog, counts = self.catalogs.current(gen)
        return Context(client=self.client, names=self.names, catalog=catalog, aliases=self.aliases,
                       limits=self.limits(), time_limit=s.query_time_limit, families=self.has_families(gen),
                       entity_idf=lambda keys: entity_idf(counts, keys))

    def has_families(self, gen: int) -> bool:
        """Whether any article has a story family (asked once per generation)."""
        if self._families is None or self._families[0] != gen:
            with translated("read"):
                found = self.client.count(index=self.names.articles, body={"query": {"term": {"has_family": True}}})
            self._families = (gen, found["count"] > 0)
        return self._families[1]

    def limits(self) -> Limits:
        s = self.settings
        return Limits(time_limit=s.query_time_limit, max_query_length=s.max_query_length,
                      max_query_terms=s.max_query_terms, allow_leading_wildcards=s.allow_leading_wildcards)

    def search(self, request: SearchRequest) -> SearchResult:
        """Search; complete results are kept in a small LRU until the next commit (as the Whoosh backend)."""
        gen = self.generation()
        if self.settings.result_cache_size <= 0:
            return search(request, self.context(gen))
        key = (gen, repr(request))
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached
        result = search(request, self.context(gen))
        if not result.partial:
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.settings.result_cache_size:
                    self._results.popitem(last=False)
        return result

    def highlighter(self, q: str) -> Highlighter:
        plan = plan_query(q, "auto", self.aliases, self.catalog(), self.limits()) if q.strip() else None
        return plan.marks.highlighter() if plan is not None else Highlighter()

    def get(self, article_id: str) -> Article | None:
        return writing.get(self.client, self.names, article_id)

    def related(self, article_id: str, limit: int = 5) -> list[RelatedArticle]:
        """more_like_this on the article's title and body; itself, exact duplicates and its story's other
        versions left out, each other story once (collapsed on its family, as the Whoosh backend)."""
        with translated("read"):
            own = self.client.get(index=self.names.articles, id=article_id,
                                  _source_includes=["content_hash", "family"], ignore=404)
        if not own.get("found"):
            raise NotFound(f"no article with id {article_id!r}")
        body = {
            "size": limit,
            "_source": ["data.id", "title", "data.source", "data.published"],
            "query": {"bool": {
                "must": [{"more_like_this": {
                    "fields": ["title_terms", "body_terms"], "like": [{"_index": self.names.articles, "_id": article_id}],
                    "max_query_terms": RELATED_TERMS, "min_term_freq": 1, "min_doc_freq": 1, "min_word_length": 3,
                    "minimum_should_match": "1"}}],
                "must_not": [{"term": {"content_hash": own["_source"]["content_hash"]}},
                             {"term": {"family": own["_source"].get("family") or article_id}}],
            }},
            "collapse": {"field": "family"},
        }
        response = run_search(self.client, self.names.articles, body)
        found = []
        for hit in response["hits"]["hits"]:
            data = hit["_source"].get("data") or {}
            found.append(RelatedArticle(
                id=hit["_id"], title=hit["_source"].get("title") or "", source=data.get("source"),
                published=stored_time(data.get("published")), score=round(hit["_score"], 4)))
        return found

    def facet_values(self, name: str, prefix: str = "", limit: int = 10) -> list[FacetValue]:
        """Values of a facet with a word starting with `prefix`, counted over the archive (as the Whoosh backend)."""
        if name not in FACET_NAMES:
            raise ValueError(f"no facet named {name!r}; facets are {', '.join(FACET_NAMES)}")
        gen = self.generation()
        catalog, counts = self.catalogs.current(gen)
        wanted = normalise(prefix)
        if name == "source":
            found = [FacetValue(value, count) for value, count in counts["source"].items() if matches(wanted, [value])]
        else:
            found = self._entity_values(gen, catalog, counts, name, wanted, limit)
        found.sort(key=lambda v: (-v.count, fold(v.value)))
        return found[:max(0, limit)]

    def _entity_values(self, gen, catalog, counts, name: str, wanted: str, limit: int) -> list[FacetValue]:
        keys = {}
        for key, count in counts["entity"].items():
            target = catalog.canonical.get(key, key)
            if catalog.type_of.get(target, "person") != name:
                continue
            names = [catalog.display.get(target, target), *catalog.members.get(target, [target])]
            if matches(wanted, names):
                keys[key] = count
        facets = entity_facets(self.client, self.names, {"match_all": {}}, keys, catalog, max(limit, 1), kinds=(name,))
        return facets[name]

    def stats(self) -> dict:
        gen, last_commit = writing.generation(self.client, self.names)
        if self._stats is not None and self._stats[0] == gen:
            return self._stats[1]
        with translated("read"):
            articles = self.client.count(index=self.names.articles)["count"]
            pending = self.client.count(index=self.names.articles, body={"query": {"term": {"enriched": False}}})["count"]
            summed = self.client.search(index=self.names.articles, body={
                "size": 0, "track_total_hits": False, "aggs": {"p": {"sum": {"field": "passage_count"}}}})
            stats = self.client.indices.stats(index=self.names.articles, metric="segments,store")
        totals = stats["_all"]
        result = {
            "articles": int(articles),
            "passages": int(summed["aggregations"]["p"]["value"] or 0),
            "segments": totals["primaries"]["segments"]["count"],
            "generation": gen,
            "size_bytes": totals["total"]["store"]["size_in_bytes"],
            "last_commit": last_commit,
            "pending": int(pending),
        }
        self._stats = (gen, result)
        return result

    def warm(self, follow: bool = False) -> None:
        self.catalog()  # the cluster refreshes by itself: nothing to follow

    def optimize(self, segments: int = 1) -> int:
        """The cluster's force merge of the articles index, each shard to at most `segments` segments."""
        with translated("write"):
            self.client.indices.forcemerge(index=self.names.articles, max_num_segments=max(1, segments),
                                           params={"request_timeout": 3600})
            self.client.indices.refresh(index=self.names.articles)  # searches open the merged segment
        self._stats = None  # the generation did not change, the segments did
        return 1

    # -- writing --------------------------------------------------------------

    def checksums(self, ids: Sequence[str]) -> dict[str, str]:
        return writing.stored_checksums(self.client, self.names, ids)

    def write(self, articles: Sequence[Article], checksums: Sequence[str], remove: Iterable[str] = (),
              processes: int = 1, expect: dict[str, str] | None = None) -> set[str]:
        """Write in one bulk request, acknowledged by every in-sync copy and visible on return (writing.py).

        Returns the ids (written or removed) that existed before.
        """
        results = writing.write(self.client, self.names, articles, checksums, remove, expect=expect)
        return {i for i, result in results.items() if result in ("updated", "deleted")}

    def family_candidates(self, band_keys: list[str]) -> list[tuple]:
        return writing.family_candidates(self.client, self.names, band_keys, CANDIDATES_PER_KEY)

    def pending(self, limit: int, vectors: bool = False) -> list[tuple[str, str]]:
        """Articles awaiting entities; passage vectors are not kept in the cluster (searches there are lexical)."""
        return writing.pending(self.client, self.names, limit)

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(ids))
        return len(self.write([], [], remove=ids)) if ids else 0
