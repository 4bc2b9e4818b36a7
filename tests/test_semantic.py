"""Hybrid search: passage vectors from the enricher, mixed with BM25, found by meaning as well as by words.

A small corpus written here: one article about an automobile manufacturer's layoffs
that shares no word with "car maker job cuts", and others that share some.
"""

from __future__ import annotations

import fcntl

import numpy as np
import pytest

from conftest import make_settings, wait_until
from index import Index, SearchRequest, article_from_record
from index.search import query_vectors
from index.enrichment import LOCK_NAME
from index.store.signs import vector_signs
from index.text import embeddings

CORPUS = [
    {"id": "auto", "title": "Automobile manufacturer announces layoffs",
     "body": "The automobile manufacturer said it will lay off 2,000 workers at its assembly plants "
             "as demand for vehicles falls."},
    {"id": "mine", "title": "Job cuts at the mine",
     "body": "The mining company cuts 300 jobs as copper prices fall."},
    {"id": "wheat", "title": "Wheat harvest",
     "body": "Farmers expect a record wheat harvest this summer after heavy rains in the plains."},
    {"id": "bank", "title": "Central bank holds rates",
     "body": "The central bank kept interest rates unchanged and said inflation was easing."},
]
QUERY = "car maker job cuts"


def _ids(result) -> list[str]:
    return [hit.id for hit in result.hits]


def _ingest(index, records) -> None:
    index.ingest([article_from_record(r, index.outlets) for r in records])


@pytest.fixture
def hybrid_index(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False)  # inline: embedded before the write returns
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _ingest(index, CORPUS)
        yield index


def test_a_query_sharing_no_word_finds_the_article_only_with_hybrid_on(hybrid_index, tmp_path):
    hybrid = hybrid_index.search(SearchRequest(q=QUERY))
    assert hybrid.semantic == "on"
    assert "auto" in _ids(hybrid)
    assert "mine" in _ids(hybrid)  # the article holding the words is still there
    lexical = hybrid_index.search(SearchRequest(q=QUERY, mode="lexical"))
    assert lexical.semantic == "off"
    assert "auto" not in _ids(lexical) and "mine" in _ids(lexical)
    assert hybrid.total == lexical.total + 1
    # NEWSINDEX_SEMANTIC=0: every search is lexical, whatever the request asks
    settings = hybrid_index.settings.replace(semantic=False)
    with Index.open(hybrid_index.path, settings=settings) as off:
        result = off.search(SearchRequest(q=QUERY))
        assert result.semantic == "off" and "auto" not in _ids(result)


def test_made_up_words_find_nothing_by_meaning(hybrid_index):
    """A typo or a made-up word is close to nothing: no article joins by its vector alone."""
    for q in ("zzqx blorf quux", "qwerty", "xyzzy plugh"):
        result = hybrid_index.search(SearchRequest(q=q))
        assert result.semantic == "on" and result.total == 0 and not result.hits, q


def test_queries_whose_words_meet_keep_exactly_their_matches(hybrid_index):
    for q in ("wheat", "job cuts", '"central bank"', "title:wheat", "wheat NOT rains"):
        hybrid, lexical = (hybrid_index.search(SearchRequest(q=q, mode=m)) for m in ("hybrid", "lexical"))
        assert sorted(_ids(hybrid)) == sorted(_ids(lexical)), q
        assert hybrid.total == lexical.total, q
    strict = hybrid_index.search(SearchRequest(q=QUERY, match="all"))
    assert strict.total == 0  # match=all stays strict: nothing is added by meaning


def test_every_match_keeps_a_score_above_zero(hybrid_index):
    """The mix shares out the top BM25 score: even the last match in both rankings scores above 0 (exports show it)."""
    result = hybrid_index.search(SearchRequest(q="wheat OR bank OR mine OR automobile"))
    assert result.semantic == "on" and result.total == 4
    assert all(hit.score > 0 for hit in result.hits)
    from index.search.semantic import Cosines, Hybrid, mix

    # Article 2 is last by its words and by its vector; article 3 matches below the top (depth 2).
    found = np.array([1, 2, 3])
    cosines = Cosines(np.arange(4), np.array([0.9, 0.6, 0.2, 0.1], dtype=np.float32))
    matches, mixed = mix(found, np.array([5.0, 2.0, 1.0]), cosines, np.ones(4, dtype=bool), False, Hybrid(depth=2))
    assert np.array_equal(matches, found)  # nothing added
    assert mixed[0] > mixed[1] > mixed[2] > 0
    matches, mixed = mix(found, np.array([5.0, 2.0, 1.0]), cosines, np.ones(4, dtype=bool), True, Hybrid(depth=2))
    assert np.array_equal(matches, [0, 1, 2, 3]) and mixed[0] > 0  # article 0 joins by its vector alone


def test_hybrid_reranks_by_meaning(hybrid_index):
    result = hybrid_index.search(SearchRequest(q="falling demand for vehicles"))
    assert _ids(result)[0] == "auto"


def test_cosines_of_a_lexical_top_are_the_full_scan_s(tmp_path):
    """Re-ranking reads only the chosen articles' passages, and gets their exact best cosines."""
    from index.search import semantic

    settings = make_settings(tmp_path / "index", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _ingest(index, CORPUS[:2])
        _ingest(index, CORPUS[2:])  # two segments: ordinals of both
        assert index.delete(["wheat"]) == 1
        snapshot = index.backend.store.snapshot()
        assert len(snapshot.parts) >= 2
        query = query_vectors.query_vector(QUERY)
        every = np.arange(snapshot.articles)
        full = semantic.article_cosines(snapshot, query).of(every)
        assert np.isfinite(full).sum() == 3  # the deleted article has none
        for among in ([0], [1, snapshot.articles - 1], list(range(snapshot.articles)), []):
            chosen = semantic.article_cosines(snapshot, query, np.asarray(among, dtype=np.int64)).of(every)
            assert np.allclose(chosen[among], full[among], rtol=1e-6, atol=1e-7)
            rest = np.setdiff1d(every, among)
            assert np.isneginf(chosen[rest]).all()


def test_feedback_moves_the_query_toward_its_best_articles(hybrid_index):
    """Rocchio in the vectors' space: the moved query is a unit vector nearer the top articles' mean."""
    from dataclasses import replace

    from index.search import semantic

    snapshot = hybrid_index.backend.store.snapshot()
    stored = _vectors_by_article(hybrid_index)
    ids = snapshot.parts[0].data.meta["ids"]
    top = np.asarray([ids.index("auto"), ids.index("mine")], dtype=np.int64)
    means = semantic.article_vectors(snapshot, top)
    for row, name in zip(means, ("auto", "mine")):  # each article's passages, dequantised, averaged, unit length
        _, codes, scales = stored[name]
        expected = (codes.astype(np.float32) * scales[:, None]).mean(axis=0)
        assert np.allclose(row, expected / np.linalg.norm(expected), atol=1e-5)
    query = query_vectors.query_vector("falling demand")
    moved = semantic.feedback_vector(snapshot, query, top)
    centre = means.mean(axis=0)
    assert abs(np.linalg.norm(moved) - 1) < 1e-5
    assert moved @ centre > query @ centre
    assert semantic.feedback_vector(snapshot, query, top, replace(semantic.HYBRID, feedback_docs=0)) is None
    assert semantic.feedback_vector(snapshot, query, np.zeros(0, np.int64)) is None
    assert len(semantic.article_vectors(snapshot, np.asarray([snapshot.articles + 5]))) == 0


def test_feedback_keeps_the_matches_and_can_be_turned_off(hybrid_index):
    """The second pass re-ranks the same articles; with feedback_docs 0 the mix is the first pass alone."""
    from dataclasses import replace

    from index.search import run

    ctx = hybrid_index.backend.context()
    for q in ("job cuts", "wheat OR bank OR mine", QUERY):
        with_feedback = run.search(SearchRequest(q=q), ctx)
        without = run.search(SearchRequest(q=q), replace(ctx, hybrid=replace(ctx.hybrid, feedback_docs=0)))
        assert sorted(_ids(with_feedback)) == sorted(_ids(without)), q
        assert with_feedback.total == without.total and all(hit.score > 0 for hit in with_feedback.hits), q
    long = "demand for vehicles falls at assembly plants"  # longer than feedback_max_units: left as it is
    with_feedback, without = (run.search(SearchRequest(q=long), replace(ctx, hybrid=replace(ctx.hybrid, feedback_docs=n)))
                              for n in (10, 0))
    assert [(h.id, h.score) for h in with_feedback.hits] == [(h.id, h.score) for h in without.hits]


def test_related_articles_are_found_by_meaning_too(tmp_path):
    """A carmaker's job cuts: by their words alone its nearest neighbour is a utility's power plants
    (they share "two" and "plants"); mixed with the vectors, the car industry's layoffs come first."""
    corpus = [
        {"id": "source", "title": "Carmaker to shed jobs at plants",
         "body": "The carmaker will close two assembly plants and lay off 3,000 workers as vehicle sales slump."},
        {"id": "autos", "title": "Auto industry layoffs spread",
         "body": "Another automobile manufacturer announced layoffs at its factories, blaming weak demand for new "
                 "cars and trucks across the country this spring."},
        {"id": "power", "title": "Utility plans new plants",
         "body": "The utility will build two gas-fired power plants to meet rising electricity demand."},
        CORPUS[2],
    ]
    order = {}
    for semantic in (True, False):
        settings = make_settings(tmp_path / f"index-{semantic}", entities=False, semantic=semantic)
        with Index.open(settings.index_dir, create=True, settings=settings) as index:
            _ingest(index, corpus)
            order[semantic] = [r.id for r in index.related("source", 3)]
    assert order[False][0] == "power" and order[True][0] == "autos"
    assert sorted(order[True]) == sorted(order[False])  # the same neighbours, in another order


def test_mode_is_checked_and_reported_by_the_api(client):
    body = client.get("/api/v1/search?q=Kalbajar&mode=lexical").get_json()
    assert body["semantic"] == "off"
    assert client.get("/api/v1/search?q=Kalbajar").get_json()["semantic"] in ("on", "pending")
    bad = client.get("/api/v1/search?q=Kalbajar&mode=semantic")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["param"] == "mode"


def _vectors_by_article(index) -> dict[str, tuple[list[str], np.ndarray, np.ndarray]]:
    """id -> (passage texts as embedded, int8 codes, scales) read from the live snapshot's arrays."""
    snapshot = index.backend.store.snapshot()
    found = {}
    for i, part in enumerate(snapshot.parts):
        ids = part.data.meta["ids"]
        owners = np.asarray(part.data["passage_article"])
        for local in np.flatnonzero(part.article_live):
            rows = np.flatnonzero(owners == local)
            article = index.get(ids[local])
            texts = [embeddings.passage_text(article.title, p.text) for p in article.passages]
            found[ids[local]] = (texts, np.asarray(part.data["vectors"])[rows],
                                 np.asarray(part.data["vector_scale"])[rows])
    return found


def _check_vectors_follow_their_passages(index) -> None:
    for article_id, (texts, codes, scales) in _vectors_by_article(index).items():
        assert len(texts) == len(codes) == len(scales), article_id
        assert (scales > 0).all(), article_id
        expected = embeddings.encode(texts)
        got = embeddings.dequantise(codes, scales)
        assert np.allclose((got * expected).sum(1), 1.0, atol=0.01), article_id
    for part in index.backend.store.snapshot().parts:  # and their signs (index/store/signs.py) with them
        assert np.array_equal(part.data["vector_signs"], vector_signs(part.data["vectors"]))


def test_vectors_follow_their_passages_through_reingest_merge_and_delete(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, merge="off")
    long_body = " ".join(f"Sentence {n} of the long report says the harbour reopened after the storm." for n in range(40))
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for record in CORPUS:  # one segment each
            _ingest(index, [record])
        _ingest(index, [{"id": "long", "title": "Harbour reopens", "body": long_body}])
        assert len(index.get("long").passages) > 1
        _check_vectors_follow_their_passages(index)
        before = _vectors_by_article(index)["wheat"]
        _ingest(index, [CORPUS[2]])  # unchanged: skipped, its vectors kept
        assert np.array_equal(_vectors_by_article(index)["wheat"][1], before[1])
        _ingest(index, [dict(CORPUS[1], body="The mining company hires 300 miners as copper prices rise.")])
        index.delete(["bank"])
        _check_vectors_follow_their_passages(index)
        assert index.backend.merge() >= 0
        snapshot = index.backend.store.snapshot()
        index.backend.store.merge_mode = "inline"
        from index.store import merging
        assert merging.merge(index.backend.store, snapshot.parts)  # everything into one segment
        assert len(index.backend.store.snapshot().parts) == 1
        _check_vectors_follow_their_passages(index)
        assert set(_vectors_by_article(index)) == {"auto", "mine", "wheat", "long"}
        assert "auto" in _ids(index.search(SearchRequest(q=QUERY)))
        assert "bank" not in _ids(index.search(SearchRequest(q="interest rates inflation easing")))


def test_a_search_before_the_vectors_are_ready_answers_by_words_and_says_so(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, enrich="background")
    settings.index_dir.mkdir(parents=True)
    with open(settings.index_dir / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as if an enricher were at work: none is started, nothing embedded
        with Index.open(settings.index_dir, create=True, settings=settings) as index:
            _ingest(index, CORPUS)
            assert index.stats()["unembedded"] == 4
            early = index.search(SearchRequest(q=QUERY))
            lexical = index.search(SearchRequest(q=QUERY, mode="lexical"))
            assert early.semantic == "pending"
            assert _ids(early) == _ids(lexical) and early.total == lexical.total
            fcntl.flock(lock, fcntl.LOCK_UN)
            assert index.enrich() == 4  # what the enricher process does
            assert index.stats()["unembedded"] == 0
            ready = index.search(SearchRequest(q=QUERY))
            assert ready.semantic == "on" and "auto" in _ids(ready)


def test_entities_off_does_not_stop_the_enricher_embedding(tmp_path):
    settings = make_settings(tmp_path / "index", entities=False, enrich="background")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        _ingest(index, CORPUS[:1])
        # the enricher process loads the model, then writes
        wait_until(lambda: not index.stats()["unembedded"], 180, "the enricher never embedded the passages")
        assert index.search(SearchRequest(q="auto")).semantic == "on"


def test_a_warmed_worker_has_its_query_encoder_ready(hybrid_index):
    """Warming (what a served worker does as it starts) loads the model and builds its int8 graph,
    so the first hybrid search does not; checked in a fresh process, whose encoder nothing loaded."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from pathlib import Path; from index import Index; from index.text import embeddings as e; "
            "from config.settings import Settings; where = Path(sys.argv[1]); print(e._encoder is None, end=' '); "
            "ix = Index.open(where, settings=Settings(index_dir=where, keys_file=where.parent / 'keys.json', "
            "entities=False)); ix.warm(); "
            "print(e._encoder is not None and True in e._encoder._graphs)")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code, str(hybrid_index.path)], capture_output=True,
                         text=True, cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True"]


def test_a_model_that_cannot_be_loaded_leaves_search_lexical_and_says_so(hybrid_index, tmp_path):
    """An archive with vectors served where the model is missing (NEWSINDEX_EMBEDDINGS_MODEL pointing
    nowhere): every search answers by its words, says "unavailable", and the log says why, once;
    a write still succeeds, without vectors. In a fresh process, whose encoder nothing loaded."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, sys; from pathlib import Path; from config.settings import Settings; "
            "from index import Index, SearchRequest, article_from_record; where = Path(sys.argv[1]); "
            "ix = Index.open(where, settings=Settings(index_dir=where, keys_file=where.parent / 'keys.json', "
            "entities=False, enrich='inline', merge='inline')); ix.warm(); "
            "out = {m: ix.search(SearchRequest(q=sys.argv[2], mode=m)) for m in ('hybrid', 'lexical')}; "
            "ix.ingest([article_from_record({'id': 'new', 'title': 'Tin council', 'body': 'The tin council met.'}, "
            "ix.outlets)]); "
            "print(json.dumps({m: [r.semantic, [h.id for h in r.hits]] for m, r in out.items()} | "
            "{'new': [h.id for h in ix.search(SearchRequest(q='tin council')).hits]}))")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code, str(hybrid_index.path), QUERY], capture_output=True, text=True,
                         cwd=root, timeout=300, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin",
                                                      "NEWSINDEX_EMBEDDINGS_MODEL": str(tmp_path / "nowhere")})
    assert out.returncode == 0, out.stderr
    import json

    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["hybrid"][0] == "unavailable" and found["lexical"][0] == "off"
    assert found["hybrid"][1] == found["lexical"][1] and "auto" not in found["hybrid"][1]
    assert found["new"] == ["new"]
    assert out.stderr.count("hybrid search is lexical in this process") == 1, out.stderr
