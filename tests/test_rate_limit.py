"""Per-client rate limits on searches and writes: 429 in the one error shape, with Retry-After."""

from __future__ import annotations

import pytest

from config.settings import SettingsError
from conftest import make_settings
from service import auth
from test_api import assert_error

REMOTE = {"REMOTE_ADDR": "192.0.2.10"}  # a documentation address: some client that is not loopback
OTHER = {"REMOTE_ADDR": "192.0.2.11"}


def make_client(seed_dir, **settings):
    from service.app import create_app
    return create_app(make_settings(seed_dir, **settings)).test_client()


def search(client, environ=REMOTE):
    return client.get("/api/v1/search", query_string={"q": "Kalbajar"}, environ_base=environ)


def test_past_the_limit_a_client_gets_429_with_retry_after(seed_dir):
    client = make_client(seed_dir, rate_limit="3/minute")
    assert [search(client).status_code for _ in range(3)] == [200, 200, 200]
    response = search(client)
    error = assert_error(response, 429)
    assert error["code"] == "rate_limited" and "3 per 1 minute" in error["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert search(client, OTHER).status_code == 200  # per client: another address has its own budget


def test_reads_of_one_article_and_health_are_not_counted(seed_dir):
    client = make_client(seed_dir, rate_limit="2/minute")
    article_id = search(client).get_json()["results"][0]["id"]
    for _ in range(5):
        assert client.get(f"/api/v1/articles/{article_id}", environ_base=REMOTE).status_code == 200
        assert client.get("/healthz", environ_base=REMOTE).status_code == 200
        assert client.get("/metrics", environ_base=REMOTE).status_code == 200
    assert search(client).status_code == 200
    assert search(client).status_code == 429


def test_writes_share_the_budget(seed_copy):
    settings = make_settings(seed_copy, rate_limit="2/minute", entities=False)
    key = auth.create_key(settings.keys_file, "cms", "write")
    from service.app import create_app
    client = create_app(settings).test_client()
    headers = {"Authorization": f"Bearer {key}"}
    article = {"title": "Tegh corridor", "body": "The Tegh corridor stayed open on Monday."}
    assert client.put("/api/v1/articles/w1", json=article, headers=headers, environ_base=REMOTE).status_code == 201
    assert search(client).status_code == 200
    response = client.put("/api/v1/articles/w2", json=article, headers=headers, environ_base=REMOTE)
    assert_error(response, 429)
    assert "Retry-After" in response.headers


def test_the_search_page_is_limited_too(seed_dir):
    client = make_client(seed_dir, rate_limit="1/minute")
    assert client.get("/", query_string={"q": "Kalbajar"}, environ_base=REMOTE).status_code == 200
    response = client.get("/", query_string={"q": "Kalbajar"}, environ_base=REMOTE)
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_loopback_clients_are_exempt_by_default(seed_dir):
    client = make_client(seed_dir, rate_limit="1/minute")
    local = {"REMOTE_ADDR": "127.0.0.1"}
    assert [search(client, local).status_code for _ in range(4)] == [200] * 4
    assert search(client, {"REMOTE_ADDR": "::1"}).status_code == 200


def test_loopback_is_limited_when_configured(seed_dir):
    client = make_client(seed_dir, rate_limit="1/minute", rate_limit_loopback=True)
    local = {"REMOTE_ADDR": "127.0.0.1"}
    assert [search(client, local).status_code for _ in range(2)] == [200, 429]


def test_no_limit_when_the_setting_is_empty(seed_dir):
    client = make_client(seed_dir)
    assert {search(client).status_code for _ in range(30)} == {200}


def test_a_malformed_limit_stops_start_up(seed_dir):
    with pytest.raises(SettingsError, match="NEWSINDEX_RATE_LIMIT"):
        make_client(seed_dir, rate_limit="lots please")
