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
