#!/usr/bin/env python
"""Offline study: would a lead signal (the headline and the body's first words) lift the engine's ranking?

News is written as an inverted pyramid: what an article is about is in its
headline and first sentences, and an article that only mentions a subject
further down is seldom about it.  The engine scores title and body (BM25F,
title x 3) and the passages' vectors, but nothing says where in the body a word
stands.  This study measures what such a signal could add before building it:
newsindex's own top 100 of every query (`bench/relevance.py --runs FILE`) is
re-ranked by

    score + beta x lead / (the query's largest lead score in its top 100)

where `lead` is a plain BM25 (bm25s, as relevance.py's baseline: stop words,
Porter) of the query over each document's title + first `words` words of its
body, scored over the whole corpus.  beta 0 is the engine as it is.

    python bench/relevance.py --news all --vector-cache DIR --index DIR --runs /tmp/runs-news.json
    python bench/relevance.py --beir ../shared/eval/scifact --vector-cache DIR --index DIR --runs /tmp/runs-sci.json
    python bench/lead_study.py --runs /tmp/runs-news.json /tmp/runs-sci.json [--json]

Only re-orders what the engine found (Recall@100 cannot change): an upper view
of what the signal is worth in the first ten, not an implementation.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import news_sets  # noqa: E402
from common import read_beir  # noqa: E402
from relevance import evaluate  # noqa: E402

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
WORDS = (20, 40, 80)
BETAS = (0.0, 0.1, 0.2, 0.3, 0.5)


def lead_scorer(corpus: dict[str, dict], words: int):
    """bm25s over each document's title + first `words` words of its text: (ids' positions, scorer, tokenise)."""
    import bm25s
    from whoosh.lang.porter import stem

    def porter(ws: list[str]) -> list[str]:
        return [stem(w) for w in ws]

    ids = list(corpus)
    leads = [f"{corpus[i]['title']} {' '.join(corpus[i]['text'].split()[:words])}" for i in ids]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(leads, stopwords="en", stemmer=porter, show_progress=False), show_progress=False)

    def tokens(text: str) -> list[str]:
        return bm25s.tokenize([text], stopwords="en", stemmer=porter, show_progress=False, return_ids=False)[0]
    return {d: n for n, d in enumerate(ids)}, retriever, tokens


def rerank(ranked: dict[str, list], queries: dict[str, str], lead, beta: float) -> dict[str, list[str]]:
    """Each query's top re-ordered by its score plus beta x its normalised lead score."""
    where, retriever, tokens = lead
    runs = {}
    for qid, top in ranked.items():
        docs = [doc for doc, _ in top]
        scores = np.array([score for _, score in top], dtype=float)
        query = tokens(queries[qid])
        if beta and query and docs:
            leads = retriever.get_scores(query)[[where[d] for d in docs]]
            if leads.max() > 0:
                scores = scores + beta * leads / leads.max()
        runs[qid] = [docs[i] for i in np.argsort(-scores, kind="stable")]
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=Path, nargs="+", required=True, help="files written by relevance.py --runs")
    parser.add_argument("--reuters", type=Path, default=news_sets.REUTERS)
    parser.add_argument("--scifact", type=Path, default=SHARED / "eval" / "scifact")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ranked = {}
    for path in args.runs:
        ranked.update(json.loads(path.read_text()))
    sets = {}
    if any(name.startswith("reuters-") for name in ranked):
        articles = news_sets.even_articles(args.reuters)
        sets.update({f"reuters-{n}": news_sets.load(n, articles) for n in ("topics", "people")})
    if "scifact" in ranked:
        sets["scifact"] = read_beir(args.scifact)
    figures: dict[str, dict] = {}
    for words in WORDS:
        leads = {}  # one scorer a corpus: the two news sets share theirs
        for name, beir in sets.items():
            if name not in ranked:
                continue
            corpus_key = "reuters" if name.startswith("reuters-") else name
            if corpus_key not in leads:
                leads[corpus_key] = lead_scorer(beir.corpus, words)
            for beta in BETAS:
                ndcg = evaluate(rerank(ranked[name], beir.queries, leads[corpus_key], beta), beir.qrels)["ndcg@10"]
                figures.setdefault(f"words {words}, beta {beta}", {})[name] = ndcg
    names = [n for n in sets if n in ranked]
    print(f"{'':24}" + "".join(f"{n:>18}" for n in names))
    for row, cells in figures.items():
        print(f"{row:24}" + "".join(f"{cells[n]:>18.4f}" for n in names))
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
