"""One error shape for every error the service can return, whatever raised it.

One assertion helper, one parametrised case per error source: Flask's own
routing (404, 405), the body limit (413), argument validation, the index's
domain errors, keys, a busy index and an unexpected exception.  Every body is
also loaded with the ErrorOut schema that documents it in the OpenAPI document.
"""

from __future__ import annotations

import shutil

import pytest
from whoosh import index as whoosh_index

from conftest import make_settings
from service import auth
from service.schemas import ErrorOut

KEYS = ("status", "code", "message", "param")


def assert_error_shape(response, status: int, code: str, param: str | None = None) -> dict:
    """The body is exactly {"error": {status, code, message, param}}, JSON, and matches ErrorOut."""
    assert response.status_code == status, response.data
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"] and tuple(body["error"]) == KEYS
    ErrorOut().load(body)  # what the OpenAPI document promises
    error = body["error"]
    assert error["status"] == status and error["code"] == code and error["param"] == param
    assert error["message"] and "Traceback" not in error["message"] and 'File "' not in error["message"]
    return error


@pytest.fixture(scope="module")
def env(seed_dir, tmp_path_factory):
    """A small-limits app over a private seed copy, with a read and a write key."""
    from service.app import create_app
    target = tmp_path_factory.mktemp("errors") / "index"
    shutil.copytree(seed_dir, target)
    settings = make_settings(target, entities=False, max_bulk_bytes=4096, write_lock_timeout=0.2)
    keys = {scope: auth.create_key(settings.keys_file, scope, scope) for scope in ("read", "write")}
    return create_app(settings), {s: {"Authorization": f"Bearer {k}"} for s, k in keys.items()}, target


CASES = {
    "unknown route": (lambda c, k: c.get("/api/v1/nope"), 404, "not_found", None),
    "unknown route under /api": (lambda c, k: c.get("/api/v2/search"), 404, "not_found", None),
    "wrong method": (lambda c, k: c.post("/api/v1/search"), 405, "method_not_allowed", None),
    "wrong method on an article": (lambda c, k: c.post("/api/v1/articles/x", headers=k["write"]), 405,
                                   "method_not_allowed", None),
    "oversize body": (lambda c, k: c.post("/api/v1/articles/bulk", data=b'{"body": "x"}\n' * 1000,
                                          headers=k["write"]), 413, "payload_too_large", None),
    "oversize JSON": (lambda c, k: c.put("/api/v1/articles/x", json={"body": "x" * 5000}, headers=k["write"]),
                      413, "payload_too_large", None),
    "bad parameter": (lambda c, k: c.get("/api/v1/search?per_page=500"), 400, "invalid_parameter", "per_page"),
    "bad date": (lambda c, k: c.get("/api/v1/search.csv?from=yesterday"), 400, "invalid_parameter", "from"),
    "bad facet limit": (lambda c, k: c.get("/api/v1/facets/person?limit=x"), 400, "invalid_parameter", "limit"),
    "bad query": (lambda c, k: c.get("/api/v1/search?q=*stan"), 400, "invalid_query", "q"),
    "unknown article": (lambda c, k: c.get("/api/v1/articles/nope"), 404, "not_found", None),
    "unknown facet": (lambda c, k: c.get("/api/v1/facets/colour"), 404, "not_found", "name"),
    "no key": (lambda c, k: c.put("/api/v1/articles/x", json={"body": "x"}), 401, "unauthorized", None),
    "unknown key": (lambda c, k: c.delete("/api/v1/articles/x", headers={"Authorization": "Bearer nx_nope"}),
                    401, "unauthorized", None),
    "read key writing": (lambda c, k: c.put("/api/v1/articles/x", json={"body": "x"}, headers=k["read"]), 403,
                         "forbidden", None),
    "not JSON": (lambda c, k: c.put("/api/v1/articles/x", data="body=x", headers=k["write"]), 415,
                 "unsupported_media_type", None),
    "malformed JSON": (lambda c, k: c.put("/api/v1/articles/x", data="{", content_type="application/json",
                                          headers=k["write"]), 400, "invalid_json", None),
    "invalid article": (lambda c, k: c.put("/api/v1/articles/x", json={"title": "t"}, headers=k["write"]), 400,
                        "invalid_article", "body"),
    "empty bulk": (lambda c, k: c.post("/api/v1/articles/bulk", data=b"", headers=k["write"]), 400,
                   "invalid_body", None),
    "delete unknown": (lambda c, k: c.delete("/api/v1/articles/nope", headers=k["write"]), 404, "not_found", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_error_source_has_the_one_shape(env, case):
    app, keys, _ = env
    call, status, code, param = CASES[case]
    response = call(app.test_client(), keys)
    assert_error_shape(response, status, code, param)
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_healthz_errors_are_json_too(env):
    app, _, _ = env
    assert_error_shape(app.test_client().post("/healthz"), 405, "method_not_allowed")


def test_busy_index_is_503_with_retry_after(env):
    app, keys, target = env
    held = whoosh_index.open_dir(str(target)).writer()
    try:
        response = app.test_client().put("/api/v1/articles/x", json={"body": "x"}, headers=keys["write"])
    finally:
        held.cancel()
    assert_error_shape(response, 503, "index_busy")
    assert int(response.headers["Retry-After"]) >= 1


def test_unexpected_exception_is_a_500_without_traceback(env, monkeypatch, caplog):
    from index import Index
    app, _, _ = env

    def explode(self, request):
        raise RuntimeError("secret detail: /srv/index/_MAIN_1.toc")

    monkeypatch.setattr(Index, "search", explode)
    response = app.test_client().get("/api/v1/search?q=Kalbajar")
    error = assert_error_shape(response, 500, "internal_error")
    assert "secret" not in response.get_data(as_text=True) and "RuntimeError" not in error["message"]
    assert "secret detail" in caplog.text  # logged for the operator, with its traceback
