"""Search over the real seed index: facts about the corpus, not incidental scores."""

from __future__ import annotations

import json
from datetime import date

import pytest

from index import InvalidQuery, SearchRequest, read_articles

from conftest import BOTH, SEEDS, articles_by_file, make_settings

pytestmark = BOTH


def search(index, **kwargs):
    return index.search(SearchRequest(**kwargs))


def test_five_articles_and_reingest_does_not_duplicate(seed_index, seed_copy):
    from index import Index
    assert search(seed_index).total == 5
    with Index.open(seed_copy, settings=make_settings(seed_copy)) as index:
        report = index.ingest(read_articles([SEEDS], index.outlets))
        assert (report.added, report.updated, report.unchanged) == (0, 0, 5)
        assert search(index).total == 5
        assert index.stats()["articles"] == 5


def test_changed_article_is_updated_not_duplicated(empty_index, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "x1", "title": "Old title", "body": "Kalbajar was quiet."}\n', encoding="utf-8")
    assert empty_index.ingest(read_articles([path], empty_index.outlets)).added == 1
    path.write_text('{"id": "x1", "title": "New title", "body": "Lachin was quiet."}\n', encoding="utf-8")
    report = empty_index.ingest(read_articles([path], empty_index.outlets))
    assert report.updated == 1 and report.added == 0
    assert search(empty_index, q="Kalbajar").total == 0
    assert [h.title for h in search(empty_index, q="Lachin").hits] == ["New title"]
    assert empty_index.stats()["passages"] == 1


def test_kalbajar_finds_the_two_articles_with_marked_passages(seed_index):
    result = search(seed_index, q="Kalbajar")
    assert result.total == 2
    by_file = articles_by_file(seed_index)
    expected = {a.id for a in by_file.values() if "Kalbajar" in a.body}
    assert {h.id for h in result.hits} == expected and len(expected) == 2
    for hit in result.hits:
        assert 1 <= len(hit.passages) <= 3
        assert "<mark>Kalbajar</mark>" in hit.passages[0].html


def test_phrase_query(seed_index):
    result = search(seed_index, q='"joint monitoring centre"')
    assert result.total == 1
    assert "<mark>joint monitoring centre</mark>" in result.hits[0].passages[0].html
    # British and American spellings are one word: "joint centre" in one seed, "joint center" in four.
    assert search(seed_index, q='"joint centre"').total == search(seed_index, q='"joint center"').total == 4


def test_a_quote_across_a_paragraph_break_is_shown_marked(empty_index, tmp_path):
    """The article's body holds the quote, no one passage does: the passages holding its two pieces are shown,
    each piece marked, not the article's first passage unmarked."""
    first = "Farm ministers met in Brussels on Monday. " * 12 + "End-users would also buy other origins, grain traders said."
    second = ("U.S. Agriculture Secretary Richard Lyng, who is due to visit Japan, will ask for a share of its market. "
              + "Rice imports were discussed at length in Tokyo. " * 10)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "q1", "title": "Japan farm trade", "body": "Opening words.\n\n" + first +
                                "\n\n" + second}) + "\n", encoding="utf-8")
    empty_index.ingest(read_articles([path], empty_index.outlets))
    for quote in ('"grain traders said. U.S. Agriculture Secretary"', '"said U.S. Agriculture"'):
        result = search(empty_index, q=quote, mode="lexical")
        assert result.total == 1
        shown = result.hits[0].passages
        assert len(shown) == 2 and shown[0].position + 1 == shown[1].position
        assert shown[0].html.endswith("said.</mark>") or shown[0].html.endswith("said</mark>.")
        assert shown[1].html.startswith("<mark>U.S. Agriculture")
    result = search(empty_index, q='"Brussels on Monday"', mode="lexical")  # within a passage: as before
    assert "<mark>Brussels on Monday</mark>" in result.hits[0].passages[0].html


def test_accent_folding_finds_the_same_articles(seed_index):
    accented = search(seed_index, q="Erdoğan")
    plain = search(seed_index, q="Erdogan")
    assert accented.total == plain.total == 5
    assert [h.id for h in accented.hits] == [h.id for h in plain.hits]


def test_source_and_date_filters_narrow(seed_index):
    everything = search(seed_index, q="Putin")
    sabah = search(seed_index, q="Putin", source=["Daily Sabah"])
    assert sabah.total == 1 < everything.total
    assert sabah.hits[0].source == "Daily Sabah"
    dated = search(seed_index, q="Putin", date_from=date(2021, 1, 1))
    assert dated.total == 1 and dated.hits[0].published.year == 2021
    november = search(seed_index, date_from=date(2020, 11, 1), date_to=date(2020, 11, 30))
    assert [h.source for h in november.hits] == ["Asharq Al-Awsat"]


def test_facet_counts_equal_matching_articles(seed_index):
    result = search(seed_index, q="Putin", per_page=100)
    for name in ("source", "person", "org", "place"):
        for value in result.facets[name]:
            narrowed = search(seed_index, q="Putin", per_page=100, **{name: [value.value]})
            assert narrowed.total == value.count, (name, value)
    months = {v.value: v.count for v in result.facets["date"]}
    assert months == {"2020-11": 1, "2021-01": 1}


def test_only_the_facets_asked_for_are_counted(seed_index, monkeypatch):
    """A client asking for sources and months gets those, counted as with every facet, and the
    embedded engine counts nothing else (entity and tag pairs are the costly part)."""
    every = search(seed_index, q="Putin")
    if seed_index.settings.backend == "whoosh":
        from index.search import run

        def refuse(*args, **kwargs):
            raise AssertionError("a facet not asked for was counted")
        monkeypatch.setattr(run, "entity_counts", refuse)
        monkeypatch.setattr(run, "tag_counts", refuse)
    some = search(seed_index, q="Putin", facet_names=("source", "date"))
    assert [name for name in some.facets if name != "histogram"] == ["source", "date"]
    assert some.facets["source"] == every.facets["source"] and some.facets["date"] == every.facets["date"]
    sources = search(seed_index, q="Putin", facet_names=("source",))
    assert list(sources.facets) == ["source"] and sources.facets["source"] == every.facets["source"]


def test_empty_query_browses_newest_first_with_facets(seed_index):
    result = search(seed_index)
    assert result.total == 5
    dates = [h.published for h in result.hits if h.published]
    assert dates == sorted(dates, reverse=True) and len(dates) == 2
    assert result.hits[0].published.year == 2021
    assert {v.value for v in result.facets["source"]} == {"TRT World", "Daily Sabah", "Asharq Al-Awsat"}


def test_sort_by_date(seed_index):
    oldest = search(seed_index, q="Erdogan", sort="oldest")
    newest = search(seed_index, q="Erdogan", sort="newest")
    assert newest.hits[0].published.year == 2021
    assert [h.published for h in oldest.hits if h.published][0].year == 2020


def test_by_date_best_match_lists_the_articles_with_every_word_and_any_word_lists_all(seed_index):
    """Newest first, a best-match search lists the articles holding every word (not every one-word match by
    date) and pages through those; asked for any word, it lists every match by date."""
    best = search(seed_index, q="Erdogan Kalbajar", sort="newest")
    assert (best.total, best.total_all_words, best.stories, len(best.hits)) == (5, 2, 2, 2)
    every = search(seed_index, q="Erdogan Kalbajar", sort="newest", match="all")
    assert [h.id for h in every.hits] == [h.id for h in best.hits]
    any_word = search(seed_index, q="Erdogan Kalbajar", sort="newest", match="any")
    assert (any_word.total, any_word.stories, len(any_word.hits)) == (5, 5, 5)
    dates = [h.published for h in any_word.hits if h.published]
    assert dates == sorted(dates, reverse=True)


def test_pagination(seed_index):
    first = search(seed_index, q="Erdogan", per_page=2)
    second = search(seed_index, q="Erdogan", per_page=2, page=2)
    third = search(seed_index, q="Erdogan", per_page=2, page=3)
    assert first.total == 5 and first.pages == 3
    ids = [h.id for r in (first, second, third) for h in r.hits]
    assert len(ids) == len(set(ids)) == 5


@pytest.mark.parametrize("kwargs,param", [
    ({"page": 0}, "page"), ({"per_page": 100_000}, "per_page"), ({"sort": "bogus"}, "sort"),
    ({"page": 1000, "per_page": 100}, "page"), ({"q": "*stan"}, "q"), ({"q": "kind:passage"}, "q"),
])
def test_invalid_requests(seed_index, kwargs, param):
    with pytest.raises(InvalidQuery) as err:
        search(seed_index, **kwargs)
    assert err.value.param == param


@pytest.mark.parametrize("q", ['"unbalanced', "(Putin OR", "Putin)", "nosuchfield:x", "AND", "NOT", "~", "title:", '""'])
def test_odd_syntax_is_searched_leniently(seed_index, q):
    result = search(seed_index, q=q)
    assert result.total >= 0


def test_script_in_article_is_escaped(empty_index, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "xss", "title": "Hostile <b>title</b>", "body": "Kalbajar <script>alert(1)</script> text."}\n')
    empty_index.ingest(read_articles([path], empty_index.outlets))
    hit = search(empty_index, q="Kalbajar").hits[0]
    assert "<script>" not in hit.passages[0].html
    assert "&lt;script&gt;" in hit.passages[0].html
    assert "&lt;b&gt;" in hit.title_html


def test_date_ranges_whole_and_partial_months_and_open_ends(empty_index, tmp_path):
    import json
    days = ["2020-10-31", "2020-11-01", "2020-11-15", "2020-11-30", "2020-12-01", "2021-01-13"]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"id": d, "title": d, "body": f"Ceasefire news of {d}.", "published": d})
                              for d in days), encoding="utf-8")
    empty_index.ingest(read_articles([path], empty_index.outlets))

    def ids(**kwargs):
        return sorted(h.id for h in search(empty_index, per_page=100, **kwargs).hits)

    assert ids(date_from=date(2020, 11, 1), date_to=date(2020, 11, 30)) == days[1:4]
    assert ids(date_from=date(2020, 11, 2), date_to=date(2020, 11, 30)) == days[2:4]
    assert ids(date_from=date(2020, 11, 1), date_to=date(2020, 11, 29)) == days[1:3]
    assert ids(date_from=date(2020, 11, 15)) == days[2:]
    assert ids(date_to=date(2020, 11, 15)) == days[:3]
    assert ids(q="ceasefire", date_from=date(2020, 12, 1), date_to=date(2020, 12, 31)) == ["2020-12-01"]
    assert ids(date_from=date(2022, 1, 1)) == []
    assert ids(date_from=date(2020, 11, 10), date_to=date(2020, 11, 12)) == []
    # A write and a delete inside a range are seen by the next search (the articles in day order are the
    # new generation's, not kept from the last).
    path.write_text(json.dumps({"id": "2020-11-11", "title": "late", "body": "Ceasefire news.", "published": "2020-11-11"}),
                    encoding="utf-8")
    empty_index.ingest(read_articles([path], empty_index.outlets))
    empty_index.delete(["2020-11-15"])
    assert ids(date_from=date(2020, 11, 10), date_to=date(2020, 11, 15)) == ["2020-11-11"]
    assert ids(q="ceasefire", date_from=date(2020, 11, 1), date_to=date(2020, 11, 30)) == ["2020-11-01", "2020-11-11",
                                                                                           "2020-11-30"]


def test_facets_read_three_ways_give_the_same_counts(seed_copy, monkeypatch):
    """Few matches read only their own entity and tag pairs; many read every pair through the mask;
    most of a segment read as its live totals less the rest: same counts, a deleted article counted
    by none of them."""
    from index import Index
    from index.search import columns
    with Index.open(seed_copy, settings=make_settings(seed_copy)) as index:
        if index.settings.backend != "whoosh":
            pytest.skip("the embedded engine's facet paths")
        index.delete([search(index, q="Erdogan").hits[0].id])
        results = {}
        for name, rows_share, totals_from in (("mask", 0, 10**9), ("own pairs", 2, 10**9), ("the rest", 0, 0)):
            monkeypatch.setattr(columns, "ROWS_SHARE", rows_share)
            monkeypatch.setattr(columns, "TOTALS_FROM", totals_from)
            index.backend.store.snapshot().cache.clear()
            results[name] = [search(index, q=q).facets for q in ("Putin", "Erdogan", "", "ceasefire", "the")]
    assert results["own pairs"] == results["mask"] == results["the rest"]
    assert any(values for found in results["mask"] for values in found.values())