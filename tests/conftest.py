"""Shared fixtures: real indexes on disk, the real app, the real CLI.

`seed_index` is built once per session from ../shared/corpus/seeds/ and shared
by read-only tests; tests that write use `empty_index` (a fresh directory each).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from config.settings import Settings
from index import Index, read_articles

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds"


def make_settings(index_dir: Path, **overrides) -> Settings:
    """Test settings: everything in a temporary directory, nothing from the developer's var/.

    Entities are extracted and segments merged before a write returns (`inline`), so
    a test sees the finished index; tests of the background steps ask for them.
    """
    base = Settings(index_dir=index_dir, keys_file=index_dir.parent / "keys.json", enrich="inline", merge="inline")
    return base.replace(**overrides)


@pytest.fixture(scope="session")
def seed_dir(tmp_path_factory) -> Path:
    """The five seed articles, ingested once for the session (entities on)."""
    path = tmp_path_factory.mktemp("seed") / "index"
    settings = make_settings(path)
    with Index.open(path, create=True, settings=settings) as index:
        report = index.ingest(read_articles([SEEDS], index.outlets))
        assert report.added == 5, report.summary()
    return path


@pytest.fixture(scope="session")
def seed_settings(seed_dir) -> Settings:
    return make_settings(seed_dir)


@pytest.fixture(scope="session")
def seed_index(seed_dir, seed_settings):
    index = Index.open(seed_dir, settings=seed_settings)
    yield index
    index.close()


@pytest.fixture
def seed_copy(seed_dir, tmp_path) -> Path:
    """A private copy of the seed index, for tests that write to it."""
    target = tmp_path / "index"
    shutil.copytree(seed_dir, target)
    return target


@pytest.fixture
def empty_index(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)
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
