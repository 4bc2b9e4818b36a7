"""The search page and article view, server-rendered (browser tests live in test_browser.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from html import unescape
from types import SimpleNamespace

import pytest

from index import Index, article_from_record
from index.search.facets import FacetValue
from service.archive import get_index
from service.pages import histogram, page_numbers, quick_ranges

from conftest import BOTH, make_settings

pytestmark = BOTH


def text(response) -> str:
    return response.get_data(as_text=True)


def hrefs(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


def article_id_for(client, q: str) -> str:
    return client.get(f"/api/v1/search?q={q}").get_json()["results"][0]["id"]


# -- results --------------------------------------------------------------------------


def test_results_show_marks_count_source_date_and_chips(client):
    page = text(client.get("/?q=Kalbajar"))
    assert "<mark>Kalbajar</mark>" in page
    assert re.search(r"2 articles\s+for <q>Kalbajar</q>", page)
    assert "Asharq Al-Awsat" in page and 'datetime="2020-11-26"' in page
    # entity chips on a card add a filter and keep the query
    assert "/?q=Kalbajar&person=Vladimir+Putin" in hrefs(page)


def test_empty_query_browses_newest_first(client):
    page = text(client.get("/"))
    assert "5 articles" in page and "newest first" in page
    dates = re.findall(r'<time datetime="([\d-]+)"', page)
    assert dates == sorted(dates, reverse=True) and len(dates) == 2


def test_facet_values_toggle_and_chips_remove(client):
    page = text(client.get("/?q=Putin"))
    assert "/?q=Putin&source=Daily+Sabah" in hrefs(page)
    narrowed = text(client.get("/?q=Putin&source=Daily+Sabah"))
    assert re.search(r"1 article\s+for", narrowed)
    assert 'aria-label="Remove filter Source: Daily Sabah"' in narrowed
    assert "/?q=Putin" in hrefs(narrowed)  # the chip's link, and the selected value's toggle


def test_sources_stay_selectable_once_one_is_chosen(client):
    page = text(client.get("/?source=Daily+Sabah"))
    # the other sources are still offered with their counts, and adding one keeps the first
    assert "/?source=Daily+Sabah&source=TRT+World" in hrefs(page)
    both = text(client.get("/?source=Daily+Sabah&source=TRT+World"))
    assert "2 articles" in both


def test_several_entity_values_combine(client):
    page = text(client.get("/?person=Ilham+Aliyev&person=Nikol+Pashinyan"))
    assert page.count('class="selected"') == 2
    assert "(2 selected)" in page


def test_long_facets_have_show_more_and_a_filter_box(client):
    page = text(client.get("/"))
    assert re.search(r'<details class="more">\s*<summary>Show \d+ more</summary>', page)
    assert 'data-facet-filter="place"' in page and '<label for="filter-place"' in page


def test_histogram_bars_link_to_their_month(client):
    page = text(client.get("/"))
    assert "/?from=2020-11-01&to=2020-11-30" in hrefs(page)
    assert "/?from=2021-01-01&to=2021-01-31" in hrefs(page)
    assert 'aria-label="November 2020: 1 article"' in page
    assert "December 2020: none" in page  # empty months are drawn too, without a link
    narrowed = text(client.get("/?from=2020-11-01&to=2020-11-30"))
    assert "1 article" in narrowed and 'aria-current="true"' in narrowed


def test_histogram_fills_months_and_falls_back_to_years(app):
    with app.test_request_context("/?q=x"):
        months = [FacetValue("2020-11", 2), FacetValue("2021-02", 4)]
        h = histogram(months, None, None)
        assert [b.count for b in h.bars] == [2, 0, 0, 4]
        assert h.bars[0].href == "/?q=x&from=2020-11-01&to=2020-11-30" and h.bars[1].href is None
        assert h.bars[3].end == date(2021, 2, 28) and h.bars[3].height > h.bars[0].height
        long = histogram([FacetValue("1987-03", 1), FacetValue("2020-05", 2), FacetValue("2020-07", 3)], None, None)
        assert long.unit == "year" and long.bars[-1].count == 5 and len(long.bars) == 2020 - 1987 + 1
        assert histogram([], None, None) is None


def test_quick_ranges_are_relative_to_today():
    today = date(2026, 11, 23)
    assert quick_ranges(today)[0] == ("Past 7 days", "2026-11-16", "2026-11-23")
    assert quick_ranges(today)[2][1] == "2025-11-23"


def test_quick_range_links_on_the_page_use_today(client):
    page = text(client.get("/?q=Putin"))
    week = (date.today() - timedelta(days=7)).isoformat()
    assert f"/?q=Putin&from={week}&to={date.today().isoformat()}" in hrefs(page)


def test_sort_and_pagination_keep_the_state(client):
    first = text(client.get("/?sort=oldest&per_page=2"))
    assert "1–2 of 5 articles" in first
    assert "/?sort=oldest&per_page=2&page=2" in hrefs(first)
    assert 'aria-current="page"' in first
    third = text(client.get("/?sort=oldest&per_page=2&page=3"))
    assert "5–5 of 5 articles" in third and 'rel="prev"' in third and 'rel="next"' not in third
    assert '<option value="oldest" selected>' in third


def test_page_numbers_window():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_numbers(2, 4) == [1, 2, 3, 4]


def test_empty_result_offers_the_nearest_fixes(client):
    page = text(client.get("/?q=Putin+Kalbajar&person=Hulusi+Akar&match=all"))
    assert "Nothing found" in page
    links = hrefs(page)
    assert "/?q=Putin+Kalbajar&match=all" in links  # drop the person filter
    assert "/?q=Putin+Kalbajar&person=Hulusi+Akar&match=any" in links
    assert re.search(r"without person “Hulusi Akar”</a> <span class=\"count\">\(\d+ articles?\)", page)


def test_suggestion_and_alias_expansions_are_shown_when_the_index_gives_them(app, client, monkeypatch):
    with app.app_context():
        index = get_index()
    real = index.search

    def with_extras(request):
        result = real(request)
        return replace(result, suggestion={"q": "Kalbajar", "total": 2},
                       expanded=[{"term": "pashinian", "to": ["Nikol Pashinyan", "Pashinian"]}])

    monkeypatch.setattr(index, "search", with_extras)
    page = text(client.get("/?q=Kalbajr"))
    assert "Did you mean" in page or "for “Kalbajar”" in page
    assert "/?q=Kalbajar" in hrefs(page)
    assert "Also searched" in page and "Nikol Pashinyan, Pashinian" in page


def test_why_this_matched_is_there_on_request(client):
    page = text(client.get("/?q=Kalbajar"))
    assert re.search(r'<details class="why">\s*<summary>Why this matched</summary>', page)
    assert re.search(r"<q>kalbajar</q> in [a-z, ]*passage", page, re.I)
    assert "Why this matched" not in text(client.get("/"))  # nothing to explain when browsing


def test_a_new_query_keeps_the_filters(client):
    page = text(client.get("/?q=Putin&place=Armenia&page=1"))
    form = page.split('role="search"')[1].split("</form>")[0]
    assert '<input type="hidden" name="place" value="Armenia">' in form and 'name="page"' not in form


def test_arguments_named_like_url_for_parameters_are_not_carried(client):
    odd = "q=Kalbajar&endpoint=x&_anchor=y&article_id=z"
    for url in (f"/?{odd}", f"/articles/{article_id_for(client, 'Kalbajar')}?{odd}"):
        response = client.get(url)
        assert response.status_code == 200 and "endpoint=" not in text(response)


def test_bad_parameter_on_page_is_a_400_page(client):
    response = client.get("/?per_page=100000")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "per_page" in text(response)


# -- article view ------------------------------------------------------------------------


def test_article_view_highlights_every_match_with_passage_permalinks(client):
    article_id = article_id_for(client, "Kalbajar")
    page = text(client.get(f"/articles/{article_id}?q=Kalbajar&place=Armenia"))
    assert page.count("<mark>Kalbajar</mark>") >= 2
    assert re.search(r'<section class="passage" id="p0"', page)
    assert f"/articles/{article_id}?q=Kalbajar&place=Armenia#p0" in hrefs(page)
    assert "/?q=Kalbajar&place=Armenia" in hrefs(page)  # back to the same results
    assert re.search(r"\d+ match(es)? of <q>Kalbajar</q>", page) and 'data-step="1"' in page


def test_article_view_groups_entities_as_search_links(client):
    article_id = article_id_for(client, "Kalbajar")
    page = text(client.get(f"/articles/{article_id}"))
    assert '<h2 id="ent-person">People</h2>' in page and '<h2 id="ent-place">Places</h2>' in page
    assert "/?place=Kalbajar" in hrefs(page)
    assert "matchnav" not in page  # no query, no match stepping


def test_article_view_lists_related_articles_when_the_index_has_them(app, client, monkeypatch):
    with app.app_context():
        index = get_index()
    article_id = article_id_for(client, "Kalbajar")
    other = SimpleNamespace(id="abc", title="A <b>related</b> one", source="TRT World",
                            published=datetime(2020, 11, 12), score=1.0)
    monkeypatch.setattr(index, "related", lambda aid, limit=5: [other], raising=False)
    page = text(client.get(f"/articles/{article_id}"))
    assert "Related articles" in page and "/articles/abc" in hrefs(page)
    assert "A &lt;b&gt;related&lt;/b&gt; one" in page and "12 Nov 2020" in page


def test_unknown_article_page_is_404(client):
    response = client.get("/articles/nope")
    assert response.status_code == 404 and "not found" in text(response)


# -- safety and weight ---------------------------------------------------------------------


@pytest.fixture
def hostile_client(seed_copy):
    """An app over a copy of the seeds plus one article whose text is HTML and script."""
    from service.app import create_app
    settings = make_settings(seed_copy)
    with Index.open(seed_copy, settings=settings) as index:
        index.put(article_from_record({
            "id": "hostile", "title": "Kalbajar <script>alert(1)</script>", "source": "<b>Bold</b> Times",
            "body": "Kalbajar residents wrote <img src=x onerror=alert(2)> and <script>document.title='x'</script>.",
        }, index.outlets))
    return create_app(settings).test_client()


def test_article_text_is_escaped_everywhere(hostile_client):
    for url in ("/?q=Kalbajar", "/articles/hostile?q=Kalbajar", "/?q=script"):
        page = text(hostile_client.get(url))
        assert "<script>alert" not in page and "<img src=x" not in page and "<b>Bold" not in page
    page = text(hostile_client.get("/articles/hostile?q=Kalbajar"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_csp_allows_only_the_apps_own_scripts_and_styles(client):
    for url in ("/?q=Kalbajar", f"/articles/{article_id_for(client, 'Kalbajar')}?q=Kalbajar", "/nope"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
        assert "unsafe-inline" not in csp
        page = text(response)
        # nothing the policy would block: no inline scripts, handlers or style attributes
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert not re.search(r"\sstyle=|\son[a-z]+=|<style", page)
    assert "Content-Security-Policy" not in client.get("/api/v1/search?q=x").headers


def test_page_with_its_assets_weighs_under_150_kb(client):
    page = client.get("/?q=Putin")
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', text(page))
    assert sorted(a.split("/")[-1] for a in assets) == ["app.js", "favicon.svg", "style.css"]
    weight = len(page.data) + sum(len(client.get(a).data) for a in assets)
    assert weight < 150_000
