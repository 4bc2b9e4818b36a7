"""A bounded hostile-client run against a real gunicorn on 127.0.0.1.

    .venv/bin/python bench/attack.py                       # the seed articles, 20 s
    .venv/bin/python bench/attack.py --corpus ../shared/corpus/reuters21578.jsonl.gz --limit 5000 --seconds 30

Starts `newsindex serve` (config/gunicorn.conf.py, as `make run` does) over a
fresh index, then for `--seconds` runs at once, from several clients each:

    slowloris   --slowloris connections sending their headers a few bytes a second
    fuzzy       clients asking fuzzy storms (`government~2 president~2 ...`)
    oversize    bulk bodies over NEWSINDEX_MAX_BULK_BYTES, announced and chunked
    malformed   PUTs and bulk lines of deep nesting, huge integers, bad UTF-8, lone
                surrogates, JSON arrays, odd ids
    search      normal searches, one after another (their latency is the figure)
    healthz     a probe every 50 ms (its latency is the other figure)

and prints what each saw, then one JSON line: server errors (5xx and dropped
connections) per kind, /healthz p50/p99 and normal-search p50/p95 during the
attack.  The run is bounded: every socket has a timeout and the server is
stopped at the end whatever happens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402

SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
WORDS = ["government", "president", "ceasefire", "oil", "bank", "trade", "market", "minister", "Kalbajar", "Putin",
         "shares", "dollar", "talks", "prices", "company"]
FUZZY = ["government~2 president~2", "minister~2 market~2 trade~2 prices~2", "ceasefire~2", "compnay~2 dolar~2"]


class Run:
    """Everything the clients saw, shared between their threads."""

    def __init__(self, port: int, key: str, seconds: float):
        self.port, self.key = port, key
        self.until = time.monotonic() + seconds
        self.lock = threading.Lock()
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.latency: dict[str, list[float]] = defaultdict(list)

    @property
    def running(self) -> bool:
        return time.monotonic() < self.until

    def note(self, kind: str, status, seconds: float | None = None) -> None:
        with self.lock:
            self.statuses[kind][str(status)] += 1
            if seconds is not None:
                self.latency[kind].append(seconds)

    def request(self, kind: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 30.0) -> None:
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            response.read()
            self.note(kind, response.status, time.perf_counter() - started)
        except (OSError, http.client.HTTPException) as exc:
            self.note(kind, f"dropped:{type(exc).__name__}", time.perf_counter() - started)
        finally:
            conn.close()


def slowloris(run: Run, connections: int) -> None:
    """Keep `connections` sockets sending an endless header block, a few bytes at a time."""
    socks: list[socket.socket] = []
    opened = 0
    while run.running:
        while len(socks) < connections:
            try:
                sock = socket.create_connection(("127.0.0.1", run.port), timeout=5)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                socks.append(sock)
                opened += 1
            except OSError:
                run.note("slowloris", "connect-failed")
                time.sleep(0.1)
                break
        for sock in list(socks):
            try:
                sock.sendall(b"a")
            except OSError:
                socks.remove(sock)
                run.note("slowloris", "closed-by-server")
        time.sleep(1.0)
    run.note("slowloris", f"opened:{opened}")
    for sock in socks:
        sock.close()


def fuzzy(run: Run) -> None:
    while run.running:
        run.request("fuzzy", "GET", "/api/v1/search?q=" + random.choice(FUZZY).replace(" ", "+"), timeout=60)


def oversize(run: Run, limit: int) -> None:
    """Bodies over the limit: one announced by Content-Length, one chunked with no length."""
    auth = {"Authorization": f"Bearer {run.key}", "Content-Type": "application/x-ndjson"}
    line = (json.dumps({"body": "x " * 2000}) + "\n").encode()
    while run.running:
        run.request("oversize", "POST", "/api/v1/articles/bulk", body=line * (limit // len(line) + 2), headers=auth)
        chunks = iter([line * 512] * (limit // (len(line) * 512) + 2))
        run.request("oversize", "POST", "/api/v1/articles/bulk", body=chunks, headers=auth)  # sent chunked


MALFORMED = [
    b"[" * 100_000,
    b'{"body": ' + b"9" * 5000 + b"}",
    b'{"title": "\xff\xfe bad", "body": "x"}',
    b'{"title": "\\ud800", "body": "lone surrogate \\udc80"}',
    b'{"body": "x", "url": "javascript:alert(1)", "published": "9999-12-31"}',
    b'{"body": "\\u0000\\u0001 control", "byline": "\\u0001"}',
    b'[{"body": "an array"}]',
    b"\xef\xbb\xbf" + b'{"body": "after a BOM"}',
]


def malformed(run: Run) -> None:
    auth = {"Authorization": f"Bearer {run.key}"}
    n = 0
    while run.running:
        body = random.choice(MALFORMED)
        n += 1
        run.request("malformed", "PUT", f"/api/v1/articles/attack-{n % 50}", body=body,
                    headers={**auth, "Content-Type": "application/json"})
        run.request("malformed", "POST", "/api/v1/articles/bulk", body=b"\n".join(random.sample(MALFORMED, 4)),
                    headers={**auth, "Content-Type": "application/x-ndjson"})
        run.request("malformed", "GET", "/api/v1/articles/" + random.choice(["bulk", "a/../b", "%00", "x" * 300]))


def search(run: Run) -> None:
    while run.running:
        words = "+".join(random.sample(WORDS, random.choice([1, 2])))
        run.request("search", "GET", f"/api/v1/search?q={words}")


def healthz(run: Run) -> None:
    while run.running:
        run.request("healthz", "GET", "/healthz", timeout=30)
        time.sleep(0.05)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def build_index(folder: Path, corpus: Path | None, limit: int) -> None:
    from index import Index, read_articles
    settings = Settings(index_dir=folder, entities=False, semantic=False)
    with Index.open(folder, create=True, settings=settings) as index:
        if corpus is None:
            index.ingest(read_articles([SEEDS], index.outlets))
        else:
            from itertools import islice
            index.ingest(islice(read_articles([corpus], index.outlets), limit))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(server: subprocess.Popen, port: int, work: Path, timeout: float = 300) -> None:
    """Until every worker has booted: five /healthz answers in a row, each within 2 s."""
    deadline, quick = time.monotonic() + timeout, 0
    while quick < 5:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not start; see {work / 'gunicorn.log'}")
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
        except OSError:
            ok = False
            time.sleep(0.2)
        quick = quick + 1 if ok and time.perf_counter() - started < 2.0 else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="JSON Lines corpus (default: the seed articles)")
    parser.add_argument("--limit", type=int, default=5000, help="articles of --corpus to index")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slowloris", type=int, default=50)
    parser.add_argument("--fuzzy-clients", type=int, default=2)
    parser.add_argument("--oversize-clients", type=int, default=2)
    parser.add_argument("--malformed-clients", type=int, default=2)
    parser.add_argument("--search-clients", type=int, default=2)
    parser.add_argument("--max-bulk-bytes", type=int, default=1 << 20, help="the server's body limit for the run")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="newsindex-attack-"))
    index_dir = work / "index"
    build_index(index_dir, args.corpus, args.limit)
    port = free_port()
    env = dict(os.environ, NEWSINDEX_INDEX_DIR=str(index_dir), NEWSINDEX_KEYS_FILE=str(work / "keys.json"),
               NEWSINDEX_PORT=str(port), NEWSINDEX_HOST="127.0.0.1", NEWSINDEX_WORKERS=str(args.workers),
               NEWSINDEX_MAX_BULK_BYTES=str(args.max_bulk_bytes), NEWSINDEX_ENTITIES="0", NEWSINDEX_SEMANTIC="0")
    from service.auth import create_key
    key = create_key(work / "keys.json", "attack", "write")
    log = open(work / "gunicorn.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "service", "serve"], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        wait_until_ready(server, port, work)
        run = Run(port, key, args.seconds)
        threads = [threading.Thread(target=slowloris, args=(run, args.slowloris))]
        threads += [threading.Thread(target=fuzzy, args=(run,)) for _ in range(args.fuzzy_clients)]
        threads += [threading.Thread(target=oversize, args=(run, args.max_bulk_bytes)) for _ in range(args.oversize_clients)]
        threads += [threading.Thread(target=malformed, args=(run,)) for _ in range(args.malformed_clients)]
        threads += [threading.Thread(target=search, args=(run,)) for _ in range(args.search_clients)]
        threads += [threading.Thread(target=healthz, args=(run,))]
        for thread in threads:
            thread.daemon = True
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 90)
        alive = server.poll() is None
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()

    errors = {}
    for kind, statuses in sorted(run.statuses.items()):
        print(f"{kind:10} {dict(statuses)}")
        bad = sum(n for status, n in statuses.items() if status.startswith("5") or status.startswith("dropped"))
        if kind == "oversize":  # a 413 may reach a client that is still sending as a reset: not a server error
            bad = sum(n for status, n in statuses.items() if status.startswith("5"))
        errors[kind] = bad
    summary = {
        "seconds": args.seconds, "workers": args.workers, "slowloris": args.slowloris,
        "server_alive": alive, "server_errors": errors, "total_server_errors": sum(errors.values()),
        "healthz_requests": len(run.latency["healthz"]),
        "healthz_p50_ms": percentile(run.latency["healthz"], 0.50),
        "healthz_p99_ms": percentile(run.latency["healthz"], 0.99),
        "search_requests": len(run.latency["search"]),
        "search_p50_ms": percentile(run.latency["search"], 0.50),
        "search_p95_ms": percentile(run.latency["search"], 0.95),
        "fuzzy_p50_ms": percentile(run.latency["fuzzy"], 0.50),
        "articles": args.limit if args.corpus else 5,
    }
    if summary["total_server_errors"] or not alive:
        summary["server_log"] = str(work / "gunicorn.log")  # kept, to see what went wrong
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(summary))
    return 0 if summary["total_server_errors"] == 0 and alive else 1


if __name__ == "__main__":
    sys.exit(main())
