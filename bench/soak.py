"""Soak test: mixed searches and writes against a real gunicorn on 127.0.0.1 for a bounded time,
at about 80% of the peak of the same mix (writes included) measured just before; errors, p99
over time, worker memory through the soak, and a check that every acknowledged write is
searchable at the end.

The peak is the closed-loop rate over --peak-seconds (default 60): long enough to include
what writes set going (commits, background merges, each worker preparing new generations),
so 80% of it is a load the server can sustain.  Worker memory is sampled every 10 s; its
growth is the median of the last two minutes against the median of the first two (a
worker's memory rises and falls with each generation it prepares, so two single readings
say more about the moment than about a trend); the single readings are reported too.

    .venv/bin/python bench/soak.py --index /tmp/ni-1x              # 5 minutes (default)
    .venv/bin/python bench/soak.py --minutes 1 --json              # seeds copy, one minute
    .venv/bin/python bench/soak.py --index /tmp/ni-24x --settle 180  # a million passages: let workers warm first
    .venv/bin/python bench/soak.py --index /tmp/ni-24x --writes-per-second 1   # the issue's soak: a write a second

The index is copied first (the soak writes to the copy, never to the original; without
--index the five seed articles are used).  A write key is made in a temporary keys file.
One request in --write-every (default 20) is a `PUT /api/v1/articles/soak-N` whose body
carries a made-up word found nowhere else; at the end each acknowledged write must be
found by searching for its word.  Targets: 0 errors, worker memory growth under 10%.
Only 127.0.0.1 is contacted; everything stops at the deadline (requests time out at 10 s).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.query import _serve, _stop, _url, query_mix  # noqa: E402
from bench.scale import private_mb, segments_in, summarise, vm_rss_mb  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index  # noqa: E402
from service import auth  # noqa: E402
from service.worker import connections_held  # noqa: E402

SEEDS = ROOT.parent / "shared" / "corpus" / "seeds"
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def word_for(n: int) -> str:
    """A made-up, letters-only word per write (`soakq` + n in base 26): one term, found nowhere else."""
    digits = ""
    while True:
        n, r = divmod(n, 26)
        digits = LETTERS[r] + digits
        if n == 0:
            return "soakq" + digits


class Client:
    """A keep-alive HTTP connection to 127.0.0.1, reopened after an error."""

    def __init__(self, port: int):
        self.port = port
        self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise


def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


class Mix:
    """The soak's requests: request n is a write when n % write_every == write_every - 1, else a search."""

    def __init__(self, paths: list[tuple[str, str]], key: str, write_every: int, prefix: str = "soak"):
        self.paths, self.key, self.write_every, self.prefix = paths, key, write_every, prefix

    def send(self, client: Client, n: int) -> tuple[int | str, str, str | None]:
        """Send request n; (status or exception name, "write" or the search's kind, the write's word)."""
        if n % self.write_every != self.write_every - 1:
            kind, path = self.paths[n % len(self.paths)]
            try:
                return client.request("GET", path)[0], kind, None
            except Exception as exc:  # a refused or timed-out connection is an error to report
                return type(exc).__name__, kind, None
        word = word_for(n) + self.prefix.replace("-", "")
        body = json.dumps({"title": f"Soak article {n}",
                           "body": f"This soak test article carries the word {word}. It was written "
                                   f"while searches ran.", "source": "Soak"}).encode()
        try:
            status, _ = client.request("PUT", f"/api/v1/articles/{self.prefix}-{n}", body,
                                       {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        except Exception as exc:
            status = type(exc).__name__
        return status, "write", word


def closed_loop_peak(port: int, mix: Mix, seconds: float, threads: int = 8) -> tuple[float, list]:
    """Requests/s of the soak's own mix (writes included) with `threads` clients back to back.

    Requests are numbered from one counter the threads share, as in the soak, so what is
    sent is the mix in its order.  (With a count per thread, thread k sent requests k, k + 8,
    ...: with eight query kinds in turn, one kind each, and the threads of the cheap kinds
    made the "peak" nearly twice what the mix sustains.)
    Returns the rate the soak's target is taken from, and the writes acknowledged meanwhile.
    """
    done = [0]
    acked = []
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    numbers = itertools.count()

    def run() -> None:
        client = Client(port)
        while time.monotonic() < deadline:
            with lock:
                n = next(numbers)
            status, kind, word = mix.send(client, n)
            with lock:
                done[0] += 1
                if kind == "write" and isinstance(status, int) and status < 400:
                    acked.append((f"{mix.prefix}-{n}", word))
    pool = [threading.Thread(target=run) for _ in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done[0] / (time.monotonic() - started), acked


def soak(port: int, mix: Mix, rate: float, seconds: float, window: float, threads: int = 8) -> dict:
    """Open-loop load at `rate` requests/s for `seconds`; returns errors, windows and acknowledged writes."""
    started = time.monotonic()
    deadline = started + seconds
    interval = 1.0 / rate
    lock = threading.Lock()
    state = {"next": 0, "errors": [], "latencies": [], "acked": []}

    def run() -> None:
        client = Client(port)
        while True:
            with lock:
                n = state["next"]
                state["next"] += 1
            due = started + n * interval
            if due >= deadline or time.monotonic() >= deadline:  # bounded even when the server falls behind
                return
            time.sleep(max(0.0, due - time.monotonic()))
            begun = time.monotonic()
            status, kind, word = mix.send(client, n)
            elapsed = (time.monotonic() - begun) * 1000
            with lock:
                state["latencies"].append((begun - started, elapsed, kind))
                if not (isinstance(status, int) and status < 400):
                    state["errors"].append((n, status))
                elif kind == "write":
                    state["acked"].append((f"{mix.prefix}-{n}", word))

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    windows = []
    for w in range(int(seconds // window) + 1):
        ms = [lat for at, lat, _ in state["latencies"] if w * window <= at < (w + 1) * window]
        if ms:
            windows.append({"from_s": int(w * window), **summarise(ms)})
    by_kind: dict[str, list[float]] = {}
    for _, lat, kind in state["latencies"]:
        by_kind.setdefault(kind, []).append(lat)
    writes = by_kind.pop("write", [])
    return {"requests": len(state["latencies"]), "errors": state["errors"], "windows": windows,
            "acked": state["acked"], "seconds": round(time.monotonic() - started, 1),
            "searches": summarise([lat for kind in by_kind.values() for lat in kind]),
            "writes": summarise(writes), "by_kind": {kind: summarise(lats) for kind, lats in by_kind.items()}}


def stop_background(index_dir: Path) -> None:
    """End the copy's merger, enricher and catalog builder (they outlive gunicorn, in their own
    session), so the copy can be removed: they name the index folder on their command line."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(index_dir).encode() in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGTERM)
        except (OSError, ProcessLookupError):
            continue


def connection_split(port: int, workers: list[int]) -> list[int]:
    """Established connections to `port` each worker holds. Keep-alive ties a connection to the
    worker that accepted it, so the split decides how the load is shared: eight client
    connections were split 2/6 or 1/7 as often as 4/4 before service/worker.py."""
    held = connections_held(port, workers)
    return [held.get(pid, 0) for pid in workers]


def sample_memory(port: int, workers: list[int], samples: dict, segments: list, stop: threading.Event,
                  every: float, splits: list | None = None) -> None:
    """(seconds since start, private MB) of each worker, (seconds, segments in the index) and the
    connection split, every `every` seconds until `stop` is set."""
    started, client = time.monotonic(), Client(port)
    while True:
        at = time.monotonic() - started
        if splits is not None:
            splits.append(connection_split(port, workers))
        for pid in workers:
            try:
                samples[pid].append((at, private_mb(pid)))
            except OSError:  # the worker is gone: reported by workers_alive
                pass
        try:
            status, body = client.request("GET", "/metrics")
            found = segments_in(body.decode()) if status == 200 else None
            if found is not None:
                segments.append((round(at), found))
        except Exception:  # a busy server: the next sample
            client = Client(port)
        if stop.wait(every):
            return


def memory_trend(samples: list[tuple[float, float]], span: float) -> tuple[float | None, float | None, float | None]:
    """(median of the first `span` seconds, median of the last `span`, growth %) of a worker's samples."""
    if not samples:
        return None, None, None
    end = samples[-1][0]
    first = statistics.median(mb for at, mb in samples if at <= span)
    last = statistics.median(mb for at, mb in samples if at >= end - span)
    return round(first, 1), round(last, 1), round(100 * (last - first) / first, 1)


def check_writes(port: int, acked: list[tuple[str, str]]) -> list[str]:
    """The acknowledged writes (article id, word) that a search for their word does not find."""
    client, missing = Client(port), []
    for article_id, word in acked:
        try:
            status, body = client.request("GET", "/api/v1/search?" + urllib.parse.urlencode({"q": word, "facets": "false"}))
        except OSError as exc:  # a timeout is a write not shown: reported, and the check goes on
            print(f"check of {article_id}: {exc!r}", file=sys.stderr)
            client, status = Client(port), None
        ids = [hit["id"] for hit in json.loads(body)["results"]] if status == 200 else []
        if ids != [article_id]:
            missing.append(article_id)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="index to copy and soak (default: the five seed articles)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the soak (default 5)")
    parser.add_argument("--load", type=float, default=0.8, help="fraction of the measured peak (default 0.8)")
    parser.add_argument("--write-every", type=int, default=20, help="one request in N is a write (default 20)")
    parser.add_argument("--writes-per-second", type=float,
                        help="instead of --write-every: writes at this rate through the soak (the issue's one a "
                             "second); the peak is measured with the share of writes a 10 s estimate suggests, "
                             "and the soak's share is set from that peak")
    parser.add_argument("--entities", choices=("on", "off"), default="off", help="entity extraction on writes")
    parser.add_argument("--peak-seconds", type=float, default=60.0,
                        help="length of the closed-loop run the peak is measured over (default 60)")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds to wait after start-up, for the workers to warm a large index (default 0)")
    parser.add_argument("--rate", type=float,
                        help="soak at this many requests/s instead of --load of a measured peak (to compare two "
                             "builds at one load; with --writes-per-second, no peak is measured)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="newsindex-soak-", ignore_cleanup_errors=True) as tmp:
        index_dir, keys = Path(tmp) / "index", Path(tmp) / "keys.json"
        if args.index:
            shutil.copytree(args.index, index_dir)
        else:
            subprocess.run([sys.executable, "-m", "service", "ingest", str(SEEDS), "--index", str(index_dir),
                            "--no-entities"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        key = auth.create_key(keys, "soak", "write")
        with Index.open(index_dir, settings=Settings(index_dir=index_dir, keys_file=keys, semantic=False)) as index:
            paths = [(kind, _url(request)) for kind, request in query_mix(200, index)]
        env = {"NEWSINDEX_INDEX_DIR": str(index_dir), "NEWSINDEX_KEYS_FILE": str(keys),
               "NEWSINDEX_ENTITIES": "1" if args.entities == "on" else "0",
               "NEWSINDEX_SEMANTIC": "0"}  # lexical: embedding a 1M-passage archive takes hours of CPU
        proc, base = _serve("service.serving:create_asgi_app()", env, ROOT)
        port = int(base.rsplit(":", 1)[1])
        try:
            time.sleep(args.settle)  # each worker warms its index in the background as it starts
            closed_loop_peak(port, Mix(paths, key, 10**9), 3)  # warm every worker's searcher and caches
            guess_acked = []
            if args.writes_per_second and not args.rate:  # the share of writes that gives this rate at the soak's load
                estimate, guess_acked = closed_loop_peak(port, Mix(paths, key, args.write_every, "soak-guess"), 10)
                args.write_every = max(1, round(estimate * args.load / args.writes_per_second))
            workers = worker_pids(proc.pid)
            peak_split: list[int] = []
            if args.rate:
                peak, peak_acked = None, []
            else:
                halfway = threading.Timer(args.peak_seconds / 2,
                                          lambda: peak_split.extend(connection_split(port, workers)))
                halfway.start()
                peak, peak_acked = closed_loop_peak(port, Mix(paths, key, args.write_every, "soak-peak"),
                                                    args.peak_seconds)
            peak_acked = guess_acked + peak_acked
            rate = args.rate or max(1.0, peak * args.load)
            peak_write_every = args.write_every
            if args.writes_per_second:  # again from the peak itself: the soak's writes come at the rate asked
                args.write_every = max(1, round(rate / args.writes_per_second))
            memory_start = {pid: round(vm_rss_mb(pid), 1) for pid in workers}
            private_start = {pid: round(private_mb(pid), 1) for pid in workers}
            print(f"peak {peak or 0:.1f} req/s; soaking at {rate:.1f} req/s for {args.minutes:g} min "
                  f"(1 write in {args.write_every}) on {base}", file=sys.stderr)
            samples: dict[int, list[tuple[float, float]]] = {pid: [] for pid in workers}
            segments: list[tuple[int, int]] = []
            splits: list[list[int]] = []
            sampling = threading.Event()
            sampler = threading.Thread(target=sample_memory, args=(port, workers, samples, segments, sampling, 10.0,
                                                                   splits), daemon=True)
            sampler.start()
            result = soak(port, Mix(paths, key, args.write_every), rate, args.minutes * 60, window=30)
            sampling.set()
            sampler.join()
            print(f"soak: {json.dumps({k: v for k, v in result.items() if k != 'acked'})}", file=sys.stderr)
            memory_end = {pid: round(vm_rss_mb(pid), 1) for pid in workers}
            private_end = {pid: round(private_mb(pid), 1) for pid in workers}
            alive = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
            missing = check_writes(port, peak_acked + result["acked"])
        finally:
            _stop(proc)
            stop_background(index_dir)

    growth = {pid: round(100 * (memory_end[pid] - memory_start[pid]) / memory_start[pid], 1)
              for pid in workers if memory_start.get(pid)}
    private_growth = {pid: round(100 * (private_end[pid] - private_start[pid]) / private_start[pid], 1)
                      for pid in workers if private_start.get(pid)}
    trend = {pid: memory_trend(samples[pid], 120.0) for pid in workers}
    out = {
        "minutes": args.minutes, "peak_rps": peak and round(peak, 1), "target_rps": round(rate, 1),
        "achieved_rps": round(result["requests"] / result["seconds"], 1), "requests": result["requests"],
        "errors": len(result["errors"]), "error_samples": result["errors"][:5],
        "writes_acked": len(peak_acked) + len(result["acked"]), "writes_missing": len(missing),
        "write_every": args.write_every, "peak_write_every": peak_write_every,
        "writes_per_s": round(result["writes"]["n"] / result["seconds"], 2),
        "search_latency": result["searches"], "write_latency": result["writes"], "search_by_kind": result["by_kind"],
        "p99_over_time": [(w["from_s"], w["p99_ms"]) for w in result["windows"]],
        "worker_mb_start": list(memory_start.values()), "worker_mb_end": list(memory_end.values()),
        "worker_growth_pct": list(growth.values()), "workers_alive": f"{len(alive)}/{len(workers)}",
        "worker_private_mb_start": list(private_start.values()), "worker_private_mb_end": list(private_end.values()),
        "worker_private_growth_pct": list(private_growth.values()),
        "worker_private_mb_first_2min": [t[0] for t in trend.values()],
        "worker_private_mb_last_2min": [t[1] for t in trend.values()],
        "worker_private_trend_pct": [t[2] for t in trend.values()],
        "worker_private_mb_max": [round(max((mb for _, mb in samples[pid]), default=0.0), 1) for pid in workers],
        "segments_over_time": segments[::3], "segments_max": max((n for _, n in segments), default=None),
        "connections_per_worker_peak": peak_split, "connections_per_worker_soak": splits[1::6],
    }
    print(f"{out['requests']} requests at {out['achieved_rps']} req/s (target {out['target_rps']}, peak "
          f"{out['peak_rps']}); errors {out['errors']}; writes acknowledged {out['writes_acked']}, "
          f"not searchable {out['writes_missing']}")
    print(f"search p50/p95/p99 {result['searches']['p50_ms']}/{result['searches']['p95_ms']}/"
          f"{result['searches']['p99_ms']} ms; write p50/p99 {result['writes']['p50_ms']}/{result['writes']['p99_ms']} ms")
    print("search p50/p95 by kind (ms): " + ", ".join(f"{k} {v['p50_ms']}/{v['p95_ms']}" for k, v in result["by_kind"].items()))
    print("p99 per 30 s window (ms): " + ", ".join(f"{t}s {p}" for t, p in out["p99_over_time"]))
    print(f"worker memory (MB) start {out['worker_mb_start']} end {out['worker_mb_end']} "
          f"growth % {out['worker_growth_pct']}; workers alive {out['workers_alive']}")
    print(f"worker private memory (MB, RssAnon: RSS less the mapped index) start {out['worker_private_mb_start']} "
          f"end {out['worker_private_mb_end']} growth % {out['worker_private_growth_pct']}")
    print(f"worker private memory, medians of samples every 10 s: first 2 min {out['worker_private_mb_first_2min']}, "
          f"last 2 min {out['worker_private_mb_last_2min']}, growth % {out['worker_private_trend_pct']}; "
          f"max {out['worker_private_mb_max']}")
    print(f"segments in the index every 30 s: {out['segments_over_time']} (most {out['segments_max']})")
    print(f"client connections per worker: halfway through the peak {peak_split}, from 10 s into the soak every 60 s "
          f"{out['connections_per_worker_soak']} (the memory sampler's own when open: gunicorn's 5 s keep-alive "
          "closes it between samples)")
    if args.json:
        print(json.dumps(out))
    return 0 if not result["errors"] and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
