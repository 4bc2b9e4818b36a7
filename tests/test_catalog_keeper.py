"""The kept entity catalog: sums moved by segment deltas equal a build from scratch, and
on a big archive a search after a commit never waits for the rules (index/search/catalog_keeper.py).

A real index on disk, entities on: the seeds and the 1987 wire stories, written in
several commits, then deleted from and merged.
"""

from __future__ import annotations

import json
import threading

import pytest

from conftest import ROOT, SEEDS, make_settings
from index import Index, SearchRequest, article_from_record, read_articles
from index.store import merging
from index.search.catalog_keeper import CatalogKeeper, EntitySums, exact_catalog

STORIES = ROOT / "tests" / "data" / "entities_1987.jsonl"


def catalog_fields(catalog) -> dict:
    return {"canonical": catalog.canonical, "type_of": catalog.type_of, "display": catalog.display,
            "members": catalog.members, "why": catalog.why}


def sums_fields(sums: EntitySums) -> dict:
    e = sums.evidence
    return {"types": sums.type_counts, "names": dict(e.names), "links": dict(e.links), "contexts": dict(e.contexts)}


@pytest.fixture(scope="module")
def articles(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("outlets") / "index")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        stories = [article_from_record(json.loads(line), index.outlets, origin="stories")
                   for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [*read_articles([SEEDS], index.outlets), *stories]


def test_every_commit_moves_the_kept_sums_to_what_a_fresh_build_counts(tmp_path, articles):
    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    store = index.backend.store
    kept = EntitySums()
    keeper = CatalogKeeper(index.aliases, newest=store.snapshot)

    def check():
        snapshot = store.snapshot()
        kept.advance(snapshot.parts)
        fresh = EntitySums()
        fresh.advance(snapshot.parts)
        assert sums_fields(kept) == sums_fields(fresh)
        assert catalog_fields(keeper.current(snapshot)) == catalog_fields(exact_catalog(snapshot, index.aliases))

    for start in range(0, len(articles), 5):
        index.ingest(articles[start:start + 5])
        check()
    assert len(store.snapshot().parts) > 3
    assert len(keeper.current(store.snapshot()).canonical) > 50
    index.delete([a.id for a in articles[::3]])
    check()
    assert merging.merge(store, store.snapshot().parts)  # every segment replaced by one
    assert len(store.snapshot().parts) == 1
    check()
    index.ingest(articles[::3])
    check()
    index.close()


def test_a_big_archive_answers_after_a_commit_with_the_last_catalog_and_builds_the_next_behind(tmp_path, articles):
    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    backend = backend_keeping_everything_in_background(index)
    index.ingest(articles[:-1])
    before = index.search(SearchRequest(q="oil", per_page=1))
    first = backend.catalogs.current(backend.store.snapshot())
    built = threading.Event()
    real_build = backend.catalogs._build

    def slow_build(snapshot):
        built.wait(10)  # held until the search below has answered
        return real_build(snapshot)

    backend.catalogs._build = slow_build
    index.ingest(articles[-1:])
    after = index.search(SearchRequest(q="oil", per_page=1))  # answered while the next catalog is held back
    assert after.total >= before.total
    assert backend.catalogs._latest[0] < backend.store.snapshot().generation
    assert backend.catalogs.current(backend.store.snapshot()) is first  # the previous one, for now
    built.set()
    backend.catalogs.wait(10)
    newest = backend.store.snapshot()
    current = backend.catalogs.current(newest)
    assert current is not first
    assert catalog_fields(current) == catalog_fields(exact_catalog(newest, index.aliases))
    index.close()


def backend_keeping_everything_in_background(index):
    backend = index.backend
    backend.catalogs.inline_keys = 0  # as if the archive were big: builds after the first go behind
    return backend


def test_a_big_archive_starts_with_the_saved_catalog_and_builds_its_own_behind(tmp_path, articles):
    settings = make_settings(tmp_path / "index", merge="off")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        backend_keeping_everything_in_background(index)
        index.ingest(articles)
        built = index.backend.catalogs.current(index.backend.store.snapshot())
        saved = settings.index_dir / "catalog.pickle"
        assert saved.exists()
    index = Index.open(settings.index_dir, settings=settings)
    keeper = backend_keeping_everything_in_background(index).catalogs
    snapshot = index.backend.store.snapshot()
    first = keeper.current(snapshot)  # the saved one, at once; its own builds behind
    assert catalog_fields(first) == catalog_fields(built)
    assert index.entity("Aramco")["type"] == "org"  # explain reads the saved names
    keeper.wait(30)
    assert keeper.current(snapshot) is not first
    assert catalog_fields(keeper.current(snapshot)) == catalog_fields(built)
    saved.write_bytes(b"not a pickle")  # a damaged file is passed over: the catalog is built
    again = Index.open(settings.index_dir, settings=settings)
    assert catalog_fields(again.backend.catalogs.current(again.backend.store.snapshot())) == catalog_fields(built)
    again.close()
    index.close()
