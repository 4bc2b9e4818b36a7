#!/usr/bin/env python
"""Date filters inside the archive's own span, newsindex against SQLite FTS5, interleaved query by query.

    python bench/date_filters.py --index PATH [--queries 48] [--rounds 2] [--json]

bench/query.py's date filters pick half-years from 1987 to 2005, and Reuters-21578 is all
1987: most of them leave no article, which measures how fast a search answers "nothing".
Here every range is in 1987 (a day, a week, a month, a quarter, the year), with the peers'
work (top 10, a snippet, facets by source and month), so the filter and the words both
narrow real matches.  The index is Reuters 1x (bench/ingest.py); FTS5 is built from the
same records, as bench/query.py builds it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peers import Fts5  # noqa: E402
from bench.query import PEER_FACETS, WORDS, measure_function  # noqa: E402
from bench.scale import reuters_records  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index, SearchRequest  # noqa: E402

RANGES = ((date(1987, 3, 16), date(1987, 3, 16)), (date(1987, 3, 1), date(1987, 3, 7)),
          (date(1987, 2, 26), date(1987, 3, 31)), (date(1987, 4, 1), date(1987, 6, 30)),
          (date(1987, 1, 1), date(1987, 12, 31)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, required=True, help="Reuters 1x, built by bench/ingest.py")
    parser.add_argument("--queries", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rng = random.Random(11)
    mix = []
    for _ in range(args.queries):
        word, (start, end) = rng.choice(WORDS), rng.choice(RANGES)
        mix.append(("date_filter", SearchRequest(q=word, date_from=start, date_to=end, per_page=10,
                                                 facets=True, feedback=False, mode="lexical", passages=1,
                                                 facet_names=PEER_FACETS)))
    with tempfile.TemporaryDirectory(prefix="newsindex-dates-") as tmp:
        fts5 = Fts5(Path(tmp), [r for r in reuters_records(1) if (r.get("body") or "").strip()])
        settings = Settings(index_dir=args.index, keys_file=Path(tmp) / "keys.json", result_cache_size=0)
        with Index.open(args.index, settings=settings) as index:
            measured = measure_function(index, mix, args.rounds, [fts5])  # interleaved, as bench/query.py does
    figures = {name: measured[name] for name in ("ours", "fts5")}
    for name, found in figures.items():
        print(f"{name:5s} p50 {found['p50_ms']:.2f} ms  p95 {found['p95_ms']:.2f} ms", file=sys.stderr)
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
