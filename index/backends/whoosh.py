"""The embedded backend: one index folder on this disk (index/store/), searched by index/search/.

Every read takes the newest snapshot (a directory listing tells whether another
process has committed) and runs on it from start to end.  Finished results are
kept on the snapshot, in a small LRU: a newsroom asks the same searches (the
front page's browse, a breaking story's name) over and over, and a commit
starts a new snapshot, which starts with none.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Sequence

from config.settings import Settings
from index.article import Article
from index.errors import NotFound
from index.ingest.families import CANDIDATES_PER_KEY, candidate
from index.query import RelatedArticle, SearchRequest, SearchResult
from index.search.catalog_builder import SAVED_NAME
from index.search.catalog_keeper import CatalogKeeper
from index.search.expand import Limits
from index.search.facet_values import facet_values
from index.search.feedback import FEEDBACK, Feedback
from index.search.plan import make_plan
from index.search.prepare import prepare
from index.search.related import related
from index.search.run import Context, search
from index.search.query_vectors import load_encoder
from index.search.semantic import HYBRID
from index.store.schema import stored_article
from index.store.store import Store
from index.text.aliases import Aliases
from index.text.highlight import Highlighter

log = logging.getLogger(__name__)
# Preloading an index's files (NEWSINDEX_PRELOAD) stops where they would fill half the machine's memory.
PRELOAD_BUDGET = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2 if hasattr(os, "sysconf") else 2 ** 33


class WhooshBackend:
    """See the module docstring and index/backend.py."""

    name = "whoosh"

    def __init__(self, store: Store, settings: Settings, aliases: Aliases):
        self.store = store
        self.path = store.path
        self.settings = settings
        self.aliases = aliases
        self.catalogs = CatalogKeeper(aliases, saved=store.path / SAVED_NAME)
        s = settings
        self.limits = Limits(time_limit=s.query_time_limit, max_query_length=s.max_query_length,
                             max_query_terms=s.max_query_terms, allow_leading_wildcards=s.allow_leading_wildcards)

    @classmethod
    def open(cls, path: Path, settings: Settings, aliases: Aliases, create: bool = False) -> "WhooshBackend":
        store = Store.open(path, create=create, write_lock_timeout=settings.write_lock_timeout, merge=settings.merge,
                           postings_held=settings.postings_cache)
        return cls(store, settings, aliases)

    def close(self) -> None:
        self.store.close()

    # -- reading --------------------------------------------------------------

    def context(self, snapshot=None) -> Context:
        """What a search reads: the snapshot (the one before the newest while that is prepared, in a
        served worker: index/store/store.py), catalog, limits and settings."""
        feedback = FEEDBACK if self.settings.feedback else Feedback(max_units=0)
        hybrid = replace(HYBRID, rerank=self.settings.hybrid_rerank, feedback_docs=self.settings.hybrid_feedback,
                         queries_held=self.settings.query_vectors_held)
        return Context(snapshot or self.store.snapshot(fresh=False), self.aliases, self.limits,
                       semantic=self.settings.semantic, feedback=feedback, hybrid=hybrid, catalogs=self.catalogs)

    def search(self, request: SearchRequest) -> SearchResult:
        ctx = self.context()
        size = self.settings.result_cache_size
        if size <= 0:
            return search(request, ctx)
        snapshot, key = ctx.snapshot, repr(request)
        results: OrderedDict = snapshot.derived("results", OrderedDict)
        with snapshot.lock:
            cached = results.get(key)
            if cached is not None:
                results.move_to_end(key)
                return cached
        result = search(request, ctx)
        if not result.partial:  # a cut-short answer is not worth repeating
            with snapshot.lock:
                results[key] = result
                while len(results) > size:
                    results.popitem(last=False)
        return result

    def warm(self, follow: bool = False) -> None:
        started = time.perf_counter()
        ctx = self.context(self.store.snapshot())
        prepare(ctx)
        search(SearchRequest(per_page=1), ctx)  # and every array a browse reads, from disk
        if self.settings.semantic:  # even before the enricher's first vectors: they come soon after an ingest
            load_encoder()
        preloaded = self.store.preload(ctx.snapshot, PRELOAD_BUDGET) if self.settings.preload else 0
        log.info("index warmed in %.2f s (%d segments, %d MB of their files preloaded)", time.perf_counter() - started,
                 len(ctx.snapshot.parts), preloaded // 2 ** 20)
        if follow:
            self.store.prepare_in_background(self._prepare)

    def _prepare(self, snapshot) -> None:
        """What a served worker does to each new generation before its searches read it."""
        prepare(self.context(snapshot))
        if self.settings.preload:
            self.store.preload(snapshot, PRELOAD_BUDGET)  # the new segments' pages (the others' are no-ops)

    def generation(self) -> int:
        return self.store.snapshot().generation

    def catalog(self):
        return self.catalogs.current(self.store.snapshot())

    def share_catalog(self) -> None:
        self.catalog()  # on a big archive this saves it (index/search/catalog_keeper.py)

    def highlighter(self, q: str) -> Highlighter:
        ctx = self.context()
        plan = make_plan(SearchRequest(q=q), ctx.snapshot, self.limits, self.aliases, ctx.catalog)
        return Highlighter(plan.highlight, **plan.marks())

    def related(self, article_id: str, limit: int = 5) -> list[RelatedArticle]:
        snapshot = self.store.snapshot()
        found = self.store.find(article_id, snapshot)
        if found is None:
            raise NotFound(f"no article with id {article_id!r}")
        return related(snapshot, found[0], limit, hybrid=HYBRID if self.settings.semantic else None)

    def get(self, article_id: str) -> Article | None:
        found = self.store.find(article_id)
        return stored_article(found[1]) if found else None

    def facet_values(self, name: str, prefix: str = "", limit: int = 10) -> list:
        snapshot = self.store.snapshot()
        return facet_values(snapshot, self.catalogs.current(snapshot), name, prefix, limit)

    def stats(self) -> dict:
        return self.store.stats()

    # -- writing --------------------------------------------------------------

    def checksums(self, ids: Sequence[str]) -> dict[str, str]:
        return self.store.checksums(ids)

    def write(self, articles: Sequence[Article], checksums: Sequence[str], remove: Iterable[str] = (),
              processes: int = 1, expect: dict[str, str] | None = None) -> set[str]:
        """One commit; returns the ids (written or removed) that existed before it."""
        return self.store.write(articles, checksums, remove, processes=processes, expect=expect)

    def pending(self, limit: int, vectors: bool = False) -> list[tuple[str, str]]:
        return self.store.pending(limit, vectors)

    def family_candidates(self, band_keys: list[str]) -> list[tuple]:
        found = []
        for stored in self.store.with_band_keys(band_keys, per_key=CANDIDATES_PER_KEY):
            data = json.loads(stored["data"])
            found.append(candidate(data["id"], data))
        return found

    def merge(self) -> int:
        """Merge segments as the policy asks, now; returns how many merges were made."""
        return self.store.merge(wait=True)

    def optimize(self, segments: int = 1) -> int:
        return self.store.optimize(segments)

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(ids))
        return len(self.store.write([], [], remove=ids)) if ids else 0
