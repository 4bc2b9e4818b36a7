#!/usr/bin/env python
"""Offline study: BM25 (bm25s), sentence embeddings, their fusions, and RM3 feedback, on SciFact and the news sets.

Nothing here touches the engine: it measures what a ranking built from these
pieces would score, so the best settings can then be implemented in `index/`.

    python bench/fusion.py --embed [UNIT ...] [--cache DIR]   # embed corpora and queries once (slow)
    python bench/fusion.py --study [--runs RUNS.json] [--cache DIR] [--json]

Rankers, each to depth 100, scored with bench/relevance.py's nDCG@10 / Recall@100 / MRR@10:

- `bm25s`: relevance.py's baseline (Lucene BM25 k1 1.5 b 0.75, title + text, stop words, Porter).
- `newsindex`: the engine's own ranking (`Index.search`, top 100 with scores), read from
  `bench/relevance.py --runs FILE` when `--runs FILE` is given.
- `dense-U`: cosine of the query's all-MiniLM-L6-v2 vector with the documents' vectors, exact,
  over the whole corpus, for the embedded units U: `doc` (title + text, cut at 256 word
  pieces), `doc128` (the same cut at 128), `chunk` (the text past the first window of long
  documents, "title. " + 170 words every 150), `psg` (newsindex's passages as "title. passage");
  `a+b` scores a document by its best vector of both units (max-pool).
- `rrfK(L+D)`: reciprocal rank fusion of a lexical ranking L and a dense one D, sum of
  1 / (K + rank) over each one's top 1,000 (newsindex: its top 100).
- `mixA(L+D)`: A * L's score min-max normalised over its top 1,000 + (1 - A) * the dense cosine
  min-max normalised over its top 1,000, a document missing from a list taking that list's 0.
- `rm3-D-T-W`: RM3 over bm25s: the top D documents' term distributions (tf / length) weighted by
  each one's share of their bm25s scores, the T heaviest terms (stemmed, no stop words; query
  terms may be among them), normalised, given weight W against the original query's 1 - W;
  every document rescored by bm25s with those term weights.  The best RM3 setting on each set
  (`rm3*`) is fused with the dense rankings like bm25s.

`--embed` writes `{scifact,reuters}-UNIT.npy` (float32, one row per text), the row-to-document
ids, and the query vectors into the cache; `--study` reads them back and prints one table
(sorted by the mean over the sets of nDCG@10 / bm25s' nDCG@10) and, with `--json`, every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import news_sets  # noqa: E402
from common import BeirSet, read_beir  # noqa: E402
from relevance import bm25s_index, evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / ".." / "shared"
DEPTH = 100
POOL = 1000  # candidates each ranking contributes to a fusion


def load_sets(scifact: Path, reuters: Path) -> dict[str, BeirSet]:
    """scifact, reuters-topics, reuters-people (the two news sets share one corpus)."""
    articles = news_sets.even_articles(reuters)
    return {"scifact": read_beir(scifact), "reuters-topics": news_sets.load("topics", articles),
            "reuters-people": news_sets.load("people", articles)}


def corpus_key(name: str) -> str:
    return "reuters" if name.startswith("reuters") else name


CHUNK_WORDS = 150  # words a continuation chunk moves on by (a 256-piece window holds about 180)


def units(beir: BeirSet, unit: str) -> tuple[list[str], list[str]]:
    """(texts, document id of each text) of one unit over a corpus.

    doc: title + text, which the encoder cuts at 256 word pieces; chunk: for documents
    longer than that, the text past the first window, as "title. " + 170 words every 150
    (with `doc`, every word is seen); psg: newsindex's passages, each as "title. passage".
    """
    from index.ingest.passages import split_passages
    from index.text import embeddings

    ids = list(beir.corpus)
    full = [f"{beir.corpus[i]['title']} {beir.corpus[i]['text']}".strip() for i in ids]
    if unit == "doc":
        return full, ids
    texts, owners = [], []
    if unit == "chunk":
        lengths = [len(t) for t in embeddings.encoder().token_ids(full)]
        for i, length in zip(ids, lengths):
            if length < embeddings.MAX_TOKENS:
                continue
            doc = beir.corpus[i]
            words = doc["text"].split()
            for start in range(CHUNK_WORDS, len(words), CHUNK_WORDS):
                texts.append(f"{doc['title']}. {' '.join(words[start:start + CHUNK_WORDS + 20])}")
                owners.append(i)
        return texts, owners
    for i in ids:
        doc = beir.corpus[i]
        for passage in split_passages(doc["text"] or doc["title"]):
            texts.append(f"{doc['title']}. {passage.text}" if doc["title"] else passage.text)
            owners.append(i)
    return texts, owners


def embed(sets: dict[str, BeirSet], cache: Path, threads: int, batch_size: int, only: list[str]) -> None:
    from index.text import embeddings

    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embeddings.encoder()
    print(f"model loaded in {time.perf_counter() - started:.2f} s", flush=True)
    for name, beir in sets.items():
        qfile = cache / f"{name}-queries.npy"
        if not qfile.exists():
            qids = list(beir.queries)
            np.save(qfile, embeddings.encode([beir.queries[q] for q in qids], batch_size=batch_size, threads=threads))
            (cache / f"{name}-queries.ids.json").write_text(json.dumps(qids))
    done = set()
    for job in only:  # "scifact-doc", "reuters-psg", ...
        corpus, unit = job.rsplit("-", 1)
        name = next(n for n in sets if corpus_key(n) == corpus)
        cap = int(unit[3:]) if unit.startswith("doc") and unit[3:].isdigit() else embeddings.MAX_TOKENS
        out = cache / f"{job}.npy"
        if out.exists() or job in done:
            print(f"{job}: cached", flush=True)
            continue
        texts, ids = units(sets[name], "doc" if unit.startswith("doc") else unit)
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        started, step = time.perf_counter(), 512
        for start in range(0, len(texts), step):
            vectors[start:start + step] = embeddings.encode(texts[start:start + step], batch_size=batch_size,
                                                            threads=threads, max_tokens=cap)
            seconds = time.perf_counter() - started
            print(f"{job}: {min(start + step, len(texts))}/{len(texts)} texts, {seconds:.0f} s, "
                  f"{min(start + step, len(texts)) / seconds:.1f} texts/s", flush=True)
        np.save(out, vectors)
        (cache / f"{job}.ids.json").write_text(json.dumps(ids))
        done.add(job)

# --- the study -------------------------------------------------------------------------------

def top(scores: np.ndarray, k: int, positive: bool = False) -> np.ndarray:
    """Indices of the k highest scores, best first; with `positive`, only scores above 0 (BM25's matches)."""
    k = min(k, len(scores))
    chosen = np.argpartition(-scores, k - 1)[:k]
    chosen = chosen[np.argsort(-scores[chosen], kind="stable")]
    return chosen[scores[chosen] > 0] if positive else chosen


class Lexical:
    """bm25s over title + text (relevance.py's baseline), full score vectors, and RM3 on top of it."""

    def __init__(self, beir: BeirSet):
        self.ids, self.retriever, tokens, self.porter = bm25s_index(beir)
        self.doc_tokens = tokens.ids
        self.words = {i: w for w, i in tokens.vocab.items()}
        self.vocab = tokens.vocab
        self._term_cache: dict[str, np.ndarray] = {}

    def query_terms(self, text: str) -> list[str]:
        import bm25s

        words = bm25s.tokenize([text], stopwords="en", stemmer=self.porter, return_ids=False, show_progress=False)[0]
        return [w for w in words if w in self.vocab]

    def term_scores(self, term: str) -> np.ndarray:
        if term not in self._term_cache:
            self._term_cache[term] = self.retriever.get_scores([term]).astype(np.float64)
        return self._term_cache[term]

    def scores(self, weights: dict[str, float]) -> np.ndarray:
        total = np.zeros(len(self.ids))
        for term, weight in weights.items():
            total += weight * self.term_scores(term)
        return total

    def feedback(self, first: np.ndarray, docs: int) -> dict[str, float]:
        """RM3's relevance model: sum over the top documents of p(w|D) * the document's share of their scores."""
        best = top(first, docs, positive=True)
        if not len(best):
            return {}
        shares = first[best] / first[best].sum()
        model: dict[str, float] = {}
        for share, doc in zip(shares, best):
            tokens = self.doc_tokens[doc]
            if not tokens:
                continue
            for token in tokens:
                word = self.words[token]
                model[word] = model.get(word, 0.0) + share / len(tokens)
        return model

    def rm3(self, text: str, docs: int, terms: int, weight: float) -> np.ndarray:
        query = self.query_terms(text)
        if not query:
            return np.zeros(len(self.ids))
        original = {}
        for word in query:
            original[word] = original.get(word, 0.0) + 1.0 / len(query)
        first = self.scores(original)
        model = self.feedback(first, docs)
        chosen = sorted(model.items(), key=lambda kv: -kv[1])[:terms]
        norm = sum(v for _, v in chosen) or 1.0
        mixed = {w: (1 - weight) * v for w, v in original.items()}
        for word, value in chosen:
            mixed[word] = mixed.get(word, 0.0) + weight * value / norm
        return self.scores(mixed)


def dense_scores(cache: Path, name: str, unit: str, doc_ids: list[str]) -> np.ndarray | None:
    """(queries, documents) cosine matrix of a set for one unit (doc, psg, or max of both); None if not embedded."""
    if "+" in unit:  # a document's best over several units
        parts = [dense_scores(cache, name, u, doc_ids) for u in unit.split("+")]
        return None if any(p is None for p in parts) else np.maximum.reduce(parts)
    path = cache / f"{corpus_key(name)}-{unit}.npy"
    if not path.exists():
        return None
    vectors = np.load(path)
    rows = json.loads((cache / f"{corpus_key(name)}-{unit}.ids.json").read_text())
    queries = np.load(cache / f"{name}-queries.npy")
    position = {d: i for i, d in enumerate(doc_ids)}
    row_docs = np.array([position.get(d, -1) for d in rows])
    keep = row_docs >= 0
    sims = queries @ vectors[keep].T
    out = np.full((len(queries), len(doc_ids)), -1.0, dtype=np.float32)
    for q in range(len(queries)):  # max over each document's rows
        np.maximum.at(out[q], row_docs[keep], sims[q])
    return out


def minmax(scores: np.ndarray, pool: np.ndarray) -> dict[int, float]:
    values = scores[pool]
    if not len(values):
        return {}
    low, high = float(values.min()), float(values.max())
    span = high - low or 1.0
    return {int(d): (float(v) - low) / span for d, v in zip(pool, values)}


def rrf(lists: list[list[int]], k: int) -> list[int]:
    fused: dict[int, float] = {}
    for ranked in lists:
        for rank, doc in enumerate(ranked):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (k + rank + 1)
    return sorted(fused, key=lambda d: -fused[d])[:DEPTH]


def mix(a_scores: dict[int, float], b_scores: dict[int, float], a: float) -> list[int]:
    fused = {d: a * a_scores.get(d, 0.0) + (1 - a) * b_scores.get(d, 0.0) for d in a_scores.keys() | b_scores.keys()}
    return sorted(fused, key=lambda d: -fused[d])[:DEPTH]


DENSE_UNITS = ("doc", "doc128", "doc+chunk", "doc128+chunk", "psg", "doc+psg")
RM3_GRID = [(10, t, w) for t in (10, 15, 20) for w in (0.3, 0.5, 0.7)]
MIX_GRID = [round(0.1 * i, 1) for i in range(1, 10)]


def study_set(name: str, beir: BeirSet, cache: Path, newsindex: dict | None) -> dict[str, dict]:
    """Every ranker and fusion on one set: name -> evaluate()'s figures."""
    lexical = Lexical(beir)
    ids = lexical.ids
    qids = json.loads((cache / f"{name}-queries.ids.json").read_text())
    figures: dict[str, dict] = {}
    as_ids = lambda runs: {q: [ids[d] for d in ranked] for q, ranked in runs.items()}  # noqa: E731

    bm25 = {q: lexical.scores(Counter(lexical.query_terms(beir.queries[q]))) for q in qids}  # a repeated word counts twice
    bm25_top = {q: top(s, POOL, positive=True) for q, s in bm25.items()}
    figures["bm25s"] = evaluate(as_ids({q: list(t[:DEPTH]) for q, t in bm25_top.items()}), beir.qrels)

    rm3_top, rm3_scores = {}, {}
    for docs, terms, weight in RM3_GRID:
        label = f"rm3-{docs}-{terms}-{weight}"
        runs, scores = {}, {}
        for q in qids:
            scores[q] = lexical.rm3(beir.queries[q], docs, terms, weight)
            runs[q] = top(scores[q], POOL, positive=True)
        rm3_top[label], rm3_scores[label] = runs, scores
        figures[label] = evaluate(as_ids({q: list(t[:DEPTH]) for q, t in runs.items()}), beir.qrels)
    best_rm3 = max(rm3_top, key=lambda k: figures[k]["ndcg@10"])
    figures["rm3*"] = {**figures[best_rm3], "setting": best_rm3}

    lexical_lists = {"bm25s": (bm25_top, {q: minmax(bm25[q], bm25_top[q]) for q in qids})}
    lexical_lists["rm3*"] = (rm3_top[best_rm3], {q: minmax(rm3_scores[best_rm3][q], rm3_top[best_rm3][q]) for q in qids})
    del rm3_scores
    if newsindex:
        position = {d: i for i, d in enumerate(ids)}
        ni_top, ni_norm = {}, {}
        for q in qids:
            pairs = [(position[d], s) for d, s in newsindex.get(q, []) if d in position]
            ni_top[q] = np.array([d for d, _ in pairs], dtype=int)
            values = np.array([s for _, s in pairs], dtype=float)
            if len(values):
                span = (values.max() - values.min()) or 1.0
                ni_norm[q] = {d: (s - values.min()) / span for d, s in pairs}
            else:
                ni_norm[q] = {}
        figures["newsindex"] = evaluate(as_ids({q: list(t[:DEPTH]) for q, t in ni_top.items()}), beir.qrels)
        lexical_lists["newsindex"] = (ni_top, ni_norm)

    for unit in DENSE_UNITS:
        dense = dense_scores(cache, name, unit, ids)
        if dense is None:
            continue
        label = f"dense-{unit}"
        dense_top = {q: top(dense[i], POOL) for i, q in enumerate(qids)}
        figures[label] = evaluate(as_ids({q: list(t[:DEPTH]) for q, t in dense_top.items()}), beir.qrels)
        dense_norm = {q: minmax(dense[i], dense_top[q]) for i, q in enumerate(qids)}
        for lex, (lex_top, lex_norm) in lexical_lists.items():
            for k in (20, 60):
                runs = {q: rrf([list(lex_top[q]), list(dense_top[q])], k) for q in qids}
                figures[f"rrf{k}({lex}+{label})"] = evaluate(as_ids(runs), beir.qrels)
            if lex_norm is None:
                continue
            for a in MIX_GRID:
                runs = {q: mix(lex_norm[q], dense_norm[q], a) for q in qids}
                figures[f"mix{a}({lex}+{label})"] = evaluate(as_ids(runs), beir.qrels)
    return figures


def targets(results: dict[str, dict], ranker: str) -> str:
    """The engine's targets: SciFact nDCG@10 >= 0.72; news nDCG@10 >= 1.10x bm25s with Recall@100 >= bm25s'."""
    missed = []
    for name, figures in results.items():
        ours, base = figures[ranker], figures["bm25s"]
        if name == "scifact":
            if ours["ndcg@10"] < 0.72:
                missed.append(name)
        elif ours["ndcg@10"] < 1.10 * base["ndcg@10"] or ours["recall@100"] < base["recall@100"]:
            missed.append(name)
    return "all met" if not missed else "missed: " + ", ".join(missed)


def study(sets: dict[str, BeirSet], cache: Path, as_json: bool, runs_file: Path | None) -> dict[str, dict]:
    newsindex = json.loads(runs_file.read_text()) if runs_file else {}
    results = {}
    for name, beir in sets.items():
        started = time.perf_counter()
        results[name] = study_set(name, beir, cache, newsindex.get(name))
        print(f"{name}: {len(beir.queries)} queries, {len(results[name])} rankers, "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    names = list(results)
    print("best RM3 setting: " + ", ".join(f"{n} {results[n]['rm3*']['setting']}" for n in names))
    rankers = [r for r in results[names[0]] if all(r in results[n] for n in names)]
    ratio = {r: sum(results[n][r]["ndcg@10"] / results[n]["bm25s"]["ndcg@10"] for n in names) / len(names)
             for r in rankers}
    plain = [r for r in rankers if not r.startswith(("rrf", "mix", "rm3-"))]
    fused = sorted((r for r in rankers if r not in plain), key=lambda r: -ratio[r])
    print("| ranker | " + " | ".join(f"{n} nDCG@10 | R@100" for n in names) + " | mean nDCG@10 / bm25s | targets |")
    print("| --- |" + " ---: | ---: |" * len(names) + " ---: | --- |")
    for ranker in plain + fused[:30]:
        cells = " | ".join(f"{results[n][ranker]['ndcg@10']:.4f} | {results[n][ranker]['recall@100']:.4f}"
                           for n in names)
        print(f"| {ranker} | {cells} | {ratio[ranker]:.3f} | {targets(results, ranker)} |")
    if as_json:
        print(json.dumps(results))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scifact", type=Path, default=SHARED / "eval" / "scifact")
    parser.add_argument("--reuters", type=Path, default=SHARED / "corpus" / "reuters21578.jsonl.gz")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/newsindex-fusion-cache"))
    parser.add_argument("--embed", nargs="*", metavar="CORPUS-UNIT",
                        help="units to embed, CORPUS-UNIT (default scifact-doc reuters-doc); UNIT doc, docN (cut at N), chunk, psg")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--study", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=Path, help="newsindex's rankings from bench/relevance.py --runs, to fuse too")
    args = parser.parse_args(argv)
    sets = load_sets(args.scifact, args.reuters)
    if args.embed is not None:
        embed(sets, args.cache, args.threads, args.batch_size,
              args.embed or ["scifact-doc", "reuters-doc"])
    if args.study:
        study(sets, args.cache, args.json, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
