"""The embedded backend: a Whoosh index on one disk, searched through index/search/.

Reads share one open searcher per process, replaced when any process commits
(never one searcher per request); everything derived from it (segment arrays,
the entity catalog, live counts, finished results) is kept until then.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterable, Sequence

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.query import NullQuery

from config.settings import Settings
from index.article import Article
from index.query import RelatedArticle, SearchRequest, SearchResult
from index.search.catalog import EntityCatalog
from index.search.related import related
from index.search.searching import SearchContext, highlight_terms, parse_query, phrase_pairs, search
from index.store import writer as store
from index.store.schema import ARTICLE, PASSAGE, NewsSchema
from index.store.segments import SegmentArrays, global_array, segment_key
from index.text.aliases import Aliases
from index.text.highlight import highlight

log = logging.getLogger(__name__)


class WhooshBackend:
    """See the module docstring and index/backend.py."""

    name = "whoosh"

    def __init__(self, path: Path, ix, settings: Settings, aliases: Aliases):
        self.path = Path(path)
        self.settings = settings
        self.aliases = aliases
        self._ix = ix
        self._lock = threading.RLock()
        self._searcher = None
        self._catalog: tuple[int, EntityCatalog] | None = None
        self._counts: tuple[int, dict] | None = None
        self.arrays = SegmentArrays(settings.postings_cache)
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()

    @classmethod
    def open(cls, path: Path, settings: Settings, aliases: Aliases, create: bool = False) -> "WhooshBackend":
        """Open the index at `path`, creating it if asked. Raises FileNotFoundError without one."""
        if whoosh_index.exists_in(str(path)):
            ix = whoosh_index.open_dir(str(path))
        elif create:
            path.mkdir(parents=True, exist_ok=True)
            try:
                ix = whoosh_index.create_in(str(path), NewsSchema())
            except LockError:  # another process is creating it right now
                time.sleep(0.5)
                ix = whoosh_index.open_dir(str(path))
        else:
            raise FileNotFoundError(f"no index at {path}; run `newsindex ingest PATH` first")
        return cls(path, ix, settings, aliases)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    # -- reading --------------------------------------------------------------

    def searcher(self):
        """The shared searcher, replaced first if another writer has committed since.

        A new searcher, not refresh(): refresh() reuses the reader of a segment whose
        deletions changed, and would still find a replaced article.  The old one is
        not closed here, since a search that began before the commit may still be
        reading it; it is closed when garbage-collected, once nothing holds it.
        Cached arrays of segments that merges have removed are dropped.
        """
        with self._lock:
            if self._searcher is None or not self._searcher.up_to_date():
                self._searcher = self._ix.searcher()
                self.arrays.retain({segment_key(sub.reader()) for sub, _ in self._searcher.leaf_searchers()})
            return self._searcher

    def warm(self) -> None:
        started = time.perf_counter()
        searcher = self.searcher()
        self.search(SearchRequest(per_page=1))  # catalog, facet values, dates of every segment
        for fieldname in ("title", "body", "text"):
            global_array(searcher, self.arrays, "lengths", fieldname)
        log.info("index warmed in %.1f s (%d segments)", time.perf_counter() - started,
                 len(searcher.leaf_searchers()))

    def generation(self) -> int:
        return self.searcher().reader().generation()

    def catalog(self, searcher=None) -> EntityCatalog:
        """The archive's entity catalog (of `searcher`, by default the current one), rebuilt once per commit."""
        searcher = searcher or self.searcher()
        gen = searcher.reader().generation()
        with self._lock:
            if self._catalog is None or self._catalog[0] != gen:
                self._catalog = (gen, EntityCatalog.build(searcher.reader(), self.aliases, self.arrays))
            return self._catalog[1]

    def context(self) -> SearchContext:
        s = self.settings
        searcher = self.searcher()  # once: a commit meanwhile must not give the catalog another one
        return SearchContext(
            searcher=searcher, catalog=self.catalog(searcher), arrays=self.arrays, aliases=self.aliases,
            time_limit=s.query_time_limit, max_query_length=s.max_query_length,
            max_query_terms=s.max_query_terms, allow_leading_wildcards=s.allow_leading_wildcards,
        )

    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, facet and highlight; complete results are kept in a small LRU until the next commit."""
        ctx = self.context()
        if self.settings.result_cache_size <= 0:
            return search(request, ctx)
        key = (ctx.searcher.reader().generation(), repr(request))
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
                return cached
        result = search(request, ctx)
        if not result.partial:  # a cut-short answer is not worth repeating
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.settings.result_cache_size:
                    self._results.popitem(last=False)
        return result

    def highlighter(self, q: str) -> Callable[[str], str]:
        terms: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        if q.strip():
            ctx = self.context()
            parsed = parse_query(q, ctx.searcher.schema, ctx)
            if parsed is not NullQuery:
                terms, pairs = highlight_terms(parsed, ctx.searcher), phrase_pairs(parsed)
        analyzer = self.searcher().schema["text"].analyzer  # the index's own, whatever version built it
        return lambda text: highlight(text, terms, analyzer, pairs)

    def related(self, article_id: str, limit: int = 5) -> list[RelatedArticle]:
        return related(self.searcher(), self.arrays, article_id, limit)

    def get(self, article_id: str) -> Article | None:
        stored = store.stored_article(self.searcher(), article_id)
        return Article.from_dict(json.loads(stored["data"])) if stored else None

    def facet_values(self, name: str, prefix: str = "", limit: int = 10) -> list:
        from index.search.facet_values import facet_values
        searcher = self.searcher()
        key = (str(self.path.resolve()), searcher.reader().generation())
        return facet_values(searcher, self.catalog(searcher), self.arrays, name, prefix, limit, cache_key=key)

    def stats(self) -> dict:
        searcher = self.searcher()
        size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        gen = searcher.reader().generation()
        if self._counts is None or self._counts[0] != gen:
            # Live documents (doc_frequency would include deleted ones), from each segment's cached kind mask.
            self._counts = (gen, {kind: sum(int(self.arrays.kind(sub.reader(), kind).sum())
                                            for sub, _ in searcher.leaf_searchers())
                                  for kind in (ARTICLE, PASSAGE)})
        counts = self._counts[1]
        return {
            "articles": counts[ARTICLE],
            "passages": counts[PASSAGE],
            "segments": len(searcher.leaf_searchers()),
            "generation": gen,
            "size_bytes": size,
            "last_commit": max((p.stat().st_mtime for p in self.path.glob("*.toc")), default=None),
        }

    # -- writing --------------------------------------------------------------

    def checksums(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored checksums of the live articles among `ids`.

        Each segment's set of article ids is read once and kept (segments do not
        change), so checking a batch costs a set lookup per id and segment rather
        than a term lookup in every segment's dictionary.
        """
        found: dict[str, str] = {}
        for sub, _ in self.searcher().leaf_searchers():
            present = self.arrays.article_ids(sub.reader())
            for article_id in ids:
                if article_id in present and article_id not in found:
                    stored = store.stored_article(sub, article_id)
                    if stored is not None:
                        found[article_id] = stored.get("checksum") or ""
        return found

    def write(self, articles: Sequence[Article], checksums: Sequence[str], remove: Iterable[str] = (),
              merge: bool = True) -> set[str]:
        """Write articles (and remove ids) in one commit.

        `merge=False` (a batch in the middle of a bulk load) leaves segments as they
        are; a small write only folds tiny segments; the end of a bulk load lets
        Whoosh's policy merge the load's segments.  Returns the ids that existed
        before (decided under the write lock).
        """
        if not merge:
            commit = {"merge": False}
        elif len(articles) < store.TINY_SEGMENT_DOCS:
            commit = {"mergetype": store.merge_tiny_segments}
        else:
            commit = {}
        return store.replace(self._ix, self.path, self.settings.write_lock_timeout, list(zip(articles, checksums)),
                             remove, **commit)

    def delete(self, ids: Iterable[str]) -> int:
        ids = [i for i in ids if self.get(i) is not None]
        if ids:
            store.replace(self._ix, self.path, self.settings.write_lock_timeout, [], remove=ids,
                          mergetype=store.merge_tiny_segments)
        return len(ids)
