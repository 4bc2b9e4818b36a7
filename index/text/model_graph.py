"""The sentence model's six transformer layers as an ONNX Runtime graph, built from its weights.

numpy runs each of the layers' ~25 steps as a separate call, and its BLAS is slow on
the few rows a query has: a four-word query took ~5 ms, more than the whole word search.
ONNX Runtime runs the same arithmetic as one fused graph: the same vectors (float32,
within 1e-6) in about half the time for passages, and, with the weight products in int8,
a query in ~0.5 ms.

    graph = LayerGraph(layers, quantised=True)   # layers: the Encoder's weight dicts
    hidden = graph.run(x, bias)                  # (batch, length, 384) float32

The graph is built in memory (nothing written to disk, nothing downloaded): `onnx`'s
helpers make the model, `onnxruntime` runs it on one thread.  In `quantised` graphs each
weight matrix is stored as int8 with one scale per output column and multiplied by
ONNX Runtime's DynamicQuantizeMatMul (the activations quantised on the fly); a query's
vector then stays within a cosine of ~0.99 of the float one, which on the relevance sets
costs at most 0.003 nDCG@10 (bench/RESULTS.md, "2026-11-30 (late)").  Passages, stored
for good, are embedded by the float graph.
"""

from __future__ import annotations

import numpy as np

from index.text.embeddings import quantise

HEADS = 12
WIDTH = 384
EPS = 1e-12


def quantise_columns(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 codes of an (in, out) matrix with one float32 scale per output column
    (the passages' own quantisation, `embeddings.quantise`, applied to the columns)."""
    codes, scale = quantise(weight.T)
    return np.ascontiguousarray(codes.T), scale


class _Builder:
    """Collects the nodes and constant tensors of one graph."""

    def __init__(self):
        from onnx import numpy_helper

        self._tensor = numpy_helper.from_array
        self.nodes, self.constants = [], []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.constants.append(self._tensor(np.ascontiguousarray(value), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: int = 1, domain: str = "", **attributes):
        from onnx import helper

        names = [f"{op}_{len(self.nodes)}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, domain=domain or None, **attributes))
        return names[0] if outputs == 1 else names

    def dense(self, x: str, name: str, weight: np.ndarray, bias: np.ndarray, quantised: bool) -> str:
        """x @ weight + bias, the weight (in, out) in float32 or as int8 columns."""
        if not quantised:
            return self.node("Add", [self.node("MatMul", [x, self.constant(name, weight)]),
                                     self.constant(name + ".bias", bias)])
        codes, scale = quantise_columns(weight)
        return self.node("DynamicQuantizeMatMul", [
            x, self.constant(name, codes), self.constant(name + ".scale", scale),
            self.constant(name + ".zero", np.zeros_like(codes[0])), self.constant(name + ".bias", bias)],
            domain="com.microsoft")

    def norm(self, x: str, name: str, weight_bias: tuple[np.ndarray, np.ndarray]) -> str:
        weight, bias = weight_bias
        return self.node("LayerNormalization", [x, self.constant(name, weight), self.constant(name + ".bias", bias)],
                         axis=-1, epsilon=EPS)


def build(layers: list[dict], quantised: bool = False) -> bytes:
    """The serialised ONNX model of the layers: inputs x (batch, length, 384) after the embedding
    layer and bias (batch, 1, 1, length) added to attention scores (0, or -1e4 on padding);
    output y, the last layer's hidden states."""
    from onnx import TensorProto, helper

    head = WIDTH // HEADS
    g = _Builder()
    g.constant("split_heads", np.array([0, 0, 3, HEADS, head], np.int64))
    g.constant("join_heads", np.array([0, 0, WIDTH], np.int64))
    g.constant("first", np.array([0], np.int64))
    g.constant("scale", np.array(1 / np.sqrt(head), np.float32))
    x = "x"
    for i, layer in enumerate(layers):
        p = f"layer{i}."
        qkv = g.dense(x, p + "qkv", layer["qkv"], layer["qkv_bias"], quantised)
        qkv = g.node("Transpose", [g.node("Reshape", [qkv, "split_heads"])], perm=[2, 0, 3, 1, 4])  # 3, b, h, l, d
        q, k, v = (g.node("Squeeze", [part, "first"]) for part in g.node("Split", [qkv], outputs=3, axis=0, num_outputs=3))
        scores = g.node("MatMul", [q, g.node("Transpose", [k], perm=[0, 1, 3, 2])])
        scores = g.node("Add", [g.node("Mul", [scores, "scale"]), "bias"])
        context = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), v])
        context = g.node("Reshape", [g.node("Transpose", [context], perm=[0, 2, 1, 3]), "join_heads"])
        attended = g.node("Add", [g.dense(context, p + "out", layer["out"], layer["out_bias"], quantised), x])
        x = g.norm(attended, p + "norm1", layer["norm1"])
        hidden = g.node("Gelu", [g.dense(x, p + "up", layer["up"], layer["up_bias"], quantised)])
        hidden = g.node("Add", [g.dense(hidden, p + "down", layer["down"], layer["down_bias"], quantised), x])
        x = g.norm(hidden, p + "norm2", layer["norm2"])
    g.nodes.append(helper.make_node("Identity", [x], ["y"]))
    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2 layers",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "length", WIDTH]),
         helper.make_tensor_value_info("bias", TensorProto.FLOAT, ["batch", 1, 1, "length"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "length", WIDTH])], g.constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20), helper.make_opsetid("com.microsoft", 1)])
    return model.SerializeToString()


class LayerGraph:
    """One ONNX Runtime session over the layers; `run` is safe to call from several threads at once."""

    def __init__(self, layers: list[dict], quantised: bool = False):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one core a call; callers run batches side by side
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3  # warnings about unused fusions are not the caller's business
        self._session = onnxruntime.InferenceSession(build(layers, quantised), options,
                                                     providers=["CPUExecutionProvider"])

    def run(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        return self._session.run(["y"], {"x": np.ascontiguousarray(x, dtype=np.float32),
                                         "bias": np.ascontiguousarray(bias, dtype=np.float32)})[0]
