"""Atom feeds as a feed reader sees them (feedparser): stable entry times, titles that say the search."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import feedparser
import pytest

from conftest import make_settings
from service import auth


@pytest.fixture
def writable(seed_copy):
    from service.app import create_app
    settings = make_settings(seed_copy, entities=False)
    key = {"Authorization": f"Bearer {auth.create_key(settings.keys_file, 'cms', 'write')}"}
    return create_app(settings).test_client(), key


def read_feed(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.data
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    return feed


def updated_by_id(feed) -> dict[str, time.struct_time]:
    return {entry.id: entry.updated_parsed for entry in feed.entries}


def test_entry_updated_does_not_move_after_an_unrelated_write(writable):
    client, key = writable
    client.put("/api/v1/articles/undated-1", json={"title": "Undated note on Shusha", "body": "Shusha was calm."},
               headers=key)
    before = read_feed(client, "/api/v1/search.atom")
    undated = [e for e in before.entries if "published_parsed" not in e]
    assert undated, "the seed corpus and the note include undated articles"
    time.sleep(1.1)  # so that a commit time, were it used, would be a different second
    assert client.put("/api/v1/articles/other", json={"title": "Unrelated", "body": "Elsewhere entirely."},
                      headers=key).status_code == 201
    assert client.delete("/api/v1/articles/other", headers=key).status_code == 204
    after = read_feed(client, "/api/v1/search.atom")
    assert updated_by_id(after) == updated_by_id(before)
    assert after.feed.updated_parsed == before.feed.updated_parsed


def test_undated_entry_takes_the_first_seen_time_kept_across_updates(writable):
    client, key = writable
    first = client.put("/api/v1/articles/undated-2", json={"title": "Shusha note", "body": "First version."},
                       headers=key).get_json()
    seen = datetime.fromisoformat(first["first_seen"])
    time.sleep(1.1)
    second = client.put("/api/v1/articles/undated-2", json={"title": "Shusha note", "body": "Second version."},
                        headers=key).get_json()
    assert second["first_seen"] == first["first_seen"]
    feed = read_feed(client, "/api/v1/search.atom?q=Shusha")
    entry = next(e for e in feed.entries if e.id.endswith(":undated-2"))
    assert datetime(*entry.updated_parsed[:6], tzinfo=timezone.utc) == seen


def test_dated_entry_updated_is_its_publication_time_and_the_feed_is_the_newest(client):
    feed = read_feed(client, "/api/v1/search.atom?q=Putin")
    dated = [e for e in feed.entries if "published_parsed" in e]
    assert dated
    for entry in dated:
        assert entry.updated_parsed == entry.published_parsed
    assert feed.feed.updated_parsed == max(e.updated_parsed for e in feed.entries)


def test_title_and_subtitle_state_the_query_and_filters(client):
    feed = read_feed(client, "/api/v1/search.atom?q=Putin&source=Daily+Sabah&person=Vladimir+Putin"
                             "&from=2020-01-01&to=2021-12-31&match=all")
    for text in (feed.feed.title, feed.feed.subtitle):
        assert "Putin" in text and "source: Daily Sabah" in text and "person: Vladimir Putin" in text
        assert "2020-01-01" in text and "2021-12-31" in text and "match: all" in text
    assert "1 article(s)" in feed.feed.subtitle
    browse = read_feed(client, "/api/v1/search.atom")
    assert browse.feed.title == "newsindex: newest articles"


def test_only_web_urls_become_entry_links(writable):
    client, key = writable
    for n, url in enumerate(["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:msgbox", " https://ok.example/a "]):
        client.put(f"/api/v1/articles/link-{n}", json={"title": f"Link {n} Ijevan", "body": "Ijevan story.", "url": url},
                   headers=key)
    feed = read_feed(client, "/api/v1/search.atom?q=Ijevan")
    links = {entry.id.rsplit(":", 1)[1]: entry.link for entry in feed.entries}
    assert links["link-3"] == "https://ok.example/a"
    for n in range(3):
        assert links[f"link-{n}"] == f"http://127.0.0.1:8000/articles/link-{n}"
    page = client.get("/articles/link-0").get_data(as_text=True)
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page  # shown as text, not a link
