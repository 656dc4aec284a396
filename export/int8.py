"""Full-integer int8 of the generator, with LiteRT's own quantizer (ai-edge-quantizer).

Why not the TFLite converter's int8: on the generators measured here it reached 19-36 dB
against Keras depending on the trained weights (`experiments/results/int8.md`): it
calibrates each tensor on the largest value any calibration image produced. LiteRT's
quantizer (which LiteRT's documentation now recommends over converter-time
quantization) averages per-image ranges, and gave 43-45 dB on the same generators. It
cannot quantise LEAKY_RELU or DEPTH_TO_SPACE (it leaves them float), so the graph it
gets is written with ops it can: LeakyReLU as `maximum(x, 0.2 x)`, and the phase form of
the transposed convolutions interleaved with reshape-transpose-reshape instead of
DEPTH_TO_SPACE — the same function (exactly, here). (Native TRANSPOSE_CONV also
quantises, but ran 9.4 ms against 7.0 ms for the phase form on a 128 px generator.)
The `upsample="resize"` decoder's nearest-neighbour resize (Keras: `repeat`, a TILE op the
quantizer leaves float) is written as concatenate-reshape twice, the same pixels.
Every op of the result is then integer; the input and output get the type asked for
(uint8 pixels by default: `add_io_casts`, then `export.litert_model.pin_pixel_ranges`).
"""

from __future__ import annotations

import functools
import os

import numpy as np


@functools.cache
def _leaky_as_maximum():
    import keras

    class MaximumLeakyReLU(keras.layers.LeakyReLU):
        """LeakyReLU computed as maximum(x, slope * x): MAXIMUM and MUL ops, which the
        integer quantizer handles (equal for 0 < slope < 1)."""

        def call(self, inputs):
            return keras.ops.maximum(inputs, inputs * self.negative_slope)

    return MaximumLeakyReLU


@functools.cache
def _nearest_as_concat():
    import keras

    class ConcatUpSampling2D(keras.layers.UpSampling2D):
        """Nearest-neighbour upsampling by an integer factor as CONCATENATION and RESHAPE
        ops: x repeated along the channels, then reshaped, repeats each column; the same
        along the width repeats each row (exactly the pixels of `repeat`)."""

        def call(self, inputs):
            ops = keras.ops
            fy, fx = self.size
            n, h, w, c = ops.shape(inputs)
            x = ops.reshape(ops.concatenate([inputs] * fx, axis=-1), (-1, h, w * fx, c))
            return ops.reshape(ops.concatenate([x] * fy, axis=2), (-1, h * fy, w * fx, c))

    return ConcatUpSampling2D


def integer_friendly(generator):
    """A copy of `generator` (same weights, same function) that traces to ops the
    integer quantizer supports (see the module docstring). Built with Keras'
    `clone_model`: `generator` itself is not touched."""
    import keras

    from pix2pix_tf.layers import Conv2DTranspose

    maximum_leaky = _leaky_as_maximum()
    concat_upsampling = _nearest_as_concat()

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, Conv2DTranspose):
            return Conv2DTranspose.from_config({**config, "interleave": "transpose"})
        if type(layer) is keras.layers.LeakyReLU:
            return maximum_leaky.from_config(config)
        if type(layer) is keras.layers.UpSampling2D and config["interpolation"] == "nearest":
            return concat_upsampling.from_config(config)
        return layer.__class__.from_config(config)

    friendly = keras.models.clone_model(generator, clone_function=clone, recursive=True)
    friendly.set_weights(generator.get_weights())
    return friendly


def quantize_int8(float_flatbuffer: bytes, calibration: np.ndarray, io: str = "uint8") -> bytes:
    """Static int8 (int8 weights per channel, int8 activations) of a float `.tflite`.

    Args:
        float_flatbuffer: the float model (one signature, input `image`).
        calibration: model inputs (N, H, W, C), one image per calibration step.
        io: type of the model's input and output: "uint8", "int8" or "float".

    Returns:
        The integer model.
    """
    import tempfile

    from ai_edge_quantizer import quantizer, recipe

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "float.tflite")
        with open(path, "wb") as f:
            f.write(float_flatbuffer)
        q = quantizer.Quantizer(path)
        q.load_quantization_recipe(recipe.static_wi8_ai8())
        data = {"serving_default": [{"image": calibration[i:i + 1]}
                                    for i in range(len(calibration))]}
        stats = q.calibrate(data, num_threads=os.cpu_count() or 1)
        flatbuffer = bytes(q.quantize(stats, enable_progress_report=False).quantized_model)
    if io != "int8":
        flatbuffer = add_io_casts(flatbuffer, io)
    return flatbuffer


def add_io_casts(flatbuffer: bytes, io: str) -> bytes:
    """Gives an int8-in/int8-out model a uint8 or float input and output.

    A QUANTIZE op (uint8 -> int8, or float -> int8) is put before the first op and a
    QUANTIZE (int8 -> uint8) or DEQUANTIZE (int8 -> float) after the last; the uint8
    tensors represent the same real values as the int8 ones (zero point + 128).
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils as fu

    from pix2pix_tf.export.litert_model import tensor_name

    if io not in ("uint8", "float"):
        raise ValueError(f"`io` must be 'uint8' or 'float'. Received: io={io!r}")
    model = fu.read_model_from_bytearray(bytearray(flatbuffer))
    sg = model.subgraphs[0]
    kind = schema.TensorType.UINT8 if io == "uint8" else schema.TensorType.FLOAT32

    def opcode(builtin: int) -> int:
        for i, code in enumerate(model.operatorCodes):
            if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
                return i
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = builtin
        code.version = 1
        model.operatorCodes.append(code)
        return len(model.operatorCodes) - 1

    def twin(index: int, suffix: str) -> int:
        old = sg.tensors[index]
        if old.type != schema.TensorType.INT8:
            raise ValueError("add_io_casts expects int8 model input and output. Received: "
                             f"{fu.type_to_name(old.type)} tensor {index}")
        new = schema.TensorT()
        new.shape, new.shapeSignature = list(old.shape), (
            list(old.shapeSignature) if old.shapeSignature is not None else None)
        new.type, new.buffer = kind, 0
        new.name = f"{tensor_name(old.name)}_{suffix}"
        if io == "uint8":
            q = schema.QuantizationParametersT()
            q.scale = np.array(old.quantization.scale, np.float32)
            q.zeroPoint = np.array(old.quantization.zeroPoint, np.int64) + 128
            new.quantization = q
        sg.tensors.append(new)
        return len(sg.tensors) - 1

    def op(code: int, inputs: list[int], outputs: list[int]):
        o = schema.OperatorT()
        o.opcodeIndex, o.inputs, o.outputs = code, inputs, outputs
        return o

    (inp,), (out,) = sg.inputs, sg.outputs
    new_in, new_out = twin(inp, io), twin(out, io)
    quantize = opcode(schema.BuiltinOperator.QUANTIZE)
    out_code = quantize if io == "uint8" else opcode(schema.BuiltinOperator.DEQUANTIZE)
    sg.operators = ([op(quantize, [new_in], [inp])] + list(sg.operators)
                    + [op(out_code, [out], [new_out])])
    sg.inputs, sg.outputs = [new_in], [new_out]
    for signature in model.signatureDefs or []:
        for t in signature.inputs:
            if t.tensorIndex == inp:
                t.tensorIndex = new_in
        for t in signature.outputs:
            if t.tensorIndex == out:
                t.tensorIndex = new_out
    return bytes(fu.convert_object_to_bytearray(model))
