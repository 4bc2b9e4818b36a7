"""Query latency of the search function at one point of the scale curve.

    .venv/bin/python bench/query_scale.py --index /tmp/ni-10x

Fixed, seeded single-word, two-word and phrase queries (the words of
bench/query.py) through `Index.search` with facets on and the result cache off,
on an index built by `bench/ingest.py --replicate N --index DIR`; prints the
index size and p50/p95 per kind (a cold pass, then the same queries warm),
the empty-query browse, the time to warm the index (as a worker does at start), and
the process's resident memory afterwards (all, and its own part without the mapped index).  No raw-Whoosh
side: at 10x its `groupedby` facets take seconds a query (see bench/query.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.query import PHRASES, WORDS  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index, SearchRequest  # noqa: E402
from bench.scale import private_mb, vm_rss_mb  # noqa: E402


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built by bench/ingest.py")
    parser.add_argument("--queries", type=int, default=20, help="queries per kind (default 20)")
    args = parser.parse_args(argv)
    index = Index.open(args.index, settings=Settings(index_dir=args.index, result_cache_size=0, entities=False, semantic=False))
    rng = random.Random(7)
    mixes = {"single": rng.sample(WORDS, min(args.queries, len(WORDS))),
             "two_words": [" ".join(rng.sample(WORDS, 2)) for _ in range(args.queries)],
             "phrase": [f'"{p}"' for p in PHRASES][:args.queries]}
    started = time.perf_counter()
    index.warm()  # what a gunicorn worker does as it starts: the catalog, lengths, dates, facet values
    out = {**index.stats(), "warm_s": round(time.perf_counter() - started, 1),
           "private_mb_warm": round(private_mb(), 1)}
    # Pass 1 meets each word's postings for the first time (read from disk, then cached);
    # pass 2 is a worker that has served these words before.
    for name in ("cold", "warm"):
        for kind, queries in mixes.items():
            times = []
            for q in queries:
                started = time.perf_counter()
                index.search(SearchRequest(q=q, feedback=False, mode="lexical"))
                times.append((time.perf_counter() - started) * 1000)
            out[kind if name == "warm" else f"{kind}_cold"] = percentiles(times)
    started = time.perf_counter()
    index.search(SearchRequest())
    out["browse_ms"] = round((time.perf_counter() - started) * 1000, 1)
    out["rss_mb"] = round(vm_rss_mb(), 1)
    out["private_mb"] = round(private_mb(), 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
