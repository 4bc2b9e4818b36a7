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

    python bench/relevance.py --beir ../shared/eval/scifact [--json] [--index DIR] [--backend whoosh|opensearch|both]

A BEIR folder holds `corpus.jsonl` or `corpus.jsonl.gz` (`_id`, `title`, `text`),
`queries.jsonl` (`_id`, `text`) and a TSV of judgements with the header
`query-id corpus-id score` (`qrels-test.tsv`, `qrels.tsv` or `qrels/test.tsv`).
`--index DIR` keeps the index in DIR and reuses it on the next run (ingest costs
about a minute on SciFact).  With `--json` the last output line is one JSON object:
``{"ndcg@10", "recall@100", "mrr@10", "baseline": {...}, "queries", "seconds"}``.

`--backend opensearch` runs newsindex over the local OpenSearch cluster (`make
opensearch`; NEWSINDEX_OPENSEARCH_URL for another) instead of the embedded
Whoosh index; `--backend both` runs both in one run, and the JSON then has a
`backends` object with each one's figures.  With `--keep` the OpenSearch index
(bench-<corpus>-) is left for the next run to reuse.
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

from backends import bench_index  # noqa: E402
from common import BeirSet, Timer, read_beir  # noqa: E402

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


def run_backend(backend: str, beir: BeirSet, args) -> tuple[dict, float]:
    """Ingest (unless reused) and search through one backend: (figures, search seconds)."""
    with bench_index(backend, args.index if backend == "whoosh" else None, name=beir.name.lower(),
                     keep=args.keep, entities=False) as (index, reused):
        if reused:
            print(f"{backend}: reusing the index")
        else:
            with Timer() as ingest:
                report = index.ingest(articles(beir, index.outlets))
            print(f"{backend}: ingested {beir.name}: {report.summary()} ({ingest.seconds:.1f} s)")
        with Timer() as searching:
            figures = evaluate(run_newsindex(index, beir, args.match), beir.qrels)
    return figures, searching.seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", required=True, type=Path, help="a BEIR-format folder")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--index", type=Path, help="keep the Whoosh index here and reuse it when it exists")
    parser.add_argument("--match", default="auto", choices=MATCHES, help="match mode of every query (default auto)")
    parser.add_argument("--backend", default="whoosh", choices=("whoosh", "opensearch", "both"),
                        help="the backend newsindex runs on (both: one after the other, in one run)")
    parser.add_argument("--keep", action="store_true", help="leave the OpenSearch index for the next run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    beir = read_beir(args.beir)
    backends = ("whoosh", "opensearch") if args.backend == "both" else (args.backend,)
    results = {backend: run_backend(backend, beir, args) for backend in backends}
    with Timer() as baseline_time:
        base = evaluate(run_baseline(beir), beir.qrels)
    seconds = round(time.perf_counter() - started, 1)

    print(f"{beir.name}: {len(beir.corpus)} documents, {len(beir.queries)} queries with judgements")
    print(f"{'':12}" + "".join(f"{b:>12}{'ratio':>8}" for b in backends) + f"{'bm25s':>9}")
    for key in base:
        cells = "".join(f"{results[b][0][key]:>12.4f}{ratio(results[b][0], base)[key] or 0:>8.3f}" for b in backends)
        print(f"{key:12}{cells}{base[key]:>9.4f}")
    for backend, (_, search_seconds) in results.items():
        print(f"{backend}: search {search_seconds:.1f} s "
              f"({1000 * search_seconds / max(1, len(beir.queries)):.1f} ms a query)")
    print(f"baseline {baseline_time.seconds:.1f} s, total {seconds} s")
    if args.json:
        first = results[backends[0]][0]
        out = {**first, "baseline": base, "queries": len(beir.queries), "seconds": seconds}
        if len(backends) > 1:
            out["backends"] = {b: figures for b, (figures, _) in results.items()}
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
