"""Read-side conventions: paging links, CSV and NDJSON exports, Atom feeds, facet value search, CORS."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from conftest import BOTH, make_settings
from service.exports import CSV_COLUMNS
from test_api import assert_error

pytestmark = BOTH

ATOM = "{http://www.w3.org/2005/Atom}"


def read_csv(response) -> list[dict]:
    with response:
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/csv"
        reader = csv.DictReader(io.StringIO(response.get_data(as_text=True), newline=""))
        rows = list(reader)
        assert tuple(reader.fieldnames) == CSV_COLUMNS
        return rows


def read_ndjson(response) -> list[dict]:
    with response:
        assert response.status_code == 200, response.data
        assert response.mimetype == "application/x-ndjson"
        return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


# -- paging links --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["endpoint", "_anchor", "_method", "_scheme", "_external", "values"])
def test_query_arguments_named_like_url_for_options_are_refused_by_name_not_obeyed(client, name):
    error = assert_error(client.get(f"/api/v1/search?per_page=1&{name}=x"), 400, name)
    assert "unknown parameter" in error["message"] and "per_page" in error["message"]
    assert_error(client.get(f"/api/v1/search.atom?{name}=x"), 400, name)


def test_page_links_are_absolute_on_the_public_url_never_the_host_header(seed_dir):
    from service.app import create_app
    client = create_app(make_settings(seed_dir, public_url="https://news.example.org/archive/")).test_client()
    response = client.get("/api/v1/search?per_page=2&page=2", headers={"Host": "evil.example"})
    body = response.get_json()
    assert body["next"] == "https://news.example.org/archive/api/v1/search?per_page=2&page=3"
    assert body["previous"] == "https://news.example.org/archive/api/v1/search?per_page=2&page=1"
    assert response.headers["Link"] == (f'<{body["next"]}>; rel="next", <{body["previous"]}>; rel="prev"')
    feed = client.get("/api/v1/search.atom?q=Putin", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "evil.example" not in feed and "https://news.example.org/archive/articles/" in feed
    assert 'href="https://news.example.org/archive/api/v1/search.atom?q=Putin"' in feed


# -- exports -------------------------------------------------------------------------------


def test_csv_export_has_the_header_and_every_match(client):
    response = client.get("/api/v1/search.csv?q=Kalbajar")
    assert response.headers["X-Total-Count"] == "2" and response.headers["X-Export-Truncated"] == "false"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert len(rows) == 2
    search = client.get("/api/v1/search?q=Kalbajar").get_json()
    assert [row["id"] for row in rows] == [hit["id"] for hit in search["results"]]
    for row in rows:
        assert "Kalbajar" in row["passage"] and "<mark>" not in row["passage"]
        assert float(row["score"]) > 0
    assert any("Recep Tayyip Erdoğan" in row["person"].split("; ") for row in rows)


def test_ndjson_export_lines_parse(client):
    lines = read_ndjson(client.get("/api/v1/search.ndjson"))
    assert len(lines) == 5 and len({line["id"] for line in lines}) == 5
    for line in lines:
        assert set(line) == {"id", "title", "source", "published", "url", "score", "passage", "entities"}
        assert set(line["entities"]) == {"person", "org", "place"}
    dated = [datetime.fromisoformat(line["published"]) for line in lines if line["published"]]
    assert dated == sorted(dated, reverse=True)  # browse: newest first
    assert all(moment.tzinfo is not None for moment in dated)


def test_export_filters_like_search(client):
    rows = read_ndjson(client.get("/api/v1/search.ndjson?q=Putin&source=Daily+Sabah"))
    assert [row["source"] for row in rows] == ["Daily Sabah"]
    assert_error(client.get("/api/v1/search.csv?from=2021-02-01&to=2021-01-01"), 400, "from")
    assert_error(client.get("/api/v1/search.ndjson?q=*stan"), 400, "q")


def test_export_is_cut_at_the_limit_and_says_so(seed_dir):
    from service.app import create_app
    client = create_app(make_settings(seed_dir, export_max=3)).test_client()
    response = client.get("/api/v1/search.ndjson")
    assert response.headers["X-Total-Count"] == "5" and response.headers["X-Export-Limit"] == "3"
    assert response.headers["X-Export-Truncated"] == "true"
    assert len(read_ndjson(response)) == 3


def test_export_pages_past_the_interactive_window(seed_dir):
    from service.app import create_app
    client = create_app(make_settings(seed_dir, max_results_window=2, max_per_page=2)).test_client()
    assert_error(client.get("/api/v1/search?per_page=2&page=2"), 400, "page")
    rows = read_csv(client.get("/api/v1/search.csv"))
    assert len(rows) == 5 and len({row["id"] for row in rows}) == 5


def test_csv_cells_cannot_run_as_formulas(tmp_path):
    from index import Index, read_articles
    from service.app import create_app
    settings = make_settings(tmp_path / "index", entities=False)
    source = tmp_path / "x.jsonl"
    source.write_text(json.dumps({"id": "f1", "title": "=HYPERLINK(\"http://evil\")", "body": "@SUM(A1) Tavush."}) + "\n")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest(read_articles([source], index.outlets))
    rows = read_csv(create_app(settings).test_client().get("/api/v1/search.csv?q=Tavush"))
    assert rows[0]["title"] == "'=HYPERLINK(\"http://evil\")" and rows[0]["passage"].startswith("'@SUM")


# -- feeds ---------------------------------------------------------------------------------


def parse_feed(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def test_atom_feed_has_one_entry_per_article_newest_first(client):
    root = parse_feed(client.get("/api/v1/search.atom?q=Putin"))
    total = client.get("/api/v1/search?q=Putin").get_json()["total"]
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == total == 5
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("tag:newsindex,") for i in ids)
    published = [entry.findtext(f"{ATOM}published") for entry in entries]
    dated = [datetime.fromisoformat(p) for p in published if p]
    assert dated and dated == sorted(dated, reverse=True)
    assert published[:len(dated)] == [p for p in published if p]  # undated articles come last
    for entry in entries:
        assert entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}link").get("href").startswith("http://127.0.0.1:8000/")
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://127.0.0.1:8000/api/v1/search.atom?q=Putin"
    assert root.findtext(f"{ATOM}id") and root.findtext(f"{ATOM}updated")


def test_atom_feed_per_page_and_filters(client):
    root = parse_feed(client.get("/api/v1/search.atom?per_page=2"))
    assert len(root.findall(f"{ATOM}entry")) == 2
    root = parse_feed(client.get("/api/v1/search.atom?q=Kalbajar&source=Asharq+Al-Awsat"))
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert any(c.get("term") == "Asharq Al-Awsat" for c in entries[0].findall(f"{ATOM}category"))
    assert len(parse_feed(client.get("/api/v1/search.atom?q=nosuchwordanywhere")).findall(f"{ATOM}entry")) == 0
    assert_error(client.get("/api/v1/search.atom?per_page=0"), 400, "per_page")


# -- facet value search --------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["erd", "ERD", "Erdoğ", "erdog", "tayyip", "recep tay"])
def test_facet_values_match_any_word_ignoring_case_and_accents(client, prefix):
    body = client.get("/api/v1/facets/person", query_string={"prefix": prefix, "limit": 10}).get_json()
    assert body == {"name": "person", "prefix": prefix, "values": [{"value": "Recep Tayyip Erdoğan", "count": 5}]}


def test_facet_values_most_frequent_first_and_limited(client):
    values = client.get("/api/v1/facets/place?limit=3").get_json()["values"]
    assert len(values) == 3
    counts = [v["count"] for v in values]
    assert counts == sorted(counts, reverse=True)
    kara = client.get("/api/v1/facets/place?prefix=kara").get_json()["values"]
    assert {"value": "Nagorno-Karabakh", "count": 5} in kara  # a word after a hyphen counts
    sources = client.get("/api/v1/facets/source?prefix=sab").get_json()
    assert sources["values"] == [{"value": "Daily Sabah", "count": 1}]
    assert client.get("/api/v1/facets/org?prefix=zzzz").get_json()["values"] == []


def test_facet_counts_are_whole_archive_articles(client):
    search = client.get("/api/v1/search?per_page=1").get_json()
    by_name = {f["value"]: f["count"] for f in search["facets"]["person"]}
    values = client.get("/api/v1/facets/person?limit=100").get_json()["values"]
    for value in values:
        if value["value"] in by_name:
            assert value["count"] == by_name[value["value"]]


def test_facet_value_errors(client):
    assert_error(client.get("/api/v1/facets/colour?prefix=r"), 404, "name")
    assert_error(client.get("/api/v1/facets/person?limit=0"), 400, "limit")
    assert_error(client.get("/api/v1/facets/person?limit=101"), 400, "limit")
    assert_error(client.get("/api/v1/facets/person?prefix=" + "x" * 101), 400, "prefix")


# -- CORS ------------------------------------------------------------------------------------


def test_no_cors_by_default(client):
    response = client.get("/api/v1/search", headers={"Origin": "https://cms.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_for_configured_origins_only(seed_dir):
    from service.app import create_app
    client = create_app(make_settings(seed_dir, cors_origins="https://cms.example, https://news.example/")).test_client()
    allowed = client.get("/api/v1/search", headers={"Origin": "https://news.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "ETag" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/search", headers={"Origin": "https://evil.example"}).headers
    preflight = client.options("/api/v1/articles/x", headers={
        "Origin": "https://cms.example", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.status_code == 200
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
