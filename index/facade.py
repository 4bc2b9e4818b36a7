"""The Index: the one object the CLI, the HTTP service and the benchmarks talk to.

    with Index.open("var/index", create=True) as index:
        report = index.ingest(read_articles(["seeds/"], index.outlets))
        result = index.search(SearchRequest(q="Kalbajar"))

Writes go through a Whoosh writer in a `with` block: committed on success,
cancelled on error, so an acknowledged write is on disk and a failed one leaves
nothing half-written.  Waiting for another writer's lock is bounded and ends in
IndexBusy.  Reads share one open searcher per Index, refreshed when another
process commits, never one searcher per request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import LockError
from whoosh.query import NullQuery

from config.settings import Settings
from index.text.aliases import Aliases, load_aliases
from index.article import Article
from index.search.catalog import EntityCatalog
from index.ingest.documents import Skipped
from index.ingest.entities import extract_entities
from index.errors import IndexBusy, NotFound
from index.ingest.outlets import Outlets, load_outlets
from index.ingest.passages import split_passages
from index.text.highlight import highlight
from index.search.related import RelatedArticle, related
from index.store.schema import ARTICLE, ENTITY_FIELDS, PASSAGE, NewsSchema
from index.store.segments import SegmentArrays, global_array, segment_key
from index.search.searching import (SearchContext, SearchRequest, SearchResult, highlight_terms, parse_query, phrase_pairs,
                             search)

log = logging.getLogger(__name__)

# Bump when parsing, passages or entities change, so re-ingesting rewrites stored articles.
PIPELINE_VERSION = "1"


@dataclass
class IngestReport:
    """What one ingest did. `skipped` lists (path, reason) for every file or line left out."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    passages: int = 0
    without_date: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    entity_seconds: float = 0.0  # of `seconds`, the time spent extracting entities
    ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.skipped)} skipped; {self.passages} passages; "
                f"{self.without_date} without a date; {self.seconds:.2f} s")


class Index:
    """A newsindex archive on disk (see the module docstring)."""

    def __init__(self, path: Path, ix, settings: Settings):
        self.path = Path(path)
        self.settings = settings
        self._ix = ix
        self._lock = threading.RLock()
        self._searcher = None
        self._catalog: tuple[int, EntityCatalog] | None = None
        self._counts: tuple[int, dict] | None = None
        self.arrays = SegmentArrays(settings.postings_cache)
        self._results: OrderedDict[tuple, SearchResult] = OrderedDict()
        self.outlets: Outlets = load_outlets(settings.outlets_file)
        self.aliases: Aliases = load_aliases(settings.aliases)

    # -- opening and closing ------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, create: bool = False, settings: Settings | None = None) -> "Index":
        """Open the index at `path` (default: settings.index_dir), creating it if asked.

        Raises FileNotFoundError when there is no index and `create` is false.
        """
        settings = settings or Settings.from_env()
        path = Path(path or settings.index_dir)
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
        return cls(path, ix, settings)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._ix.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
        """Read every segment's arrays and the entity catalog now, so that the first searches do not.

        On a million passages this is tens of seconds of reading per process; the
        service does it in a background thread as each worker starts.
        """
        started = time.perf_counter()
        searcher = self.searcher()
        self.search(SearchRequest(per_page=1))  # catalog, facet values, dates of every segment
        for fieldname in ("title", "body", "text"):
            global_array(searcher, self.arrays, "lengths", fieldname)
        log.info("index warmed in %.1f s (%d segments)", time.perf_counter() - started,
                 len(searcher.leaf_searchers()))

    def generation(self) -> int:
        """A number that changes with every commit (for caches and ETags)."""
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
        """Rank, facet and highlight; raises InvalidQuery for requests that cannot run.

        Complete results are kept in a small LRU cache until the next commit (the
        same idea as Elasticsearch's request cache): a newsroom asks the same
        searches (the front page's browse, a breaking story's name) over and over.
        """
        request.check(self.settings.max_per_page, self.settings.max_results_window)
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
        """A function that HTML-escapes text and marks the words `q` matches (for an article view)."""
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
        """The articles most similar to one article, best first (never itself). Raises NotFound."""
        return related(self.searcher(), self.arrays, article_id, limit)

    def get(self, article_id: str) -> Article:
        """The stored article. Raises NotFound."""
        stored = _stored_article(self.searcher(), article_id)
        if not stored:
            raise NotFound(f"no article with id {article_id!r}")
        return Article.from_dict(json.loads(stored["data"]))

    def facet_values(self, name: str, prefix: str = "", limit: int = 10) -> list:
        """Values of facet `name` (source, person, org, place) with a word starting with `prefix`.

        Accent- and case-insensitive; counts are articles of the whole archive,
        most frequent first (index/facet_values.py).  Raises ValueError for an unknown name.
        """
        from index.search.facet_values import facet_values
        searcher = self.searcher()
        key = (str(self.path.resolve()), searcher.reader().generation())
        return facet_values(searcher, self.catalog(searcher), self.arrays, name, prefix, limit, cache_key=key)

    def exists(self, article_id: str) -> bool:
        return _stored_article(self.searcher(), article_id) is not None

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
            "generation": searcher.reader().generation(),
            "size_bytes": size,
            "last_commit": max((p.stat().st_mtime for p in self.path.glob("*.toc")), default=None),
        }

    # -- writing --------------------------------------------------------------

    def _writer(self):
        try:
            return self._ix.writer(timeout=self.settings.write_lock_timeout, delay=0.05, limitmb=256)
        except LockError:
            raise IndexBusy(f"the index is locked by another writer (waited {self.settings.write_lock_timeout:g} s)") from None

    def prepare(self, articles: list[Article]) -> float:
        """Split passages and extract entities for a batch of parsed articles, in place.

        Returns the seconds spent extracting entities (the ingest report adds them up).
        """
        for article in articles:
            article.passages = split_passages(article.body)
        if not self.settings.entities:
            return 0.0
        started = time.perf_counter()
        extract_entities(articles, self.aliases, n_process=self.settings.ner_processes)
        return time.perf_counter() - started

    def ingest(self, items: Iterable[Article | Skipped], batch_size: int | None = None) -> IngestReport:
        """Add or replace articles, committing once per batch; Skipped items are reported.

        Re-ingesting an article with the same id replaces it (never a duplicate); one
        whose content is unchanged is left as it is.  Raises IndexBusy when the lock
        cannot be had; batches committed before that stay committed.
        """
        started = time.perf_counter()
        report = IngestReport()
        batch_size = batch_size or self.settings.ingest_batch_size
        iterator: Iterator = iter(items)
        batch = list(islice(iterator, batch_size))
        while batch:
            upcoming = list(islice(iterator, batch_size))
            articles = []
            for item in batch:
                if isinstance(item, Skipped):
                    report.skipped.append(item)
                else:
                    articles.append(item)
            # Within one batch, the last version of an id wins.
            articles = list({a.id: a for a in articles}.values())
            # Every batch is committed (and so durable), but segments are merged only
            # after the last one: merging at every commit rewrote the index over and over.
            self._write_batch(articles, report, merge=not upcoming)
            batch = upcoming
        report.seconds = time.perf_counter() - started
        return report

    def _write_batch(self, articles: list[Article], report: IngestReport, merge: bool = True) -> None:
        stored_by_id = self._stored_articles([a.id for a in articles])
        changed = []
        for article in articles:
            checksum = _checksum(article)
            stored = stored_by_id.get(article.id)
            if stored and stored.get("checksum") == checksum:
                report.unchanged += 1
                report.ids.append(article.id)
                continue
            changed.append((article, checksum, stored is not None))
        if not changed:
            return
        report.entity_seconds += self.prepare([a for a, _, _ in changed])
        if not merge:
            commit = {"merge": False}
        elif len(changed) < TINY_SEGMENT_DOCS:  # a small write (API bulk, a short ingest): no big merge
            commit = {"mergetype": merge_tiny_segments}
        else:  # the end of a bulk load: Whoosh's policy merges the load's segments
            commit = {}
        self._replace([(article, checksum) for article, checksum, _ in changed], **commit)
        for article, _, existed in changed:
            report.updated += existed
            report.added += not existed
            report.passages += len(article.passages)
            report.without_date += article.published is None
            report.ids.append(article.id)

    def _stored_articles(self, ids: list[str]) -> dict[str, dict]:
        """Stored fields of the live articles among `ids`, by id.

        Each segment's set of article ids is read once and kept (segments do not
        change), so checking a batch costs a set lookup per id and segment rather
        than a term lookup in every segment's dictionary.
        """
        found = {}
        for sub, _ in self.searcher().leaf_searchers():
            present = self.arrays.article_ids(sub.reader())
            for article_id in ids:
                if article_id in present and article_id not in found:
                    stored = _stored_article(sub, article_id)
                    if stored is not None:
                        found[article_id] = stored
        return found

    def put(self, article: Article) -> bool:
        """Create or replace one article and commit. Returns True if it was created."""
        existed = self.exists(article.id)
        self.prepare([article])
        self._replace([(article, _checksum(article))], mergetype=merge_tiny_segments)
        return not existed

    def _replace(self, articles: list[tuple[Article, str]], remove: Iterable[str] = (), **commit) -> None:
        """Write (article, checksum) pairs over any earlier version, remove the `remove` ids,
        then commit with `commit`'s options.

        All or nothing: an error before the commit cancels the writer.
        """
        writer = self._writer()
        try:
            for article_id in remove:
                writer.delete_by_term("article_id", article_id)
            for article, checksum in articles:
                writer.delete_by_term("article_id", article.id)
                for doc in _documents(article, checksum):
                    writer.add_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit(**commit)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove articles (and their passages). Returns how many existed."""
        ids = [i for i in ids if self.exists(i)]
        if ids:
            self._replace([], remove=ids, mergetype=merge_tiny_segments)
        return len(ids)


TINY_SEGMENT_DOCS = 1_000
MAX_TINY_SEGMENTS = 8


def merge_tiny_segments(writer, segments):
    """Whoosh merge policy for single writes: fold small segments together, leave big ones be.

    Whoosh's default (MERGE_SMALL) counts a bulk load's 2,000-article segments as
    small and can rewrite most of the index on one PUT (70 s on Reuters 1x); here
    a write only merges the segments of fewer than TINY_SEGMENT_DOCS documents,
    once there are more than MAX_TINY_SEGMENTS of them.
    """
    from whoosh.reading import SegmentReader

    tiny = [seg for seg in segments if seg.doc_count_all() < TINY_SEGMENT_DOCS]
    if len(tiny) <= MAX_TINY_SEGMENTS:
        return segments
    for seg in tiny:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg.doc_count_all() >= TINY_SEGMENT_DOCS]


def _stored_article(searcher, article_id: str) -> dict | None:
    """The stored fields of an article, or None.

    Looked up by `doc_id` alone (one term): adding `kind=article` to the lookup
    would intersect with the posting list of every article in the index.
    """
    stored = searcher.document(doc_id=article_id)
    return stored if stored and stored.get("kind") == ARTICLE else None


def _checksum(article: Article) -> str:
    fields = [PIPELINE_VERSION, article.title, article.body, article.source, article.published,
              article.url, article.byline, article.summary]
    return hashlib.sha1(json.dumps(fields, default=str).encode("utf-8")).hexdigest()


def _safe(value: str) -> str:
    return value.replace(",", " ").replace("=", " ")


def _documents(article: Article, checksum: str) -> Iterator[dict]:
    """The Whoosh documents of one article: the article itself, then its passages."""
    month = article.published.strftime("%Y-%m") if article.published else None
    common = {"article_id": article.id, "source": article.source or None, "source_text": article.source or None,
              "published": article.published, "month": month, "dated": "1" if article.published else "0"}
    common = {k: v for k, v in common.items() if v is not None}
    by_type = {t: [e.key for e in article.entities if e.type == t] for t in ENTITY_FIELDS}
    forms = [f"{_safe(e.key)}={_safe(e.name)}" for e in article.entities]
    yield dict(
        common, kind=ARTICLE, doc_id=article.id, title=article.title, body=article.body,
        byline=article.byline or "", checksum=checksum,
        data=json.dumps(article.to_dict(), ensure_ascii=False),
        entity_forms=",".join(forms),
        **{t: ",".join(_safe(k) for k in keys) for t, keys in by_type.items()},
    )
    for passage in article.passages:
        in_passage = {t: ",".join(_safe(e.key) for e in article.entities if e.type == t and passage.position in e.passages)
                      for t in ENTITY_FIELDS}
        yield dict(common, kind=PASSAGE, doc_id=f"{article.id}#{passage.position}", text=passage.text,
                   position=passage.position, **in_passage)
