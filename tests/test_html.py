"""Saved web pages: the article and its metadata, none of the page's furniture."""

from __future__ import annotations

from datetime import datetime

from index import SearchRequest, read_articles

from conftest import BOTH

pytestmark = BOTH

PAGE = """<!doctype html>
<html lang="en"><head>
<title>Ceasefire monitors arrive in Aghdam | The Example Courier</title>
<meta property="og:title" content="Ceasefire monitors arrive in Aghdam">
<meta property="og:site_name" content="The Example Courier">
<meta name="author" content="Leyla Mammadova">
<meta property="article:published_time" content="2020-12-02T09:30:00Z">
<link rel="canonical" href="https://courier.example/world/ceasefire-monitors-aghdam">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/zanzibarnav">Zanzibarnav deals</a></nav>
<div class="cookie-banner">We use cookies to improve quibblefrost experience. <button>Accept</button></div>
<article>
<h1>Ceasefire monitors arrive in Aghdam</h1>
<p class="byline">By Leyla Mammadova</p>
<p>Turkish and Russian officers began work on Tuesday at the joint monitoring centre near Aghdam,
officials said, two weeks after the truce that ended six weeks of fighting over Nagorno-Karabakh.</p>
<p>The centre will use drones to watch the line of contact, according to the defence ministry,
which said the officers would report violations to both capitals every day.</p>
<p>Residents who fled the district in the early 1990s have begun visiting the ruins of their homes,
and engineers are clearing mines from the main roads leading into the town.</p>
</article>
<aside class="related"><h2>Related</h2><ul><li><a href="/x">Wobblegrade markets rally</a></li></ul></aside>
<footer>Copyright The Example Courier. Contact us. Plinthwarden privacy policy.</footer>
</body></html>
"""


def test_html_page_ingests_with_title_date_author_and_no_boilerplate(empty_index, tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    (article,) = read_articles([path], empty_index.outlets)
    assert article.title == "Ceasefire monitors arrive in Aghdam"
    assert article.published.date() == datetime(2020, 12, 2).date()
    assert article.byline == "Leyla Mammadova"
    assert article.url == "https://courier.example/world/ceasefire-monitors-aghdam"
    assert article.source == "The Example Courier"
    empty_index.ingest([article])
    assert empty_index.search(SearchRequest(q="drones")).total == 1
    for word in ("zanzibarnav", "quibblefrost", "wobblegrade", "plinthwarden"):
        assert empty_index.search(SearchRequest(q=word)).total == 0, word
