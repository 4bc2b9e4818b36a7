"""Entities over OpenSearch: the archive's entity catalog, and entity facets counted through it.

The catalog is the Whoosh backend's (index/search/catalog.py: surnames merged
into the one full name that ends so, editorial aliases, majority type), built
from aggregations instead of lexicons: how many articles give each key each
type, and each key's display forms.  Reading every key of a large archive takes
a while, so a catalog is rebuilt when the generation has changed and the last
one is older than ten times what building it took (always, on a small archive).

Facets count canonical entities: a terms aggregation over the `entity` keys of
the matching articles is mapped through the catalog and summed.  An article
naming two keys of one entity would count twice in that sum, so the values
that can reach the top and merge several keys are counted again exactly, one
filter each, in a second request (rarely needed: spellings of one entity in one
article are merged at ingest).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, defaultdict

from opensearchpy import OpenSearch

from index.article import ENTITY_TYPES
from index.backends.opensearch.connection import Names, search as run_search, translated
from index.query import FacetValue
from index.search.catalog import EntityCatalog
from index.text.aliases import Aliases

log = logging.getLogger(__name__)

PAGE = 10_000  # keys per composite aggregation page
ENTITY_BUCKETS = 2_000  # entity keys a search's facet aggregation returns (before merging)
MARGIN = 10  # values beyond the limit recounted exactly when they merge several keys


def all_terms(client: OpenSearch, index: str, fieldname: str, query: dict | None = None) -> dict[str, int]:
    """Every value of a keyword field with its number of articles (paging a composite aggregation)."""
    counts: dict[str, int] = {}
    after = None
    while True:
        composite = {"size": PAGE, "sources": [{"v": {"terms": {"field": fieldname}}}]}
        if after:
            composite["after"] = after
        body = {"size": 0, "query": query or {"match_all": {}}, "aggs": {"values": {"composite": composite}}}
        response = run_search(client, index, body, "read", request_cache=True)
        agg = response["aggregations"]["values"]
        for bucket in agg["buckets"]:
            counts[bucket["key"]["v"]] = bucket["doc_count"]
        after = agg.get("after_key")
        if not after or len(agg["buckets"]) < PAGE:
            return counts


class Catalogs:
    """The current catalog and archive-wide counts, kept per generation (see the module docstring)."""

    def __init__(self, client: OpenSearch, names: Names, aliases: Aliases):
        self.client, self.names, self.aliases = client, names, aliases
        self._lock = threading.Lock()
        self._state: tuple[int, float, float, EntityCatalog, dict] | None = None  # gen, built at, took, catalog, counts

    def current(self, gen: int) -> tuple[EntityCatalog, dict]:
        """(catalog, {"source": Counter, "entity": Counter of keys}) for generation `gen` (or a recent one)."""
        with self._lock:
            state = self._state
            if state is not None:
                built_gen, built_at, took, catalog, counts = state
                if built_gen == gen or time.time() - built_at < 10 * took:
                    return catalog, counts
            started = time.perf_counter()
            catalog, counts = self._build()
            took = time.perf_counter() - started
            if took > 1:
                log.info("entity catalog of %s rebuilt in %.1f s (%d keys)", self.names.articles, took,
                         len(catalog.canonical))
            self._state = (gen, time.time(), took, catalog, counts)
            return catalog, counts

    def _build(self) -> tuple[EntityCatalog, dict]:
        index = self.names.articles
        type_counts: dict[str, Counter] = defaultdict(Counter)
        for kind in ENTITY_TYPES:
            for key, count in all_terms(self.client, index, kind).items():
                type_counts[key][kind] += count
        forms: dict[str, Counter] = defaultdict(Counter)
        for form, count in all_terms(self.client, index, "entity_forms").items():
            key, _, name = form.partition("=")
            forms[key][name] += count
        evidence = all_terms(self.client, index, "entity_evidence")
        catalog = EntityCatalog.from_counts(type_counts, forms, self.aliases, evidence)
        counts = {"source": Counter(all_terms(self.client, index, "source")),
                  "entity": Counter(all_terms(self.client, index, "entity")),
                  "articles": _count(self.client, index)}
        return catalog, counts


def _count(client: OpenSearch, index: str) -> int:
    with translated("read"):
        return int(client.count(index=index)["count"])


def entity_aggregation() -> dict:
    return {"terms": {"field": "entity", "size": ENTITY_BUCKETS, "shard_size": ENTITY_BUCKETS * 2}}


def canonical_counts(key_counts: dict[str, int], catalog: EntityCatalog) -> dict[str, tuple[int, list[str]]]:
    """Canonical entity -> (summed count, the keys of it that were counted)."""
    merged: dict[str, list] = {}
    for key, count in key_counts.items():
        target = catalog.canonical.get(key, key)
        entry = merged.setdefault(target, [0, []])
        entry[0] += count
        entry[1].append(key)
    return {t: (c, keys) for t, (c, keys) in merged.items()}


def entity_facets(client: OpenSearch, names: Names, query: dict, key_counts: dict[str, int],
                  catalog: EntityCatalog, limit: int, kinds=ENTITY_TYPES) -> dict[str, list[FacetValue]]:
    """Person, org and place facet values for the articles `query` matches, from their key counts.

    Values merging several keys that may reach the top `limit` are counted exactly
    (one filter aggregation each, in one request).
    """
    merged = canonical_counts(key_counts, catalog)
    by_kind: dict[str, list[tuple[int, str]]] = {k: [] for k in kinds}
    for target, (count, _) in merged.items():
        kind = catalog.type_of.get(target, "person")
        if kind in by_kind:
            by_kind[kind].append((count, target))
    recount = {}
    for kind, found in by_kind.items():
        found.sort(key=lambda item: -item[0])
        for count, target in found[:limit + MARGIN]:
            if len(merged[target][1]) > 1:
                recount[target] = merged[target][1]
    exact = _exact_counts(client, names, query, recount) if recount else {}
    grouped = {}
    for kind, found in by_kind.items():
        values = [FacetValue(catalog.display.get(t, t), exact.get(t, c), t) for c, t in found]
        grouped[kind] = sorted(values, key=lambda v: (-v.count, v.value.lower()))[:limit]
    return grouped


def _exact_counts(client: OpenSearch, names: Names, query: dict, keys_of: dict[str, list[str]]) -> dict[str, int]:
    targets = list(keys_of)
    aggs = {f"e{i}": {"filter": {"terms": {"entity": keys_of[t]}}} for i, t in enumerate(targets)}
    response = run_search(client, names.articles, {"size": 0, "query": query, "aggs": aggs, "track_total_hits": False})
    return {t: response["aggregations"][f"e{i}"]["doc_count"] for i, t in enumerate(targets)}
