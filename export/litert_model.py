"""Edits of a converted `.tflite` flatbuffer: exact uint8 pixel ranges, and metadata.

Both use the flatbuffer schema LiteRT ships (`ai_edge_litert.schema_py_generated`,
`ai_edge_litert.tools.flatbuffer_utils`); no other library is needed.

**Pixel contract.** A uint8 artifact is converted from a graph that takes float
pixels, computes `p / 127.5 - 1`, runs the generator and returns `(y + 1) * 127.5`.
The converter gives the tensors of that normalisation the ranges calibration happened
to see (an output range of [0, 1.44] for a generator whose calibration outputs never
reached white, so brighter pixels clip). `pin_pixel_ranges` sets them from arithmetic
instead: the uint8 input and output are pixels (scale 1, zero point 0), and every
tensor of the affine chain between a pixel tensor and the network gets the exact
image of [0, 255] under that chain. LiteRT kernels derive their rescaling from the
tensors' parameters when the model is prepared, so the edited model is consistent.

**Metadata.** `write_metadata` stores a JSON description (`pix2pix_tf` entry of the
model's metadata table: sizes, channels, direction, value ranges, version);
`read_metadata` reads it back. LiteRT ignores entries it does not know.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

METADATA_NAME = "pix2pix_tf"
_AFFINE = ("MUL", "ADD", "SUB")


def _schema():
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    return schema, flatbuffer_utils


def _set_range(tensor, lo: float, hi: float) -> None:
    """Sets an (u)int8 tensor's scale and zero point to cover [lo, hi] (0 included)."""
    schema, _ = _schema()
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    qmin = 0 if tensor.type == schema.TensorType.UINT8 else -128
    scale = (hi - lo) / 255.0
    zero = int(np.clip(np.round(qmin - lo / scale), qmin, qmin + 255))
    q = tensor.quantization or schema.QuantizationParametersT()
    q.scale, q.zeroPoint = np.array([scale], np.float32), np.array([zero], np.int64)
    q.min = q.max = None
    tensor.quantization = q


def _constant(model, subgraph, index: int) -> float | None:
    """The real value of a scalar constant tensor, or None if `index` is not one."""
    schema, _ = _schema()
    tensor = subgraph.tensors[index]
    data = model.buffers[tensor.buffer].data
    if data is None or len(data) == 0:
        return None
    dtype = {schema.TensorType.INT8: np.int8, schema.TensorType.UINT8: np.uint8,
             schema.TensorType.INT16: np.int16, schema.TensorType.FLOAT32: np.float32}.get(
                 tensor.type)
    if dtype is None:
        return None
    values = np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtype)
    if values.size != 1:
        return None
    q = tensor.quantization
    if q is not None and q.scale is not None and len(q.scale):
        return float(q.scale[0]) * (float(values[0]) - float(q.zeroPoint[0]))
    return float(values[0])


def _affine(model, subgraph, op) -> tuple[int, callable, callable] | None:
    """For MUL/ADD/SUB with one scalar constant: (variable input, forward, inverse)."""
    _, fu = _schema()
    name = fu.opcode_to_name(model, op.opcodeIndex)
    if name not in _AFFINE or len(op.inputs) != 2:
        return None
    a, b = op.inputs
    ca, cb = _constant(model, subgraph, a), _constant(model, subgraph, b)
    if (ca is None) == (cb is None):
        return None
    x, c = (b, ca) if cb is None else (a, cb)
    if name == "MUL":
        return x, (lambda v: v * c), (lambda v: v / c)
    if name == "ADD":
        return x, (lambda v: v + c), (lambda v: v - c)
    if x == a:  # x - c
        return x, (lambda v: v - c), (lambda v: v + c)
    return x, (lambda v: c - v), (lambda v: c - v)  # c - x


def pin_pixel_ranges(flatbuffer: bytes) -> bytes:
    """Makes a uint8 model's input and output exact pixels (see the module docstring).

    Args:
        flatbuffer: a full-integer model converted with uint8 input and output from a
            graph whose input is float pixels and whose output is float pixels.

    Returns:
        The edited flatbuffer.

    Raises:
        ValueError: if the model's input or output is not a uint8 tensor behind a
            QUANTIZE op (not a model this function was written for).
    """
    schema, fu = _schema()
    model = fu.read_model_from_bytearray(bytearray(flatbuffer))
    sg = model.subgraphs[0]
    producer = {t: op for op in sg.operators for t in op.outputs}
    consumers: dict[int, list] = {}
    for op in sg.operators:
        for t in op.inputs:
            consumers.setdefault(t, []).append(op)

    def quantize_op(op) -> bool:
        return op is not None and fu.opcode_to_name(model, op.opcodeIndex) == "QUANTIZE"

    (inp,), (out,) = sg.inputs, sg.outputs
    for t in (inp, out):
        if sg.tensors[t].type != schema.TensorType.UINT8:
            raise ValueError("pin_pixel_ranges needs a model with uint8 input and output. "
                             f"Received: {fu.type_to_name(sg.tensors[t].type)} tensor {t}")
    # Input side: pixels -> QUANTIZE -> affine chain (p / 127.5 - 1) -> the network.
    first = consumers.get(inp, [])
    if len(first) != 1 or not quantize_op(first[0]):
        raise ValueError("pin_pixel_ranges: the uint8 input does not feed one QUANTIZE op.")
    _set_range(sg.tensors[inp], 0.0, 255.0)
    t, lo, hi = first[0].outputs[0], 0.0, 255.0
    _set_range(sg.tensors[t], lo, hi)
    while len(consumers.get(t, [])) == 1:
        step = _affine(model, sg, consumers[t][0])
        if step is None or step[0] != t:
            break
        lo, hi = sorted((step[1](lo), step[1](hi)))
        t = consumers[t][0].outputs[0]
        _set_range(sg.tensors[t], lo, hi)
    # Output side: the network -> affine chain ((y + 1) * 127.5) -> QUANTIZE -> pixels.
    last = producer.get(out)
    if not quantize_op(last):
        raise ValueError("pin_pixel_ranges: the uint8 output does not come from a QUANTIZE op.")
    _set_range(sg.tensors[out], 0.0, 255.0)
    t, lo, hi = last.inputs[0], 0.0, 255.0
    _set_range(sg.tensors[t], lo, hi)
    while (op := producer.get(t)) is not None and (step := _affine(model, sg, op)) is not None:
        lo, hi = sorted((step[2](lo), step[2](hi)))
        t = step[0]
        if (before := producer.get(t)) is None or _affine(model, sg, before) is None:
            break  # the network's own output (tanh: fixed range) keeps its parameters
        _set_range(sg.tensors[t], lo, hi)
    return bytes(fu.convert_object_to_bytearray(model))


def write_metadata(flatbuffer: bytes, info: dict) -> bytes:
    """Adds (or replaces) the `pix2pix_tf` JSON metadata entry and sets the description."""
    schema, fu = _schema()
    model = fu.read_model_from_bytearray(bytearray(flatbuffer))
    model.metadata = [m for m in (model.metadata or [])
                      if tensor_name(m.name) != METADATA_NAME]
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(info, sort_keys=True).encode(), np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = METADATA_NAME, len(model.buffers) - 1
    model.metadata.append(entry)
    model.description = info.get("description", "pix2pix_tf generator")
    return bytes(fu.convert_object_to_bytearray(model))


def read_metadata(path: str | os.PathLike) -> dict | None:
    """The `pix2pix_tf` metadata of a `.tflite` file, or None if it has none."""
    _, fu = _schema()
    model = fu.read_model_from_bytearray(bytearray(Path(path).read_bytes()))
    for m in model.metadata or []:
        if tensor_name(m.name) == METADATA_NAME:
            data = model.buffers[m.buffer].data
            return json.loads(np.asarray(data, np.uint8).tobytes().decode())
    return None


def tensor_name(name) -> str:
    """A flatbuffer name (bytes or str) as str."""
    return name.decode() if isinstance(name, bytes) else str(name)
