"""The store: segment arrays equal the stored articles analysed word by word, snapshots reuse
segments, deletions are Whoosh's, writes are atomic.

A real index on disk: 400 Reuters articles written in four commits, then some
replaced and deleted, so segments differ in size and carry deletions.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import threading

import numpy as np
import pytest

from conftest import SHARED, make_settings, wait_until
from index import Index, SearchRequest, article_from_record
from index.store import whoosh_io

REUTERS = SHARED / "corpus" / "reuters21578.jsonl.gz"


def reuters_in_segments(directory, count: int, segments: int) -> tuple[Index, list[dict]]:
    """An index of `count` even-id Reuters articles (entities off, never merged) written as `segments` segments."""
    settings = make_settings(directory, entities=False, semantic=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    records, step = reuters_records(count), count // segments
    for start in range(0, count, step):
        index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + step]])
    return index, records


def reuters_records(n: int, start: int = 0) -> list[dict]:
    found = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("body") and int(record["id"]) % 2 == 0:
                found.append(record)
            if len(found) >= start + n:
                break
    return found[start:]


@pytest.fixture(scope="module")
def reuters_index(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("store") / "index", entities=False, semantic=False)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    records = reuters_records(400)
    for start in range(0, 400, 100):
        index.ingest([article_from_record(dict(r, source="Reuters"), index.outlets) for r in records[start:start + 100]])
    replaced = [article_from_record(dict(r, source="Reuters", title=r["title"] + " (updated)"), index.outlets)
                for r in records[::10]]
    index.ingest(replaced)
    index.delete([str(r["id"]) for r in records[5::20]])
    yield index
    index.close()


def leaves(index):
    snap = index.backend.store.snapshot()
    for part in snap.parts:
        yield part, index.backend.store._reader(part.segment)


def test_the_index_has_several_segments_with_deletions(reuters_index):
    snap = reuters_index.backend.store.snapshot()
    assert len(snap.parts) >= 5
    assert any(part.deleted for part in snap.parts)
    assert reuters_index.stats()["articles"] == 400 - 20


def reference(index, fieldname: str) -> dict[str, dict[tuple[str, int], list[int]]]:
    """Per segment, term -> {(article id, passage position or -1): positions}, from the stored articles
    analysed word by word: an independent account of what the arrays must hold."""
    from index.text.analysis import text_analyzer
    analyzer = text_analyzer()
    found = {}
    for part, reader in leaves(index):
        postings: dict = {}
        for docnum in range(part.segment.doc_count_all()):
            data = json.loads(reader.stored_fields(docnum)["data"])
            texts = [(-1, data["title"])] if fieldname == "title" else \
                [(p["position"], p["text"]) for p in data["passages"]]
            offset = 0
            for position, text in texts:
                tokens = [(t.text, t.pos) for t in analyzer(text, positions=True)]
                key = (data["id"], position if fieldname == "text" else -1)
                for term, pos in tokens:
                    postings.setdefault(term, {}).setdefault(key, []).append(pos + (offset if fieldname == "body" else 0))
                if fieldname == "body" and tokens:
                    offset += max(pos for _, pos in tokens) + 1
        found[part.key] = postings
    return found


@pytest.mark.parametrize("fieldname", ["title", "body", "text"])
def test_postings_and_positions_equal_the_stored_articles(reuters_index, fieldname):
    expected = reference(reuters_index, fieldname)
    for part, _ in leaves(reuters_index):
        data = part.data
        ids = data.meta["ids"]
        positions_of = np.asarray(data["passage_position"])
        owner = np.asarray(data["passage_article"])
        ours: dict = {}
        for number in range(len(data.vocab)):
            docs, pos = data.positions(fieldname, number)
            for ordinal, position in zip(docs.tolist(), pos.tolist()):
                key = (ids[owner[ordinal]], int(positions_of[ordinal])) if fieldname == "text" else (ids[ordinal], -1)
                ours.setdefault(data.term(number), {}).setdefault(key, []).append(position)
            ordinals, tfs = data.postings(fieldname, number)
            assert sorted(ordinals.tolist()) == ordinals.tolist() and all(tfs > 0)
        assert ours == expected[part.key]


def test_live_masks_follow_whooshs_deletions(reuters_index):
    for part, _ in leaves(reuters_index):
        reader = whoosh_io.segment_reader(reuters_index.backend.store.ix, part.segment)  # this generation's deletions
        for ordinal in range(part.data.articles):
            assert part.article_live[ordinal] == (not reader.is_deleted(ordinal))
        owners = np.asarray(part.data["passage_article"])
        assert np.array_equal(part.passage_live, part.article_live[owners])


def test_a_commit_reuses_every_unchanged_segment(reuters_index):
    store = reuters_index.backend.store
    before = store.snapshot()
    reuters_index.ingest([article_from_record({"id": "fresh", "title": "Fresh", "body": "A new wire."},
                                              reuters_index.outlets)])
    after = store.snapshot()
    assert after.generation > before.generation
    shared = {p.key: p for p in before.parts}
    reused = [p for p in after.parts if p.key in shared]
    assert reused and all(p.data is shared[p.key].data for p in reused)
    assert all(p.article_live is shared[p.key].article_live for p in reused if p.deleted == shared[p.key].deleted)
    assert reuters_index.search(SearchRequest(q="wire")).total >= 1
    reuters_index.delete(["fresh"])


def test_one_segment_read_from_many_threads_at_once(reuters_index):
    """Stored fields of one segment from 16 threads: a shared file position raced (EOFError) before."""
    snap = reuters_index.backend.store.snapshot()
    ordinals = np.flatnonzero(snap.live_articles())
    expected = {int(o): snap.stored(int(o))["article_id"] for o in ordinals}
    errors = []

    def read(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(300):
                ordinal = rng.choice(list(expected))
                assert snap.stored(ordinal)["article_id"] == expected[ordinal]
        except Exception as exc:  # noqa: BLE001 - the test reports whatever went wrong
            errors.append(repr(exc))

    threads = [threading.Thread(target=read, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_a_failed_write_leaves_nothing_behind(reuters_index, monkeypatch):
    from index.store import writer
    store = reuters_index.backend.store
    files_before = sorted(p.name for p in store.path.iterdir())
    generation = store.generation()

    def fail(*args, **kwargs):
        raise RuntimeError("disk said no")
    monkeypatch.setattr(whoosh_io, "commit", fail)
    with pytest.raises(RuntimeError):
        reuters_index.ingest([article_from_record({"id": "never", "title": "Never", "body": "Not written."},
                                                  reuters_index.outlets)])
    assert store.generation() == generation
    assert sorted(p.name for p in store.path.iterdir()) == files_before
    assert not [p for p in writer.arrays_dir(store.path).iterdir() if p.name.startswith("build-")]


def test_two_creates_of_one_id_exactly_one_is_created(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    Index.open(settings.index_dir, create=True, settings=settings).close()
    outcomes = []

    def put() -> None:
        with Index.open(settings.index_dir, settings=settings) as index:
            article = article_from_record({"id": "same", "title": "Same", "body": "One id."}, index.outlets)
            outcomes.append(index.put(article))

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, False, False, True]
    with Index.open(settings.index_dir, settings=settings) as index:
        assert index.search(SearchRequest(q="same")).total == 1


def test_stats_skip_a_generation_removed_while_they_are_read(tmp_path):
    """/healthz beside concurrent writers answered 500: a commit removed an old generation's TOC between the
    folder's listing and its reading.  A TOC listed but gone (here a dangling link) is skipped."""
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.put(article_from_record({"id": "one", "title": "One", "body": "One article."}, index.outlets))
        os.symlink(settings.index_dir / "gone.toc", settings.index_dir / "stale.toc")  # listed, not there
        stats = index.stats()
        assert stats["articles"] == 1 and stats["last_commit"] is not None


def test_a_folder_retired_twice_in_one_second_is_kept_once(tmp_path):
    """A reader may rebuild a segment's arrays just after a merge retired them: retiring that copy again
    within the same second must not fail the merge's commit (CI saw `Directory not empty`)."""
    from index.store import writer

    folder = writer.arrays_dir(tmp_path)
    folder.mkdir(parents=True)
    for _ in range(2):
        (folder / "seg1").mkdir()
        (folder / "seg1" / "meta.json").write_text("{}")
        writer.retire(tmp_path, live_keys=set())
    assert [p.name.rsplit("-", 1)[0] for p in folder.iterdir()] == ["gone-seg1"]


def test_arrays_are_read_from_the_retired_folder_when_a_merge_moved_them(tmp_path):
    from index.store.segment import Meta

    folder = tmp_path / "arrays"
    (folder / "seg1").mkdir(parents=True)
    meta = Meta(folder / "seg1", {})
    (folder / "seg1" / "sources.json").write_text('["Reuters"]')
    (folder / "seg1").rename(folder / "gone-seg1-1795990000")
    assert meta["sources"] == ["Reuters"]


def test_unique_is_numpys_unique():
    import numpy as np
    from index.arrays import unique

    rng = np.random.default_rng(5)
    for values in (np.zeros(0, np.int64), np.array([7]), rng.integers(0, 50, 1000), rng.integers(0, 1 << 40, 5000),
                   np.array([3, 3, 3], dtype=np.uint64)):
        assert unique(values).tolist() == np.unique(values).tolist()
        assert unique(values).dtype == np.unique(values).dtype


def test_a_write_keeps_committed_segments_written_hours_ago(tmp_path):
    """Committed segments keep their side names (SIDE..._key.seg): the sweep of unfinished side
    files must not take an old segment for one (it deleted every segment over 6 hours old)."""
    import os
    import time

    settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": "old", "title": "Cocoa", "body": "Cocoa prices rose in Accra."},
                                          index.outlets)])
        hours_ago = time.time() - 7 * 3600
        sides = [name for name in os.listdir(index.path) if name.startswith(whoosh_io.SIDE_PREFIX)]
        assert sides  # the first write's segment has a side name
        for name in sides:
            os.utime(index.path / name, (hours_ago, hours_ago))
        debris = index.path / f"{whoosh_io.SIDE_PREFIX}deadbeef0000_neverplaced.seg"  # a crashed writer's
        debris.write_bytes(b"x")
        os.utime(debris, (hours_ago, hours_ago))
        index.put(article_from_record({"id": "new", "title": "Gold", "body": "Gold output fell."}, index.outlets))
        wait_until(lambda: not debris.exists(), 20, "the debris was never swept", every=0.02)  # swept on a thread after the write
        assert all((index.path / name).exists() for name in sides)
        assert [h.id for h in index.search(SearchRequest(q="cocoa")).hits] == ["old"]
        index.put(article_from_record({"id": "newer", "title": "Tin", "body": "Tin talks."}, index.outlets))
        assert index.search(SearchRequest(q="gold")).total == 1


def test_a_write_is_acknowledged_before_the_sweep_of_retired_files(tmp_path, monkeypatch):
    """The sweep of debris runs after the write returns (it took 1-8 s in the first write to a copied
    10x index): a sweep held up does not hold up the write, and it still removes the debris after."""
    import os
    import threading
    import time

    from index.store import writer

    settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record({"id": "a", "title": "Cocoa", "body": "Cocoa prices rose."}, index.outlets)])
        index.backend.store.sweeper.wait()  # the ingest's own sweep is over
        debris = writer.arrays_dir(index.path) / f"gone-deadseg-{int(time.time()) - writer.GONE_AFTER - 60}"
        debris.mkdir()
        (debris / "meta.json").write_text("{}")
        release, entered, real = threading.Event(), threading.Event(), writer.sweep

        def held(*args):
            entered.set()
            release.wait(30)
            real(*args)

        monkeypatch.setattr(writer, "sweep", held)
        index.put(article_from_record({"id": "b", "title": "Gold", "body": "Gold output fell."}, index.outlets))
        assert entered.wait(10)  # the sweep began, and is held: the write returned all the same
        assert debris.exists() and index.search(SearchRequest(q="gold")).total == 1
        release.set()
        wait_until(lambda: not debris.exists(), 20, "the debris was never swept", every=0.02)
        assert os.listdir(writer.arrays_dir(index.path))


@pytest.mark.parametrize("array", [
    np.zeros(0, np.int32), np.arange(10, dtype=np.int64), np.ones((3, 4), np.float32),
    np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.array([1, 2], dtype=">u2"), np.zeros((5, 0), np.int8),
    np.array([b"ab", b"c"]), np.arange(7, dtype=np.uint64), np.array(3.0), np.zeros(3, dtype=[("a", "<i4")]),
    np.arange(100_000, dtype=np.int64), np.asfortranarray(np.arange(40_000.0).reshape(200, 200))])  # mapped: large
def test_a_mapped_segment_array_is_what_numpy_loads(tmp_path, array):
    """Segment arrays are mapped with their headers read by a regular expression (numpy's own
    reader for any header it does not match): same dtype, shape, order and values."""
    from index.store.segment import map_npy
    path = tmp_path / "a.npy"
    np.save(path, array)
    mapped, loaded = map_npy(str(path)), np.load(path)
    assert mapped.dtype == loaded.dtype and mapped.shape == loaded.shape and np.array_equal(mapped, loaded)
    assert mapped.flags.f_contiguous == loaded.flags.f_contiguous
    assert not mapped.flags.writeable


def test_small_segments_hold_few_file_descriptors(tmp_path):
    """A one-article segment's arrays are read, not mapped (a map holds a descriptor for its lifetime):
    a merger that fell behind left 373 segments holding 19,404 descriptors, and writes failed."""
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for n in range(30):
            index.put(article_from_record({"id": f"a{n}", "title": f"Wire {n}", "body": f"Cocoa talk number {n}."},
                                          index.outlets))
    before = len(os.listdir("/proc/self/fd"))
    with Index.open(settings.index_dir, settings=settings) as index:
        assert index.stats()["segments"] == 30
        assert index.search(SearchRequest(q="cocoa", per_page=100)).total == 30
        held = len(os.listdir("/proc/self/fd")) - before
    assert held < 30 * 5, held  # ~50 a segment when every array was mapped


def test_warming_maps_the_arrays_pages_in_ahead_of_searches(tmp_path):
    """With NEWSINDEX_PRELOAD (the default) a worker's warming maps every page of the segment arrays (and of
    Whoosh's segment files: the stored articles) into the process, as Elasticsearch's index.store.preload:
    reading them afterwards faults almost never;
    without it, reading them faults page run by page run (a first question's cost)."""
    import mmap
    import resource

    index, _ = reuters_in_segments(tmp_path / "index", 600, 2)
    index.close()

    def faults_reading_every_page(preload: bool) -> tuple[int, int]:
        settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off", preload=preload)
        with Index.open(settings.index_dir, settings=settings) as opened:
            opened.warm()
            store = opened.backend.store
            maps = {id(m): m for part in store.snapshot().parts
                    for m in part.data.maps(whoosh_io.mapped_file(store._reader(part.segment)))}
            assert sum(whoosh_io.mapped_file(store._reader(part.segment)) is not None for part in store.snapshot().parts)
            pages = [np.frombuffer(m, np.uint8)[::mmap.PAGESIZE] for m in maps.values()]
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            for each in pages:
                int(each.sum(dtype=np.int64))
            return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before, sum(len(p) for p in pages)

    cold, pages = faults_reading_every_page(preload=False)
    warm, _ = faults_reading_every_page(preload=True)
    assert pages > 200 and cold >= pages // 32, (cold, pages)  # the kernel maps up to 16 pages a fault
    assert warm <= cold // 8, (warm, cold)
    # An index the page cache could not hold (over the budget: half the machine's memory) is not preloaded.
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, merge="off", preload=False)
    with Index.open(settings.index_dir, settings=settings) as opened:
        store = opened.backend.store
        assert store.preload(store.snapshot(), budget=2 ** 16) == 0
        assert store.preload(store.snapshot(), budget=2 ** 40) > 2 ** 16


def test_a_failed_sweep_is_logged_and_the_next_write_sweeps_again(tmp_path, monkeypatch, caplog):
    """A sweep runs on a thread: an error there is logged, not raised into anyone's write, and the next
    sweep runs; once the store is closed no sweep starts."""
    import logging

    from index.store import writer

    calls = []

    def failing(path, ix):
        calls.append(path)
        if len(calls) == 1:
            raise OSError("disk went away")

    monkeypatch.setattr(writer, "sweep", failing)
    sweeper = writer.Sweeper(tmp_path, None)
    with caplog.at_level(logging.ERROR, logger="index.store.writer"):
        sweeper.soon()
        sweeper.wait(10)
    assert "sweeping retired files" in caplog.text and len(calls) == 1
    sweeper.soon()
    sweeper.wait(10)
    assert len(calls) == 2
    sweeper.close()
    sweeper.soon()
    sweeper.wait(10)
    assert len(calls) == 2
