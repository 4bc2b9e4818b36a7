"""What only the OpenSearch backend has to show: its analysis is ours, failures are 503s, a lost node loses nothing.

The contract itself (search, entities, exports, writes, pages) runs on both
backends in the other modules; these tests use the local cluster directly.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from config.settings import Settings, SettingsError
from index import Article, Index, SearchRequest, Unavailable

from conftest import CLUSTER, SEEDS, make_settings


def cluster(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CLUSTER), *args], capture_output=True, text=True, timeout=600)


def test_the_cluster_indexes_our_terms_at_our_positions(opensearch_cluster, tmp_path):
    """The cluster analyses nothing: each field holds exactly index/text/analysis.py's terms and spellings,
    alternatives of a word at its position (compounds, hyphenated words), stop words included."""
    from index.store.analyzed import analyse_article
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False)
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())]
    texts.append("Erdoğan's CENTRES don't U.S.-led e-mail 2020-11-01 Nagorno-Karabakh cease-fire health care "
                 "a cease fire now Ağdam Müller naïve running ran US DLR the U.S. and us")
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        client, name = index.backend.client, index.backend.names.articles
        for number, text in enumerate(texts):
            article = Article(id=f"a{number}", title=text.splitlines()[0], body=text)
            index.put(article)
            stored = index.get(article.id)
            ours = analyse_article(stored)
            for field, tokens in (("body", ours.body), ("title", ours.title)):
                vectors = client.termvectors(index=name, id=article.id, fields=[f"{field}_terms", f"{field}_spelt"],
                                             positions=True, offsets=False, term_statistics=False,
                                             field_statistics=False)["term_vectors"]
                for kind, which in (("terms", 0), ("spelt", 2)):
                    found = {(term, t["position"]) for term, info in vectors[f"{field}_{kind}"]["terms"].items()
                             for t in info["tokens"]}
                    assert found == {(token[which], token[1]) for token in tokens}, (field, kind)


def test_a_write_is_found_at_once_by_another_worker(opensearch_cluster, tmp_path):
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False)
    with Index.open(create=True, settings=settings) as writer, Index.open(settings=settings) as reader:
        assert reader.search(SearchRequest(q="Tegh")).total == 0
        before = reader.generation()
        writer.put(Article(id="tegh-1", title="Ceasefire holds in Tegh corridor", body="The Tegh corridor stayed open."))
        assert reader.generation() != before
        assert [h.id for h in reader.search(SearchRequest(q="Tegh")).hits] == ["tegh-1"]
        assert writer.delete(["tegh-1", "never-was"]) == 1
        assert reader.search(SearchRequest(q="Tegh")).total == 0


def test_optimize_force_merges_the_cluster_index_and_loses_nothing(opensearch_cluster, tmp_path):
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for number, path in enumerate(sorted(SEEDS.iterdir())):  # a refresh each: a segment each
            index.put(Article(id=f"s{number}", title=path.stem, body=path.read_text(encoding="utf-8")))
        before = [index.search(SearchRequest(q=q)).total for q in ("Kalbajar", "ceasefire", '"joint monitoring centre"')]
        assert index.optimize(1) == 1
        found = index.backend.client.indices.get_settings(index=index.backend.names.articles)
        shards = int(next(iter(found.values()))["settings"]["index"]["number_of_shards"])
        assert index.stats()["segments"] <= shards  # at most one a primary shard
        assert [index.search(SearchRequest(q=q)).total for q in ("Kalbajar", "ceasefire", '"joint monitoring centre"')] \
            == before and index.stats()["articles"] == len(list(SEEDS.iterdir()))


def test_a_full_batch_of_the_bulk_ingest_is_written(opensearch_cluster, tmp_path):
    """A batch of 2,000 articles asks the cluster for 66,000 story-family keys at once, more than one terms
    query takes (65,536): the batch failed when the lead keys came (the other tests write small batches)."""
    from index import article_from_record

    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False, semantic=False)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        bodies = [f"Story {n} opens its own way. " + " ".join(f"w{n}x{k}" for k in range(40)) for n in range(2_000)]
        batch = [article_from_record({"id": f"b{n}", "title": f"Story {n}", "date": "1987-03-08T10:00:00",
                                      "body": body}, index.outlets) for n, body in enumerate(bodies)]
        assert index.ingest(batch, batch_size=2_000).added == 2_000
        assert index.stats()["articles"] == 2_000 and index.search(SearchRequest(q="w1999x7")).total == 1


def test_a_hybrid_search_on_the_cluster_is_by_words_and_says_so(opensearch_cluster, tmp_path):
    """Passage vectors are not kept in the cluster (README): `mode=hybrid` ranks as `mode=lexical` does
    and answers semantic "off", never "on" or "pending"."""
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False, semantic=True)
    with Index.open(settings.index_dir, create=True, settings=settings) as index:
        for number, path in enumerate(sorted(SEEDS.iterdir())):
            index.put(Article(id=f"s{number}", title=path.stem, body=path.read_text(encoding="utf-8")))
        for q in ("ceasefire talks", "car maker job cuts", "Kalbajar"):
            hybrid, lexical = (index.search(SearchRequest(q=q, mode=mode)) for mode in ("hybrid", "lexical"))
            assert hybrid.semantic == lexical.semantic == "off"
            assert [(h.id, h.score) for h in hybrid.hits] == [(h.id, h.score) for h in lexical.hits]
            assert hybrid.total == lexical.total


def test_an_unknown_backend_stops_start_up():
    with pytest.raises(SettingsError, match="NEWSINDEX_BACKEND"):
        Settings.from_env({"NEWSINDEX_BACKEND": "elastic"})


def test_an_unreachable_cluster_is_503_with_retry_after_never_a_traceback(tmp_path):
    from service.app import create_app
    settings = Settings(index_dir=tmp_path / "index", keys_file=tmp_path / "keys.json", backend="opensearch",
                        opensearch_url="http://127.0.0.1:9", opensearch_prefix="nowhere-")
    client = create_app(settings).test_client()
    for url in ("/api/v1/search?q=Kalbajar", "/api/v1/articles/x", "/healthz", "/api/v1/search.csv?q=x"):
        response = client.get(url)
        assert response.status_code == 503, (url, response.data)
        assert int(response.headers["Retry-After"]) > 0
        error = response.get_json()["error"]
        assert error["code"] == "unavailable" and "Traceback" not in error["message"]
    page = client.get("/?q=Kalbajar")
    assert page.status_code == 503 and "Traceback" not in page.get_data(as_text=True)


def test_a_red_index_is_503_not_a_half_answer(opensearch_cluster, tmp_path):
    """An index whose shards have no copy on any node (red): searches and reads are refused with a 503."""
    from opensearchpy import OpenSearch

    from index.backends.opensearch.connection import Names
    from index.backends.opensearch.mapping import article_index_body, meta_index_body
    from service.app import create_app
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False, result_cache_size=0)
    names = Names.of(settings.opensearch_prefix)
    client = OpenSearch(hosts=opensearch_cluster.split(","))
    body = article_index_body(1, 1, 10_000)
    body["settings"]["index"]["routing.allocation.require._name"] = "nowhere"  # no node may hold it
    client.indices.create(index=names.articles, body=body, wait_for_active_shards=0)
    client.indices.create(index=names.meta, body=meta_index_body(1))
    assert client.cluster.health(index=names.articles)["status"] == "red"
    with Index.open(settings=settings) as index:
        with pytest.raises(Unavailable):
            index.search(SearchRequest(q="Kalbajar"))
        with pytest.raises(Unavailable):
            index.get("a1")
    api = create_app(settings).test_client()
    for url in ("/api/v1/search?q=Kalbajar", "/api/v1/articles/a1", "/?q=Kalbajar"):
        response = api.get(url)
        assert response.status_code == 503 and response.headers["Retry-After"], (url, response.data)
    client.close()


def _managed_nodes() -> list[int]:
    status = cluster("status").stdout
    return [int(line.split()[0].split("-")[1].rstrip(":")) for line in status.splitlines()
            if line.startswith("node-") and "running" in line]


@pytest.mark.slow
def test_stopping_a_node_mid_stream_loses_no_acknowledged_write(opensearch_cluster, tmp_path):
    """Writes and searches run while one node of three stops: every acknowledged write is kept, searches answer.

    Three shards with one replica each, so the node that stops holds primaries:
    its replicas elsewhere are promoted.  The node is started again after.
    """
    nodes = _managed_nodes()
    if len(nodes) < 3:
        pytest.skip("needs the 3-node cluster of opensearch/cluster.py (not an external cluster)")
    victim = nodes[1]
    settings = make_settings(tmp_path / "index", backend="opensearch", entities=False, result_cache_size=0,
                             opensearch_shards=3, opensearch_replicas=1)
    index = Index.open(create=True, settings=settings)
    acknowledged: list[str] = []
    refused: list[str] = []
    searches = {"ok": 0, "failed": []}
    done = threading.Event()

    def search_stream() -> None:
        while not done.is_set():
            try:
                index.search(SearchRequest(q="ceasefire", per_page=5))
                searches["ok"] += 1
            except Unavailable as exc:
                searches["failed"].append(str(exc))
            time.sleep(0.05)

    reader = threading.Thread(target=search_stream, daemon=True)
    reader.start()
    stopper = None
    try:
        for i in range(80):
            if i == 20:  # mid-stream: the node stops while writes go on
                stopper = threading.Thread(target=cluster, args=("stop-node", str(victim)))
                stopper.start()
            article = Article(id=f"w{i}", title=f"Ceasefire report {i}", body=f"Ceasefire report number {i}.")
            try:
                index.put(article)
                acknowledged.append(article.id)
            except Unavailable:
                refused.append(article.id)
        stopper.join()
        done.set()
        reader.join()
        # With the node still down: every acknowledged write is there, by id and by search.
        assert all(index.get(article_id) for article_id in acknowledged)
        found = index.search(SearchRequest(q="ceasefire", per_page=100, facets=False))
        assert {h.id for h in found.hits} >= set(acknowledged)
        assert not searches["failed"], searches["failed"][:3]
        assert searches["ok"] > 0 and len(acknowledged) >= 70, (len(acknowledged), refused)
    finally:
        done.set()
        if stopper is not None:
            stopper.join()
        started = cluster("start-node", str(victim))
        assert started.returncode == 0, started.stderr
    assert cluster("wait", "green").returncode == 0
    assert {h.id for h in index.search(SearchRequest(q="ceasefire", per_page=100, facets=False)).hits} >= \
        set(acknowledged)
    index.close()


def test_make_run_settings_are_documented():
    readme = (CLUSTER.parents[1] / "README.md").read_text(encoding="utf-8")
    for text in ("make opensearch", "make opensearch-stop", "make run BACKEND=opensearch"):
        assert text in readme


def test_an_index_of_another_format_is_refused_with_what_to_do(opensearch_cluster, tmp_path):
    """An index written by an older version of the backend (other fields) is not searched half-right."""
    import copy

    from index.backends.opensearch.backend import IndexFormatError, OpenSearchBackend
    from index.backends.opensearch.connection import Names, connect
    from index.backends.opensearch.mapping import article_index_body, meta_index_body
    settings = make_settings(tmp_path / "index", backend="opensearch")
    names = Names.of(settings.opensearch_prefix)
    client = connect(settings)
    old = copy.deepcopy(article_index_body(1, 0, 10_000))
    del old["mappings"]["_meta"]
    client.indices.create(index=names.articles, body=old)
    client.indices.create(index=names.meta, body=meta_index_body(0))
    with pytest.raises(IndexFormatError, match="ingest the archive again"):
        OpenSearchBackend.open(settings, aliases=None)
    client.close()
