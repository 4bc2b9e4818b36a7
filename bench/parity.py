"""Dump search results for a fixed query mix through the facade, to compare two versions of the engine."""
import json, sys, time
from datetime import date
sys.path.insert(0, ".")
from index import Index, SearchRequest, read_articles
from config.settings import Settings
path, out = sys.argv[1], sys.argv[2]
s = Settings(index_dir=path, entities=False, result_cache_size=0)
WORDS = ["oil", "bank", "trade", "prices", "dollar", "wheat", "coffee", "gold", "shares", "profit", "tax", "strike"]
QUERIES = WORDS + ["oil prices", "central bank", "crude oil exports", '"interest rates"', '"money supply"', "opec oil output",
   "what did the central bank say about interest rates and the dollar after the trade figures",
   "wheat NOT soviet", "gold OR silver", "title:coffee", "kuwait", "japan trade surplus", '"tender offer" shares']
with Index.open(path, create=True, settings=s) as ix:
    if not ix.stats()["articles"]:
        t = time.time(); r = ix.ingest(read_articles(["../shared/corpus/reuters21578.jsonl.gz"], ix.outlets)); print(r.summary(), time.time()-t, file=sys.stderr)
    results = []
    times = []
    for q in QUERIES:
        for kw in ({}, {"match": "all"}, {"sort": "newest"}, {"date_from": date(1987, 3, 1), "date_to": date(1987, 3, 31)}, {"page": 2}):
            t = time.perf_counter()
            r = ix.search(SearchRequest(q=q, **kw))
            times.append(time.perf_counter() - t)
            results.append({"q": q, "kw": {k: str(v) for k, v in kw.items()}, "total": r.total,
                "hits": [(h.id, h.score, [(p.position, p.score, p.html) for p in h.passages], h.matched, h.title_html) for h in r.hits],
                "facets": {k: [(v.value, v.count) for v in vals] for k, vals in r.facets.items()}, "suggestion": r.suggestion})
    json.dump(results, open(out, "w"), indent=0, default=str)
    times.sort(); print("median ms", 1000*times[len(times)//2], "p95", 1000*times[int(len(times)*.95)], file=sys.stderr)
