"""Crash safety of a batch ingest: SIGKILL `newsindex ingest --progress` at random moments.

    python bench/crash.py --trials 100                  # figures for bench/RESULTS.md
    python bench/crash.py --trials 20 --articles 200 --batch-size 10 --seed 7

Each trial ingests a JSON Lines corpus into a fresh index with `--progress`, which
prints one JSON line per commit naming the ids it committed: those are the
*acknowledged* articles.  The process is killed with SIGKILL at a random moment:
during start-up, or a random time after a random commit (so mostly in the
middle of the next batch: parsing, writing segment files, or committing).
Afterwards:

  * the index must open (or not exist at all, if nothing was acknowledged);
  * every acknowledged article must be there and whole: its stored text is the
    text sent, and its passage documents are in the index (a search for a word
    of its last passage picks that passage, not the lead fallback);
  * nothing is half-written anywhere: the passage documents in the index are
    exactly the passages of the articles in it, and no article is there twice;
  * a rerun of the same ingest completes, and then every article is there once.

tests/test_crash_safety.py runs a few fast trials of this same code; this
script runs more and prints how many trials killed where, and any problem.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.settings import Settings  # noqa: E402
from index import Index, SearchRequest  # noqa: E402

PARAGRAPHS = 3  # each article is three paragraphs of ~75 words: three passages


def article_body(article_id: str) -> str:
    """An article whose every paragraph carries a word found nowhere else (`<id>p<n>`)."""
    filler = " ".join(["The convoy moved slowly along the mountain road towards the border post"] * 5)
    return "\n\n".join(f"Paragraph {p} of article {article_id} names {article_id}p{p}. {filler}."
                       for p in range(PARAGRAPHS))


def write_corpus(path: Path, articles: int) -> dict[str, str]:
    """A JSON Lines corpus of `articles` small articles; returns id -> body."""
    bodies = {f"crash{i}": article_body(f"crash{i}") for i in range(articles)}
    with open(path, "w", encoding="utf-8") as handle:
        for article_id, body in bodies.items():
            handle.write(json.dumps({"id": article_id, "title": f"Crash test {article_id}", "body": body}) + "\n")
    return bodies


def ingest_command(corpus: Path, index_dir: Path, batch_size: int, progress: bool = True) -> list[str]:
    command = [sys.executable, "-m", "service", "ingest", str(corpus), "--index", str(index_dir), "--no-entities",
               "--batch-size", str(batch_size)]
    return command + (["--progress"] if progress else [])


def environment() -> dict[str, str]:
    return dict(os.environ, NEWSINDEX_ENTITIES="0", NEWSINDEX_SEMANTIC="0", PYTHONUNBUFFERED="1")


@dataclass
class Trial:
    """What one trial did and found; `problems` is empty when the index kept its promise."""

    killed_after_commits: int = 0
    delay: float = 0.0
    finished_before_kill: bool = False
    acknowledged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_index(index_dir: Path, bodies: dict[str, str], acknowledged: list[str]) -> list[str]:
    """Problems with the index after a crash (see the module docstring); [] when there are none."""
    settings = Settings(index_dir=index_dir, entities=False, semantic=False)
    try:
        index = Index.open(index_dir, settings=settings)
    except FileNotFoundError:
        return [f"no index, yet {len(acknowledged)} articles were acknowledged"] if acknowledged else []
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding
        return [f"index does not open: {type(exc).__name__}: {exc}"]
    problems: list[str] = []
    with index:
        for article_id in acknowledged:
            try:
                article = index.get(article_id)
            except Exception as exc:  # noqa: BLE001
                problems.append(f"acknowledged {article_id} missing: {exc}")
                continue
            if article.body != bodies[article_id] or len(article.passages) != PARAGRAPHS:
                problems.append(f"acknowledged {article_id} is not whole ({len(article.passages)} passages)")
                continue
            last = article.passages[-1].position
            result = index.search(SearchRequest(q=f"{article_id}p{PARAGRAPHS - 1}", per_page=1, facets=False))
            if [h.id for h in result.hits] != [article_id] or result.hits[0].passages[0].position != last:
                problems.append(f"acknowledged {article_id}: its passage documents are not in the index")
        stored = index.search(SearchRequest(per_page=100, facets=False, sort="newest"))
        ids = [h.id for h in stored.hits]
        page = 1
        while page < stored.pages:
            page += 1
            ids += [h.id for h in index.search(SearchRequest(per_page=100, page=page, facets=False, sort="newest")).hits]
        stats = index.stats()
        if len(ids) != len(set(ids)) or stats["articles"] != len(set(ids)):
            problems.append(f"articles counted twice: {stats['articles']} documents, {len(set(ids))} ids")
        expected_passages = sum(len(index.get(i).passages) for i in set(ids))
        if stats["passages"] != expected_passages:
            problems.append(f"{stats['passages']} passage documents for {expected_passages} passages: half-written")
    return problems


def run_trial(workdir: Path, corpus: Path, bodies: dict[str, str], batch_size: int, rng: random.Random) -> Trial:
    """Ingest, SIGKILL at a random moment, check, rerun to the end, check again."""
    index_dir = workdir / "index"
    batches = -(-len(bodies) // batch_size)
    trial = Trial(killed_after_commits=rng.randint(0, batches - 1))
    fraction = rng.random()  # how far into the next batch the kill falls
    started = time.monotonic()
    proc = subprocess.Popen(ingest_command(corpus, index_dir, batch_size), cwd=ROOT, env=environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    while sum(1 for line in list(lines) if line.startswith('{"batch"')) < trial.killed_after_commits:
        if proc.poll() is not None:
            break
        time.sleep(0.002)
    # Kill within the next batch: a fraction of the time one batch has taken so far (before the
    # first commit, of a second: start-up), so a faster ingest is still killed mid-way.
    per_batch = (time.monotonic() - started) / trial.killed_after_commits if trial.killed_after_commits else 1.0
    trial.delay = fraction * per_batch
    time.sleep(trial.delay)
    trial.finished_before_kill = proc.poll() is not None
    if not trial.finished_before_kill:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join(timeout=10)
    for line in lines:
        try:
            trial.acknowledged += json.loads(line)["committed"]
        except (ValueError, KeyError, TypeError):
            continue  # a summary line, or a line cut by the kill: not an acknowledgement
    trial.problems += check_index(index_dir, bodies, trial.acknowledged)
    rerun = subprocess.run(ingest_command(corpus, index_dir, batch_size, progress=False), cwd=ROOT,
                           env=environment(), capture_output=True, text=True, timeout=600)
    if rerun.returncode != 0:
        trial.problems.append(f"rerun failed ({rerun.returncode}): {rerun.stderr.strip()[-500:]}")
    else:
        trial.problems += [f"after rerun: {p}" for p in check_index(index_dir, bodies, list(bodies))]
    return trial


def run_trials(trials: int, articles: int, batch_size: int, seed: int, parallel: int = 1,
               base: Path | None = None) -> list[Trial]:
    """Run `trials` independent trials (each its own index and random moment), `parallel` at a time."""
    from concurrent.futures import ThreadPoolExecutor

    with tempfile.TemporaryDirectory(dir=base) as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        bodies = write_corpus(corpus, articles)

        def one(number: int) -> Trial:
            workdir = Path(tmp) / f"trial{number}"
            workdir.mkdir()
            return run_trial(workdir, corpus, bodies, batch_size, random.Random(f"{seed}-{number}"))

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            return list(pool.map(one, range(trials)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--parallel", type=int, default=1, help="Trials run at once (each in its own index).")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run_trials(args.trials, args.articles, args.batch_size, args.seed, args.parallel)
    seconds = time.perf_counter() - started
    failed = [t for t in results if t.problems]
    where = Counter("before any commit" if t.killed_after_commits == 0 else "after a commit" for t in results
                    if not t.finished_before_kill)
    acknowledged = sum(len(t.acknowledged) for t in results)
    print(f"crash safety: {args.trials} trials, {args.articles} articles in batches of {args.batch_size}, "
          f"seed {args.seed}, {seconds:.1f} s")
    print(f"  killed: {dict(where)}; finished before the kill: {sum(t.finished_before_kill for t in results)}")
    print(f"  acknowledged articles checked: {acknowledged}; trials with a problem: {len(failed)}")
    for trial in failed:
        print(f"  after {trial.killed_after_commits} commits + {trial.delay:.3f} s: {'; '.join(trial.problems)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
