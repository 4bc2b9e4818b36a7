"""The process that builds a big archive's entity catalog for every worker.

index/search/catalog_keeper.py says why: one process keeps the archive-wide
sums and runs the rules, so workers neither spend their CPU and memory on them
nor hold the interpreter lock against their own searches.  The first worker
that meets a generation newer than its catalog starts it (one at a time: it
holds CATALOGLOCK); it builds for each new generation, saves the catalog with
that generation (`catalog.pickle` and its explanations, `catalog-explained.pickle`:
see catalog_keeper), rests REST_RATIO times the build's time (the OpenSearch
backend's rule too), so the rules take at most a tenth of a core and workers
read a changed catalog (0.1 s of unpickling at a million passages, in pieces) at
most that often, and exits after IDLE_EXIT seconds without a new generation.

    python -m index.search.catalog_builder <index folder> [<alias file>]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from index import processes
from index.search.catalog_keeper import BUILDER_LOCK, CatalogKeeper
from index.text.aliases import load_aliases

REST_RATIO = 10
POLL = 0.25
IDLE_EXIT = 120.0
SAVED_NAME = "catalog.pickle"


def main(path: str, aliases_file: str = "") -> int:
    from index.store.store import Store

    with processes.running_alone(Path(path), BUILDER_LOCK, "catalog builder", nice=10) as mine:
        if not mine:
            return 0  # another builder is at work
        store = Store.open(path)
        keeper = CatalogKeeper(load_aliases(aliases_file or None), saved=Path(path) / SAVED_NAME, inline_keys=0)
        idle_since = time.monotonic()
        try:
            while time.monotonic() - idle_since < IDLE_EXIT:
                snapshot = store.snapshot()
                if keeper.generation >= snapshot.generation:
                    time.sleep(POLL)
                    continue
                keeper.build(snapshot)
                time.sleep(REST_RATIO * keeper.took)
                idle_since = time.monotonic()
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
