"""Enrichment: an article is searchable by its words as soon as it is committed; its entities follow.

Entity extraction is most of the cost of ingesting news (a neural model over
every passage), so with NEWSINDEX_ENRICH=background an ingest writes articles
without entities, marked pending, at the entities-off rate, and an enricher
extracts them afterwards: a batch of pending articles is read, run through the
model on every core (index/ingest/entities.py), and written again with their
entities, unless an article changed meanwhile (then it is left for its new
version's turn).  One enricher runs per index (an OS file lock), as a
background process that writes start:

    python -m index.enrichment INDEX_DIR      (or `newsindex enrich --wait`)

The ingest report, `newsindex stats` and /metrics say how many are pending.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from index.errors import Stale
from index.ingest.entities import extract_entities

log = logging.getLogger(__name__)

BATCH = 256  # articles extracted and written per commit
LOCK_NAME = "ENRICHLOCK"


def enrich_pending(index, batch: int = BATCH, progress: Callable[[int, int], None] | None = None) -> int:
    """Extract entities of pending articles until none is left; returns how many were enriched."""
    backend, settings = index.backend, index.settings
    done = 0
    while True:
        pending = dict(backend.pending(batch))
        if not pending:
            return done
        articles = [a for a in (backend.get(article_id) for article_id in pending) if a is not None]
        started = time.perf_counter()
        extract_entities(articles, index.aliases, n_process=settings.ner_processes)
        for article in articles:
            article.enriched = True
        done += _write(backend, articles, pending)
        log.info("enriched %d articles in %.1f s", len(articles), time.perf_counter() - started)
        if progress is not None:
            progress(done, backend.stats().get("pending", 0))


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
    with open(Path(path) / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        fcntl.flock(handle, fcntl.LOCK_UN)
    env = {**os.environ, **env, "NEWSINDEX_INDEX_DIR": str(path)}
    subprocess.Popen([sys.executable, "-m", "index.enrichment", str(path)], start_new_session=True, env=env,
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(path: str) -> int:
    from config.settings import Settings
    from index.facade import Index

    logging.basicConfig(level=logging.INFO, format="%(asctime)s enricher %(message)s")
    with open(Path(path) / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # another enricher is at work
        with Index.open(path, settings=Settings.from_env(index_dir=Path(path))) as index:
            enrich_pending(index)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
