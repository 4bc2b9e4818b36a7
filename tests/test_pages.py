"""The search page and article view, server-rendered (browser tests live in test_browser.py)."""

from __future__ import annotations

import re


def test_search_page_shows_results_facets_and_state_in_url(client):
    page = client.get("/?q=Kalbajar").get_data(as_text=True)
    assert "<mark>Kalbajar</mark>" in page
    assert "2</strong> articles" in page
    assert 'href="/?q=Kalbajar&amp;source=Asharq+Al-Awsat"' in page  # a facet value is a link


def test_facet_link_narrows_and_chip_removes(client):
    page = client.get("/?q=Putin&source=Daily+Sabah").get_data(as_text=True)
    assert "1</strong> article" in page
    assert "Remove filter Source: Daily Sabah" in page


def test_article_view_highlights_every_match_with_passage_permalinks(client):
    hit = client.get("/api/v1/search?q=Kalbajar").get_json()["results"][0]
    page = client.get(f"/articles/{hit['id']}?q=Kalbajar").get_data(as_text=True)
    assert page.count("<mark>Kalbajar</mark>") >= 2
    assert re.search(r'id="p0"', page)


def test_bad_parameter_on_page_is_a_400_page(client):
    response = client.get("/?per_page=100000")
    assert response.status_code == 400
    assert "per_page" in response.get_data(as_text=True)


def test_unknown_article_page_is_404(client):
    assert client.get("/articles/nope").status_code == 404
