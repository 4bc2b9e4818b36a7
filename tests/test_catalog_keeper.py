"""The kept entity catalog: sums moved by segment deltas equal a build from scratch, and on a
big archive one builder process makes the catalog every worker reads, so a search after a commit
never waits for the rules (index/search/catalog_keeper.py, catalog_builder.py).

A real index on disk, entities on: the seeds and the 1987 wire stories, written in
several commits, then deleted from and merged.
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT, SEEDS, make_settings, wait_until
from index import Index, article_from_record, processes, read_articles
from index.search.catalog_keeper import BUILDER_LOCK, CatalogKeeper, EntitySums, exact_catalog, explained_path
from index.store import merging

STORIES = ROOT / "tests" / "data" / "entities_1987.jsonl"


def catalog_fields(catalog) -> dict:
    """What searches read, and every entity's explanation (a saved catalog keeps those in a file of their own)."""
    return {"canonical": catalog.canonical, "type_of": catalog.type_of, "display": catalog.display,
            "members": catalog.members, "explained": {t: catalog.explanation(t) for t in catalog.members}}


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
    keeper = CatalogKeeper(index.aliases)

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


def test_a_big_archive_builds_its_catalog_in_one_process_and_every_worker_reads_it(tmp_path, articles):
    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    keeper = as_if_big(index)
    index.ingest(articles[:-1])
    store = index.backend.store
    first = keeper.current(store.snapshot())  # nothing saved yet: built here, and saved
    saved = settings.index_dir / "catalog.pickle"
    assert saved.exists()
    other = Index.open(settings.index_dir, settings=settings)  # another worker: reads it, builds nothing
    read = as_if_big(other).current(other.backend.store.snapshot())
    assert catalog_fields(read) == catalog_fields(first) and not other.backend.catalogs._sums.type_counts
    assert other.entity("Aramco")["type"] == "org"  # explain reads the saved names

    index.ingest(articles[-1:])
    snapshot = store.snapshot()
    assert keeper.current(snapshot) is first  # at once: the newest it has, while the builder works
    wait_until(lambda: keeper.current(snapshot) is not first, 90,
               "the builder process did not save the new generation's catalog")
    assert catalog_fields(keeper.current(snapshot)) == catalog_fields(exact_catalog(snapshot, index.aliases))
    assert processes.held(settings.index_dir, BUILDER_LOCK)  # one builder, waiting for the next commit
    assert not keeper._sums.type_counts  # the worker holds no sums
    saved.write_bytes(b"not a pickle")  # a damaged file is passed over: the catalog is built
    again = Index.open(settings.index_dir, settings=settings)
    assert catalog_fields(again.backend.catalogs.current(again.backend.store.snapshot())) == \
        catalog_fields(exact_catalog(snapshot, index.aliases))
    for opened in (again, other, index):
        opened.close()


def test_a_saved_catalog_made_by_other_rules_is_not_read(tmp_path, articles, monkeypatch):
    """After an upgrade that changes the merge rules or the gazetteer, a big archive's saved catalog
    is stale even if nothing was written since: it is built again, not served."""
    from index.search import catalog_keeper

    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    keeper = as_if_big(index)
    index.ingest(articles[:3])
    keeper.current(index.backend.store.snapshot())
    assert keeper._load() is not None  # saved, and read back by the same rules
    version, rules = catalog_keeper.SAVED_VERSION
    monkeypatch.setattr(catalog_keeper, "SAVED_VERSION", (version, rules + 1))
    assert keeper._load() is None
    monkeypatch.setattr(catalog_keeper, "SAVED_VERSION", (version, rules))
    assert keeper._load() is not None
    monkeypatch.setattr(catalog_keeper, "_gazetteer_versions", lambda: {"pycountry": "another"})  # an upgraded library
    assert keeper._load() is None
    index.close()


def as_if_big(index):
    index.backend.catalogs.inline_keys = 0  # a catalog of any size counts as big
    return index.backend.catalogs


def test_entity_targets_grow_with_new_keys_as_a_fresh_table_would():
    """A commit numbers new keys; the catalog's key -> entity table is extended, same as built afresh."""
    import numpy as np

    from index.search.catalog import EntityCatalog
    from index.search.columns import ENTITY_KEYS, entity_targets

    ENTITY_KEYS.of(["test-targets/u.s.", "test-targets/united states"])
    catalog = EntityCatalog(canonical={"test-targets/u.s.": "test-targets/united states",
                                       "test-targets/imf": "test-targets/international monetary fund"})
    first = entity_targets(catalog)
    ENTITY_KEYS.of(["test-targets/imf", "test-targets/new name"])  # a new segment's keys
    grown = entity_targets(catalog)
    fresh = entity_targets(EntityCatalog(canonical=dict(catalog.canonical)))
    assert len(grown[0]) == len(ENTITY_KEYS.names) > len(first[0])
    assert grown[2] == first[2]  # old keys map as before: pairs built for this version stay right
    named = [grown[1][n] for n in grown[0]]
    assert named == [fresh[1][n] for n in fresh[0]]
    imf = ENTITY_KEYS.number["test-targets/imf"]
    assert named[imf] == "test-targets/international monetary fund"
    assert np.array_equal(grown[0][:len(first[0])], first[0])


def test_workers_unpickle_a_saved_catalog_only_when_it_changed(tmp_path, articles):
    """Workers unpickle a saved catalog under their interpreter lock: after a commit that changes
    no entity (a lower-case note) a worker takes the new generation with the catalog it has; after
    one that adds an entity it reads the new one.  Explanations are saved apart, when they change."""
    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    keeper = as_if_big(index)
    keeper.saved = settings.index_dir / "catalog.pickle"
    worker = CatalogKeeper(index.aliases, saved=keeper.saved, inline_keys=0)
    store = index.backend.store
    index.ingest(articles[:10])
    first = keeper.build(store.snapshot())
    generation, read = worker._load()
    explained = explained_path(keeper.saved).read_bytes()
    index.ingest([article_from_record({"id": "quiet", "title": "a note", "body": "it rained all day and nobody "
                                       "went out."}, index.outlets)])
    unchanged = keeper.build(store.snapshot())
    assert unchanged is first  # nothing the rules read changed: they did not run again
    assert keeper.generation == store.snapshot().generation
    assert catalog_fields(unchanged) == catalog_fields(exact_catalog(store.snapshot(), index.aliases))
    assert worker._load() == (keeper.generation, read)  # the newer generation, the same catalog object
    assert explained_path(keeper.saved).read_bytes() == explained
    index.ingest(articles[10:12])
    keeper.build(store.snapshot())
    newer, again = worker._load()
    assert newer == keeper.generation and again is not read
    assert catalog_fields(again) == catalog_fields(exact_catalog(store.snapshot(), index.aliases))
    assert explained_path(keeper.saved).read_bytes() != explained
    index.close()


def test_a_saved_catalog_is_read_in_pieces_and_explained_from_its_own_file(tmp_path, articles, monkeypatch):
    """What searches read is unpickled a piece at a time, and what only `explain` reads stays out of
    the worker's catalog until an entity is explained, then equals the builder's explanation."""
    from index.search import catalog_keeper

    monkeypatch.setattr(catalog_keeper, "PIECE", 7)  # many pieces even for a small archive
    settings = make_settings(tmp_path / "index", merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    keeper = as_if_big(index)
    index.ingest(articles)
    built = keeper.current(index.backend.store.snapshot())
    _, read = CatalogKeeper(index.aliases, saved=keeper.saved, inline_keys=0)._load()
    assert not read.why and not read.votes and not read.evidence.names
    assert catalog_fields(read) == catalog_fields(built)
    assert list(read.canonical) == list(built.canonical)  # pieces kept the order
    for name in ("IMF", "Aramco", "Reagan"):
        assert read.explain(name) == built.explain(name) is not None
    index.close()


def test_the_enricher_saves_a_big_archives_catalog_so_a_starting_worker_builds_none(tmp_path, articles):
    """An archive just ingested and enriched, never served: the first worker's first search reads the
    catalog the enricher saved, and runs no rules of its own."""
    from index.enrichment import enrich_pending

    settings = make_settings(tmp_path / "index", merge="off", enrich="background").replace(semantic=False)  # no vector pass
    with Index.open(settings.index_dir, create=True, settings=settings.replace(enrich="inline", entities=False)) as index:
        index.ingest(articles)  # written without entities, as a background ingest writes them
    with Index.open(settings.index_dir, settings=settings) as index:
        from index.ingest.pipeline import checksum
        stored = [index.backend.get(a.id) for a in articles]
        for article in stored:
            article.enriched = False  # pending, as a background ingest leaves it (test_enrichment.py does the same)
        index.backend.write(stored, [checksum(a) for a in stored])
        assert index.stats()["pending"] == len(articles)
        as_if_big(index)
        assert enrich_pending(index) and index.stats()["pending"] == 0
    assert (settings.index_dir / "catalog.pickle").exists()
    with Index.open(settings.index_dir, settings=settings) as worker:
        keeper = as_if_big(worker)
        snapshot = worker.backend.store.snapshot()
        catalog = keeper.current(snapshot)
        assert not keeper._sums.type_counts and keeper.took == 0  # read, not built
        assert keeper.generation == snapshot.generation  # the catalog of what the worker searches
        assert catalog_fields(catalog) == catalog_fields(exact_catalog(snapshot, worker.aliases))
