"""Concurrent writers through a real gunicorn: several workers, one Whoosh lock, nothing lost.

4 client threads each PUT 50 articles (and one bulk request each) against
gunicorn with 2 workers; every write answered 2xx must then be found, exactly
once.  Whoosh allows one writer at a time, so workers queue on its lock; a
write that could not get it in time would be a 503 that the client retries,
never a lost or half-written article.  The access log must not contain a key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
import requests

from conftest import ROOT
from service import auth
from test_gunicorn import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

THREADS = 4
PER_THREAD = 50
WORKERS = 2


@pytest.fixture
def server(empty_index, tmp_path):
    """gunicorn with 2 workers over an empty index (entities off: the lock is under test, not NER)."""
    index_dir = empty_index.path
    empty_index.close()
    keys_file = tmp_path / "keys.json"
    key = auth.create_key(keys_file, "cms", "write")
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    env = dict(os.environ, NEWSINDEX_INDEX_DIR=str(index_dir), NEWSINDEX_PORT=str(port), NEWSINDEX_HOST="127.0.0.1",
               NEWSINDEX_WORKERS=str(WORKERS), NEWSINDEX_ENTITIES="0", NEWSINDEX_SEMANTIC="0", NEWSINDEX_KEYS_FILE=str(keys_file),
               NEWSINDEX_WRITE_LOCK_TIMEOUT="30")
    proc = subprocess.Popen([sys.executable, "-m", "service", "serve"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()
        try:
            urllib.request.urlopen(base + "/healthz", timeout=10)
            break
        except (urllib.error.URLError, OSError):  # not listening yet, or workers still booting
            time.sleep(0.2)
    yield base, key, tmp_path / "gunicorn.log"
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def write_with_retry(session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
    """What a well-behaved client does: on 503, wait Retry-After seconds and try again."""
    for _ in range(20):
        response = session.request(method, url, timeout=60, **kwargs)
        if response.status_code != 503:
            return response
        time.sleep(float(response.headers.get("Retry-After", "1")))
    return response


def within_a_second(ask, done):
    """`ask()` until `done(answer)`, for a second at most (plus one request): the last answer.

    A worker that did not make a commit reads the generation before it while it prepares
    it (index/store/store.py, STALE_AT_MOST), so a write is searchable everywhere within a second.
    """
    deadline = time.monotonic() + 1.0
    answer = ask()
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = ask()
    return answer


def test_concurrent_writers_through_gunicorn_lose_nothing(server):
    base, key, log_path = server
    headers = {"Authorization": f"Bearer {key}"}
    failures: list[str] = []
    acknowledged: list[str] = []
    lock = threading.Lock()

    def writer(thread: int) -> None:
        with requests.Session() as session:
            for n in range(PER_THREAD):
                article_id = f"t{thread}-a{n}"
                body = {"title": f"Writer {thread} article {n}",
                        "body": f"Concurrent article {n} from writer {thread}. Marker word zzconcurrent."}
                response = write_with_retry(session, "PUT", f"{base}/api/v1/articles/{article_id}",
                                            json=body, headers=headers)
                with lock:
                    if response.status_code == 201:
                        acknowledged.append(article_id)
                    else:
                        failures.append(f"{article_id}: {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert len(acknowledged) == THREADS * PER_THREAD

    # Every acknowledged article is found, each exactly once, by a search in any worker: within a
    # second, since a worker's searches read the generation before a commit while it prepares it.
    exported = within_a_second(
        lambda: requests.get(f"{base}/api/v1/search.ndjson", params={"q": "zzconcurrent"}, timeout=60),
        lambda e: e.headers["X-Total-Count"] == str(THREADS * PER_THREAD))
    ids = [json.loads(line)["id"] for line in exported.text.splitlines()]
    assert exported.headers["X-Total-Count"] == str(THREADS * PER_THREAD)
    assert sorted(ids) == sorted(acknowledged)
    for worker_probe in range(2 * WORKERS):  # both workers see the same archive
        health = requests.get(f"{base}/healthz", timeout=30).json()
        assert health["articles"] == THREADS * PER_THREAD
        article = requests.get(f"{base}/api/v1/articles/t{worker_probe % THREADS}-a7", timeout=30).json()
        assert article["passages"] and "zzconcurrent" in article["body"]

    log = log_path.read_text(errors="replace")
    assert "PUT /api/v1/articles/" in log  # the access log is there ...
    assert key not in log and "Bearer" not in log  # ... and never shows a key


def test_concurrent_bulk_writers_lose_nothing(server):
    base, key, _ = server
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
    results: dict[int, requests.Response] = {}

    def bulk(thread: int) -> None:
        lines = "".join(f'{{"id": "bulk{thread}-{n}", "body": "Bulk article {n} zzbulk."}}\n' for n in range(25))
        with requests.Session() as session:
            results[thread] = write_with_retry(session, "POST", f"{base}/api/v1/articles/bulk", data=lines,
                                               headers=headers)

    threads = [threading.Thread(target=bulk, args=(t,)) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for response in results.values():
        assert response.status_code == 200 and response.json()["created"] == 25, response.text[:300]
    found = within_a_second(lambda: requests.get(f"{base}/api/v1/search", params={"q": "zzbulk", "per_page": 1},
                                                 timeout=30).json(), lambda f: f["total"] == THREADS * 25)
    assert found["total"] == THREADS * 25
