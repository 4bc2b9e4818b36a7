"""The OpenAPI description is usable, not just valid: a typed client generated from it searches and writes.

openapi-python-client turns /api/v1/openapi.json into a Python package (one
function per operationId, one class per schema); the test imports it and
talks to the real app over HTTP on 127.0.0.1, as another newsroom tool would.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from conftest import make_settings
from service import auth

GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def live(seed_dir, tmp_path_factory):
    """The app over a private seed copy, served on a free loopback port, with a write key."""
    from service.app import create_app
    target = tmp_path_factory.mktemp("client") / "index"
    shutil.copytree(seed_dir, target)
    settings = make_settings(target, entities=False)
    key = auth.create_key(settings.keys_file, "client", "write")
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", key
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def client_package(live, tmp_path_factory):
    """Generate the client package from the live document and import it."""
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (make install-test)")
    base, _ = live
    import urllib.request
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_bytes(urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=30).read())
    result = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--meta", "none",
                             "--output-path", str(folder / "newsindex_client")],
                            capture_output=True, text=True, timeout=300)
    assert (folder / "newsindex_client" / "__init__.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("newsindex_client")
    finally:
        sys.path.remove(str(folder))


def test_generated_client_searches_with_facets_and_dates(client_package, live):
    base, _ = live
    from newsindex_client import Client
    from newsindex_client.api.api import search_articles
    from newsindex_client.models import SearchOut
    client = Client(base_url=base)
    result = search_articles.sync(client=client, q="Kalbajar", facets="source,person", facet_size=5, per_page=1)
    assert isinstance(result, SearchOut)
    assert result.total == 2 and len(result.results) == 1
    assert result.next_.startswith("http://127.0.0.1:8000/api/v1/search?")  # absolute, on NEWSINDEX_PUBLIC_URL
    assert set(result.facets.to_dict()) == {"source", "person"}
    assert all(hit.published is None or hit.published.utcoffset() is not None for hit in result.results)
    import inspect
    assert "size" not in inspect.signature(search_articles.sync).parameters  # typed: only real parameters


def test_generated_client_writes_reads_and_deletes(client_package, live):
    base, key = live
    from newsindex_client import AuthenticatedClient, Client
    from newsindex_client.api.api import create_article, delete_article, get_article, put_article
    from newsindex_client.models import ArticleIn, ArticleOut
    writer = AuthenticatedClient(base_url=base, token=key)
    body = ArticleIn(title="Generated client check", body="Written by a generated client about Tavush.",
                     source="Daily Sabah", published="2021-05-01T12:00:00Z")
    created = put_article.sync_detailed("gen-1", client=writer, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, ArticleOut) and created.parsed.id == "gen-1"
    read = get_article.sync("gen-1", client=Client(base_url=base))
    assert isinstance(read, ArticleOut) and read.title == "Generated client check"
    posted = create_article.sync_detailed(client=writer, body=ArticleIn(body="Posted text about Berd."))
    assert posted.status_code == 201 and posted.headers["location"].endswith(f"/api/v1/articles/{posted.parsed.id}")
    refused = put_article.sync_detailed("gen-2", client=AuthenticatedClient(base_url=base, token="nx_wrong"), body=body)
    assert refused.status_code == 401 and json.loads(refused.content)["error"]["code"] == "unauthorized"
    assert delete_article.sync_detailed("gen-1", client=writer).status_code == 204
