"""Bulk writes over HTTP: load N Reuters articles in one NDJSON request, send them again, delete them in one.

    .venv/bin/python bench/bulk.py --articles 1000 --entities both

A real gunicorn (`newsindex serve`, 2 workers) over a fresh index holding the
five seed articles; the client is `requests`-free stdlib http.client on
127.0.0.1.  Per mode (entities off, on) it times: the bulk load (created), the
same body again (all unchanged), a bulk delete of every id, and, as the
baseline the issue measured, one DELETE per article for the first 100.
Prints a table and one JSON line.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from attack import build_index, free_port, wait_until_ready  # noqa: E402

REUTERS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"


def reuters_lines(n: int) -> bytes:
    """The first `n` Reuters articles with a body, with EVEN ids (odd ones are held out), as NDJSON."""
    out = []
    with gzip.open(REUTERS, "rt", encoding="utf-8") as handle:
        for raw in handle:
            record = json.loads(raw)
            if not (record.get("body") or "").strip() or int(str(record.get("id", "1")).lstrip("r") or 1) % 2:
                continue
            article = {"id": f"reuters-{record['id']}", "title": record.get("title"), "body": record["body"],
                       "published": record.get("date")}
            out.append(json.dumps({k: v for k, v in article.items() if v}))
            if len(out) == n:
                break
    return ("\n".join(out) + "\n").encode()


def call(port: int, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, dict | None, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else None), time.perf_counter() - started


def run_mode(entities: bool, body: bytes, ids: list[str], workers: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="newsindex-bulk-"))
    build_index(work / "index", None, 0)
    from service.auth import create_key
    key = create_key(work / "keys.json", "bench", "write")
    port = free_port()
    env = dict(os.environ, NEWSINDEX_INDEX_DIR=str(work / "index"), NEWSINDEX_KEYS_FILE=str(work / "keys.json"),
               NEWSINDEX_PORT=str(port), NEWSINDEX_WORKERS=str(workers), NEWSINDEX_ENTITIES="1" if entities else "0")
    log = open(work / "gunicorn.log", "wb")
    server = subprocess.Popen([sys.executable, "-m", "service", "serve"], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    auth = {"Authorization": f"Bearer {key}"}
    try:
        wait_until_ready(server, port, work)
        ndjson = {**auth, "Content-Type": "application/x-ndjson"}
        status, load, load_s = call(port, "POST", "/api/v1/articles/bulk", body, ndjson)
        assert status == 200 and load["created"] == len(ids), (status, load and {k: load[k] for k in ("created", "failed")})
        status, again, again_s = call(port, "POST", "/api/v1/articles/bulk", body, ndjson)
        assert again["unchanged"] == len(ids), {k: again[k] for k in ("created", "updated", "unchanged")}
        one_by_one = ids[:100]
        started = time.perf_counter()
        for article_id in one_by_one:
            assert call(port, "DELETE", f"/api/v1/articles/{article_id}", None, auth)[0] == 204
        single_s = time.perf_counter() - started
        rest = ids[100:]
        status, deleted, delete_s = call(port, "POST", "/api/v1/articles/bulk-delete",
                                         json.dumps({"ids": rest}).encode(), {**auth, "Content-Type": "application/json"})
        assert status == 200 and deleted["deleted"] == len(rest), deleted and deleted["deleted"]
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return {"entities": entities, "articles": len(ids), "bulk_load_s": round(load_s, 2),
            "bulk_load_took_ms": load["took_ms"], "articles_per_s": round(len(ids) / load_s, 1),
            "bulk_unchanged_s": round(again_s, 2), "bulk_delete_s": round(delete_s, 2), "bulk_deleted": len(rest),
            "single_deletes": len(one_by_one), "single_deletes_s": round(single_s, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--entities", choices=["off", "on", "both"], default="both")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    body = reuters_lines(args.articles)
    ids = [json.loads(line)["id"] for line in body.splitlines()]
    modes = {"off": [False], "on": [True], "both": [False, True]}[args.entities]
    rows = [run_mode(entities, body, ids, args.workers) for entities in modes]
    for row in rows:
        print(f"entities {'on ' if row['entities'] else 'off'}: load {row['articles']} in {row['bulk_load_s']} s "
              f"({row['articles_per_s']}/s), again (unchanged) {row['bulk_unchanged_s']} s, "
              f"bulk delete {row['bulk_deleted']} in {row['bulk_delete_s']} s, "
              f"{row['single_deletes']} single DELETEs {row['single_deletes_s']} s")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
