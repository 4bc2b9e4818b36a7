"""index.text.embeddings: the shipped sentence model loads offline and embeds sensibly."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.text import embeddings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def encoder():
    return embeddings.encoder()


def test_loads_offline_from_site_packages():
    """A fresh process with the hub switched off and no network proxy loads and encodes."""
    code = ("import os; from index.text import embeddings as e; v = e.encode(['offline']); "
            "print(v.shape, str(e.model_dir()).find('site-packages') >= 0)")
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"(1, {embeddings.DIM}) True"


def test_shape_dtype_and_unit_length(encoder):
    vectors = embeddings.encode(["Oil prices rose", "Coffee quotas", "Wheat harvest"], batch_size=2)
    assert vectors.shape == (3, embeddings.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_matches_the_published_model(encoder):
    """sentence-transformers' all-MiniLM-L6-v2 gives these first values for this sentence."""
    vector = embeddings.encode(["This is an example sentence"])[0]
    assert vector[:4] == pytest.approx([0.0676569, 0.0634959, 0.0487131, 0.0793050], abs=1e-4)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    a, b, c = embeddings.encode(["car maker job cuts", "automobile manufacturer layoffs",
                                 "the orchestra played a symphony by Brahms"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_order_batching_and_threads_do_not_change_vectors(encoder):
    texts = ["short", "a somewhat longer sentence about grain exports to the Soviet Union", "", "mid length text"]
    one = embeddings.encode(texts, batch_size=1)
    together = embeddings.encode(texts, batch_size=4, threads=2)
    alone = embeddings.encode([texts[1]])
    assert np.allclose(one, together, atol=1e-5)
    assert np.allclose(one[1], alone[0], atol=1e-5)


def test_empty_long_and_odd_inputs_never_raise(encoder):
    assert embeddings.encode([]).shape == (0, embeddings.DIM)
    long_text = "The central bank said money supply grew. " * 20_000
    vectors = embeddings.encode(["", "   ", long_text, None, "x" * 100_000, "\u00e9t\u00e9 \U0001F600"])  # type: ignore[list-item]
    assert vectors.shape == (6, embeddings.DIM)
    assert np.isfinite(vectors).all()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Truncated: the long text embeds like its first MAX_TOKENS word pieces.
    assert len(encoder.token_ids([long_text])[0]) == embeddings.MAX_TOKENS
    assert np.allclose(vectors[0], vectors[3], atol=1e-6)  # None embeds as the empty string


def test_quantisation_round_trips_closely(encoder):
    vectors = embeddings.encode(["oil output cut", "OPEC ministers meet in Vienna", "sugar crop"])
    codes, scale = embeddings.quantise(vectors)
    assert codes.dtype == np.int8 and scale.dtype == np.float32 and codes.shape == vectors.shape
    back = embeddings.dequantise(codes, scale)
    assert np.abs(back - vectors).max() <= scale.max() / 2 + 1e-7
    exact = vectors @ vectors[0]
    assert np.allclose(embeddings.int8_scores(vectors[0], codes, scale), exact, atol=5e-3)


def test_quantise_handles_zero_rows():
    codes, scale = embeddings.quantise(np.zeros((2, 4), dtype=np.float32))
    assert not codes.any() and np.isfinite(scale).all()
    assert not embeddings.dequantise(codes, scale).any()


def test_a_query_vector_by_the_int8_layers_ranks_like_the_float_one(encoder):
    """encode_query runs the int8 graph: within a cosine of ~0.99 of the float vector, and
    it orders passages as the float vector does."""
    passages = embeddings.encode(["Automobile manufacturer announces layoffs at two plants",
                                  "Central bank raises interest rates to defend the currency",
                                  "Cocoa prices fall as the harvest beats forecasts",
                                  "The orchestra played a symphony by Brahms"])
    for query in ("car maker job cuts", "why is the dollar falling", "chocolate bean prices"):
        quick, exact = embeddings.encode_query(query), embeddings.encode([query])[0]
        assert quick.shape == (embeddings.DIM,) and quick.dtype == np.float32
        assert abs(float(np.linalg.norm(quick)) - 1.0) < 1e-5
        assert float(quick @ exact) > 0.97
        assert np.argmax(passages @ quick) == np.argmax(passages @ exact)
    assert encoder.graph(quantised=True) is not encoder.graph(quantised=False)


def test_column_quantisation_is_within_half_a_step():
    from index.text.model_graph import quantise_columns

    weight = np.random.default_rng(7).normal(size=(48, 16)).astype(np.float32)
    weight[:, 3] = 0.0  # a column of zeros keeps a usable scale
    codes, scale = quantise_columns(weight)
    assert codes.dtype == np.int8 and scale.shape == (16,) and np.isfinite(scale).all()
    assert (np.abs(codes.astype(np.float32) * scale - weight) <= scale / 2 + 1e-7).all()


def test_the_graphs_are_safe_to_run_from_many_threads(encoder):
    """One ONNX Runtime session per graph serves every thread of a worker."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"grain exports to the Soviet Union in week {i}" for i in range(16)]
    alone = np.array([embeddings.encode_query(text) for text in texts])
    with ThreadPoolExecutor(max_workers=8) as pool:
        together = np.array(list(pool.map(embeddings.encode_query, texts)))
    assert np.allclose(alone, together, atol=1e-6)


def test_a_query_started_on_the_encoder_thread_is_the_one_encoded_in_line(encoder, monkeypatch):
    """encode_query_soon runs the layers on the process's encoder thread (the caller scores words
    meanwhile) and gives the vector encode_query gives, whatever the text."""
    import threading

    graph = encoder.graph(quantised=True)
    ran_on = []
    run = graph.run

    def recorded(*args):
        ran_on.append(threading.current_thread().name)
        return run(*args)
    texts = ["car maker job cuts", "", "x" * 50_000, "Stoltenberg\ud800 says", "why is the dollar falling"]
    inline = [embeddings.encode_query(text) for text in texts]
    monkeypatch.setattr(graph, "run", recorded)
    for spare, where in ((True, "query-layers"), (False, threading.current_thread().name)):
        ran_on.clear()
        monkeypatch.setattr(embeddings, "spare_core", lambda: spare)
        pending = [embeddings.encode_query_soon(text) for text in texts]  # all started before any is taken
        for waited, expected in zip([get() for get in pending], inline):
            assert waited.shape == (embeddings.DIM,) and np.allclose(waited, expected, atol=1e-6)
        assert len(ran_on) == len(texts) and all(name.startswith(where) for name in ran_on), (spare, ran_on)


def test_a_core_is_spare_when_fewer_threads_run_than_there_are_cores(tmp_path, monkeypatch):
    """spare_core reads how many threads run this instant from /proc/loadavg's fourth field."""
    loadavg = tmp_path / "loadavg"
    monkeypatch.setattr(embeddings, "_CORES", 2)
    for line, spare in (("0.52 0.71 0.80 1/129 4242", True), ("2.10 1.90 1.70 2/129 4242", False),
                        ("3.00 2.00 1.00 9/300 4242", False), ("garbage", False)):
        loadavg.write_text(line + "\n")
        assert embeddings.spare_core(str(loadavg)) is spare, line
    assert embeddings.spare_core(str(tmp_path / "missing")) is False
    assert embeddings.spare_core() in (True, False)  # this machine's own


def test_a_forked_worker_starts_its_own_encoder_thread(encoder, monkeypatch):
    """A gunicorn worker is a fork: the parent's encoder thread is not in it, so it makes its own."""
    import multiprocessing

    parent = embeddings.encode_query_soon("grain exports")()
    monkeypatch.setattr(embeddings, "spare_core", lambda: True)  # the fork inherits it: its layers go to a thread
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        child = pool.apply_async(_vector_in_a_fork, ("grain exports",)).get(timeout=120)  # the parent's would never run it
    assert np.allclose(child, parent, atol=1e-6)


def _vector_in_a_fork(text: str):
    return embeddings.encode_query_soon(text)()


def test_a_runtime_that_cannot_build_the_graph_is_reported_as_unavailable(monkeypatch):
    """onnx or onnxruntime missing or broken: EmbeddingsUnavailable (which search turns into words alone)."""
    from index.text import model_graph

    def broken(*args, **kwargs):
        raise ImportError("No module named 'onnxruntime'")
    monkeypatch.setattr(model_graph, "LayerGraph", broken)
    fresh = embeddings.Encoder()  # not the process-wide one, whose graphs are built
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="onnxruntime"):
        fresh.graph(quantised=True)


def test_query_vectors_are_kept_by_text_and_a_caller_keeping_none_leaves_them(encoder, monkeypatch):
    """A repeated query (the next page) is not encoded again; `held` 0 (load_encoder, the cost bench)
    keeps nothing of its own and empties nothing another caller keeps."""
    from index.search import query_vectors

    monkeypatch.setattr(query_vectors, "_QUERIES", type(query_vectors._QUERIES)())
    encoded = []
    real = embeddings.encode_query_soon
    monkeypatch.setattr(embeddings, "encode_query_soon", lambda text: encoded.append(text) or real(text))
    first = query_vectors.query_vector("cocoa prices", 4)
    assert np.array_equal(query_vectors.query_vector("cocoa prices", 4), first) and encoded == ["cocoa prices"]
    query_vectors.load_encoder()
    query_vectors.query_vector("gold output", 0)
    assert list(query_vectors._QUERIES) == ["cocoa prices"]
    for text in ("a", "b", "c", "d"):
        query_vectors.query_vector(text, 4)
    assert list(query_vectors._QUERIES) == ["a", "b", "c", "d"]  # the oldest went first
