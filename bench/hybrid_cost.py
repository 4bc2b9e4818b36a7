#!/usr/bin/env python
"""What hybrid search costs over words alone: the same queries, interleaved, on one index.

    python bench/hybrid_cost.py --index PATH [--rounds 3] [--json]
    python bench/hybrid_cost.py --index PATH --build COPIES [--vector-cache DIR] ...

With `--build`, first writes COPIES copies (distinct ids) of the even-id Reuters
articles (bench/news_sets.py: 9,892 with a body, 19,211 passages) into a new
index at PATH, vectors embedded inline (from bench/vector_cache.py's cache when
given: only the build is faster, not the searches): 2 copies are Reuters 1x in
size, 20 copies 10x.  Then it opens an existing index (built with passage vectors: NEWSINDEX_SEMANTIC on and
the enricher done) through the `Index` facade, with the result cache off, and
runs the news sets' queries (bench/data/news/queries.tsv: 2-5 words, as a
journalist types them) as the API would (page 1, 10 results, facets on), each
query once per variant in turn, every round, each search as a new query's (the result cache
off, and no query vector kept: every hybrid search encodes its query):

    lexical     mode=lexical
    hybrid      mode=hybrid, the shipped NEWSINDEX_HYBRID_RERANK (vectors of the lexical top 300, and
                of the 1,000 passages nearest by their signs when the words meet in no article)
                and NEWSINDEX_HYBRID_FEEDBACK (the query vector moved toward its top 10, mixed again)
    no-feedback mode=hybrid with NEWSINDEX_HYBRID_FEEDBACK=0 (one pass of cosines)
    full-scan   mode=hybrid with NEWSINDEX_HYBRID_RERANK=0 (every passage's vector read)

Prints p50 / p95 a variant and its ratio to lexical (the issue's measure:
hybrid p95 <= 2x lexical), and how often the two hybrids' first pages differ.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import news_sets  # noqa: E402
from scale import percentile  # noqa: E402
from common import Index, Settings  # noqa: E402

from index import SearchRequest  # noqa: E402

VARIANTS = {
    "lexical": ({}, {"mode": "lexical"}),
    "hybrid": ({}, {"mode": "hybrid"}),
    "no-feedback": ({"hybrid_feedback": 0}, {"mode": "hybrid"}),
    "full-scan": ({"hybrid_rerank": 0}, {"mode": "hybrid"}),
}


def build(path: Path, copies: int) -> None:
    """COPIES copies of the even-id news corpus into a new index at `path`, embedded before each write returns."""
    from index import InvalidArticle, article_from_record

    records = news_sets.even_articles(news_sets.REUTERS)
    settings = Settings(index_dir=path, entities=False, semantic=True, enrich="inline")
    started = time.perf_counter()
    with Index.open(path, create=True, settings=settings) as index:
        for copy in range(copies):
            batch = []
            for key, r in records.items():
                try:
                    batch.append(article_from_record({"id": f"{key}-{copy}", "title": r.get("title") or "",
                                                      "body": r["body"], "date": r.get("date")}, index.outlets))
                except InvalidArticle:
                    continue  # as the relevance sets skip it
            report = index.ingest(batch)
            print(f"copy {copy + 1}/{copies}: {report.summary()} ({time.perf_counter() - started:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built with passage vectors")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the queries (0 with --build: build only)")
    parser.add_argument("--build", type=int, metavar="COPIES", help="first build the index: copies of the news corpus")
    parser.add_argument("--vector-cache", type=Path, help="vectors kept by bench/vector_cache.py, for --build")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated variants to interleave (default: all; lexical is always one). "
                             "full-scan reads every passage's codes: between two other searches it leaves "
                             "their arrays and the model's weights colder than a served search would find them")
    args = parser.parse_args(argv)

    if args.build:
        if args.vector_cache:
            import vector_cache
            print(f"vector cache: {vector_cache.install(args.vector_cache)} vectors")
        build(args.index, args.build)
        if not args.rounds:
            return 0
    chosen = {"lexical", *(v.strip() for v in args.variants.split(",") if v.strip())}
    if unknown := chosen - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    variants = {name: value for name, value in VARIANTS.items() if name in chosen}
    queries = [q["text"] for q in news_sets.read_queries()]
    # Every search is a new one: no result cache, and the query's vector encoded each time (none kept).
    indexes = {name: Index.open(args.index, settings=Settings(index_dir=args.index, result_cache_size=0,
                                                              query_vectors_held=0, **settings))
               for name, (settings, _) in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in variants}
    differ, states = 0, set()
    for index in indexes.values():  # warm: arrays mapped, the model loaded, the catalog built
        index.search(SearchRequest(q="oil prices", mode="hybrid"))
    for round_number in range(args.rounds):
        for n, q in enumerate(queries):
            names = list(variants)
            names = names[(n + round_number) % len(names):] + names[:(n + round_number) % len(names)]
            pages = {}
            for name in names:
                request = SearchRequest(q=q, per_page=10, **variants[name][1])
                started = time.perf_counter()
                result = indexes[name].search(request)
                times[name].append(1000 * (time.perf_counter() - started))
                pages[name] = [hit.id for hit in result.hits]
                if name != "lexical":
                    states.add(result.semantic)
            if "hybrid" in pages and "full-scan" in pages:
                differ += round_number == 0 and pages["hybrid"] != pages["full-scan"]
    for index in indexes.values():
        index.close()

    lexical_p95 = percentile(times["lexical"], 95)
    figures = {"queries": len(queries), "rounds": args.rounds, "semantic": sorted(states),
               "first_pages_differ": differ}
    print(f"{len(queries)} queries x {args.rounds} rounds on {args.index} (semantic: {', '.join(sorted(states))})")
    for name, values in times.items():
        p50, p95 = statistics.median(values), percentile(values, 95)
        figures[name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "p95_vs_lexical": round(p95 / lexical_p95, 2)}
        print(f"{name:10} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   p95 / lexical {p95 / lexical_p95:.2f}x")
    if "hybrid" in variants and "full-scan" in variants:
        print(f"first pages that differ between hybrid and full-scan: {differ} of {len(queries)}")
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
