#!/usr/bin/env python
"""Throughput, load time and memory of index/text/embeddings.py on Reuters passages.

The sample is newsindex's own passages (index.passages.split_passages, 60-120 words)
of the first even-id Reuters articles, each as "title. passage", the text an engine
would embed.  Every (batch size, threads) pair encodes the same sample after one
warm-up batch; the model's load time and memory are taken in a fresh process.

    python bench/embeddings.py [--reuters PATH] [--passages 512] [--batch-sizes 1 8 32 64] [--threads 1 2] [--json]

Reported: passages/s and word pieces/s for each pair, load seconds, the process's
RSS before and after loading and its peak after encoding, and what the vectors of
a million passages take as float32 and as int8 (with one float32 scale each).
Then the news sets' queries (bench/data/news/queries.tsv) one at a time, as a search
encodes them: by the int8 layers (`encode_query`, what hybrid search uses) and by the
float32 ones, interleaved (each pushes the other's weights out of the cache, as a
search's own work does: alone, an int8 query takes about half), median and p95 ms, and
the int8 vectors' cosine to the float ones.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import news_sets  # noqa: E402
from scale import percentile  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

LOAD_PROBE = """
import json, time
def rss():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {k: int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM")}
before = rss()
started = time.perf_counter()
from index.text import embeddings
embeddings.encoder()
seconds = time.perf_counter() - started
loaded = rss()
embeddings.encode(["a passage of about a hundred words " * 14] * 64)
print(json.dumps({"load_seconds": seconds, "rss_before_mb": before["VmRSS"], "rss_loaded_mb": loaded["VmRSS"],
                  "peak_after_encoding_mb": rss()["VmHWM"]}))
"""


def sample(path: Path, count: int) -> list[str]:
    from index.ingest.passages import split_passages

    texts = []
    for record in news_sets.even_articles(path).values():
        texts += [f"{record['title']}. {p.text}" for p in split_passages(record["body"])]
        if len(texts) >= count:
            break
    return texts[:count]


def query_times(rounds: int) -> dict:
    """A query's vector as a search makes it (int8 layers) and by the float32 layers: ms, and how close."""
    from index.text import embeddings

    queries = [q["text"] for q in news_sets.read_queries()]
    encoders = {"int8": embeddings.encode_query, "float32": lambda text: embeddings.encode([text])[0]}
    times: dict[str, list[float]] = {name: [] for name in encoders}
    for name, encode in encoders.items():
        encode(queries[0])
    for _ in range(rounds):
        for text in queries:
            for name, encode in encoders.items():
                started = time.perf_counter()
                encode(text)
                times[name].append(1000 * (time.perf_counter() - started))
    cosines = [float(embeddings.encode_query(q) @ embeddings.encode([q])[0]) for q in queries]
    found = {name: {"p50_ms": round(statistics.median(t), 2), "p95_ms": round(percentile(t, 95), 2)}
             for name, t in times.items()}
    found["cosine_min"], found["cosine_median"] = round(min(cosines), 4), round(statistics.median(cosines), 4)
    for name in encoders:
        print(f"query by the {name:7} layers: p50 {found[name]['p50_ms']:.2f} ms, p95 {found[name]['p95_ms']:.2f} ms")
    print(f"int8 vs float32 query vectors: cosine min {found['cosine_min']}, median {found['cosine_median']} "
          f"({len(queries)} queries x {rounds})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuters", type=Path, default=news_sets.REUTERS)
    parser.add_argument("--passages", type=int, default=512)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the queries, timed one at a time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    probe = subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, cwd=ROOT, check=True)
    load = json.loads(probe.stdout.strip().splitlines()[-1])
    print(f"load {load['load_seconds']:.2f} s; RSS {load['rss_before_mb']:.0f} MB before, "
          f"{load['rss_loaded_mb']:.0f} MB loaded, peak {load['peak_after_encoding_mb']:.0f} MB after 64 passages")

    from index.text import embeddings

    texts = sample(args.reuters, args.passages)
    pieces = sum(len(ids) for ids in embeddings.encoder().token_ids(texts))
    print(f"{len(texts)} passages, {pieces / len(texts):.0f} word pieces a passage on average")
    embeddings.encode(texts[:32])
    rows = []
    for threads in args.threads:
        for batch_size in args.batch_sizes:
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            embeddings.encode(texts, batch_size=batch_size, threads=threads)
            seconds = time.perf_counter() - started
            rows.append({"threads": threads, "batch_size": batch_size, "seconds": round(seconds, 2),
                         "passages_per_s": round(len(texts) / seconds, 1),
                         "pieces_per_s": round(pieces / seconds), "loadavg": round(load_before, 1)})
            print(f"threads {threads} batch {batch_size:>3}: {len(texts) / seconds:6.1f} passages/s, "
                  f"{pieces / seconds:7.0f} word pieces/s ({seconds:.1f} s; load average {load_before:.1f})", flush=True)
    queries = query_times(args.rounds)
    best = max(rows, key=lambda r: r["passages_per_s"])
    million = {"float32_mb": 1_000_000 * embeddings.DIM * 4 / 1e6, "int8_mb": 1_000_000 * (embeddings.DIM + 4) / 1e6}
    print(f"best {best['passages_per_s']} passages/s (threads {best['threads']}, batch {best['batch_size']}): "
          f"Reuters' 42,868 passages in {42868 / best['passages_per_s'] / 60:.0f} min; "
          f"a million passages' vectors: {million['float32_mb']:.0f} MB float32, {million['int8_mb']:.0f} MB int8")
    if args.json:
        print(json.dumps({"load": load, "passages": len(texts), "pieces": pieces, "runs": rows, "million": million,
                          "queries": queries}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
