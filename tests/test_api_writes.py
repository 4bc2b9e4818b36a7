"""Writes through the API: PUT, DELETE, NDJSON bulk; a 2xx write is found by the next search."""

from __future__ import annotations

import json

import pytest

from conftest import BOTH, make_settings
from service import auth
from test_api import assert_error

pytestmark = BOTH

ARTICLE = {
    "title": "Ceasefire holds in Tegh corridor",
    "body": "Peacekeepers said the Tegh corridor stayed open on Monday.\n\n"
            "Recep Tayyip Erdoğan spoke with Vladimir Putin about the corridor.",
    "source": "Daily Sabah",
    "published": "2021-03-01T08:30:00Z",
    "url": "https://example.org/tegh",
    "byline": "By A. Reporter",
}


@pytest.fixture
def writable(seed_copy):
    """An app over a private copy of the seed index (entities on), and a write key for it."""
    from service.app import create_app
    settings = make_settings(seed_copy)
    key = auth.create_key(settings.keys_file, "cms", "write")
    app = create_app(settings)
    return app.test_client(), {"Authorization": f"Bearer {key}"}, settings


def search(client, q: str, **params) -> dict:
    return client.get("/api/v1/search", query_string={"q": q, **params}).get_json()


def test_put_creates_runs_the_pipeline_and_is_found_by_the_next_search(writable):
    client, key, _ = writable
    response = client.put("/api/v1/articles/cms-1", json=ARTICLE, headers=key)
    assert response.status_code == 201, response.data
    assert response.headers["Location"].endswith("/api/v1/articles/cms-1")
    stored = response.get_json()
    assert stored["id"] == "cms-1" and stored["title"] == ARTICLE["title"]
    assert stored["source"] == "Daily Sabah" and stored["published"].startswith("2021-03-01T08:30:00")
    assert stored["passages"] and "Tegh corridor" in stored["passages"][0]["text"]
    people = {e["name"] for e in stored["entities"] if e["type"] == "person"}
    assert "Recep Tayyip Erdoğan" in people  # the same NER pipeline as `newsindex ingest`
    found = search(client, "Tegh")
    assert [hit["id"] for hit in found["results"]] == ["cms-1"]
    assert client.get("/api/v1/articles/cms-1").get_json()["title"] == ARTICLE["title"]


def test_put_again_replaces_never_duplicates(writable):
    client, key, _ = writable
    assert client.put("/api/v1/articles/cms-2", json=ARTICLE, headers=key).status_code == 201
    corrected = {**ARTICLE, "title": "Correction: corridor reopened", "body": "The Zangezur corridor reopened today."}
    response = client.put("/api/v1/articles/cms-2", json=corrected, headers=key)
    assert response.status_code == 200 and response.get_json()["title"] == corrected["title"]
    assert search(client, "Tegh")["total"] == 0
    assert [hit["id"] for hit in search(client, "Zangezur")["results"]] == ["cms-2"]
    assert client.get("/healthz").get_json()["articles"] == 6


def test_put_html_page_extracts_the_article(writable):
    client, key, _ = writable
    paragraph = "<p>Officials in Dilijan confirmed the convoy arrived after a long delay on the road.</p>"
    page = ("<html><head><title>Convoy arrives</title></head><body><nav>Home | World | Sport</nav>"
            f"<article><h1>Convoy arrives in Dilijan</h1>{paragraph * 4}</article>"
            "<footer>Cookie policy</footer></body></html>")
    response = client.put("/api/v1/articles/page-1", json={"html": page, "source": "TRT World"}, headers=key)
    assert response.status_code == 201, response.data
    stored = response.get_json()
    assert "Dilijan" in stored["body"] and "Cookie policy" not in stored["body"]
    assert search(client, "Dilijan")["results"][0]["id"] == "page-1"


@pytest.mark.parametrize("body,code,param", [
    ({"title": "No text"}, "invalid_article", "body"),
    ({**ARTICLE, "boby": "typo"}, "invalid_article", "boby"),
    ({**ARTICLE, "published": "not a date"}, "invalid_article", "published"),
    ({**ARTICLE, "title": 42}, "invalid_article", "title"),
    ({**ARTICLE, "id": "another-id"}, "invalid_article", "id"),
    ([ARTICLE], "invalid_article", None),
])
def test_put_invalid_article_is_400_naming_the_field(writable, body, code, param):
    client, key, _ = writable
    error = assert_error(client.put("/api/v1/articles/bad-1", json=body, headers=key), 400, param)
    assert error["code"] == code
    assert_error(client.get("/api/v1/articles/bad-1"), 404)


def test_put_needs_a_json_body(writable):
    client, key, _ = writable
    error = assert_error(client.put("/api/v1/articles/x", data="{not json", content_type="application/json",
                                    headers=key), 400)
    assert error["code"] == "invalid_json"
    error = assert_error(client.put("/api/v1/articles/x", data="title=x&body=y", headers=key), 415)
    assert error["code"] == "unsupported_media_type"


def test_put_refuses_an_id_with_control_characters(writable):
    client, key, _ = writable
    error = assert_error(client.put("/api/v1/articles/bad%01id", json=ARTICLE, headers=key), 400, "id")
    assert error["code"] == "invalid_parameter"


def test_delete_removes_then_404(writable):
    client, key, _ = writable
    client.put("/api/v1/articles/gone", json=ARTICLE, headers=key)
    response = client.delete("/api/v1/articles/gone", headers=key)
    assert response.status_code == 204 and response.data == b""
    assert search(client, "Tegh")["total"] == 0
    assert_error(client.get("/api/v1/articles/gone"), 404)
    assert_error(client.delete("/api/v1/articles/gone", headers=key), 404)


def ndjson(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


def test_bulk_with_one_bad_line_writes_the_others(writable):
    client, key, _ = writable
    body = ndjson(
        {"id": "b-1", "title": "Bulk one", "body": "Goris residents welcomed the new road."},
        {"id": "b-2", "title": "No body here"},
        "{not json",
        "",
        {"id": "b-3", "body": "Sisian museum reopened.", "published": "2021-02-02"},
        {"body": "An article without an id about Gyumri."},
    )
    response = client.post("/api/v1/articles/bulk", data=body, headers={**key, "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.data
    report = response.get_json()
    assert report["errors"] is True and report["created"] == 3 and report["failed"] == 2
    by_line = {item["line"]: item for item in report["items"]}
    assert sorted(by_line) == [1, 2, 3, 5, 6]  # the blank line 4 is no article
    assert by_line[1] == {"line": 1, "ok": True, "id": "b-1", "status": 201, "result": "created", "error": None}
    assert not by_line[2]["ok"] and by_line[2]["id"] == "b-2" and by_line[2]["error"]["param"] == "body"
    assert by_line[3]["error"]["code"] == "invalid_json" and by_line[3]["status"] == 400
    assert by_line[5]["ok"] and by_line[6]["ok"] and by_line[6]["id"]
    assert search(client, "Goris")["results"][0]["id"] == "b-1"
    assert search(client, "Sisian")["results"][0]["id"] == "b-3"
    assert search(client, "Gyumri")["results"][0]["id"] == by_line[6]["id"]
    assert_error(client.get("/api/v1/articles/b-2"), 404)


def test_bulk_replaces_and_repeats_within_one_body(writable):
    client, key, _ = writable
    first = client.post("/api/v1/articles/bulk", data=ndjson({"id": "r-1", "body": "Meghri bridge opened."}), headers=key)
    assert first.get_json()["items"][0]["result"] == "created"
    again = client.post("/api/v1/articles/bulk", headers=key, data=ndjson(
        {"id": "r-1", "body": "Meghri bridge closed again."}, {"id": "r-2", "body": "Kapan first."},
        {"id": "r-2", "body": "Kapan second."}))
    results = [(item["id"], item["status"], item["result"]) for item in again.get_json()["items"]]
    assert results == [("r-1", 200, "updated"), ("r-2", 201, "created"), ("r-2", 200, "updated")]
    assert search(client, "Kapan")["total"] == 1
    assert "Kapan second." in client.get("/api/v1/articles/r-2").get_json()["body"]


def test_bulk_commits_in_batches(seed_copy):
    from service.app import create_app
    settings = make_settings(seed_copy, entities=False, ingest_batch_size=2)
    key = auth.create_key(settings.keys_file, "cms", "write")
    client = create_app(settings).test_client()
    body = ndjson(*({"id": f"n-{i}", "body": f"Batch article number {i} about Vanadzor."} for i in range(5)))
    report = client.post("/api/v1/articles/bulk", data=body, headers={"Authorization": f"Bearer {key}"}).get_json()
    assert report["created"] == 5 and not report["errors"]
    assert search(client, "Vanadzor")["total"] == 5


def test_bulk_empty_and_oversize(seed_copy):
    from service.app import create_app
    settings = make_settings(seed_copy, max_bulk_bytes=1000)
    key = {"Authorization": f"Bearer {auth.create_key(settings.keys_file, 'cms', 'write')}"}
    client = create_app(settings).test_client()
    assert assert_error(client.post("/api/v1/articles/bulk", data=b"\n\n", headers=key), 400)["code"] == "invalid_body"
    big = ndjson(*({"id": f"big-{i}", "body": "x" * 100} for i in range(20)))
    error = assert_error(client.post("/api/v1/articles/bulk", data=big, headers=key), 413)
    assert error["code"] == "payload_too_large"
    assert client.get("/healthz").get_json()["articles"] == 5  # nothing of it was written


@pytest.mark.whoosh_only  # another Whoosh writer holds the lock (OpenSearch has no index lock: test_opensearch.py)
def test_busy_index_is_503_with_retry_after_and_nothing_half_written(seed_copy):
    from whoosh import index as whoosh_index

    from service.app import create_app
    settings = make_settings(seed_copy, entities=False, write_lock_timeout=0.2)
    key = {"Authorization": f"Bearer {auth.create_key(settings.keys_file, 'cms', 'write')}"}
    client = create_app(settings).test_client()
    held = whoosh_index.open_dir(str(seed_copy)).writer()  # another writer holds the lock
    try:
        response = client.put("/api/v1/articles/busy", json=ARTICLE, headers=key)
        error = assert_error(response, 503)
        assert error["code"] == "index_busy" and int(response.headers["Retry-After"]) > 0
        bulk = client.post("/api/v1/articles/bulk", data=ndjson({"id": "busy-2", "body": "x y z"}), headers=key)
        assert_error(bulk, 503)
    finally:
        held.cancel()
    assert_error(client.get("/api/v1/articles/busy"), 404)
    assert client.put("/api/v1/articles/busy", json=ARTICLE, headers=key).status_code == 201


def test_etag_changes_with_a_write_and_304_until_then(writable):
    client, key, _ = writable
    first = client.get("/api/v1/search?q=Putin")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get("/api/v1/search?q=Putin", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    other = client.get("/api/v1/search?q=Putin&per_page=2")
    assert other.headers["ETag"] != etag  # another URL, another tag
    article_id = first.get_json()["results"][0]["id"]
    article = client.get(f"/api/v1/articles/{article_id}")
    assert client.get(f"/api/v1/articles/{article_id}",
                      headers={"If-None-Match": article.headers["ETag"]}).status_code == 304
    client.put("/api/v1/articles/etag-1", json=ARTICLE, headers=key)
    after = client.get("/api/v1/search?q=Putin", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.get_json()["total"] == first.get_json()["total"] + 1

