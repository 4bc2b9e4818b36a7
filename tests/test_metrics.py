"""/metrics: Prometheus text with request counts and latencies by endpoint and the index's figures."""

from __future__ import annotations

import re

import pytest

from conftest import make_settings


@pytest.fixture
def client(seed_dir):
    """A fresh app per test, so its counters start at zero."""
    from service.app import create_app
    return create_app(make_settings(seed_dir)).test_client()


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in exposition text (labels in any order), or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(3))
    return None


def scrape(client) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_requests_are_counted_by_endpoint_and_status(client):
    for _ in range(3):
        assert client.get("/api/v1/search", query_string={"q": "Kalbajar"}).status_code == 200
    assert client.get("/api/v1/search", query_string={"per_page": 500}).status_code == 400
    assert client.get("/api/v1/articles/no-such-article").status_code == 404
    text = scrape(client)
    assert sample(text, "newsindex_http_requests_total", endpoint="/api/v1/search", method="GET", status="200") == 3
    assert sample(text, "newsindex_http_requests_total", endpoint="/api/v1/search", method="GET", status="400") == 1
    # the route pattern, never the raw path, so series stay bounded
    assert sample(text, "newsindex_http_requests_total", endpoint="/api/v1/articles/<path:article_id>",
                  status="404") == 1
    assert "no-such-article" not in text


def test_latencies_are_histograms_by_endpoint(client):
    client.get("/api/v1/search", query_string={"q": "ceasefire"})
    client.get("/healthz")
    text = scrape(client)
    assert sample(text, "newsindex_http_request_duration_seconds_count", endpoint="/api/v1/search") == 1
    assert sample(text, "newsindex_http_request_duration_seconds_count", endpoint="/healthz") == 1
    assert sample(text, "newsindex_http_request_duration_seconds_bucket", endpoint="/api/v1/search", le="+Inf") == 1
    assert sample(text, "newsindex_http_request_duration_seconds_sum", endpoint="/api/v1/search") > 0


def test_unknown_routes_count_as_unmatched(client):
    client.get("/no/such/route")
    assert sample(scrape(client), "newsindex_http_requests_total", endpoint="<unmatched>", status="404") == 1


def test_index_gauges_describe_the_index(client, seed_dir):
    text = scrape(client)
    assert sample(text, "newsindex_index_articles") == 5
    assert sample(text, "newsindex_index_passages") >= 5
    size = sum(p.stat().st_size for p in seed_dir.rglob("*") if p.is_file())
    assert sample(text, "newsindex_index_size_bytes") == size
    last_commit = max(p.stat().st_mtime for p in seed_dir.glob("*.toc"))
    assert sample(text, "newsindex_index_last_commit_timestamp_seconds") == pytest.approx(last_commit)
    assert sample(text, "process_resident_memory_bytes") > 0  # this worker's memory


def test_metrics_is_described_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/metrics"]["get"]
    assert "200" in operation["responses"]


MULTIPROCESS_SCRIPT = """
import sys
from pathlib import Path
sys.path.insert(0, "tests")
from conftest import make_settings
from service.app import create_app
seed = Path(sys.argv[1])
workers = [create_app(make_settings(seed)).test_client() for _ in range(2)]  # two apps, as two workers would
for client in workers:
    client.get("/api/v1/search", query_string={"q": "Kalbajar"})
sys.stdout.write(workers[0].get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_sums_what_every_worker_wrote(seed_dir, tmp_path):
    # prometheus-client picks its mode when imported, so this runs in a fresh interpreter.
    import os
    import subprocess
    import sys

    from conftest import ROOT
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT, str(seed_dir)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert list(tmp_path.glob("*.db"))  # written where every worker's scrape reads
    assert sample(proc.stdout, "newsindex_http_requests_total", endpoint="/api/v1/search", status="200") == 2
    assert sample(proc.stdout, "newsindex_index_articles") == 5
