"""The API other newsroom tools build on (issue 17): conventional, consistent, complete.

Each test states what got in the way of a client developer, then the behaviour
that replaced it: absolute links, unknown parameters refused, facet choice,
one date field, the writes a tool expects, bulk outcomes, took_ms.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from conftest import make_settings
from service import auth
from test_api import assert_error

ARTICLE = {"title": "Convoy reaches Lachin", "body": "The convoy reached Lachin on Tuesday after a long delay.",
           "source": "Daily Sabah", "published": "2021-02-02T08:00:00Z", "url": "https://example.org/lachin"}


@pytest.fixture
def api(seed_copy):
    """A client over a private seed copy (entities off), with write and admin keys."""
    from service.app import create_app
    settings = make_settings(seed_copy, entities=False)
    keys = {scope: {"Authorization": f"Bearer {auth.create_key(settings.keys_file, scope, scope)}"}
            for scope in ("read", "write", "admin")}
    return create_app(settings).test_client(), keys


def ndjson(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()


# -- reading -------------------------------------------------------------------------------


@pytest.mark.parametrize("query,names", [("size=5", ["size"]), ("q=x&size=5&fields=id", ["fields", "size"]),
                                         ("pagee=2", ["pagee"])])
def test_unknown_query_parameters_are_a_400_naming_them(client, query, names):
    error = assert_error(client.get(f"/api/v1/search?{query}"), 400, names[0])
    assert error["code"] == "invalid_parameter"
    for name in names:
        assert repr(name) in error["message"]
    assert "per_page" in error["message"]  # and says what the endpoint does take


@pytest.mark.parametrize("path", ["/api/v1/search.csv?limit=3", "/api/v1/search.atom?page=2",
                                  "/api/v1/facets/person?size=3", "/api/v1/search.ndjson?per_page=3"])
def test_every_read_endpoint_refuses_unknown_parameters(client, path):
    name = path.split("?")[1].split("=")[0]
    assert_error(client.get(path), 400, name)


def test_facet_size_and_facet_choice(client):
    body = client.get("/api/v1/search?facets=source,person&facet_size=1").get_json()
    assert list(body["facets"]) == ["source", "person"]
    assert len(body["facets"]["person"]) == 1 and len(body["facets"]["source"]) == 1
    wide = client.get("/api/v1/search?facet_size=100").get_json()["facets"]
    assert list(wide) == ["source", "date", "person", "org", "place", "tag"] and len(wide["place"]) > 1
    assert client.get("/api/v1/search?facets=false").get_json()["facets"] == {}
    assert_error(client.get("/api/v1/search?facet_size=101"), 400, "facet_size")
    assert_error(client.get("/api/v1/search?facet_size=0"), 400, "facet_size")
    error = assert_error(client.get("/api/v1/search?facets=source,colour"), 400, "facets")
    assert "colour" in error["message"]


def test_empty_results_keep_every_facet_key(client, tmp_path):
    none = client.get("/api/v1/search?q=nosuchwordanywhere").get_json()
    assert none["total"] == 0 and none["facets"] == {k: [] for k in ("source", "date", "person", "org", "place", "tag")}
    chosen = client.get("/api/v1/search?q=nosuchwordanywhere&facets=org,place").get_json()
    assert chosen["facets"] == {"org": [], "place": []}
    from service.app import create_app
    empty = create_app(make_settings(tmp_path / "empty", entities=False)).test_client()
    assert set(empty.get("/api/v1/search").get_json()["facets"]) == {"source", "date", "person", "org", "place", "tag"}


@pytest.mark.parametrize("sort", ["date", "score", "NEWEST", "relevance "])
def test_sort_accepts_only_the_documented_values(client, sort):
    error = assert_error(client.get("/api/v1/search", query_string={"sort": sort}), 400, "sort")
    assert "relevance, newest, oldest" in error["message"]


def test_one_date_field_with_its_offset_everywhere(client):
    hits = client.get("/api/v1/search?q=Kalbajar").get_json()["results"]
    dated = [hit for hit in hits if hit["published"]]
    assert dated and all("date" not in hit for hit in hits)
    for hit in dated:
        assert datetime.fromisoformat(hit["published"]).utcoffset() is not None
    article = client.get(f"/api/v1/articles/{dated[0]['id']}").get_json()
    assert "date" not in article and article["published"] == dated[0]["published"]
    related = client.get(f"/api/v1/articles/{dated[0]['id']}/related").get_json()["related"]
    assert any(item["published"] for item in related)
    for item in related:
        if item["published"]:
            assert datetime.fromisoformat(item["published"]).utcoffset() is not None


def test_took_ms_is_the_whole_request_cached_or_not(client, monkeypatch):
    """A fake clock that moves 1 s each time it is read: took_ms counts every step, not only the search."""
    from service import timing
    first = client.get("/api/v1/search?q=Putin&per_page=3").get_json()["took_ms"]
    ticks = iter(range(10_000))
    monkeypatch.setattr(timing.time, "perf_counter", lambda: float(next(ticks)))
    cached = client.get("/api/v1/search?q=Putin&per_page=3").get_json()  # the same answer, from the body cache
    assert cached["took_ms"] >= 1000.0 and cached["took_ms"] != first  # timed from the first hook on


# -- writing -------------------------------------------------------------------------------


def test_post_creates_with_a_generated_id_and_location(api):
    client, keys = api
    response = client.post("/api/v1/articles", json=ARTICLE, headers=keys["write"])
    assert response.status_code == 201, response.data
    stored = response.get_json()
    assert response.headers["Location"] == f"http://127.0.0.1:8000/api/v1/articles/{stored['id']}"
    assert client.get(f"/api/v1/articles/{stored['id']}").get_json()["title"] == ARTICLE["title"]
    assert stored["published"] == "2021-02-02T08:00:00+00:00"  # ISO 8601 with its offset
    again = client.post("/api/v1/articles", json=ARTICLE, headers=keys["write"]).get_json()
    assert again["id"] != stored["id"]  # POST always creates
    assert_error(client.post("/api/v1/articles", json={**ARTICLE, "id": "mine"}, headers=keys["write"]), 400, "id")
    assert_error(client.post("/api/v1/articles", json=ARTICLE), 401)


def test_patch_changes_some_fields_and_keeps_the_others(api):
    client, keys = api
    client.put("/api/v1/articles/p-1", json=ARTICLE, headers=keys["write"])
    response = client.patch("/api/v1/articles/p-1", json={"title": "Convoy reaches Lachin at last", "url": None},
                            headers=keys["write"])
    assert response.status_code == 200, response.data
    patched = response.get_json()
    assert patched["title"] == "Convoy reaches Lachin at last" and patched["url"] is None
    assert patched["body"] == ARTICLE["body"] and patched["source"] == "Daily Sabah"
    assert patched["published"] == "2021-02-02T08:00:00+00:00"
    found = client.get("/api/v1/search?q=title:last").get_json()
    assert [hit["id"] for hit in found["results"]] == ["p-1"]
    assert_error(client.patch("/api/v1/articles/nope", json={"title": "x"}, headers=keys["write"]), 404)
    assert_error(client.patch("/api/v1/articles/p-1", json={"boby": "x"}, headers=keys["write"]), 400, "boby")
    assert_error(client.patch("/api/v1/articles/p-1", json={"title": "x"}), 401)


def test_bulk_reports_unchanged_like_the_cli(api):
    client, keys = api
    body = ndjson(*({"id": f"u-{i}", "body": f"Article {i} about Stepanakert."} for i in range(3)))
    first = client.post("/api/v1/articles/bulk", data=body, headers=keys["write"]).get_json()
    assert first["created"] == 3
    again = client.post("/api/v1/articles/bulk", data=body, headers=keys["write"]).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert {item["result"] for item in again["items"]} == {"unchanged"}
    changed = ndjson({"id": "u-0", "body": "Article 0, corrected, about Stepanakert."}, {"id": "u-1", "body": "Article 1 about Stepanakert."})
    mixed = client.post("/api/v1/articles/bulk", data=changed, headers=keys["write"]).get_json()
    assert [item["result"] for item in mixed["items"]] == ["updated", "unchanged"]


def test_a_json_array_sent_as_json_is_a_415_naming_ndjson(api):
    client, keys = api
    error = assert_error(client.post("/api/v1/articles/bulk", json=[ARTICLE], headers=keys["write"]), 415)
    assert "NDJSON" in error["message"] and "application/x-ndjson" in error["message"]
    assert client.get("/healthz").get_json()["articles"] == 5


def test_bulk_delete_by_ids_reports_each(api):
    client, keys = api
    client.post("/api/v1/articles/bulk", data=ndjson(*({"id": f"d-{i}", "body": f"Doomed {i}."} for i in range(4))),
                headers=keys["write"])
    response = client.post("/api/v1/articles/bulk-delete", json={"ids": ["d-0", "d-1", "d-2", "d-9", "d-0"]},
                           headers=keys["write"])
    report = response.get_json()
    assert response.status_code == 200 and report["deleted"] == 3 and report["not_found"] == 1
    assert report["items"] == [{"id": "d-0", "result": "deleted"}, {"id": "d-1", "result": "deleted"},
                               {"id": "d-2", "result": "deleted"}, {"id": "d-9", "result": "not_found"}]
    assert client.get("/healthz").get_json()["articles"] == 6
    assert_error(client.post("/api/v1/articles/bulk-delete", json={"ids": []}, headers=keys["write"]), 400, "ids")
    assert_error(client.post("/api/v1/articles/bulk-delete", json={"ids": ["d-3"]}, headers=keys["read"]), 403)


def test_delete_by_query_needs_admin_and_names_something(api):
    client, keys = api
    query = {"q": "Putin", "source": ["Daily Sabah"]}
    assert_error(client.post("/api/v1/articles/delete-by-query", json=query, headers=keys["write"]), 403)
    dry = client.post("/api/v1/articles/delete-by-query", json={**query, "dry_run": True}, headers=keys["admin"])
    assert dry.status_code == 200 and dry.get_json()["matched"] == 1 and dry.get_json()["deleted"] == 0
    assert client.get("/healthz").get_json()["articles"] == 5
    done = client.post("/api/v1/articles/delete-by-query", json=query, headers=keys["admin"]).get_json()
    assert done["deleted"] == 1 and done["ids"] == dry.get_json()["ids"] and not done["truncated"]
    assert client.get("/healthz").get_json()["articles"] == 4
    error = assert_error(client.post("/api/v1/articles/delete-by-query", json={}, headers=keys["admin"]), 400, "q")
    assert "every article" in error["message"]
    assert_error(client.post("/api/v1/articles/delete-by-query", json={"q": "x", "sort": "newest"},
                             headers=keys["admin"]), 400, "sort")
