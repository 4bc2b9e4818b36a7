#!/usr/bin/env python
"""Score newsindex's entity extraction on a CoNLL-2003 file.

Runs the real extraction code (``index.ingest.ner.extract_mentions_from_tokens``: the
model, tokens, accent folding and gazetteer corrections ingest uses) over the
file's own tokens and prints entity-level precision / recall / F1 per type
(PER, ORG, LOC) and micro over the three, exact span match as in conlleval.
Gold MISC spans are ignored; predictions are only ever PER/ORG/LOC.  A
document's sentences are read as one article's units, so the article-wide rule
(``surnames_across_article``) applies as in ingest; ``--sentences`` scores
each sentence alone, as this script did before 2026-11-30.

    python bench/entities.py --conll ../shared/eval/ner/conll2003-dev.txt [--json]

With ``--json`` the last output line is one JSON object:
``{"PER": {"precision", "recall", "f1"}, "ORG": ..., "LOC": ..., "micro": ...,
"words_per_second": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.ingest import ner  # noqa: E402
from index.ingest.ner import extract_mentions, extract_mentions_from_tokens, load_model  # noqa: E402

TYPES = ("PER", "ORG", "LOC")
TYPE_TO_TAG = {"person": "PER", "org": "ORG", "place": "LOC"}


def read_conll(path: Path) -> list[tuple[list[str], list[str]]]:
    """(tokens, IOB tags) per sentence; ``-DOCSTART-`` lines are skipped."""
    return read_conll_articles(path)[0]


def read_conll_articles(path: Path) -> tuple[list[tuple[list[str], list[str]]], list[int]]:
    """(tokens, IOB tags) per sentence, and how many sentences each document (``-DOCSTART-``) has."""
    sents: list[tuple[list[str], list[str]]] = []
    sizes: list[int] = []
    words: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        cols = line.split()
        if not cols:
            if words:
                sents.append((words, tags))
                sizes[-1:] = [sizes[-1] + 1] if sizes else [1]
            words, tags = [], []
        elif cols[0] == "-DOCSTART-":
            sizes.append(0)
        else:
            words.append(cols[0])
            tags.append(cols[-1])
    return sents, [n for n in sizes if n]


def read_documents(path: Path) -> list[str]:
    """The file's documents as plain text: tokens joined by spaces, one sentence a line."""
    docs: list[list[str]] = [[]]
    sent: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split()
        if cols and cols[0] == "-DOCSTART-":
            docs.append([])
        elif cols:
            sent.append(cols[0])
        elif sent:
            docs[-1].append(" ".join(sent))
            sent = []
    if sent:
        docs[-1].append(" ".join(sent))
    return ["\n".join(d) for d in docs if d]


def gold_spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """Chunks as conlleval reads them (IOB1 or IOB2); only PER/ORG/LOC kept."""
    spans = set()
    start, label = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, typ = tag.partition("-")
        begins = tag == "O" or prefix == "B" or typ != label
        if begins:
            if label is not None:
                spans.add((start, i, label))
            start, label = (None, None) if tag == "O" else (i, typ)
    return {s for s in spans if s[2] in TYPES}


def prf(tp: int, npred: int, ngold: int) -> dict[str, float]:
    p = tp / npred if npred else 0.0
    r = tp / ngold if ngold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def score(sents, preds) -> dict[str, dict[str, float]]:
    tp = dict.fromkeys(TYPES, 0)
    npred = dict.fromkeys(TYPES, 0)
    ngold = dict.fromkeys(TYPES, 0)
    for (_, tags), pred in zip(sents, preds):
        gold = gold_spans(tags)
        predicted = {(s, e, TYPE_TO_TAG[t]) for s, e, t in pred}
        for t in TYPES:
            g = {x for x in gold if x[2] == t}
            p = {x for x in predicted if x[2] == t}
            tp[t] += len(g & p)
            ngold[t] += len(g)
            npred[t] += len(p)
    res = {t: prf(tp[t], npred[t], ngold[t]) for t in TYPES}
    res["micro"] = prf(sum(tp.values()), sum(npred.values()), sum(ngold.values()))
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--conll", type=Path, required=True, help="CoNLL-2003 file (token ... NER columns)")
    ap.add_argument("--json", action="store_true", help="end with one JSON line")
    ap.add_argument("--n-process", type=int, default=0,
                    help="also time extract_mentions on raw text (the file's documents, tokens joined "
                         "by spaces) with this many processes; 0 = skip")
    ap.add_argument("--batch-size", type=int, default=32, help="texts per batch for --n-process")
    ap.add_argument("--no-gazetteer", action="store_true",
                    help="ablation: skip the gazetteer type corrections (not what ingest runs)")
    ap.add_argument("--sentences", action="store_true",
                    help="score every sentence on its own (before 2026-11-30 the only way); by default a "
                         "document's sentences are one article, as ingest reads an article's passages")
    ap.add_argument("--model", type=Path, default=None,
                    help="score this shipped-layout model folder (train.py --out DIR) instead of index/models/ner")
    args = ap.parse_args(argv)
    if args.model is not None:
        ner.MODEL_DIR = args.model.resolve()

    sents, sizes = read_conll_articles(args.conll)
    load_model()  # not timed
    if args.no_gazetteer:
        ner._GAZ = ner.Gazetteer()
    t0 = time.perf_counter()
    preds = extract_mentions_from_tokens([w for w, _ in sents], None if args.sentences else sizes)
    elapsed = time.perf_counter() - t0
    nwords = sum(len(w) for w, _ in sents)
    res = score(sents, preds)
    res["words_per_second"] = round(nwords / elapsed, 1)

    unit = "sentences on their own" if args.sentences else f"sentences in {len(sizes)} articles"
    print(f"{args.conll}: {len(sents)} {unit}, {nwords} words, {elapsed:.1f} s")
    print(f"{'type':6} {'prec':>7} {'recall':>7} {'F1':>7}")
    for t in (*TYPES, "micro"):
        r = res[t]
        print(f"{t:6} {r['precision']:7.4f} {r['recall']:7.4f} {r['f1']:7.4f}")
    print(f"words/s {res['words_per_second']:.0f} (token path, one process)")
    if args.n_process:
        docs = read_documents(args.conll)
        nw = sum(len(d.split()) for d in docs)
        extract_mentions(docs[:4])  # warm up
        t0 = time.perf_counter()
        extract_mentions(docs, n_process=args.n_process, batch_size=args.batch_size)
        wps = nw / (time.perf_counter() - t0)
        res["raw_text_words_per_second"] = round(wps, 1)
        res["n_process"] = args.n_process
        print(f"raw text: {len(docs)} documents, {nw} words, n_process={args.n_process}, "
              f"batch_size={args.batch_size}: {wps:.0f} words/s")
    if args.json:
        print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
