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


def test_related_leave_out_the_story_s_own_versions_and_show_each_other_story_once(tmp_path, backend):
    """Versions of one story (a wire's story filed again) are not related articles of each other, and a
    story with two versions is one related article, not two."""
    from conftest import make_settings
    from index import Index, article_from_record
    opec = ("Kuwait said OPEC output was 2.4 mln bpd below its ceiling in March, oil minister Sheikh Ali "
            "al-Khalifa al-Sabah told reporters in Kuwait City on Sunday, adding that the group would meet in June.")
    saudi = ("Saudi Arabia kept its OPEC output below its quota in March, oil minister Hisham Nazer told reporters "
             "in Riyadh, adding that OPEC prices held near the 18 dlr reference in the group's ceiling talks.")
    records = [("k1", "KUWAIT SAYS OPEC OUTPUT BELOW CEILING", opec),
               ("k2", "KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING", opec + " Prices were steady."),
               ("s1", "SAUDI OPEC OUTPUT BELOW QUOTA", saudi),
               ("s2", "SAUDI ARABIA OPEC OUTPUT BELOW QUOTA", saudi + " Dealers were calm."),
               ("c1", "COCOA STOCKS RISE", "Cocoa stocks rose in London, dealers said, as OPEC oil prices fell.")]
    settings = make_settings(tmp_path / "index", backend=backend, entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": i, "title": t, "body": b, "date": "1987-03-08"}, index.outlets)
                      for i, t, b in records])
        assert index.get("k1").family == index.get("k2").family and index.get("s1").family == index.get("s2").family
        related = [r.id for r in index.related("k1", limit=5)]
        assert "k2" not in related  # its own story's other version
        assert len({"s1", "s2"} & set(related)) == 1  # the Saudi story once
        assert "c1" in related
