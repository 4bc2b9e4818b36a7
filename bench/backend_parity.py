#!/usr/bin/env python
"""Do the two backends find the same articles?  One corpus into both, one query mix, every difference listed.

    python3 opensearch/cluster.py start
    .venv/bin/python bench/backend_parity.py --articles 3000 [--json]

The first N Reuters articles (entities off) go into a temporary Whoosh index
and an OpenSearch index; each query of the mix (words, phrases, quotes,
operators, field:value, prefixes, fuzzy terms, spelling variants, compounds;
each in auto, all, by date and with a date range) runs on both.  What must be
equal is compared: totals, `total_all_words`, stories, the set of ids on a
date-sorted page (no ties of scores there), the facets, `matched` of hits found
on both; for relevance order only the overlap of the first pages is reported
(scores legitimately differ).  Exit status 1 when anything that must be equal
is not.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.backends import opensearch_settings  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index, SearchRequest, read_articles  # noqa: E402

REUTERS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"
QUERIES = ["oil", "oil prices", '"interest rates"', '"interest rate"', "central bank", "crude oil exports",
           "wheat NOT soviet", "gold OR silver", "title:coffee", "source:reuters", "shar*", "pric*", "profi?",
           "dollr~", "kalbajar", "centre", "center", "ceasefire", "cease-fire", "U.S.", "US", "us", "the",
           '"the company said"', "opec oil output", "japan trade surplus", '"tender offer" shares',
           "what did the central bank say about interest rates and the dollar after the trade figures",
           "tonnes AND (wheat OR maize)", '"money supply" NOT japan', "labour", "labor", "takeover bid"]
MODES = [{}, {"match": "all"}, {"sort": "newest"}, {"sort": "oldest", "date_from": date(1987, 3, 1),
                                                      "date_to": date(1987, 3, 31)}]


def run(index: Index, q: str, kw: dict) -> dict:
    result = index.search(SearchRequest(q=q, per_page=20, **kw))
    return {"total": result.total, "all_words": result.total_all_words, "stories": result.stories,
            "ids": [h.id for h in result.hits], "matched": {h.id: h.matched for h in result.hits},
            "facets": {k: sorted((v.value, v.count) for v in vals) for k, vals in result.facets.items()
                       if k not in ("person", "org", "place")},
            "suggestion": result.suggestion}


def compare(a: dict, b: dict, ordered: bool) -> list[str]:
    problems = [f"{key}: {a[key]} != {b[key]}" for key in ("total", "all_words", "stories", "facets", "suggestion")
                if a[key] != b[key]]
    if ordered and a["ids"] != b["ids"]:
        problems.append(f"ids: {a['ids'][:5]}... != {b['ids'][:5]}...")
    for article_id in set(a["matched"]) & set(b["matched"]):
        if a["matched"][article_id] != b["matched"][article_id]:
            problems.append(f"matched of {article_id}: {a['matched'][article_id]} != {b['matched'][article_id]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        whoosh = Index.open(Path(tmp) / "index", create=True,
                            settings=Settings(index_dir=Path(tmp) / "index", entities=False, semantic=False,
                                              result_cache_size=0))
        # Words only on both: with passage vectors, what a search adds by meaning depends on how far the
        # background enricher has got when it runs (totals that changed from run to run).
        opensearch = Index.open(create=True, settings=opensearch_settings(
            f"parity{args.articles}", index_dir=Path(tmp) / "os", entities=False, semantic=False, result_cache_size=0))
        try:
            for index in (whoosh, opensearch):
                index.ingest(islice(read_articles([REUTERS], index.outlets), args.articles))
            problems, overlap, runs = {}, [], 0
            for q in QUERIES:
                for kw in MODES:
                    a, b = run(whoosh, q, kw), run(opensearch, q, kw)
                    runs += 1
                    found = compare(a, b, ordered="sort" in kw)
                    if found:
                        problems[f"{q} {kw}"] = found
                    if "sort" not in kw and a["ids"]:
                        overlap.append(len(set(a["ids"][:10]) & set(b["ids"][:10])) / min(10, len(a["ids"])))
        finally:
            whoosh.close()
            opensearch.backend.drop()
            opensearch.close()
    summary = {"articles": args.articles, "searches": runs, "differing": len(problems),
               "top10_overlap_by_relevance": round(sum(overlap) / max(1, len(overlap)), 3)}
    for name, found in problems.items():
        print(name, *found, sep="\n    ")
    print(json.dumps(summary) if args.json else json.dumps(summary, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
