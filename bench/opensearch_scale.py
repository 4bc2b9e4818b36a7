#!/usr/bin/env python
"""The OpenSearch backend at scale: ingest Reuters replicated to a million passages, then query
latency through newsindex's search function and over HTTP, with all nodes up and with one stopped.

    python3 opensearch/cluster.py start      # (NEWSINDEX_CLUSTER_HEAP=1g for this size)
    .venv/bin/python bench/opensearch_scale.py --replicate 24 --keep --json
    .venv/bin/python bench/opensearch_scale.py --replicate 27 --pipeline-copies 2 --build-only
    .venv/bin/python bench/opensearch_scale.py --replicate 27 --keep --json    # measures what it built

1. Ingest (skipped when the index bench-reuters<N>x- exists and --keep left it):
   Reuters x N through `Index.ingest` (the real pipeline: passages, checksums,
   one bulk write a batch, acknowledged with refresh=wait_for), entities
   extracted on the first copy and reused for the others (as bench/ingest.py
   --entities replicated), into an index of --shards primaries with --replicas.
   With --pipeline-copies K only the first K copies go through the pipeline (its
   rate); the others are copy 0's stored documents written again under their own
   ids and dates (what the pipeline would write for the same text), loaded as any
   bulk load is: no replica and no refresh meanwhile, then replicas recovered.
2. Search function: seeded single-word, two-word and phrase queries (the words of
   bench/query.py) through `Index.search` with facets on and the result cache
   off, a first pass and a second: p50/p95 of each kind.
3. HTTP: gunicorn (config/gunicorn.conf.py, NEWSINDEX_BACKEND=opensearch) answers
   the same two-word queries at /api/v1/search, one at a time: p50/p95.
4. One node stopped (`cluster.py stop-node`): 2 and 3 again, on a yellow cluster;
   then the node is started again and the cluster waited for until green.

No raw-Whoosh side: bench/query_scale.py measures the Whoosh backend at the
same size.  Prints one JSON object with --json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.backends import CLUSTER, opensearch_settings  # noqa: E402
from bench.ingest import articles, with_copied_entities  # noqa: E402
from bench.query import PHRASES, WORDS, _serve, _stop  # noqa: E402
from index import Index, SearchRequest, Skipped  # noqa: E402


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "n": len(times)}


def until(deadline: float | None, items):
    """The items, until the deadline (time.monotonic()) has passed: an ingest cut to the time there is."""
    for item in items:
        if deadline is not None and time.monotonic() > deadline:
            return
        yield item


def ingest(index: Index, copies: int, entities: bool, minutes: float | None = None) -> dict:
    """Ingest Reuters x `copies` through the pipeline: with entities, extracted on the first copy and copied to the others.

    With `minutes`, articles stop being read after that long (the batch under way is finished).
    """
    started = time.perf_counter()
    deadline = time.monotonic() + minutes * 60 if minutes else None
    first_ids: set[str] = set()
    known: dict = {}
    if entities:
        first = index.ingest(articles(1, index.outlets))
        first_ids = set(first.ids)
        for article_id in first.ids:
            article = index.get(article_id)
            known[(article.title, article.body)] = article.entities
        print(json.dumps({"first_copy_s": round(time.perf_counter() - started, 1)}), flush=True)
    later = until(deadline, (a for a in articles(copies, index.outlets)
                             if isinstance(a, Skipped) or a.id not in first_ids))
    index.settings = index.settings.replace(entities=False)  # the copies carry the first copy's entities
    report = index.ingest(with_copied_entities(later, known) if entities else later)
    seconds = time.perf_counter() - started
    total = report.added + len(first_ids)
    stats = index.stats()
    return {"seconds": round(seconds, 1), "articles": total, "passages": stats["passages"],
            "articles_per_s": round(total / seconds, 1), "passages_per_s": round(stats["passages"] / seconds, 1)}


def _moved(doc: dict, shift: int) -> dict:
    """Copy 0's document as copy `shift`'s (bench/scale.py's reuters_records: id r{c}-{n}, dates c years on)."""
    doc = dict(doc, data=dict(doc["data"]))

    def renamed(value: str | None) -> str | None:
        return f"r{shift}-{value[3:]}" if value and value.startswith("r0-") else value

    doc["id"] = doc["data"]["id"] = renamed(doc["id"])
    doc["family"] = renamed(doc["family"])
    if doc["data"].get("family"):
        doc["data"]["family"] = renamed(doc["data"]["family"])
    if doc.get("published"):
        doc["published"] = doc["data"]["published"] = f"{int(doc['published'][:4]) + shift:04d}{doc['published'][4:]}"
    return doc


def fill_by_copying(index: Index, copies: int, replicate: int) -> dict:
    """Copies `copies`..`replicate - 1` written as copy 0's stored documents under their ids and dates.

    The documents the pipeline would write for them (the same text, so the same analysis), without
    running it again over text it has already understood; its rate is measured on the first copies.
    Bulk requests of 500, refreshed once at the end.
    """
    from opensearchpy import helpers

    client, names = index.backend.client, index.backend.names
    started = time.perf_counter()
    first = [hit["_source"] for hit in helpers.scan(client, index=names.articles, size=500,
                                                     query={"query": {"prefix": {"id": "r0-"}}})]
    print(json.dumps({"read_copy_0": len(first), "s": round(time.perf_counter() - started, 1)}), flush=True)
    kept = client.indices.get_settings(index=names.articles)[names.articles]["settings"]["index"]
    # as for any bulk load: no replica and no refresh while loading, then the replicas copy the segments
    client.indices.put_settings(index=names.articles, body={"index": {"number_of_replicas": 0,
                                                                      "refresh_interval": "-1"}})
    written = 0
    for shift in range(copies, replicate):
        actions = ({"_op_type": "index", "_index": names.articles, "_id": moved["id"], "_source": moved}
                   for moved in (_moved(doc, shift) for doc in first))
        for ok, item in helpers.streaming_bulk(client, actions, chunk_size=500, max_retries=3,
                                               request_timeout=120, raise_on_error=True):
            written += ok
        print(json.dumps({"copied": shift, "documents": written, "s": round(time.perf_counter() - started, 1)}),
              flush=True)
    client.indices.put_settings(index=names.articles, body={"index": {
        "number_of_replicas": kept.get("number_of_replicas", "1"), "refresh_interval": kept.get("refresh_interval")}})
    client.indices.refresh(index=names.articles)
    client.cluster.health(index=names.articles, wait_for_status="green", timeout="30m", request_timeout=1900)
    return {"copies": f"{copies}..{replicate - 1}", "documents": written,
            "seconds": round(time.perf_counter() - started, 1)}


def queries(count: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    return {"single": rng.sample(WORDS, min(count, len(WORDS))),
            "two_words": [" ".join(rng.sample(WORDS, 2)) for _ in range(count)],
            "phrase": [f'"{p}"' for p in PHRASES][:count]}


def function_latency(index: Index, mixes: dict[str, list[str]]) -> dict:
    out = {}
    for name in ("first", "second"):
        for kind, qs in mixes.items():
            times = []
            for q in qs:
                started = time.perf_counter()
                index.search(SearchRequest(q=q))
                times.append((time.perf_counter() - started) * 1000)
            out[kind if name == "second" else f"{kind}_first"] = percentiles(times)
    started = time.perf_counter()
    index.search(SearchRequest())
    out["browse_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out


def http_latency(base: str, qs: list[str], rounds: int = 2) -> dict:
    times, failed = [], 0
    for _ in range(rounds):
        for q in qs:
            url = f"{base}/api/v1/search?{urllib.parse.urlencode({'q': q})}"
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=60) as response:
                    response.read()
            except OSError:
                failed += 1
                continue
            times.append((time.perf_counter() - started) * 1000)
    return {**percentiles(times), "failed": failed}


def cluster(*args: str) -> str:
    done = subprocess.run([sys.executable, str(CLUSTER), *args], capture_output=True, text=True, check=True)
    return done.stdout


def health(index: Index) -> str:
    return index.backend.client.cluster.health()["status"]


def measure(index: Index, settings, mixes, http_rounds: int) -> dict:
    out = {"cluster": health(index), "function": function_latency(index, mixes)}
    env = {"NEWSINDEX_BACKEND": "opensearch", "NEWSINDEX_OPENSEARCH_URL": settings.opensearch_url,
           "NEWSINDEX_OPENSEARCH_PREFIX": settings.opensearch_prefix, "NEWSINDEX_RESULT_CACHE_SIZE": "0",
           "NEWSINDEX_WORKERS": "2", "NEWSINDEX_INDEX_DIR": str(settings.index_dir)}
    proc, base = _serve("service.serving:create_asgi_app()", env, ROOT)  # as config/gunicorn.conf.py serves it
    try:
        http_latency(base, mixes["two_words"][:5], rounds=1)  # both workers open their connection
        out["http_two_words"] = http_latency(base, mixes["two_words"], rounds=http_rounds)
    finally:
        _stop(proc)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicate", type=int, default=24, help="copies of Reuters (24: about a million passages)")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--entities", choices=("replicated", "off"), default="replicated")
    parser.add_argument("--queries", type=int, default=20, help="queries per kind (default 20)")
    parser.add_argument("--http-rounds", type=int, default=2)
    parser.add_argument("--stop-node", type=int, default=2, help="the node to stop (0: none)")
    parser.add_argument("--pipeline-copies", type=int,
                        help="copies written through Index.ingest (default: all); the rest as copy 0's documents")
    parser.add_argument("--ingest-minutes", type=float, help="stop reading articles after this long (a smaller index)")
    parser.add_argument("--build-only", action="store_true", help="ingest (implies --keep) and stop: measure in a later run")
    parser.add_argument("--keep", action="store_true", help="leave the index for the next run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    settings = opensearch_settings(f"reuters{args.replicate}x", opensearch_shards=args.shards,
                                   opensearch_replicas=args.replicas, entities=args.entities != "off", semantic=False,
                                   enrich="inline", result_cache_size=0)
    out: dict = {"replicate": args.replicate, "shards": args.shards, "replicas": args.replicas,
                 "entities": args.entities, "prefix": settings.opensearch_prefix}
    index = Index.open(create=True, settings=settings)
    try:
        if index.stats()["articles"] == 0:
            copies = min(args.pipeline_copies or args.replicate, args.replicate)
            out["ingest"] = ingest(index, copies, args.entities != "off", args.ingest_minutes)
            print(json.dumps({"ingest": out["ingest"]}), flush=True)
            if copies < args.replicate:
                out["copied"] = fill_by_copying(index, copies, args.replicate)
                index.close()  # what this process derived from the first copies (catalog, counts) is stale
                index = Index.open(create=True, settings=settings)
        if args.build_only:
            args.keep = True
            print(json.dumps(out))
            return 0
        stats = index.stats()
        out.update(articles=stats["articles"], passages=stats["passages"], index_mb=round(stats["size_bytes"] / 2**20),
                   segments=stats["segments"])
        started = time.perf_counter()
        index.warm()  # the entity catalog, as a worker builds it at start
        out["warm_s"] = round(time.perf_counter() - started, 1)
        mixes = queries(args.queries)
        out["all_nodes"] = measure(index, settings, mixes, args.http_rounds)
        print(json.dumps({"all_nodes": out["all_nodes"]}), flush=True)
        if args.stop_node:
            cluster("stop-node", str(args.stop_node))
            try:
                time.sleep(5)  # the cluster notices the node has gone
                out["one_node_stopped"] = measure(index, settings, mixes, args.http_rounds)
            finally:
                cluster("start-node", str(args.stop_node))
                cluster("wait", "green")
    finally:
        if not args.keep:
            index.backend.drop()
        index.close()
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
