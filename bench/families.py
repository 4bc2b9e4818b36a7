"""Story families on Reuters-21578 (even ids only: odd ids are held out): how many, how big, how right.

    .venv/bin/python bench/families.py [--corpus ../shared/corpus/reuters21578.jsonl.gz]
        [--threshold 0.5] [--sample 30] [--sample-out families-sample.txt] [--sweep]

Articles go through the real ingest path (`article_from_record`: reflow,
datelines) and then `assign_families` in batches of 2,000 with an in-memory
band-key lookup standing in for the index, as `Index.ingest` would run it.
It prints the number of families, the largest one, and how many articles
share a family; `--sample N` writes N random grouped pairs (an article and the
family member it is most like) to a file to be read and judged by hand.

Baseline in the same run: the exact Jaccard similarity of the shingle sets,
over every pair that shares at least one band key at a low LSH threshold
(64 bands of 2 rows: any pair at Jaccard >= 0.3 is found with probability >
0.99), is the reference; MinHash-LSH as used at ingest and a 64-bit SimHash
(Hamming distance <= k) are scored against it (precision/recall of pairs).
The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Timer, read_jsonl  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import InvalidArticle, article_from_record  # noqa: E402
from index.ingest import families  # noqa: E402
from index.ingest.outlets import load_outlets  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"
BATCH = 2000


def load(path: Path):
    outlets = load_outlets(Settings().outlets_file)
    articles = []
    for record in read_jsonl(path):
        if int(record["id"]) % 2:
            continue
        try:
            articles.append(article_from_record(record, outlets, origin=f"reuters:{record['id']}", source="Reuters"))
        except InvalidArticle:
            continue  # briefs: a headline and no body
    return articles


def run_ingest_path(articles, threshold: float, max_gap):
    """assign_families batch by batch, with a dict of band keys standing in for the index's keyword field."""
    index: dict[str, list[tuple]] = defaultdict(list)

    def lookup(keys):
        seen, found = set(), []
        for key in keys:
            for item in index.get(key, ()):
                if item[0] not in seen:
                    seen.add(item[0])
                    found.append(item)
        return found

    for start in range(0, len(articles), BATCH):
        batch = articles[start:start + BATCH]
        families.assign_families(batch, lookup, threshold, max_gap)
        for article in batch:
            for key in families.band_keys(article.signature):
                index[key].append((article.id, article.family, article.signature, article.published))


def exact_pairs(articles, shingle_sets, low_threshold: float = 0.3):
    """Every pair at exact Jaccard >= low_threshold, found through 64 bands of 2 rows (high recall)."""
    buckets = defaultdict(list)
    for i, article in enumerate(articles):
        sig = families.decode(article.signature)
        for band in range(64):
            buckets[(band, sig[band * 2:(band + 1) * 2].tobytes())].append(i)
    candidates = set()
    for members in buckets.values():
        if 1 < len(members) < 500:
            candidates.update(combinations(members, 2))
    pairs = {}
    for i, j in candidates:
        a, b = shingle_sets[i], shingle_sets[j]
        jac = len(a & b) / len(a | b) if a or b else 0.0
        if jac >= low_threshold:
            pairs[(i, j)] = jac
    return pairs


def simhash(shingle_set) -> int:
    weights = np.zeros(64)
    for shingle in shingle_set:
        h = int.from_bytes(hashlib.blake2b(shingle, digest_size=8).digest(), "little")
        bits = np.array([(h >> k) & 1 for k in range(64)])
        weights += 2 * bits - 1
    return int(sum(1 << k for k in range(64) if weights[k] > 0))


def score(found: set, truth: set) -> dict:
    tp = len(found & truth)
    return {"pairs": len(found), "precision": round(tp / len(found), 3) if found else None,
            "recall": round(tp / len(truth), 3) if truth else None}


def family_stats(articles) -> dict:
    sizes = Counter(a.family for a in articles)
    largest_id, largest = sizes.most_common(1)[0]
    titles = Counter(a.title for a in articles if a.family == largest_id).most_common(3)
    return {"articles": len(articles), "families": len(sizes), "largest": largest,
            "largest_titles": [t for t, _ in titles],
            "in_shared_family": sum(n for n in sizes.values() if n > 1),
            "families_of_2_plus": sum(1 for n in sizes.values() if n > 1)}


def grouped_pairs(articles, count: int, seed: int = 7):
    """`count` random (article, the earlier member of its family it is most like) pairs."""
    by_family = defaultdict(list)
    for article in articles:
        by_family[article.family].append(article)
    pairs = []
    for members in by_family.values():
        for later in members[1:]:
            earlier = max((m for m in members if m is not later and members.index(m) < members.index(later)),
                          key=lambda m: families.similarity(m.signature, later.signature))
            pairs.append((earlier, later))
    random.Random(seed).shuffle(pairs)
    return pairs[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--threshold", type=float, default=Settings().family_threshold)
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--sample-out", type=Path, default=Path("families-sample.txt"))
    parser.add_argument("--max-gap-hours", type=float, default=families.MAX_GAP.total_seconds() / 3600,
                        help="versions of a story are published within this many hours (0: no limit)")
    parser.add_argument("--sweep", action="store_true", help="also score thresholds 0.3-0.9 and SimHash distances")
    args = parser.parse_args()

    with Timer() as t_load:
        articles = load(args.corpus)
    with Timer() as t_assign:
        run_ingest_path(articles, args.threshold,
                        timedelta(hours=args.max_gap_hours) if args.max_gap_hours else None)
    stats = family_stats(articles)
    print(f"{stats['articles']} articles (even ids, with a body); load {t_load.seconds:.1f} s, "
          f"families {t_assign.seconds:.1f} s ({1000 * t_assign.seconds / len(articles):.2f} ms/article)")
    print(f"threshold {args.threshold}, max gap {args.max_gap_hours:g} h: {stats['families']} families, largest {stats['largest']} "
          f"({'; '.join(stats['largest_titles'])}), {stats['families_of_2_plus']} families of 2+ holding "
          f"{stats['in_shared_family']} articles")

    result = {"threshold": args.threshold, "max_gap_hours": args.max_gap_hours, **{k: v for k, v in stats.items() if k != "largest_titles"}}
    if args.sweep:
        shingle_sets = [families.shingles(families.article_text(a)) for a in articles]
        reference = exact_pairs(articles, shingle_sets)
        sims = [simhash(s) for s in shingle_sets]
        sweep = {}
        for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            truth = {p for p, j in reference.items() if j >= t}
            minhash_found = set()
            buckets = defaultdict(list)
            for i, article in enumerate(articles):
                for key in families.band_keys(article.signature):
                    buckets[key].append(i)
            for members in buckets.values():
                for i, j in combinations(members, 2):
                    if families.similarity(articles[i].signature, articles[j].signature) >= t:
                        minhash_found.add((i, j))
            sweep[t] = {"exact_pairs": len(truth), "minhash_lsh": score(minhash_found, truth)}
            for k in (3, 6, 10):
                found = {(i, j) for (i, j) in reference if bin(sims[i] ^ sims[j]).count("1") <= k}
                sweep[t][f"simhash_k{k}"] = score(found, truth)
            print(f"J>={t}: {json.dumps(sweep[t])}")
        result["sweep"] = sweep

    if args.sample:
        with args.sample_out.open("w", encoding="utf-8") as out:
            for n, (a, b) in enumerate(grouped_pairs(articles, args.sample), 1):
                out.write(f"=== pair {n}: {a.id} / {b.id}, estimated J {families.similarity(a.signature, b.signature):.2f}\n")
                for article in (a, b):
                    out.write(f"[{article.id}] {article.published} {article.title}\n{article.body[:600]}\n---\n")
        print(f"{args.sample} grouped pairs written to {args.sample_out} for judging by hand")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
