"""End to end: a real gunicorn on a free loopback port, queried over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(seed_copy):
    port = free_port()
    env = dict(os.environ, NEWSINDEX_INDEX_DIR=str(seed_copy), NEWSINDEX_PORT=str(port),
               NEWSINDEX_HOST="127.0.0.1", NEWSINDEX_WORKERS="2")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except (urllib.error.URLError, OSError):  # not listening yet, or too busy to answer
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_real_gunicorn_serves_search_and_errors(server):
    status, health = get_json(server + "/healthz")
    assert status == 200 and health["articles"] == 5
    status, body = get_json(server + "/api/v1/search?q=Kalbajar")
    assert status == 200 and body["total"] == 2
    assert "<mark>Kalbajar</mark>" in body["results"][0]["passages"][0]["html"]
    status, body = get_json(server + "/api/v1/search?per_page=100000")
    assert status == 400 and body["error"]["param"] == "per_page"
    with urllib.request.urlopen(server + "/?q=Kalbajar", timeout=30) as response:
        assert response.status == 200 and b"<mark>Kalbajar</mark>" in response.read()
