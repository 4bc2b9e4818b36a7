"""API keys: the keys file (hashes only), the `keys` commands, 401/403, read keys, never logged."""

from __future__ import annotations

import hashlib
import json
import logging
import stat
import threading

import pytest

from conftest import make_settings
from service import auth
from service.cli import cli
from test_api import assert_error

ARTICLE = {"title": "Keys", "body": "Written with a key about Ijevan."}


# -- the keys file ----------------------------------------------------------------------


def test_create_stores_only_the_hash(tmp_path):
    path = tmp_path / "keys.json"
    key = auth.create_key(path, "cms", "write")
    text = path.read_text()
    assert key not in text and key[3:] not in text
    stored = json.loads(text)["keys"]
    assert stored == [{"name": "cms", "scope": "write", "sha256": hashlib.sha256(key.encode()).hexdigest(),
                       "created": stored[0]["created"]}]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) > 40 and auth.create_key(path, "other", "read") != key


def test_duplicate_unknown_and_bad_scope_are_refused(tmp_path):
    path = tmp_path / "keys.json"
    auth.create_key(path, "cms", "write")
    with pytest.raises(auth.KeysFileError, match="exists"):
        auth.create_key(path, "cms", "read")
    with pytest.raises(auth.KeysFileError, match="scope"):
        auth.create_key(path, "x", "root")
    with pytest.raises(auth.KeysFileError, match="no key named"):
        auth.revoke_key(path, "nobody")


def test_concurrent_creates_lose_no_key(tmp_path):
    path = tmp_path / "keys.json"
    threads = [threading.Thread(target=auth.create_key, args=(path, f"k{i}", "read")) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(k.name for k in auth.read_keys(path)) == sorted(f"k{i}" for i in range(16))


def test_scopes_nest():
    key = auth.ApiKey("a", "admin", "", "")
    assert key.allows("read") and key.allows("write") and key.allows("admin")
    assert not auth.ApiKey("r", "read", "", "").allows("write")
    assert auth.ApiKey("w", "write", "", "").allows("read")


@pytest.mark.parametrize("header,token", [
    ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None), ("", None), (None, None),
])
def test_bearer_token(header, token):
    assert auth.bearer_token(header) == token


# -- the commands ------------------------------------------------------------------------------


def test_keys_commands(runner, tmp_path):
    path = tmp_path / "var" / "keys.json"
    env = {"NEWSINDEX_KEYS_FILE": str(path)}
    created = runner.invoke(cli, ["keys", "create", "--name", "cms", "--scope", "write"], env=env)
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("nx_") and auth.KeyRing(path).find(key).scope == "write"
    listed = runner.invoke(cli, ["keys", "list", "--json"], env=env)
    assert [(k["name"], k["scope"]) for k in json.loads(listed.stdout)] == [("cms", "write")]
    assert key not in listed.output and key not in path.read_text()
    again = runner.invoke(cli, ["keys", "create", "--name", "cms"], env=env)
    assert again.exit_code == 1 and "exists" in again.output and "Traceback" not in again.output
    assert runner.invoke(cli, ["keys", "revoke", "cms"], env=env).exit_code == 0
    assert "No keys" in runner.invoke(cli, ["keys", "list"], env=env).output
    assert runner.invoke(cli, ["keys", "revoke", "cms"], env=env).exit_code == 1
    bad_scope = runner.invoke(cli, ["keys", "create", "--name", "x", "--scope", "root"], env=env)
    assert bad_scope.exit_code == 2


# -- requests ---------------------------------------------------------------------------------


@pytest.fixture
def keyed(seed_copy):
    """An app over a writable seed copy, with one key of each scope."""
    from service.app import create_app

    def build(**overrides):
        settings = make_settings(seed_copy, entities=False, **overrides)
        keys = {scope: auth.create_key(settings.keys_file, scope, scope) for scope in auth.SCOPES
                if not any(k.name == scope for k in auth.read_keys(settings.keys_file))}
        return create_app(settings).test_client(), settings, keys
    return build


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_writes_need_a_write_key(keyed):
    client, _, keys = keyed()
    error = assert_error(client.put("/api/v1/articles/k1", json=ARTICLE), 401)
    assert error["code"] == "unauthorized"
    response = client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer("nx_not-a-key"))
    assert assert_error(response, 401)["code"] == "unauthorized"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    response = client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["read"]))
    assert assert_error(response, 403)["code"] == "forbidden"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert_error(client.delete("/api/v1/articles/k1"), 401)
    assert_error(client.post("/api/v1/articles/bulk", data=b"{}"), 401)
    assert_error(client.put("/api/v1/articles/k1", json=ARTICLE, headers={"Authorization": f"Basic {keys['write']}"}), 401)
    assert client.get("/api/v1/search?q=Ijevan").get_json()["total"] == 0  # nothing was written
    assert client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["write"])).status_code == 201
    assert client.put("/api/v1/articles/k2", json=ARTICLE, headers=bearer(keys["admin"])).status_code == 201
    assert client.get("/api/v1/search?q=Ijevan").get_json()["total"] == 2


def test_a_revoked_key_stops_working_at_once(keyed):
    client, settings, keys = keyed()
    assert client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["write"])).status_code == 201
    auth.revoke_key(settings.keys_file, "write")
    assert_error(client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["write"])), 401)
    fresh = auth.create_key(settings.keys_file, "fresh", "write")
    assert client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(fresh)).status_code == 200


def test_reads_are_open_by_default(keyed):
    client, _, _ = keyed()
    for url in ("/api/v1/search", "/api/v1/search.csv", "/api/v1/search.atom", "/api/v1/facets/source", "/healthz"):
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_read_key_required_when_configured(keyed):
    client, _, keys = keyed(require_read_key=True)
    article_id = None
    for url in ("/api/v1/search", "/api/v1/search.csv", "/api/v1/search.ndjson", "/api/v1/search.atom",
                "/api/v1/facets/person?prefix=p"):
        assert_error(client.get(url), 401)
        assert_error(client.get(url, headers=bearer("nx_wrong")), 401)
        for scope in ("read", "write", "admin"):
            with client.get(url, headers=bearer(keys[scope])) as response:
                assert response.status_code == 200, (url, scope)
        article_id = article_id or client.get("/api/v1/search", headers=bearer(keys["read"])).get_json()["results"][0]["id"]
    assert_error(client.get(f"/api/v1/articles/{article_id}"), 401)
    etag = client.get(f"/api/v1/articles/{article_id}", headers=bearer(keys["read"])).headers["ETag"]
    # A 304 says something about the archive too: it needs the key as well.
    assert_error(client.get(f"/api/v1/articles/{article_id}", headers={"If-None-Match": etag}), 401)
    assert client.get("/healthz").status_code == 200  # load balancers need no key
    assert client.get("/api/v1/openapi.json").status_code == 200
    # The search page cannot send a key, so it is closed too, with a page that says why.
    page = client.get("/?q=Kalbajar")
    assert page.status_code == 401 and b"requires an API key" in page.data
    assert client.get(f"/articles/{article_id}").status_code == 401


def test_keys_are_never_logged(keyed, caplog):
    client, _, keys = keyed()
    caplog.set_level(logging.DEBUG)
    client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["write"]))
    client.put("/api/v1/articles/k1", json=ARTICLE, headers=bearer(keys["write"] + "x"))
    client.put("/api/v1/articles/k1", json={"body": ""}, headers=bearer(keys["write"]))
    assert keys["write"] not in caplog.text
