"""One searcher per worker: reused across requests, replaced only after a commit it cannot see."""

from __future__ import annotations

import pytest

from conftest import BOTH, make_settings
from index import Article, Index, SearchRequest

pytestmark = BOTH

TEGH = Article(id="tegh-1", title="Ceasefire holds in Tegh corridor",
               body="Peacekeepers said the Tegh corridor stayed open on Monday.")


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_the_searcher_is_reused_across_searches(seed_index):
    first = seed_index.backend.searcher()
    seed_index.search(SearchRequest(q="Kalbajar"))
    seed_index.search(SearchRequest(q="ceasefire", sort="newest"))
    seed_index.search(SearchRequest())
    assert seed_index.backend.searcher() is first


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_a_write_by_another_writer_is_seen_by_the_open_searcher(seed_copy):
    settings = make_settings(seed_copy, entities=False)
    with Index.open(seed_copy, settings=settings) as reader, Index.open(seed_copy, settings=settings) as writer:
        before = reader.backend.searcher()
        assert reader.search(SearchRequest(q="Tegh")).total == 0
        writer.put(TEGH)  # another worker (another Index) commits after the searcher was opened
        assert [hit.id for hit in reader.search(SearchRequest(q="Tegh")).hits] == ["tegh-1"]
        after = reader.backend.searcher()
        assert after is not before
        reader.search(SearchRequest(q="corridor"))
        assert reader.backend.searcher() is after  # and the new one is kept in turn


def test_a_deletion_by_another_writer_is_seen(seed_copy):
    settings = make_settings(seed_copy, entities=False)
    with Index.open(seed_copy, settings=settings) as reader, Index.open(seed_copy, settings=settings) as writer:
        hit = reader.search(SearchRequest(q="Kalbajar")).hits[0]
        writer.delete([hit.id])
        assert hit.id not in {h.id for h in reader.search(SearchRequest(q="Kalbajar")).hits}


@pytest.fixture
def app_and_index(seed_copy):
    from service.app import create_app
    from service.archive import get_index
    app = create_app(make_settings(seed_copy, entities=False))
    with app.app_context():
        index = get_index()
    return app, index


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_the_app_keeps_one_searcher_across_requests(app_and_index):
    app, index = app_and_index
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "Kalbajar"}).status_code == 200
    searcher = index.backend.searcher()
    for q in ("ceasefire", "Erdogan", "", "\"joint centre\""):
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200
    assert client.get("/").status_code == 200
    assert index.backend.searcher() is searcher


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_the_app_sees_a_write_made_after_its_searcher_was_opened(app_and_index, seed_copy):
    app, index = app_and_index
    client = app.test_client()
    assert client.get("/api/v1/search", query_string={"q": "Tegh"}).get_json()["total"] == 0
    opened = index.backend.searcher()
    with Index.open(seed_copy, settings=make_settings(seed_copy, entities=False)) as other_worker:
        other_worker.put(TEGH)
    body = client.get("/api/v1/search", query_string={"q": "Tegh"}).get_json()
    assert [hit["id"] for hit in body["results"]] == ["tegh-1"]
    assert index.backend.searcher() is not opened


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_a_search_under_way_keeps_its_searcher_when_another_worker_commits(seed_copy):
    """The soak found this: a commit between two lookups of the shared searcher closed the one in use (500)."""
    from index.search.searching import search
    settings = make_settings(seed_copy, entities=False)
    with Index.open(seed_copy, settings=settings) as reader, Index.open(seed_copy, settings=settings) as writer:
        under_way = reader.backend.context()  # a search has taken the searcher and catalog
        writer.put(TEGH)
        assert reader.backend.searcher() is not under_way.searcher  # the next lookup replaces the shared one...
        assert search(SearchRequest(q="Kalbajar"), under_way).total == 2  # ...and the old one still reads
        assert reader.search(SearchRequest(q="Tegh")).total == 1


@pytest.mark.whoosh_only  # Whoosh searchers and arrays
def test_warming_reads_the_arrays_a_first_search_would(seed_copy):
    settings = make_settings(seed_copy, entities=False)
    with Index.open(seed_copy, settings=settings) as index:
        assert index.backend.arrays.stats()["arrays"] == 0
        index.warm()
        warmed = index.backend.arrays.stats()["arrays"]
        searcher = index.backend.searcher()
        assert warmed > 0 and index.backend._catalog is not None
        assert index.search(SearchRequest(q="Kalbajar")).total == 2
        assert index.backend.searcher() is searcher  # warming used the worker's one searcher

