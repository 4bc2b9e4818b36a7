"""Searchable first, enriched after: with NEWSINDEX_ENRICH=background an article is found by its
words as soon as the write returns, and gets its entities from the enricher afterwards."""

from __future__ import annotations

from conftest import BOTH, make_settings, wait_until
from index import Index, SearchRequest, article_from_record

pytestmark = BOTH

TEXT = {"id": "k1", "title": "Talks in Kalbajar",
        "body": "President Ilham Aliyev met Vladimir Putin in Moscow on Tuesday to discuss Kalbajar."}


def test_an_article_is_searchable_before_its_entities_and_gets_them_after(tmp_path):
    settings = make_settings(tmp_path / "index", enrich="background")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        report = index.ingest([article_from_record(TEXT, index.outlets)])
        assert report.added == 1
        found = index.search(SearchRequest(q="Kalbajar"))
        assert found.total == 1  # by its words, at once
        # the enricher process loads the model, then writes
        wait_until(lambda: not index.stats()["pending"], 180, "the enricher never extracted the pending article")
        people = {e.name for e in index.get("k1").entities if e.type == "person"}
        assert {"Ilham Aliyev", "Vladimir Putin"} <= people
        assert index.search(SearchRequest(person=["Vladimir Putin"])).total == 1


def test_an_article_changed_while_enriched_keeps_its_new_version(tmp_path):
    settings = make_settings(tmp_path / "index", enrich="background", entities=True)
    index = Index.open(settings.index_dir, create=True, settings=settings.replace(entities=False))
    index.ingest([article_from_record(TEXT, index.outlets)])
    index.close()
    # Mark it pending by hand, as a background ingest would, then change it before the enricher writes.
    with Index.open(settings.index_dir, settings=settings.replace(enrich="inline")) as index:
        article = index.backend.get("k1")
        article.enriched = False
        from index.ingest.pipeline import checksum
        index.backend.write([article], [checksum(article)])
        pending = dict(index.backend.pending(10))
        assert list(pending) == ["k1"]
        index.put(article_from_record(dict(TEXT, body=TEXT["body"] + " A new paragraph."), index.outlets))
        from index.enrichment import _write
        stale = index.backend.get("k1")
        stale.body = "the version the enricher read"
        assert _write(index.backend, [stale], pending) == 0  # refused: the article changed meanwhile
        assert "A new paragraph." in index.get("k1").body


def test_a_server_started_over_waiting_articles_enriches_them(tmp_path):
    """An enricher stopped midway (a crash, a reboot) leaves articles pending; no write may come to
    start another, so a starting worker does."""
    from service.app import create_app
    from service.archive import warm_in_background

    settings = make_settings(tmp_path / "index", enrich="background", entities=True, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings.replace(entities=False)) as index:
        index.ingest([article_from_record(TEXT, index.outlets)])
        from index.ingest.pipeline import checksum
        article = index.backend.get("k1")
        article.enriched = False  # as a background ingest leaves it, written without starting an enricher
        index.backend.write([article], [checksum(article)])
        assert index.stats()["pending"] == 1
    app = create_app(settings)
    warm_in_background(app).join(60)
    with app.app_context():
        from service.archive import get_index
        index = get_index()
        # the enricher process loads the model, then writes
        wait_until(lambda: not index.stats()["pending"], 180, "the enricher never extracted the pending article")
        assert {"Ilham Aliyev", "Vladimir Putin"} <= {e.name for e in index.get("k1").entities if e.type == "person"}
