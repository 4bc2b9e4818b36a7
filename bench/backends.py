"""An index on either backend for a benchmark: Whoosh in a directory, or OpenSearch on the local cluster.

    with bench_index("opensearch", name="scifact") as (index, reused): ...

OpenSearch indexes are named `bench-<name>-` (NEWSINDEX_OPENSEARCH_URL, or the
cluster of `make opensearch`); `keep=False` deletes them afterwards, `keep=True`
leaves them for the next run to reuse (as `--index DIR` does for Whoosh).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import temporary_index  # noqa: E402
from config.settings import Settings  # noqa: E402
from index import Index  # noqa: E402

CLUSTER = ROOT / "opensearch" / "cluster.py"


def cluster_urls() -> str:
    return os.environ.get("NEWSINDEX_OPENSEARCH_URL") or subprocess.run(
        [sys.executable, str(CLUSTER), "urls"], capture_output=True, text=True, check=True).stdout.strip()


def opensearch_settings(name: str, **settings) -> Settings:
    return Settings(backend="opensearch", opensearch_url=cluster_urls(), opensearch_prefix=f"bench-{name}-",
                    index_dir=Path(tempfile.gettempdir()) / f"bench-{name}",
                    keys_file=Path(tempfile.gettempdir()) / "bench-keys.json").replace(**settings)


@contextmanager
def bench_index(backend: str, path: str | Path | None = None, name: str = "bench", keep: bool = False,
                **settings) -> Iterator[tuple[Index, bool]]:
    """Yield (an open Index on `backend`, whether it already held documents)."""
    if backend != "opensearch":
        with temporary_index(path, **settings) as found:
            yield found
        return
    config = opensearch_settings(name, **settings)
    index = Index.open(create=True, settings=config)
    try:
        yield index, index.stats()["articles"] > 0
    finally:
        if not keep:
            index.backend.drop()
        index.close()
