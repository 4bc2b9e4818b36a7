"""Snapshots: every process sees a commit on its next request, and what it derived before is not reused.

Two Index objects on one folder stand for two gunicorn workers.
"""

from __future__ import annotations

import gc
import time
import weakref

from conftest import make_settings, wait_until
from index import Index, SearchRequest, article_from_record


def article(article_id: str, text: str):
    return {"id": article_id, "title": f"Wire {article_id}", "body": text}


def test_a_commit_in_one_process_is_seen_by_the_next_search_of_another(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    reader = Index.open(settings.index_dir, settings=settings)
    writer.ingest([article_from_record(article("a", "Cocoa prices rose."), writer.outlets)])
    assert reader.search(SearchRequest(q="cocoa")).total == 1
    before = reader.backend.store.snapshot()
    writer.put(article_from_record(article("b", "Cocoa harvest late."), writer.outlets))
    assert reader.search(SearchRequest(q="cocoa")).total == 2  # not the cached answer of the last generation
    after = reader.backend.store.snapshot()
    assert after.generation > before.generation
    assert after.parts[0].data is before.parts[0].data  # the unchanged segment is shared, not reopened
    writer.delete(["a"])
    assert [h.id for h in reader.search(SearchRequest(q="cocoa")).hits] == ["b"]
    writer.close()
    reader.close()


def test_a_search_runs_on_one_snapshot_from_start_to_end(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    index.ingest([article_from_record(article(str(i), f"Gold output {i}."), index.outlets) for i in range(3)])
    old = index.backend.store.snapshot()
    index.delete(["0"])
    # The old snapshot still answers as it did (a search that began before the commit).
    from index.search.run import Context, search
    ctx = Context(old, index.aliases, index.backend.limits)
    assert search(SearchRequest(q="gold"), ctx).total == 3
    assert index.search(SearchRequest(q="gold")).total == 2
    index.close()


def test_a_commit_that_only_adds_extends_the_joined_lists_to_what_a_fresh_join_gives(tmp_path):
    from index.store.snapshot import Snapshot

    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    store = index.backend.store
    index.ingest([article_from_record(article(str(i), f"Cocoa crop {i}."), index.outlets) for i in range(4)])
    assert index.search(SearchRequest(q="cocoa crop")).total == 4  # joined lists kept on this snapshot
    before = store.snapshot()
    index.ingest([article_from_record(article("n", "Cocoa talks."), index.outlets)])
    after = store.snapshot()
    assert after._extends == (before._joined, len(before.parts), len(before.parts))
    held = before._joined
    assert ("body", "cocoa") in held.items
    fresh = Snapshot(after.generation, after.parts, store._reader)
    for fieldname, term in [("body", "cocoa"), ("text", "cocoa"), ("body", "crop"), ("body", "talk")]:
        got, want = after.postings(fieldname, term), fresh.postings(fieldname, term)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    assert len(after.postings("body", "cocoa")[0]) == 5
    assert ("body", "cocoa") not in held.items  # taken over, not held twice
    # Only those lists are kept of the snapshot before: it goes (and its columns) with its last user.
    gone = weakref.ref(before)
    del before, fresh
    gc.collect()
    assert gone() is None
    index.delete(["1"])  # a deletion in an old segment: nothing is carried over
    assert store.snapshot()._extends is None
    assert index.search(SearchRequest(q="cocoa")).total == 4
    index.close()


def test_a_change_to_a_later_segment_reuses_the_joined_lists_of_the_segments_before_it(tmp_path):
    """A merge of the newest small segments, or a deletion in one, keeps the old big ones' postings."""
    from index.store.snapshot import Snapshot

    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    store = index.backend.store
    for batch in ("a", "b", "c"):
        index.ingest([article_from_record(article(f"{batch}{i}", f"Cocoa crop {batch} {i}."), index.outlets)
                      for i in range(3)])
    assert index.search(SearchRequest(q="cocoa crop")).total == 9
    before = store.snapshot()
    index.delete(["b1"])  # the second segment changes; the first is shared
    after = store.snapshot()
    assert after._extends == (before._joined, 1, len(before.parts))
    fresh = Snapshot(after.generation, after.parts, store._reader)
    for fieldname, term in [("body", "cocoa"), ("text", "cocoa"), ("body", "crop"), ("title", "wire")]:
        got, want = after.postings(fieldname, term), fresh.postings(fieldname, term)
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    assert index.search(SearchRequest(q="cocoa crop")).total == 8
    index.close()


def test_joined_postings_kept_are_bounded_by_newsindex_postings_cache(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, postings_cache=5)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(article(str(i), f"Gold and cocoa output {i}."), index.outlets)
                      for i in range(4)])
        for q in ("gold", "cocoa", "output", "gold cocoa"):
            assert index.search(SearchRequest(q=q)).total == 4
        snapshot = index.backend.store.snapshot()
        joined = snapshot._joined.items
        held = sum(len(ids) for ids, _ in joined.values())
        assert joined and (held <= 5 or len(joined) == 1)  # the newest list stays, even alone over


def test_words_the_archive_lacks_are_no_free_entries(tmp_path):
    """An empty joined list costs its key and arrays: made-up words cannot grow a worker without end."""
    import index.store.snapshot as snapshots
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, postings_cache=200,
                             result_cache_size=0)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(article("1", "Gold output rose."), index.outlets)])
        for number in range(60):
            assert index.search(SearchRequest(q=f"zq{number}x qz{number}y")).total == 0
        joined = index.backend.store.snapshot()._joined
        assert joined.items and len(joined.items) <= 200 // snapshots.ENTRY_COST


def test_what_a_snapshot_keeps_for_queries_is_bounded(tmp_path, monkeypatch):
    """A client sending ever new quotes or entity filters must not grow a worker without end: each
    phrase's matches and each entity's mask are held in an LRU of bounded bytes, and still right."""
    import index.store.snapshot as snapshots
    monkeypatch.setattr(snapshots, "QUERY_ARRAYS_HELD", 2000)
    settings = make_settings(tmp_path / "index", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        words = ["gold", "cocoa", "output", "rose", "fell", "sharply", "again", "today"]
        index.ingest([article_from_record(article(str(i), " ".join(words[i:] + words[:i]) + "."), index.outlets)
                      for i in range(8)])
        quotes = [f'"{a} {b}"' for a, b in zip(words, words[1:])] * 2
        totals = [index.search(SearchRequest(q=q)).total for q in quotes]
        assert totals[:7] == totals[7:] and all(totals)
        held = index.backend.store.snapshot()._query_arrays
        assert held.items and held.total == sum(snapshots.nbytes(v) for v in held.items.values())
        assert held.total <= 2000 or len(held.items) == 1
        assert len(held.items) < 7  # old phrases were let go


def test_what_a_snapshot_learns_about_words_asked_is_bounded(tmp_path, monkeypatch):
    """Every new word a client asks for leaves a df and a score bound, every new pattern its words:
    within one generation (no write for a day) they stay within FACTS_HELD, and answers stay right."""
    import index.store.snapshot as snapshots
    monkeypatch.setattr(snapshots, "FACTS_HELD", 40)
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, result_cache_size=0)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(article(str(i), f"Gold output {i} rose in mine{i} and mill{i}."),
                                          index.outlets) for i in range(30)])
        asked = [f"gold mine{i} mill{i} output" for i in range(30)] + [f"mine{i}*" for i in range(30)]
        first = [index.search(SearchRequest(q=q)).total for q in asked]
        facts = index.backend.store.snapshot().facts
        assert facts.items and facts.total <= 40
        assert facts.total == sum(len(v) + 1 if isinstance(v, list) else 1 for v in facts.items.values())
        patterns = [sum(str(j).startswith(str(i)) for j in range(30)) for i in range(30)]  # mine1* is mine1, mine10..
        assert [index.search(SearchRequest(q=q)).total for q in asked] == first == [30] * 30 + patterns


def test_words_decoded_for_patterns_and_typos_are_bounded(tmp_path, monkeypatch):
    """Prefixes, wildcards and misspellings read a segment's words decoded: every new prefix a client asks
    for kept them for good before; now at most SLICES_HELD words are kept, and answers stay right."""
    import index.search.expand as expand
    from index.store.held import Held
    monkeypatch.setattr(expand, "_slices", Held(60, expand._slices.size))
    settings = make_settings(tmp_path / "index", entities=False, semantic=False, result_cache_size=0)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        index.ingest([article_from_record(article(str(i), f"Gold output {i} rose in mine{i} and mill{i}."),
                                          index.outlets) for i in range(30)])
        asked = [f"mine{i}*" for i in range(30)] + [f"mil{i}?" for i in range(10)] + ["gpld", "outptu"]
        first = [index.search(SearchRequest(q=q)).total for q in asked]
        assert expand._slices.items and expand._slices.total <= 60
        assert [index.search(SearchRequest(q=q)).total for q in asked] == first
        assert first[:2] == [1, 11] and index.search(SearchRequest(q="outptu")).suggestion["q"] == "output"


def test_a_served_worker_prepares_new_generations_while_searches_read_the_last(tmp_path, monkeypatch):
    """Index.warm(follow=True), as each gunicorn worker calls it: a search meeting a newer generation
    starts preparing it and reads the one before, for at most STALE_AT_MOST seconds; reads by id
    and the writer's own searches always see the newest."""
    from index.store import store as store_module
    settings = make_settings(tmp_path / "index", entities=False)
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    writer.ingest([article_from_record(article("a", "Cocoa prices rose."), writer.outlets)])
    reader = Index.open(settings.index_dir, settings=settings)
    reader.warm(follow=True)
    writer.warm(follow=True)
    prepared = []
    monkeypatch.setattr(store_module, "STALE_AT_MOST", 60.0)  # long enough to look at the stale answer
    original = reader.backend.store._prepare  # what warm(follow=True) set

    def slow_prepare(snapshot):
        time.sleep(0.3)
        original(snapshot)
        prepared.append(snapshot.generation)
    reader.backend.store.prepare_in_background(slow_prepare)

    writer.put(article_from_record(article("b", "Cocoa harvest late."), writer.outlets))
    assert writer.search(SearchRequest(q="cocoa")).total == 2  # the writer reads its own write at once
    assert reader.search(SearchRequest(q="cocoa")).total == 1  # the last generation, while the next is prepared
    assert reader.get("b") is not None  # by id: always the newest
    wait_until(lambda: reader.search(SearchRequest(q="cocoa")).total == 2, 10, "the new generation was never prepared",
               every=0.05)
    assert prepared  # by the background preparation, whose snapshot searches now read

    monkeypatch.setattr(store_module, "STALE_AT_MOST", 0.0)  # no stale reads allowed: searches wait
    writer.put(article_from_record(article("c", "Cocoa exports up."), writer.outlets))
    assert reader.search(SearchRequest(q="cocoa")).total == 3
    writer.close()
    reader.close()


def test_a_served_worker_prepares_another_process_commit_before_any_search_meets_it(tmp_path):
    """The watch of warm(follow=True): a commit by another process is prepared within a fraction of
    a second with no search asking, so the first search after it reads a prepared snapshot; a
    worker that does not follow (a CLI, the benchmarks) has no watch and notices on its next read."""
    settings = make_settings(tmp_path / "index", entities=False)
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    writer.ingest([article_from_record(article("a", "Cocoa prices rose."), writer.outlets)])
    reader = Index.open(settings.index_dir, settings=settings)
    idle = Index.open(settings.index_dir, settings=settings)
    reader.warm(follow=True)
    idle.warm()
    served, unserved = reader.backend.store, idle.backend.store
    before = served._snapshot.generation
    writer.put(article_from_record(article("b", "Cocoa harvest late."), writer.outlets))
    # no search, no read by id: only the watch
    wait_until(lambda: served._snapshot.generation != before, 10, "the watch never prepared the new generation",
               every=0.01)
    assert unserved._snapshot.generation == before and unserved._watching is None
    assert reader.search(SearchRequest(q="cocoa")).total == 2
    for index in (writer, reader, idle):
        index.close()
    served._watching.join(timeout=1)
    assert not served._watching.is_alive()  # closing the index ends its watch


def test_searches_and_reads_in_many_threads_across_prepared_generations_never_fail(tmp_path):
    """A served worker's request threads all meet each new generation at once: one prepares it,
    the others read the last snapshot or wait for the new one; none may fail."""
    import threading
    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    writer.ingest([article_from_record(article("a", "Cocoa prices rose."), writer.outlets)])
    reader = Index.open(settings.index_dir, settings=settings)
    reader.warm(follow=True)
    failures, done = [], threading.Event()

    def read(n: int) -> None:
        while not done.is_set():
            try:
                reader.search(SearchRequest(q="cocoa")) if n % 2 else reader.get("a")
            except Exception as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(repr(exc))
    threads = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for n in range(15):
        writer.put(article_from_record(article(f"w{n}", f"Cocoa note {n}."), writer.outlets))
        time.sleep(0.02)
    done.set()
    for thread in threads:
        thread.join()
    assert not failures, failures[:3]
    assert reader.search(SearchRequest(q="cocoa")).total == 16
    writer.close()
    reader.close()


def test_the_generation_is_listed_again_only_when_the_folder_changed(tmp_path, monkeypatch):
    """Every request asks for the newest generation: a stat of the folder, and a listing after a commit."""
    from index.store import whoosh_io

    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    reader = Index.open(settings.index_dir, settings=settings)
    writer.ingest([article_from_record(article("a", "Cocoa prices rose."), writer.outlets)])
    store = reader.backend.store
    listings = []
    real = store.ix.latest_generation
    monkeypatch.setattr(store.ix, "latest_generation", lambda: listings.append(1) or real())
    monkeypatch.setattr(whoosh_io.GenerationWatch, "RACY_NS", -10**12)  # trust every listing (the clock tick aside)
    first = store.generation()
    assert [store.generation() for _ in range(5)] == [first] * 5 and len(listings) == 1
    writer.put(article_from_record(article("b", "Cocoa harvest late."), writer.outlets))
    assert store.generation() > first and len(listings) == 2
    assert reader.search(SearchRequest(q="cocoa")).total == 2
    monkeypatch.setattr(whoosh_io.GenerationWatch, "RACY_NS", 10**12)  # a folder changed just now: listed each time
    writer.put(article_from_record(article("c", "Cocoa exports."), writer.outlets))
    before = len(listings)
    store.generation(), store.generation()
    assert len(listings) == before + 2
    writer.close()
    reader.close()


def test_a_listing_that_crossed_a_commit_is_looked_at_again(tmp_path, monkeypatch):
    """A folder read while another process renames its new TOC in and deletes the old one can list
    neither: Whoosh then says the index is empty. The store reads again instead of failing the
    request (seen in a soak: 2 of 1,201 writes answered 500)."""
    from whoosh.index import EmptyIndexError

    from index.store import whoosh_io

    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    index.ingest([article_from_record(article("a", "Cocoa prices rose."), index.outlets)])
    store = index.backend.store
    newest = store.generation()
    real, misses = store.ix._read_toc, [2]

    def crossed():
        if misses[0]:
            misses[0] -= 1
            raise EmptyIndexError("Index 'MAIN' does not exist")  # what Whoosh says of an empty listing
        return real()
    monkeypatch.setattr(store.ix, "_read_toc", crossed)
    assert whoosh_io.read_toc(store.ix).generation == newest and misses == [0]
    monkeypatch.setattr(store.ix, "latest_generation", lambda: -1)  # the generation watch's listing, crossed too
    monkeypatch.setattr(whoosh_io.GenerationWatch, "RACY_NS", 10**12)  # no listing trusted: each call looks
    assert store.generation() == newest
    index.put(article_from_record(article("b", "Cocoa harvest late."), index.outlets))
    assert index.search(SearchRequest(q="cocoa")).total == 2
    index.close()


def test_a_request_on_an_older_snapshot_keeps_reading_a_segment_merged_away(tmp_path):
    """A merge publishes a snapshot without the segments it merged; a request still on the snapshot
    before (a search's hits, a write's story-family lookup) reads their stored fields on (a soak's
    ReaderClosed: 1 write of 1,093 answered 500). The dropped readers close READERS_KEPT seconds later."""
    from index.store import merging
    from index.store import store as store_module

    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    index = Index.open(settings.index_dir, create=True, settings=settings)
    for n in range(3):  # three commits, three segments
        index.ingest([article_from_record(article(str(n), f"Cocoa report {n}."), index.outlets)])
    store = index.backend.store
    old = store.snapshot()
    assert len(old.parts) >= 2
    reader = store._reader(old.parts[0].segment)  # what a request on `old` holds
    assert merging.merge(store, list(old.parts))
    new = store.snapshot()
    assert len(new.parts) == 1 and new.parts[0].key != old.parts[0].key
    assert reader.stored_fields(0)["article_id"] == "0"  # not closed under the request
    assert old.stored(0)["article_id"] == "0"
    store_module.READERS_KEPT, kept = -1.0, store_module.READERS_KEPT  # the next publish closes them
    try:
        index.ingest([article_from_record(article("3", "Cocoa report 3."), index.outlets)])
        assert not store._retired
    finally:
        store_module.READERS_KEPT = kept
    assert index.search(SearchRequest(q="cocoa")).total == 4
    index.close()


def test_an_article_kept_parsed_is_never_shown_stale(tmp_path):
    """Snapshot.article keeps recently read articles parsed, by segment and document: an update writes the
    article into a new segment, so the next page shows the new version, in this process and another."""
    settings = make_settings(tmp_path / "index", entities=False)
    writer = Index.open(settings.index_dir, create=True, settings=settings)
    reader = Index.open(settings.index_dir, settings=settings)
    writer.ingest([article_from_record(article(str(n), f"Cocoa report {n}."), writer.outlets) for n in range(3)])
    for index in (writer, reader):
        assert sorted(h.title for h in index.search(SearchRequest(q="cocoa")).hits) == ["Wire 0", "Wire 1", "Wire 2"]
    snapshot = reader.backend.store.snapshot()
    ordinal = reader.backend.store.find("1", snapshot)[0]
    assert snapshot.article(ordinal) is snapshot.article(ordinal)  # parsed once, then shared
    writer.put(article_from_record({"id": "1", "title": "Cocoa revised", "body": "Cocoa report 1, revised."},
                                   writer.outlets))
    for index in (writer, reader):
        hits = index.search(SearchRequest(q="cocoa")).hits
        assert sorted(h.title for h in hits) == ["Cocoa revised", "Wire 0", "Wire 2"]
        assert index.get("1").title == "Cocoa revised"
    assert snapshot.article(ordinal)["title"] == "Wire 1"  # the old snapshot still reads its own generation
    writer.close()
    reader.close()


def test_a_words_kept_scores_follow_the_archive(tmp_path):
    """A word's BM25F scores over the whole archive are kept with the snapshot (bm25.Scorer.term): asked
    again they are the same, read-only; after a commit its idf has changed, and so have the scores."""
    from index.search.bm25 import ARTICLE_FIELDS, Scorer
    settings = make_settings(tmp_path / "index", entities=False, result_cache_size=0)
    index = Index.open(settings.index_dir, create=True, settings=settings)
    index.ingest([article_from_record(article(str(n), f"Cocoa report {n}." if n < 2 else f"Sugar report {n}."),
                                      index.outlets) for n in range(6)])
    first = index.search(SearchRequest(q="cocoa report", mode="lexical")).hits
    again = index.search(SearchRequest(q="cocoa report", mode="lexical")).hits
    assert [(h.id, h.score) for h in first] == [(h.id, h.score) for h in again]
    at, scores = Scorer(index.backend.store.snapshot(), ARTICLE_FIELDS).term("cocoa")
    assert len(at) == 2 and not scores.flags.writeable
    index.ingest([article_from_record(article(str(n), f"Cocoa report {n}."), index.outlets) for n in range(6, 9)])
    later = {h.id: h.score for h in index.search(SearchRequest(q="cocoa report", mode="lexical")).hits}
    assert later[first[0].id] < first[0].score  # cocoa is commoner now: its idf, and the score, fell
    index.close()
