"""Writing to the Whoosh index: articles -> Whoosh documents, one commit per call, durable on return.

Each article becomes one *article* document (title, body, metadata, its JSON)
and one *passage* document per passage (index/store/schema.py).  A write runs
in a Whoosh writer: committed on success, cancelled on any error, so a call
either lands whole or leaves nothing.  After the commit the files it wrote and
the directory are fsynced: an acknowledged write survives a crash or power
loss.  Waiting for another writer's lock is bounded and ends in IndexBusy.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from whoosh.index import LockError

from index.article import Article
from index.errors import IndexBusy
from index.ingest.evidence import entity_evidence
from index.store.schema import ARTICLE, ENTITY_FIELDS, PASSAGE

TINY_SEGMENT_DOCS = 1_000
MAX_TINY_SEGMENTS = 8


def open_writer(ix, timeout: float):
    """A Whoosh writer, waiting at most `timeout` seconds for the lock. Raises IndexBusy."""
    try:
        return ix.writer(timeout=timeout, delay=0.05, limitmb=256)
    except LockError:
        raise IndexBusy(f"the index is locked by another writer (waited {timeout:g} s)") from None


def replace(ix, path: Path, timeout: float, articles: Sequence[tuple[Article, str]], remove: Iterable[str] = (),
            **commit) -> None:
    """Write (article, checksum) pairs over any earlier version, remove the `remove` ids, commit, fsync.

    All or nothing: an error before the commit cancels the writer.
    """
    started = time.time()
    writer = open_writer(ix, timeout)
    try:
        for article_id in remove:
            writer.delete_by_term("article_id", article_id)
        for article, checksum in articles:
            writer.delete_by_term("article_id", article.id)
            for doc in documents(article, checksum):
                writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit(**commit)
    sync_directory(path, since=started)


def sync_directory(path: Path, since: float) -> None:
    """fsync the files written since `since`, then the directory, so a commit survives power loss."""
    for entry in os.scandir(path):
        try:
            if entry.is_file() and entry.stat().st_mtime >= since - 1:
                fd = os.open(entry.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        except FileNotFoundError:  # a merge removed it meanwhile
            continue
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def stored_article(searcher, article_id: str) -> dict | None:
    """The stored fields of an article, or None.

    Looked up by `doc_id` alone (one term): adding `kind=article` to the lookup
    would intersect with the posting list of every article in the index.
    """
    stored = searcher.document(doc_id=article_id)
    return stored if stored and stored.get("kind") == ARTICLE else None


def _safe(value: str) -> str:
    return value.replace(",", " ").replace("=", " ")


def documents(article: Article, checksum: str) -> Iterator[dict]:
    """The Whoosh documents of one article: the article itself, then its passages."""
    month = article.published.strftime("%Y-%m") if article.published else None
    common = {"article_id": article.id, "source": article.source or None, "source_text": article.source or None,
              "published": article.published, "month": month, "dated": "1" if article.published else "0"}
    common = {k: v for k, v in common.items() if v is not None}
    by_type = {t: [e.key for e in article.entities if e.type == t] for t in ENTITY_FIELDS}
    yield dict(
        common, kind=ARTICLE, doc_id=article.id, title=article.title, body=article.body,
        byline=article.byline or "", checksum=checksum,
        data=json.dumps(article.to_dict(), ensure_ascii=False),
        entity_forms=",".join(entity_evidence(article)),  # names, merged variants, contexts
        **{t: ",".join(_safe(k) for k in keys) for t, keys in by_type.items()},
    )
    for passage in article.passages:
        in_passage = {t: ",".join(_safe(e.key) for e in article.entities if e.type == t and passage.position in e.passages)
                      for t in ENTITY_FIELDS}
        yield dict(common, kind=PASSAGE, doc_id=f"{article.id}#{passage.position}", text=passage.text,
                   position=passage.position, **in_passage)
