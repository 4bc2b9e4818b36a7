"""Query benchmark: a fixed, seeded query mix through (a) the search function the API uses,
(b) raw Whoosh doing the equivalent search, highlights and facets on one open searcher,
(d) the peers a newsroom could pick instead, SQLite FTS5 and tantivy, doing the same work
(bench/peers.py), and (c) HTTP against gunicorn beside a bare Flask endpoint.

    .venv/bin/python bench/query.py                        # builds Reuters 1x (entities off) in /tmp first
    .venv/bin/python bench/query.py --index /tmp/ni-1x --json
    .venv/bin/python bench/query.py --index /tmp/ni-28x --http off --queries 400

The mix (seed 7): single words, two words, phrases, three words, 13-word natural-language
queries, date ranges, entity filters (when the index has entities), and the empty-query
browse, all with 10 results, one highlighted passage each (the peers' one snippet) and facet
counts by source and month over every match (what the peers count; `--facets all` counts
people, organisations, places and tags too, as the service's default does).  (a) and (b) alternate query by query on the
same process, interleaved query by query with the peers, so machine noise hits all alike;
the ratio is (a) / (b).  Pass --replicate N for an index built from N copies of Reuters
so the peers index the same records.

HTTP: `wrk` (Debian: `apt-get install -y wrk`) drives 127.0.0.1 only, for a bounded time
(--http-seconds, default 10) with 8 connections, cycling through the mix's URLs; the bare
app answers `{"hello": "world"}` from Flask under the same gunicorn settings (sync workers,
one per core).  Without wrk the HTTP part is skipped and the script says so.

With --json the last line is one JSON object: p50_ms, p95_ms, raw_p50_ms, ratio_p50,
http_rps, bare_rps, http_ratio, and figures per query kind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench.scale import reuters_records, summarise  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import FACETS, Index, SearchRequest  # noqa: E402

SCRIPT = Path(__file__).resolve()
WORDS = ("oil", "bank", "trade", "prices", "dollar", "wheat", "coffee", "gold", "shares", "profit", "rates",
         "loan", "tax", "sugar", "grain", "yen", "export", "imports", "strike", "merger", "dividend", "debt",
         "crude", "copper", "earnings", "budget", "deficit", "tariff", "bonds", "growth")
PHRASES = ("interest rates", "trade deficit", "crude oil", "central bank", "stock exchange", "net profit",
           "money supply", "federal reserve", "oil prices", "tender offer")
LONG = ("what did the central bank say about interest rates and the dollar after the trade figures",
        "how much wheat and grain did the soviet union buy from the united states this year",
        "which oil companies raised crude prices after the opec meeting in geneva last week")
PEER_FACETS = ("source", "date")  # what the peers count over every match
KINDS = ("single", "two_words", "phrase", "three_words", "long", "date_filter", "entity_filter", "browse")


def query_mix(n: int, index: Index, seed: int = 7, facets: tuple[str, ...] = PEER_FACETS
              ) -> list[tuple[str, SearchRequest]]:
    """`n` (kind, request) pairs, the same for a given seed and index."""
    rng = random.Random(seed)
    entities = [name for name, _ in _top_entities(index, 30)]
    mix = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        if kind == "entity_filter" and not entities:
            kind = "two_words"
        # The peers' work: words only (no feedback pass, no vector mix; those are measured by bench/relevance.py),
        # one highlighted passage an article, as the peers make one snippet (the service shows up to 3), and
        # facets by source and month, as the peers count (`--facets all` adds people, orgs, places and tags).
        request = SearchRequest(per_page=10, facets=True, feedback=False, mode="lexical", passages=1,
                                facet_names=facets)
        if kind == "single":
            request.q = rng.choice(WORDS)
        elif kind == "two_words":
            request.q = " ".join(rng.sample(WORDS, 2))
        elif kind == "phrase":
            request.q = f'"{rng.choice(PHRASES)}"'
        elif kind == "three_words":
            request.q = " ".join(rng.sample(WORDS, 3))
        elif kind == "long":
            request.q = rng.choice(LONG)
        elif kind == "date_filter":
            year = rng.choice((1987, 1988, 1990, 1995, 2000, 2005))
            request.q, request.date_from, request.date_to = rng.choice(WORDS), date(year, 1, 1), date(year, 6, 30)
        elif kind == "entity_filter":
            request.q, request.entity = rng.choice(WORDS), [rng.choice(entities)]
        mix.append((kind, request))
    return mix


def _top_entities(index: Index, n: int) -> list[tuple[str, int]]:
    try:
        values = index.facet_values("place", "", n) + index.facet_values("org", "", n)
    except Exception:  # an index without entities
        return []
    return [(v.value, v.count) for v in values][:n]


def measure_function(index: Index, mix, rounds: int, peers: list | None = None) -> dict:
    """Time ours and each peer query by query, interleaved; per-side and per-kind figures."""
    sides = {"ours": index.search}
    for peer in peers or []:
        sides[peer.name] = lambda request, peer=peer: peer.search(request.q, request.date_from, request.date_to)
    times: dict[str, list] = {name: [] for name in sides}
    by_kind: dict[str, dict[str, list]] = {k: {name: [] for name in sides} for k in KINDS}
    partial = 0
    index.warm()  # as a served worker does when it starts
    for kind, request in mix[:len(KINDS)]:  # warm every side: caches and the OS page cache
        for run in sides.values():
            run(request)
    for _ in range(rounds):
        for kind, request in mix:
            for name, run in sides.items():
                started = time.perf_counter()
                result = run(request)
                elapsed = (time.perf_counter() - started) * 1000
                if name == "ours":
                    partial += result.partial
                times[name].append(elapsed)
                by_kind[kind][name].append(elapsed)
    kinds = {k: {name: summarise(values) for name, values in v.items()} for k, v in by_kind.items() if v["ours"]}
    return {**{name: summarise(values) for name, values in times.items()}, "kinds": kinds, "partial": partial}


# -- HTTP ------------------------------------------------------------------------------

BARE_APP = '''
import os
from a2wsgi import WSGIMiddleware
from flask import Flask, jsonify
app = Flask(__name__)
@app.get("/hello")
def hello():
    return jsonify(hello="world")
asgi = WSGIMiddleware(app, workers=int(os.environ.get("NEWSINDEX_THREADS", "8")))  # served as the service is
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(app: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn with newsindex's config file (same workers, timeouts), on a free loopback port; not waited for."""
    port = _free_port()
    env = dict(os.environ, **env, NEWSINDEX_HOST="127.0.0.1", NEWSINDEX_PORT=str(port))
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py"),
           "--access-logfile", "/dev/null", "--chdir", str(cwd), app]
    # The server's log goes to a file, never to a pipe nobody reads: a full pipe blocks every worker's
    # next log line (a soak with errors hung that way). NEWSINDEX_BENCH_LOG keeps it at a known path.
    log = open(os.environ.get("NEWSINDEX_BENCH_LOG") or tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1], "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    proc.log_path = log.name
    log.close()
    return proc, f"http://127.0.0.1:{port}"


def _serve(app: str, env: dict, cwd: Path) -> tuple[subprocess.Popen, str]:
    """_spawn, then wait until it answers."""
    proc, base = _spawn(app, env, cwd)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn {app} exited: {Path(proc.log_path).read_text(errors='replace')[-2000:]}")
        try:
            urllib.request.urlopen(base + ("/hello" if "bare" in app else "/healthz"), timeout=2)
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"gunicorn {app} did not answer within 60 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def wrk(base: str, paths: list[str], seconds: int, connections: int = 8) -> dict:
    """Requests/s and latency percentiles from wrk, cycling through `paths` on 127.0.0.1."""
    assert base.startswith("http://127.0.0.1:"), "the load generator targets loopback only"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        lua_paths = ", ".join(json.dumps(p) for p in paths)
        script.write(f"""
local paths = {{{lua_paths}}}
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {{\\"requests\\": %d, \\"seconds\\": %f, \\"errors\\": %d, \\"non2xx\\": %d, "
    .. "\\"p50_ms\\": %f, \\"p99_ms\\": %f}}\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
""")
    out = subprocess.run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                          "-s", script.name, base], capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(script.name)
    line = next(l for l in out.stdout.splitlines() if l.startswith("JSON "))
    stats = json.loads(line[5:])
    stats["rps"] = round(stats["requests"] / stats["seconds"], 1)
    return stats


def measure_http(index_dir: Path, mix, seconds: int) -> dict:
    if shutil.which("wrk") is None:
        print("wrk is missing: HTTP part skipped (Debian: apt-get install -y wrk)", file=sys.stderr)
        return {}
    paths = [_url(request) for _, request in mix]
    results = {}
    with tempfile.TemporaryDirectory(prefix="newsindex-bare-") as tmp:
        Path(tmp, "bare_app.py").write_text(BARE_APP)
        proc, base = _serve("bare_app:asgi", {}, Path(tmp))
        try:
            wrk(base, ["/hello"], 2)  # warm-up
            results["bare"] = wrk(base, ["/hello"], seconds)
        finally:
            _stop(proc)
    proc, base = _serve("service.serving:create_asgi_app()", {"NEWSINDEX_INDEX_DIR": str(index_dir)}, ROOT)
    try:
        wrk(base, paths, 2)
        results["search"] = wrk(base, paths, seconds)
    finally:
        _stop(proc)
    return results


def _url(request: SearchRequest) -> str:
    params = {"q": request.q, "per_page": request.per_page}
    if request.date_from:
        params["from"], params["to"] = request.date_from.isoformat(), request.date_to.isoformat()
    if request.entity:
        params["entity"] = request.entity[0]
    return "/api/v1/search?" + urllib.parse.urlencode(params)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="reuse this index (default: build Reuters 1x, entities off)")
    parser.add_argument("--queries", type=int, default=200, help="queries in the mix (default 200)")
    parser.add_argument("--rounds", type=int, default=2, help="times the mix is run (default 2)")
    parser.add_argument("--http", choices=("on", "off"), default="on", help="the HTTP part with wrk (default on)")
    parser.add_argument("--http-seconds", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--peers", choices=("on", "off"), default="on",
                        help="SQLite FTS5 and tantivy doing the same work, interleaved (default on)")
    parser.add_argument("--facets", choices=("peers", "all"), default="peers",
                        help="facets counted: source and month as the peers count them (default), or all six")
    parser.add_argument("--replicate", type=int, default=1, help="copies of Reuters the index holds (for the peers)")
    parser.add_argument("--raw-whoosh", choices=("on", "off"), default="on",
                        help="plain Whoosh doing the same work beside the peers (slow to build past 1x)")
    parser.add_argument("--raw-index", type=Path, help="keep (and reuse) raw Whoosh's index in this folder")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="newsindex-query-") as tmp:
        index_dir = args.index
        if index_dir is None:
            index_dir = Path(tmp) / "index"
            print("building Reuters 1x (entities off) ...", file=sys.stderr)
            subprocess.run([sys.executable, str(ROOT / "bench" / "ingest.py"), "--baseline", "off",
                            "--index", str(index_dir)], check=True, stdout=subprocess.DEVNULL)
        # The result cache is off for (a): every query is computed, as raw Whoosh computes it.
        # HTTP (c) runs with the service's defaults, cache on, as a newsroom would.
        settings = Settings(index_dir=index_dir, keys_file=Path(tmp) / "keys.json", result_cache_size=0)
        peers = []
        if args.peers == "on":
            from bench.peers import Fts5, RawWhoosh, Tantivy
            records = [r for r in reuters_records(args.replicate) if (r.get("body") or "").strip()]
            peers = [Fts5(Path(tmp), records), Tantivy(Path(tmp), records)]
            if args.raw_whoosh == "on":
                peers.append(RawWhoosh(args.raw_index or Path(tmp), records))
            del records
        with Index.open(index_dir, settings=settings) as index:
            stats = index.stats()
            mix = query_mix(args.queries, index, facets=PEER_FACETS if args.facets == "peers" else FACETS)
            fn = measure_function(index, mix, args.rounds, peers)
        http = measure_http(index_dir, mix, args.http_seconds) if args.http == "on" else {}

    out = {
        "articles": stats["articles"], "passages": stats["passages"], "segments": stats["segments"],
        "p50_ms": fn["ours"]["p50_ms"], "p95_ms": fn["ours"]["p95_ms"], "p99_ms": fn["ours"]["p99_ms"],
        "raw_p50_ms": fn.get("whoosh", {}).get("p50_ms"), "raw_p95_ms": fn.get("whoosh", {}).get("p95_ms"),
        "ratio_p50": round(fn["ours"]["p50_ms"] / fn["whoosh"]["p50_ms"], 3) if fn.get("whoosh") else None,
        "two_words_p95_ms": fn["kinds"].get("two_words", {}).get("ours", {}).get("p95_ms"),
        "partial": fn["partial"],
        "http_rps": http.get("search", {}).get("rps"), "bare_rps": http.get("bare", {}).get("rps"),
        "http_ratio": round(http["search"]["rps"] / http["bare"]["rps"], 3) if http else None,
        "http_p50_ms": http.get("search", {}).get("p50_ms"), "http_p99_ms": http.get("search", {}).get("p99_ms"),
        "http_errors": (http["search"]["errors"] + http["search"]["non2xx"]) if http else None,
        "kinds": {k: {f"{name}_{q}": v[name][f"{q}_ms"] for name in v for q in ("p50", "p95")}
                  for k, v in fn["kinds"].items()},
        "peers": {p.name: {"p50_ms": fn[p.name]["p50_ms"], "p95_ms": fn[p.name]["p95_ms"],
                           "build_s": round(p.build_seconds, 1)} for p in peers},
    }
    print(f"index: {out['articles']} articles, {out['passages']} passages, {out['segments']} segments")
    names = ["ours", *[p.name for p in peers]]
    print(f"{'kind':<14}" + "".join(f"{n + ' p50':>13}{n + ' p95':>13}" for n in names))
    for kind, v in out["kinds"].items():
        print(f"{kind:<14}" + "".join(f"{v[n + '_p50']:>13}{v[n + '_p95']:>13}" for n in names))
    print(f"search function: p50 {out['p50_ms']} ms, p95 {out['p95_ms']} ms; raw Whoosh p50 {out['raw_p50_ms']} ms, "
          f"p95 {out['raw_p95_ms']} ms; ratio p50 {out['ratio_p50']}; partial answers {out['partial']}")
    for name, figures in out["peers"].items():
        print(f"{name}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms (built in {figures['build_s']} s)")
    if http:
        print(f"HTTP: {out['http_rps']} req/s (p50 {out['http_p50_ms']} ms, p99 {out['http_p99_ms']} ms, "
              f"errors {out['http_errors']}); bare Flask {out['bare_rps']} req/s; ratio {out['http_ratio']}")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
