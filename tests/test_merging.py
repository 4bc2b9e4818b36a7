"""Merging: a merged segment's arrays equal a rebuild from its articles, deletions made meanwhile
survive, searches see the same articles, and a background merger process keeps the count bounded."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from conftest import make_settings, wait_until
from index import Index, SearchRequest, article_from_record, processes
from index.store import building, merging
from index.store.upgrade import rebuild_arrays
from test_store import reuters_records


def open_index(path, merge="off") -> Index:
    settings = make_settings(path, entities=False, semantic=False, merge=merge)
    return Index.open(settings.index_dir, create=True, settings=settings)


@pytest.fixture
def twelve_segments(tmp_path):
    index = open_index(tmp_path / "index")
    records = reuters_records(240)
    for start in range(0, 240, 20):
        index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + 20]])
    index.delete([str(r["id"]) for r in records[3::11]])
    yield index, records
    index.close()


def ids_for(index: Index, q: str) -> set[str]:
    return {hit.id for hit in index.search(SearchRequest(q=q, per_page=100, facets=False)).hits}


def test_the_policy_merges_a_full_tier(twelve_segments):
    index, _ = twelve_segments
    parts = index.backend.store.snapshot().parts
    assert len(parts) == 12
    chosen = merging.choose(parts)
    assert chosen is not None and len(chosen) == merging.SEGMENTS_PER_TIER


class Sized:
    """What the policy reads of a segment: its size, live articles and deletions."""

    def __init__(self, articles: int):
        self.data = type("Data", (), {"articles": articles})()
        self.article_live = np.ones(articles, dtype=bool)
        self.live_count = articles


def test_a_large_segment_of_the_lowest_tier_is_not_rewritten_with_every_few_writes():
    large = Sized(4_297)  # below FLOOR * TIER_FACTOR: the lowest tier, like one-article writes
    singles = [Sized(1) for _ in range(merging.SEGMENTS_PER_TIER - 1)]
    assert merging.choose([large, *singles]) is None
    one_more = singles + [Sized(1)]
    assert merging.choose([large, *one_more]) == one_more


def test_a_stream_of_one_article_writes_rewrites_each_article_a_few_times():
    segments, rewritten = [Sized(4_297)], 0
    for _ in range(2_000):
        segments.append(Sized(1))
        while (chosen := merging.choose(segments)) is not None:
            rewritten += sum(p.live_count for p in chosen)
            segments = [p for p in segments if p not in chosen] + [Sized(sum(p.live_count for p in chosen))]
        assert len(segments) <= 3 * merging.SEGMENTS_PER_TIER
    assert sum(p.live_count for p in segments) == 4_297 + 2_000
    assert rewritten < 2_000 * 12  # O(log n) a write: the old rule rewrote the large segment every 9 writes (~1M)


def test_merged_arrays_equal_a_rebuild_from_the_merged_articles(twelve_segments):
    index, _ = twelve_segments
    store = index.backend.store
    queries = ["oil", "bank OR trade", '"crude oil"', "wheat NOT soviet"]
    before = {q: ids_for(index, q) for q in queries}
    assert merging.merge_until_done(store) >= 1
    snapshot = store.snapshot()
    assert len(snapshot.parts) < 12
    merged = max(snapshot.parts, key=lambda p: p.data.articles)
    arrays, meta = rebuild_arrays(store.ix, merged.segment)
    for name, expected in arrays.items():
        if name in ("embedded", "vectors", "vector_scale"):
            continue  # passage vectors are not in Whoosh: a rebuild leaves them to the enricher (test_semantic.py)
        assert np.array_equal(np.asarray(merged.data[name]), expected), name
    assert merged.data.meta["ids"] == meta["ids"]
    assert {q: ids_for(index, q) for q in queries} == before


def test_a_delete_during_a_merge_is_carried_over(twelve_segments, monkeypatch):
    index, records = twelve_segments
    store = index.backend.store
    victim = str(records[0]["id"])
    assert victim in ids_for(index, f'"{records[0]["title"].split()[0]}"') or index.exists(victim)
    real_save = building.save

    def save_then_delete(*args, **kwargs):
        real_save(*args, **kwargs)
        with open_index(store.path) as other:  # another process's write, between the merge's work and its commit
            assert other.delete([victim]) == 1
    monkeypatch.setattr(building, "save", save_then_delete)
    parts = merging.choose(store.snapshot().parts)
    assert merging.merge(store, parts)
    assert not index.exists(victim)
    assert index.stats()["articles"] == 240 - len(records[3::11]) - 1


def test_optimize_merges_down_to_the_segments_asked_for_and_finds_the_same_articles(twelve_segments):
    index, records = twelve_segments
    queries = ["oil", "bank rates", '"the company"', "gold OR silver", "profit NOT loss"]
    before = [index.search(SearchRequest(q=q, facets=False)).total for q in queries]
    articles = index.stats()["articles"]
    assert index.optimize(3) == 1 and index.stats()["segments"] == 3  # the ten smallest in one merge
    assert index.optimize(3) == 0
    assert index.optimize(1) == 1 and index.stats()["segments"] == 1
    assert [index.search(SearchRequest(q=q, facets=False)).total for q in queries] == before
    assert index.stats()["articles"] == articles
    assert not any(index.exists(str(r["id"])) for r in records[3::11])  # deleted stay deleted
    part = index.backend.store.snapshot().parts[0]
    assert part.deleted == 0 and part.data.articles == articles  # and are gone from the merged segment


def test_optimize_waits_for_a_background_merger_to_finish(twelve_segments):
    index, _ = twelve_segments
    released = threading.Event()

    def merger_at_work():
        with processes.holding(index.path, merging.LOCK_NAME) as mine:
            assert mine
            ready.set()
            time.sleep(0.5)
            released.set()
    ready = threading.Event()
    worker = threading.Thread(target=merger_at_work)
    worker.start()
    ready.wait(5)
    assert index.optimize(1) == 1
    assert released.is_set()  # it merged only once the lock was let go
    worker.join()


def test_a_background_merger_bounds_the_segments(tmp_path):
    index = open_index(tmp_path / "index", merge="background")
    records = reuters_records(120)
    for start in range(0, 120, 10):
        index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + 10]])
    wait_until(lambda: index.stats()["segments"] < merging.SEGMENTS_PER_TIER, 120, "the segments were never merged")
    assert index.stats()["articles"] == 120
    assert len(ids_for(index, "oil")) > 0
    index.close()


def test_a_served_worker_starts_a_merger_when_segments_pile_up(tmp_path, monkeypatch):
    """Writes start a merger; one that died leaves a pile until the next write, unless a served worker
    (watching for new generations) sees more segments than the policy ever leaves and starts one."""
    from index.store import store as store_module
    monkeypatch.setattr(store_module, "MERGE_LOOK_EVERY", 0.2)
    monkeypatch.setattr(store_module, "MERGE_OVERDUE", 12)
    piled = open_index(tmp_path / "index", merge="off")  # as if every merger had been killed
    for record in reuters_records(16):
        piled.ingest([article_from_record(dict(record, source="Reuters"), piled.outlets)])
    segments, articles = piled.stats()["segments"], piled.stats()["articles"]
    piled.close()
    assert segments > 12
    served = open_index(tmp_path / "index", merge="background")
    try:
        served.warm(follow=True)
        wait_until(lambda: served.stats()["segments"] <= 12, 120, "no merger was started")
        assert served.stats()["articles"] == articles
    finally:
        served.close()


def test_a_merge_drops_the_entity_names_and_evidence_of_the_articles_it_does_not_carry(tmp_path):
    """A segment's entity counts (the names each key was seen as, the catalog's evidence) are summed per
    segment; a merged segment must count only the articles it holds, not those rewritten or deleted before
    (they counted on in every later merge: "Armenia" seen in 10 articles of a 5-article archive)."""
    settings = make_settings(tmp_path / "index", semantic=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    records = reuters_records(40)
    for start in range(0, 40, 10):
        index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + 10]])
    rewritten = [dict(r, source="Reuters", body=r["body"] + " Ingrid Haraldsen of Norsk Hydro said in Oslo.")
                 for r in records[2:40:7]]
    index.ingest([article_from_record(r, index.outlets) for r in rewritten])
    deleted = {str(r["id"]) for r in records[5:40:9]}  # one of them rewritten before
    index.delete(sorted(deleted))
    naming = len({str(r["id"]) for r in rewritten} - deleted)
    store = index.backend.store
    assert merging.merge(store, store.snapshot().parts)
    (merged,) = [p for p in store.snapshot().parts if p.data.articles]
    _, rebuilt = rebuild_arrays(store.ix, merged.segment)  # counted from the articles the segment holds
    assert rebuilt["entity_forms"]["norsk hydro"] == {"Norsk Hydro": naming}
    assert merged.data.meta["entity_forms"] == rebuilt["entity_forms"]
    assert merged.data.meta["entity_evidence"] == rebuilt["entity_evidence"]
    assert index.entity("Norsk Hydro")["articles"] == naming
    index.close()


def test_a_segment_whose_every_article_was_rewritten_is_dropped_not_merged_into_an_empty_one(tmp_path):
    """Enrichment rewrites every new article once, leaving the segment it was first written to all deleted:
    the policy picks it, and the merge takes it out of the index instead of writing a segment of nothing."""
    index = open_index(tmp_path / "index")
    records = reuters_records(20)
    index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[:10]])
    index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[10:]])
    index.ingest([article_from_record(dict(r, source="Reuters", title=r["title"] + " (corrected)"), index.outlets)
                  for r in records[:10]])
    store = index.backend.store
    first = store.snapshot().parts[0]
    assert first.live_count == 0 and merging.choose(store.snapshot().parts) == [first]
    assert merging.merge(store, [first])
    parts = store.snapshot().parts
    assert first.key not in {p.key for p in parts} and all(p.data.articles for p in parts)
    assert not (store.path / "arrays" / first.key).exists()
    assert all(index.get(str(r["id"])).title.endswith("(corrected)") for r in records[:10])
    assert store.snapshot().counts()["articles"] == 20
    assert merging.choose(parts) is None
    index.close()
