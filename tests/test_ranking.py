"""Ranking on the seeds: natural-language queries, match modes, NOT, why this matched."""

from index import SearchRequest

from conftest import BOTH

pytestmark = BOTH


def _titles(result):
    return [hit.title.lower() for hit in result.hits]


QUESTION = "where will the joint monitoring centre be located"


def test_natural_language_query_finds_the_centre_first(seed_index):
    result = seed_index.search(SearchRequest(q=QUESTION))
    assert result.total > 0
    top = _titles(result)[:2]
    assert all("joint" in t and ("centre" in t or "center" in t) for t in top), top


def test_match_all_is_strict(seed_index):
    assert seed_index.search(SearchRequest(q="joint monitoring centre zebra", match="all")).total == 0
    assert seed_index.search(SearchRequest(q="joint monitoring centre", match="all")).total >= 1


def test_question_words_ask_for_nothing(seed_index):
    """ "where", "will", "be" are how a question is asked, not what it asks for: every mode ignores them."""
    for match in ("all", "auto"):
        asked = seed_index.search(SearchRequest(q=QUESTION, match=match, mode="lexical", feedback=False))
        plain = seed_index.search(SearchRequest(q="joint monitoring centre located", match=match, mode="lexical",
                                                feedback=False))
        assert asked.total == plain.total >= 1
        assert [h.id for h in asked.hits] == [h.id for h in plain.hits]
    only = seed_index.search(SearchRequest(q="who is where", mode="lexical"))  # nothing else: kept as asked
    assert only.total == seed_index.search(SearchRequest(q="who OR is OR where", mode="lexical")).total


def test_match_any_finds_at_least_what_auto_finds(seed_index):
    auto = seed_index.search(SearchRequest(q=QUESTION)).total
    assert seed_index.search(SearchRequest(q=QUESTION, match="any")).total >= auto


def test_not_excludes_in_every_mode(seed_index):
    with_putin = {h.id for h in seed_index.search(SearchRequest(q="putin", per_page=100)).hits}
    for match in ("auto", "any", "all"):
        result = seed_index.search(SearchRequest(q="kalbajar NOT putin", match=match, per_page=100))
        assert not {h.id for h in result.hits} & with_putin, match
    kalbajar = {h.id for h in seed_index.search(SearchRequest(q="kalbajar", per_page=100)).hits}
    assert {h.id for h in seed_index.search(SearchRequest(q="kalbajar NOT putin", per_page=100)).hits} <= kalbajar


def test_phrase_ranks_above_scattered_words(seed_index):
    result = seed_index.search(SearchRequest(q='"joint monitoring centre"'))
    assert result.total == 1
    assert '<mark>joint monitoring centre</mark>' in result.hits[0].passages[0].html


def test_matched_names_terms_and_fields(seed_index):
    hit = seed_index.search(SearchRequest(q="Kalbajar ceasefire")).hits[0]
    by_term = {m["term"]: m for m in hit.matched}
    assert "Kalbajar" in by_term
    assert "passage" in by_term["Kalbajar"]["fields"]
    assert "entity" in by_term["Kalbajar"]["fields"]
    assert by_term["Kalbajar"]["via"] is None


def test_matched_in_api(client):
    body = client.get("/api/v1/search?q=joint%20monitoring").get_json()
    matched = body["results"][0]["matched"]
    assert {m["term"] for m in matched} == {"joint", "monitoring"}
    assert all(set(m["fields"]) <= {"title", "passage", "entity"} for m in matched)
