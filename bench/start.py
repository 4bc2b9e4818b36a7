#!/usr/bin/env python
"""A large index served from cold: start to first answered search, the first minute against a warm
minute, the first search after each commit, worker memory and segment count (issue 15's targets).

    .venv/bin/python bench/start.py --index /work/scale/ni-27x --json

1. gunicorn (config/gunicorn.conf.py, result cache off) is started on the index; the
   clock runs from the spawn until a two-word search answers 200 (`start_s`).
2. First minute: one client sends distinct two-word searches (bench/query.py's words)
   back to back for 60 s; then a second minute of the same: p50/p95 of each and
   their ratio (target: first-minute p95 <= 2x warm p95).
3. After a commit: --commits times, a PUT of a small article (its own made-up word),
   then at once a two-word search; p95 of those searches against the warm minute's
   (target <= 2x), and each written word searched for (must be found).
   The articles are deleted again at the end, so the index is left as it was.
   Then the same rhythm without writes (1.5 s idle, a search): a search after an
   idle second costs more than one of a back-to-back minute on these machines
   (CPU caches and clocks: twice in one process, 10-30% over HTTP), so
   `after_commit_over_after_pause_p95` is what the commit itself adds.
4. Each worker's private memory (RssAnon: not the mapped index) after the warm
   minute, and the index's segments (`/metrics`).

Only 127.0.0.1 is contacted.  Prints one JSON object with --json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.query import WORDS, _spawn, _stop  # noqa: E402
from bench.scale import private_mb, segments_in, summarise  # noqa: E402
from bench.soak import word_for, worker_pids  # noqa: E402
from service import auth  # noqa: E402


def fetch(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
          timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def search_url(base: str, q: str) -> str:
    return f"{base}/api/v1/search?{urllib.parse.urlencode({'q': q})}"


def timed_searches(base: str, queries, seconds: float) -> list[float]:
    """Two-word searches back to back for `seconds`: their milliseconds (only answers with 200)."""
    times, deadline = [], time.monotonic() + seconds
    for q in queries:
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        status, _ = fetch(search_url(base, q))
        if status == 200:
            times.append((time.perf_counter() - started) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="an index built by bench/ingest.py")
    parser.add_argument("--commits", type=int, default=20, help="writes followed by a search (default 20)")
    parser.add_argument("--minute", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    rng = random.Random(11)
    queries = (" ".join(rng.sample(WORDS, 2)) for _ in range(10**6))
    with tempfile.TemporaryDirectory(prefix="newsindex-start-") as tmp:
        keys = Path(tmp) / "keys.json"
        key = auth.create_key(keys, "start-bench", "write")
        env = {"NEWSINDEX_INDEX_DIR": str(args.index), "NEWSINDEX_KEYS_FILE": str(keys),
               "NEWSINDEX_RESULT_CACHE_SIZE": "0", "NEWSINDEX_ENTITIES": "0", "NEWSINDEX_SEMANTIC": "0"}
        started = time.monotonic()
        proc, base = _spawn("service.serving:create_asgi_app()", env, ROOT)
        out: dict = {"index": str(args.index)}
        written: list[str] = []
        try:
            while True:
                if proc.poll() is not None or time.monotonic() - started > 300:
                    raise RuntimeError("the server did not answer a search within 300 s")
                try:
                    if fetch(search_url(base, next(queries)), timeout=60)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            out["start_s"] = round(time.monotonic() - started, 2)
            first = timed_searches(base, queries, args.minute)
            warm = timed_searches(base, queries, args.minute)
            out["first_minute"], out["warm_minute"] = summarise(first), summarise(warm)
            out["first_over_warm_p95"] = round(out["first_minute"]["p95_ms"] / out["warm_minute"]["p95_ms"], 2)
            out["worker_private_mb"] = [round(private_mb(pid), 1) for pid in worker_pids(proc.pid)]
            after, missing = [], 0
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            for n in range(args.commits):
                word = word_for(n) + "startbench"
                article_id = f"start-bench-{n}"
                body = json.dumps({"title": f"Start bench {n}", "body": f"It carries the word {word}."}).encode()
                status, _ = fetch(f"{base}/api/v1/articles/{article_id}", "PUT", body, headers)
                if status >= 300:
                    raise RuntimeError(f"the write was refused: {status}")
                written.append(article_id)
                after.extend(timed_searches(base, [next(queries)], 60))
                status, found = fetch(search_url(base, word))
                if status != 200 or [h["id"] for h in json.loads(found)["results"]] != [article_id]:
                    missing += 1
                time.sleep(1.5)  # the next write is a new commit, after this one's snapshot is read
            out["after_commit"] = summarise(after)
            out["after_commit_over_warm_p95"] = round(out["after_commit"]["p95_ms"] / out["warm_minute"]["p95_ms"], 2)
            paused = []
            for _ in range(args.commits):  # the same rhythm without the writes: what a pause alone costs
                time.sleep(1.5)
                paused.extend(timed_searches(base, [next(queries)], 60))
            out["after_pause"] = summarise(paused)
            out["after_commit_over_after_pause_p95"] = round(out["after_commit"]["p95_ms"] / out["after_pause"]["p95_ms"], 2)
            out["writes_not_found"] = missing
            health = json.loads(fetch(f"{base}/healthz")[1])
            out.update(articles=health.get("articles"), passages=health.get("passages"),
                       segments=segments_in(fetch(f"{base}/metrics")[1].decode()))
        finally:
            for article_id in written:
                fetch(f"{base}/api/v1/articles/{article_id}", "DELETE", headers={"Authorization": f"Bearer {key}"})
            _stop(proc)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
