"""The result cache: repeated searches are answered from memory until the next commit."""

from index import SearchRequest, article_from_record

from conftest import BOTH

pytestmark = BOTH


def test_same_search_is_cached_until_a_write(empty_index):
    index = empty_index
    index.put(article_from_record({"id": "a", "title": "First", "body": "Kalbajar handed over."}, index.outlets))
    first = index.search(SearchRequest(q="Kalbajar"))
    assert index.search(SearchRequest(q="Kalbajar")) is first  # the very same object: not recomputed
    assert index.search(SearchRequest(q="Kalbajar", per_page=5)) is not first  # another request
    index.put(article_from_record({"id": "b", "title": "Second", "body": "Kalbajar again."}, index.outlets))
    after = index.search(SearchRequest(q="Kalbajar"))
    assert after is not first and after.total == 2


def test_cache_can_be_turned_off(tmp_path):
    from index import Index
    from conftest import make_settings
    settings = make_settings(tmp_path / "index", entities=False, result_cache_size=0)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.put(article_from_record({"id": "a", "title": "T", "body": "Lachin corridor."}, index.outlets))
        assert index.search(SearchRequest(q="Lachin")) is not index.search(SearchRequest(q="Lachin"))
