"""Enrichment: an article is searchable by its words as soon as it is committed; entities and vectors follow.

Entity extraction and passage embeddings are most of the cost of ingesting news
(neural models over every passage), so with NEWSINDEX_ENRICH=background an ingest
writes articles without them, at the plain rate, and an enricher adds them
afterwards: a batch of waiting articles is read, their entities extracted
(index/ingest/entities.py; articles marked pending) and they are written again;
then, with NEWSINDEX_SEMANTIC on, the passages of every article that has no vectors
yet are embedded (index/text/embeddings.py, "title. passage" each, int8 with a
scale; whatever NEWSINDEX_ENTITIES says) and written again, unless an article changed
meanwhile (then it is left for its new version's turn).  Until its vectors are
written an article is found by its words only (index/search/semantic.py).  One
enricher runs per index (an OS file lock), as a background process that writes start:

    python -m index.enrichment INDEX_DIR      (or `newsindex enrich --wait`)

The ingest report, `newsindex stats` and /metrics say how many are pending.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Callable

from index import processes
from index.errors import Stale
from index.ingest.entities import extract_entities

log = logging.getLogger(__name__)

BATCH = 256  # articles extracted and written per commit
LOCK_NAME = "ENRICHLOCK"


def enrich_pending(index, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
    """Extract entities, then embed passages, of waiting articles until none is left; returns the rewrites.

    Entities go first over the whole backlog: NER costs a fraction of the sentence model,
    so facets are complete long before the vectors (an article's vectors are written in
    the second pass, with the entities it has by then).
    """
    backend, settings = index.backend, index.settings
    vectors = settings.semantic and embeddings_installed()
    done = 0
    for embedding in (False, True) if vectors else (False,):
        extracted = 0
        while True:
            pending = dict(backend.pending(batch, embedding))
            if not pending:
                break
            articles = [a for a in (backend.get(article_id) for article_id in pending) if a is not None]
            started = time.perf_counter()
            waiting = [a for a in articles if not a.enriched]
            extracted += len(waiting)
            if waiting:
                extract_entities(waiting, index.aliases, n_process=settings.ner_processes)
            for article in articles:
                article.enriched = True
            if embedding:  # a rewrite without them would lose them: every article of the batch is embedded
                embed_articles(articles, threads=settings.embedding_threads)
            done += _write(backend, articles, pending)
            log.info("enriched %d articles in %.1f s%s", len(articles), time.perf_counter() - started,
                     " (vectors)" if embedding else "")
            if progress is not None:
                stats = backend.stats()
                progress(done, max(stats.get("pending", 0), stats.get("unembedded", 0) if vectors else 0))
        if extracted:
            # The entity catalog of what was just extracted, made here (before the long vector pass, and after it
            # when articles written meanwhile had their entities extracted in it), so a worker started next reads
            # it instead of building it on its first search (seconds at Reuters 1x, cut short by its time limit).
            backend.share_catalog()
    return done


def embeddings_installed() -> bool:
    """Can the sentence model be loaded here? (Without it nothing is embedded and search stays lexical.)"""
    from index.text import embeddings
    try:
        embeddings.encoder().graph()  # the passages' graph: what embedding them needs
    except embeddings.EmbeddingsUnavailable as exc:
        log.warning("%s; passages are not embedded", exc)
        return False
    return True


def embed_articles(articles: list, threads: int = 1) -> float:
    """Set `article.vectors` = (int8 codes, float32 scales), one row per passage; returns the seconds taken.

    Each passage is embedded as "title. passage" (embeddings.passage_text), so a passage that
    never names its subject still carries it; index/store/building.py stores them by passage.
    """
    from index.text import embeddings

    started = time.perf_counter()
    texts = [embeddings.passage_text(a.title, p.text) for a in articles for p in a.passages]
    codes, scales = embeddings.quantise(embeddings.encode(texts, threads=threads)) if texts else (None, None)
    at = 0
    for article in articles:
        count = len(article.passages)
        article.vectors = (codes[at:at + count], scales[at:at + count]) if count else None
        at += count
    return time.perf_counter() - started


def _write(backend, articles: list, expected: dict[str, str]) -> int:
    """Write the enriched articles over the versions they were read from; skip any that changed since."""
    while articles:
        expect = {a.id: expected[a.id] for a in articles}
        try:
            backend.write(articles, [expected[a.id] for a in articles], expect=expect)
            return len(articles)
        except Stale as exc:
            changed = set(exc.ids)
            articles = [a for a in articles if a.id not in changed]
    return 0


def start_background(path: Path, env: dict[str, str]) -> None:
    """Start an enricher process for this index unless one is running (it exits when nothing is pending).

    `env` carries the index's settings (Settings.as_env()), so the enricher reads the same alias file.
    """
    processes.start("index.enrichment", path, LOCK_NAME, env={**env, "NEWSINDEX_INDEX_DIR": str(path)})


def main(path: str) -> int:
    from config.settings import Settings
    from index.facade import Index

    with processes.running_alone(Path(path), LOCK_NAME, "enricher") as mine:
        if not mine:
            return 0  # another enricher is at work
        with Index.open(path, settings=Settings.from_env(index_dir=Path(path))) as index:
            enrich_pending(index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
