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
