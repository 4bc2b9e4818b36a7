"""Filters that leave no article (a date range before the archive begins, a source it does not have):
the search answers at once, and exactly what running every step over no article answers."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest

from conftest import make_settings
from index import FACETS, Index, SearchRequest
from index.search import run
from test_store import reuters_in_segments


@pytest.fixture(scope="module")
def reuters(tmp_path_factory):
    """Reuters articles in two segments, searched without the result cache: every answer computed."""
    folder = tmp_path_factory.mktemp("nothing") / "index"
    reuters_in_segments(folder, 120, 2)[0].close()
    index = Index.open(folder, settings=make_settings(folder, entities=False, semantic=False, merge="off",
                                                      result_cache_size=0))
    yield index
    index.close()


NOTHING = [
    dict(q="oil prices", date_from=date(1995, 1, 1), date_to=date(1995, 6, 30)),
    dict(q='"interest rates"', date_to=date(1980, 1, 1), facet_names=list(FACETS)),
    dict(q="", date_from=date(2001, 1, 1)),
    dict(q="crude", sort="newest", source=["Nobody's Wire"]),
    dict(q="bank OR yen", entity=["Nobody Atall"], facets=False),
    dict(q="dollar", tag=["topics:nothing-at-all"], mode="hybrid", page=3),
    dict(q="oil", date_from=date(1995, 1, 1), sort="oldest", collapse=False),
]


def answer(index, request: SearchRequest) -> dict:
    found = asdict(index.search(request))
    found.pop("took_ms")
    return found


@pytest.mark.parametrize("asked", NOTHING)
def test_no_article_allowed_is_answered_as_every_step_would(reuters, asked, monkeypatch):
    request = SearchRequest(**asked)
    monkeypatch.setattr(run, "SHORT_CUT", False)
    expected = answer(reuters, request)
    monkeypatch.setattr(run, "SHORT_CUT", True)

    def never(*args, **kwargs):
        raise AssertionError("matched although no article was allowed")

    monkeypatch.setattr(run, "matching", never)
    assert expected["total"] == 0 and answer(reuters, request) == expected
    if request.facets:
        assert expected["facets"]


def test_a_filter_that_allows_some_article_still_searches(reuters):
    found = reuters.search(SearchRequest(q="oil", date_from=date(1987, 1, 1)))
    assert found.total > 0 and found.hits
