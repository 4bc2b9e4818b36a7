"""Related articles: other seed articles, best first, never the article itself."""

import pytest

from index import NotFound, SearchRequest

from conftest import BOTH

pytestmark = BOTH


def test_related_are_other_seed_articles(seed_index):
    ids = {h.id for h in seed_index.search(SearchRequest(per_page=100, facets=False)).hits}
    for article_id in ids:
        related = seed_index.related(article_id, limit=3)
        assert related, article_id
        assert all(r.id in ids and r.id != article_id for r in related)
        assert [r.score for r in related] == sorted((r.score for r in related), reverse=True)


def test_related_of_unknown_article(seed_index):
    with pytest.raises(NotFound):
        seed_index.related("nope")


def test_related_endpoint(client, seed_index):
    article_id = seed_index.search(SearchRequest(q="Kalbajar")).hits[0].id
    body = client.get(f"/api/v1/articles/{article_id}/related?limit=2").get_json()
    assert body["id"] == article_id
    assert 1 <= len(body["related"]) <= 2
    assert all(r["id"] != article_id and r["title"] for r in body["related"])
    assert client.get("/api/v1/articles/nope/related").status_code == 404
    assert client.get(f"/api/v1/articles/{article_id}/related?limit=0").status_code == 400
