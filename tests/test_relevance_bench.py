"""bench/relevance.py end to end on a tiny BEIR folder whose answers are known."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DOCS = [
    {"_id": "d1", "title": "Volcanic ash grounds flights", "text": "Volcanic ash from Iceland grounded flights across Europe for days."},
    {"_id": "d2", "title": "Central bank raises interest rates", "text": "The central bank raised interest rates to fight inflation."},
    {"_id": "d3", "title": "Football final", "text": "The final ended in a draw after extra time and penalties."},
    {"_id": "d4", "title": "Harvest report", "text": "Farmers reported a record wheat harvest this autumn."},
]
QUERIES = [
    {"_id": "q1", "text": "why were flights grounded by volcanic ash"},
    {"_id": "q2", "text": "interest rates inflation"},
    {"_id": "q3", "text": "record wheat harvest"},
    {"_id": "q4", "text": "penguins in antarctica"},  # judged, but nothing answers it
]
QRELS = [("q1", "d1"), ("q2", "d2"), ("q3", "d4"), ("q4", "d3")]


@pytest.fixture
def beir_folder(tmp_path) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUERIES))
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in QRELS))
    return folder


def test_relevance_bench_on_a_known_answer(beir_folder):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "relevance.py"), "--beir", str(beir_folder), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    # Three queries find their one relevant document first; the fourth finds nothing relevant.
    assert figures["queries"] == 4
    assert figures["ndcg@10"] == pytest.approx(0.75)
    assert figures["mrr@10"] == pytest.approx(0.75)
    assert figures["recall@100"] == pytest.approx(0.75)
    assert figures["baseline"]["ndcg@10"] == pytest.approx(0.75)
    assert set(figures) >= {"ndcg@10", "recall@100", "mrr@10", "baseline", "queries", "seconds"}


def test_metrics_by_hand():
    sys.path.insert(0, str(ROOT / "bench"))
    from relevance import mrr_at, ndcg_at, recall_at

    judged = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b"], judged) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], {"a": 1}) == pytest.approx(1 / 1.5849625, rel=1e-6)
    assert mrr_at(["x", "y", "a"], judged) == pytest.approx(1 / 3)
    assert recall_at(["a", "x"], judged) == pytest.approx(0.5)


def test_relevance_bench_on_both_backends(beir_folder, opensearch_cluster):
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "relevance.py"), "--beir", str(beir_folder), "--json",
                          "--backend", "both"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "NEWSINDEX_OPENSEARCH_URL": opensearch_cluster})
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(figures["backends"]) == {"whoosh", "opensearch"}
    for backend in ("whoosh", "opensearch"):
        assert figures["backends"][backend]["ndcg@10"] == pytest.approx(0.75), backend
