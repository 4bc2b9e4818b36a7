"""The Index: the one object the CLI, the HTTP service and the benchmarks talk to.

    with Index.open("var/index", create=True) as index:
        report = index.ingest(read_articles(["seeds/"], index.outlets))
        result = index.search(SearchRequest(q="Kalbajar"))

The facade owns what understands articles (index/ingest/pipeline.py: passages,
entities, checksums) and hands finished articles to its backend, which stores
and searches them (index/backend.py): Whoosh on this disk by default.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Callable, Iterable, Iterator

from config.settings import Settings
from index import enrichment
from index.article import Article
from index.backend import Backend
from index.errors import NotFound
from index.ingest.documents import Skipped
from index.ingest.outlets import Outlets, load_outlets
from index.ingest.families import assign_families, load as load_families
from index.ingest.pipeline import checksum, prepare
from index.query import FacetValue, RelatedArticle, SearchRequest, SearchResult
from index.text.aliases import Aliases, load_aliases
from index.text.highlight import Highlighter


@dataclass
class IngestReport:
    """What one ingest did. `skipped` lists (path, reason) for every file or line left out."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    passages: int = 0
    without_date: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "origin: what was dropped" (a non-http url, a date)
    seconds: float = 0.0
    entity_seconds: float = 0.0  # of `seconds`, the time spent extracting entities
    ids: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # id -> "added", "updated" or "unchanged"
    entities_pending: int = 0  # articles of the index whose entities the enricher has still to extract

    def add(self, other: "IngestReport") -> None:
        """Fold one batch's report into this one."""
        for name in ("added", "updated", "unchanged", "passages", "without_date", "entity_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.skipped += other.skipped
        self.ids += other.ids
        self.outcomes.update(other.outcomes)

    def summary(self) -> str:
        pending = f"; entities pending for {self.entities_pending}" if self.entities_pending else ""
        return (f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.skipped)} skipped; {self.passages} passages; "
                f"{self.without_date} without a date; {self.seconds:.2f} s{pending}")


class Index:
    """A newsindex archive (see the module docstring)."""

    def __init__(self, path: Path, backend: Backend, settings: Settings, outlets: Outlets, aliases: Aliases):
        self.path = Path(path)
        self.settings = settings
        self.backend = backend
        self.outlets = outlets
        self.aliases = aliases

    @classmethod
    def open(cls, path: str | Path | None = None, create: bool = False, settings: Settings | None = None) -> "Index":
        """Open the archive at `path` (default: settings.index_dir), creating it if asked.

        The backend is settings.backend: "whoosh" keeps the index in `path`;
        "opensearch" keeps it in the cluster at settings.opensearch_url, in the
        indexes named by settings.opensearch_prefix (`path` is then unused).
        Raises FileNotFoundError when there is no index and `create` is false.
        """
        settings = settings or Settings.from_env()
        path = Path(path or settings.index_dir)
        aliases = load_aliases(settings.aliases)
        if settings.backend == "opensearch":
            from index.backends.opensearch import OpenSearchBackend
            backend = OpenSearchBackend.open(settings, aliases, create=create)
        else:
            from index.backends.whoosh import WhooshBackend
            backend = WhooshBackend.open(path, settings, aliases, create=create)
        return cls(path, backend, settings, load_outlets(settings.outlets_file), aliases)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "Index":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- reading --------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        """Rank, facet and highlight; raises InvalidQuery for requests that cannot run."""
        request.check(self.settings.max_per_page, self.settings.max_results_window)
        return self.backend.search(request)

    def get(self, article_id: str) -> Article:
        """The stored article, its entities keyed, named and typed as the whole archive knows them. Raises NotFound."""
        article = self.backend.get(article_id)
        if article is None:
            raise NotFound(f"no article with id {article_id!r}")
        article.entities = self.backend.catalog().canonical_entities(article.entities)
        return article

    def entity(self, name: str) -> dict | None:
        """The entity known by `name` (any spelling): canonical name, key and type, and every
        variant joined into it with the reason (index/search/catalog.py). None if unknown."""
        return self.backend.catalog().explain(name)

    def exists(self, article_id: str) -> bool:
        return self.backend.get(article_id) is not None

    def facet_values(self, name: str, prefix: str = "", limit: int = 10) -> list[FacetValue]:
        """Values of facet `name` (source, person, org, place) with a word starting with `prefix`.

        Accent- and case-insensitive; counts are articles of the whole archive,
        most frequent first.  Raises ValueError for an unknown name.
        """
        return self.backend.facet_values(name, prefix, limit)

    def related(self, article_id: str, limit: int = 5) -> list[RelatedArticle]:
        """The articles most similar to one article, best first (never itself). Raises NotFound."""
        return self.backend.related(article_id, limit)

    def highlighter(self, q: str) -> Highlighter:
        """What `q` marks, for an article view: call it on a text (HTML-escaped, marked), or `.passages(texts)`
        on the article's passages in order (a quote across a paragraph break marked too)."""
        return self.backend.highlighter(q)

    def generation(self) -> int:
        """A number that changes with every commit (for caches and ETags)."""
        return self.backend.generation()

    def optimize(self, segments: int = 1) -> int:
        """Merge the index down to at most `segments` segments: searches get faster after a bulk
        import (fewer segments to visit); writes and searches go on meanwhile.  Returns the merges made."""
        return self.backend.optimize(segments)

    def stats(self) -> dict:
        return self.backend.stats()

    def identity(self) -> str:
        """What tells this archive from another once kept in the same place (for ETags).

        The Whoosh index directory's inode; a backend with no directory says its own (OpenSearch: the index uuid).
        """
        own = getattr(self.backend, "identity", None)
        return own() if own else str(self.path.stat().st_ino)

    def warm(self, follow: bool = False) -> None:
        """Read what the first searches would otherwise read (workers do it in the background as they start).

        `follow`: from now on, do the same for each new generation before searches read it; until
        then they read the one before, for at most a fraction of a second (a served worker).

        What the process holds by then (the gazetteer, catalogs, modules: ~80,000 objects) lives as long
        as it does, so it is frozen out of Python's cyclic collector: a full pass over it took 12-20 ms,
        now and then in the middle of a search.  Frozen objects are still freed when no longer referenced.
        """
        self.backend.warm(follow)
        load_families()  # the first write's story-family signature: 0.4 s of import, paid here
        gc.freeze()

    # -- writing --------------------------------------------------------------

    def ingest(self, items: Iterable[Article | Skipped], batch_size: int | None = None,
               processes: int = 1, on_batch: Callable[["IngestReport"], None] | None = None) -> IngestReport:
        """Add or replace articles, committing once per batch; Skipped items are reported.

        Re-ingesting an article with the same id replaces it (never a duplicate); one
        whose content is unchanged is left as it is; `outcomes` says which of the
        three happened to each id.  Raises IndexBusy when the lock cannot be had;
        batches committed before that stay committed.  `processes` write a large
        batch's segments in parallel (the CLI's bulk ingest).  `on_batch` is called
        with each batch's own report once it is committed (progress, crash-safe ids).
        """
        started = time.perf_counter()
        report = IngestReport()
        batch_size = batch_size or self.settings.ingest_batch_size
        iterator: Iterator = iter(items)
        batch = list(islice(iterator, batch_size))
        while batch:
            upcoming = list(islice(iterator, batch_size))
            batch_report = IngestReport()
            articles = []
            for item in batch:
                if isinstance(item, Skipped):
                    batch_report.skipped.append(item)
                else:
                    articles.append(item)
                    report.warnings += [f"{item.origin or item.id}: {w}" for w in item.warnings]
            # Within one batch, the last version of an id wins.
            articles = list({a.id: a for a in articles}.values())
            self._write_batch(articles, batch_report, processes)
            report.add(batch_report)
            if on_batch is not None:
                on_batch(batch_report)
            batch = upcoming
        if report.added or report.updated:
            self._after_write()
        report.entities_pending = self.stats().get("pending", 0)
        report.seconds = time.perf_counter() - started
        return report

    def _write_batch(self, articles: list[Article], report: IngestReport, processes: int = 1) -> None:
        stored = self.backend.checksums([a.id for a in articles])
        changed = []
        for article in articles:
            sum_ = checksum(article)
            if stored.get(article.id) == sum_:
                report.unchanged += 1
                report.ids.append(article.id)
                report.outcomes[article.id] = "unchanged"
                continue
            self._keep_first_seen(article, article.id in stored)
            changed.append((article, sum_, article.id in stored))
        if not changed:
            return
        report.entity_seconds += self._prepare([a for a, _, _ in changed])
        existing = self.backend.write([a for a, _, _ in changed], [s for _, s, _ in changed], processes=processes)
        for article, _, _ in changed:
            existed = article.id in existing
            report.updated += existed
            report.added += not existed
            report.passages += len(article.passages)
            report.without_date += article.published is None
            report.ids.append(article.id)
            report.outcomes[article.id] = "updated" if existed else "added"

    def _keep_first_seen(self, article: Article, exists: bool) -> None:
        """Stamp a new article with the time it is first stored; an update keeps the stored stamp."""
        previous = self.backend.get(article.id) if exists else None
        if previous is not None:
            article.first_seen = previous.first_seen  # None for articles stored before stamps existed
        else:
            article.first_seen = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)

    def _prepare(self, articles: list[Article]) -> float:
        """Passages and story families now; entities and passage vectors now (NEWSINDEX_ENRICH=inline) or
        later, by the enricher."""
        s = self.settings
        later = s.entities and s.enrich == "background"
        for article in articles:
            article.enriched = not later
        seconds = prepare(articles, self.aliases, entities=s.entities and not later, ner_processes=s.ner_processes)
        assign_families(articles, self.backend.family_candidates, threshold=s.family_threshold)
        if s.semantic and s.enrich != "background" and enrichment.embeddings_installed():
            seconds += enrichment.embed_articles(articles, threads=s.embedding_threads)
        return seconds

    def _enriched_later(self) -> bool:
        """Do entities or vectors come from the background enricher (not before a write returns)?"""
        s = self.settings
        return s.enrich == "background" and (s.entities or s.semantic)

    def _after_write(self) -> None:
        if self._enriched_later():
            enrichment.start_background(self.path, self.settings.as_env())

    def put(self, article: Article) -> bool:
        """Create or replace one article and commit. Returns True if it was created (decided under the lock)."""
        self._keep_first_seen(article, self.exists(article.id))
        self._prepare([article])
        created = article.id not in self.backend.write([article], [checksum(article)])
        self._after_write()
        return created

    def resume_enrichment(self) -> bool:
        """Start the background enricher when articles wait for it; returns whether any do.

        An enricher runs after writes and exits when nothing is left, so one stopped midway (a crash,
        a reboot, a kill) would leave its articles without entities or vectors until the next write:
        a server calls this as each worker starts (one enricher at a time: its lock)."""
        if not self._enriched_later():
            return False
        stats = self.backend.stats()
        waiting = stats.get("pending", 0) or (self.settings.semantic and stats.get("unembedded", 0))
        if waiting:
            enrichment.start_background(self.path, self.settings.as_env())
        return bool(waiting)

    def enrich(self) -> int:
        """Extract the entities of every pending article now, in this process; returns how many."""
        return enrichment.enrich_pending(self)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove articles (and their passages). Returns how many existed."""
        return self.backend.delete(ids)

    def remove(self, ids: Iterable[str]) -> set[str]:
        """Remove articles in one commit; returns the ids that existed (decided under the write lock)."""
        live = list(self.backend.checksums(list(dict.fromkeys(ids))))  # unknown ids alone make no commit
        if not live:
            return set()
        return set(self.backend.write([], [], remove=live))
