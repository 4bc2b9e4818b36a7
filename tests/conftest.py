"""Shared fixtures: real indexes on disk or on a real OpenSearch cluster, the real app, the real CLI.

`seed_index` is built once per session from ../shared/corpus/seeds/ and shared
by read-only tests; tests that write use `empty_index` (a fresh index each) or
`seed_copy` (a private copy of the seeds).

One contract suite, two backends: a test module with `pytestmark = BOTH` runs
each of its tests against the embedded Whoosh backend and against OpenSearch
(a 3-node cluster on 127.0.0.1, the one `make opensearch` starts, or started
here for the session if it is not running); a test marked `whoosh_only` in such
a module runs on Whoosh alone.  `make_settings(path)` gives the settings of the
archive at `path` for the backend of the running test: for OpenSearch, the
index name prefix is derived from the path (unique to this session), so a test
addresses "the index at path" on either backend the same way.  OpenSearch
indexes a test creates are deleted when it ends, the session's when it ends.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.settings import Settings
from index import Index, read_articles

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"
CLUSTER = ROOT / "opensearch" / "cluster.py"
SESSION = f"test-{os.getpid()}-{int(time.time()) % 100_000}"
BACKENDS = ("whoosh", "opensearch")
BOTH = [pytest.mark.backends, pytest.mark.usefixtures("backend")]

_current = {"backend": "whoosh"}  # the backend of the running test (see `_backend_of_test`)
_created: set[str] = set()  # OpenSearch prefixes made by the running test


def cluster_urls() -> str:
    return os.environ.get("NEWSINDEX_OPENSEARCH_URL") or subprocess.run(
        [sys.executable, str(CLUSTER), "urls"], capture_output=True, text=True, check=True).stdout.strip()


def prefix_for(index_dir: Path) -> str:
    """The OpenSearch index prefix standing for the archive at `index_dir` in this session."""
    digest = hashlib.sha1(str(Path(index_dir).resolve()).encode()).hexdigest()[:10]
    return f"{SESSION}-{digest}-"


def wait_until(condition, seconds: float, why: str = "not within the time allowed", every: float = 0.2) -> None:
    """Poll `condition` until it holds; fail with `why` after `seconds`.  For what a background process or
    thread does (the enricher, the merger, a catalog builder, a sweep, a generation prepared): never a timing."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, why
        time.sleep(every)


def make_settings(index_dir: Path, backend: str | None = None, **overrides) -> Settings:
    """Test settings: everything in a temporary directory or session-named indexes, nothing of the developer's.

    Entities are extracted and segments merged before a write returns (`inline`), so
    a test sees the finished index; tests of the background steps ask for them.
    """
    backend = backend or _current["backend"]
    base = Settings(index_dir=index_dir, keys_file=index_dir.parent / "keys.json", enrich="inline", merge="inline")
    if backend == "opensearch":
        prefix = prefix_for(index_dir)
        _created.add(prefix)
        base = base.replace(backend="opensearch", opensearch_url=cluster_urls(), opensearch_prefix=prefix)
    return base.replace(**overrides)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: runs on every backend (Whoosh and OpenSearch)")
    config.addinivalue_line("markers", "whoosh_only: in a module that runs on both backends, runs on Whoosh only")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("backends") and \
            not metafunc.definition.get_closest_marker("whoosh_only")
        metafunc.parametrize("backend", BACKENDS if both else ("whoosh",), indirect=True, scope="session")


def _answers(urls: str) -> bool:
    try:
        with urllib.request.urlopen(f"{urls.split(',')[0]}/_cluster/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def opensearch_cluster():
    """The local cluster's URLs: the running one, or one started here (and stopped after) if none runs.

    Skipped, saying why, only where Java or Maven is missing.
    """
    urls = cluster_urls()
    started = False
    if not _answers(urls):
        missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
        if missing:
            pytest.skip(f"OpenSearch backend not tested: {' and '.join(missing)} not found "
                        "(a local OpenSearch cluster needs Java 17 and Maven)")
        subprocess.run([sys.executable, str(CLUSTER), "start"], check=True)
        started = True
    yield urls
    _drop(urls, f"{SESSION}-*")
    if started:
        subprocess.run([sys.executable, str(CLUSTER), "stop"], check=False)


def _drop(urls: str, pattern: str) -> None:
    from opensearchpy import OpenSearch
    client = OpenSearch(hosts=urls.split(","), timeout=60)
    try:
        client.indices.delete(index=pattern, ignore_unavailable=True, allow_no_indices=True, expand_wildcards="all")
    finally:
        client.close()


@pytest.fixture(scope="session")
def backend(request):
    """The backend under test: "whoosh", or "opensearch" (on the local cluster)."""
    name = getattr(request, "param", "whoosh")
    if name == "opensearch":
        request.getfixturevalue("opensearch_cluster")
    return name


@pytest.fixture(autouse=True)
def _backend_of_test(request):
    """Make make_settings() default to the backend of the running test; drop the indexes it created."""
    callspec = getattr(request.node, "callspec", None)
    name = callspec.params.get("backend", "whoosh") if callspec else "whoosh"
    _current["backend"] = name
    _created.clear()
    yield
    made, seed = set(_created), _seed_prefixes
    _current["backend"] = "whoosh"
    _created.clear()
    if made - seed:
        _drop(cluster_urls(), ",".join(f"{p}*" for p in sorted(made - seed)))


_seed_prefixes: set[str] = set()


def copy_index(source: Path, target: Path, backend: str) -> None:
    """A private copy of the archive at `source` (files for Whoosh; a reindex for OpenSearch)."""
    if backend != "opensearch":
        shutil.copytree(source, target)
        return
    from index.backends.opensearch.writing import bump
    settings = make_settings(target, backend="opensearch")
    with Index.open(target, create=True, settings=settings) as index:
        client, names = index.backend.client, index.backend.names
        found = client.search(index=f"{prefix_for(source)}articles", body={"size": 1000, "query": {"match_all": {}}})
        body = []
        for hit in found["hits"]["hits"]:  # a few seed articles: no need for a reindex module
            body += [{"index": {"_index": names.articles, "_id": hit["_id"]}}, hit["_source"]]
        client.bulk(body=body, refresh="true")
        bump(client, names)


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory, backend) -> Path:
    """The five seed articles, ingested once for the session (entities on)."""
    path = tmp_path_factory.mktemp(f"seed-{backend}") / "index"
    settings = make_settings(path, backend=backend)
    if backend == "opensearch":
        _seed_prefixes.add(prefix_for(path))
    with Index.open(path, create=True, settings=settings) as index:
        report = index.ingest(read_articles([SEEDS], index.outlets))
        assert report.added == 5, report.summary()
    return path


@pytest.fixture(scope="session")
def seed_settings(seed_dir, backend) -> Settings:
    return make_settings(seed_dir, backend=backend)


@pytest.fixture(scope="session")
def seed_index(seed_dir, seed_settings):
    index = Index.open(seed_dir, settings=seed_settings)
    yield index
    index.close()


@pytest.fixture
def seed_copy(seed_dir, tmp_path, backend) -> Path:
    """A private copy of the seed index, for tests that write to it."""
    target = tmp_path / "index"
    copy_index(seed_dir, target, backend)
    return target


@pytest.fixture
def empty_index(tmp_path, backend):
    settings = make_settings(tmp_path / "index", backend=backend, entities=False)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    yield index
    index.close()


@pytest.fixture(scope="session")
def app(seed_settings):
    from service.app import create_app
    return create_app(seed_settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


def articles_by_file(index: Index) -> dict:
    """Seed file name -> stored Article (ids are content hashes, so look them up)."""
    from index import SearchRequest
    result = index.search(SearchRequest(per_page=100, facets=False))
    articles = [index.get(hit.id) for hit in result.hits]
    return {Path(a.origin).name: a for a in articles}
