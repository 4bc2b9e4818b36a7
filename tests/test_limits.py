"""Bounded query cost: pathological queries answer at once, with a 400 or `"partial": true`.

Nothing here measures time: each test checks the answer's shape, and that the app
still answers an ordinary search afterwards (the worker survived).
"""

from __future__ import annotations

import pytest

from conftest import make_settings
from test_api import assert_error


@pytest.fixture
def slow_client(tmp_path, monkeypatch):
    """An app over the seeds in five segments (one commit each) whose every query is past its time limit.

    The deadline reads as expired at every check, so a search reads one word of
    each OR (one expansion, one segment's vocabulary) and ranks by one query
    unit, then stops: what a query past its limit does, without a clock.
    """
    from index import Index, read_articles
    from index.search.matching import Deadline
    from service.app import create_app

    from conftest import SEEDS

    settings = make_settings(tmp_path / "index")
    with Index.open(settings.index_dir, create=True, settings=settings.replace(entities=False)) as index:
        for seed in sorted(SEEDS.iterdir()):
            index.ingest(read_articles([seed], index.outlets))
        assert index.stats()["segments"] == 5
    monkeypatch.setattr(Deadline, "expired", lambda self: True)
    return create_app(settings).test_client()


@pytest.fixture
def big_vocabulary(empty_index):
    """An index holding 1,210 distinct made-up words zqaaa ... zqkkj (more than the expansion cap)."""
    from index import Article
    words = [f"zq{a}{b}{c}" for a in "abcdefghijk" for b in "abcdefghijk" for c in "abcdefghij"]
    sentences = ". ".join(" ".join(words[i:i + 10]) for i in range(0, len(words), 10))
    empty_index.ingest([Article(id="vocab", title="Vocabulary", body=sentences + ".")])
    return empty_index


def search(client, **params):
    return client.get("/api/v1/search", query_string=params)


def assert_still_serving(client) -> None:
    response = search(client, q="Kalbajar")
    assert response.status_code == 200 and response.get_json()["total"] == 2


def test_leading_wildcard_is_refused(client):
    response = search(client, q="*stan")
    assert assert_error(response, 400)["code"] == "invalid_query"
    assert "leading wildcard" in response.get_json()["error"]["message"]
    assert_still_serving(client)


def test_a_500_term_query_is_refused(client):
    response = search(client, q=" ".join(f"word{i}" for i in range(500)))
    assert_error(response, 400)
    assert "terms" in response.get_json()["error"]["message"] or "longer" in response.get_json()["error"]["message"]
    assert_still_serving(client)


def test_too_many_terms_within_the_length_limit_is_refused(client):
    response = search(client, q=" ".join(f"w{i}" for i in range(100)))  # 100 terms, under 1000 characters
    assert assert_error(response, 400)["code"] == "invalid_query"
    assert "at most 64" in response.get_json()["error"]["message"]


def test_an_overlong_query_is_refused(client):
    assert assert_error(search(client, q="a" * 1001), 400)["code"] == "invalid_query"


def test_huge_fuzzy_query_is_refused_or_partial(slow_client):
    # Every one-letter word within three edits: the expansions either pass the cap (400) or the
    # search stops at the time limit and says so.
    response = search(slow_client, q=" ".join(f"{c}~3" for c in "abcdefghijklmnopqrst"))
    assert response.status_code in (200, 400), response.data
    if response.status_code == 400:
        assert assert_error(response, 400)["code"] == "invalid_query"
    else:
        assert response.get_json()["partial"] is True
    assert search(slow_client, q="Kalbajar").status_code == 200


def test_fuzzy_expansion_past_the_cap_is_refused(big_vocabulary):
    from index import InvalidQuery, SearchRequest
    with pytest.raises(InvalidQuery, match="^'zqaaa~3' matches more than 1024 words"):  # as typed, no field
        big_vocabulary.search(SearchRequest(q="zqaaa~3"))
    assert big_vocabulary.search(SearchRequest(q="zqaaa~1")).total == 1  # a small expansion runs


def test_prefix_expansion_past_the_cap_is_refused(big_vocabulary):
    from index import InvalidQuery, SearchRequest
    with pytest.raises(InvalidQuery, match=r"^'zq\*' matches more than 1024 words"):
        big_vocabulary.search(SearchRequest(q="zq*"))
    assert big_vocabulary.search(SearchRequest(q="zqab*")).total == 1


@pytest.mark.parametrize("params", [
    {"q": "Kalbajar OR Pashinyan OR Lachin"},                    # ranked by relevance
    {"q": "Kalbajar OR Pashinyan OR Lachin", "sort": "newest"},  # sorted by date
], ids=["relevance", "newest"])
def test_time_limit_returns_what_it_has_with_partial_true(slow_client, params):
    body = search(slow_client, **params).get_json()
    assert body["partial"] is True
    assert body["total"] == 2  # the articles of the first word read (Kalbajar), not an error, not all three words'


def test_a_browse_past_the_time_limit_is_complete(slow_client):
    # A browse reads no word: its cost is one pass over the dates, bounded by construction.
    body = search(slow_client).get_json()
    assert body["partial"] is False and body["total"] == 5


def test_fuzzy_terms_keep_their_first_letter(client):
    # Kalbajar's k is kept: "xalbajar~1" would be one edit from it, but a fuzzy term never walks
    # the whole vocabulary (issue #12), only the words starting like it.
    assert search(client, q="Kalbajr~1").get_json()["total"] == 2
    assert search(client, q="xalbajar~1").get_json()["total"] == 0


def test_normal_searches_are_not_partial(client):
    assert search(client, q="the OR and OR of").get_json()["partial"] is False


def test_deep_pages_point_to_exports(client):
    response = search(client, q="Kalbajar", page=101, per_page=100)
    assert assert_error(response, 400)["code"] == "invalid_parameter"
    assert "export" in response.get_json()["error"]["message"]
    assert search(client, q="Kalbajar", page=100, per_page=100).status_code == 200
