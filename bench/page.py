"""The search page against the JSON API: server-side time for the same queries, and page weight.

The issue's bar: a results page over the Reuters corpus renders in well under the
API's own time plus 20 ms, and weighs under 150 KB with its assets.  Both views
run the same validated search (the page asks for more facet values and, with a
source filter, one extra facet count), so the difference is what the HTML costs.
Requests go through Flask's test client (no network, no server), alternating
page and API so both see the same caches; medians of `--repeat` runs per query.

    .venv/bin/newsindex ingest ../shared/corpus/reuters21578.jsonl.gz --no-entities --index /tmp/reuters-index
    .venv/bin/python bench/page.py --index /tmp/reuters-index [--result-cache 0]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "reuters21578.jsonl.gz"
QUERIES = [
    "q=oil",
    "q=coffee+prices",
    'q="interest+rates"',
    "q=opec+OR+saudi",
    "q=wheat+NOT+corn",
    "q=bank&sort=newest",
    "q=dollar+yen&page=3",
    "",  # browse, newest first
    "q=oil&from=1987-03-01&to=1987-03-31",
    "q=grain&per_page=50",
]


def build_index(path: Path) -> None:
    """Ingest Reuters with entities off (about a minute), through the real CLI."""
    subprocess.run([sys.executable, "-m", "service", "ingest", str(CORPUS), "--no-entities", "--index", str(path)],
                   cwd=ROOT, check=True)


class SearchClock:
    """Wraps Index.search to add up the seconds a request spends searching (the rest is HTTP + rendering)."""

    def __init__(self, index) -> None:
        self.seconds = 0.0
        self._search = index.search
        index.search = self

    def __call__(self, request):
        started = time.perf_counter()
        try:
            return self._search(request)
        finally:
            self.seconds += time.perf_counter() - started


def measure(client, url: str, clock: SearchClock) -> tuple[float, float, object]:
    """One request: total seconds, seconds outside Index.search, and the response."""
    clock.seconds = 0.0
    started = time.perf_counter()
    response = client.get(url)
    total = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return total, total - clock.seconds, response


def page_weight(client, html: bytes) -> tuple[int, int]:
    """Bytes of the HTML and of the static assets it loads."""
    assets = set(re.findall(rb'(?:src|href)="(/static/[^"]+)"', html))
    return len(html), sum(len(client.get(a.decode()).data) for a in assets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/reuters-index"),
                        help="index directory (built from Reuters if missing)")
    parser.add_argument("--repeat", type=int, default=15, help="runs per query and view")
    parser.add_argument("--result-cache", type=int, default=None,
                        help="NEWSINDEX_RESULT_CACHE_SIZE for the run (0: every request searches)")
    args = parser.parse_args()
    if not any(args.index.glob("*.toc")):
        build_index(args.index)

    from service.app import create_app
    from service.archive import get_index
    settings = Settings(index_dir=args.index)
    if args.result_cache is not None:
        settings = settings.replace(result_cache_size=args.result_cache)
    app = create_app(settings)
    client = app.test_client()
    articles = client.get("/healthz").get_json()["articles"]
    print(f"index {args.index}: {articles} articles; {args.repeat} runs per query and view\n")
    with app.app_context():
        clock = SearchClock(get_index())
    print("| query | results | API ms | page ms | page - API ms | API outside search ms | page outside search ms | HTML KB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for qs in QUERIES:
        api_url, page_url = f"/api/v1/search?{qs}", f"/?{qs}"
        client.get(api_url), client.get(page_url)  # warm both
        api, page = [], []
        for _ in range(args.repeat):  # alternate so both see the same caches
            api.append(measure(client, api_url, clock)[:2])
            *timing, response = measure(client, page_url, clock)
            page.append(timing)
        api_ms, api_out = (statistics.median(v) * 1000 for v in zip(*api))
        page_ms, page_out = (statistics.median(v) * 1000 for v in zip(*page))
        total = client.get(api_url).get_json()["total"]
        html, assets = page_weight(client, response.data)
        rows.append((api_ms, page_ms, page_out - api_out, html + assets))
        print(f"| `{qs or '(browse)'}` | {total} | {api_ms:.1f} | {page_ms:.1f} | {page_ms - api_ms:+.1f} "
              f"| {api_out:.1f} | {page_out:.1f} | {html / 1024:.1f} |")
    api_all, page_all, extra, weights = zip(*rows)
    print(f"\nmedian over queries: API {statistics.median(api_all):.1f} ms, page {statistics.median(page_all):.1f} ms "
          f"(ratio {statistics.median(page_all) / statistics.median(api_all):.2f}); "
          f"rendering beyond the API's own serialisation: median {statistics.median(extra):+.1f} ms, "
          f"largest {max(extra):+.1f} ms")
    print(f"page weight with assets: median {statistics.median(weights) / 1024:.1f} KB, "
          f"largest {max(weights) / 1024:.1f} KB (assets {assets / 1024:.1f} KB)")

if __name__ == "__main__":
    main()
