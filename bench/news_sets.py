#!/usr/bin/env python
"""News relevance sets from Reuters-21578's hand-assigned tags, over articles with an even id only.

Articles with an odd id are held out for independent checks: this module drops
them before looking at anything else, so their tags are never read.

    bench/data/news/queries.tsv      query-id, field, tag, style, text: written by hand, two a tag
    bench/data/news/judgements.tsv   field, tag, article-id: the even-id articles carrying each tag

The corpus is every even-id article that has a body (newsindex refuses an article
without one): 9,892 of Reuters' 21,578.  A query's relevant articles are those
carrying its tag.  Two sets, as `BeirSet`s that bench/relevance.py scores like SciFact:

    topics   56 `topics` tags with >= 10 articles, a plain name ("cocoa prices") and a
             question ("how is the cocoa harvest") each: 112 queries
    people   `people` and `orgs` tags with >= 5 articles (31 people, 12 organisations),
             a name ("Paul Volcker") and a name in context ("Volcker fed chairman") each: 86 queries

queries.tsv also holds queries for four tags that fell short of the minimum once
title-only briefs were left out (topics income, orange, stg; people icahn): unused.

    python bench/news_sets.py --write [--reuters PATH]   # rebuild judgements.tsv from the corpus
    python bench/news_sets.py                            # print the sizes of the sets

Untagged articles count as not relevant, and Reuters' tags are incomplete (an
article about cocoa may lack the tag), which lowers every system's figures alike.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BeirSet, read_jsonl  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "news"
QUERIES = DATA / "queries.tsv"
JUDGEMENTS = DATA / "judgements.tsv"
REUTERS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "reuters21578.jsonl.gz"
SETS = {"topics": ("topics",), "people": ("people", "orgs")}
MIN_ARTICLES = {"topics": 10, "people": 5, "orgs": 5}


def is_even(article_id) -> bool:
    return int(article_id) % 2 == 0


def even_articles(path: Path = REUTERS) -> dict[str, dict]:
    """Even-id Reuters articles that have a body: id -> the record (odd ids are skipped unread)."""
    articles = {}
    for record in read_jsonl(Path(path)):
        if is_even(record["id"]) and (record.get("body") or "").strip():
            articles[str(record["id"])] = record
    return articles


def read_queries() -> list[dict]:
    with QUERIES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_judgements() -> dict[tuple[str, str], set[str]]:
    """(field, tag) -> ids of the even-id articles carrying the tag."""
    judged: dict[tuple[str, str], set[str]] = {}
    with JUDGEMENTS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            judged.setdefault((row["field"], row["tag"]), set()).add(row["article-id"])
    return judged


def write_judgements(articles: dict[str, dict]) -> Counter:
    """judgements.tsv for every tag of queries.tsv that has enough articles; returns the counts."""
    wanted = {(q["field"], q["tag"]) for q in read_queries()}
    counts = Counter((field, tag) for record in articles.values() for field in MIN_ARTICLES
                     for tag in record.get(field) or () if (field, tag) in wanted)
    kept = sorted(key for key, n in counts.items() if n >= MIN_ARTICLES[key[0]])
    with JUDGEMENTS.open("w", encoding="utf-8", newline="") as handle:
        handle.write("field\ttag\tarticle-id\n")
        for field, tag in kept:
            for article_id in sorted((i for i, r in articles.items() if tag in (r.get(field) or ())), key=int):
                handle.write(f"{field}\t{tag}\t{article_id}\n")
    return counts


def load(name: str, articles: dict[str, dict]) -> BeirSet:
    """The `topics` or `people` set over `articles` (from `even_articles`), as a BeirSet."""
    fields = SETS[name]
    judged = read_judgements()
    corpus = {i: {"title": r.get("title") or "", "text": r["body"], "date": r.get("date")} for i, r in articles.items()}
    queries, qrels = {}, {}
    for query in read_queries():
        relevant = judged.get((query["field"], query["tag"]), set()) & corpus.keys()
        if query["field"] in fields and relevant:
            queries[query["query-id"]] = query["text"]
            qrels[query["query-id"]] = dict.fromkeys(sorted(relevant, key=int), 1)
    return BeirSet(name=f"reuters-{name}", corpus=corpus, queries=queries, qrels=qrels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuters", type=Path, default=REUTERS, help="reuters21578.jsonl.gz")
    parser.add_argument("--write", action="store_true", help="rebuild judgements.tsv from the corpus")
    args = parser.parse_args(argv)
    articles = even_articles(args.reuters)
    if args.write:
        counts = write_judgements(articles)
        short = sorted(f"{f}:{t} ({n})" for (f, t), n in counts.items() if n < MIN_ARTICLES[f])
        print(f"wrote {JUDGEMENTS}; tags below the minimum, left out: {', '.join(short) or 'none'}")
    for name in SETS:
        beir = load(name, articles)
        judged = [len(j) for j in beir.qrels.values()]
        print(f"{beir.name}: {len(beir.corpus)} articles, {len(beir.queries)} queries over {len(judged) // 2} tags, "
              f"relevant a query: median {sorted(judged)[len(judged) // 2]}, min {min(judged)}, max {max(judged)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
