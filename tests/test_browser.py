"""The search page in a real browser: Playwright driving Debian's chromium (no browser download).

The app runs under a real WSGI server (werkzeug) on a free 127.0.0.1 port, over a
copy of the seed index plus one hostile article whose text is HTML and script.
Every test also checks that the page asked nothing of any other host and that
the browser reported no error (a Content-Security-Policy violation is one).
Screenshots at 390 px and 1440 px go to test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import csv
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT
from index import Index, article_from_record
from wire_corpus import build_index

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="browser tests need Debian's chromium at /usr/bin/chromium (make browser installs it)"),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory, seed_dir, seed_settings):
    """The real app under werkzeug's threaded server, over a private copy of the seeds."""
    path = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(seed_dir, path)
    settings = seed_settings.replace(index_dir=path)
    with Index.open(path, settings=settings.replace(entities=False)) as index:  # no NER model load
        index.put(article_from_record({
            "id": "hostile", "title": "Kalbajar <script>alert('title')</script> report",
            "body": "Kalbajar residents pasted <script>document.title = 'owned'; alert(1)</script> into the form.\n\n"
                    "An image <img src=x onerror=alert(2)> followed, then Kalbajar again.",
        }, index.outlets))
    yield from serve(settings)


def serve(settings):
    """The real app under werkzeug on a free loopback port, for as long as the fixture lives."""
    from werkzeug.serving import make_server

    from service.app import create_app
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def wire_url(tmp_path_factory, seed_settings):
    """The real app under werkzeug over the small wire archive of tests/wire_corpus.py (families, tags, 1987 dates)."""
    folder = tmp_path_factory.mktemp("wire-browser")
    settings = seed_settings.replace(index_dir=folder / "index", entities=False)
    build_index(folder / "corpus", settings)
    yield from serve(settings)


@contextmanager
def watched_page(browser, base_url):
    """A fresh desktop-sized page; fails the test on a browser error or any request off the app."""
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
    page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("request", lambda req: req.url.startswith(base_url) or problems.append(f"off-site: {req.url}"))
    page.problems = problems
    yield page
    context.close()
    # A 404 from the optional facet value endpoint is expected before it exists.
    real = [p for p in problems if not re.search(r"/api/v1/facets/|404 \(NOT FOUND\)", p)]
    assert not real, real


@pytest.fixture
def page(browser, base_url):
    with watched_page(browser, base_url) as page:
        yield page


@pytest.fixture
def wire_page(browser, wire_url):
    with watched_page(browser, wire_url) as page:
        yield page


def count_of(page) -> str:
    return page.locator("h1.count").inner_text()


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= viewport["height"]


def test_search_then_facet_narrows_and_chip_removes(page):
    page.goto("/")
    page.fill("#q", "Putin")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=Putin"))
    before = count_of(page)
    page.locator('section[data-facet="source"] a', has_text="Daily Sabah").click()
    page.wait_for_url(re.compile(r"source=Daily\+Sabah"))
    assert count_of(page).startswith("1 article") and before != count_of(page)
    assert page.locator(".hit").count() == 1
    page.get_by_role("link", name="Remove filter Source: Daily Sabah", exact=True).click()
    page.wait_for_url(lambda url: "source=" not in url)
    assert count_of(page) == before
    page.go_back()  # the back button restores the filtered state
    page.wait_for_url(re.compile(r"source=Daily\+Sabah"))
    assert page.locator(".chips .chip.removable").count() == 1


def test_histogram_bar_clicked_twice_filters_to_its_day(page):
    page.goto("/")
    bar = page.locator('.histogram a[aria-label^="26 Nov 2020"]')
    bar.click()
    assert "click the last bar" in page.locator(".range-hint").inner_text()
    assert page.locator("#date-from").input_value() == "2020-11-26"  # the form follows the choice
    bar.click()
    page.wait_for_url(re.compile(r"from=2020-11-26&to=2020-11-26"))
    assert count_of(page).startswith("1 article")
    assert page.locator('.histogram a[aria-current="true"]').count() == 1


def test_without_javascript_a_bar_is_a_link_to_its_own_period(browser, base_url):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        assert not page.locator(".range-hint").is_visible()
        page.locator('.histogram a[aria-label^="13 Jan 2021"]').click()
        page.wait_for_url(re.compile(r"from=2021-01-13&to=2021-01-13"))
        assert count_of(page).startswith("1 article")
    finally:
        context.close()


def bar_centre(page, label: str) -> tuple[float, float]:
    box = page.locator(f'.histogram a[aria-label^="{label}:"]').bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_select_a_histogram_range_switch_to_all_words_and_download_the_csv(wire_page):
    page = wire_page
    page.goto("/?q=OPEC+oil+output")
    assert count_of(page).startswith("4 stories (6 articles, 4 with every word)")
    # drag from 2 March to 20 March: the 20 April cocoa story falls outside
    page.mouse.move(*bar_centre(page, "2 Mar 1987"))
    page.mouse.down()
    page.mouse.move(*bar_centre(page, "10 Mar 1987"), steps=4)
    assert "2 Mar 1987 to 10 Mar 1987" in page.locator(".range-hint").inner_text()
    page.mouse.move(*bar_centre(page, "20 Mar 1987"), steps=4)
    page.mouse.up()
    page.wait_for_url(re.compile(r"from=1987-03-02&to=1987-03-20"))
    assert count_of(page).startswith("3 stories (5 articles, 4 with every word)")
    assert page.locator("#date-to").input_value() == "1987-03-20"

    page.locator("nav.match").get_by_role("link", name=re.compile(r"^All words")).click()
    page.wait_for_url(re.compile(r"match=all"))
    assert "from=1987-03-02&to=1987-03-20" in page.url
    assert count_of(page).startswith("2 stories (4 articles)")
    assert page.locator('nav.match a[aria-current="true"]').inner_text().startswith("All words")
    shown = [href.split("/articles/")[1].split("?")[0]
             for href in page.locator(".hit-title a").evaluate_all("links => links.map(a => a.getAttribute('href'))")]

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "newsindex-search.csv"
    with open(download.path(), newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == shown and len(rows) == 2
    assert all("OPEC" in row["title"] for row in rows)
    assert rows[0]["published"].startswith("1987-03-")


def test_two_clicks_pick_a_range_and_escape_cancels(wire_page):
    page = wire_page
    page.goto("/")
    first = page.locator('.histogram a[aria-label^="3 Mar 1987:"]')
    first.click()
    assert page.locator(".histogram a.inrange").count() == 1
    page.keyboard.press("Escape")
    assert page.locator(".histogram a.inrange").count() == 0
    first.click()
    page.locator('.histogram a[aria-label^="1 Apr 1987:"]').click()
    page.wait_for_url(re.compile(r"from=1987-03-03&to=1987-04-01"))
    assert page.locator("#date-from").input_value() == "1987-03-03"


def test_a_range_can_be_picked_with_the_keyboard(wire_page):
    page = wire_page
    page.goto("/?q=OPEC+oil+output")
    page.locator('.histogram a[aria-label^="20 Mar 1987:"]').focus()
    page.keyboard.press("Enter")
    assert "From 20 Mar 1987" in page.locator(".range-hint").inner_text()  # said aloud: the hint is aria-live
    page.locator('.histogram a[aria-label^="2 Mar 1987:"]').focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"from=1987-03-02&to=1987-03-20"))


def test_versions_open_and_tags_filter(wire_page):
    page = wire_page
    page.goto("/?q=OPEC+oil+output")
    page.get_by_role("link", name=re.compile(r"2 similar versions of this story")).click()
    page.wait_for_url(re.compile(r"family=.*collapse=false"))
    assert page.locator(".hit").count() == 3
    page.goto("/?q=OPEC+oil+output")
    page.locator('section[data-facet="tag-topics"] a', has_text="crude").click()
    page.wait_for_url(re.compile(r"tag=topics%3Acrude|tag=topics:crude"))
    assert page.locator(".active").get_by_role("link", name="Remove filter Topics: crude").count() == 1


def test_entity_chip_on_a_card_adds_a_filter(page):
    page.goto("/?q=Kalbajar")
    chip = page.locator(".hit .chips.small a.person").first
    name = chip.inner_text()
    chip.click()
    page.wait_for_url(re.compile(r"person="))
    assert page.locator(".active .chip.removable").inner_text().startswith(f"Person: {name}")


def test_paging_through_results(page):
    page.goto("/?per_page=2")
    first_titles = page.locator(".hit-title").all_inner_texts()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert count_of(page).startswith("3–4 of 6")
    assert page.locator(".hit-title").all_inner_texts() != first_titles
    page.get_by_role("link", name="Page 3").click()
    page.wait_for_url(re.compile(r"page=3"))
    assert page.locator('.pager a[aria-current="page"]').inner_text() == "3"


def test_sort_select_submits_and_slash_focuses_the_query(page):
    page.goto("/?q=Putin")
    page.select_option("#sort", "oldest")
    page.wait_for_url(re.compile(r"sort=oldest"))
    page.locator("h1.count").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"


def test_facet_filter_box_narrows_the_list(page):
    page.goto("/")
    box = page.locator("#filter-place")
    box.fill("kalb")
    values = page.locator('section[data-facet="place"] .facet-values li:visible')
    assert values.count() >= 1
    assert all("kalb" in t.lower() for t in values.all_inner_texts())


def test_facet_filter_box_offers_values_beyond_the_list_from_the_facet_endpoint(page):
    page.goto("/?q=Kalbajar")
    assert page.locator('section[data-facet="place"] .facet-values', has_text="Yerevan").count() == 0
    page.locator("#filter-place").fill("yer")
    suggestion = page.locator("#suggest-place a", has_text="Yerevan")
    suggestion.wait_for()
    suggestion.click()
    page.wait_for_url(re.compile(r"q=Kalbajar&place=Yerevan"))


def test_open_article_at_its_passage_then_step_with_n_and_p(page):
    page.goto("/?q=Kalbajar")
    link = page.locator(".hit .passage .plink").first
    anchor = link.get_attribute("href").split("#")[1]
    link.click()
    page.wait_for_url(re.compile(rf"/articles/.*q=Kalbajar.*#{anchor}$"))
    passage = page.locator(f"#{anchor}")
    assert in_view(page, passage)
    assert passage.locator("mark").count() >= 1
    assert passage.locator("mark.current").count() == 1
    total = page.locator(".passages mark").count()
    page.keyboard.press("n")
    status = page.locator(".matchcount").inner_text()
    position = int(re.match(r"Match (\d+) of (\d+)", status).group(1))
    assert int(re.match(r"Match (\d+) of (\d+)", status).group(2)) == total
    assert in_view(page, page.locator("mark.current"))
    page.keyboard.press("p")
    page.keyboard.press("p")
    back = int(re.match(r"Match (\d+)", page.locator(".matchcount").inner_text()).group(1))
    assert back == (position - 2 - 1) % total + 1
    page.get_by_role("button", name="↓ Next match").click()
    assert page.locator("mark.current").count() == 1


def test_script_in_an_article_is_shown_as_text_and_never_runs(page):
    page.goto("/articles/hostile?q=Kalbajar")
    assert "<script>alert('title')</script>" in page.locator("h1").inner_text()
    assert "<script>document.title = 'owned'; alert(1)</script>" in page.locator(".passages").inner_text()
    assert page.title() != "owned" and page.locator(".passages img").count() == 0
    page.goto("/?q=Kalbajar")
    assert any("<script>alert('title')</script>" in t for t in page.locator(".hit-title").all_inner_texts())
    # the dialog handler in the fixture fails the test if any alert() ran


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_axe_finds_no_serious_issue_and_screenshots_are_written(page, wire_page, viewport):
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(viewport)
    wire_page.set_viewport_size(viewport)
    page.goto("/?q=Kalbajar")
    article_url = page.locator(".hit .passage .plink").first.get_attribute("href")
    pages = [("search", page, "/?q=Kalbajar"), ("article", page, article_url),
             ("wire", wire_page, "/?q=OPEC+oil+output"), ("wire-versions", wire_page, "/?q=OPEC&collapse=false")]
    if viewport is DESKTOP:
        pages += [("browse", page, "/?sort=oldest&per_page=2&page=2"),
                  ("empty", page, "/?q=Kalbajar&person=Hulusi+Akar"),
                  ("wire-range", wire_page, "/?q=OPEC+oil+output&from=1987-03-02&to=1987-03-20&match=all")]
    for name, tab, url in pages:
        tab.goto(url)
        found = axe.run(tab).response["violations"]
        serious = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                   for v in found if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name} at {viewport['width']} px: {serious}"
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport['width']}.png"), full_page=True)
        # usable on a phone: nothing wider than the screen
        assert tab.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
