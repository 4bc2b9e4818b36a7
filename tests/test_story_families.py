"""Story families through the real index: copies of one story are one result with its versions."""

from __future__ import annotations

from conftest import BOTH, make_settings
from index import Index, SearchRequest, article_from_record

pytestmark = BOTH

STORY = ("Kuwait said OPEC output was 2.4 mln bpd below its ceiling in March, oil minister Sheikh Ali "
         "al-Khalifa al-Sabah told reporters in Kuwait City on Sunday, adding that the group would meet in June.")


def test_three_copies_of_a_story_are_one_result_with_three_versions(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": "a", "title": "KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING",
                                           "body": STORY, "date": "1987-03-08T10:00:00"}, index.outlets)])
        # Two more versions in a later batch: found through the band keys the store indexes.
        index.ingest([article_from_record({"id": "b", "title": "KUWAIT SAYS OPEC 2.4 MLN BPD BELOW CEILING",
                                           "body": STORY, "date": "1987-03-08T11:00:00"}, index.outlets),
                      article_from_record({"id": "c", "title": "KUWAIT SAYS OPEC OUTPUT BELOW CEILING",
                                           "body": STORY + " Prices were steady.", "date": "1987-03-08T12:00:00"},
                                          index.outlets),
                      article_from_record({"id": "d", "title": "COCOA STOCKS RISE",
                                           "body": "Cocoa stocks rose in London.", "date": "1987-03-08T12:00:00"},
                                          index.outlets)])
        families = {i: index.get(i).family for i in "abcd"}
        assert families["a"] == families["b"] == families["c"] != families["d"]
        collapsed = index.search(SearchRequest(q="kuwait opec ceiling"))
        assert collapsed.total == 3 and len(collapsed.hits) == 1 and collapsed.stories == 1
        assert collapsed.hits[0].versions == 3 and collapsed.hits[0].family == families["a"]
        every = index.search(SearchRequest(q="kuwait opec ceiling", collapse=False))
        assert sorted(h.id for h in every.hits) == ["a", "b", "c"]
        versions = index.search(SearchRequest(family=[families["a"]], collapse=False))
        assert sorted(h.id for h in versions.hits) == ["a", "b", "c"]
    # The JSON API says so too: a tool reads a hit's family and versions, and asks for the versions.
    from service.app import create_app
    client = create_app(settings).test_client()
    answer = client.get("/api/v1/search?q=kuwait+opec+ceiling").get_json()
    assert (answer["total"], answer["total_all_words"], answer["stories"], answer["pages"]) == (3, 3, 1, 1)
    every = client.get("/api/v1/search?q=kuwait+opec+ceiling&collapse=false&match=any").get_json()
    assert (every["total"], every["stories"]) == (3, 3)
    assert client.get("/api/v1/search?source=Reuters").get_json()["total_all_words"] is None  # no words asked
    hit = answer["results"][0]
    assert hit["family"] == families["a"] and hit["versions"] == 3 and hit["tags"] == {}
    listed = client.get(f"/api/v1/search?family={hit['family']}&collapse=false").get_json()["results"]
    assert sorted(h["id"] for h in listed) == ["a", "b", "c"]
    stored = client.get("/api/v1/articles/c").get_json()  # and one article names its story, as its page does
    assert stored["family"] == families["a"] and stored["tags"] == {}


def test_a_story_with_more_versions_than_the_exact_top_still_collapses_exactly(tmp_path, backend, monkeypatch):
    """Twelve versions of one story outscore the next story: the page must reach past them (Whoosh ranks
    only a few times the page exactly, then deeper) and still show each story's best version in order."""
    from index.search import run

    settings = make_settings(tmp_path / "index", entities=False)
    depths = []
    scored = run._score
    monkeypatch.setattr(run, "_score", lambda *args: depths.append(args[5]) or scored(*args))
    monkeypatch.setattr(run, "versions_per_story", lambda snapshot: 1)  # the first exact top as shallow as can be
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        versions = [{"id": f"v{n}", "title": "KUWAIT SAYS OPEC OUTPUT BELOW CEILING",
                     "body": STORY + f" Update {n}." + " Output below the ceiling." * (n % 3),
                     "date": f"1987-03-08T{n + 1:02d}:00:00"} for n in range(12)]
        others = [{"id": f"o{n}", "title": f"GULF REPORT {n}",
                   "body": f"Kuwait attended a meeting about the {['ceiling', 'quota', 'price'][n % 3]} "
                           f"of OPEC output, report number {n} on trade and shipping in the region {n * 7}.",
                   "date": "1987-03-09T10:00:00"} for n in range(90)]
        index.ingest([article_from_record(r, index.outlets) for r in versions + others])
        assert len({index.get(f"v{n}").family for n in range(12)}) == 1
        every = index.search(SearchRequest(q="kuwait opec output ceiling", collapse=False, per_page=50,
                                           mode="lexical"))
        families, expected = set(), []
        for hit in every.hits:  # the best version of each story, in the order of the whole ranking
            if hit.family not in families:
                families.add(hit.family)
                expected.append(hit.id)
        assert every.total == 102
        for per_page in (1, 2, 3):
            depths.clear()
            pages = [index.search(SearchRequest(q="kuwait opec output ceiling", per_page=per_page, page=page,
                                               mode="lexical"))
                     for page in (1, 2)]
            assert [h.id for p in pages for h in p.hits] == expected[:2 * per_page]
            assert pages[0].hits[0].versions == 12
            if backend == "whoosh":  # a page ranked deeper than its first exact top, but not everything
                assert any(b == a * run.DEEPER for a, b in zip(depths, depths[1:]) if a and b), depths


def test_an_archive_of_many_versions_ranks_a_page_of_stories_in_one_pass(tmp_path, backend, monkeypatch):
    """Every story on file six times (15 stories): the exact ranking starts deep enough for a page of stories
    (articles per story, measured on the archive), instead of ranking once and then again deeper."""
    import random

    from index.search import run
    from index.search.collapse import versions_per_story

    settings = make_settings(tmp_path / "index", entities=False)
    depths = []
    scored = run._score
    monkeypatch.setattr(run, "_score", lambda *args: depths.append(args[5]) or scored(*args))
    rng = random.Random(5)
    vocabulary = ["tariff", "harvest", "refinery", "merger", "dividend", "strike", "tanker", "bond", "quota",
                  "shipment", "subsidy", "auction", "copper", "freight", "deficit", "pension", "reactor"]
    records = []
    for story in range(15):
        body = (f"Kuwait said OPEC output story {story} " + " ".join(rng.choices(vocabulary, k=40)) + ".")
        records += [{"id": f"s{story}v{copy}", "title": f"OPEC OUTPUT STORY {story}", "body": body,
                     "date": f"1987-03-{story + 1:02d}T{copy + 1:02d}:00:00"} for copy in range(6)]
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(r, index.outlets) for r in records])
        assert len({index.get(r["id"]).family for r in records}) == 15
        every = index.search(SearchRequest(q="kuwait opec output", collapse=False, per_page=100, mode="lexical"))
        families, expected = set(), []
        for hit in every.hits:
            if hit.family not in families:
                families.add(hit.family)
                expected.append(hit.id)
        depths.clear()
        page = index.search(SearchRequest(q="kuwait opec output", per_page=5, mode="lexical"))
        assert [h.id for h in page.hits] == expected[:5] and all(h.versions == 6 for h in page.hits)
        if backend == "whoosh":
            assert versions_per_story(index.backend.store.snapshot()) == 6
            assert depths == [5 * (run.COLLAPSE_DEPTH + 6 - 1)]


def test_an_opening_shared_by_many_articles_offers_only_the_last_stored_as_candidates(tmp_path, monkeypatch):
    """A syndication notice opening every article is no one story's: a write reads at most
    CANDIDATES_PER_KEY articles of a key (it read them all, and writes slowed as the archive grew).
    OpenSearch reads every candidate while they fit one search (CANDIDATE_PAGE, made small here)."""
    from index.backends.opensearch import writing
    from index.ingest import families

    monkeypatch.setattr(writing, "CANDIDATE_PAGE", 10)

    notice = ("This article is provided by the Wire Syndication Service under licence and may not be reproduced "
              "without the permission of the copyright holder or its agents in any form whatsoever. ")
    count = families.CANDIDATES_PER_KEY + 10
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({
            "id": f"n{n:02d}", "title": f"Story {n}", "date": "1987-03-08T10:00:00",
            "body": notice + " ".join(f"w{n}x{k}" for k in range(60))}, index.outlets) for n in range(count)])
        lead = [key for key in index.get("n00").lsh if key.startswith("lead:")]
        assert len(lead) == 1 and all(index.get(f"n{n:02d}").lsh[-1] == lead[0] for n in range(count))
        found = {candidate[0] for candidate in index.backend.family_candidates(lead)}
        assert len(found) == families.CANDIDATES_PER_KEY and f"n{count - 1:02d}" in found  # the last stored


def test_a_batch_with_more_keys_than_one_search_takes_finds_every_candidate(tmp_path, monkeypatch):
    """A batch of 2,000 articles asks 66,000 keys, and an OpenSearch terms query takes 65,536 at most: the
    keys go a share a search (made small here), and every stored candidate is still found."""
    from index.backends.opensearch import writing

    monkeypatch.setattr(writing, "TERMS_A_SEARCH", 40)
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        stories = [article_from_record({"id": f"s{n}", "title": f"Story {n}", "date": "1987-03-08T10:00:00",
                                        "body": " ".join(f"w{n}x{k}" for k in range(80))}, index.outlets)
                   for n in range(3)]
        index.ingest(stories)
        keys = [key for n in range(3) for key in index.get(f"s{n}").lsh]
        assert len(keys) == 3 * 33
        assert {candidate[0] for candidate in index.backend.family_candidates(keys)} == {"s0", "s1", "s2"}
