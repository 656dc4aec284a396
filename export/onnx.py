"""Generator -> ONNX (via tf2onnx), checked with `onnx.checker`, run with onnxruntime.

Opset 17 by default: within tf2onnx's range (it refuses 19), supported by
onnxruntime >= 1.13, TensorRT >= 8.6 and current mobile runtimes; the generator needs
nothing newer (convolutions, transposed convolutions, LeakyRelu, Concat, Tanh).

Memory: converting the frozen 54M-parameter graph made tf2onnx peak at ~11 GB here.
Instead the generator is traced with its weights as *inputs*
(`keras.Model.stateless_call`), so tf2onnx converts a graph without large constants;
the weights are then attached as initializers and the arithmetic on them (kernel
transposes, BatchNorm folding terms) is evaluated once, node by node, with the ONNX
reference evaluator. Peak memory stays a small multiple of the weights.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

DEFAULT_OPSET = 17


def _fold_constants(model) -> int:
    """Evaluates nodes whose inputs are all initializers; returns how many were folded."""
    import onnx
    from onnx import numpy_helper
    from onnx.reference import ReferenceEvaluator

    graph = model.graph
    consts = {init.name: init for init in graph.initializer}
    kept, folded = [], 0
    for node in graph.node:
        inputs = [i for i in node.input if i]
        if node.op_type == "Constant" or (inputs and all(i in consts for i in inputs)
                                          and node.op_type not in ("RandomUniform",)):
            values = [numpy_helper.to_array(consts[i]) for i in inputs]
            single = onnx.helper.make_model(
                onnx.helper.make_graph(
                    [node], "fold",
                    [onnx.helper.make_tensor_value_info(i, consts[i].data_type, None)
                     for i in inputs],
                    [onnx.helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None)
                     for o in node.output]),
                opset_imports=model.opset_import)
            outputs = ReferenceEvaluator(single).run(None, dict(zip(inputs, values)))
            for name, value in zip(node.output, outputs):
                consts[name] = numpy_helper.from_array(np.asarray(value), name)
            folded += 1
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input} | {o.name for o in graph.output}
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    graph.initializer.extend(t for name, t in consts.items() if name in used)
    return folded


def export_onnx(generator, path: str | os.PathLike, opset: int = DEFAULT_OPSET,
                nchw: bool = False, config=None) -> Path:
    """Converts the generator (inference mode) and writes `path` (an `.onnx` file).

    Args:
        generator: the Keras generator.
        path: output file.
        opset: ONNX opset, at most 18 (tf2onnx refuses 19).
        nchw: NCHW input and output (PyTorch-style) instead of NHWC.
        config: the model's `Pix2PixConfig`: its inference contract goes into the
            model's `metadata_props` (key "pix2pix_tf", JSON).
    """
    import onnx
    import tensorflow as tf
    import tf2onnx
    from onnx import numpy_helper

    if not 13 <= opset <= 18:
        raise ValueError(f"`opset` must be in [13, 18] (tf2onnx refuses 19). Received: {opset}")
    _, h, w, c = generator.input_shape
    trainable, other = generator.trainable_variables, generator.non_trainable_variables
    weights = list(trainable) + list(other)
    specs = [tf.TensorSpec([None, h, w, c], tf.float32, name="image")] + [
        tf.TensorSpec(v.shape, v.dtype, name=f"weight_{i}") for i, v in enumerate(weights)]

    @tf.function(input_signature=specs)
    def forward(image, *values):
        out, _ = generator.stateless_call(list(values[:len(trainable)]),
                                          list(values[len(trainable):]), image, training=False)
        return tf.identity(out, name="output")

    out_name = forward.get_concrete_function().outputs[0].name  # e.g. "Identity:0"
    model, _ = tf2onnx.convert.from_function(
        forward, input_signature=specs, opset=opset,
        inputs_as_nchw=["image"] if nchw else None, outputs_as_nchw=[out_name] if nchw else None)
    graph = model.graph
    for node in graph.node:  # a clean output name for users: "output"
        node.output[:] = ["output" if o == out_name else o for o in node.output]
    graph.output[0].name = "output"
    by_name = {f"weight_{i}": v for i, v in enumerate(weights)}
    for inp in list(graph.input):
        if inp.name in by_name:
            graph.initializer.append(numpy_helper.from_array(
                np.asarray(by_name[inp.name].numpy()), inp.name))
            graph.input.remove(inp)
    _fold_constants(model)
    if config is not None:
        import json

        from pix2pix_tf.preprocessor import Preprocessor

        entry = model.metadata_props.add()
        entry.key, entry.value = "pix2pix_tf", json.dumps(
            {"preprocessor": Preprocessor.from_config(config).to_dict()})
    onnx.checker.check_model(model)
    path = Path(path)
    onnx.save(model, str(path))
    return path


class OnnxRunner:
    """Runs an `.onnx` generator with onnxruntime on NHWC float inputs in [-1, 1]."""

    def __init__(self, path: str | os.PathLike, threads: int = 2,
                 providers: list[str] | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options,
                                            providers=providers or ["CPUExecutionProvider"])
        inp = self.session.get_inputs()[0]
        self.name = inp.name
        dims = [d if isinstance(d, int) else None for d in inp.shape]
        self.nchw = dims[1] in (1, 3) and dims[3] not in (1, 3)
        self.shape = (None, dims[2], dims[3], dims[1]) if self.nchw else (None, *dims[1:])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from pix2pix_tf.export.verify import check_input

        check_input(x, self.shape, np.float32, "ONNX")
        feed = np.transpose(x, (0, 3, 1, 2)) if self.nchw else x
        y = self.session.run(None, {self.name: feed})[0]
        return np.transpose(y, (0, 2, 3, 1)) if self.nchw else y
