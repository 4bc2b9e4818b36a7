"""The OpenAPI document: valid, complete, true to real responses; fuzzed with schemathesis; docs offline."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import threading
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate

from conftest import make_settings
from service import auth
from service.docs import described_methods, is_static, openapi_path

NDJSON = "application/x-ndjson"
EXAMPLES = 10  # generated requests per operation and mode: bounded, so the test takes seconds


@schemathesis.serializer(NDJSON)
def _ndjson(ctx, value) -> bytes:
    """Bulk bodies: the generated value is the NDJSON text itself."""
    return value.encode("utf-8") if isinstance(value, str) else (json.dumps(value) + "\n").encode("utf-8")


@pytest.fixture(scope="module")
def writable_app(seed_dir, tmp_path_factory):
    """An app over a private seed copy (entities off, so fuzzed writes stay fast) and a write key."""
    from service.app import create_app
    target = tmp_path_factory.mktemp("openapi") / "index"
    shutil.copytree(seed_dir, target)
    app_settings = make_settings(target, entities=False)
    key = auth.create_key(app_settings.keys_file, "fuzz", "write")
    return create_app(app_settings), key


@pytest.fixture(scope="module")
def spec(writable_app) -> dict:
    return writable_app[0].test_client().get("/api/v1/openapi.json").get_json()


@pytest.fixture(scope="module")
def api_schema(writable_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", writable_app[0])


def test_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerKey"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerKey"]["description"]}


def test_every_route_is_described(writable_app, spec):
    app = writable_app[0]
    missing = []
    for rule in app.url_map.iter_rules():
        if is_static(rule.endpoint):
            continue
        operations = spec["paths"].get(openapi_path(rule), {})
        missing += [f"{m} {rule.rule}" for m in described_methods(rule) if m.lower() not in operations]
    assert not missing
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary") and operation.get("responses"), (method, path)


def test_every_parameter_and_error_is_described(spec):
    search = spec["paths"]["/api/v1/search"]["get"]
    names = {p["name"] for p in search["parameters"] + spec["paths"]["/api/v1/search"].get("parameters", [])}
    assert names >= {"q", "source", "entity", "person", "org", "place", "from", "to", "sort", "match", "page",
                     "per_page", "facets", "If-None-Match"}
    assert {"200", "304", "400", "401", "403"} <= set(search["responses"])
    put = spec["paths"]["/api/v1/articles/{article_id}"]["put"]
    assert {"200", "201", "400", "401", "403", "413", "415", "503"} <= set(put["responses"])
    assert put["security"] == [{"bearerKey": []}]
    assert NDJSON in spec["paths"]["/api/v1/articles/bulk"]["post"]["requestBody"]["content"]
    facet = spec["paths"]["/api/v1/facets/{name}"]
    name = next(p for p in facet.get("parameters", []) + facet["get"].get("parameters", []) if p["name"] == "name")
    assert name["schema"]["enum"] == ["source", "person", "org", "place"]
    assert "text/csv" in spec["paths"]["/api/v1/search.csv"]["get"]["responses"]["200"]["content"]
    assert spec["components"]["responses"]["DEFAULT_ERROR"]  # unexpected errors: the one shape too


def test_real_responses_validate_against_the_document(writable_app, api_schema):
    """Example answers of every JSON endpoint, errors included, match what the document says."""
    app, key = writable_app
    client = app.test_client()
    auth_header = {"Authorization": f"Bearer {key}"}
    article = {"title": "Spec check", "body": "Checked against the document in Jermuk.", "published": "2021-04-01"}
    hit_id = client.get("/api/v1/search?q=Kalbajar").get_json()["results"][0]["id"]
    calls = [
        ("GET", "/api/v1/search", client.get("/api/v1/search?q=Kalbajar&per_page=1")),
        ("GET", "/api/v1/search", client.get("/api/v1/search")),
        ("GET", "/api/v1/search", client.get("/api/v1/search?per_page=500")),
        ("GET", "/api/v1/articles/{article_id}", client.get(f"/api/v1/articles/{hit_id}")),
        ("GET", "/api/v1/articles/{article_id}", client.get("/api/v1/articles/nope")),
        ("PUT", "/api/v1/articles/{article_id}", client.put("/api/v1/articles/spec-1", json=article, headers=auth_header)),
        ("PUT", "/api/v1/articles/{article_id}", client.put("/api/v1/articles/spec-1", json=article, headers=auth_header)),
        ("PUT", "/api/v1/articles/{article_id}", client.put("/api/v1/articles/spec-1", json={})),
        ("PUT", "/api/v1/articles/{article_id}", client.put("/api/v1/articles/spec-1", json={}, headers=auth_header)),
        ("POST", "/api/v1/articles/bulk", client.post("/api/v1/articles/bulk", headers=auth_header,
                                                      data=b'{"id": "spec-2", "body": "x"}\n{"title": 1}\n')),
        ("GET", "/api/v1/facets/{name}", client.get("/api/v1/facets/person?prefix=put")),
        ("GET", "/api/v1/facets/{name}", client.get("/api/v1/facets/nope")),
        ("GET", "/healthz", client.get("/healthz")),
    ]
    statuses = set()
    for method, path, response in calls:
        operation = api_schema[path][method]
        operation.validate_response(response)
        statuses.add((path, response.status_code))
    assert {("/api/v1/articles/{article_id}", s) for s in (200, 201, 400, 401, 404)} <= statuses
    assert client.delete("/api/v1/articles/spec-1", headers=auth_header).status_code == 204


def operations(api_schema) -> list:
    return [result.ok() for result in api_schema.get_all_operations()]


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_generated_requests_never_get_a_server_error(api_schema, writable_app, mode):
    """schemathesis generates requests (valid, then invalid) for every operation: no 5xx, ever.

    (Driven through hypothesis directly: schemathesis' pytest plugin does not run on pytest 9 yet.)
    """
    _, key = writable_app
    headers = {"Authorization": f"Bearer {key}"}
    seen = []
    for operation in operations(api_schema):
        seen.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # Hypothesis pins the global `random` for each example, and Whoosh names new
            # segments with it: without fresh entropy, two commits would pick the same name.
            random.seed(os.urandom(16))
            response = case.call(headers={**(case.headers or {}), **headers})  # generated keys would only get 401
            assert response.status_code < 500 or response.status_code == 503, (
                case.method, case.formatted_path, case.query, response.text[:500])
            if response.status_code >= 400 and response.headers.get("Content-Type", [""])[0].startswith("application/json"):
                error = response.json()["error"]
                assert error["status"] == response.status_code and error["code"] and error["message"]

        try:
            check()
        except Unsatisfiable:  # no invalid request exists for this operation (e.g. no parameters)
            assert mode is schemathesis.GenerationMode.NEGATIVE
    assert "PUT /api/v1/articles/{article_id}" in seen and "POST /api/v1/articles/bulk" in seen


# -- the docs page works offline ---------------------------------------------------------------


def test_docs_page_uses_only_local_assets(writable_app):
    client = writable_app[0].test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]  # no inline script can run
    html = page.get_data(as_text=True)
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)  # nothing from a CDN
    assert "<script>" not in html
    assets = re.findall(r"(?:src|href)=\"([^\"]+)\"", html)
    assert {a.rsplit("/", 1)[-1] for a in assets} == {"favicon-32x32.png", "swagger-ui.css", "swagger-ui-bundle.js",
                                                          "swagger-init.js"}
    for asset in assets:
        with client.get(asset) as response:
            assert response.status_code == 200 and len(response.data) > 300, asset
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "validatorUrl: null" in client.get("/api/docs/static/swagger-init.js").get_data(as_text=True)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (make browser)")
def test_docs_page_renders_offline_in_a_browser(writable_app):
    """Swagger UI draws every operation, with no request off the app and no CSP violation."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, writable_app[0], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    problems: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            page.on("request", lambda req: req.url.startswith(base) or problems.append(f"off-site: {req.url}"))
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda msg: msg.type == "error" and problems.append(f"console: {msg.text}"))
            page.goto(base + "/api/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            summaries = page.locator(".opblock-summary-path").all_inner_texts()
            browser.close()
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert not problems
    paths = {text.replace("\u200b", "").strip() for text in summaries}
    assert {"/api/v1/search", "/api/v1/articles/bulk", "/api/v1/search.atom"} <= paths


# -- a description clients can build on (issue 17) --------------------------------------------


def operations_of(spec: dict):
    for path, items in spec["paths"].items():
        for method, operation in items.items():
            if method != "parameters":
                yield path, method, operation


def test_every_operation_has_a_unique_operation_id(spec):
    ids = [operation.get("operationId") for _, _, operation in operations_of(spec)]
    assert all(ids) and len(ids) == len(set(ids))
    by_route = {(method, path): operation["operationId"] for path, method, operation in operations_of(spec)}
    assert by_route[("get", "/api/v1/search")] == "searchArticles"
    assert by_route[("put", "/api/v1/articles/{article_id}")] == "putArticle"


def test_servers_description_and_examples(spec):
    assert spec["servers"] == [{"url": "http://127.0.0.1:8000", "description": spec["servers"][0]["description"]}]
    assert "Authorization: Bearer" in spec["info"]["description"]
    put = spec["paths"]["/api/v1/articles/{article_id}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["example"]["title"]
    bulk = spec["paths"]["/api/v1/articles/bulk"]["post"]["requestBody"]["content"][NDJSON]
    assert bulk["example"].count("\n") == 2
    search = {p["name"]: p for p in spec["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert search["q"]["schema"]["example"] and search["facets"]["schema"]["example"] == "source,person"
    assert search["facet_size"]["schema"]["maximum"] == 100
    hit = spec["components"]["schemas"]["HitOut"]["properties"]
    assert "date" not in hit and hit["published"]["format"] == "date-time"
    related = spec["components"]["schemas"]["RelatedItemOut"]["properties"]
    assert related["published"]["format"] == "date-time"


def test_no_schema_is_unused(spec):
    text = json.dumps(spec["paths"]) + json.dumps(spec["components"].get("responses", {}))
    schemas = spec["components"]["schemas"]
    referenced = set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)", text))
    # schemas referenced only from other schemas count too
    for _ in range(5):
        referenced |= set(re.findall(r"#/components/schemas/([A-Za-z0-9_]+)",
                                     json.dumps([schemas[name] for name in referenced if name in schemas])))
    assert set(schemas) <= referenced, set(schemas) - referenced
    assert "PaginationMetadata" not in schemas


def test_security_per_operation_is_the_truth(writable_app, spec, seed_dir):
    """Reads declare no security (Swagger UI draws no lock); writes the bearer key; and the service agrees."""
    app, key = writable_app
    client = app.test_client()
    for path, method, operation in operations_of(spec):
        writes = method in ("put", "post", "patch", "delete")
        if path.startswith("/api/v1/") and writes:
            assert operation["security"] == [{"bearerKey": []}], (method, path)
        else:
            assert "security" not in operation, (method, path)
    assert client.get("/api/v1/search").status_code == 200
    assert client.put("/api/v1/articles/x", json={"body": "x"}).status_code == 401
    from service.app import create_app
    closed = create_app(make_settings(seed_dir, require_read_key=True))
    closed_spec = closed.test_client().get("/api/v1/openapi.json").get_json()
    for path, method, operation in operations_of(closed_spec):
        if path.startswith("/api/v1/") and path != "/api/v1/openapi.json":
            assert operation["security"] == [{"bearerKey": []}], (method, path)
    assert closed.test_client().get("/api/v1/search").status_code == 401


def test_stateful_writes_then_reads_and_deletes_never_a_server_error(api_schema, writable_app):
    """schemathesis' stateful phase: follow the links from PUT/POST to GET, PATCH and DELETE."""
    from hypothesis.stateful import run_state_machine_as_test
    _, key = writable_app
    seen: list[str] = []

    class Writes(api_schema.as_state_machine()):
        def call(self, case, **kwargs):
            random.seed(os.urandom(16))  # see test_generated_requests_never_get_a_server_error
            seen.append(f"{case.method.upper()} {case.operation.path}")
            return case.call(headers={**(case.headers or {}), "Authorization": f"Bearer {key}"})

        def validate_response(self, response, case, **kwargs):
            assert response.status_code < 500 or response.status_code == 503, (
                case.method, case.formatted_path, response.text[:500])

    run_state_machine_as_test(Writes, settings=settings(
        max_examples=15, stateful_step_count=4, deadline=None, database=None, derandomize=True,
        suppress_health_check=list(HealthCheck)))
    assert any(call.startswith(("GET ", "PATCH ", "DELETE ")) and "{article_id}" in call for call in seen), seen
