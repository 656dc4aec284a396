"""Generator -> TFLite / LiteRT flatbuffer: fp32, fp16 weights, full-integer int8.

Converted from a SavedModel written by `export.savedmodel.serving_module` with a
fixed batch of 1 (the shape phones run), which carries the variables properly (a
TFLite converted from a bare concrete function of a Keras 3 model came out 60 KB
and output NaN here).

Quantisations:
- fp32: float weights and maths.
- fp16: float16 weights (half the size), float maths.
- int8: full-integer with a representative dataset; input/output int8, uint8 or float.
- dynamic: int8 weights; activations quantised per inference by the runtime. With
  LiteRT 2.3's XNNPACK (dynamically quantised int8 kernels) the trained 256x256 paper
  generator ran at 20.6 ms per image on 2 threads with 49.9 dB parity here, where
  full int8 gave 25 dB; runtimes without those kernels fall back to hybrid ones (13 s
  per image was reported on an older stack). Offered with that warning.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import numpy as np

DYNAMIC_WARNING = ("dynamic-range int8 is fast only where the runtime has XNNPACK's "
                   "dynamically quantised kernels (LiteRT 2.3 here: 20.6 ms per 256x256 image "
                   "on 2 threads, 49.9 dB); older runtimes ran it at ~13 s per image. Time it "
                   "on your target device.")
IO_TYPES = ("float", "int8", "uint8")


def export_tflite(generator, path: str | os.PathLike, quantization: str = "fp32",
                  representative: np.ndarray | None = None, io: str = "uint8") -> Path:
    """Converts the generator and writes `path` (a `.tflite` file).

    Args:
        generator: the Keras generator.
        path: output file.
        quantization: "fp32", "fp16", "int8" or "dynamic".
        representative: float inputs in [-1, 1], (N, H, W, C); required for int8.
        io: with int8, the input/output type: "uint8" (pixels, for apps), "int8" or
            "float".
    """
    import tensorflow as tf

    from export.savedmodel import serving_module

    if quantization == "int8" and (representative is None or len(representative) == 0):
        raise ValueError("int8 quantisation needs a representative dataset: it is empty.")
    if io not in IO_TYPES:
        raise ValueError(f"`io` must be one of {IO_TYPES}. Received: io={io!r}")
    with tempfile.TemporaryDirectory() as tmp:
        module = serving_module(generator, batch=1)
        tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve_float})
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp)
        if quantization == "fp16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif quantization == "dynamic":
            warnings.warn(DYNAMIC_WARNING, stacklevel=2)
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        elif quantization == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([representative[i:i + 1]]
                                                        for i in range(len(representative)))
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            io_type = {"float": tf.float32, "int8": tf.int8, "uint8": tf.uint8}[io]
            converter.inference_input_type = io_type
            converter.inference_output_type = io_type
        elif quantization != "fp32":
            raise ValueError(f"Unknown TFLite quantisation. Received: {quantization!r}")
        flatbuffer = converter.convert()
    path = Path(path)
    path.write_bytes(flatbuffer)
    return path


class TFLiteRunner:
    """Runs a `.tflite` generator with LiteRT (XNNPACK) on float inputs in [-1, 1].

    Quantised inputs/outputs are converted with the model's own scale and zero point.
    """

    def __init__(self, path: str | os.PathLike, threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=str(path), num_threads=threads)
        self.interpreter.allocate_tensors()
        self.inp = self.interpreter.get_input_details()[0]
        self.out = self.interpreter.get_output_details()[0]
        self.shape = (None, *map(int, self.inp["shape"][1:]))

    def _run_one(self, x: np.ndarray) -> np.ndarray:
        scale, zero = self.inp["quantization"]
        if self.inp["dtype"] != np.float32:
            info = np.iinfo(self.inp["dtype"])
            x = np.clip(np.round(x / scale + zero), info.min, info.max)
        self.interpreter.set_tensor(self.inp["index"], x.astype(self.inp["dtype"]))
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.out["index"])
        scale, zero = self.out["quantization"]
        if self.out["dtype"] != np.float32:
            y = (y.astype(np.float32) - zero) * scale
        return y

    def __call__(self, x: np.ndarray) -> np.ndarray:
        from export.verify import check_input

        check_input(x, self.shape, np.float32, "TFLite")
        return np.concatenate([self._run_one(x[i:i + 1]) for i in range(len(x))])


def gpu_compatibility(path: str | os.PathLike) -> dict:
    """What LiteRT's model analyzer says of the GPU delegate for a `.tflite` file.

    Returns:
        `{"gpu_delegate": "compatible" | "not compatible", "gpu_issues": [lines]}`:
        the analyzer's GPU compatibility warnings (the ops that would fall back to
        the CPU). The analyzer checks op support statically; a compatible model can
        still meet runtime limits on a given phone.
    """
    import contextlib
    import io

    import tensorflow as tf

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_path=str(path), gpu_compatibility=True)
    return parse_gpu_report(text.getvalue())


def parse_gpu_report(text: str) -> dict:
    """The GPU verdict and warnings from the analyzer's printed report."""
    issues = [line.strip() for line in text.splitlines()
              if "GPU COMPATIBILITY WARNING" in line]
    ok = "looks compatible with GPU delegate" in text and not issues
    return {"gpu_delegate": "compatible" if ok else "not compatible", "gpu_issues": issues}
