"""Crash safety: a batch ingest killed with SIGKILL at random moments loses no acknowledged article.

`newsindex ingest --progress` prints the ids of each batch once it is committed;
each trial kills the process at a random moment (bench/crash.py, which runs many
more trials), then checks that the index opens, that every acknowledged article
is there and whole (text and every passage document), that nothing is
half-written, and that a rerun completes with every article there once.
Kept fast: small articles, entities off, small batches, two trials at a time.
"""

from __future__ import annotations

import os
import sys
import time

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import crash  # noqa: E402

pytestmark = pytest.mark.slow

TRIALS = 10


def test_sigkill_at_random_moments_loses_no_acknowledged_article(tmp_path):
    seed = int(os.environ.get("NEWSINDEX_CRASH_SEED", time.time()))
    trials = crash.run_trials(TRIALS, articles=24, batch_size=3, seed=seed, parallel=2, base=tmp_path)
    assert len(trials) == TRIALS
    problems = [f"trial {n} (killed after {t.killed_after_commits} commits + {t.delay:.3f} s): {t.problems}"
                for n, t in enumerate(trials) if t.problems]
    assert not problems, f"seed {seed} (rerun with NEWSINDEX_CRASH_SEED={seed}): {problems}"
    killed = [t for t in trials if not t.finished_before_kill]
    assert len(killed) >= TRIALS // 2, "most trials must really kill the ingest mid-way"
    assert sum(len(t.acknowledged) for t in killed) > 0, "some trials must die after acknowledging articles"


def test_progress_lines_name_each_committed_batch(runner, tmp_path):
    from service.cli import cli
    corpus = tmp_path / "corpus.jsonl"
    bodies = crash.write_corpus(corpus, 7)
    result = runner.invoke(cli, ["ingest", str(corpus), "--index", str(tmp_path / "index"), "--no-entities",
                                 "--batch-size", "3", "--progress"])
    assert result.exit_code == 0, result.output
    import json
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["batch"] for line in lines] == [1, 2, 3]
    assert [len(line["committed"]) for line in lines] == [3, 3, 1]
    assert sorted(i for line in lines for i in line["committed"]) == sorted(bodies)
    assert "7 added" in result.stdout
