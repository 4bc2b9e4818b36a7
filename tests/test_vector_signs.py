"""The signs of the passage vectors (index/store/signs.py): the first look a search by meaning alone takes.

A hybrid query whose words meet in no article reads the passages nearest it by
their vectors' signs, not every passage.  These tests check the distances against
a plain count, that every segment's signs are its codes' (written, merged, added
to an older segment), and that reading the nearest by signs finds what reading
every passage finds.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from conftest import make_settings
from index import Index, SearchRequest, article_from_record
from index.search import query_vectors
from index.search import semantic
from index.store.signs import distances, vector_signs
from test_semantic import CORPUS, QUERY

MORE = [{"id": f"report-{n}", "title": f"{topic} report {n}",
         "body": f"The {topic} report number {n} says {detail} this quarter."}
        for n, (topic, detail) in enumerate(
            [("harvest", "grain yields rose"), ("shipping", "freight rates fell"), ("mining", "copper output grew"),
             ("banking", "loan demand slowed"), ("energy", "oil stocks climbed"), ("retail", "shoppers spent less")] * 4)]


def _ingest(index, records) -> None:
    index.ingest([article_from_record(r, index.outlets) for r in records])


def test_distances_count_the_signs_that_differ():
    rng = np.random.default_rng(5)
    codes = rng.integers(-127, 128, size=(300, 384)).astype(np.int8)
    codes[:10] = 0  # passages without a vector yet: every sign "not above 0"
    query = rng.standard_normal(384).astype(np.float32)
    expected = ((codes > 0) != (query > 0)).sum(axis=1)
    assert np.array_equal(distances(vector_signs(codes), vector_signs(query)), expected)
    assert vector_signs(codes).shape == (6, 300)


def _each_segment_has_its_codes_signs(index) -> int:
    parts = index.backend.store.snapshot().parts
    for part in parts:
        assert np.array_equal(part.data["vector_signs"], vector_signs(part.data["vectors"])), part.data.id
    return len(parts)


def test_every_segment_has_its_codes_signs_written_merged_and_added_to_an_older_one(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for record in CORPUS:
            _ingest(index, [record])
        assert _each_segment_has_its_codes_signs(index) == len(CORPUS)
        index.delete(["bank"])
        from index.store import merging
        index.backend.store.merge_mode = "inline"
        assert merging.merge(index.backend.store, index.backend.store.snapshot().parts)
        assert _each_segment_has_its_codes_signs(index) == 1
        folder = index.backend.store.snapshot().parts[0].data.directory
    (folder / "vector_signs.npy").unlink()  # as a segment written before signs were
    with Index.open(settings.index_dir, settings=settings) as index:
        _each_segment_has_its_codes_signs(index)  # added as the segment was opened
        assert (folder / "vector_signs.npy").is_file()
        assert "auto" in [hit.id for hit in index.search(SearchRequest(q=QUERY)).hits]


@pytest.fixture
def archive(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _ingest(index, CORPUS + MORE[:12])
        _ingest(index, MORE[12:])  # two segments
        index.delete(["report-3"])
        yield index


def _searched(index, monkeypatch, q: str, **hybrid) -> list[tuple[str, float]]:
    from index.backends import whoosh
    monkeypatch.setattr(whoosh, "HYBRID", replace(semantic.HYBRID, **hybrid))
    settings = index.settings.replace(hybrid_rerank=hybrid.get("rerank", index.settings.hybrid_rerank),
                                      result_cache_size=0)
    with Index.open(index.path, settings=settings) as again:
        return [(hit.id, round(hit.score, 6)) for hit in again.search(SearchRequest(q=q, per_page=50)).hits]


def test_reading_the_nearest_by_signs_finds_what_reading_every_passage_finds(archive, monkeypatch):
    every = _searched(archive, monkeypatch, QUERY, rerank=0)  # every passage read exactly
    assert "auto" in [i for i, _ in every]  # joined by its vector alone
    assert _searched(archive, monkeypatch, QUERY, by_signs=10_000) == every  # the nearest are all of them
    few = _searched(archive, monkeypatch, QUERY, by_signs=3)
    assert [i for i, _ in few][:2] == [i for i, _ in every][:2]
    assert "report-3" not in [i for i, _ in few]


def test_the_nearest_by_signs_are_the_nearest_allowed_live_passages(archive):
    snapshot = archive.backend.store.snapshot()
    query = query_vectors.query_vector(QUERY)
    live = snapshot.live_articles()
    owners = {i: np.asarray(p.data["passage_article"]) + snapshot.article_base[i] for i, p in enumerate(snapshot.parts)}
    everything = semantic.closest_by_signs(snapshot, query, live, 10_000)
    read = np.concatenate([owners[i][rows] for i, rows in everything.items()])
    assert np.array_equal(np.unique(read), np.flatnonzero(live))  # every live article, no deleted one
    near = semantic.closest_by_signs(snapshot, query, live, 1)
    wanted = vector_signs(query)
    nearest = min(int(distances(p.data["vector_signs"], wanted)[rows].min()) for i, p in enumerate(snapshot.parts)
                  for rows in [everything.get(i, np.zeros(0, np.int64))] if len(rows))
    got = [distances(snapshot.parts[i].data["vector_signs"], wanted)[rows] for i, rows in near.items()]
    assert sum(map(len, got)) >= 1 and all((g == nearest).all() for g in got)
    only = np.zeros_like(live)
    only[np.flatnonzero(live)[:3]] = True  # a filter: only these articles
    chosen = semantic.closest_by_signs(snapshot, query, only, 10_000)
    assert set(np.concatenate([owners[i][rows] for i, rows in chosen.items()]).tolist()) == set(np.flatnonzero(only))


def test_a_segment_that_cannot_be_given_signs_is_read_whole(tmp_path, monkeypatch):
    """A read-only copy of an index written before signs: a search by meaning alone reads every passage."""
    settings = make_settings(tmp_path / "index", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _ingest(index, CORPUS)
        folder = index.backend.store.snapshot().parts[0].data.directory
    (folder / "vector_signs.npy").unlink()
    from index.store import upgrade

    def refused(directory, arrays):
        raise PermissionError("read-only file system")
    monkeypatch.setattr(upgrade, "add_arrays", refused)
    with Index.open(settings.index_dir, settings=settings.replace(result_cache_size=0)) as index:
        assert index.backend.store.snapshot().parts[0].data.get("vector_signs") is None
        assert not (folder / "vector_signs.npy").exists()
        assert "auto" in [hit.id for hit in index.search(SearchRequest(q=QUERY)).hits]
