"""Did you mean: a misspelt rare word gets a frequent neighbour; a correct query gets nothing."""

from index import SearchRequest

from conftest import BOTH

pytestmark = BOTH


def test_kalbajr_suggests_kalbajar(seed_index):
    result = seed_index.search(SearchRequest(q="Kalbajr"))
    assert result.suggestion == {"q": "Kalbajar", "total": 2}


def test_correct_query_gets_no_suggestion(seed_index):
    assert seed_index.search(SearchRequest(q="Kalbajar")).suggestion is None
    assert seed_index.search(SearchRequest(q="where will the joint monitoring centre be located")).suggestion is None


def test_suggestion_in_api(client):
    body = client.get("/api/v1/search?q=Kalbajr").get_json()
    assert body["suggestion"]["q"] == "Kalbajar"
    assert body["suggestion"]["total"] == 2


def test_a_correction_is_spelt_as_the_typed_word_meant(empty_index):
    """One stemmed term stands for several words ("product": products, production): the correction of
    "prodution" is shown as production, the spelling nearest what was typed, though the first article
    having the term writes "products" first."""
    from index import article_from_record
    records = [{"id": "p1", "title": "Exporters", "body": "Farm products and dairy products sold well; production rose."},
               {"id": "p2", "title": "Output", "body": "Steel production fell in March, the mills said."},
               {"id": "p3", "title": "Output", "body": "Car production rose in April, the makers said."}]
    empty_index.ingest([article_from_record(r, empty_index.outlets) for r in records])
    result = empty_index.search(SearchRequest(q="steel prodution"))
    assert result.suggestion == {"q": "steel production", "total": 3}


def test_a_typo_far_from_the_stem_is_corrected_through_the_spelling(empty_index):
    """"govrnment" is one letter from government, whose index term "govern" is far from it."""
    from index import article_from_record
    bodies = ["The government cut taxes.", "A government spokesman said so.", "Governments met in Paris."]
    empty_index.ingest([article_from_record({"id": f"g{n}", "title": "Budget", "body": body}, empty_index.outlets)
                        for n, body in enumerate(bodies)])
    result = empty_index.search(SearchRequest(q="govrnment"))
    assert result.suggestion == {"q": "government", "total": 3}


def test_two_letters_swapped_are_one_edit_and_the_nearest_word_wins(empty_index):
    """"porfit" is profit (a swap, as Lucene's fuzzy queries count it), and "lawmaers" is lawmakers, one
    letter away, though lawyers (two away) is in more articles."""
    from index import article_from_record
    bodies = ["Lawmakers voted on the profit tax."] * 2 + ["Lawyers argued the case."] * 6
    empty_index.ingest([article_from_record({"id": f"w{n}", "title": "Tax", "body": body}, empty_index.outlets)
                        for n, body in enumerate(bodies)])
    assert empty_index.search(SearchRequest(q="porfit")).suggestion == {"q": "profit", "total": 2}
    assert empty_index.search(SearchRequest(q="lawmaers")).suggestion == {"q": "lawmakers", "total": 2}
