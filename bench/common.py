"""Shared helpers for the benchmarks: timing, corpora on disk, and running on newsindex's path.

Every `bench/` script is a corpus loader plus a measurement over the public
`Index` API with a baseline in the same run; what they share lives here once:

    Timer / timed / median      wall-clock measurement (perf_counter), medians of repeats
    read_jsonl                  JSON Lines, gzipped or not, one dict per line
    read_beir                   a BEIR-format folder -> BeirSet(corpus, queries, qrels)
    temporary_index             an Index in a throwaway directory (or a kept one, to reuse)
    start_sampled / report      a measure over sampled Reuters articles: its command line, index and
                                samples; its answer (summary lines, examples, --json figures)
    even_id_articles            random Reuters articles with an even id (odd ids are kept for the final check)

Benchmarks import `index` the way the service does; nothing here knows Flask.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from index import Index  # noqa: E402

QRELS_NAMES = ("qrels-test.tsv", "qrels.tsv", "qrels/test.tsv")


class Timer:
    """A context manager that records the seconds its block took in `.seconds`."""

    def __enter__(self) -> "Timer":
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


def timed(fn: Callable, *args, repeat: int = 1, **kwargs) -> tuple[object, list[float]]:
    """Call `fn` `repeat` times; return the last result and every duration in seconds."""
    durations, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn(*args, **kwargs)
        durations.append(time.perf_counter() - started)
    return result, durations


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def read_jsonl(path: Path) -> Iterator[dict]:
    """One dict per non-empty line of a JSON Lines file (gzipped when it ends in .gz)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


@dataclass
class BeirSet:
    """A BEIR-format test collection: documents, queries, and graded judgements."""

    name: str
    corpus: dict[str, dict]  # _id -> {"title", "text"}
    queries: dict[str, str]  # _id -> text (only queries with judgements)
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)  # query id -> {doc id: grade}


def find_qrels(folder: Path) -> Path:
    """The test judgements of a BEIR folder. Raises FileNotFoundError naming what was looked for."""
    for name in QRELS_NAMES:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"no judgements in {folder}: expected one of {', '.join(QRELS_NAMES)}")


def read_beir(folder: str | Path) -> BeirSet:
    """Read `corpus.jsonl[.gz]`, `queries.jsonl` and the qrels TSV of a BEIR folder.

    Only queries that have a judgement with a positive grade are kept (as BEIR's
    evaluation does).  Raises FileNotFoundError when a part is missing.
    """
    folder = Path(folder)
    corpus_path = next((folder / n for n in ("corpus.jsonl", "corpus.jsonl.gz") if (folder / n).is_file()), None)
    if corpus_path is None:
        raise FileNotFoundError(f"no corpus.jsonl or corpus.jsonl.gz in {folder}")
    corpus = {str(r["_id"]): {"title": r.get("title") or "", "text": r.get("text") or ""} for r in read_jsonl(corpus_path)}
    qrels: dict[str, dict[str, int]] = {}
    with find_qrels(folder).open(encoding="utf-8") as handle:
        rows = csv.reader(handle, delimiter="\t")
        for row in rows:
            if not row or row[0] == "query-id":
                continue
            grade = int(float(row[2]))
            if grade > 0:
                qrels.setdefault(row[0], {})[row[1]] = grade
    queries = {str(r["_id"]): r["text"] for r in read_jsonl(folder / "queries.jsonl") if str(r["_id"]) in qrels}
    qrels = {q: docs for q, docs in qrels.items() if q in queries}
    return BeirSet(name=folder.name, corpus=corpus, queries=queries, qrels=qrels)


@contextmanager
def temporary_index(path: str | Path | None = None, **settings) -> Iterator[tuple[Index, bool]]:
    """Yield (an open Index, whether it already held documents).

    With `path` the index is kept there (created if missing) so a later run can
    reuse it; without, it lives in a temporary directory removed afterwards.
    """
    with tempfile.TemporaryDirectory(prefix="newsindex-bench-") as tmp:
        where = Path(path) if path else Path(tmp) / "index"
        config = Settings(index_dir=where, keys_file=Path(tmp) / "keys.json").replace(**settings)
        index = Index.open(where, create=True, settings=config)
        try:
            yield index, index.stats()["articles"] > 0
        finally:
            index.close()


REUTERS_MAX_ID = 21578  # Reuters-21578's ids run from 1 to 21,578


def start_sampled(doc: str, count: str, default: int, seed: int, draw: Callable, argv: list[str] | None = None):
    """A measure over sampled articles begins so: its command line (--index, --<count>, --seed, --json), its
    index with the result cache off (every search is run), and `draw(index, n, rng)`'s samples.
    Returns (args, index, rng, samples); stops, saying why, when the archive has no even-id Reuters article."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument(f"--{count}", type=int, default=default)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    index = Index.open(args.index, settings=Settings(index_dir=args.index, result_cache_size=0))
    rng = random.Random(args.seed)
    samples = draw(index, getattr(args, count), rng)
    if not samples:
        parser.error(f"{args.index} holds no Reuters article with an even id")
    return args, index, rng, samples


def report(lines: list[str], examples: list, figures: dict, as_json: bool) -> None:
    """A sampled measure's answer: its summary lines, a few examples, then (--json) the figures as one JSON line."""
    for line in lines:
        print(line)
    for item in examples:
        print("  ", item)
    if as_json:
        print(json.dumps(figures))


def even_id_articles(index: Index, rng, tries: int) -> Iterator:
    """Random stored Reuters articles with an even id; stops after `tries` draws (an archive without them)."""
    from index import NotFound
    for _ in range(tries):
        try:
            yield index.get(str(2 * rng.randint(1, REUTERS_MAX_ID // 2)))
        except NotFound:
            continue
