#!/usr/bin/env python
"""Measure newsindex's ranking on a BEIR-format test collection, beside a plain BM25 baseline.

The corpus goes through the real ingest pipeline (`article_from_record` and
`Index.ingest`: passages and all; entities off, a setting, to save time) into a
temporary index, and every query runs through `Index.search`, the call the API
makes, with the API's default settings; results are articles.  In the same run a
plain baseline ranks the same documents: `bm25s` BM25 over title + text, with an
OR query (every document containing any word), tokenised with English stop
words and the Porter stemmer.  Both are scored with nDCG@10 (linear gain, as
pytrec_eval), Recall@100 and MRR@10 over the queries that have judgements.

    python bench/relevance.py --beir ../shared/eval/scifact [--json] [--index DIR]

A BEIR folder holds `corpus.jsonl` or `corpus.jsonl.gz` (`_id`, `title`, `text`),
`queries.jsonl` (`_id`, `text`) and a TSV of judgements with the header
`query-id corpus-id score` (`qrels-test.tsv`, `qrels.tsv` or `qrels/test.tsv`).
`--index DIR` keeps the index in DIR and reuses it on the next run (ingest costs
about a minute on SciFact).  With `--json` the last output line is one JSON object:
``{"ndcg@10", "recall@100", "mrr@10", "baseline": {...}, "queries", "seconds"}``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BeirSet, Timer, read_beir, temporary_index  # noqa: E402

from index import Article, InvalidArticle, SearchRequest, Skipped, article_from_record  # noqa: E402
from index import MATCHES  # noqa: E402

DEPTH = 100  # results taken per query: Recall@100 needs a hundred


def ndcg_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gain (pytrec_eval's ndcg_cut, which BEIR reports)."""
    dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sum(grade / math.log2(rank + 2) for rank, grade in enumerate(sorted(judged.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], judged: dict[str, int], k: int = 100) -> float:
    relevant = {doc for doc, grade in judged.items() if grade > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr_at(ranked: list[str], judged: dict[str, int], k: int = 10) -> float:
    for rank, doc in enumerate(ranked[:k]):
        if judged.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


def evaluate(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, Recall@100 and MRR@10 over every judged query (a query with no run scores 0)."""
    n = len(qrels) or 1
    return {
        "ndcg@10": round(sum(ndcg_at(runs.get(q, []), j) for q, j in qrels.items()) / n, 4),
        "recall@100": round(sum(recall_at(runs.get(q, []), j) for q, j in qrels.items()) / n, 4),
        "mrr@10": round(sum(mrr_at(runs.get(q, []), j) for q, j in qrels.items()) / n, 4),
    }


def articles(beir: BeirSet, outlets) -> Iterator[Article | Skipped]:
    """The corpus as Articles, through the same record parser as JSON Lines ingest."""
    for doc_id, doc in beir.corpus.items():
        record = {"id": doc_id, "title": doc["title"], "body": doc["text"] or doc["title"]}
        try:
            yield article_from_record(record, outlets, origin=f"{beir.name}:{doc_id}")
        except InvalidArticle as exc:
            yield Skipped(f"{beir.name}:{doc_id}", str(exc))


def run_newsindex(index, beir: BeirSet, match: str = "auto") -> dict[str, list[str]]:
    """Article ids ranked by `Index.search` for every query, as the API would rank them."""
    runs = {}
    for qid, text in beir.queries.items():
        request = SearchRequest(q=text, per_page=DEPTH, facets=False, match=match)
        runs[qid] = [hit.id for hit in index.search(request).hits]
    return runs


def run_baseline(beir: BeirSet) -> dict[str, list[str]]:
    """Plain BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over title + text of whole documents, OR query."""
    import bm25s
    from whoosh.lang.porter import stem

    def porter(words: list[str]) -> list[str]:  # bm25s stems the whole vocabulary in one call
        return [stem(w) for w in words]

    ids = list(beir.corpus)
    texts = [f"{beir.corpus[i]['title']} {beir.corpus[i]['text']}" for i in ids]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=porter, show_progress=False), show_progress=False)
    qids = list(beir.queries)
    tokens = bm25s.tokenize([beir.queries[q] for q in qids], stopwords="en", stemmer=porter, show_progress=False)
    k = min(DEPTH, len(ids))
    docs, scores = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
    return {q: [ids[d] for d, s in zip(docs[i], scores[i]) if s > 0] for i, q in enumerate(qids)}


def ratio(ours: dict[str, float], base: dict[str, float]) -> dict[str, float | None]:
    return {k: round(ours[k] / base[k], 3) if base[k] else None for k in ours}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", required=True, type=Path, help="a BEIR-format folder")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--index", type=Path, help="keep the index here and reuse it when it exists")
    parser.add_argument("--match", default="auto", choices=MATCHES, help="match mode of every query (default auto)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    beir = read_beir(args.beir)
    with temporary_index(args.index, entities=False) as (index, reused):
        if reused:
            print(f"reusing the index in {args.index}")
        else:
            with Timer() as ingest:
                report = index.ingest(articles(beir, index.outlets))
            print(f"ingested {beir.name}: {report.summary()} ({ingest.seconds:.1f} s)")
        with Timer() as searching:
            ours = evaluate(run_newsindex(index, beir, args.match), beir.qrels)
    with Timer() as baseline_time:
        base = evaluate(run_baseline(beir), beir.qrels)
    seconds = round(time.perf_counter() - started, 1)

    print(f"{beir.name}: {len(beir.corpus)} documents, {len(beir.queries)} queries with judgements")
    print(f"{'':12}{'newsindex':>11}{'bm25s':>9}{'ratio':>8}")
    for key, value in ratio(ours, base).items():
        shown = f"{value:.3f}" if value is not None else "-"
        print(f"{key:12}{ours[key]:>11.4f}{base[key]:>9.4f}{shown:>8}")
    print(f"search {searching.seconds:.1f} s ({1000 * searching.seconds / max(1, len(beir.queries)):.1f} ms a query), "
          f"baseline {baseline_time.seconds:.1f} s, total {seconds} s")
    if args.json:
        print(json.dumps({**ours, "baseline": base, "queries": len(beir.queries), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
