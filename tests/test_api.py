"""The JSON API through Flask's test client over the real seed index."""

from __future__ import annotations

import pytest

from conftest import BOTH

pytestmark = BOTH


def assert_error(response, status: int, param: str | None = None):
    """Every error has the one shape; `param` names the parameter at fault."""
    assert response.status_code == status, response.data
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"status", "code", "message", "param"} <= set(error)
    assert error["status"] == status and error["code"] and error["message"]
    assert "Traceback" not in error["message"]
    if param:
        assert error["param"] == param
    return error


def test_search_returns_ranked_highlighted_articles_and_facets(client):
    body = client.get("/api/v1/search?q=Kalbajar").get_json()
    assert body["total"] == 2 and body["page"] == 1
    for result in body["results"]:
        assert {"id", "title", "source", "published", "url", "score", "passages"} <= set(result)
        assert "date" not in result  # one date field: published, with its offset
        assert "<mark>Kalbajar</mark>" in result["passages"][0]["html"]
    assert set(body["facets"]) >= {"source", "date", "person", "org", "place"}


def test_empty_query_browses_newest_first(client):
    body = client.get("/api/v1/search").get_json()
    assert body["total"] == 5
    assert body["results"][0]["published"].startswith("2021-01-13T") and body["results"][0]["published"].endswith("+00:00")
    assert body["facets"]["source"]


def test_filters_and_repeated_parameters(client):
    one = client.get("/api/v1/search?q=Putin&source=Daily+Sabah").get_json()
    two = client.get("/api/v1/search?q=Putin&source=Daily+Sabah&source=TRT+World").get_json()
    assert one["total"] == 1 and two["total"] == 2
    dated = client.get("/api/v1/search?from=2020-11-01&to=2020-11-30").get_json()
    assert dated["total"] == 1


def test_pagination_links(client):
    response = client.get("/api/v1/search?q=Erdogan&per_page=2&page=2")
    body = response.get_json()
    assert body["next"].startswith("http://127.0.0.1:8000/api/v1/search?") and "page=3" in body["next"]
    assert body["previous"].startswith("http://127.0.0.1:8000/") and "page=1" in body["previous"]
    assert f'<{body["next"]}>; rel="next"' in response.headers["Link"]


@pytest.mark.parametrize("query,param", [
    ("page=0", "page"), ("per_page=100000", "per_page"), ("per_page=0", "per_page"),
    ("from=notadate", "from"), ("to=2021-13-45", "to"), ("sort=bogus", "sort"), ("match=maybe", "match"),
    ("from=2021-02-01&to=2021-01-01", "from"), ("page=abc", "page"), ("page=200&per_page=100", "page"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, query, param):
    error = assert_error(client.get(f"/api/v1/search?{query}"), 400, param)
    assert error["code"] == "invalid_parameter"


@pytest.mark.parametrize("q", ['"unbalanced', "(Putin OR Erdogan", "Putin)", "nosuchfield:x", "AND OR NOT",
                               "title:", "*", "?", "~2", "Kalbajar~", "kal*", "a" * 900, "\x00", "\\", "[to]"])
def test_odd_queries_never_500(client, q):
    response = client.get("/api/v1/search", query_string={"q": q})
    assert response.status_code in (200, 400), response.data
    if response.status_code == 400:
        assert_error(response, 400, "q")


def test_leading_wildcard_is_refused(client):
    error = assert_error(client.get("/api/v1/search?q=*stan"), 400, "q")
    assert "wildcard" in error["message"]


def test_article_and_unknown_article(client):
    hit = client.get("/api/v1/search?q=Kalbajar").get_json()["results"][0]
    article = client.get(f"/api/v1/articles/{hit['id']}").get_json()
    assert article["id"] == hit["id"] and article["title"] == hit["title"]
    assert article["passages"] and article["entities"]
    assert_error(client.get("/api/v1/articles/does-not-exist"), 404)


def test_unknown_route_and_wrong_method_have_the_error_shape(client):
    assert_error(client.get("/api/v1/nope"), 404)
    assert_error(client.post("/api/v1/search"), 405)


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "articles": 5, "passages": body["passages"], "entities_pending": 0}
    assert body["passages"] > 5


def test_script_in_article_comes_back_escaped(tmp_path):
    from index import Index, read_articles
    from service.app import create_app
    from conftest import make_settings
    settings = make_settings(tmp_path / "index", entities=False)
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "xss", "title": "T", "body": "Kalbajar <script>alert(1)</script> text."}\n')
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest(read_articles([path], index.outlets))
    client = create_app(settings).test_client()
    html = client.get("/api/v1/search?q=Kalbajar").get_json()["results"][0]["passages"][0]["html"]
    assert html == "<mark>Kalbajar</mark> &lt;script&gt;alert(1)&lt;/script&gt; text."
    page = client.get("/?q=Kalbajar").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
