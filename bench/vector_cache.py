#!/usr/bin/env python
"""Sentence vectors kept by text, so benchmarks that index the same passages again encode them once.

The engine embeds each passage as `embeddings.passage_text(title, passage)` in its
enrichment step (index/enrichment.py).  On this shared 2-core machine that costs
tens of minutes for Reuters, so the relevance and scale benchmarks, which build
their indexes afresh, may hand the enricher a cache: `install(folder)` wraps the
process-wide encoder so that a text already in the cache is not encoded again (the
model is deterministic: a cached vector is the vector the encoder would return).
Texts not in the cache are encoded as usual.  Timing figures never use a cache.

    python bench/vector_cache.py --fill [--reuters PATH] [--scifact DIR] [--cache DIR]

fills the cache with every passage of the even-id Reuters news sets, then SciFact,
then the odd-id Reuters articles (for the scale benchmark), in chunk files written
as it goes (so an interrupted run keeps what it did).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CACHE = Path("/tmp/newsindex-vectors")
CHUNK = 256


def key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


def load(folder: Path = CACHE) -> dict[bytes, np.ndarray]:
    """Every cached vector, by the sha1 of its text."""
    found: dict[bytes, np.ndarray] = {}
    for path in sorted(Path(folder).glob("chunk-*.npz")):
        with np.load(path) as data:
            for k, v in zip(data["keys"], data["vectors"]):
                found[bytes(k)] = v
    return found


def install(folder: Path = CACHE) -> int:
    """Wrap the process-wide encoder with the cache in `folder`; returns how many vectors it holds."""
    from index.text import embeddings

    cached = load(folder)
    encoder = embeddings.encoder()
    plain = encoder.encode

    def encode(texts, *args, **kwargs):
        texts = list(texts)
        out = np.zeros((len(texts), embeddings.DIM), dtype=np.float32)
        missing = [i for i, t in enumerate(texts) if key(t) not in cached]
        for i, text in enumerate(texts):
            found = cached.get(key(text))
            if found is not None:
                out[i] = found
        if missing:
            out[missing] = plain([texts[i] for i in missing], *args, **kwargs)
        return out

    encoder.encode = encode
    return len(cached)


def reuters_texts(path: Path, even: bool) -> list[str]:
    """"title. passage" of every Reuters article with a body and an even (or odd) id, as the engine cuts them."""
    import news_sets
    from common import read_jsonl

    from index import InvalidArticle, article_from_record
    from index.ingest.outlets import Outlets
    from index.ingest.passages import split_passages
    from index.text.embeddings import passage_text

    texts = []
    for record in read_jsonl(Path(path)):
        if news_sets.is_even(record["id"]) != even or not (record.get("body") or "").strip():
            continue
        try:
            article = article_from_record({"id": record["id"], "title": record.get("title") or "",
                                           "body": record["body"]}, Outlets(()))
        except InvalidArticle:
            continue
        texts.extend(passage_text(article.title, p.text) for p in split_passages(article.body))
    return texts


def scifact_texts(folder: Path) -> list[str]:
    from common import read_beir

    from index import InvalidArticle, article_from_record
    from index.ingest.outlets import Outlets
    from index.ingest.passages import split_passages
    from index.text.embeddings import passage_text

    beir = read_beir(folder)
    texts = []
    for doc_id, doc in beir.corpus.items():
        try:
            article = article_from_record({"id": doc_id, "title": doc["title"], "body": doc["text"] or doc["title"]},
                                          Outlets(()))
        except InvalidArticle:
            continue
        texts.extend(passage_text(article.title, p.text) for p in split_passages(article.body))
    return texts


def fill(texts: list[str], folder: Path, threads: int) -> None:
    from index.text import embeddings

    folder.mkdir(parents=True, exist_ok=True)
    have = set(load(folder))
    todo = list(dict.fromkeys(t for t in texts if key(t) not in have))
    print(f"{len(texts)} texts, {len(todo)} to encode", flush=True)
    started = time.perf_counter()
    number = len(list(folder.glob("chunk-*.npz")))
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        vectors = embeddings.encode(chunk, threads=threads)
        np.savez(folder / f"chunk-{number:05d}.npz", keys=np.asarray([key(t) for t in chunk], dtype="S20"),
                 vectors=vectors)
        number += 1
        done = start + len(chunk)
        seconds = time.perf_counter() - started
        print(f"{done}/{len(todo)} in {seconds:.0f} s ({done / seconds:.1f} texts/s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = Path(__file__).resolve().parents[1] / ".."
    parser.add_argument("--reuters", type=Path, default=root / "shared" / "corpus" / "reuters21578.jsonl.gz")
    parser.add_argument("--scifact", type=Path, default=root / "shared" / "eval" / "scifact")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fill", action="store_true")
    parser.add_argument("--only", choices=("news", "scifact", "odd"), nargs="*", default=["news", "scifact", "odd"])
    args = parser.parse_args(argv)
    if args.fill:
        for part in args.only:
            texts = (reuters_texts(args.reuters, True) if part == "news" else
                     scifact_texts(args.scifact) if part == "scifact" else reuters_texts(args.reuters, False))
            print(f"{part}:", end=" ")
            fill(texts, args.cache, args.threads)
    else:
        print(f"{len(load(args.cache))} vectors in {args.cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
