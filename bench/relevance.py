#!/usr/bin/env python
"""Measure newsindex's ranking on a BEIR-format test collection, beside a plain BM25 baseline.

The corpus goes through the real ingest pipeline (`article_from_record` and
`Index.ingest`: passages and all; entities off, a setting, to save time) into a
temporary index, and every query runs through `Index.search`, the call the API
makes, with the API's default settings; results are articles, each on its own:
stories are not collapsed (bm25s ranks every article, and the judgements count
each version of a story; the `collapsed` variant shows the API's default
grouping, where a hit stands for its versions).  In the same run a
plain baseline ranks the same documents: `bm25s` BM25 over title + text, with an
OR query (every document containing any word), tokenised with English stop
words and the Porter stemmer.  Both are scored with nDCG@10 (linear gain, as
pytrec_eval), Recall@100 and MRR@10 over the queries that have judgements.

    python bench/relevance.py --beir ../shared/eval/scifact [--json] [--index DIR]
    python bench/relevance.py --news all [--reuters PATH] [--beir ...]   # the Reuters news sets too
    python bench/relevance.py --beir ../shared/eval/scifact --backend both   # Whoosh and OpenSearch, one run

`--news topics|people|all` adds the news relevance sets of bench/news_sets.py
(hand-written queries judged by Reuters' own `topics`, `people` and `orgs` tags,
even-id articles only), scored the same way on one index of those articles.

A BEIR folder holds `corpus.jsonl` or `corpus.jsonl.gz` (`_id`, `title`, `text`),
`queries.jsonl` (`_id`, `text`) and a TSV of judgements with the header
`query-id corpus-id score` (`qrels-test.tsv`, `qrels.tsv` or `qrels/test.tsv`).
`--index DIR` keeps the index in DIR and reuses it on the next run (ingest costs
about a minute on SciFact; with `--news` and `--beir` both, DIR holds one index per
corpus, in `beir` and `news`); `--runs FILE` keeps newsindex's rankings, with scores, for
bench/fusion.py.  With `--json` the last output line is one JSON object:
``{"ndcg@10", "recall@100", "mrr@10", "baseline": {...}, "queries", "seconds"}`` for one
set, and ``{set name: that object, ...}`` when several are run.

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

import news_sets  # noqa: E402
from backends import bench_index  # noqa: E402
from common import BeirSet, Timer, read_beir  # noqa: E402

from index import Article, InvalidArticle, SearchRequest, Skipped, article_from_record  # noqa: E402
from index import MATCHES  # noqa: E402

DEPTH = 100  # results taken per query: Recall@100 needs a hundred
# Ranking variants a run can compare (--variants), each as SearchRequest fields; "default" is the API's defaults.
VARIANTS = {
    "default": {},
    "collapsed": {"collapse": True},
    "lexical": {"mode": "lexical", "feedback": False},
    "feedback": {"mode": "lexical", "feedback": True},
    "hybrid": {"mode": "hybrid", "feedback": False},
    "hybrid+feedback": {"mode": "hybrid", "feedback": True},
}


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
        if doc.get("date"):  # the news sets keep Reuters' dates, as `newsindex ingest` would
            record["date"] = doc["date"]
        try:
            yield article_from_record(record, outlets, origin=f"{beir.name}:{doc_id}")
        except InvalidArticle as exc:
            yield Skipped(f"{beir.name}:{doc_id}", str(exc))


def run_newsindex(index, beir: BeirSet, match: str = "auto", scores: dict | None = None,
                  variant: str = "default") -> dict[str, list[str]]:
    """Article ids ranked by `Index.search` for every query, as the API would rank them.

    With a `scores` dict, each query's [[id, score], ...] is kept in it as well.
    """
    runs = {}
    for qid, text in beir.queries.items():
        request = SearchRequest(q=text, per_page=DEPTH, facets=False, match=match,
                                **{"collapse": False, **VARIANTS[variant]})
        hits = index.search(request).hits
        runs[qid] = [hit.id for hit in hits]
        if scores is not None:
            scores[qid] = [[hit.id, hit.score] for hit in hits]
    return runs


def bm25s_index(beir: BeirSet):
    """The baseline's bm25s over title + text of every document: (ids, retriever, corpus tokens, stemmer)."""
    import bm25s
    from whoosh.lang.porter import stem

    def porter(words: list[str]) -> list[str]:  # bm25s stems the whole vocabulary in one call
        return [stem(w) for w in words]

    ids = list(beir.corpus)
    texts = [f"{beir.corpus[i]['title']} {beir.corpus[i]['text']}" for i in ids]
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=porter, show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return ids, retriever, tokens, porter


def run_baseline(beir: BeirSet) -> dict[str, list[str]]:
    """Plain BM25 (bm25s, Lucene variant, k1=1.5, b=0.75) over title + text of whole documents, OR query."""
    import bm25s

    ids, retriever, _, porter = bm25s_index(beir)
    qids = list(beir.queries)
    tokens = bm25s.tokenize([beir.queries[q] for q in qids], stopwords="en", stemmer=porter, show_progress=False)
    k = min(DEPTH, len(ids))
    docs, scores = retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
    return {q: [ids[d] for d, s in zip(docs[i], scores[i]) if s > 0] for i, q in enumerate(qids)}


def ratio(ours: dict[str, float], base: dict[str, float]) -> dict[str, float | None]:
    return {k: round(ours[k] / base[k], 3) if base[k] else None for k in ours}


def measure(sets: list[BeirSet], index_dir: Path | None, match: str, runs: dict | None = None,
            variants: tuple[str, ...] = ("default",), backend: str = "whoosh", keep: bool = False) -> dict[str, dict]:
    """Ingest the corpus the sets share once, then score newsindex (each variant) and the baseline on each set.

    The index is built with passage vectors when a variant is hybrid (embedded inline, before
    the search starts).  With a `runs` dict, newsindex's ranked [id, score] pairs (first variant)
    are kept in it, by set and query.  `backend` is the one newsindex runs on (an OpenSearch
    index is named after the first set).
    """
    figures = {}
    started = time.perf_counter()
    semantic = backend == "whoosh" and any(v.startswith("hybrid") or v == "default" for v in variants)
    where = index_dir if backend == "whoosh" else None
    with bench_index(backend, where, name=sets[0].name.lower(), keep=keep, entities=False, semantic=semantic,
                     enrich="inline") as (index, reused):
        if reused:
            print(f"reusing the index in {index_dir}")
        else:
            with Timer() as ingest:
                report = index.ingest(articles(sets[0], index.outlets))
            print(f"ingested {sets[0].name}: {report.summary()} ({ingest.seconds:.1f} s)")
        for beir in sets:
            figures[beir.name] = {}
            for n, variant in enumerate(variants):
                with Timer() as searching:
                    kept = runs.setdefault(beir.name, {}) if runs is not None and n == 0 else None
                    ours = evaluate(run_newsindex(index, beir, match, kept, variant), beir.qrels)
                figures[beir.name][variant] = {**ours, "ms_a_query": round(1000 * searching.seconds / max(1, len(beir.queries)), 1)}
    for beir in sets:
        with Timer() as baseline_time:
            base = evaluate(run_baseline(beir), beir.qrels)
        by_variant = figures[beir.name]
        first = by_variant[variants[0]]
        figures[beir.name] = {**{k: first[k] for k in ("ndcg@10", "recall@100", "mrr@10")}, "baseline": base,
                              "queries": len(beir.queries), "seconds": round(time.perf_counter() - started, 1)}
        if len(variants) > 1:
            figures[beir.name]["variants"] = by_variant
        print(f"{beir.name} ({backend}): {len(beir.corpus)} documents, {len(beir.queries)} queries with judgements")
        print(f"{'':12}" + "".join(f"{v:>17}{'ratio':>7}" for v in variants) + f"{'bm25s':>9}")
        for key in ("ndcg@10", "recall@100", "mrr@10"):
            cells = "".join(f"{by_variant[v][key]:>17.4f}{by_variant[v][key] / base[key] if base[key] else 0:>7.3f}"
                            for v in variants)
            print(f"{key:12}{cells}{base[key]:>9.4f}")
        print("ms a query  " + "".join(f"{by_variant[v]['ms_a_query']:>17.1f}{'':>7}" for v in variants)
              + f"   baseline {baseline_time.seconds:.1f} s, total {figures[beir.name]['seconds']} s")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, help="a BEIR-format folder")
    parser.add_argument("--news", choices=("topics", "people", "all"), help="the Reuters news sets (bench/news_sets.py)")
    parser.add_argument("--reuters", type=Path, default=news_sets.REUTERS, help="reuters21578.jsonl.gz, for --news")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of figures")
    parser.add_argument("--index", type=Path, help="keep the index here and reuse it when it exists")
    parser.add_argument("--match", default="auto", choices=MATCHES, help="match mode of every query (default auto)")
    parser.add_argument("--runs", type=Path, help="write newsindex's ranked ids and scores here (JSON), for bench/fusion.py")
    parser.add_argument("--variants", default="default", help=f"comma-separated ranking variants side by side "
                        f"({', '.join(VARIANTS)}; default: the API's defaults)")
    parser.add_argument("--vector-cache", type=Path, help="reuse sentence vectors kept by bench/vector_cache.py "
                        "(the model is deterministic; only ingest time changes)")
    parser.add_argument("--backend", default="whoosh", choices=("whoosh", "opensearch", "both"),
                        help="the backend newsindex runs on (both: one after the other, in one run)")
    parser.add_argument("--keep", action="store_true", help="leave the OpenSearch index for the next run")
    args = parser.parse_args(argv)
    if not args.beir and not args.news:
        parser.error("give --beir FOLDER, --news SET, or both")

    variants = tuple(v.strip() for v in args.variants.split(","))
    if unknown := [v for v in variants if v not in VARIANTS]:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    if args.vector_cache:
        import vector_cache
        print(f"vector cache: {vector_cache.install(args.vector_cache)} vectors")
    backends = ("whoosh", "opensearch") if args.backend == "both" else (args.backend,)
    by_backend = {}
    for backend in backends:
        figures, runs = {}, {}
        if args.beir:
            beir = read_beir(args.beir)
            where = args.index / "beir" if args.index and args.news else args.index
            figures.update(measure([beir], where, args.match, runs, variants, backend, args.keep))
        if args.news:
            articles_by_id = news_sets.even_articles(args.reuters)
            names = list(news_sets.SETS) if args.news == "all" else [args.news]
            where = args.index / "news" if args.index and args.beir else args.index
            figures.update(measure([news_sets.load(name, articles_by_id) for name in names], where, args.match, runs,
                                   variants, backend, args.keep))
        if args.runs and backend == backends[0]:
            args.runs.write_text(json.dumps(runs))
        by_backend[backend] = next(iter(figures.values())) if len(figures) == 1 else figures
    if args.json:
        out = dict(by_backend[backends[0]])
        if len(backends) > 1:
            out["backends"] = by_backend
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
